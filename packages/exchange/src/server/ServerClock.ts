/**
 * The exchange server's "now": the moment a request without `X-Council-Session` runs at (Alpaca has one clock,
 * and its SDKs, `close-all`, `pnpm pipeline accounts`/`positions` and the dashboard send no session header).
 *
 * **Rule**
 * - The default moment (`--date`/`--at`, `POST /council/session`, else where the ledger's accounts are at start)
 *   moves forward, never back, to where a request with a session header has since brought the ledger: the latest
 *   point an account with orders is at (15:45 of its session, or its close) — the moment a restart would resume at.
 *   So after a `run daily` of the next session through the server, a header-less read sees its accounts as the
 *   run left them instead of a 422 for every traded account.
 * - A header-less request of an account with orders that is further along than the default (the default given or
 *   set back explicitly) runs at the account's own point: never a 422 for an account simply further along.
 * - A session header still pins its request's moment, and a header moment before the account's point is refused
 *   as before (`Matching`). An account without orders holds no point (`ExchangeAccount.traded`): it follows the default.
 *
 * **Gotchas**
 * - Cheap on the hot path: a request with a header only marks the known points stale when its moment is after the
 *   default; the ledger's points (`LocalExchange.keys`, one read per account) are read again by the next header-less
 *   request or `GET /council/session`. Clients that never send the header (the exchange benchmark) never read them.
 * - A ledger moved by another process (a second server, an in-process run on the same database) is seen after the
 *   next request with a header, or a restart.
 *
 * @since 0.1.0
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Ref from "effect/Ref"
import { type AccountId, isBefore, type NewYorkMoment } from "@council/domain"
import type { BrokerError } from "@council/broker"
import { momentOfPoint, pointBefore, type SessionPoint } from "../Calendar.ts"
import { DAY_ONLY_TIME, moment } from "../ExchangeSession.ts"
import type { LocalExchange } from "../LocalExchange.ts"

/**
 * The moment a restart resumes at, at `point`: after a close, the close; during a session, 15:45 of it (the
 * default moment, where a daily run trades), or its open when 15:45 is not before its close (an early close).
 * Every moment of a point has the same prices and fills, so this is never past what the accounts have seen.
 */
export const resumeAt = (point: SessionPoint): NewYorkMoment => {
  if (point.phase === "closed") return momentOfPoint(point)
  const usual = moment(point.session, DAY_ONLY_TIME)
  return isBefore(usual, momentOfPoint({ session: point.session, phase: "closed" })) ? usual : momentOfPoint(point)
}

/** The latest point among accounts with orders (`undefined`: none has had an order). */
export const latestTraded = (
  accounts: ReadonlyArray<{ readonly traded: boolean; readonly point: SessionPoint }>
): SessionPoint | undefined =>
  accounts.filter((a) => a.traded).reduce<SessionPoint | undefined>(
    (latest, a) => latest === undefined || pointBefore(latest, a.point) ? a.point : latest,
    undefined
  )

export interface ServerClock {
  /**
   * The moment of a header-less request of `account`: now, or after reading the ledger's points when a request
   * with a header has moved the ledger since they were read.
   */
  readonly headerless: (account: AccountId) => NewYorkMoment | Effect.Effect<NewYorkMoment>
  /** A request with a session header ran at `at`: the ledger may have moved past the default. */
  readonly ran: (at: NewYorkMoment) => void
  /** The default moment, brought forward to where the ledger is first. */
  readonly current: Effect.Effect<NewYorkMoment>
}

/**
 * The clock over the default moment `defaultSession`. `reached` is where the ledger's accounts were at start (the
 * default is already at or past it, or was given explicitly); `moved` is told each time the default moves forward.
 */
export const make = (options: {
  readonly exchange: LocalExchange["Service"]
  readonly defaultSession: Ref.Ref<NewYorkMoment>
  readonly reached: SessionPoint | undefined
  readonly known: ReadonlyArray<{ readonly account: AccountId; readonly traded: boolean; readonly point: SessionPoint }>
  readonly moved: () => void
}): ServerClock => {
  const { defaultSession, exchange, moved } = options
  let reached = options.reached
  /** The points of the accounts with orders, as last read. */
  const points = new Map<AccountId, SessionPoint>()
  const remember = (accounts: ReadonlyArray<{ readonly account: AccountId; readonly traded: boolean; readonly point: SessionPoint }>) => {
    for (const a of accounts) if (a.traded) points.set(a.account, a.point)
  }
  remember(options.known)
  let stale = false

  /** The default, or the account's own point where it is further along. */
  const momentOf = (account: AccountId): NewYorkMoment => {
    const now = Ref.getUnsafe(defaultSession)
    const own = points.get(account)
    return own !== undefined && isBefore(now, momentOfPoint(own)) ? resumeAt(own) : now
  }

  /** Reads the ledger's points; moves the default forward when an account with orders got past where it was. */
  const refresh = Effect.suspend(() => {
    stale = false
    return exchange.keys
  }).pipe(
    Effect.flatMap((accounts) => {
      remember(accounts)
      const latest = latestTraded(accounts)
      if (latest === undefined || (reached !== undefined && !pointBefore(reached, latest))) return Effect.void
      reached = latest
      // only a move of the ledger moves the default: a default set back by hand stays until the ledger moves again
      if (!isBefore(Ref.getUnsafe(defaultSession), momentOfPoint(latest))) return Effect.void
      return Effect.andThen(Ref.set(defaultSession, resumeAt(latest)), Effect.sync(moved))
    }),
    // the ledger unreadable: the default as it is; the next header-less request reads it again
    Effect.catch((error: BrokerError) =>
      Effect.andThen(
        Effect.logWarning(`exchange server: cannot read the accounts' points: ${error.message}`),
        Effect.sync(() => {
          stale = true
        })
      ))
  )

  /**
   * The read of the points in flight: header-less requests arriving together (`pnpm pipeline accounts` reads every
   * account at once) all wait for it, none runs at the moment before it.
   */
  let reading: Deferred.Deferred<void> | undefined
  const settled: Effect.Effect<void> = Effect.suspend(() => {
    if (reading !== undefined) return Deferred.await(reading)
    if (!stale) return Effect.void
    const done = Deferred.makeUnsafe<void>()
    reading = done
    return Effect.onExit(refresh, () => {
      reading = undefined
      return Deferred.done(done, Exit.void)
    })
  })

  return {
    headerless: (account) => stale || reading !== undefined ? Effect.map(settled, () => momentOf(account)) : momentOf(account),
    ran: (at) => {
      if (!stale && isBefore(Ref.getUnsafe(defaultSession), at)) stale = true
    },
    current: Effect.andThen(settled, Ref.get(defaultSession))
  }
}

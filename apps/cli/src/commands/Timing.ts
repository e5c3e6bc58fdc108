/**
 * When a run happens: its schedule (`COUNCIL_SCHEDULE`), its day and its as-of moment, and the market schedule
 * check before any order (through the `Broker` port's clock and calendar).
 *
 * A run's moment is the broker's present. On Alpaca (an account on one of its hosts) the clock is real: the moment
 * is now, and `--at` is refused. Otherwise (the in-process exchange, or `exchange serve`, which follows the run's
 * session header) the moment is simulated: `--at HH:MM` New York time on the run's day, or the schedule's time
 * (15:45 / 16:15; 12:45 / 13:15 on an early close).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import {
  type AccountId,
  closesEarly,
  describeCheck,
  isBefore,
  momentAt,
  type NewYorkMoment,
  parseMoment,
  type RunSchedule,
  runTime,
  secondsOf,
  TradingDay,
  wallClock
} from "@council/domain"
import { Brokers, LiveGuard, TradingAccounts } from "@council/broker"
import { Calendar } from "@council/exchange"
import { type DailyParams, MarketSchedule, timingOf } from "@council/daily"
import { BarIndex, MarketData } from "@council/market"
import { AppSettings } from "../AppConfig.ts"
import { CliFailure } from "../CliFailure.ts"
import * as RunNotices from "../RunNotices.ts"
import { firstUnrefused } from "./Session.ts"

/** The accounts whose brokers have a real clock (on an Alpaca host), among `ids`, in their order; none: every clock is simulated. */
export const realClockAccounts = (ids: ReadonlyArray<AccountId>) =>
  TradingAccounts.use(({ all }) =>
    Effect.succeed(
      ids.filter((id) => all.some((a) => a.id === id && a.credentials !== undefined && (a.baseUrl === undefined || LiveGuard.isAlpacaUrl(a.baseUrl))))
    )
  )

/** The first account whose broker has a real clock (an Alpaca host), among `ids`; `undefined`: every clock is simulated. */
export const realClockAccount = (ids: ReadonlyArray<AccountId>) => Effect.map(realClockAccounts(ids), (real) => real[0])

/** `--at HH:MM` (or `HH:MM:SS`), New York time, checked; refused when an account's clock is real. */
export const checkAt = (at: Option.Option<string>, ids: ReadonlyArray<AccountId>) =>
  Effect.gen(function*() {
    if (Option.isNone(at)) return undefined
    const time = at.value.trim()
    if (secondsOf(time) === undefined) return yield* CliFailure.usage(`--at ${at.value.slice(0, 20)}: expected HH:MM, New York time (e.g. 15:45)`)
    const real = yield* realClockAccount(ids)
    if (real !== undefined) {
      return yield* CliFailure.usage(`--at simulates the moment of a run on the local exchange; ${real} trades on Alpaca, whose clock is real`)
    }
    return time
  })

/** The schedule's moment on `day` by the local exchange's calendar (early closes included). */
export const scheduledMoment = (schedule: RunSchedule, day: TradingDay): NewYorkMoment =>
  momentAt(day, runTime(schedule, Calendar.calendarDay(day, undefined)))

/**
 * The trading day of `--date` (default: the latest session in the data). A date of the data's range without a
 * session (a weekend, a holiday) is a day too: the market schedule check says it is closed.
 */
export const resolveTradingDay = (date: Option.Option<string>) =>
  Effect.gen(function*() {
    const market = yield* MarketData
    if (Option.isNone(date)) return yield* market.latestTradingDay
    const day = yield* Schema.decodeUnknownEffect(TradingDay)(date.value).pipe(
      Effect.mapError(() => CliFailure.usage(`--date ${date.value}: expected a date as YYYY-MM-DD`))
    )
    return yield* market.ensureTradingDay(day).pipe(
      Effect.catchTag("MarketDataError", (error) =>
        error.reason === "NotATradingDay" && BarIndex.isCalendarDate(day)
          ? Effect.succeed(day)
          : Effect.fail(
            error.reason === "Unavailable" ? CliFailure.failed(error.message) : CliFailure.usage(`--date ${date.value}: ${error.message}`)
          ))
    )
  })

/**
 * The line saying `at`'s day has no session in the market data (a weekend, a holiday), or `undefined` when it has
 * one. For a run on the local exchange this is decided before the session rule: the exchange having traded a
 * later day does not make a Saturday a day it "cannot trade" — it is a day without a market.
 */
export const noSessionLine = (at: RunMoment) =>
  MarketData.use((market) => market.ensureTradingDay(at.day)).pipe(
    Effect.as(undefined),
    Effect.catchTag("MarketDataError", (error) =>
      error.reason === "NotATradingDay"
        ? Effect.succeed(describeCheck(at.schedule, { _tag: "Closed", day: at.day }, at.moment))
        : Effect.succeed(undefined))
  )

export interface RunMoment {
  readonly day: TradingDay
  readonly moment: NewYorkMoment
  readonly schedule: RunSchedule
  /** The account whose real clock decides, if any. */
  readonly realClock: AccountId | undefined
}

/**
 * The clock of the first of `ids` whose broker's key is not refused (`firstUnrefused`: one revoked key does not stop
 * the other accounts' day), as a moment, with that account (inside layers that provide the accounts' brokers).
 */
export const clockOf = (ids: ReadonlyArray<AccountId>) =>
  Effect.gen(function*() {
    const brokers = yield* Brokers
    const { account: { id: account }, read } = yield* firstUnrefused(
      ids.map((id) => ({ id })),
      ({ id }) => Effect.flatMap(brokers.get(id), (broker) => broker.getClock)
    )
    if (read._tag === "Failure") return yield* CliFailure.failed(`cannot read the market clock of ${account}: ${read.failure.message}`)
    const now = parseMoment(read.success.timestamp)
    if (now === undefined) return yield* CliFailure.failed(`the market clock of ${account} says "${read.success.timestamp}", not a time`)
    return { account, now }
  })

/**
 * The account whose broker's clock and calendar a run reads, among `ids` (in their order): the first, unless it
 * trades through a broker that refuses its key (401) — then the first whose key is taken (`firstUnrefused`), so one
 * revoked key fails that account alone, not every account's day. A clock is read only when the first has a key
 * (`probe` provides the brokers then).
 */
export const clockAccountAmong = <E, R>(ids: ReadonlyArray<AccountId>, probe: Layer.Layer<Brokers, E, R>) =>
  Effect.gen(function*() {
    const { all } = yield* TradingAccounts
    const first = ids[0]!
    if (all.find((a) => a.id === first)?.credentials === undefined) return first
    const { account } = yield* firstUnrefused(
      ids.map((id) => ({ id })),
      ({ id }) => Brokers.use((b) => Effect.flatMap(b.get(id), (broker) => broker.getClock))
    ).pipe(Effect.provide(probe))
    return account.id
  })

/**
 * A new run's day and moment. `readClock` reads a real clock (`clockOf` inside layers that provide the accounts'
 * brokers): the first of the accounts on Alpaca whose key is taken decides (`RunMoment.realClock`). On a real clock, `--date` of another day is only for a dry run (checked later by the session rule); its
 * moment is then the schedule's on that day.
 */
export const resolveRunMoment = <E, R>(
  options: { readonly date: Option.Option<string>; readonly at: Option.Option<string> },
  ids: ReadonlyArray<AccountId>,
  readClock: (accounts: ReadonlyArray<AccountId>) => Effect.Effect<{ readonly account: AccountId; readonly now: NewYorkMoment }, E, R>
) =>
  Effect.gen(function*() {
    const { schedule } = yield* AppSettings
    const at = yield* checkAt(options.at, ids)
    const real = yield* realClockAccounts(ids)
    if (real.length > 0) {
      const { account: realClock, now } = yield* readClock(real)
      const day = Option.isSome(options.date) ? yield* resolveTradingDay(options.date) : TradingDay.make(now.day)
      const moment = day === now.day ? now : scheduledMoment(schedule, day)
      return { day, moment, schedule, realClock } satisfies RunMoment
    }
    const day = yield* resolveTradingDay(options.date)
    const moment = at === undefined ? scheduledMoment(schedule, day) : momentAt(day, at)
    return { day, moment, schedule, realClock: undefined } satisfies RunMoment
  })

/** The moment of a run that exists: a real clock's now, `--at` on its day, or its recorded as-of moment. */
export const momentOfRun = (params: DailyParams, day: TradingDay, at: string | undefined) => {
  const timing = timingOf(params)
  if (at !== undefined) return momentAt(day, at)
  const recorded = timing.at === undefined ? undefined : parseMoment(timing.at)
  return recorded ?? scheduledMoment(timing.schedule, day)
}

/** What the schedule check decided for a run: trade, or a day it does not trade (said on stderr, `message`). */
export type MarketVerdict = "trade" | { readonly skipped: "market-closed" | "not-early-close"; readonly message: string }

/** Under `--early-close-only`, a session that does not close early: said on stderr, skipped. */
const regularSession = (status: MarketSchedule.ScheduleStatus) =>
  Effect.gen(function*() {
    if (status.session === undefined || closesEarly(status.session)) return undefined
    const message = `${status.session.date} closes at ${status.session.close}, not early: --early-close-only trades only the sessions that close early (nothing done)`
    yield* Console.error(message)
    return { skipped: "not-early-close", message } satisfies MarketVerdict
  })

/**
 * `--early-close-only`'s check, made before the day's run is looked at: a regular session has nothing for the
 * 12:45 entry to do, whatever the day's run is doing (awaiting approval, rejected, done) — it says that alone.
 * A clock that cannot be read is left to `checkMarket` (`undefined`: go on).
 */
export const earlyCloseOnly = (account: AccountId, schedule: RunSchedule) =>
  Effect.gen(function*() {
    const broker = yield* Brokers.use((b) => b.get(account))
    const read = yield* Effect.result(MarketSchedule.statusOf(broker, schedule))
    return read._tag === "Failure" ? undefined : yield* regularSession(read.success)
  })

/**
 * The market schedule check before any order, through `account`'s broker: a day without a session → said so,
 * skipped (exit 0, nothing traded), and so is a regular session under `earlyCloseOnly` (the second cron entry,
 * 12:45, of a user who trades early-close days); under `close` before the open or past the cutoff, under `after-close` before
 * the close, or a clock that cannot be read → fails (exit 1, nothing sent; a dry run past the cutoff or without a
 * clock only warns); more than 20 minutes before the close under `close` → a warning, told to the notifier too
 * unless a dry run (naming the run's accounts that trade real money, `live`).
 */
export const checkMarket = (
  account: AccountId,
  schedule: RunSchedule,
  dryRun: boolean,
  earlyCloseOnly: boolean,
  live: ReadonlyArray<string>
) =>
  Effect.gen(function*() {
    const broker = yield* Brokers.use((b) => b.get(account))
    const read = yield* Effect.result(MarketSchedule.statusOf(broker, schedule))
    if (read._tag === "Failure") {
      const line = `cannot read the market clock or calendar of ${account}: ${read.failure.message}`
      if (!dryRun) return yield* CliFailure.failed(`${line}; nothing is sent`)
      yield* Console.error(`warning: ${line} (a dry run sends nothing anyway)`)
      return "trade" satisfies MarketVerdict
    }
    const status = read.success
    const regular = earlyCloseOnly ? yield* regularSession(status) : undefined
    if (regular !== undefined) return regular
    const line = describeCheck(schedule, status.check, status.now)
    switch (status.check._tag) {
      case "Closed":
        yield* Console.error(line)
        return { skipped: "market-closed", message: line } satisfies MarketVerdict
      case "InTime":
        // a timer at the wrong New York time (a UTC entry after a DST switch) trades: its operator must hear it;
        // a dry run (a preview, at any time) sends nothing: the warning stays on stderr
        if (status.check.early) yield* dryRun ? Console.error(line) : RunNotices.offSchedule(line, live)
        return "trade" satisfies MarketVerdict
      case "MissedCutoff":
        if (dryRun) {
          yield* Console.error(`${line} (a dry run sends nothing anyway)`)
          return "trade" satisfies MarketVerdict
        }
        return yield* CliFailure.failed(line)
      default:
        return yield* CliFailure.failed(line)
    }
  })

const addDays = (day: string, days: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)

/**
 * Whether a run of `day` under `schedule` may still send its orders now, through `account`'s broker: under
 * `close`, on its day before the market-on-close cutoff; under `after-close`, before the next session opens (its
 * market orders fill at that open). Fails (exit 1) saying why not.
 */
export const checkStillInTime = (account: AccountId, schedule: RunSchedule, day: TradingDay) =>
  Effect.gen(function*() {
    const broker = yield* Brokers.use((b) => b.get(account))
    const unreadable = (e: { readonly message: string }) => CliFailure.failed(`cannot read the market clock or calendar of ${account}: ${e.message}`)
    const status = yield* MarketSchedule.statusOf(broker, schedule).pipe(Effect.mapError(unreadable))
    const { check, now } = status
    if (schedule === "close") {
      if (now.day !== day) return yield* CliFailure.failed(`it is ${now.day} now: the run of ${day} traded that day's close`)
      if (check._tag !== "InTime") return yield* CliFailure.failed(describeCheck(schedule, check, now))
      return
    }
    const sessions = yield* broker.getCalendar({ start: addDays(day, 1), end: addDays(day, 14) }).pipe(Effect.mapError(unreadable))
    const next = sessions[0]
    if (next !== undefined && !isBefore(now, momentAt(next.date, next.open))) {
      return yield* CliFailure.failed(
        `it is ${now.day} ${wallClock(now.seconds)} New York time: the session after ${day} opened (${next.date} ${next.open}), where its orders were to fill`
      )
    }
  })

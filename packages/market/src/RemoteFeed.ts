/**
 * A remote feed as `RemoteBars.make` wires it (`Feed`: its provider, universe, kept bars and kept corporate
 * actions), and the days it can answer: a calendar date, complete (20:00 New York), within the kept bars, a session
 * of them. Each check fails with the `MarketDataError` a query of another day gets.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { Ticker, TradingDay } from "@council/domain"
import * as BarIndex from "./BarIndex.ts"
import type { CorporateAction } from "./CorporateAction.ts"
import { MarketDataError } from "./MarketData.ts"
import { COMPLETE_HOUR, lastCompleteDay } from "./NewYorkDays.ts"
import type { Provider } from "./RemoteBars.ts"
import type * as RemoteStore from "./RemoteStore.ts"

/** The parts of one remote feed. */
export interface Feed {
  readonly provider: Provider
  /** The universe in `BarIndex` order (`SPY` first, then alphabetical), without duplicates. */
  readonly universe: ReadonlyArray<Ticker>
  /** The kept bars widened to `[from, to]` (`RemoteStore`). */
  readonly ensure: (from: TradingDay, to: TradingDay) => Effect.Effect<RemoteStore.Store, MarketDataError>
  /** The kept corporate actions with an ex-date in `[from, to]` (`RemoteActions`). */
  readonly actions: (from: TradingDay, to: TradingDay) => Effect.Effect<ReadonlyArray<CorporateAction>, MarketDataError>
}

/** Calendar days to fetch before an as-of day so that `lookback` sessions are there (≈252 sessions a year). */
export const calendarSpan = (lookback: number): number => Math.ceil(lookback * 1.5) + 14

export const minDay = (a: TradingDay, b: TradingDay): TradingDay => (a < b ? a : b)

export const notCalendarDate = (day: string) =>
  new MarketDataError({ reason: "NotATradingDay", message: `${day} is not a calendar date` })

/** The last complete day, failing when `day` is not a date or not complete yet. */
export const completeUpTo = Effect.fnUntraced(function*(feed: Feed, day: TradingDay) {
  if (!BarIndex.isCalendarDate(day)) return yield* notCalendarDate(day)
  const complete = lastCompleteDay(yield* Clock.currentTimeMillis)
  if (day > complete) {
    return yield* new MarketDataError({
      reason: "OutOfRange",
      message:
        `${day} is not complete yet: ${feed.provider.name} bars are final after ${COMPLETE_HOUR}:00 New York time (the last complete day is ${complete})`
    })
  }
  return complete
})

/** The kept bars' index and service, failing when the kept range holds none. */
export const viewOf = (feed: Feed, current: RemoteStore.Store, asOf: TradingDay) =>
  current.view
    ? Effect.succeed(current.view)
    : Effect.fail(
      new MarketDataError({
        reason: "OutOfRange",
        message: `${feed.provider.name} has no bars between ${current.from} and ${current.to} (asked as of ${asOf})`
      })
    )

export const lastSession = (index: BarIndex.BarIndex): TradingDay => index.sessions[index.sessions.length - 1]!

export const notASession = (day: TradingDay, index: BarIndex.BarIndex) =>
  new MarketDataError({
    reason: "NotATradingDay",
    message: `${day} is not a trading session (the nearest earlier session is ${lastSession(index)})`
  })

export const checkLookback = (lookback: number): Effect.Effect<void> =>
  Number.isInteger(lookback) && lookback >= 0
    ? Effect.void
    : Effect.die(new RangeError(`lookback must be a non-negative integer, got ${lookback}`))

export const unknownSymbol = (feed: Feed, symbol: Ticker) =>
  new MarketDataError({
    reason: "UnknownSymbol",
    message: `${symbol} is not in the universe (${feed.universe.join(", ")})`
  })

/**
 * The market data feed: universe, trading calendar and daily bars, always as of a day.
 *
 * **When to use**: every stage and adapter that needs prices goes through this service; stages wrap calls in the
 * `Recorder` so replays are exact.
 *
 * **Gotchas**
 * - As-of safety is the feed's job: asking as of day D never returns a bar dated after D, whatever the feed.
 * - A day that is not a session fails with `MarketDataError` reason `NotATradingDay`, a day past the data with
 *   `OutOfRange`; the CLI prints their `message` as the one-line error.
 * - `snapshot` and `ensureTradingDay` need a real session. `bars` accepts any day inside the data and ends at the
 *   last session on or before it. `sessions` clips its range to the data. `lookback` must be a non-negative
 *   integer (anything else is a defect); near the start of the data fewer bars come back.
 * - `fromIndex` holds the rules for every feed built on a `BarIndex`; `layerTest` builds one from in-memory bars.
 * - Bars are raw (the prices that traded). `corporateActions` says what splits and cash dividends took effect in a
 *   range (`CorporateAction`: ex-dates, never after today: an action is known from its ex-date on); the local
 *   bars have none.
 * - `snapshotDuring` (the `close` schedule) from recorded daily bars knows only the as-of day's open: the day's
 *   bar becomes open = high = low = close = the open, volume 0 (`sessionSoFar`). A live feed may know more (the
 *   session's bar so far and its latest trade); never the close.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { type Bar, type MarketSnapshot, parseMoment, type SymbolHistory, type Ticker, type TradingDay, type Universe } from "@council/domain"
import type { CorporateAction } from "./CorporateAction.ts"
import * as BarIndex from "./BarIndex.ts"
import { knownJson, knownJsonIf } from "./SnapshotJson.ts"

export class MarketDataError extends Schema.TaggedError<MarketDataError>()("MarketDataError", {
  reason: Schema.Literals(["NotATradingDay", "OutOfRange", "UnknownSymbol", "Unavailable", "InvalidData"]),
  message: Schema.String
}) {}

export interface BarsQuery {
  readonly symbol: Ticker
  /** Inclusive; the last bar returned is on or before this day. */
  readonly asOf: TradingDay
  /** How many sessions back to return, counting the as-of day. */
  readonly lookback: number
}

export class MarketData extends Context.Service<MarketData, {
  /** The symbols the council may trade. */
  readonly universe: Effect.Effect<Universe, MarketDataError>
  /** The latest session the feed has a complete bar for. */
  readonly latestTradingDay: Effect.Effect<TradingDay, MarketDataError>
  /** Fails unless `day` is a session the feed knows. */
  readonly ensureTradingDay: (day: TradingDay) => Effect.Effect<TradingDay, MarketDataError>
  /** Sessions in `[from, to]`, ascending. */
  readonly sessions: (from: TradingDay, to: TradingDay) => Effect.Effect<ReadonlyArray<TradingDay>, MarketDataError>
  readonly bars: (query: BarsQuery) => Effect.Effect<ReadonlyArray<Bar>, MarketDataError>
  /** The universe's history up to and including `asOf`. */
  readonly snapshot: (asOf: TradingDay, lookback: number) => Effect.Effect<MarketSnapshot, MarketDataError>
  /**
   * The universe as known at `at` (RFC 3339, a moment during `asOf`'s session): the bars before `asOf` and its
   * session so far as the last bar, marked `intraday`. Never the session's close.
   */
  readonly snapshotDuring: (asOf: TradingDay, at: string, lookback: number) => Effect.Effect<MarketSnapshot, MarketDataError>
  /**
   * The splits and cash dividends of the universe whose ex-date is in `[from, to]` (inclusive), ordered by ex-date
   * (`CorporateAction.actionOrder`). Nothing dated after today; none from a feed without them.
   */
  readonly corporateActions: (from: TradingDay, to: TradingDay) => Effect.Effect<ReadonlyArray<CorporateAction>, MarketDataError>
}>()("@council/market/MarketData") {
  /** The service over an in-memory `BarIndex` (what `LocalBars` and `layerTest` provide). */
  static readonly fromIndex = (index: BarIndex.BarIndex): MarketData["Service"] => make(index)

  /** A feed over in-memory bars keyed by symbol; every symbol must share the same dates. */
  static readonly layerTest = (bars: Readonly<Record<string, ReadonlyArray<Bar>>>): Layer.Layer<MarketData, MarketDataError> =>
    Layer.effect(
      MarketData,
      Effect.suspend(() =>
        Effect.fromResult(BarIndex.make(Object.entries(bars).map(([symbol, rows]) => ({
          symbol,
          source: `bars for ${symbol}`,
          dates: rows.map((b) => b.date),
          open: rows.map((b) => b.open),
          high: rows.map((b) => b.high),
          low: rows.map((b) => b.low),
          close: rows.map((b) => b.close),
          volume: rows.map((b) => b.volume)
        }))))
      ).pipe(
        Effect.mapError((message) => new MarketDataError({ reason: "InvalidData", message })),
        Effect.map(make)
      )
    )
}

/** A bar as known during its session from daily bars alone: its open, and nothing else. */
export const openOnly = (bar: Bar): Bar => ({
  date: bar.date,
  open: bar.open,
  high: bar.open,
  low: bar.open,
  close: bar.open,
  volume: 0
})

/**
 * `snapshot` (complete up to `asOf`) cut to what daily bars know at `at` during `asOf`'s session: its bar becomes
 * `openOnly`. Fails `InvalidData` unless `at` is an RFC 3339 moment on `asOf` (New York date).
 */
export const sessionSoFar = (snapshot: MarketSnapshot, at: string): Effect.Effect<MarketSnapshot, MarketDataError> => {
  const invalid = notDuring(snapshot.asOf, at)
  if (invalid !== undefined) return Effect.fail(invalid)
  const history = snapshot.history.map((h) => ({
    symbol: h.symbol,
    bars: BarIndex.derivedWindow(h.bars, h.bars.map((bar) => (bar.date === snapshot.asOf ? openOnly(bar) : bar)))
  }))
  return Effect.succeed(knownJsonIf(snapshot, { ...snapshot, history, intraday: { at, through: "open" } }))
}

/** Why `at` cannot be a moment during `day`'s session, if it cannot. */
const notDuring = (day: TradingDay, at: string): MarketDataError | undefined => {
  const moment = parseMoment(at)
  return moment === undefined || moment.day !== day
    ? new MarketDataError({ reason: "InvalidData", message: `${at} is not a moment of ${day}'s session` })
    : undefined
}

const outOfRange = (sessions: ReadonlyArray<TradingDay>, day: TradingDay): MarketDataError | undefined => {
  const firstDay = sessions[0]!
  const lastDay = sessions[sessions.length - 1]!
  return day > lastDay
    ? new MarketDataError({ reason: "OutOfRange", message: `${day} is after the last session in the data (${lastDay})` })
    : day < firstDay
    ? new MarketDataError({
      reason: "OutOfRange",
      message: `${day} is before the first session in the data (${firstDay})`
    })
    : undefined
}

/** Index of the session on or before `day`, failing outside the data or for a malformed date. */
const locate = (sessions: ReadonlyArray<TradingDay>, day: TradingDay): Result.Result<number, MarketDataError> => {
  if (!BarIndex.isCalendarDate(day)) {
    return Result.fail(new MarketDataError({ reason: "NotATradingDay", message: `${day} is not a calendar date` }))
  }
  const range = outOfRange(sessions, day)
  return range ? Result.fail(range) : Result.succeed(BarIndex.lastAtOrBefore(sessions, day))
}

/** Index of the session `day`, failing when `day` is no session of the data. */
const locateSession = (sessions: ReadonlyArray<TradingDay>, day: TradingDay): Result.Result<number, MarketDataError> =>
  Result.flatMap(locate(sessions, day), (i) =>
    sessions[i] === day
      ? Result.succeed(i)
      : Result.fail(
        new MarketDataError({
          reason: "NotATradingDay",
          message: `${day} is not a trading session (the nearest earlier session is ${sessions[i]})`
        })
      ))

const checkLookback = (lookback: number): Effect.Effect<void> =>
  Number.isInteger(lookback) && lookback >= 0
    ? Effect.void
    : Effect.die(new RangeError(`lookback must be a non-negative integer, got ${lookback}`))

const columnsOf = (index: BarIndex.BarIndex, symbol: Ticker): Result.Result<BarIndex.SeriesColumns, MarketDataError> => {
  const columns = index.columns.get(symbol)
  return columns
    ? Result.succeed(columns)
    : Result.fail(
      new MarketDataError({
        reason: "UnknownSymbol",
        message: `${symbol} is not in the universe (${index.universe.join(", ")})`
      })
    )
}

/** The universe's bars up to `asOf`'s session (its index `end`); `during`: its bar is `openOnly` (`sessionSoFar`). */
const historyOf = (index: BarIndex.BarIndex, end: number, lookback: number, during: boolean): Array<SymbolHistory> =>
  index.universe.map((symbol) => {
    const bars = BarIndex.slice(index, index.columns.get(symbol)!, end - lookback + 1, end)
    // a fresh slice, strictly ascending and ending at the session: its last bar is the only one of that day
    if (during && bars.length > 0) bars[bars.length - 1] = openOnly(bars[bars.length - 1]!)
    return { symbol, bars }
  })

const make = (index: BarIndex.BarIndex): MarketData["Service"] => {
  const { sessions } = index
  const lastDay = sessions[sessions.length - 1]!
  const universe: Universe = [...index.universe]

  const snapshot = Effect.fnUntraced(function*(asOf: TradingDay, lookback: number) {
    yield* checkLookback(lookback)
    const end = yield* Effect.fromResult(locateSession(sessions, asOf))
    return knownJson({ asOf, universe, history: historyOf(index, end, lookback, false) })
  })

  /** `sessionSoFar` of `snapshot`, without building the complete snapshot first (a backtest asks every session). */
  const snapshotDuring = Effect.fnUntraced(function*(asOf: TradingDay, at: string, lookback: number) {
    yield* checkLookback(lookback)
    const end = yield* Effect.fromResult(locateSession(sessions, asOf))
    const invalid = notDuring(asOf, at)
    if (invalid !== undefined) return yield* invalid
    return knownJson({ asOf, universe, history: historyOf(index, end, lookback, true), intraday: { at, through: "open" } })
  })

  return MarketData.of({
    universe: Effect.succeed(universe),
    latestTradingDay: Effect.succeed(lastDay),
    ensureTradingDay: (day) => Effect.fromResult(Result.map(locateSession(sessions, day), () => day)),
    sessions: (from, to) =>
      Effect.sync(() => {
        const start = BarIndex.lastAtOrBefore(sessions, from)
        const lo = start >= 0 && sessions[start] === from ? start : start + 1
        const hi = BarIndex.lastAtOrBefore(sessions, to)
        return sessions.slice(lo, hi + 1)
      }),
    bars: Effect.fnUntraced(function*(query: BarsQuery) {
      yield* checkLookback(query.lookback)
      const columns = yield* Effect.fromResult(columnsOf(index, query.symbol))
      const end = yield* Effect.fromResult(locate(sessions, query.asOf))
      return BarIndex.slice(index, columns, end - query.lookback + 1, end)
    }),
    snapshot,
    snapshotDuring,
    corporateActions: () => noActions
  })
}

const noActions: Effect.Effect<ReadonlyArray<CorporateAction>> = Effect.succeed([])

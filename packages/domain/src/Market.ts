/**
 * Market data: bars, universe and the per-day snapshot the PMs see.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Ticker, TradingDay } from "./Ids.ts"

export const Bar = Schema.Struct({
  date: TradingDay,
  open: Schema.Finite,
  high: Schema.Finite,
  low: Schema.Finite,
  close: Schema.Finite,
  volume: Schema.Finite
})
export type Bar = typeof Bar.Type

export const Universe = Schema.Array(Ticker).check(Schema.isMinLength(1))
export type Universe = typeof Universe.Type

export const SymbolHistory = Schema.Struct({
  symbol: Ticker,
  /** Ascending, the last one is the as-of day's bar. */
  bars: Schema.Array(Bar)
})
export type SymbolHistory = typeof SymbolHistory.Type

/**
 * How much of the as-of day's session a snapshot taken during it holds (the `close` schedule).
 * - `open`: only the day's open (recorded daily bars: the open is the only price of the day that may be seen).
 * - `latest-trade`: the day's bar so far (open, high and low so far) and the latest trade as its `close` (a live feed).
 */
export const SessionSoFar = Schema.Struct({
  /** When the session stood so: RFC 3339 with the New York offset. */
  at: Schema.String,
  through: Schema.Literals(["open", "latest-trade"])
})
export type SessionSoFar = typeof SessionSoFar.Type

/**
 * Everything the council may know at the run's moment: history up to and including the as-of day, nothing after.
 * Without `intraday` the as-of day's bar is complete (a run after the close). With `intraday` the run happens
 * during the session and the last bar is the session so far: its `close` is the latest price known at
 * `intraday.at` (for `through: "open"`, the open: open, high, low and close equal, volume 0), never the close.
 */
export const MarketSnapshot = Schema.Struct({
  asOf: TradingDay,
  universe: Universe,
  history: Schema.Array(SymbolHistory),
  intraday: Schema.optionalKey(SessionSoFar)
})
export type MarketSnapshot = typeof MarketSnapshot.Type

/**
 * The last price of `symbol` in the snapshot: the as-of day's close after the close, the latest price known during
 * the session (`intraday`).
 */
export const closeOf = (snapshot: MarketSnapshot, symbol: Ticker): number | undefined => {
  const bars = snapshot.history.find((h) => h.symbol === symbol)?.bars
  return bars?.[bars.length - 1]?.close
}

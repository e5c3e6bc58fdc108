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

/** Everything the council may know on a trading day: history up to and including the as-of day, nothing after. */
export const MarketSnapshot = Schema.Struct({
  asOf: TradingDay,
  universe: Universe,
  history: Schema.Array(SymbolHistory)
})
export type MarketSnapshot = typeof MarketSnapshot.Type

/** The close of `symbol` on the snapshot's as-of day. */
export const closeOf = (snapshot: MarketSnapshot, symbol: Ticker): number | undefined => {
  const bars = snapshot.history.find((h) => h.symbol === symbol)?.bars
  return bars?.[bars.length - 1]?.close
}

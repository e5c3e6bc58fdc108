/**
 * Market data as the exchange reads it: the last bars of a symbol on or before a session, its close, and its bar
 * on the session itself — failing with the exchange's messages for unknown symbols and missing prices.
 *
 * **Gotchas**: bars on or before a session never change, so each (symbol, session, count) is asked of the feed
 * once and remembered (up to a few thousand; then the memory starts over). Failures are not remembered.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { Bar, Ticker, TradingDay } from "@council/domain"
import type { MarketData, MarketDataError } from "@council/market"
import type { BrokerError } from "@council/broker"
import { markPosition } from "./AccountState.ts"
import type { ExchangePosition } from "./ExchangeRecords.ts"
import { invalid } from "./ExchangeErrors.ts"
import type { OrderRow, PositionRow } from "./Ledger.ts"

const MEMORY = 4096

export const make = (market: MarketData["Service"]) => {
  const known = new Map<string, ReadonlyArray<Bar>>()
  const remember = (key: string, bars: ReadonlyArray<Bar>) => {
    if (known.size >= MEMORY) known.clear()
    known.set(key, bars)
  }

  /** The latest `count` bars on or before `day`, failing for an unknown symbol or none at all. */
  const lastBars = (
    symbol: Ticker,
    day: TradingDay,
    count: number
  ): Effect.Effect<ReadonlyArray<Bar>, BrokerError | MarketDataError> => {
    const key = `${symbol} ${day} ${count}`
    const hit = known.get(key)
    return hit !== undefined ? Effect.succeed(hit) : Effect.tap(fetchBars(symbol, day, count), (bars) => Effect.sync(() => remember(key, bars)))
  }

  const fetchBars = (symbol: Ticker, day: TradingDay, count: number) =>
    market.bars({ symbol, asOf: day, lookback: count }).pipe(
      Effect.catchTag("MarketDataError", (error): Effect.Effect<never, BrokerError | MarketDataError> =>
        error.reason === "UnknownSymbol" ? Effect.fail(invalid(`asset ${symbol} not found`)) : Effect.fail(error)),
      Effect.flatMap((bars) =>
        bars.length === 0 ? Effect.fail(invalid(`no price for ${symbol} on or before ${day}`)) : Effect.succeed(bars)
      )
    )

  const closeOf = (symbol: Ticker, day: TradingDay) => Effect.map(lastBars(symbol, day, 1), (bars) => bars[bars.length - 1]!.close)

  /** The bar of `day` itself, if the symbol has one. */
  const barOn = (symbol: Ticker, day: TradingDay) =>
    Effect.map(lastBars(symbol, day, 1), (bars): Bar | undefined => {
      const bar = bars[bars.length - 1]
      return bar?.date === day ? bar : undefined
    })

  /** Every position marked at `day`'s close, with the previous close and the shares open exits hold. */
  const markAll = (
    rows: ReadonlyArray<PositionRow>,
    open: ReadonlyArray<OrderRow>,
    day: TradingDay
  ): Effect.Effect<ReadonlyArray<ExchangePosition>, BrokerError | MarketDataError> => {
    const marked: Array<ExchangePosition> = []
    for (const row of rows) {
      const bars = known.get(`${row.symbol} ${day} 2`)
      if (bars === undefined) {
        return Effect.forEach(rows, (r) => Effect.map(lastBars(r.symbol, day, 2), (b) => markPosition(r, b, open)))
      }
      marked.push(markPosition(row, bars, open))
    }
    return Effect.succeed(marked)
  }

  return { lastBars, closeOf, barOn, markAll }
}

export type Prices = ReturnType<typeof make>

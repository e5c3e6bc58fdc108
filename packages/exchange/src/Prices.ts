/**
 * Market data as the exchange reads it: the last bars of a symbol on or before a session, its bar on the session
 * itself, and the latest price known at a point in time — failing with the exchange's messages for unknown
 * symbols and missing prices.
 *
 * **What is known when**: during a session (its open passed, not its close) the session's open is the latest
 * price, the previous close the day's reference; from its close on, the close. Nothing of a session is read before
 * its open, and nothing of its bar but the open before its close.
 *
 * **Gotchas**: bars on or before a session never change, so each (symbol, session, count) is asked of the feed
 * once and remembered (up to a few thousand; then the memory starts over). Failures are not remembered.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { Bar, Ticker, TradingDay } from "@council/domain"
import type { SessionPoint } from "./Calendar.ts"
import type { MarketData, MarketDataError } from "@council/market"
import type { BrokerError } from "@council/broker"
import { markPosition } from "./AccountState.ts"
import type { ExchangePosition } from "./ExchangeRecords.ts"
import { invalid } from "./ExchangeErrors.ts"
import type { OrderRow, PositionRow } from "./Ledger.ts"

const MEMORY = 4096

/** A symbol the feed does not know or has no bar for (the exchange's message for it). */
const isInvalid = (error: BrokerError | MarketDataError): boolean => error._tag === "BrokerError" && error.reason === "InvalidRequest"

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
    return hit !== undefined ? Effect.succeed(hit) : fetchBars(symbol, day, count, key)
  }

  /** The bars, remembered under `key` once found (in the step that checks them: a miss takes no step of its own). */
  const fetchBars = (symbol: Ticker, day: TradingDay, count: number, key: string) =>
    market.bars({ symbol, asOf: day, lookback: count }).pipe(
      Effect.catchTag("MarketDataError", (error): Effect.Effect<never, BrokerError | MarketDataError> =>
        error.reason === "UnknownSymbol" ? Effect.fail(invalid(`asset ${symbol} not found`)) : Effect.fail(error)),
      Effect.flatMap((bars) => {
        if (bars.length === 0) return Effect.fail(invalid(`no price for ${symbol} on or before ${day}`))
        remember(key, bars)
        return Effect.succeed(bars)
      })
    )

  /** The latest price at `point` and the close before it (see the module's rule). */
  const latestOf = (bars: ReadonlyArray<Bar>, point: SessionPoint): { readonly price: number; readonly lastday: number } => {
    const last = bars[bars.length - 1]!
    const before = bars.length > 1 ? bars[bars.length - 2]!.close : last.close
    if (point.phase === "open" && last.date === point.session) return { price: last.open, lastday: before }
    return { price: last.close, lastday: before }
  }

  /** The latest price of `symbol` known at `point`. */
  const priceAt = (symbol: Ticker, point: SessionPoint) =>
    Effect.map(lastBars(symbol, point.session, 2), (bars) => latestOf(bars, point).price)

  /**
   * The latest price at `point` of each of `symbols`, by symbol in their order; a symbol unknown to the feed or
   * without a bar on or before the session is left out. Remembered bars are read without an effect of their own:
   * a backtest's Reconcile marks the universe every session (`forEach` over `priceAt` cost ~10 effects a symbol).
   */
  const pricesAt = (symbols: ReadonlyArray<Ticker>, point: SessionPoint) =>
    Effect.gen(function*() {
      const prices: Record<string, number> = {}
      for (const symbol of symbols) {
        const bars = known.get(`${symbol} ${point.session} 2`) ??
          (yield* lastBars(symbol, point.session, 2).pipe(Effect.catchIf(isInvalid, () => Effect.undefined)))
        if (bars !== undefined) prices[symbol] = latestOf(bars, point).price
      }
      return prices
    })

  /** The bar of `day` itself, if the symbol has one. */
  const barOn = (symbol: Ticker, day: TradingDay) =>
    Effect.map(lastBars(symbol, day, 1), (bars): Bar | undefined => {
      const bar = bars[bars.length - 1]
      return bar?.date === day ? bar : undefined
    })

  /** Every position marked at the latest price known at `point`, with the previous close and the shares open exits hold. */
  const markAll = (
    rows: ReadonlyArray<PositionRow>,
    open: ReadonlyArray<OrderRow>,
    point: SessionPoint
  ): Effect.Effect<ReadonlyArray<ExchangePosition>, BrokerError | MarketDataError> => {
    const mark = (row: PositionRow, bars: ReadonlyArray<Bar>) => {
      const { lastday, price } = latestOf(bars, point)
      return markPosition(row, price, lastday, open)
    }
    const marked: Array<ExchangePosition> = []
    for (const row of rows) {
      const bars = known.get(`${row.symbol} ${point.session} 2`)
      if (bars === undefined) {
        return Effect.forEach(rows, (r) => Effect.map(lastBars(r.symbol, point.session, 2), (b) => mark(r, b)))
      }
      marked.push(mark(row, bars))
    }
    return Effect.succeed(marked)
  }

  /** The latest price at `point` of each symbol with an opening market order among `open` (what it reserves). */
  const marketPricesOf = (open: ReadonlyArray<OrderRow>, point: SessionPoint) => {
    const symbols = [...new Set(open.filter((o) => o.type === "market" && o.position_effect === "open").map((o) => o.symbol))]
    return symbols.length === 0
      ? Effect.succeed(new Map<string, number>())
      : Effect.map(
        Effect.forEach(symbols, (symbol) => Effect.map(priceAt(symbol, point), (price) => [symbol, price] as const)),
        (entries) => new Map<string, number>(entries)
      )
  }

  return { lastBars, priceAt, pricesAt, barOn, markAll, marketPricesOf }
}

export type Prices = ReturnType<typeof make>

/**
 * Closes from the market data as one share held since a book's first session (its splits and dividends applied as
 * the exchange applies them to the accounts, `CorporateAction.holdings`): SPY's for the benchmark (`benchmarkOn`),
 * every universe symbol's for the paper baselines (`closesOn`).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Ticker, type TradingDay } from "@council/domain"
import { CorporateAction, MarketData } from "@council/market"
import type { PaperSession } from "./Baselines.ts"
import { BENCHMARK } from "./StandingsModel.ts"

export const NO_ACTION: CorporateAction.Holding = { shares: 1, cash: 0 }

/**
 * The span of `sessions` (ascending) the market data has bars of: from the first to the last, or to the data's latest
 * session when the book goes past it (a live book's latest session before the day's bar is complete); `undefined`
 * when it has none of them.
 */
const spanInData = (market: MarketData["Service"], sessions: ReadonlyArray<TradingDay>) =>
  Effect.gen(function*() {
    const first = sessions[0]
    const last = sessions.at(-1)
    if (first === undefined || last === undefined) return undefined
    const latest = yield* market.latestTradingDay
    const end = last <= latest ? last : latest
    if (end < first) return undefined
    return { end, length: (yield* market.sessions(first, end)).length }
  })

/**
 * SPY's close on each of `sessions` the market data has a bar of, with one share's holding there (its splits and
 * dividends since the first), or `None` when the market data cannot give them.
 */
export const benchmarkOn = (sessions: ReadonlyArray<TradingDay>) =>
  Effect.gen(function*() {
    const market = yield* MarketData
    const span = yield* spanInData(market, sessions)
    if (span === undefined) return Option.some(new Map<string, { readonly close: number; readonly holding: CorporateAction.Holding }>())
    const symbol = Ticker.make(BENCHMARK)
    const bars = yield* market.bars({ symbol, asOf: span.end, lookback: span.length })
    const held = yield* holdingsOver(market, symbol, bars.map((b) => b.date))
    return Option.some(new Map(bars.map((b, i) => [b.date, { close: b.close, holding: held[i]! }])))
  }).pipe(Effect.catchTag("MarketDataError", () => Effect.succeed(Option.none())))

/**
 * One share of `symbol` held from the first of `dates` on each of them (`CorporateAction.holdings`): the splits and
 * dividends of the feed, as the exchange applies them to the accounts. The bundled bars have none: one share, no cash.
 */
const holdingsOver = (market: MarketData["Service"], symbol: Ticker, dates: ReadonlyArray<TradingDay>) =>
  dates.length === 0
    ? Effect.succeed([])
    : Effect.map(market.corporateActions(dates[0]!, dates.at(-1)!), (actions) => CorporateAction.holdings(dates, actions, symbol))

/**
 * Every universe symbol's close on each of `sessions` (ascending) the market data has, with the prices of the
 * session's moment where it comes before the close (`marks`); symbols the feed cannot give are left out.
 */
export const closesOn = (sessions: ReadonlyArray<TradingDay>, marks: ReadonlyMap<TradingDay, ReadonlyMap<Ticker, number>>) =>
  Effect.gen(function*() {
    const market = yield* MarketData
    if (sessions.length === 0) return []
    const span = yield* spanInData(market, sessions)
    const closes = new Map<TradingDay, Map<Ticker, number>>(sessions.map((d) => [d, new Map()]))
    const heldOn = new Map<TradingDay, Map<Ticker, CorporateAction.Holding>>(sessions.map((d) => [d, new Map()]))
    // a session past the data's latest (a live one before its complete bar) has no closes: nothing trades on it
    if (span !== undefined) {
      for (const symbol of yield* market.universe) {
        const bars = yield* market.bars({ symbol, asOf: span.end, lookback: span.length }).pipe(Effect.orElseSucceed(() => []))
        const held = yield* holdingsOver(market, symbol, bars.map((b) => b.date))
        bars.forEach((bar, i) => {
          closes.get(bar.date)?.set(symbol, CorporateAction.valueAt(held[i]!, bar.close))
          heldOn.get(bar.date)?.set(symbol, held[i]!)
        })
      }
    }
    // the baselines trade a share held from the first session: its value with the splits and dividends since
    return sessions.map((date): PaperSession => {
      const during = marks.get(date)
      const held = heldOn.get(date)!
      const valued = during === undefined
        ? undefined
        : new Map([...during].map(([symbol, price]) => [symbol, CorporateAction.valueAt(held.get(symbol) ?? NO_ACTION, price)] as const))
      return { date, closes: closes.get(date)!, ...(valued === undefined ? {} : { marks: valued }) }
    })
  }).pipe(Effect.orElseSucceed((): ReadonlyArray<PaperSession> => []))

/**
 * The market side of the exchange server: clock, calendar and assets (trading API v2), daily bars and the latest
 * trades (market-data API v2), relative to the request's moment — bars never show what it could not know (`barKnownAt`). Shapes come
 * from `ExchangeMarketWire` and `AlpacaWire`; the clock and calendar are `LocalExchange`'s.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as AlpacaBarsWire from "@council/broker/AlpacaBarsWire"
import * as AlpacaWire from "@council/broker/AlpacaWire"
import { type NewYorkMoment, type Ticker, TradingDay } from "@council/domain"
import type { MarketData } from "@council/market"
import type { LocalExchange } from "../LocalExchange.ts"
import {
  assetId,
  assetOf,
  barKnownAt,
  barsPage,
  barWithin,
  parseTimeBound,
  type SymbolBars,
  type TimeBound
} from "./ExchangeMarketWire.ts"
import { dataError, isTicker, isTradingDay, json, listParam, notFound, type Reply, unprocessable, UUID } from "./HttpWire.ts"
import type { Handler } from "./Routes.ts"

const FAR_PAST = TradingDay.make("1970-01-01")
const DAY_MS = 86_400_000

/** The calendar day `days` before `day` (`YYYY-MM-DD`). */
const daysBefore = (day: string, days: number) => new Date(Date.parse(`${day}T00:00:00Z`) - days * DAY_MS).toISOString().slice(0, 10)
const FAR_FUTURE = TradingDay.make("9999-12-31")
const DAILY = /^1(Day|D)$/i
const TIMEFRAME = /^([1-9]|[1-5][0-9])(Min|T|Hour|H|Day|D|Week|W|Month|M)$/i

/** A calendar `start`/`end` parameter: its day, absent, or invalid. */
const dayParam = (value: string | null): string | undefined | "invalid" => {
  if (value === null || value === "") return undefined
  const day = value.slice(0, 10)
  return isTradingDay(day) && parseTimeBound(value) !== undefined ? day : "invalid"
}

interface BarsQuery {
  readonly limit: number
  readonly sort: "asc" | "desc"
  readonly start: TimeBound
  readonly end: TimeBound
  readonly pageToken: string | undefined
}

/** The bars query parameters (start and end default to the moment's day), or the reply that refuses them. */
const barsQueryOf = (query: URLSearchParams, session: string): BarsQuery | Reply => {
  const timeframe = query.get("timeframe")
  if (timeframe === null || timeframe === "") return dataError(400, "timeframe is required")
  if (!DAILY.test(timeframe)) {
    return dataError(422, TIMEFRAME.test(timeframe) ? "the local exchange serves daily bars only (timeframe 1Day)" : "invalid timeframe")
  }
  const limitText = query.get("limit")
  const limit = limitText === null || limitText === "" ? 1000 : Number(limitText)
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return dataError(422, "invalid limit")
  const sort = query.get("sort") ?? "asc"
  if (sort !== "asc" && sort !== "desc") return dataError(422, "invalid sort")
  const bound = (text: string | null): TimeBound | undefined =>
    text === null || text === "" ? { _tag: "Day", day: session } : parseTimeBound(text)
  const start = bound(query.get("start"))
  const end = bound(query.get("end"))
  if (start === undefined) return dataError(422, "invalid start")
  if (end === undefined) return dataError(422, "invalid end")
  return { limit, sort, start, end, pageToken: query.get("page_token") ?? undefined }
}

export const make = (market: MarketData["Service"], exchange: LocalExchange["Service"]) => {
  const universe = market.universe.pipe(Effect.orElseSucceed((): ReadonlyArray<Ticker> => []))

  /** A path symbol, whatever its case (`spy` is SPY), or asset id as a ticker of the universe, if it is one. */
  const resolveSymbol = (param: string) =>
    Effect.map(universe, (symbols) =>
      UUID.test(param)
        ? symbols.find((s) => assetId(s) === param.toLowerCase())
        : symbols.find((s) => s === param.toUpperCase()))

  // a session before the one the account has traded into can no longer be traded or read here: its clock is
  // refused (422) too, so a client's session check sees that before it starts a day (a moment earlier in the
  // account's own session is answered: the clock is a read). An account that never had an order holds no day
  // (`ExchangeAccount.traded`): its trading calls answer any moment, and so does its clock
  const getClock: Handler = ({ account, now }) =>
    Effect.gen(function*() {
      const held = yield* exchange.accountByKeyId(account.keyId)
      if (Option.isSome(held) && held.value.traded && held.value.lastSession > now.day) {
        return unprocessable(`the local exchange has traded ${account.account} into ${held.value.lastSession}; cannot trade ${now.day}`)
      }
      return json(200, AlpacaWire.toWireClock(yield* exchange.clock))
    })

  const getCalendar: Handler = ({ query }) =>
    Effect.gen(function*() {
      const start = dayParam(query.get("start"))
      const end = dayParam(query.get("end"))
      if (start === "invalid") return unprocessable("invalid start")
      if (end === "invalid") return unprocessable("invalid end")
      const days = yield* exchange.calendar(TradingDay.make(start ?? FAR_PAST), TradingDay.make(end ?? FAR_FUTURE)).pipe(
        Effect.orElseSucceed(() => [])
      )
      return json(200, days.map(AlpacaWire.toWireCalendarDay))
    })

  const listAssets: Handler = ({ query }) =>
    Effect.map(universe, (symbols) => {
      const status = query.get("status")
      const assetClass = query.get("asset_class")
      const none = (status !== null && status !== "" && status !== "active") ||
        (assetClass !== null && assetClass !== "" && assetClass !== "us_equity")
      return json(200, none ? [] : symbols.map(assetOf))
    })

  const getAsset: Handler = ({ params }) =>
    Effect.map(resolveSymbol(params[0]!), (symbol) => symbol === undefined ? notFound("asset not found") : json(200, assetOf(symbol)))

  /** The bars of `symbols` for the query as known at `now`, as one page; symbols that are not tickers are skipped. */
  const barsOf = (symbols: ReadonlyArray<string>, query: URLSearchParams, now: NewYorkMoment) =>
    Effect.gen(function*() {
      const parsed = barsQueryOf(query, now.day)
      if ("status" in parsed) return parsed
      const { end, start } = parsed
      const lastDay = end.day < now.day ? end.day : now.day
      const sessions = start.day > lastDay
        ? []
        : yield* market.sessions(TradingDay.make(start.day), TradingDay.make(lastDay)).pipe(
          Effect.orElseSucceed((): ReadonlyArray<TradingDay> => [])
        )
      const series: Array<SymbolBars> = []
      const asOf = sessions[sessions.length - 1]
      for (const symbol of new Set(symbols)) {
        if (asOf === undefined || !isTicker(symbol)) continue
        const bars = yield* market.bars({ symbol, asOf, lookback: sessions.length }).pipe(Effect.orElseSucceed(() => []))
        const known = bars.flatMap((bar) => barKnownAt(bar, now) ?? [])
        series.push({ symbol, bars: known.filter((bar) => barWithin(bar.date, start, end)) })
      }
      const page = barsPage(series, parsed)
      return "error" in page ? dataError(422, page.error) : page
    })

  const getBars: Handler = ({ now, query }) =>
    Effect.gen(function*() {
      const symbols = listParam(query.get("symbols"))
      if (symbols.length === 0) return dataError(400, "symbols is required")
      const page = yield* barsOf(symbols, query, now)
      return "status" in page ? page : json(200, { bars: page.bars, next_page_token: page.nextPageToken })
    })

  const getSymbolBars: Handler = ({ now, params, query }) =>
    Effect.gen(function*() {
      const symbol = params[0]!
      const page = yield* barsOf([symbol], query, now)
      return "status" in page
        ? page
        : json(200, { bars: page.bars[symbol] ?? [], symbol, next_page_token: page.nextPageToken })
    })

  /**
   * `GET /v2/stocks/trades/latest`: each symbol's price at the request's moment, the one its positions are marked at
   * (`LocalExchange.marks`: the session's open during it, its close from the close on), `t` that open or close;
   * symbols without a price are left out, as Alpaca leaves out symbols without a trade.
   */
  const getLatestTrades: Handler = ({ query }) =>
    Effect.gen(function*() {
      const symbols = listParam(query.get("symbols"))
      if (symbols.length === 0) return dataError(400, "symbols is required")
      const marks = yield* exchange.marks(symbols.filter(isTicker))
      return json(200, { trades: Object.fromEntries(Object.entries(marks.prices).map(([symbol, p]) => [symbol, { t: marks.at, p }])) })
    })

  /**
   * Each symbol's snapshot at `now`, by symbol (Alpaca's shape): `latestTrade` the price its positions are marked
   * at (as `getLatestTrades`), `dailyBar` its latest session's bar as known at `now` (during a session only its
   * open, `barKnownAt`; before the open the session before), `prevDailyBar` the one before. No quotes and no
   * minute bars exist here: `latestQuote` and `minuteBar` are null. Symbols without bars are left out.
   */
  const snapshotsOf = (symbols: ReadonlyArray<string>, now: NewYorkMoment) =>
    Effect.gen(function*() {
      const tickers = [...new Set(symbols)].filter(isTicker)
      const sessions = yield* market.sessions(TradingDay.make(daysBefore(now.day, 14)), TradingDay.make(now.day)).pipe(
        Effect.orElseSucceed((): ReadonlyArray<TradingDay> => [])
      )
      const asOf = sessions[sessions.length - 1]
      if (asOf === undefined || tickers.length === 0) return {}
      const marks = yield* exchange.marks(tickers)
      const out: Record<string, { readonly dailyBar: AlpacaBarsWire.WireBar } & Record<string, unknown>> = {}
      for (const symbol of tickers) {
        const bars = yield* market.bars({ symbol, asOf, lookback: 3 }).pipe(Effect.orElseSucceed(() => []))
        const known = bars.flatMap((bar) => barKnownAt(bar, now) ?? [])
        const daily = known[known.length - 1]
        if (daily === undefined) continue
        const previous = known[known.length - 2]
        const price = marks.prices[symbol]
        out[symbol] = {
          latestTrade: price === undefined ? null : { t: marks.at, p: price },
          latestQuote: null,
          minuteBar: null,
          dailyBar: AlpacaBarsWire.toWireBar(daily),
          prevDailyBar: previous === undefined ? null : AlpacaBarsWire.toWireBar(previous)
        }
      }
      return out
    })

  const getSnapshots: Handler = ({ now, query }) =>
    Effect.gen(function*() {
      const symbols = listParam(query.get("symbols"))
      if (symbols.length === 0) return dataError(400, "symbols is required")
      return json(200, yield* snapshotsOf(symbols, now))
    })

  /** `GET /v2/stocks/bars/latest`: each symbol's latest daily bar as known at the moment (a snapshot's `dailyBar`). */
  const getLatestBars: Handler = ({ now, query }) =>
    Effect.gen(function*() {
      const symbols = listParam(query.get("symbols"))
      if (symbols.length === 0) return dataError(400, "symbols is required")
      const snapshots = yield* snapshotsOf(symbols, now)
      return json(200, { bars: Object.fromEntries(Object.entries(snapshots).map(([symbol, snapshot]) => [symbol, snapshot.dailyBar])) })
    })

  const getSymbolSnapshot: Handler = ({ now, params }) =>
    Effect.map(snapshotsOf([params[0]!], now), (found) => {
      const snapshot = found[params[0]!]
      return snapshot === undefined ? dataError(404, `no snapshot for ${params[0]!.slice(0, 40)}`) : json(200, { symbol: params[0]!, ...snapshot })
    })

  return {
    resolveSymbol,
    getClock,
    getCalendar,
    listAssets,
    getAsset,
    getBars,
    getSymbolBars,
    getLatestTrades,
    getLatestBars,
    getSnapshots,
    getSymbolSnapshot
  }
}

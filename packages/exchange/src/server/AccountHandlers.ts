/**
 * The account endpoints beyond `GET /v2/account`: account configurations (`GET`/`PATCH
 * /v2/account/configurations`, `AccountConfigurations`) and the portfolio history (`GET
 * /v2/account/portfolio/history`, `PortfolioHistory`), and the guard that refuses new orders while
 * `suspend_trade` is on.
 *
 * **Portfolio history**: one point per session (`timeframe` `1D`, the default; `1Min`/`5Min`/`15Min`/`1H` are
 * refused, 422: the exchange keeps no intraday equity), the equity at each close; `timestamp` is the session's
 * New York midnight in epoch seconds (as Alpaca's daily points), `base_value` the equity at the close before the
 * first point (the initial cash before the account existed), `profit_loss`/`profit_loss_pct` each point's equity
 * against it. The window: `period` (`<n>D` sessions, `<n>W`/`<n>M`/`<n>A` calendar weeks, months, years; default
 * `1M`) ending at `date_end` (`YYYY-MM-DD`) or `end` (a timestamp: sessions closed by then), or from `start` (a
 * timestamp: sessions closing from then; with `period`, that long). Only sessions whose close the request's moment
 * has passed, and from the one the account was created in: a `date_end` past the present ends at the present.
 * `extended_hours` (true/false) changes nothing on daily points.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { BrokerError } from "@council/broker"
import { type AccountId, isoOf, momentAt, type Ticker, TradingDay } from "@council/domain"
import type { MarketData } from "@council/market"
import { applyPatch, type AccountConfigurations, SUSPENDED_MESSAGE } from "../AccountConfigurations.ts"
import { closeTimestamp } from "../Calendar.ts"
import type { AppliedAction } from "../CorporateActions.ts"
import type { LocalExchange } from "../LocalExchange.ts"
import { equityAtCloses, initialCashOf } from "../PortfolioHistory.ts"
import { booleanParam, instantParam, isRecord, json, malformedBody, parseJson, tradingError, unprocessable } from "./HttpWire.ts"
import type { Call, Handler } from "./Routes.ts"

export interface AccountDeps {
  readonly exchange: LocalExchange["Service"]
  readonly market: MarketData["Service"]
  readonly configurations: AccountConfigurations
  readonly applied: (account: AccountId) => Effect.Effect<ReadonlyArray<AppliedAction>, BrokerError>
}

const INTRADAY = new Set(["1Min", "5Min", "15Min", "1H"])
const DAY_MS = 86_400_000

const serverError = (account: AccountId) => (error: { readonly message: string }) =>
  new BrokerError({ account, reason: "ServerError", message: error.message, retryable: false })

/** `handler`, refused with Alpaca's 403 while the account's `suspend_trade` is on. */
export const unlessSuspended = (configurations: AccountConfigurations, handler: Handler): Handler => (call) =>
  configurations.current(call.account.account).suspend_trade
    ? Effect.succeed(tradingError(403, 40310000, SUSPENDED_MESSAGE))
    : handler(call)

/** A calendar day `months` months and `days` days before `day` (`YYYY-MM-DD`; the month's end when it has no such day). */
const dayBefore = (day: string, months: number, days: number): string => {
  const date = new Date(`${day}T00:00:00Z`)
  const target = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - months, 1))
  const lastOfMonth = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate()
  target.setUTCDate(Math.min(date.getUTCDate(), lastOfMonth))
  return new Date(target.getTime() - days * DAY_MS).toISOString().slice(0, 10)
}

interface Period {
  readonly count: number
  readonly unit: "D" | "W" | "M" | "A"
}

const parsePeriod = (text: string | null): Period | undefined | "invalid" => {
  if (text === null || text === "") return undefined
  const match = /^(\d{1,4})([DWMA])$/.exec(text)
  return match === null || Number(match[1]) < 1 ? "invalid" : { count: Number(match[1]), unit: match[2] as Period["unit"] }
}

/** The window's sessions of `all` (ascending, every one closed): by period back from the last, or from `start`. */
const windowOf = (all: ReadonlyArray<TradingDay>, period: Period, start: string | undefined, end: TradingDay): ReadonlyArray<TradingDay> => {
  if (start !== undefined) {
    const from = all.filter((d) => closeTimestamp(d) >= start)
    if (from.length === 0) return []
    const first = from[0]!
    const last = period.unit === "D" ? from[Math.min(from.length, period.count) - 1]! : undefined
    const limit = last ?? dayBefore(first, -periodMonths(period), -periodDays(period) + 1)
    return from.filter((d) => d <= limit)
  }
  if (period.unit === "D") return all.slice(Math.max(0, all.length - period.count))
  const after = dayBefore(end, periodMonths(period), periodDays(period))
  return all.filter((d) => d > after)
}

const periodMonths = (p: Period) => (p.unit === "M" ? p.count : p.unit === "A" ? 12 * p.count : 0)
const periodDays = (p: Period) => (p.unit === "W" ? 7 * p.count : 0)

/** The request's window bounds, or the reply refusing a parameter. */
const requestOf = (call: Call) => {
  const { query } = call
  const timeframe = query.get("timeframe") || "1D"
  if (INTRADAY.has(timeframe)) {
    return unprocessable(`timeframe ${timeframe} is not served: the local exchange keeps one equity per session (timeframe 1D)`)
  }
  if (timeframe !== "1D") return unprocessable(`invalid timeframe ${timeframe.slice(0, 40)}: expected 1Min, 5Min, 15Min, 1H or 1D`)
  const period = parsePeriod(query.get("period"))
  if (period === "invalid") return unprocessable(`invalid period ${query.get("period")!.slice(0, 40)}: expected a count and D, W, M or A (1M)`)
  const dateEnd = query.get("date_end")
  if (dateEnd !== null && dateEnd !== "" && !/^\d{4}-\d{2}-\d{2}$/.test(dateEnd)) {
    return unprocessable(`invalid date_end ${dateEnd.slice(0, 40)}: expected YYYY-MM-DD`)
  }
  const start = instantParam(query.get("start"))
  if (start === "invalid") return unprocessable(`invalid start ${query.get("start")!.slice(0, 40)}: expected an RFC 3339 timestamp`)
  const end = instantParam(query.get("end"))
  if (end === "invalid") return unprocessable(`invalid end ${query.get("end")!.slice(0, 40)}: expected an RFC 3339 timestamp`)
  if (start !== undefined && period !== undefined && (end !== undefined || (dateEnd !== null && dateEnd !== ""))) {
    return unprocessable("only two of start, end (date_end) and period can be given")
  }
  if (booleanParam(query.get("extended_hours")) === "invalid") {
    return unprocessable(`invalid extended_hours ${query.get("extended_hours")!.slice(0, 40)}: expected true or false`)
  }
  const endOpen = start !== undefined && period === undefined && end === undefined && (dateEnd === null || dateEnd === "")
  return {
    period: period ?? (endOpen ? { count: 100_000, unit: "D" as const } : { count: 1, unit: "M" as const }),
    start,
    end,
    dateEnd: dateEnd === null || dateEnd === "" ? undefined : dateEnd
  }
}

const epochSecondsOf = (day: TradingDay) => Date.parse(isoOf(momentAt(day, "00:00"))) / 1000

export const make = ({ applied, configurations, exchange, market }: AccountDeps) => {
  const getConfigurations: Handler = ({ account }) => Effect.succeed(json(200, configurations.current(account.account)))

  const patchConfigurations: Handler = ({ account, body }) =>
    Effect.gen(function*() {
      const parsed = parseJson(body)
      if (Result.isFailure(parsed) || !isRecord(parsed.success)) return malformedBody
      const next = applyPatch(configurations.current(account.account), parsed.success)
      if (Result.isFailure(next)) return unprocessable(next.failure)
      yield* configurations.update(account.account, next.success).pipe(Effect.mapError(serverError(account.account)))
      return json(200, next.success)
    })

  /** The closes of `symbols` for `sessions` (the last is the latest), by symbol and day. */
  const closesOf = (account: AccountId, symbols: ReadonlyArray<string>, sessions: ReadonlyArray<TradingDay>) =>
    Effect.map(
      Effect.forEach(symbols, (symbol) =>
        market.bars({ symbol: symbol as Ticker, asOf: sessions[sessions.length - 1]!, lookback: sessions.length }).pipe(
          Effect.map((bars) => [symbol, new Map(bars.map((b) => [b.date as string, b.close]))] as const),
          Effect.mapError(serverError(account))
        )),
      (entries) => new Map(entries)
    )

  const getPortfolioHistory: Handler = (call) =>
    Effect.gen(function*() {
      const request = requestOf(call)
      if ("status" in request) return request
      const id = call.account.account
      // the account at the request's moment first: a moment before its own point is refused, as every read is
      const snapshot = yield* exchange.snapshot(id)
      const point = yield* exchange.point
      const fills = yield* exchange.fills(id)
      const actions = yield* applied(id)
      // the latest session whose close the present has passed, and no later than the request's end
      const presentClose = point.phase === "closed" ? point.session : undefined
      const requestedEnd = request.dateEnd ?? (request.end === undefined ? undefined : request.end.slice(0, 10))
      const endDay = TradingDay.make(requestedEnd !== undefined && requestedEnd < point.session ? requestedEnd : point.session)
      const earliest = dayBefore(call.account.createdAt.slice(0, 10), 0, 10)
      const known = yield* market.sessions(TradingDay.make(earliest), endDay).pipe(Effect.mapError(serverError(id)))
      const closed = known.filter((d) =>
        (d < point.session || d === presentClose) && (request.end === undefined || closeTimestamp(d) <= request.end)
      )
      const existing = closed.filter((d) => closeTimestamp(d) >= call.account.createdAt)
      const window = windowOf(existing, request.period, request.start, endDay)
      const before = closed.filter((d) => window.length > 0 && d < window[0]!)
      const baseDay = before[before.length - 1]
      const days = baseDay === undefined ? window : [baseDay, ...window]
      const symbols = [...new Set([...fills.map((f) => f.symbol as string), ...actions.map((a) => a.symbol)])]
      const closes = days.length === 0 || symbols.length === 0 ? new Map() : yield* closesOf(id, symbols, days)
      const input = { cashNow: snapshot.cash, fills, actions, closes }
      const values = equityAtCloses(input, days)
      const equity = baseDay === undefined ? values : values.slice(1)
      // before its first session in the window's reach the account held nothing: its initial cash
      const base = baseDay === undefined ? initialCashOf(input) : values[0]!
      return json(200, {
        timestamp: window.map(epochSecondsOf),
        equity,
        profit_loss: equity.map((e) => Math.round((e - base) * 100) / 100),
        profit_loss_pct: equity.map((e) => (base === 0 ? 0 : (e - base) / base)),
        base_value: base,
        ...(baseDay === undefined ? {} : { base_value_asof: baseDay }),
        timeframe: "1D",
        cashflow: {}
      })
    })

  return { getConfigurations, patchConfigurations, getPortfolioHistory }
}

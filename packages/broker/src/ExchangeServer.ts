/**
 * The local paper exchange as an Alpaca-compatible HTTP server: the trading API v2 endpoints and the daily bars
 * of the market-data API, with Alpaca's JSON shapes, status codes and error bodies, over the same `LocalExchange`
 * core (ledger, fill model, sessions) as the in-process brokers — one implementation, two faces.
 *
 * **When to use**: `pnpm pipeline exchange serve`, or `ExchangeServer.layer({ port: 0 })` in tests and benchmarks
 * (scoped: listening when the layer is built, closed when it is released; read the bound `url`). Point any Alpaca
 * client at `url` (trading and data base URL) with a key pair from `LocalExchange.keys`.
 *
 * **Protocol**
 * - Auth: `APCA-API-KEY-ID` + `APCA-API-SECRET-KEY` must be a local account's pair (401
 *   `{"code":40110000,"message":"request is not authorized"}`); either header missing → 403
 *   `{"message":"forbidden."}`. Every endpoint, including the admin ones, needs a valid pair.
 * - Rate limit per key id: `rateLimitPerMinute` (default 200) in fixed epoch-minute windows; every response
 *   carries `X-Ratelimit-Limit/Remaining/Reset` (reset in epoch seconds); over the limit → 429
 *   `{"code":42910000,"message":"rate limit exceeded"}`.
 * - Session: the server trades one simulated session at a time (default: the latest session of the market data).
 *   The request header `X-Council-Session: YYYY-MM-DD` selects the session of that request only; the admin
 *   endpoint `POST /council/session {"date":"YYYY-MM-DD"}` moves the default (`GET /council/session` reads it).
 *   Clock and calendar answer relative to the session (the clock is 15:45 New York time of that day, open), and
 *   bars never go past it.
 * - Faults (`faultRate`, `faultKinds`, `seed`): a 429 with rate-limit headers (a momentary throttle: the reset is
 *   the next second, not the end of the minute window), a 500, a 503, or — for
 *   `POST /v2/orders` only — `dropped`: the order is placed in the ledger, then the connection is destroyed
 *   without a response. `latencyMs` delays every request. See `ExchangeFaults`.
 *
 * **Gotchas**
 * - Requests run with tracing off: the server exports no spans, and span bookkeeping was a third of the ledger's
 *   time per order.
 * - Request bodies are read whatever the `Content-Type` (the Go SDK sends none); `""` and `null` optional fields
 *   count as absent; decimals may be JSON strings or numbers.
 * - `GET /v2/orders` defaults to `nested=false` like Alpaca (legs listed as orders of their own); `side` is
 *   filtered after the core's `limit` is applied to at most 500 orders.
 * - `DELETE /v2/positions` closes each position separately (one 207 item each); closing a position always
 *   cancels that symbol's open orders first (the core's `closePosition`), whatever `cancel_orders` says.
 * - Not served: order replacement (`PATCH /v2/orders/{id}` → 422), notional and trailing-stop orders (422),
 *   account configurations, activities, streaming, quotes/trades/snapshots, non-daily timeframes.
 *
 * @since 0.1.0
 */
import { randomUUID, timingSafeEqual } from "node:crypto"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { Clock, Context, Effect, FiberSet, Layer, Option, Redacted, Ref, Result, Schema } from "effect"
import { type AccountId, Ticker, TradingDay } from "@council/domain"
import { MarketData, type MarketDataError } from "@council/market"
import type { SqlClient } from "effect/sql"
import {
  fromWireOrderRequest,
  toWireAccount,
  toWireError,
  toWireOrder,
  toWirePosition,
  type WireOrderSource,
  WireOrderRequest
} from "./alpaca/AlpacaWire.ts"
import { BrokerError } from "./Broker.ts"
import {
  type FaultKind,
  makeFaultPlan,
  makeRateLimiter,
  rateLimitHeaders
} from "./ExchangeFaults.ts"
import {
  assetId,
  assetOf,
  barsPage,
  barWithin,
  calendarDay,
  clockAt,
  parseTimeBound,
  type SymbolBars,
  type TimeBound
} from "./ExchangeMarketWire.ts"
import { ExchangeSession, SESSION_HEADER } from "./ExchangeSession.ts"
import {
  type ExchangeAccount,
  type ExchangeOrder,
  type ExchangePosition,
  LocalExchange,
  type LocalExchangeOptions
} from "./LocalExchange.ts"

/** The admin path that reads (`GET`) and moves (`POST {"date":"YYYY-MM-DD"}`) the default session. */
export const SESSION_PATH = "/council/session"

export const DEFAULT_PORT = 8787
export const DEFAULT_RATE_LIMIT = 200

export interface ExchangeServerOptions {
  /** Default 8787; 0 picks a free port (read it back from `ExchangeServer.port`/`url`). */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** Added to every request. Default 0. */
  readonly latencyMs?: number
  /** Probability in [0, 1] that a request gets a fault. Default 0. */
  readonly faultRate?: number
  /** Which faults may be injected. Default all four. */
  readonly faultKinds?: ReadonlyArray<FaultKind>
  /** Seeds the fault plan; default random (read it back from `ExchangeServer.seed`). */
  readonly seed?: number
  /** Requests per API key per minute. Default 200. */
  readonly rateLimitPerMinute?: number
  /** The default session. Default: the latest session in the market data. */
  readonly date?: TradingDay
  /** Accounts whose key pairs are created (at the default session) when missing. */
  readonly accounts?: ReadonlyArray<AccountId>
  readonly exchange?: LocalExchangeOptions
}

export class ExchangeServerError extends Schema.TaggedError<ExchangeServerError>()("ExchangeServerError", {
  message: Schema.String
}) {}

export class ExchangeServer extends Context.Service<ExchangeServer, {
  readonly host: string
  readonly port: number
  /** `http://host:port`, no trailing slash: the base URL of the trading and the market-data API. */
  readonly url: string
  /** The fault plan's seed. */
  readonly seed: number
  /** The default session (of requests without `X-Council-Session`). */
  readonly session: Effect.Effect<TradingDay>
  /** Moves the default session; fails `InvalidRequest` for a day that is not a session of the market data. */
  readonly setSession: (day: TradingDay) => Effect.Effect<void, BrokerError>
}>()("@council/broker/ExchangeServer") {
  /**
   * A listening server and the `LocalExchange` it serves (built here, over the given `SqlClient` and
   * `MarketData`, with a session that follows `X-Council-Session` and the default session). Calls on the
   * `LocalExchange` outside a request (e.g. `LocalExchange.broker` over it) run at the default session.
   */
  static readonly layer = (
    options: ExchangeServerOptions = {}
  ): Layer.Layer<ExchangeServer | LocalExchange, ExchangeServerError, SqlClient.SqlClient | MarketData> =>
    Layer.unwrap(Effect.gen(function*() {
      const market = yield* MarketData
      const initial = options.date ?? (yield* market.latestTradingDay.pipe(Effect.mapError(serverError)))
      yield* market.ensureTradingDay(initial).pipe(Effect.mapError(serverError))
      const defaultSession = yield* Ref.make(initial)
      const session = Layer.succeed(ExchangeSession, {
        current: Effect.flatMap(RequestSession, (day) => day === undefined ? Ref.get(defaultSession) : Effect.succeed(day))
      })
      return Layer.effect(ExchangeServer, make(options, defaultSession)).pipe(
        Layer.provideMerge(LocalExchange.layer(options.exchange).pipe(Layer.provide(session)))
      )
    }))
}

const serverError = (error: MarketDataError | BrokerError) => new ExchangeServerError({ message: error.message })

/** The session of the request being handled (`undefined` outside requests: the default session applies). */
const RequestSession = Context.Reference<TradingDay | undefined>("@council/broker/ExchangeServer/RequestSession", {
  defaultValue: () => undefined
})

// ---------------------------------------------------------------------------------------------------------------
// Replies

interface Reply {
  readonly status: number
  /** JSON body; none for 204. */
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

const json = (status: number, body: unknown): Reply => ({ status, body })
const tradingError = (status: number, code: number, message: string): Reply => json(status, { code, message })
const unprocessable = (message: string): Reply => tradingError(422, 40010001, message)
const malformedBody: Reply = tradingError(400, 40010000, "request body format is invalid")
const notAuthorized: Reply = tradingError(401, 40110000, "request is not authorized")
const forbidden: Reply = json(403, { message: "forbidden." })
const dataError = (status: number, message: string): Reply => json(status, { message })

const brokerErrorReply = (error: BrokerError): Reply => {
  const wire = toWireError(error)
  return { status: wire.status, body: wire.body, headers: wire.headers }
}

// ---------------------------------------------------------------------------------------------------------------
// Routing

interface Call {
  readonly params: ReadonlyArray<string>
  readonly query: URLSearchParams
  readonly body: string
  readonly account: ExchangeAccount
  readonly session: TradingDay
}

type Handler = (call: Call) => Effect.Effect<Reply, BrokerError>

interface Route {
  readonly method: string
  /** Path segments; `*` matches one segment (passed to the handler in order). */
  readonly path: ReadonlyArray<string>
  readonly handler: Handler
  /** Admin routes ignore `X-Council-Session` and never get faults. */
  readonly admin?: boolean
}

type Match =
  | { readonly _tag: "Found"; readonly route: Route; readonly params: ReadonlyArray<string> }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "MethodNotAllowed" }

const matchRoute = (routes: ReadonlyArray<Route>, method: string, segments: ReadonlyArray<string>): Match => {
  let pathMatched = false
  for (const route of routes) {
    if (route.path.length !== segments.length) continue
    const params: Array<string> = []
    let ok = true
    for (let i = 0; i < segments.length && ok; i++) {
      const pattern = route.path[i]!
      if (pattern === "*") params.push(segments[i]!)
      else ok = pattern === segments[i]
    }
    if (!ok) continue
    pathMatched = true
    if (route.method === method) return { _tag: "Found", route, params }
  }
  return pathMatched ? { _tag: "MethodNotAllowed" } : { _tag: "NotFound" }
}

/** Path segments, percent-decoded (so `/v2/orders%3Aby_client_order_id` matches the colon path too). */
const segmentsOf = (pathname: string): ReadonlyArray<string> | undefined => {
  const parts = pathname.split("/").filter((p) => p !== "")
  const decoded: Array<string> = []
  for (const part of parts) {
    try {
      decoded.push(decodeURIComponent(part))
    } catch {
      return undefined
    }
  }
  return decoded
}

// ---------------------------------------------------------------------------------------------------------------
// Request parsing helpers

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const isTicker = Schema.is(Ticker)
const isTradingDay = Schema.is(TradingDay)
const FAR_PAST = TradingDay.make("1970-01-01")
const FAR_FUTURE = TradingDay.make("9999-12-31")
const MAX_BODY_BYTES = 1_048_576

const parseJson = (text: string): Result.Result<unknown, void> => {
  try {
    return Result.succeed(JSON.parse(text))
  } catch {
    return Result.failVoid
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Drops `""` and `null` fields (also inside `take_profit`/`stop_loss`): absent, as far as Alpaca is concerned. */
const withoutEmpty = (body: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(body)) {
    if (value === "" || value === null) continue
    out[key] = isRecord(value) ? withoutEmpty(value) : value
  }
  return out
}

const decodeOrderRequest = Schema.decodeUnknownResult(WireOrderRequest)

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name]
  const text = Array.isArray(value) ? value[0] : value
  return text === undefined || text.trim() === "" ? undefined : text.trim()
}

const secretMatches = (expected: string, given: string): boolean => {
  const a = Buffer.from(expected, "utf8")
  const b = Buffer.from(given, "utf8")
  return a.length === b.length && timingSafeEqual(a, b)
}

const booleanParam = (value: string | null): boolean | undefined =>
  value === null ? undefined : value === "true" || value === "1" ? true : value === "false" || value === "0" ? false : undefined

const numberParam = (value: string | null): number | undefined | "invalid" => {
  if (value === null || value.trim() === "") return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : "invalid"
}

// ---------------------------------------------------------------------------------------------------------------
// Wire conversions of exchange records

const wireOrderSource = (order: ExchangeOrder): WireOrderSource => ({
  ...order,
  assetId: assetId(order.symbol),
  assetClass: "us_equity",
  legs: order.legs.map(wireOrderSource)
})

const wireOrder = (order: ExchangeOrder) => toWireOrder(wireOrderSource(order))

const wirePosition = (position: ExchangePosition) =>
  toWirePosition({ ...position, assetId: assetId(position.symbol), exchange: "ARCA", assetClass: "us_equity" })

// ---------------------------------------------------------------------------------------------------------------
// The server

const make = Effect.fnUntraced(function*(options: ExchangeServerOptions, defaultSession: Ref.Ref<TradingDay>) {
  const exchange = yield* LocalExchange
  const market = yield* MarketData
  const host = options.host ?? "127.0.0.1"
  const latencyMs = Math.max(0, options.latencyMs ?? 0)
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31)
  const faults = makeFaultPlan({
    rate: options.faultRate ?? 0,
    seed,
    ...(options.faultKinds === undefined ? {} : { kinds: options.faultKinds })
  })
  const limiter = makeRateLimiter(options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT)

  const invalidSession = (error: MarketDataError) =>
    new BrokerError({ account: "", reason: "InvalidRequest", message: error.message, retryable: false })

  const setSession = (day: TradingDay) =>
    market.ensureTradingDay(day).pipe(Effect.mapError(invalidSession), Effect.andThen(Ref.set(defaultSession, day)))

  // create the key pairs of the configured accounts that have none yet
  const existing = new Set((yield* exchange.keys.pipe(Effect.mapError(serverError))).map((k) => k.account))
  for (const account of options.accounts ?? []) {
    if (!existing.has(account)) yield* exchange.account(account).pipe(Effect.mapError(serverError))
  }

  // --- market helpers --------------------------------------------------------------------------------------------

  const universe = market.universe.pipe(Effect.orElseSucceed((): ReadonlyArray<Ticker> => []))

  /** Sessions from `from` on (to the end of the data). */
  const sessionsFrom = (from: TradingDay) =>
    market.sessions(from, FAR_FUTURE).pipe(Effect.orElseSucceed((): ReadonlyArray<TradingDay> => []))

  /** A path symbol (or asset id) as a ticker of the universe, if it is one. */
  const resolveSymbol = (param: string) =>
    Effect.map(universe, (symbols) =>
      UUID.test(param)
        ? symbols.find((s) => assetId(s) === param.toLowerCase())
        : symbols.find((s) => s === param))

  // --- trading handlers ------------------------------------------------------------------------------------------

  const getAccount: Handler = ({ account, session }) =>
    Effect.gen(function*() {
      const snapshot = yield* exchange.snapshot(account.account)
      return json(200, toWireAccount(snapshot, {
        id: account.uuid,
        createdAt: account.createdAt,
        shortingEnabled: account.shortingEnabled,
        balanceAsOf: session
      }))
    })

  const getPositions: Handler = ({ account }) =>
    Effect.map(exchange.positions(account.account), (positions) => json(200, positions.map(wirePosition)))

  const getPosition: Handler = ({ account, params }) =>
    Effect.gen(function*() {
      const symbol = yield* resolveSymbol(params[0]!)
      const position = symbol === undefined ? Option.none() : yield* exchange.position(account.account, symbol)
      return Option.match(position, {
        onNone: () => tradingError(404, 40410000, "position does not exist"),
        onSome: (p) => json(200, wirePosition(p))
      })
    })

  const closePosition: Handler = ({ account, params, query }) =>
    Effect.gen(function*() {
      const symbol = yield* resolveSymbol(params[0]!)
      if (symbol === undefined) return tradingError(404, 40410000, "position does not exist")
      const qty = numberParam(query.get("qty"))
      const percentage = numberParam(query.get("percentage"))
      if (qty === "invalid") return unprocessable("invalid qty")
      if (percentage === "invalid") return unprocessable("invalid percentage")
      const order = yield* exchange.closePosition(account.account, symbol, {
        ...(qty === undefined ? {} : { qty }),
        ...(percentage === undefined ? {} : { percentage })
      })
      return json(200, wireOrder(order))
    })

  const closeAllPositions: Handler = ({ account, query }) =>
    Effect.gen(function*() {
      if (booleanParam(query.get("cancel_orders")) === true) yield* exchange.cancelAllOrders(account.account)
      const positions = yield* exchange.positions(account.account)
      const items: Array<unknown> = []
      for (const position of positions) {
        const result = yield* Effect.result(exchange.closePosition(account.account, position.symbol))
        items.push(Result.match(result, {
          onSuccess: (order) => ({ symbol: position.symbol, status: 200, body: wireOrder(order) }),
          onFailure: (error) => {
            const reply = brokerErrorReply(error)
            return { symbol: position.symbol, status: reply.status, body: reply.body }
          }
        }))
      }
      return json(207, items)
    })

  const listOrders: Handler = ({ account, query }) =>
    Effect.gen(function*() {
      const status = query.get("status") ?? "open"
      if (status !== "open" && status !== "closed" && status !== "all") return unprocessable(`invalid status ${status}`)
      const direction = query.get("direction") ?? "desc"
      if (direction !== "asc" && direction !== "desc") return unprocessable(`invalid direction ${direction}`)
      const limitText = query.get("limit")
      const limit = limitText === null || limitText === "" ? 50 : Number(limitText)
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) return unprocessable("limit must be an integer between 1 and 500")
      const side = query.get("side")
      if (side !== null && side !== "" && side !== "buy" && side !== "sell") return unprocessable(`invalid side ${side}`)
      const nested = booleanParam(query.get("nested")) ?? false
      const symbolsText = query.get("symbols")
      const requested = symbolsText === null ? [] : symbolsText.split(",").map((s) => s.trim()).filter((s) => s !== "")
      const symbols = requested.filter(isTicker)
      if (requested.length > 0 && symbols.length === 0) return json(200, [])
      const after = query.get("after")
      const until = query.get("until")
      const bySide = side === "buy" || side === "sell"
      const orders = yield* exchange.listOrders(account.account, {
        status,
        limit: bySide ? 500 : limit,
        direction,
        nested,
        ...(after !== null && after !== "" ? { after } : {}),
        ...(until !== null && until !== "" ? { until } : {}),
        ...(symbols.length > 0 ? { symbols } : {})
      })
      const selected = bySide ? orders.filter((o) => o.side === side).slice(0, limit) : orders
      return json(200, selected.map(wireOrder))
    })

  const placeOrder: Handler = ({ account, body }) =>
    Effect.gen(function*() {
      const parsed = parseJson(body)
      if (Result.isFailure(parsed) || !isRecord(parsed.success)) return malformedBody
      const decoded = decodeOrderRequest(withoutEmpty(parsed.success))
      if (Result.isFailure(decoded)) return unprocessable(`invalid order request: ${decoded.failure.message}`)
      const intent = fromWireOrderRequest(account.account, decoded.success, randomUUID)
      if (Result.isFailure(intent)) return unprocessable(intent.failure)
      const order = yield* exchange.placeOrder(account.account, intent.success)
      return json(200, wireOrder(order))
    })

  const badOrderId = unprocessable("order_id is missing")

  const getOrder: Handler = ({ account, params }) =>
    UUID.test(params[0]!)
      ? Effect.map(exchange.getOrder(account.account, params[0]!.toLowerCase()), (order) => json(200, wireOrder(order)))
      : Effect.succeed(badOrderId)

  const getOrderByClientId: Handler = ({ account, query }) =>
    Effect.gen(function*() {
      const clientOrderId = query.get("client_order_id")
      if (clientOrderId === null || clientOrderId === "") return unprocessable("client_order_id is missing")
      const order = yield* exchange.getOrderByClientId(account.account, clientOrderId)
      return Option.match(order, {
        onNone: () => tradingError(404, 40410000, "order not found"),
        onSome: (o) => json(200, wireOrder(o))
      })
    })

  const cancelOrder: Handler = ({ account, params }) =>
    UUID.test(params[0]!)
      ? Effect.as(exchange.cancelOrder(account.account, params[0]!.toLowerCase()), { status: 204 })
      : Effect.succeed(badOrderId)

  const cancelAllOrders: Handler = ({ account }) =>
    Effect.map(exchange.cancelAllOrders(account.account), (ids) => json(207, ids.map((id) => ({ id, status: 200 }))))

  const replaceOrder: Handler = () =>
    Effect.succeed(unprocessable("order replacement is not supported by the local exchange; cancel and place a new order"))

  // --- clock, calendar, assets -----------------------------------------------------------------------------------

  const getClock: Handler = ({ session }) =>
    Effect.map(sessionsFrom(session), (sessions) => json(200, clockAt(session, sessions[1])))

  const dayParam = (value: string | null): string | undefined | "invalid" => {
    if (value === null || value === "") return undefined
    const day = value.slice(0, 10)
    return isTradingDay(day) && parseTimeBound(value) !== undefined ? day : "invalid"
  }

  const getCalendar: Handler = ({ query }) =>
    Effect.gen(function*() {
      const start = dayParam(query.get("start"))
      const end = dayParam(query.get("end"))
      if (start === "invalid") return unprocessable("invalid start")
      if (end === "invalid") return unprocessable("invalid end")
      const sessions = yield* sessionsFrom(TradingDay.make(start ?? FAR_PAST))
      const days = sessions.flatMap((day, i) => (end === undefined || day <= end ? [calendarDay(day, sessions[i + 1])] : []))
      return json(200, days)
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
    Effect.map(resolveSymbol(params[0]!), (symbol) =>
      symbol === undefined ? tradingError(404, 40410000, "asset not found") : json(200, assetOf(symbol)))

  // --- bars ------------------------------------------------------------------------------------------------------

  const DAILY = /^1(Day|D)$/i
  const TIMEFRAME = /^([1-9]|[1-5][0-9])(Min|T|Hour|H|Day|D|Week|W|Month|M)$/i

  /** The bars of `symbols` for the query, as one page; `undefined` symbols are skipped. */
  const barsOf = (symbols: ReadonlyArray<string>, query: URLSearchParams, session: TradingDay) =>
    Effect.gen(function*() {
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
      const startText = query.get("start")
      const endText = query.get("end")
      const start: TimeBound | undefined = startText === null || startText === ""
        ? { _tag: "Day", day: session }
        : parseTimeBound(startText)
      const end: TimeBound | undefined = endText === null || endText === "" ? { _tag: "Day", day: session } : parseTimeBound(endText)
      if (start === undefined) return dataError(422, "invalid start")
      if (end === undefined) return dataError(422, "invalid end")
      const lastDay = end.day < session ? end.day : session
      const sessions = start.day > lastDay
        ? []
        : yield* market.sessions(TradingDay.make(start.day), TradingDay.make(lastDay)).pipe(
          Effect.orElseSucceed((): ReadonlyArray<TradingDay> => [])
        )
      const series: Array<SymbolBars> = []
      const asOf = sessions[sessions.length - 1]
      for (const symbol of new Set(symbols)) {
        if (asOf === undefined || !isTicker(symbol)) continue
        const bars = yield* market.bars({ symbol, asOf, lookback: sessions.length }).pipe(
          Effect.orElseSucceed(() => [])
        )
        series.push({ symbol, bars: bars.filter((bar) => bar.date <= session && barWithin(bar.date, start, end)) })
      }
      const page = barsPage(series, { limit, sort, pageToken: query.get("page_token") ?? undefined })
      return "error" in page ? dataError(422, page.error) : page
    })

  const getBars: Handler = ({ query, session }) =>
    Effect.gen(function*() {
      const symbolsText = query.get("symbols")
      const symbols = symbolsText === null ? [] : symbolsText.split(",").map((s) => s.trim()).filter((s) => s !== "")
      if (symbols.length === 0) return dataError(400, "symbols is required")
      const page = yield* barsOf(symbols, query, session)
      return "status" in page ? page : json(200, { bars: page.bars, next_page_token: page.nextPageToken })
    })

  const getSymbolBars: Handler = ({ params, query, session }) =>
    Effect.gen(function*() {
      const symbol = params[0]!
      const page = yield* barsOf([symbol], query, session)
      return "status" in page
        ? page
        : json(200, { bars: page.bars[symbol] ?? [], symbol, next_page_token: page.nextPageToken })
    })

  // --- admin -----------------------------------------------------------------------------------------------------

  const getSession: Handler = () => Effect.map(Ref.get(defaultSession), (date) => json(200, { date }))

  const postSession: Handler = ({ body }) =>
    Effect.gen(function*() {
      const parsed = parseJson(body)
      const date = Result.isSuccess(parsed) && isRecord(parsed.success) ? parsed.success["date"] : undefined
      if (typeof date !== "string" || !isTradingDay(date)) {
        return tradingError(400, 40010000, "expected a JSON body {\"date\":\"YYYY-MM-DD\"}")
      }
      const previous = yield* Ref.get(defaultSession)
      yield* setSession(date)
      return json(200, { date, previous })
    })

  const routes: ReadonlyArray<Route> = [
    { method: "GET", path: ["v2", "account"], handler: getAccount },
    { method: "GET", path: ["v2", "positions"], handler: getPositions },
    { method: "DELETE", path: ["v2", "positions"], handler: closeAllPositions },
    { method: "GET", path: ["v2", "positions", "*"], handler: getPosition },
    { method: "DELETE", path: ["v2", "positions", "*"], handler: closePosition },
    { method: "GET", path: ["v2", "orders"], handler: listOrders },
    { method: "POST", path: ["v2", "orders"], handler: placeOrder },
    { method: "DELETE", path: ["v2", "orders"], handler: cancelAllOrders },
    { method: "GET", path: ["v2", "orders:by_client_order_id"], handler: getOrderByClientId },
    { method: "GET", path: ["v2", "orders", "*"], handler: getOrder },
    { method: "PATCH", path: ["v2", "orders", "*"], handler: replaceOrder },
    { method: "DELETE", path: ["v2", "orders", "*"], handler: cancelOrder },
    { method: "GET", path: ["v2", "clock"], handler: getClock },
    { method: "GET", path: ["v2", "calendar"], handler: getCalendar },
    { method: "GET", path: ["v2", "assets"], handler: listAssets },
    { method: "GET", path: ["v2", "assets", "*"], handler: getAsset },
    { method: "GET", path: ["v2", "stocks", "bars"], handler: getBars },
    { method: "GET", path: ["v2", "stocks", "*", "bars"], handler: getSymbolBars },
    { method: "GET", path: ["council", "session"], handler: getSession, admin: true },
    { method: "POST", path: ["council", "session"], handler: postSession, admin: true }
  ]

  // --- the request pipeline --------------------------------------------------------------------------------------

  const readBody = (req: IncomingMessage) =>
    Effect.callback<string | undefined>((resume) => {
      const chunks: Array<Buffer> = []
      let size = 0
      req.on("data", (chunk: Buffer) => {
        size += chunk.length
        if (size <= MAX_BODY_BYTES) chunks.push(chunk)
      })
      req.on("end", () => resume(Effect.succeed(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8"))))
      req.on("error", () => resume(Effect.interrupt))
    })

  const send = (res: ServerResponse, reply: Reply, headers: Readonly<Record<string, string>>) =>
    Effect.sync(() => {
      if (res.headersSent || res.destroyed) return
      const text = reply.body === undefined ? "" : JSON.stringify(reply.body)
      res.writeHead(reply.status, {
        ...headers,
        ...reply.headers,
        ...(reply.body === undefined
          ? {}
          : { "Content-Type": "application/json; charset=utf-8", "Content-Length": String(Buffer.byteLength(text)) })
      })
      res.end(text)
    })

  const authenticate = (keyId: string, secret: string) =>
    Effect.map(
      exchange.accountByKeyId(keyId),
      Option.filter((account) => secretMatches(Redacted.value(account.secretKey), secret))
    )

  const sessionOf = (req: IncomingMessage) =>
    Effect.gen(function*() {
      const requested = header(req, SESSION_HEADER.toLowerCase())
      if (requested === undefined) return Result.succeed(yield* Ref.get(defaultSession))
      if (!isTradingDay(requested)) {
        return Result.fail(tradingError(400, 40010000, `invalid ${SESSION_HEADER} header "${requested}": expected YYYY-MM-DD`))
      }
      const known = yield* Effect.result(market.ensureTradingDay(requested))
      return Result.isSuccess(known)
        ? Result.succeed(requested)
        : Result.fail(unprocessable(`${SESSION_HEADER}: ${known.failure.message}`))
    })

  const handle = (req: IncomingMessage, res: ServerResponse, match: Match, fault: FaultKind | undefined, query: URLSearchParams) =>
    Effect.gen(function*() {
      if (latencyMs > 0) yield* Effect.sleep(latencyMs)
      const body = yield* readBody(req)
      const keyId = header(req, "apca-api-key-id")
      const secret = header(req, "apca-api-secret-key")
      const now = yield* Clock.currentTimeMillis
      const limit = limiter.hit(keyId ?? "", now)
      const headers = { ...rateLimitHeaders(limit), "X-Request-ID": randomUUID() }
      const reply = (r: Reply) => send(res, r, headers)
      if (limit.exceeded) return yield* reply({ ...tradingError(429, 42910000, "rate limit exceeded") })
      switch (fault) {
        case "rate_limited":
          return yield* reply({
            ...tradingError(429, 42910000, "rate limit exceeded"),
            headers: { "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": String(Math.floor(now / 1000) + 1) }
          })
        case "server_error":
          return yield* reply(tradingError(500, 50010000, "internal server error"))
        case "unavailable":
          return yield* reply(tradingError(503, 50310000, "service unavailable"))
      }
      if (keyId === undefined || secret === undefined) return yield* reply(forbidden)
      const account = yield* authenticate(keyId, secret)
      if (Option.isNone(account)) return yield* reply(notAuthorized)
      if (body === undefined) return yield* reply(tradingError(413, 41310000, "request body too large"))
      if (match._tag === "NotFound") return yield* reply(tradingError(404, 40410000, "endpoint not found"))
      if (match._tag === "MethodNotAllowed") return yield* reply(tradingError(405, 40510000, "method not allowed"))
      const session = match.route.admin === true ? Result.succeed(yield* Ref.get(defaultSession)) : yield* sessionOf(req)
      if (Result.isFailure(session)) return yield* reply(session.failure)
      const call: Call = { params: match.params, query, body, account: account.value, session: session.success }
      const result = yield* match.route.handler(call).pipe(
        Effect.provideService(RequestSession, session.success),
        Effect.catchTag("BrokerError", (error) => Effect.succeed(brokerErrorReply(error)))
      )
      if (fault === "dropped") {
        req.socket.destroy()
        return
      }
      yield* reply(result)
    }).pipe(
      Effect.catchCause((cause) =>
        Effect.logError("exchange server: request failed", cause).pipe(
          Effect.andThen(send(res, tradingError(500, 50010000, "internal server error"), {}))
        )
      )
    )

  const run = yield* FiberSet.makeRuntime<never>()

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost")
    const segments = segmentsOf(url.pathname)
    const method = (req.method ?? "GET").toUpperCase()
    const match: Match = segments === undefined ? { _tag: "NotFound" } : matchRoute(routes, method, segments)
    const admin = match._tag === "Found" && match.route.admin === true
    const canDrop = match._tag === "Found" && method === "POST" && match.route.handler === placeOrder
    // one draw per API request, in arrival order, so a seeded run is reproducible
    const fault = admin ? undefined : faults.next(canDrop)
    run(handle(req, res, match, fault, url.searchParams).pipe(Effect.withTracerEnabled(false)))
  }

  const server = yield* Effect.acquireRelease(
    Effect.callback<Server, ExchangeServerError>((resume) => {
      const server = createServer(listener)
      server.once("error", (error) =>
        resume(Effect.fail(new ExchangeServerError({ message: `cannot listen on ${host}:${options.port ?? DEFAULT_PORT}: ${error.message}` }))))
      server.listen(options.port ?? DEFAULT_PORT, host, () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  )
  const address = server.address()
  if (address === null || typeof address === "string") {
    return yield* new ExchangeServerError({ message: `unexpected server address ${String(address)}` })
  }
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address

  return ExchangeServer.of({
    host: address.address,
    port: address.port,
    url: `http://${urlHost}:${address.port}`,
    seed,
    session: Ref.get(defaultSession),
    setSession
  })
})

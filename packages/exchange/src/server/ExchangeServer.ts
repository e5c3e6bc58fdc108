/**
 * The local paper exchange as an Alpaca-compatible HTTP server: the trading API v2 endpoints and the daily bars
 * and latest trades of the market-data API, with Alpaca's JSON shapes, status codes and error bodies, over the same `LocalExchange`
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
 * - Rate limit per key id: `rateLimit` (default 200) requests per fixed window of `rateLimitWindowSeconds`
 *   (default 60, Alpaca's per-minute limit; the epoch minute); every response
 *   carries `X-Ratelimit-Limit/Remaining/Reset` (reset in epoch seconds); over the limit → 429
 *   `{"code":42910000,"message":"rate limit exceeded"}`.
 * - Session: the server trades at one simulated moment at a time (default: where the ledger's accounts are — the
 *   latest point an account that had an order was brought to, 15:45 of its session or its close (a restart
 *   resumes there, earlier or later than the data's latest session); on a ledger without orders, 15:45 New York
 *   time of the latest session of the market data; or `date` at `at`, as given), which moves forward to where
 *   requests with a header bring the ledger's accounts; a request without the header runs at it, or at its
 *   account's own point when that is further along (`ServerClock`). The request header `X-Council-Session` selects the moment of
 *   that request only: a timestamp (`2026-06-08T15:45:00-04:00`), or a day alone (`YYYY-MM-DD`, a session: 15:45
 *   of it). The admin endpoint `POST /council/session {"date":"YYYY-MM-DD"}` (or `{"at":"<timestamp>"}`) moves the
 *   default (`GET /council/session` reads it). The clock and calendar answer at the moment (early closes at 13:00;
 *   the clock of a session before the one the account has traded into is refused, 422, as its trading calls are),
 *   orders fill by `FillModel`'s rules for it, and bars never show what it could not know.
 * - Faults (`faultRate`, `faultKinds`, `seed`): a 429 with rate-limit headers (a momentary throttle: the reset is
 *   the next second, not the end of the minute window), a 500, a 503, or — for
 *   `POST /v2/orders` only — `dropped`: the order is placed in the ledger, then the connection is destroyed
 *   without a response. `latencyMs` is each request's round trip: its answer leaves that long after it arrived,
 *   its work done meanwhile (see `RequestPipeline`). See `ExchangeFaults`.
 *
 * **Gotchas**
 * - Requests run with tracing off: the server exports no spans, and span bookkeeping was a third of the ledger's
 *   time per order. Key pairs are cached once seen (`Keys`), so authentication reads no row.
 * - Request bodies are read whatever the `Content-Type` (the Go SDK sends none); decimals may be JSON strings or
 *   numbers. Endpoint details: `TradingHandlers`, `MarketHandlers`; shapes: `HttpWire`, `ExchangeMarketWire`.
 * - Order replacement (`PATCH /v2/orders/{id}`) serves open simple orders with nothing filled (`Replacements`).
 * - Notional orders (`notional`, no `qty`) are served as simple market `day` orders, filled like market orders with
 *   their shares set at the fill (`FillModel`); Alpaca answers them with `qty: null`, and so does the server.
 * - Account activities (FILL, DIV, SPLIT: `ActivityHandlers`), the daily portfolio history and the account
 *   configurations (`AccountHandlers`; `suspend_trade` and `no_shorting` enforced) are served.
 * - Trailing stops are served (`FillModel`: how a daily bar moves and triggers them), `PATCH` of `trail` too.
 * - Watchlists (`/v2/watchlists`, by id and by name: `WatchlistHandlers`) are served, stored per account; so are
 *   stock snapshots (`/v2/stocks/snapshots`, `/v2/stocks/{symbol}/snapshot`: the latest trade and daily bars as
 *   known at the request's moment, `MarketHandlers`) and the latest bars (`/v2/stocks/bars/latest`).
 * - Trade updates: Alpaca's `trade_updates` websocket at `/stream` on the same port (`TradeStream`: the protocol;
 *   `TradeFeeds`: which changes reach a listener and when; `TradeEvents`: the events, read from the ledger). The
 *   request pipeline tells the feeds of each call of an account (`touched`), `setSession` of each move of the moment.
 * - Not served: activities the local exchange never has (answered `[]`: transfers, fees, interest, journals, option
 *   events…), intraday portfolio history (422), the market-data stream (`wss://stream.data.alpaca.markets`), quotes (a snapshot's `latestQuote` and `minuteBar` are
 *   null), trades other than the latest (`/v2/stocks/trades/latest`: the prices positions are marked at, at the
 *   request's moment), non-daily timeframes.
 * - Corporate actions (`GET /v1/corporate-actions`: the splits and cash dividends the exchange applies, in
 *   Alpaca's format and paging, `CorporateActionHandlers`) are served.
 *
 * @since 0.1.0
 */
import type { RequestListener, Server } from "node:http"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { type AccountId, formatMoment, type NewYorkMoment, parseMoment, type TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import { BrokerError } from "@council/broker"
import * as SqlClient from "effect/sql/SqlClient"
import * as AccountConfigurations from "../AccountConfigurations.ts"
import type { AppliedAction } from "../CorporateActions.ts"
import { DAY_ONLY_TIME, ExchangeSession, moment } from "../ExchangeSession.ts"
import { makeKeyCache } from "../Keys.ts"
import { LocalExchange, type LocalExchangeOptions } from "../LocalExchange.ts"
import * as Watchlists from "../Watchlists.ts"
import { type FaultKind, makeFaultPlan, makeRateLimiter } from "./ExchangeFaults.ts"
import { isRecord, isTradingDay, json, parseJson, tradingError } from "./HttpWire.ts"
import * as AccountHandlers from "./AccountHandlers.ts"
import * as CorporateActionHandlers from "./CorporateActionHandlers.ts"
import { listActivities } from "./ActivityHandlers.ts"
import * as MarketHandlers from "./MarketHandlers.ts"
import * as ServerClock from "./ServerClock.ts"
import { makeListener, RequestSession } from "./RequestPipeline.ts"
import type { Handler, Route } from "./Routes.ts"
import * as TradeFeeds from "./TradeFeeds.ts"
import type { TradeStreamDeps } from "./TradeStream.ts"
import * as TradingHandlers from "./TradingHandlers.ts"
import * as WatchlistHandlers from "./WatchlistHandlers.ts"

export const SESSION_PATH = "/council/session"

export const DEFAULT_PORT = 8787
export const DEFAULT_RATE_LIMIT = 200

/** How long an idle keep-alive connection stays open (below Node's 60 s `headersTimeout`). */
const KEEP_ALIVE_MS = 30_000

export interface ExchangeServerOptions {
  /** Default 8787; 0 picks a free port (read it back from `ExchangeServer.port`/`url`). */
  readonly port?: number
  /** Default `127.0.0.1`. */
  readonly host?: string
  /** Each answer leaves this long after its request arrived (or when its work is done, if later). Default 0. */
  readonly latencyMs?: number
  /** Probability in [0, 1] that a request gets a fault. Default 0. */
  readonly faultRate?: number
  /** Which faults may be injected. Default all four. */
  readonly faultKinds?: ReadonlyArray<FaultKind>
  /** Seeds the fault plan; default random (read it back from `ExchangeServer.seed`). */
  readonly seed?: number
  /** Requests per API key per window. Default 200. */
  readonly rateLimit?: number
  /** The rate limit's window in seconds. Default 60. */
  readonly rateLimitWindowSeconds?: number
  /**
   * The default session. Default (neither this nor `at` given): where the ledger's accounts are (the latest point
   * an account with orders was brought to); on a ledger without orders, the latest session in the market data, at 15:45.
   */
  readonly date?: TradingDay
  /** The default moment's New York wall-clock time on `date` (`HH:MM`). Default 15:45. */
  readonly at?: string
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
  /**
   * The default moment (of requests without `X-Council-Session`), brought forward first to where requests with the
   * header have since brought the ledger (`ServerClock`).
   */
  readonly session: Effect.Effect<NewYorkMoment>
  /** Whether the default moment is where the ledger's accounts are (no `date`/`at` given, an account has traded). */
  readonly resumed: boolean
  /** Moves the default moment; fails `InvalidRequest` for a day that is not a session of the market data. */
  readonly setSession: (at: NewYorkMoment) => Effect.Effect<void, BrokerError>
}>()("@council/exchange/ExchangeServer") {
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
      const day = options.date ?? (yield* market.latestTradingDay.pipe(Effect.mapError(serverError)))
      yield* market.ensureTradingDay(day).pipe(Effect.mapError(serverError))
      const defaultSession = yield* Ref.make(moment(day, options.at ?? DAY_ONLY_TIME))
      const session = Layer.succeed(ExchangeSession, {
        current: Effect.flatMap(RequestSession, (day) => day === undefined ? Ref.get(defaultSession) : Effect.succeed(day))
      })
      const configurations = AccountConfigurations.make(yield* SqlClient.SqlClient)
      yield* configurations.load.pipe(Effect.mapError(serverError))
      // `no_shorting` is the exchange's own shorting rule: an order that would open or grow a short is refused
      const given = options.exchange?.allowShorting
      const allowShorting = (account: AccountId) =>
        !configurations.current(account).no_shorting && (typeof given === "function" ? given(account) : given ?? true)
      return Layer.effect(ExchangeServer, make(options, defaultSession, configurations)).pipe(
        Layer.provideMerge(LocalExchange.layer({ ...options.exchange, allowShorting }).pipe(Layer.provide(session)))
      )
    }))
}

const serverError = (error: { readonly message: string }) => new ExchangeServerError({ message: error.message })

/** The route table: Alpaca's trading and market-data endpoints and the admin session endpoints. */
const routesOf = (
  trading: ReturnType<typeof TradingHandlers.make>,
  accounts: ReturnType<typeof AccountHandlers.make> & { readonly activities: Handler; readonly activitiesOfType: Handler },
  market: ReturnType<typeof MarketHandlers.make> & ReturnType<typeof CorporateActionHandlers.make>,
  watchlists: ReturnType<typeof WatchlistHandlers.make>,
  admin: { readonly getSession: Handler; readonly postSession: Handler }
): ReadonlyArray<Route> => [
  { method: "GET", path: ["v2", "account"], handler: trading.getAccount },
  { method: "GET", path: ["v2", "account", "activities"], handler: accounts.activities },
  { method: "GET", path: ["v2", "account", "activities", "FILL"], handler: trading.listFillActivities },
  { method: "GET", path: ["v2", "account", "activities", "*"], handler: accounts.activitiesOfType },
  { method: "GET", path: ["v2", "account", "configurations"], handler: accounts.getConfigurations },
  { method: "PATCH", path: ["v2", "account", "configurations"], handler: accounts.patchConfigurations },
  { method: "GET", path: ["v2", "account", "portfolio", "history"], handler: accounts.getPortfolioHistory },
  { method: "GET", path: ["v2", "positions"], handler: trading.getPositions },
  { method: "DELETE", path: ["v2", "positions"], handler: trading.closeAllPositions },
  { method: "GET", path: ["v2", "positions", "*"], handler: trading.getPosition },
  { method: "DELETE", path: ["v2", "positions", "*"], handler: trading.closePosition },
  { method: "GET", path: ["v2", "orders"], handler: trading.listOrders },
  { method: "POST", path: ["v2", "orders"], handler: trading.placeOrder },
  { method: "DELETE", path: ["v2", "orders"], handler: trading.cancelAllOrders },
  { method: "GET", path: ["v2", "orders:by_client_order_id"], handler: trading.getOrderByClientId },
  { method: "GET", path: ["v2", "orders", "*"], handler: trading.getOrder },
  { method: "PATCH", path: ["v2", "orders", "*"], handler: trading.replaceOrder },
  { method: "DELETE", path: ["v2", "orders", "*"], handler: trading.cancelOrder },
  { method: "GET", path: ["v2", "watchlists"], handler: watchlists.listAll },
  { method: "POST", path: ["v2", "watchlists"], handler: watchlists.create },
  { method: "GET", path: ["v2", "watchlists:by_name"], handler: watchlists.byName.get },
  { method: "PUT", path: ["v2", "watchlists:by_name"], handler: watchlists.byName.update },
  { method: "POST", path: ["v2", "watchlists:by_name"], handler: watchlists.byName.add },
  { method: "DELETE", path: ["v2", "watchlists:by_name"], handler: watchlists.byName.remove },
  { method: "GET", path: ["v2", "watchlists", "*"], handler: watchlists.byId.get },
  { method: "PUT", path: ["v2", "watchlists", "*"], handler: watchlists.byId.update },
  { method: "POST", path: ["v2", "watchlists", "*"], handler: watchlists.byId.add },
  { method: "DELETE", path: ["v2", "watchlists", "*"], handler: watchlists.byId.remove },
  { method: "DELETE", path: ["v2", "watchlists", "*", "*"], handler: watchlists.byId.removeSymbol },
  { method: "GET", path: ["v2", "clock"], handler: market.getClock },
  { method: "GET", path: ["v2", "calendar"], handler: market.getCalendar },
  { method: "GET", path: ["v2", "assets"], handler: market.listAssets },
  { method: "GET", path: ["v2", "assets", "*"], handler: market.getAsset },
  { method: "GET", path: ["v2", "stocks", "bars"], handler: market.getBars },
  { method: "GET", path: ["v2", "stocks", "*", "bars"], handler: market.getSymbolBars },
  { method: "GET", path: ["v2", "stocks", "trades", "latest"], handler: market.getLatestTrades },
  { method: "GET", path: ["v2", "stocks", "bars", "latest"], handler: market.getLatestBars },
  { method: "GET", path: ["v2", "stocks", "snapshots"], handler: market.getSnapshots },
  { method: "GET", path: ["v2", "stocks", "*", "snapshot"], handler: market.getSymbolSnapshot },
  { method: "GET", path: ["v1", "corporate-actions"], handler: market.getCorporateActions },
  { method: "GET", path: ["council", "session"], handler: admin.getSession, admin: true },
  { method: "POST", path: ["council", "session"], handler: admin.postSession, admin: true }
]

const sessionBody = (at: NewYorkMoment) => ({ date: at.day, at: formatMoment(at) })

/** The moment a `POST /council/session` body names: `{"date":"YYYY-MM-DD"}` (15:45 of it) or `{"at":"<RFC 3339>"}`. */
const postedMoment = (body: string): NewYorkMoment | undefined => {
  const parsed = parseJson(body)
  const fields = Result.isSuccess(parsed) && isRecord(parsed.success) ? parsed.success : {}
  const { at, date } = fields as { readonly at?: unknown; readonly date?: unknown }
  if (typeof at === "string") return parseMoment(at)
  return typeof date === "string" && isTradingDay(date) ? moment(date, DAY_ONLY_TIME) : undefined
}

/** The admin endpoints: read and move the default moment. */
const adminHandlers = (now: ServerClock.ServerClock, setSession: (at: NewYorkMoment) => Effect.Effect<void, BrokerError>) => ({
  getSession: (() => Effect.map(now.current, (at) => json(200, sessionBody(at)))) satisfies Handler,
  postSession: (({ body }) =>
    Effect.gen(function*() {
      const at = postedMoment(body)
      if (at === undefined) {
        return tradingError(400, 40010000, "expected a JSON body {\"date\":\"YYYY-MM-DD\"} or {\"at\":\"<RFC 3339 timestamp>\"}")
      }
      const previous = yield* now.current
      yield* setSession(at)
      return json(200, { ...sessionBody(at), previous: sessionBody(previous) })
    })) satisfies Handler
})

/**
 * A listening HTTP server with the trade-updates websocket at `/stream` (`TradeStream`), closed with its scope.
 * `node:http` and the websocket module are imported here, not at the top: importing `node:http` loads Node's fetch
 * implementation (its lazy exports), tens of milliseconds that in-process runs never need; the websocket's, `ws`.
 */
const listen = (host: string, port: number, listener: RequestListener, streamDeps: TradeStreamDeps) =>
  Effect.acquireRelease(
    Effect.flatMap(Effect.promise(() => Promise.all([import("node:http"), import("./TradeStream.ts")])), ([{ createServer }, TradeStream]) => Effect.callback<{ readonly server: Server; readonly closeStreams: () => void }, ExchangeServerError>((resume) => {
      const server = createServer(listener)
      const stream = TradeStream.make(streamDeps)
      server.on("upgrade", stream.upgrade)
      // idle keep-alive connections stay open 30 s (Node's default: 5 s), so a client that trades in bursts
      // seconds apart reuses its connections instead of opening new ones in front of its orders
      server.keepAliveTimeout = KEEP_ALIVE_MS
      server.once("error", (error) =>
        resume(Effect.fail(new ExchangeServerError({ message: `cannot listen on ${host}:${port}: ${error.message}` }))))
      server.listen(port, host, () => resume(Effect.succeed({ server, closeStreams: stream.close })))
    })),
    ({ closeStreams, server }) =>
      Effect.callback<void>((resume) => {
        // upgraded connections count as the server's until they end: the websockets go first
        closeStreams()
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  )

const make = Effect.fnUntraced(function*(
  options: ExchangeServerOptions,
  defaultSession: Ref.Ref<NewYorkMoment>,
  configurations: AccountConfigurations.AccountConfigurations
) {
  const exchange = yield* LocalExchange
  const market = yield* MarketData
  const sql = yield* SqlClient.SqlClient
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31)

  const setSession = (at: NewYorkMoment) =>
    market.ensureTradingDay(at.day as TradingDay).pipe(
      Effect.mapError((error) => new BrokerError({ account: "", reason: "InvalidRequest", message: error.message, retryable: false })),
      Effect.andThen(Ref.set(defaultSession, at)),
      // the listened accounts' resting orders may fill or expire at the new moment
      Effect.andThen(Effect.sync(feeds.sessionMoved))
    )

  const feeds = yield* TradeFeeds.make(exchange, sql)
  const held = yield* exchange.keys.pipe(Effect.mapError(serverError))
  // given no moment, where the ledger's accounts are (a restart resumes): at the latest point an account that
  // had an order was brought to, earlier or later than the data's latest session. Not the data's latest session:
  // a call without a session header (Alpaca's SDKs, `close-all`) would move the accounts there, ahead of the
  // runs of the days between, which are then refused. An account merely looked at is not held (`ExchangeAccount.traded`)
  const reached = ServerClock.latestTraded(held)
  const resumed = options.date === undefined && options.at === undefined && reached !== undefined
  if (resumed) yield* Ref.set(defaultSession, ServerClock.resumeAt(reached))
  // a header-less request runs at the server's now: where requests with a header have since brought the ledger
  const now = ServerClock.make({ exchange, defaultSession, reached, known: held, moved: feeds.sessionMoved })
  // create the key pairs of the configured accounts that have none yet
  const existing = new Set(held.map((k) => k.account))
  for (const account of options.accounts ?? []) {
    if (!existing.has(account)) yield* exchange.account(account).pipe(Effect.mapError(serverError))
  }

  const marketRoutes = MarketHandlers.make(market, exchange)
  const base = TradingHandlers.make({ exchange, resolveSymbol: marketRoutes.resolveSymbol, configuration: configurations.current })
  // `suspend_trade` refuses what would place a new order; reads and cancels go on
  const guard = (handler: Handler) => AccountHandlers.unlessSuspended(configurations, handler)
  const trading = {
    ...base,
    placeOrder: guard(base.placeOrder),
    replaceOrder: guard(base.replaceOrder),
    closePosition: guard(base.closePosition),
    closeAllPositions: guard(base.closeAllPositions)
  }
  const applied = (account: AccountId) =>
    sql<AppliedAction>`SELECT * FROM exchange_corporate_actions WHERE account = ${account}
      ORDER BY ex_date, kind DESC, action`.pipe(
      Effect.mapError((error) => new BrokerError({ account, reason: "ServerError", message: error.message, retryable: false }))
    )
  const accounts = {
    ...AccountHandlers.make({ exchange, market, configurations, applied }),
    activities: listActivities({ exchange, applied }, undefined, "desc"),
    activitiesOfType: ((call) => listActivities({ exchange, applied }, call.params[0]!, "desc")(call)) satisfies Handler
  }
  const keys = makeKeyCache(exchange.accountByKeyId)
  const authenticate = (keyId: string, secret: string) => Effect.map(keys.authenticate(keyId, secret), Option.getOrUndefined)
  const listener = makeListener({
    routes: routesOf(
      trading,
      accounts,
      { ...marketRoutes, ...CorporateActionHandlers.make(market) },
      WatchlistHandlers.make({ watchlists: Watchlists.make(sql), resolveSymbol: marketRoutes.resolveSymbol }),
      adminHandlers(now, setSession)
    ),
    droppable: trading.placeOrder,
    latencyMs: Math.max(0, options.latencyMs ?? 0),
    faults: makeFaultPlan({
      rate: options.faultRate ?? 0,
      seed,
      ...(options.faultKinds === undefined ? {} : { kinds: options.faultKinds })
    }),
    limiter: makeRateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, (options.rateLimitWindowSeconds ?? 60) * 1000),
    authenticate,
    authenticateCached: keys.authenticateCached,
    touched: feeds.touched,
    defaultSession,
    now,
    market,
    clock: yield* Clock.Clock,
    run: yield* FiberSet.makeRuntime<never>().pipe(Effect.withTracerEnabled(false))
  })

  const host = options.host ?? "127.0.0.1"
  const { server } = yield* listen(host, options.port ?? DEFAULT_PORT, listener, {
    feeds,
    authenticate,
    run: yield* FiberSet.makeRuntimePromise<never>().pipe(Effect.withTracerEnabled(false))
  })
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
    session: now.current,
    resumed,
    setSession
  })
})

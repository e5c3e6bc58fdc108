/**
 * A low-level Alpaca trading client for one account on `effect/http`: auth headers, base URL, JSON bodies,
 * rate limiting, per-request timeout, error mapping to `BrokerError` and retries.
 *
 * **When to use**: through `AlpacaBroker`; directly only for endpoints the `Broker` contract lacks. Needs an
 * `HttpClient` (`FetchHttpClient.layer`, or `NodeHttpClient` from `@effect/platform-node`).
 *
 * **How a request runs**: limiter slot (and any 429 pause) → HTTP with `APCA-API-KEY-ID`/`APCA-API-SECRET-KEY`
 * → response read under the timeout (default 10 s) → status mapped by `AlpacaWire.errorReason` (429 also pauses
 * the account until `X-Ratelimit-Reset`, as does `X-Ratelimit-Remaining: 0`; without a reset, a 429 or 503
 * pauses it for its `Retry-After`, which Alpaca does not send but proxies do) → retried per the request's
 * `retry` mode: `idempotent` retries every retryable error, `rateLimited` only 429s (for requests that must not
 * run twice), `never` none (order placement: `AlpacaBroker` reconciles by client order id instead).
 *
 * **Gotchas**
 * - Secrets stay `Redacted` until the header is set; no log line or `BrokerError` message carries headers, and
 *   the key id and secret are scrubbed from the answer text a message quotes, whole or cut short (a proxy or error
 *   page may echo them).
 *   The APCA header names are also added to `Headers.CurrentRedactedNames` for anything that inspects requests.
 * - `effect/http`'s per-request client span is off for these requests (`TracerDisabledWhen`): it copied every
 *   request and response header into span attributes and sent trace headers to the broker, a measurable share
 *   of each order's CPU. Traces keep the caller's spans (run, stage, account, order); no trace id reaches Alpaca.
 * - The per-request timeout is a wall-clock timer, not `Clock`: `TestClock` does not fire it (tests of timeouts
 *   run live). The limiter and the retry schedules do follow `Clock`.
 * - Transport failures and timeouts are `Unavailable` (retryable); an unreadable 2xx body is `ServerError`
 *   (not retryable). Non-JSON error bodies are fine: their text becomes the message, except a web page (a proxy's,
 *   a load balancer's, Cloudflare's), said as its status and title (`@council/io/HtmlPage`), never its markup.
 * - The default base URL follows the account mode (paper/live); `AccountConfig.baseUrl` overrides it.
 * - Redirects are never followed (`@council/io/ThirdPartyRequests`): a 3xx is a non-retryable `InvalidRequest`. `fetch`
 *   would otherwise follow one to any host the guard never saw — a server on 127.0.0.1 answering 307 to Alpaca's
 *   live host — with the key headers, which it keeps across origins.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Headers from "effect/http/Headers"
import * as SchemaIssue from "effect/SchemaIssue"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type { AccountConfig, AccountId, BrokerCredentials } from "@council/domain"
import { boundedText } from "@council/io/BoundedText"
import { within } from "@council/io/Deadline"
import { toThirdParty } from "@council/io/ThirdPartyRequests"
import { htmlPage, isHtmlPage } from "@council/io/HtmlPage"
import { scrub } from "@council/io/SecretText"
import { BrokerError, type InsufficientShares } from "../Broker.ts"
import * as LiveGuard from "../LiveGuard.ts"
import { WireLatestTrades } from "./AlpacaBarsWire.ts"
import {
  errorReason,
  formatDecimal,
  isRetryableReason,
  parseDecimal,
  WireAccount,
  WireAsset,
  WireCalendarDay,
  WireCancelResult,
  WireClock,
  WireClosePositionResult,
  WireError,
  WireFillActivity,
  WireOrder,
  type WireOrderQuery,
  WireOrderRequest,
  WirePosition
} from "./AlpacaWire.ts"
import {
  type AccountLimiter,
  makeLimiter,
  rateLimitedRetryPolicy,
  type RateLimitOptions,
  retryPolicy,
  type RetryOptions
} from "./RequestPolicy.ts"

export { LIVE_BASE_URL, PAPER_BASE_URL } from "../LiveGuard.ts"

/** The account's base URL: its override, else Alpaca's paper or live host by mode. No trailing slash. */
export const baseUrlFor = (account: AccountConfig): string => LiveGuard.endpointOf(account).replace(/\/+$/, "")

/** Alpaca's market-data host (paper and live keys alike). */
export const DATA_URL = "https://data.alpaca.markets"

/**
 * Where the account's market-data requests go: Alpaca's data host for an account on Alpaca; any other base URL (a
 * stand-in on 127.0.0.1) serves both APIs itself.
 */
export const dataUrlFor = (account: AccountConfig): string => (LiveGuard.isAlpacaUrl(baseUrlFor(account)) ? DATA_URL : baseUrlFor(account))

/** The feed of the latest trades: IEX, the free plan's real-time feed (SIP's last 15 minutes need a subscription). */
export const LATEST_FEED = "iex"

export interface AlpacaClientOptions {
  /** Per-request timeout (each attempt). Default 10 s. */
  readonly timeout?: Duration.Input
  readonly rateLimit?: Partial<RateLimitOptions>
  readonly retry?: Partial<RetryOptions>
  /** Extra headers on every request (e.g. `X-Council-Session` for the local exchange server). */
  readonly headers?: Readonly<Record<string, string>>
}

export const DEFAULT_TIMEOUT: Duration.Input = "10 seconds"

/** Which failures a request may be retried on. */
export type RetryMode = "idempotent" | "rateLimited" | "never"

export interface AlpacaRequest {
  readonly method: "GET" | "POST" | "PATCH" | "DELETE"
  /** Path below the base URL, e.g. `/v2/orders`. */
  readonly path: string
  /** `data`: the market-data API (`dataUrlFor`); default the trading API. */
  readonly api?: "trading" | "data"
  readonly urlParams?: Readonly<Record<string, string | undefined>>
  /** A JSON value (already encoded). */
  readonly body?: unknown
  readonly retry: RetryMode
}

export interface ClosePositionQuery {
  readonly qty?: number
  readonly percentage?: number
}

export interface FillActivityQuery {
  readonly after?: string | undefined
  readonly pageSize: number
  readonly pageToken?: string | undefined
}

/** One account's Alpaca trading API. Every method fails only with `BrokerError`. */
export interface AlpacaClient {
  readonly account: AccountId
  readonly baseUrl: string
  readonly limiter: AccountLimiter
  /** Sends a request and decodes the 2xx JSON body with `schema`. */
  readonly request: <S extends Schema.Top & { readonly DecodingServices: never }>(
    request: AlpacaRequest,
    schema: S
  ) => Effect.Effect<S["Type"], BrokerError>
  /** Each symbol's latest trade (market-data API, `LATEST_FEED`); symbols without one are absent. */
  readonly getLatestTrades: (symbols: ReadonlyArray<string>) => Effect.Effect<WireLatestTrades, BrokerError>
  /** Sends a request whose 2xx answer has no body worth reading (204). */
  readonly requestNoContent: (request: AlpacaRequest) => Effect.Effect<void, BrokerError>
  readonly getAccount: Effect.Effect<WireAccount, BrokerError>
  readonly getPositions: Effect.Effect<ReadonlyArray<WirePosition>, BrokerError>
  /** `NotFound` when there is no position. */
  readonly getPosition: (symbol: string) => Effect.Effect<WirePosition, BrokerError>
  readonly listOrders: (query: WireOrderQuery) => Effect.Effect<ReadonlyArray<WireOrder>, BrokerError>
  readonly getOrder: (orderId: string) => Effect.Effect<WireOrder, BrokerError>
  /** One page of `FILL` activities, oldest first (`page_size` at most 100; `page_token`: the last id read). */
  readonly listFillActivities: (query: FillActivityQuery) => Effect.Effect<ReadonlyArray<WireFillActivity>, BrokerError>
  /** `NotFound` when no order has this client order id. */
  readonly getOrderByClientId: (clientOrderId: string) => Effect.Effect<WireOrder, BrokerError>
  /** One POST, never retried (see `AlpacaBroker.placeOrder` for exactly-once placement). */
  readonly submitOrder: (body: WireOrderRequest) => Effect.Effect<WireOrder, BrokerError>
  readonly cancelOrder: (orderId: string) => Effect.Effect<void, BrokerError>
  /** `DELETE /v2/orders` (207): one item per order. Not retried (see `Liquidation.cancelAll`). */
  readonly cancelAllOrders: Effect.Effect<ReadonlyArray<WireCancelResult>, BrokerError>
  /** Not retried: a partial close must not run twice (see `Liquidation.closeOne`). */
  readonly closePosition: (symbol: string, query?: ClosePositionQuery) => Effect.Effect<WireOrder, BrokerError>
  /** `DELETE /v2/positions?cancel_orders=…` (207): one item per position. Not retried (see `Liquidation.closeAll`). */
  readonly closeAllPositions: (options: { readonly cancelOrders: boolean }) => Effect.Effect<ReadonlyArray<WireClosePositionResult>, BrokerError>
  readonly getClock: Effect.Effect<WireClock, BrokerError>
  readonly getCalendar: (
    range?: { readonly start?: string; readonly end?: string }
  ) => Effect.Effect<ReadonlyArray<WireCalendarDay>, BrokerError>
  readonly getAsset: (symbolOrId: string) => Effect.Effect<WireAsset, BrokerError>
}

const REDACTED_HEADERS: ReadonlyArray<string> = [
  "authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "apca-api-key-id",
  "apca-api-secret-key"
]

interface RawResponse {
  readonly status: number
  readonly headers: Headers.Headers
  readonly text: string
}

/** The most of an answer read: Alpaca's largest (a page of 500 orders with their legs) is a few MB. */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024

const decodeErrorBody = Schema.decodeUnknownOption(Schema.fromJsonString(WireError))

const standardIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** The value at `path` in `text`'s JSON, when it is a plain one (a string, number, boolean or null). */
const plainValueAt = (text: string, path: ReadonlyArray<PropertyKey>): string | undefined => {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  for (const key of path) {
    if (typeof value !== "object" || value === null || typeof key === "symbol") return undefined
    value = (value as Record<string, unknown>)[String(key)]
  }
  if (value !== null && typeof value === "object") return undefined
  if (value === undefined) return undefined
  const shown = JSON.stringify(value)
  return shown.length > 60 ? `${shown.slice(0, 60)}…` : shown
}

/**
 * A 2xx body that does not decode, on one line: where in the answer (`[0].open`), what is wrong, and the value
 * there when it is a plain one (`, got "9:30"`) — the broker's answer named, not a schema's multi-line report.
 */
const unexpectedAnswer = (error: Schema.SchemaError, text: string): string => {
  const [issue] = standardIssues(error.issue).issues
  const path = (issue?.path ?? []).map((segment) => (typeof segment === "object" ? segment.key : segment))
  const place = path.map((key) => (typeof key === "number" ? `[${key}]` : `.${String(key)}`)).join("").replace(/^\./, "")
  const problem = (issue?.message ?? error.message).replace(/\s+/g, " ").trim()
  const value = path.length === 0 ? undefined : plainValueAt(text, path)
  return `${place === "" ? "" : `${place}: `}${problem}${value === undefined ? "" : `, got ${value}`}`
}

type JsonBodyDecoder = (text: string) => Effect.Effect<unknown, Schema.SchemaError>

/**
 * The JSON-body decoder of each response schema, built once: `Schema.fromJsonString(schema)` is a new schema
 * each time, so building it per response compiled a fresh parser for every request.
 */
const bodyDecoders = new WeakMap<Schema.Top, JsonBodyDecoder>()

const bodyDecoder = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S
): (text: string) => Effect.Effect<S["Type"], Schema.SchemaError> => {
  const cached = bodyDecoders.get(schema)
  if (cached !== undefined) return cached
  const decoder: JsonBodyDecoder = Schema.decodeUnknownEffect(Schema.fromJsonString(schema))
  bodyDecoders.set(schema, decoder)
  return decoder
}

/**
 * An error answer's message (its JSON `message`, else its text) on one line of at most 200 characters, the key id
 * and secret scrubbed first: cut before, a secret across the cut would leave its first characters.
 */
const errorMessage = (text: string, credentials: BrokerCredentials): string => {
  const body = decodeErrorBody(text)
  const message = body._tag === "Some" && body.value.message !== undefined ? body.value.message : text
  const line = scrubCredentials(message, credentials).replace(/\s+/g, " ").trim()
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}

const describe = (error: HttpClientError.HttpClientError): string => {
  const cause: unknown = "cause" in error.reason ? error.reason.cause : undefined
  const detail = error.reason.description ??
    (cause instanceof Error ? [cause.message, cause.cause instanceof Error ? cause.cause.message : ""].filter((s) => s !== "").join(": ") : "")
  return detail === "" ? error.reason._tag : `${error.reason._tag} (${detail})`
}

const segment = (value: string): string => encodeURIComponent(value)

/** Epoch millis a `Retry-After` header (seconds, or an HTTP date) asks to wait until; `undefined` if unreadable. */
const retryAfterUntil = (value: string, now: number): number | undefined => {
  const seconds = Number(value)
  if (value.trim() !== "" && Number.isFinite(seconds) && seconds >= 0) return now + seconds * 1000
  const date = Date.parse(value)
  return Number.isFinite(date) ? date : undefined
}

/**
 * `text` without the account's key id and secret, whole or cut short (an echoing server or proxy): `scrub`'s pieces,
 * 12 characters of a long secret, half of a short one such as a 20-character key id.
 */
const scrubCredentials = (text: string, credentials: BrokerCredentials): string =>
  scrub(scrub(text, Redacted.value(credentials.secretKey)), Redacted.value(credentials.keyId))

/** An account that has Alpaca credentials and passed the LIVE guard (`LiveGuard.guard`). */
export type AlpacaAccountConfig = LiveGuard.GuardedAccount & { readonly credentials: BrokerCredentials }

export const hasCredentials = (account: LiveGuard.GuardedAccount): account is AlpacaAccountConfig =>
  account.credentials !== undefined

/** The endpoints a client has: each one request (`request`, `requestNoContent`), its path, parameters, retry and answer. */
type Endpoints = Omit<AlpacaClient, "account" | "baseUrl" | "limiter" | "request" | "requestNoContent">

const encodeOrderRequest = Schema.encodeSync(WireOrderRequest)

/** Alpaca's endpoints over `request` and `requestNoContent`. */
const endpoints = (request: AlpacaClient["request"], requestNoContent: AlpacaClient["requestNoContent"]): Endpoints => ({
  getAccount: request({ method: "GET", path: "/v2/account", retry: "idempotent" }, WireAccount),
  getPositions: request({ method: "GET", path: "/v2/positions", retry: "idempotent" }, Schema.Array(WirePosition)),
  getPosition: (symbol) =>
    request({ method: "GET", path: `/v2/positions/${segment(symbol)}`, retry: "idempotent" }, WirePosition),
  listOrders: (query) =>
    request({
      method: "GET",
      path: "/v2/orders",
      urlParams: {
        status: query.status,
        limit: query.limit === undefined ? undefined : String(query.limit),
        after: query.after,
        until: query.until,
        direction: query.direction,
        nested: query.nested === undefined ? undefined : String(query.nested),
        symbols: query.symbols === undefined || query.symbols.length === 0 ? undefined : query.symbols.join(",")
      },
      retry: "idempotent"
    }, Schema.Array(WireOrder)),
  getOrder: (orderId) =>
    request({ method: "GET", path: `/v2/orders/${segment(orderId)}`, urlParams: { nested: "true" }, retry: "idempotent" }, WireOrder),
  listFillActivities: (query) =>
    request({
      method: "GET",
      path: "/v2/account/activities/FILL",
      urlParams: { after: query.after, direction: "asc", page_size: String(query.pageSize), page_token: query.pageToken },
      retry: "idempotent"
    }, Schema.Array(WireFillActivity)),
  getOrderByClientId: (clientOrderId) =>
    request({
      method: "GET",
      path: "/v2/orders:by_client_order_id",
      urlParams: { client_order_id: clientOrderId },
      retry: "idempotent"
    }, WireOrder),
  submitOrder: (body) =>
    request({ method: "POST", path: "/v2/orders", body: encodeOrderRequest(body), retry: "never" }, WireOrder),
  cancelOrder: (orderId) =>
    requestNoContent({ method: "DELETE", path: `/v2/orders/${segment(orderId)}`, retry: "idempotent" }),
  cancelAllOrders: request(
    { method: "DELETE", path: "/v2/orders", retry: "never" },
    Schema.Array(WireCancelResult)
  ),
  closePosition: (symbol, query = {}) =>
    request({
      method: "DELETE",
      path: `/v2/positions/${segment(symbol)}`,
      urlParams: {
        qty: query.qty === undefined ? undefined : formatDecimal(query.qty),
        percentage: query.percentage === undefined ? undefined : formatDecimal(query.percentage)
      },
      retry: "never"
    }, WireOrder),
  closeAllPositions: ({ cancelOrders }) =>
    request({
      method: "DELETE",
      path: "/v2/positions",
      urlParams: { cancel_orders: String(cancelOrders) },
      retry: "never"
    }, Schema.Array(WireClosePositionResult)),
  getClock: request({ method: "GET", path: "/v2/clock", retry: "idempotent" }, WireClock),
  getCalendar: (range = {}) =>
    request({
      method: "GET",
      path: "/v2/calendar",
      urlParams: { start: range.start, end: range.end },
      retry: "idempotent"
    }, Schema.Array(WireCalendarDay)),
  getAsset: (symbolOrId) =>
    request({ method: "GET", path: `/v2/assets/${segment(symbolOrId)}`, retry: "idempotent" }, WireAsset),
  getLatestTrades: (symbols) =>
    request({
      method: "GET",
      api: "data",
      path: "/v2/stocks/trades/latest",
      urlParams: { symbols: symbols.join(","), feed: LATEST_FEED },
      retry: "idempotent"
    }, WireLatestTrades)
})

/** The HTTP request of `request` on `base`, with the account's keys (and any extra `headers`), asking for JSON. */
const httpRequestOf = (
  request: AlpacaRequest,
  base: string,
  credentials: BrokerCredentials,
  headers: Readonly<Record<string, string>> | undefined
): HttpClientRequest.HttpClientRequest => {
  const urlParams: Record<string, string> = {}
  for (const [key, value] of Object.entries(request.urlParams ?? {})) {
    if (value !== undefined) urlParams[key] = value
  }
  const bare = HttpClientRequest.make(request.method)(`${base}${request.path}`, { urlParams }).pipe(
    HttpClientRequest.setHeaders({
      ...headers,
      "APCA-API-KEY-ID": Redacted.value(credentials.keyId),
      "APCA-API-SECRET-KEY": Redacted.value(credentials.secretKey)
    }),
    HttpClientRequest.acceptJson
  )
  return request.body === undefined ? bare : HttpClientRequest.bodyJsonUnsafe(bare, request.body)
}

/** Pauses `limiter` as an answer asks: to `X-RateLimit-Reset` when none are left or on a 429, else to `Retry-After`. */
const observeRateLimit = (limiter: AccountLimiter) =>
  Effect.fnUntraced(function*(response: RawResponse) {
    const remaining = response.headers["x-ratelimit-remaining"]
    const reset = Number(response.headers["x-ratelimit-reset"])
    if ((response.status === 429 || remaining === "0") && Number.isFinite(reset) && reset > 0) {
      return yield* limiter.pauseUntil(reset * 1000)
    }
    const after = response.headers["retry-after"]
    if ((response.status === 429 || response.status === 503) && after !== undefined) {
      const now = yield* Clock.currentTimeMillis
      const until = retryAfterUntil(after, now)
      if (until !== undefined) yield* limiter.pauseUntil(until)
    }
  })

type Fail = (
  reason: BrokerError["reason"],
  message: string,
  extra?: { readonly resetAt?: number; readonly retryable?: boolean; readonly shares?: InsufficientShares }
) => BrokerError

/** What an insufficient-qty refusal's body says the position holds, when it says all of it (Alpaca's 403 does). */
const sharesOf = (text: string): InsufficientShares | undefined => {
  const body = decodeErrorBody(text)
  if (body._tag === "None") return undefined
  const { available, existing_qty, held_for_orders, symbol } = body.value
  const [existingQty, heldForOrders, free] = [existing_qty, held_for_orders, available].map((v) => parseDecimal(v))
  return symbol === undefined || existingQty === undefined || heldForOrders === undefined || free === undefined
    ? undefined
    : { symbol, existingQty, heldForOrders, available: free }
}

/** The error a non-2xx answer to `what` stands for; a redirect is never followed (it could lead past the LIVE guard). */
const refusal = (fail: Fail, what: string, response: RawResponse, credentials: BrokerCredentials): BrokerError => {
  if (response.status >= 300 && response.status < 400) {
    return fail("InvalidRequest", `${what}: ${response.status} a redirect, not followed (a broker's redirect could lead past the LIVE guard)`)
  }
  const message = errorMessage(response.text, credentials) || `HTTP ${response.status}`
  const reason = errorReason(response.status, message)
  const reset = Number(response.headers["x-ratelimit-reset"])
  const shares = reason === "InsufficientQty" ? sharesOf(response.text) : undefined
  return fail(
    reason,
    `${what}: ${answerText(response, credentials) ?? `${response.status} ${message}`}`,
    reason === "RateLimited" && Number.isFinite(reset) && reset > 0 ? { resetAt: reset } : shares === undefined ? {} : { shares }
  )
}

/**
 * An answer that is a web page (a proxy's, a load balancer's, Cloudflare's) as its status and title, never its
 * markup; `undefined` for any other answer (Alpaca's JSON, plain words), which is quoted as it is.
 */
const answerText = (response: RawResponse, credentials: BrokerCredentials): string | undefined =>
  isHtmlPage(response.text) ? htmlPage(response.status, scrubCredentials(response.text, credentials), "Alpaca") : undefined

/**
 * A client for one account. Only a `GuardedAccount` has a client: an account object that did not come out of
 * `LiveGuard.guard` (or was copied afterwards) is a defect, before any request.
 */
export const make = Effect.fnUntraced(function*(
  config: AlpacaAccountConfig,
  options: AlpacaClientOptions = {}
): Effect.fn.Return<AlpacaClient, never, HttpClient.HttpClient> {
  const candidate: AccountConfig = config
  if (!LiveGuard.isGuarded(candidate)) {
    return yield* Effect.die(new Error(`account ${candidate.id} did not pass the LIVE guard; no client is made for it`))
  }
  const account = config.id
  const fail: Fail = (reason, message, extra = {}) => new BrokerError({ account, reason, message, retryable: isRetryableReason(reason), ...extra })
  const credentials = config.credentials
  const http = yield* HttpClient.HttpClient
  const baseUrl = baseUrlFor(config)
  const dataUrl = dataUrlFor(config)
  const timeout = Duration.fromInputUnsafe(options.timeout ?? DEFAULT_TIMEOUT)
  const timeoutMillis = Duration.toMillis(timeout)
  const limiter = yield* makeLimiter(options.rateLimit)
  const retryAll = retryPolicy(options.retry)
  const retryRateLimited = rateLimitedRetryPolicy(options.retry)

  const send = (request: AlpacaRequest): Effect.Effect<RawResponse, BrokerError> => {
    const what = `${request.method} ${request.path}`
    const httpRequest = httpRequestOf(request, request.api === "data" ? dataUrl : baseUrl, credentials, options.headers)
    const attempt = http.execute(httpRequest).pipe(
      Effect.flatMap((response) =>
        Effect.map(boundedText(response, MAX_ANSWER_BYTES), (text): RawResponse => ({ status: response.status, headers: response.headers, text }))
      ),
      within(timeoutMillis, () => fail("Unavailable", `${what}: timed out after ${Duration.format(timeout)}`)),
      Effect.catchTag("HttpClientError", (error) =>
        Effect.fail(fail("Unavailable", `${what}: ${scrubCredentials(describe(error), credentials)}`))),
      limiter.withPermit,
      Effect.tap(observeRateLimit(limiter)),
      Effect.flatMap((response) =>
        response.status >= 200 && response.status < 300 ? Effect.succeed(response) : Effect.fail(refusal(fail, what, response, credentials))
      ),
      Effect.tapError((error) =>
        error.retryable ? Effect.logWarning(`alpaca ${account}: ${error.message}`) : Effect.void
      ),
      Effect.provideService(Headers.CurrentRedactedNames, REDACTED_HEADERS),
      Effect.provideService(HttpClient.TracerDisabledWhen, () => true),
      toThirdParty
    )
    switch (request.retry) {
      case "idempotent":
        return Effect.retry(attempt, retryAll)
      case "rateLimited":
        return Effect.retry(attempt, retryRateLimited)
      case "never":
        return attempt
    }
  }

  const request = <S extends Schema.Top & { readonly DecodingServices: never }>(
    req: AlpacaRequest,
    schema: S
  ): Effect.Effect<S["Type"], BrokerError> =>
    send(req).pipe(
      Effect.flatMap((response) =>
        bodyDecoder(schema)(response.text).pipe(
          Effect.mapError((error) =>
            fail("ServerError", `${req.method} ${req.path}: unexpected response: ${answerText(response, credentials) ?? scrubCredentials(unexpectedAnswer(error, response.text), credentials)}`, {
              retryable: false
            })
          )
        )
      )
    )

  const requestNoContent = (req: AlpacaRequest): Effect.Effect<void, BrokerError> => Effect.asVoid(send(req))

  return { account, baseUrl, limiter, request, requestNoContent, ...endpoints(request, requestNoContent) } satisfies AlpacaClient
})

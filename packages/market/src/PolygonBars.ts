/**
 * `MarketData` over Polygon's (now Massive's) daily aggregates,
 * `GET /v2/aggs/ticker/{T}/range/1/day/{from}/{to}?adjusted=false&sort=asc&limit=50000`, one call per symbol.
 *
 * **When to use**: `COUNCIL_DATA=polygon` (see `MarketFeed`). `layer(options)` is fully provided (fetch-based HTTP
 * client); `make(options)` needs an `HttpClient`.
 *
 * **Gotchas**
 * - The free tier allows **5 calls a minute**. Every call of one feed (each page, each retry) goes through one
 *   sliding-window limiter: never more than `callsPerMinute` call starts in any 60 s, in order of arrival. The first
 *   snapshot of the ten-ETF universe is ten calls, so it takes a little over a minute; after that the fetched bars
 *   are served from memory (see `RemoteBars`) and only missing days are fetched again.
 * - HTTP 429 (a key shared with another program, say) waits a minute and retries, three times at most.
 * - The key is sent as `Authorization: Bearer`, never as `apiKey=` in a URL, so it cannot end up in a logged URL;
 *   `next_url` is followed with the header again, rebased onto `baseUrl` when it names another host (the key is only
 *   ever sent to `baseUrl`), and any `apiKey` parameter in it is dropped. Messages are scrubbed of the key.
 * - Bars are raw (`adjusted=false`: what traded); adjusted bars fetched later would rewrite the prices an earlier
 *   session traded at. Splits come from `GET /v3/reference/splits?ticker=…&execution_date.gte=…&execution_date.lte=…`
 *   (`split_to` shares for `split_from`, effective on `execution_date`), cash dividends from
 *   `GET /v3/reference/dividends?ticker=…&ex_dividend_date.gte=…&ex_dividend_date.lte=…` (`cash_amount` a share):
 *   two calls per symbol, through the same limiter, made only when the exchange or a report asks for actions.
 * - A result's `t` is the Unix milliseconds of midnight New York: the bar's date is its New York date.
 * - Today's session so far (the `close` schedule) comes from the snapshot endpoint
 *   `GET /v2/snapshot/locale/us/markets/stocks/tickers?tickers=…` (one call): each ticker's `day` bar so far with its
 *   `lastTrade` as the close (trades after now are never used). The free tier does not include it (HTTP 403, said
 *   so); a paid plan does.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"
import type { Bar, Ticker, TradingDay } from "@council/domain"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { toThirdParty } from "@council/io/ThirdPartyRequests"
import type { CorporateAction } from "./CorporateAction.ts"
import { MarketData, MarketDataError } from "./MarketData.ts"
import * as RemoteBars from "./RemoteBars.ts"

export const defaultBaseUrl = "https://api.polygon.io"

/** The free ("Basic") tier's limit. */
export const FREE_TIER_CALLS_PER_MINUTE = 5

export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  /** Default `defaultBaseUrl` (`https://api.massive.com` serves the same API). */
  readonly baseUrl?: string | undefined
  /** Default `RemoteBars.defaultUniverse`. */
  readonly symbols?: ReadonlyArray<Ticker> | undefined
  /** Default `FREE_TIER_CALLS_PER_MINUTE`; paid plans may raise it. */
  readonly callsPerMinute?: number | undefined
  /** How long one request may take, its body included (not its wait for the limiter). Default 30 s. */
  readonly requestTimeout?: Duration.Input | undefined
}

/** Wraps an effect so that it starts only when fewer than `calls` starts happened in the last `window`. */
export type CallLimiter = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/**
 * A sliding-window call limiter: callers queue in order, and a call starts only when fewer than `calls` calls started
 * in the preceding `window`. Time comes from `Clock` (`TestClock` in tests).
 */
export const makeCallLimiter = Effect.fnUntraced(function*(options: {
  readonly calls: number
  readonly window: Duration.Input
}) {
  if (!Number.isInteger(options.calls) || options.calls < 1) {
    return yield* Effect.die(new RangeError(`a call limit must be a positive integer, got ${options.calls}`))
  }
  const windowMillis = Duration.toMillis(options.window)
  const lock = yield* Semaphore.make(1)
  const starts: Array<number> = []
  const admit = lock.withPermits(1)(Effect.gen(function*() {
    let now = yield* Clock.currentTimeMillis
    while (starts.length > 0 && starts[0]! <= now - windowMillis) starts.shift()
    if (starts.length >= options.calls) {
      yield* Effect.sleep(starts[0]! + windowMillis - now)
      now = yield* Clock.currentTimeMillis
      while (starts.length > 0 && starts[0]! <= now - windowMillis) starts.shift()
    }
    starts.push(now)
  }))
  const limiter: CallLimiter = (self) => Effect.andThen(admit, self)
  return limiter
})

const Aggregate = Schema.Struct({
  t: Schema.Finite,
  o: Schema.Finite,
  h: Schema.Finite,
  l: Schema.Finite,
  c: Schema.Finite,
  v: Schema.Finite
})

/** An entry of the snapshot endpoint; `lastTrade.t` is in nanoseconds. */
const TickerSnapshot = Schema.Struct({
  ticker: Schema.String,
  day: Schema.optional(Schema.NullOr(Schema.Struct({ o: Schema.Finite, h: Schema.Finite, l: Schema.Finite, c: Schema.Finite, v: Schema.Finite }))),
  lastTrade: Schema.optional(Schema.NullOr(Schema.Struct({ p: Schema.Finite, t: Schema.Finite }))),
  updated: Schema.optional(Schema.NullOr(Schema.Finite))
})

const SnapshotPage = Schema.Struct({ tickers: Schema.optional(Schema.NullOr(Schema.Array(TickerSnapshot))) })

const AggsPage = Schema.Struct({
  results: Schema.optional(Schema.NullOr(Schema.Array(Aggregate))),
  next_url: Schema.optional(Schema.NullOr(Schema.String))
})

const SplitsPage = Schema.Struct({
  results: Schema.optional(Schema.NullOr(Schema.Array(Schema.Struct({
    ticker: Schema.String,
    execution_date: Schema.String,
    split_from: Schema.Finite,
    split_to: Schema.Finite
  })))),
  next_url: Schema.optional(Schema.NullOr(Schema.String))
})

const DividendsPage = Schema.Struct({
  results: Schema.optional(Schema.NullOr(Schema.Array(Schema.Struct({
    ticker: Schema.String,
    ex_dividend_date: Schema.String,
    cash_amount: Schema.Finite
  })))),
  next_url: Schema.optional(Schema.NullOr(Schema.String))
})

const PROVIDER = "polygon"
const RATE_LIMIT_RETRIES = 3
const WAIT_ON_429 = Effect.succeed(60_000)

/** What every request of the feed needs: the client, its call limiter, the API's base URL, the options (key). */
interface Connection {
  readonly client: HttpClient.HttpClient
  readonly limiter: CallLimiter
  readonly base: string
  readonly options: Options
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
}

/** `request` with the key (a bearer token) and asking for JSON. */
const keyed = ({ options }: Connection, request: HttpClientRequest.HttpClientRequest) =>
  request.pipe(HttpClientRequest.bearerToken(options.apiKey), HttpClientRequest.acceptJson)

/** `next_url` without any `apiKey`, on `base`'s host. */
const rebase = ({ base }: Connection, next: string): string => {
  const url = new URL(next, `${base}/`)
  url.searchParams.delete("apiKey")
  return url.origin === new URL(base).origin ? url.toString() : `${base}${url.pathname}${url.search}`
}

/** One keyed request through the limiter, its answer decoded by `schema`; rate limits retried as the feed allows. */
const pageOf = <S extends Schema.Top & { readonly DecodingServices: never }>({ client, limiter, options, secrets }: Connection, schema: S) =>
(request: HttpClientRequest.HttpClientRequest, what: string) =>
  client.execute(request).pipe(RemoteBars.answerOf({
    provider: PROVIDER,
    what,
    secrets,
    waitOn429: () => WAIT_ON_429,
    schema,
    retries: RATE_LIMIT_RETRIES,
    timeout: options.requestTimeout,
    limit: limiter
  }))

/** Every result of `path` with `params`, following `next_url` (without its `apiKey`, on `base`). */
const allResults = <A>(
  connection: Connection,
  read: (request: HttpClientRequest.HttpClientRequest, what: string) => Effect.Effect<{ readonly results?: ReadonlyArray<A> | null | undefined; readonly next_url?: string | null | undefined }, MarketDataError>,
  path: string,
  params: Record<string, string>
) =>
  Effect.gen(function*() {
    const out: Array<A> = []
    const seen = new Set<string>()
    let request = HttpClientRequest.get(`${connection.base}${path}`, { urlParams: params })
    let what = `GET ${path}`
    while (true) {
      const body = yield* read(keyed(connection, request), what)
      out.push(...(body.results ?? []))
      if (!body.next_url) return out
      const next = rebase(connection, body.next_url)
      if (seen.has(next)) {
        return yield* new MarketDataError({ reason: "InvalidData", message: `${PROVIDER}: next_url repeats for ${what}` })
      }
      seen.add(next)
      request = HttpClientRequest.get(next)
      what = `GET ${path} (next page)`
    }
  })

/** The splits and cash dividends of `symbols` with an ex-date in `[from, to]`: two calls a symbol. */
const corporateActions = Effect.fnUntraced(function*(connection: Connection, symbols: ReadonlyArray<Ticker>, from: TradingDay, to: TradingDay) {
  const out: Array<CorporateAction> = []
  const day = (text: string) => text.slice(0, 10) as TradingDay
  for (const symbol of symbols) {
    const splits = yield* allResults(connection, pageOf(connection, SplitsPage), "/v3/reference/splits", {
      ticker: symbol,
      "execution_date.gte": from,
      "execution_date.lte": to,
      limit: "1000"
    })
    for (const split of splits) {
      if (split.ticker !== symbol) continue
      out.push({ kind: "split", symbol, exDate: day(split.execution_date), newRate: split.split_to, oldRate: split.split_from })
    }
    const dividends = yield* allResults(connection, pageOf(connection, DividendsPage), "/v3/reference/dividends", {
      ticker: symbol,
      "ex_dividend_date.gte": from,
      "ex_dividend_date.lte": to,
      limit: "1000"
    })
    for (const dividend of dividends) {
      if (dividend.ticker !== symbol) continue
      out.push({ kind: "dividend", symbol, exDate: day(dividend.ex_dividend_date), cash: dividend.cash_amount })
    }
  }
  return out
})

const fetchSymbol = (connection: Connection, symbol: Ticker, from: TradingDay, to: TradingDay) =>
  Effect.map(
    allResults(connection, pageOf(connection, AggsPage), `/v2/aggs/ticker/${encodeURIComponent(symbol)}/range/1/day/${from}/${to}`, {
      adjusted: "false",
      sort: "asc",
      limit: "50000"
    }),
    (aggs): ReadonlyArray<Bar> =>
      aggs.map((agg) => ({ date: RemoteBars.nyDate(agg.t), open: agg.o, high: agg.h, low: agg.l, close: agg.c, volume: agg.v }))
  )

const fetchBars = Effect.fnUntraced(function*(connection: Connection, symbols: ReadonlyArray<Ticker>, from: TradingDay, to: TradingDay) {
  const out = new Map<string, ReadonlyArray<Bar>>()
  for (const symbol of symbols) out.set(symbol, yield* fetchSymbol(connection, symbol, from, to))
  return out
})

/** Today's bar so far of each ticker, its close the last trade at or before `until`. */
const sessionSoFar = Effect.fnUntraced(function*(connection: Connection, symbols: ReadonlyArray<Ticker>, day: TradingDay, until: number) {
  const path = "/v2/snapshot/locale/us/markets/stocks/tickers"
  const request = HttpClientRequest.get(`${connection.base}${path}`, { urlParams: { tickers: symbols.join(",") } })
  const body = yield* pageOf(connection, SnapshotPage)(keyed(connection, request), `GET ${path}`)
  const out = new Map<string, Bar>()
  for (const entry of body.tickers ?? []) {
    const bar = entry.day
    const updatedDay = entry.updated == null ? day : RemoteBars.nyDate(Math.floor(entry.updated / 1e6))
    if (bar == null || bar.o <= 0 || updatedDay !== day) continue
    const trade = entry.lastTrade
    const tradeMs = trade == null ? undefined : Math.floor(trade.t / 1e6)
    const last = trade != null && tradeMs !== undefined && tradeMs <= until && RemoteBars.nyDate(tradeMs) === day ? trade.p : bar.c
    out.set(entry.ticker, { date: day, open: bar.o, high: Math.max(bar.h, last), low: Math.min(bar.l, last), close: last, volume: bar.v })
  }
  return out
})

/** The `RemoteBars.Provider` for Polygon over `client`; every call goes through `limiter`. */
export const provider = (client: HttpClient.HttpClient, options: Options, limiter: CallLimiter): RemoteBars.Provider => {
  const connection: Connection = {
    client,
    limiter,
    base: (options.baseUrl ?? defaultBaseUrl).replace(/\/+$/, ""),
    options,
    secrets: [options.apiKey]
  }
  return {
    name: PROVIDER,
    fetch: (symbols, from, to) => fetchBars(connection, symbols, from, to),
    sessionSoFar: (symbols, day, until) => sessionSoFar(connection, symbols, day, until),
    corporateActions: (symbols, from, to) => corporateActions(connection, symbols, from, to)
  }
}

/** The feed, over the `HttpClient` in context, with its own call limiter. */
export const make: (options: Options) => Effect.Effect<MarketData["Service"], MarketDataError, HttpClient.HttpClient> =
  Effect.fn("PolygonBars.make")(function*(options: Options) {
    const client = yield* HttpClient.HttpClient
    const limiter = yield* makeCallLimiter({
      calls: options.callsPerMinute ?? FREE_TIER_CALLS_PER_MINUTE,
      window: "1 minute"
    })
    return yield* RemoteBars.make(provider(HttpClient.transform(client, toThirdParty), options, limiter), options.symbols ?? RemoteBars.defaultUniverse)
  })

/** `MarketData` over Polygon, with the fetch-based HTTP client. Nothing is fetched until the first query. */
export const layer = (options: Options): Layer.Layer<MarketData, MarketDataError> =>
  Layer.effect(MarketData, make(options)).pipe(Layer.provide(FetchHttpClient.layer))

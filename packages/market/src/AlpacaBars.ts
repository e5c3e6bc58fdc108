/**
 * `MarketData` over Alpaca's market-data API (`GET /v2/stocks/bars`, daily bars of the whole universe per call).
 *
 * **When to use**: `COUNCIL_DATA=alpaca` (see `MarketFeed`). Market data needs a personal (live-account) key pair:
 * paper keys cannot read history. `layer(options)` is fully provided (fetch-based HTTP client); `make(options)`
 * needs an `HttpClient`.
 *
 * **Gotchas**
 * - Requests carry `timeframe=1Day&adjustment=raw&limit=10000`, `start`/`end` as the RFC3339 instants of midnight
 *   New York of the first and the as-of day (a bare `YYYY-MM-DD` end could be read as midnight UTC, which would
 *   drop the as-of day's bar), and follow `next_page_token` until it is null. `limit` counts bars across all
 *   symbols; pages are symbol-major, so a symbol can span pages.
 * - `feed` defaults to `sip`: the free plan serves SIP history older than 15 minutes, and the feed never asks for a
 *   day before 20:00 New York has passed (see `RemoteBars`). `iex` volumes are a small fraction of the market's.
 * - A bar's `t` is midnight New York expressed in UTC (`…T05:00:00Z` in winter, `…T04:00:00Z` in summer): the bar's
 *   date is its New York date, never the UTC date.
 * - Sessions are the days with bars (no `/v2/calendar` call): holidays and weekends simply have no bars.
 * - Today's session so far (the `close` schedule, `RemoteBars.snapshotDuring`) comes from
 *   `GET /v2/stocks/snapshots`: each symbol's `dailyBar` so far with its `latestTrade` as the close — trades after
 *   now are never used. It asks `intradayFeed` (default `iex`: the free plan's real-time feed; SIP's latest 15
 *   minutes need a paid plan).
 * - Bars are raw (what traded): adjusted bars fetched later would rewrite the prices an earlier session traded
 *   at. Splits and cash dividends come from `GET /v1/corporate-actions` (`types=forward_split,reverse_split,
 *   cash_dividend`), asked only when the exchange or a report needs them. Its `start`/`end` filter on
 *   `process_date`, which for a dividend can come weeks after the ex-date: it is asked for process dates from a
 *   week before to `PROCESS_LAG_DAYS` after the ex-dates wanted, and what comes back is kept by its `ex_date`.
 * - HTTP 429 waits until `X-RateLimit-Reset` (1 to 60 s; 3 s without the header) and retries, three times at most.
 *   Other failures are `MarketDataError` `Unavailable` naming `alpaca`, the status and the body's message; the keys
 *   only travel in the `APCA-API-KEY-ID` / `APCA-API-SECRET-KEY` headers and are scrubbed from every message.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { Bar, Ticker, TradingDay } from "@council/domain"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { toThirdParty } from "@council/io/ThirdPartyRequests"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import type { CorporateAction } from "./CorporateAction.ts"
import { MarketData, MarketDataError } from "./MarketData.ts"
import * as RemoteBars from "./RemoteBars.ts"

export const defaultBaseUrl = "https://data.alpaca.markets"

export type Feed = "sip" | "iex" | "boats" | "otc"

export interface Options {
  readonly keyId: Redacted.Redacted<string>
  readonly secretKey: Redacted.Redacted<string>
  /** Default `defaultBaseUrl`; tests and proxies point it elsewhere. */
  readonly baseUrl?: string | undefined
  /** Default `RemoteBars.defaultUniverse`. */
  readonly symbols?: ReadonlyArray<Ticker> | undefined
  /** Default `sip`. */
  readonly feed?: Feed | undefined
  /** The feed of today's session so far. Default `iex`. */
  readonly intradayFeed?: Feed | "delayed_sip" | undefined
  /** How long one request may take, its body included. Default `RemoteBars.DEFAULT_REQUEST_TIMEOUT` (30 s). */
  readonly requestTimeout?: Duration.Input | undefined
}

const AlpacaBar = Schema.Struct({
  t: Schema.String,
  o: Schema.Finite,
  h: Schema.Finite,
  l: Schema.Finite,
  c: Schema.Finite,
  v: Schema.Finite
})

const LatestTrade = Schema.Struct({ t: Schema.String, p: Schema.Finite })

/** `GET /v2/stocks/snapshots`: a map of symbol to snapshot (`null` for an unknown symbol), no wrapper key. */
const Snapshots = Schema.Record(
  Schema.String,
  Schema.NullOr(Schema.Struct({
    latestTrade: Schema.optional(Schema.NullOr(LatestTrade)),
    dailyBar: Schema.optional(Schema.NullOr(AlpacaBar))
  }))
)

const BarsPage = Schema.Struct({
  bars: Schema.NullOr(Schema.Record(Schema.String, Schema.NullOr(Schema.Array(AlpacaBar)))),
  next_page_token: Schema.optional(Schema.NullOr(Schema.String))
})

/** `GET /v1/corporate-actions`: `corporate_actions` holds one list per type asked; unknown fields are ignored. */
const AlpacaSplit = Schema.Struct({ symbol: Schema.String, new_rate: Schema.Finite, old_rate: Schema.Finite, ex_date: Schema.String })
const AlpacaDividend = Schema.Struct({ symbol: Schema.String, rate: Schema.Finite, ex_date: Schema.String })
const ActionsPage = Schema.Struct({
  corporate_actions: Schema.Struct({
    forward_splits: Schema.optional(Schema.NullOr(Schema.Array(AlpacaSplit))),
    reverse_splits: Schema.optional(Schema.NullOr(Schema.Array(AlpacaSplit))),
    cash_dividends: Schema.optional(Schema.NullOr(Schema.Array(AlpacaDividend)))
  }),
  next_page_token: Schema.optional(Schema.NullOr(Schema.String))
})

/** How many days after an ex-date the action's `process_date` may fall (a dividend's is near its pay date). */
export const PROCESS_LAG_DAYS = 90

const PROVIDER = "alpaca"
const RATE_LIMIT_RETRIES = 3
const DEFAULT_429_WAIT_MS = 3_000

const rfc3339 = (epochMillis: number): string => new Date(epochMillis).toISOString().replace(".000Z", "Z")

/** How long to wait after a 429: until `X-RateLimit-Reset` (epoch seconds), clamped to 1–60 s. */
const waitOn429 = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<number> =>
  Effect.map(Clock.currentTimeMillis, (now) => {
    const reset = Number(response.headers["x-ratelimit-reset"])
    return Number.isFinite(reset) && reset > 0
      ? Math.min(60_000, Math.max(1_000, reset * 1000 - now))
      : DEFAULT_429_WAIT_MS
  })

/** What every request of the feed needs: the client, the API's base URL, the options (keys, feeds). */
interface Connection {
  readonly client: HttpClient.HttpClient
  readonly base: string
  readonly options: Options
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
}

/** One GET of `path` with the keys, its answer decoded by `schema`; rate limits retried as the feed allows, each attempt timed. */
const getJson = <S extends Schema.Top & { readonly DecodingServices: never }>(
  { base, client, options, secrets }: Connection,
  path: string,
  what: string,
  urlParams: Record<string, string>,
  schema: S
) => {
  const request = HttpClientRequest.get(`${base}${path}`, {
    acceptJson: true,
    urlParams,
    headers: {
      "APCA-API-KEY-ID": Redacted.value(options.keyId),
      "APCA-API-SECRET-KEY": Redacted.value(options.secretKey)
    }
  })
  return client.execute(request).pipe(
    RemoteBars.answerOf({ provider: PROVIDER, what, secrets, waitOn429, schema, retries: RATE_LIMIT_RETRIES, timeout: options.requestTimeout })
  )
}

const nextPage = (pageToken: string | undefined) => pageToken === undefined ? {} : { page_token: pageToken }

/** A page token seen before: the pages would never end. */
const repeatedToken = (of: string) =>
  new MarketDataError({ reason: "InvalidData", message: `${PROVIDER}: next_page_token repeats for ${of}` })

const barsPage = (connection: Connection, symbols: ReadonlyArray<Ticker>, from: TradingDay, to: TradingDay, pageToken: string | undefined) =>
  getJson(connection, "/v2/stocks/bars", `GET /v2/stocks/bars ${from}..${to}${pageToken ? " (next page)" : ""}`, {
    symbols: symbols.join(","),
    timeframe: "1Day",
    start: rfc3339(RemoteBars.nyMidnight(from)),
    end: rfc3339(RemoteBars.nyMidnight(to)),
    adjustment: "raw",
    feed: connection.options.feed ?? "sip",
    limit: "10000",
    ...nextPage(pageToken)
  }, BarsPage)

/** The daily bars of `symbols` for `[from, to]`, page after page, keyed by symbol. */
const fetchBars = Effect.fnUntraced(function*(connection: Connection, symbols: ReadonlyArray<Ticker>, from: TradingDay, to: TradingDay) {
  const out = new Map<string, Array<Bar>>()
  const seen = new Set<string>()
  let pageToken: string | undefined
  do {
    const body = yield* barsPage(connection, symbols, from, to, pageToken)
    for (const [symbol, rows] of Object.entries(body.bars ?? {})) {
      const bars = out.get(symbol) ?? []
      out.set(symbol, bars)
      for (const row of rows ?? []) {
        const t = Date.parse(row.t)
        if (Number.isNaN(t)) {
          return yield* new MarketDataError({
            reason: "InvalidData",
            message: `${PROVIDER}: bar of ${symbol} has an invalid timestamp "${row.t}"`
          })
        }
        bars.push({ date: RemoteBars.nyDate(t), open: row.o, high: row.h, low: row.l, close: row.c, volume: row.v })
      }
    }
    pageToken = body.next_page_token ?? undefined
    if (pageToken !== undefined) {
      if (seen.has(pageToken)) return yield* repeatedToken(`${from}..${to}`)
      seen.add(pageToken)
    }
  } while (pageToken !== undefined)
  return out
})

/** Today's bar so far of each symbol, its close the latest trade at or before `until`. */
const sessionSoFar = Effect.fnUntraced(function*(connection: Connection, symbols: ReadonlyArray<Ticker>, day: TradingDay, until: number) {
  const urlParams = { symbols: symbols.join(","), feed: connection.options.intradayFeed ?? "iex" }
  const body = yield* getJson(connection, "/v2/stocks/snapshots", `GET /v2/stocks/snapshots ${day}`, urlParams, Snapshots)
  const out = new Map<string, Bar>()
  for (const [symbol, snapshot] of Object.entries(body)) {
    const daily = snapshot?.dailyBar
    if (daily == null || RemoteBars.nyDate(Date.parse(daily.t)) !== day) continue
    const trade = snapshot?.latestTrade
    const last = trade != null && Date.parse(trade.t) <= until && RemoteBars.nyDate(Date.parse(trade.t)) === day ? trade.p : daily.c
    out.set(symbol, {
      date: day,
      open: daily.o,
      high: Math.max(daily.h, last),
      low: Math.min(daily.l, last),
      close: last,
      volume: daily.v
    })
  }
  return out
})

const actionsPage = (connection: Connection, symbols: ReadonlyArray<Ticker>, from: TradingDay, to: TradingDay, pageToken: string | undefined) =>
  getJson(connection, "/v1/corporate-actions", `GET /v1/corporate-actions ${from}..${to}${pageToken ? " (next page)" : ""}`, {
    symbols: symbols.join(","),
    types: "forward_split,reverse_split,cash_dividend",
    start: RemoteBars.addDays(from, -7),
    end: RemoteBars.addDays(to, PROCESS_LAG_DAYS),
    limit: "1000",
    ...nextPage(pageToken)
  }, ActionsPage)

/** The splits and cash dividends with an ex-date in `[from, to]`. */
const corporateActions = Effect.fnUntraced(function*(connection: Connection, symbols: ReadonlyArray<Ticker>, from: TradingDay, to: TradingDay) {
  const out: Array<CorporateAction> = []
  const seen = new Set<string>()
  const day = (text: string) => text.slice(0, 10) as TradingDay
  let pageToken: string | undefined
  do {
    const body = yield* actionsPage(connection, symbols, from, to, pageToken)
    const { cash_dividends, forward_splits, reverse_splits } = body.corporate_actions
    for (const split of [...(forward_splits ?? []), ...(reverse_splits ?? [])]) {
      out.push({ kind: "split", symbol: split.symbol as Ticker, exDate: day(split.ex_date), newRate: split.new_rate, oldRate: split.old_rate })
    }
    for (const dividend of cash_dividends ?? []) {
      out.push({ kind: "dividend", symbol: dividend.symbol as Ticker, exDate: day(dividend.ex_date), cash: dividend.rate })
    }
    pageToken = body.next_page_token ?? undefined
    if (pageToken !== undefined) {
      if (seen.has(pageToken)) return yield* repeatedToken(`corporate actions ${from}..${to}`)
      seen.add(pageToken)
    }
  } while (pageToken !== undefined)
  return out.filter((action) => action.exDate >= from && action.exDate <= to)
})

/** The `RemoteBars.Provider` for Alpaca over `client`. */
export const provider = (client: HttpClient.HttpClient, options: Options): RemoteBars.Provider => {
  const connection: Connection = {
    client,
    base: (options.baseUrl ?? defaultBaseUrl).replace(/\/+$/, ""),
    options,
    secrets: [options.keyId, options.secretKey]
  }
  return {
    name: PROVIDER,
    fetch: (symbols, from, to) => fetchBars(connection, symbols, from, to),
    sessionSoFar: (symbols, day, until) => sessionSoFar(connection, symbols, day, until),
    corporateActions: (symbols, from, to) => corporateActions(connection, symbols, from, to)
  }
}

/** The feed, over the `HttpClient` in context. */
export const make: (options: Options) => Effect.Effect<MarketData["Service"], MarketDataError, HttpClient.HttpClient> =
  Effect.fn("AlpacaBars.make")(function*(options: Options) {
    const client = yield* HttpClient.HttpClient
    return yield* RemoteBars.make(provider(HttpClient.transform(client, toThirdParty), options), options.symbols ?? RemoteBars.defaultUniverse)
  })

/** `MarketData` over Alpaca, with the fetch-based HTTP client. Nothing is fetched until the first query. */
export const layer = (options: Options): Layer.Layer<MarketData, MarketDataError> =>
  Layer.effect(MarketData, make(options)).pipe(Layer.provide(FetchHttpClient.layer))

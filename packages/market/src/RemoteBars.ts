/**
 * The shared core of the HTTP feeds (`AlpacaBars`, `PolygonBars`): it turns a provider's "daily bars of these
 * symbols between two New York dates" into a cached, as-of safe `MarketData`.
 *
 * **When to use**: to add another remote daily-bar provider, implement a `Provider` and call `make`. The calendar
 * rules and error messages come from `MarketData.fromIndex` over a `BarIndex` of the fetched bars.
 *
 * **Pieces**: `make` wires a `RemoteFeed.Feed` (the kept bars `RemoteStore`, the kept actions `RemoteActions`) and
 * answers each query after `RemoteFeed`'s checks of the day; `KnownSplits` adjusts a snapshot for the splits known on
 * its as-of day, `LiveSession` serves today's session so far.
 *
 * **Gotchas**
 * - Fetching is lazy and incremental: the feed keeps one contiguous range of calendar days it has fetched for every
 *   symbol, widens it on demand (only the missing days are requested) and keeps the bars for the life of the layer.
 *   Concurrent queries share one fetch.
 * - A query as of D asks the provider for days up to D at most, and bars dated after the requested range are dropped
 *   whatever the provider sends, so nothing after D can surface.
 * - Sessions are the days with a bar for **every** symbol of the universe (the intersection), so a bar is always a
 *   real print; a symbol that never returns a bar fails the query with `InvalidData`. A bar that is not a real
 *   print (`BarIndex.barProblem`: a price ≤ 0, high < low, …) is dropped with a warning naming it, so its day is
 *   not a session of the feed (a query as of it fails `NotATradingDay`; later queries skip it).
 * - A day is complete once it is 20:00 in New York (the end of extended hours); until then that day is treated as
 *   not there yet (`OutOfRange`), so a partial daily bar is never used. `latestTradingDay` is the last session on or
 *   before the last complete day. "Now" comes from `Clock`, so `TestClock` drives it in tests.
 * - Daily bars are stamped at midnight New York (04:00Z or 05:00Z depending on DST); `nyDate` converts them, never
 *   the UTC date.
 * - Bars are raw (what traded), so they never change once fetched. `corporateActions` comes from the provider's
 *   `corporateActions` (`RemoteActions`: lazy, kept, never dated after today); `snapshot` applies the splits known
 *   by its as-of day to the bars before their ex-date (the as-of bar stays raw). `bars` is raw: the exchange fills
 *   and marks on it, and the reports apply the actions themselves (`CorporateAction.holdings`).
 * - `snapshotDuring` (the `close` schedule): for a complete day, the day's open only (like recorded bars); for
 *   today, during its session, the provider's `sessionSoFar` (the session's bar so far and the latest trade, taken
 *   now) after the complete bars up to the session before. A provider without it serves complete days only. That
 *   bar is checked as a real print too: one that is not is dropped with a warning, and the day fails `Unavailable`.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { Ticker } from "@council/domain"
import type { Bar, TradingDay } from "@council/domain"
import { boundedText } from "@council/io/BoundedText"
import { within } from "@council/io/Deadline"
import { retryDropped } from "@council/io/DroppedConnection"
import { htmlPage, isHtmlPage } from "@council/io/HtmlPage"
import { scrub as scrubSecret } from "@council/io/SecretText"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as BarIndex from "./BarIndex.ts"
import { splitAdjusted } from "./KnownSplits.ts"
import { liveSnapshot } from "./LiveSession.ts"
import { addDays, lastCompleteDay, nyDate } from "./NewYorkDays.ts"
import * as RemoteActions from "./RemoteActions.ts"
import {
  calendarSpan,
  checkLookback,
  completeUpTo,
  type Feed,
  lastSession,
  minDay,
  notASession,
  notCalendarDate,
  unknownSymbol,
  viewOf
} from "./RemoteFeed.ts"
import * as RemoteStore from "./RemoteStore.ts"

export { addDays, lastCompleteDay, nyDate, nyMidnight } from "./NewYorkDays.ts"
import { type BarsQuery, MarketData, MarketDataError, sessionSoFar } from "./MarketData.ts"

/** The ten ETFs of the repository's local data, the default universe of the remote feeds. */
export const defaultUniverse: ReadonlyArray<Ticker> = [
  "SPY",
  "QQQ",
  "IWM",
  "TLT",
  "HYG",
  "GLD",
  "USO",
  "UUP",
  "XLE",
  "XLF"
].map((symbol) => Ticker.make(symbol))

/** A remote source of daily bars. Bars must carry New York calendar dates; extra bars are filtered out. */
export interface Provider {
  /** Names the provider in error messages (e.g. `polygon`). */
  readonly name: string
  /** Daily bars of `symbols` for the New York dates `[from, to]` (inclusive), keyed by symbol. */
  readonly fetch: (
    symbols: ReadonlyArray<Ticker>,
    from: TradingDay,
    to: TradingDay
  ) => Effect.Effect<ReadonlyMap<string, ReadonlyArray<Bar>>, MarketDataError>
  /**
   * Today's session so far for `symbols`, keyed by symbol: the day's bar so far with the latest trade as its
   * close, nothing later than `until` (epoch milliseconds, now). Absent: the provider has no live prices.
   */
  readonly sessionSoFar?: (
    symbols: ReadonlyArray<Ticker>,
    day: TradingDay,
    until: number
  ) => Effect.Effect<ReadonlyMap<string, Bar>, MarketDataError>
  /**
   * The splits and cash dividends of `symbols` with an ex-date in `[from, to]` (`CorporateAction`). Absent: the
   * provider reports none (its bars must then be adjusted, or hold no action).
   */
  readonly corporateActions?: RemoteActions.FetchActions
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP helpers shared by the providers

/**
 * The most of one answer read (then the connection is cut and the query fails naming the size). The largest page
 * asked for is Polygon's 50,000 bars (Alpaca's is 10,000 bars across the symbols); a bar is about 110 bytes and
 * under 320 even pretty-printed with every number at full precision, so a real page stays under 16 MB.
 */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024

/**
 * The answer's JSON decoded with `schema`, reading at most `MAX_ANSWER_BYTES` (as fetch's `text()`: a leading byte
 * order mark dropped). A body that is not JSON fails as `DecodeError`, as `HttpClientResponse.schemaBodyJson` does;
 * a web page's error names its status and title (`provider` says whose JSON was due), not the parser's quote of it.
 */
export const readJson = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, provider = "the feed") => {
  const decode = Schema.decodeUnknownEffect(schema)
  return (response: HttpClientResponse.HttpClientResponse): Effect.Effect<
    S["Type"],
    HttpClientError.HttpClientError | Schema.SchemaError
  > =>
    boundedText(response, MAX_ANSWER_BYTES).pipe(
      Effect.flatMap((text) =>
        Effect.try({
          try: (): unknown => JSON.parse(text),
          // a page (a proxy's, a captive portal's) is named by its status and title, not by a parser's quote of it
          catch: (cause) =>
            new HttpClientError.HttpClientError({
              reason: new HttpClientError.DecodeError({
                request: response.request,
                response,
                cause: isHtmlPage(text) ? new Error(htmlPage(response.status, text, provider)) : cause
              })
            })
        })
      ),
      Effect.flatMap(decode)
    )
}

/** A 429 answer; `waitMillis` is how long to wait before trying again. */
export class RateLimited extends Data.TaggedError("RateLimited")<{
  readonly waitMillis: number
  readonly detail: string
}> {}

/**
 * Replaces every secret in `text` by `[REDACTED]`, whole or cut short (`@council/io/SecretText`'s pieces): error
 * bodies are quoted in messages. Values shorter than 4 characters are left alone.
 */
export const scrub = (text: string, secrets: ReadonlyArray<Redacted.Redacted<string>>): string =>
  secrets.reduce((out, secret) => scrubSecret(out, Redacted.value(secret)), text)

const oneLine = (text: string, max = 300): string => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > max ? `${flat.slice(0, max)}…` : flat
}

const ErrorBody = Schema.fromJsonString(
  Schema.Struct({ message: Schema.optional(Schema.String), error: Schema.optional(Schema.String) })
)
const decodeErrorBody = Schema.decodeUnknownOption(ErrorBody)

/** The human part of an error body: `message` or `error` of a JSON body, or the text itself. */
const bodyDetail = (body: string): string =>
  Option.match(decodeErrorBody(body), {
    onNone: () => body,
    onSome: (json) => json.message || json.error || body
  })

/**
 * Passes a 2xx response through; turns 429 into `RateLimited` (waiting `waitOn429` milliseconds) and anything else
 * into `Unavailable` naming the provider, the status and the body's message, with the secrets scrubbed (a web page:
 * its status and title, `@council/io/HtmlPage`).
 */
export const checkStatus = (options: {
  readonly provider: string
  readonly what: string
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
  readonly waitOn429: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<number>
}) =>
(response: HttpClientResponse.HttpClientResponse): Effect.Effect<
  HttpClientResponse.HttpClientResponse,
  MarketDataError | RateLimited
> =>
  response.status >= 200 && response.status < 300
    ? Effect.succeed(response)
    : Effect.gen(function*() {
      const body = yield* boundedText(response, MAX_ANSWER_BYTES).pipe(Effect.orElseSucceed(() => ""))
      // a page (a proxy's, a load balancer's, Cloudflare's) is said as its status and title, never as markup
      const page = isHtmlPage(body) ? htmlPage(response.status, scrub(body, options.secrets), options.provider) : undefined
      const detail = page ?? oneLine(scrub(bodyDetail(body), options.secrets))
      if (response.status === 429) {
        return yield* new RateLimited({ waitMillis: yield* options.waitOn429(response), detail })
      }
      const hint = response.status === 401 || response.status === 403 ? " (check the API key)" : ""
      return yield* new MarketDataError({
        reason: "Unavailable",
        message: `${options.provider}: HTTP ${response.status}${hint} for ${options.what}${detail ? `: ${detail}` : ""}`
      })
    })

/** Retries `RateLimited` failures after their wait, at most `times` times, then fails with `Unavailable`. */
export const retryRateLimited = <A, R>(
  self: Effect.Effect<A, MarketDataError | RateLimited, R>,
  options: { readonly provider: string; readonly what: string; readonly times: number }
): Effect.Effect<A, MarketDataError, R> => {
  const attempt = (left: number): Effect.Effect<A, MarketDataError, R> =>
    self.pipe(Effect.catchTag("RateLimited", (limited) =>
      left > 0
        ? Effect.sleep(limited.waitMillis).pipe(Effect.andThen(attempt(left - 1)))
        : Effect.fail(
          new MarketDataError({
            reason: "Unavailable",
            message: `${options.provider}: still rate limited (HTTP 429) after ${options.times} retries for ${options.what}${
              limited.detail ? `: ${limited.detail}` : ""
            }`
          })
        )))
  return attempt(options.times)
}

/**
 * Maps an error of the HTTP client to `Unavailable` (transport) or `InvalidData` (a body that is not JSON), without
 * the request (it carries the keys).
 */
export const transportError = (options: {
  readonly provider: string
  readonly what: string
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
}) =>
(error: HttpClientError.HttpClientError): MarketDataError => {
  const reason = error.reason
  const cause = reason.cause instanceof Error ? reason.cause : undefined
  const nested = cause?.cause instanceof Error ? `: ${cause.cause.message}` : ""
  const detail = reason.description ?? (cause ? `${cause.message}${nested}` : reason._tag)
  const body = reason._tag === "DecodeError" || reason._tag === "EmptyBodyError"
  return new MarketDataError({
    reason: body ? "InvalidData" : "Unavailable",
    message: oneLine(scrub(
      body
        ? `${options.provider}: unexpected response for ${options.what} (${detail})`
        : `${options.provider}: cannot reach the API for ${options.what} (${detail})`,
      options.secrets
    ))
  })
}

/** Maps a schema decode failure of a response body to `InvalidData`. */
export const invalidBody = (provider: string, what: string) => (error: { readonly message: string }): MarketDataError =>
  new MarketDataError({
    reason: "InvalidData",
    message: oneLine(`${provider}: unexpected response for ${what}: ${error.message}`)
  })

/** How long one request to a feed may take, its answer's body included, unless the feed's options say otherwise. */
export const DEFAULT_REQUEST_TIMEOUT: Duration.Input = "30 seconds"

/**
 * One request's JSON answer decoded by `schema`: a 2xx read whole (`readJson`), a 429 retried after its wait at most
 * `retries` times, anything else a `MarketDataError` naming `provider` and `what` with the secrets scrubbed. Each
 * attempt must answer within `timeout` (wall-clock, see `@council/io/Deadline`) or fails `Unavailable`: a feed that
 * accepts the connection and never answers would otherwise hold the run past its cutoff. `limit` wraps each attempt
 * (a call limiter), so a wait for its turn is not counted against the deadline. A request whose kept-alive
 * connection the feed dropped before answering is sent again at once on a new one (`retryDropped`), within the same
 * deadline and turn of `limit` (a feed that counted the dropped one answers the resend 429, which is waited for).
 */
export const answerOf = <S extends Schema.Top & { readonly DecodingServices: never }>(options: {
  readonly provider: string
  readonly what: string
  readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
  readonly waitOn429: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<number>
  readonly schema: S
  readonly retries: number
  readonly timeout: Duration.Input | undefined
  readonly limit?: <A, E>(attempt: Effect.Effect<A, E>) => Effect.Effect<A, E>
}) =>
(execute: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>): Effect.Effect<S["Type"], MarketDataError> => {
  const { provider, what, secrets } = options
  const timeout = Duration.fromInputUnsafe(options.timeout ?? DEFAULT_REQUEST_TIMEOUT)
  const timedOut = () =>
    new MarketDataError({ reason: "Unavailable", message: `${provider}: no answer within ${Duration.format(timeout)} for ${what}` })
  const attempt = execute.pipe(
    // a kept-alive connection the feed dropped as the request went out (after a pause): sent again on a new one
    retryDropped(),
    Effect.flatMap(checkStatus(options)),
    Effect.flatMap(readJson(options.schema, options.provider)),
    Effect.catchTags({
      HttpClientError: (error) => Effect.fail(transportError({ provider, what, secrets })(error)),
      SchemaError: (error) => Effect.fail(invalidBody(provider, what)(error))
    }),
    within(Duration.toMillis(timeout), timedOut)
  )
  return retryRateLimited(options.limit ? options.limit(attempt) : attempt, { provider, what, times: options.retries })
}

// ---------------------------------------------------------------------------------------------------------------
// The cached feed

/** `SPY` first, then alphabetical: the order of `BarIndex` universes. */
const universeOrder = (a: string, b: string): number =>
  a === b ? 0 : a === "SPY" ? -1 : b === "SPY" ? 1 : a < b ? -1 : 1

/** `symbols` in `BarIndex` order without duplicates, failing `InvalidData` when empty or not all tickers. */
const checkedUniverse = (provider: Provider, symbols: ReadonlyArray<Ticker>) => {
  const invalid = symbols.filter((s) => !Schema.is(Ticker)(s))
  if (symbols.length === 0 || invalid.length > 0) {
    return Effect.fail(
      new MarketDataError({
        reason: "InvalidData",
        message: symbols.length === 0
          ? `the ${provider.name} universe is empty`
          : `the ${provider.name} universe has invalid ticker symbols: ${invalid.join(", ")}`
      })
    )
  }
  return Effect.succeed([...new Set(symbols)].sort(universeOrder))
}

/** A cached, as-of safe `MarketData` over `provider` for `symbols`. */
export const make = Effect.fnUntraced(function*(provider: Provider, symbols: ReadonlyArray<Ticker>) {
  const universe = yield* checkedUniverse(provider, symbols)
  const actions = yield* RemoteActions.make({
    provider: provider.name,
    symbols: universe,
    fetch: provider.corporateActions,
    horizon: Effect.map(Clock.currentTimeMillis, nyDate)
  })
  const { ensure } = yield* RemoteStore.make(provider, universe)
  return serviceOf({ provider, universe, ensure, actions })
})

/** The complete sessions up to `asOf` (a session) with its `lookback`, as known on `asOf` (`KnownSplits`). */
const snapshotOf = (feed: Feed) =>
  Effect.fnUntraced(function*(asOf: TradingDay, lookback: number) {
    yield* checkLookback(lookback)
    yield* completeUpTo(feed, asOf)
    const current = yield* feed.ensure(addDays(asOf, -calendarSpan(lookback)), asOf)
    const { index, service } = yield* viewOf(feed, current, asOf)
    if (asOf > lastSession(index)) return yield* notASession(asOf, index)
    return yield* splitAdjusted(feed, yield* service.snapshot(asOf, lookback))
  })

const latestTradingDayOf = (feed: Feed) =>
  Effect.gen(function*() {
    const complete = lastCompleteDay(yield* Clock.currentTimeMillis)
    const current = yield* feed.ensure(addDays(complete, -14), complete)
    const { index } = yield* viewOf(feed, current, complete)
    return lastSession(index)
  })

const ensureTradingDayOf = (feed: Feed) =>
  Effect.fnUntraced(function*(day: TradingDay) {
    yield* completeUpTo(feed, day)
    const current = yield* feed.ensure(addDays(day, -14), day)
    const { index, service } = yield* viewOf(feed, current, day)
    if (day > lastSession(index)) return yield* notASession(day, index)
    return yield* service.ensureTradingDay(day)
  })

const sessionsOf = (feed: Feed) =>
  Effect.fnUntraced(function*(from: TradingDay, to: TradingDay) {
    if (!BarIndex.isCalendarDate(from)) return yield* notCalendarDate(from)
    if (!BarIndex.isCalendarDate(to)) return yield* notCalendarDate(to)
    const last = minDay(to, lastCompleteDay(yield* Clock.currentTimeMillis))
    if (from > last) return []
    const current = yield* feed.ensure(from, last)
    return current.view ? yield* current.view.service.sessions(from, last) : []
  })

const barsOf = (feed: Feed) =>
  Effect.fnUntraced(function*(query: BarsQuery) {
    yield* checkLookback(query.lookback)
    if (!feed.universe.includes(query.symbol)) return yield* unknownSymbol(feed, query.symbol)
    yield* completeUpTo(feed, query.asOf)
    const current = yield* feed.ensure(addDays(query.asOf, -calendarSpan(query.lookback)), query.asOf)
    const { index, service } = yield* viewOf(feed, current, query.asOf)
    const asOf = minDay(query.asOf, lastSession(index))
    return yield* service.bars({ ...query, asOf })
  })

const corporateActionsOf = (feed: Feed) =>
  Effect.fnUntraced(function*(from: TradingDay, to: TradingDay) {
    if (!BarIndex.isCalendarDate(from)) return yield* notCalendarDate(from)
    if (!BarIndex.isCalendarDate(to)) return yield* notCalendarDate(to)
    // an action is known from its ex-date on (before that day's open): never one dated after today
    return yield* feed.actions(from, minDay(to, nyDate(yield* Clock.currentTimeMillis)))
  })

const serviceOf = (feed: Feed) => {
  const snapshot = snapshotOf(feed)
  return MarketData.of({
    universe: Effect.succeed(feed.universe),
    latestTradingDay: latestTradingDayOf(feed),
    ensureTradingDay: ensureTradingDayOf(feed),
    sessions: sessionsOf(feed),
    bars: barsOf(feed),
    snapshot,
    snapshotDuring: Effect.fnUntraced(function*(asOf: TradingDay, at: string, lookback: number) {
      yield* checkLookback(lookback)
      if (!BarIndex.isCalendarDate(asOf)) return yield* notCalendarDate(asOf)
      const now = yield* Clock.currentTimeMillis
      if (asOf <= lastCompleteDay(now)) return yield* sessionSoFar(yield* snapshot(asOf, lookback), at)
      return yield* liveSnapshot(feed, asOf, lookback, now)
    }),
    corporateActions: corporateActionsOf(feed)
  })
}

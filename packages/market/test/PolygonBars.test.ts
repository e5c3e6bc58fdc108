import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Redacted } from "effect"
import { Ticker, TradingDay } from "@council/domain"
import * as PolygonBars from "@council/market/PolygonBars"
import { FetchHttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import { floodServerOf } from "../../io/test/FloodServer.ts"
import { earlyClosing } from "../../io/test/LocalServer.ts"
import type { FakeBar, Reply, Server } from "./providerServers.ts"
import { barsOf, polygon429, polygonAggs, resentAfterDroppedConnection, serve, SESSIONS } from "./providerServers.ts"
import { polygonFeed } from "./remoteFeeds.ts"

const day = TradingDay.make
const KEY = "pOlYgOnKeY-42"
/** 17:00 New York on Friday 2024-11-15: that day is not complete yet. */
const NOW = Date.parse("2024-11-15T22:00:00Z")
const TEN = ["SPY", "QQQ", "IWM", "TLT", "HYG", "GLD", "USO", "UUP", "XLE", "XLF"]

const realPause = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/** Moves the test clock a second at a time (letting real I/O happen in between) until `done`. */
const advanceUntil = Effect.fnUntraced(function*(done: () => boolean, maxSeconds: number) {
  for (let i = 0; i < maxSeconds && !done(); i++) {
    yield* realPause(5)
    if (!done()) yield* TestClock.adjust("1 second")
  }
  yield* realPause(5)
})

/** Waits in real time until `done` (for requests the test clock does not hold back). */
const waitUntil = Effect.fnUntraced(function*(done: () => boolean) {
  for (let i = 0; i < 2000 && !done(); i++) yield* realPause(5)
})

const setup = Effect.fnUntraced(function*(options: {
  readonly symbols?: ReadonlyArray<string>
  readonly bars?: Readonly<Record<string, ReadonlyArray<FakeBar>>>
  readonly pageSize?: number
  readonly nextUrlOrigin?: string
  readonly leakAfterEnd?: boolean
  readonly script?: ReadonlyArray<Reply>
  readonly apiKey?: string
  readonly callsPerMinute?: number
  /** Sends the feed's requests through an `earlyClosing` proxy. */
  readonly proxied?: boolean
}) {
  yield* TestClock.setTime(NOW)
  const clock = yield* Clock.Clock
  const symbols = options.symbols ?? TEN
  const server: Server = yield* serve(
    polygonAggs({
      bars: options.bars ?? Object.fromEntries(symbols.map((s) => [s, barsOf(s)])),
      apiKey: KEY,
      ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      ...(options.nextUrlOrigin === undefined ? {} : { nextUrlOrigin: options.nextUrlOrigin }),
      ...(options.leakAfterEnd === undefined ? {} : { leakAfterEnd: options.leakAfterEnd })
    }),
    { now: () => clock.currentTimeMillisUnsafe(), ...(options.script ? { script: options.script } : {}) }
  )
  const proxy = options.proxied === true
    ? yield* Effect.acquireRelease(Effect.promise(() => earlyClosing(server.url)), (p) => Effect.promise(p.close))
    : undefined
  const md = yield* PolygonBars.make({
    apiKey: Redacted.make(options.apiKey ?? KEY),
    baseUrl: proxy?.url ?? server.url,
    ...(options.symbols ? { symbols: options.symbols.map((s) => Ticker.make(s)) } : {}),
    ...(options.callsPerMinute === undefined ? {} : { callsPerMinute: options.callsPerMinute })
  }).pipe(Effect.provide(FetchHttpClient.layer))
  return { md, server, proxy }
})

describe("PolygonBars", () => {
  it.effect("stops reading a page of aggregates past 64 MB: the query fails naming the feed and the size, the stream is cut", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const agg = '{"v":42131500,"vw":589.8,"o":589.1,"c":590.5,"h":591.3,"l":587.2,"t":1731560400000,"n":501234},'
      const { sent, url } = yield* floodServerOf({ head: '{"ticker":"SPY","status":"OK","results":[', unit: agg })
      const md = yield* PolygonBars.make({ apiKey: Redacted.make(KEY), baseUrl: url, symbols: [Ticker.make("SPY")], callsPerMinute: 100 })
        .pipe(Effect.provide(FetchHttpClient.layer))
      const error = yield* Effect.flip(md.latestTradingDay)
      assert.strictEqual(error.reason, "InvalidData")
      assert.strictEqual(
        error.message,
        "polygon: unexpected response for GET /v2/aggs/ticker/SPY/range/1/day/2024-10-31/2024-11-14 (answer larger than 64 MB)"
      )
      assert.strictEqual(sent.length, 1)
      assert.isBelow(sent[0]!, 128 << 20, "the feed was cut off long before its 256 MB")
    }).pipe(Effect.scoped))

  it.effect("an error answer that never ends is read up to 64 MB too: the query fails with its status", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const { sent, url } = yield* floodServerOf({ head: '{"status":"ERROR","error":"', unit: "overloaded ", status: 500 })
      const md = yield* PolygonBars.make({ apiKey: Redacted.make(KEY), baseUrl: url, symbols: [Ticker.make("SPY")], callsPerMinute: 100 })
        .pipe(Effect.provide(FetchHttpClient.layer))
      const error = yield* Effect.flip(md.latestTradingDay)
      assert.strictEqual(error.reason, "Unavailable")
      assert.strictEqual(error.message, "polygon: HTTP 500 for GET /v2/aggs/ticker/SPY/range/1/day/2024-10-31/2024-11-14")
      assert.strictEqual(sent.length, 1)
      assert.isBelow(sent[0]!, 128 << 20, "the feed was cut off long before its 256 MB")
    }).pipe(Effect.scoped))

  it.effect("fetches daily aggregates per symbol, following next_url with the bearer key", () =>
    Effect.gen(function*() {
      const { md, server } = yield* setup({ symbols: ["SPY", "XLF"], pageSize: 100, callsPerMinute: 100 })
      const snapshot = yield* md.snapshot(day("2024-11-14"), 210)
      const asOfIndex = SESSIONS.indexOf("2024-11-14")
      for (const h of snapshot.history) {
        assert.deepStrictEqual<ReadonlyArray<unknown>>(h.bars, barsOf(h.symbol).slice(asOfIndex - 209, asOfIndex + 1))
      }
      // the snapshot's splits: a splits and a dividends call per symbol, after the bars (see CorporateActions.test.ts)
      const aggs = server.requests.filter((r) => r.path.startsWith("/v2/aggs/"))
      assert.deepStrictEqual(server.requests.slice(aggs.length).map((r) => [r.path, r.query.get("ticker")]), [
        ["/v3/reference/splits", "SPY"],
        ["/v3/reference/dividends", "SPY"],
        ["/v3/reference/splits", "XLF"],
        ["/v3/reference/dividends", "XLF"]
      ])
      assert.deepStrictEqual(aggs.map((r) => [r.path, r.query.get("cursor")]), [
        ["/v2/aggs/ticker/SPY/range/1/day/2023-12-21/2024-11-14", null],
        ["/v2/aggs/ticker/SPY/range/1/day/2023-12-21/2024-11-14", "100"],
        ["/v2/aggs/ticker/SPY/range/1/day/2023-12-21/2024-11-14", "200"],
        ["/v2/aggs/ticker/XLF/range/1/day/2023-12-21/2024-11-14", null],
        ["/v2/aggs/ticker/XLF/range/1/day/2023-12-21/2024-11-14", "100"],
        ["/v2/aggs/ticker/XLF/range/1/day/2023-12-21/2024-11-14", "200"]
      ])
      const first = server.requests[0]!.query
      assert.deepStrictEqual([first.get("adjusted"), first.get("sort"), first.get("limit")], ["false", "asc", "50000"])
      for (const r of server.requests) {
        assert.strictEqual(r.headers.authorization, `Bearer ${KEY}`)
        assert.isNull(r.query.get("apiKey"))
      }
      yield* md.snapshot(day("2024-10-01"), 100)
      yield* md.sessions(day("2024-01-01"), day("2024-11-14"))
      assert.strictEqual(server.requests.length, 10)
    }))

  it.effect("a next_url on another host is rebased onto the base URL, so the key goes nowhere else", () =>
    Effect.gen(function*() {
      const { md, server } = yield* setup({
        symbols: ["SPY"],
        pageSize: 3,
        nextUrlOrigin: "https://api.polygon.io",
        callsPerMinute: 100
      })
      assert.deepStrictEqual<ReadonlyArray<string>>(yield* md.sessions(day("2024-03-04"), day("2024-03-15")), [
        "2024-03-04",
        "2024-03-05",
        "2024-03-06",
        "2024-03-07",
        "2024-03-08",
        "2024-03-11",
        "2024-03-12",
        "2024-03-13",
        "2024-03-14",
        "2024-03-15"
      ])
      assert.deepStrictEqual(server.requests.map((r) => r.query.get("cursor")), [null, "3", "6", "9"])
      assert.isTrue(server.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`))
    }))

  it.effect("the free tier's 5 calls a minute: ten symbols' bars take a minute, their actions four more, never more than 5 calls in any 60 s", () =>
    Effect.gen(function*() {
      const { md, server } = yield* setup({})
      const fiber = yield* md.snapshot(day("2024-11-14"), 20).pipe(Effect.forkChild({ startImmediately: true }))
      yield* waitUntil(() => server.requests.length >= 5)
      yield* realPause(100)
      assert.strictEqual(server.requests.length, 5)
      yield* TestClock.adjust("59 seconds")
      yield* realPause(100)
      assert.strictEqual(server.requests.length, 5)
      // ten calls of bars, then the splits and dividends of each symbol (twenty calls) for the snapshot's splits:
      // five more a minute, the clock standing still while they are answered
      for (let calls = 10; calls <= 30; calls += 5) {
        yield* TestClock.adjust(calls === 10 ? "1 second" : "60 seconds")
        yield* waitUntil(() => server.requests.length >= calls)
        yield* realPause(20)
        assert.strictEqual(server.requests.length, calls)
      }
      const snapshot = yield* Fiber.join(fiber)
      assert.strictEqual(snapshot.history.length, 10)
      assert.isTrue(snapshot.history.every((h) => h.bars.length === 20 && h.bars[19]!.date === "2024-11-14"))

      const at = server.requests.map((r) => r.at)
      assert.strictEqual(at.length, 30)
      assert.deepStrictEqual(at.slice(0, 5), Array(5).fill(NOW))
      for (let i = 0; i + 5 < at.length; i++) assert.isAtLeast(at[i + 5]! - at[i]!, 60_000)
      assert.isAtLeast(at[9]! - at[0]!, 60_000)

      yield* md.snapshot(day("2024-11-13"), 10)
      yield* md.bars({ symbol: Ticker.make("USO"), asOf: day("2024-11-14"), lookback: 5 })
      assert.strictEqual(server.requests.length, 30)
    }), 30_000)

  it.effect("HTTP 429 waits a minute and retries through the limiter", () =>
    Effect.gen(function*() {
      const { md, server } = yield* setup({ symbols: ["SPY"], script: [polygon429] })
      const fiber = yield* md.ensureTradingDay(day("2024-11-14")).pipe(Effect.forkChild({ startImmediately: true }))
      yield* advanceUntil(() => server.requests.length >= 2, 120)
      assert.strictEqual(yield* Fiber.join(fiber), "2024-11-14")
      assert.strictEqual(server.requests.length, 2)
      assert.isAtLeast(server.requests[1]!.at - server.requests[0]!.at, 60_000)
      assert.isBelow(server.requests[1]!.at - server.requests[0]!.at, 65_000)
    }))

  it.effect("still rate limited after three retries is Unavailable", () =>
    Effect.gen(function*() {
      const { md, server } = yield* setup({ symbols: ["SPY"], script: [polygon429, polygon429, polygon429, polygon429] })
      const fiber = yield* Effect.flip(md.latestTradingDay).pipe(Effect.forkChild({ startImmediately: true }))
      yield* advanceUntil(() => server.requests.length >= 4, 300)
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error.reason, "Unavailable")
      assert.strictEqual(
        error.message,
        "polygon: still rate limited (HTTP 429) after 3 retries for GET /v2/aggs/ticker/SPY/range/1/day/2024-10-31/2024-11-14: You've exceeded the maximum requests per minute, please wait or upgrade your subscription to continue."
      )
    }))

  it.effect("a request on a kept-alive connection the feed dropped as it went out is sent again on a new one", () =>
    Effect.flatMap(setup({ symbols: ["SPY"], callsPerMinute: 100, proxied: true }), resentAfterDroppedConnection))

  it.effect("a wrong key is Unavailable, naming polygon and the status, never the key", () =>
    Effect.gen(function*() {
      const { md, server } = yield* setup({ symbols: ["SPY"], apiKey: "not-the-key" })
      const error = yield* Effect.flip(md.snapshot(day("2024-11-14"), 5))
      assert.strictEqual(error.reason, "Unavailable")
      assert.match(error.message, /^polygon: HTTP 401 \(check the API key\) for GET \/v2\/aggs\/ticker\/SPY\/range\/1\/day\/[-0-9/]+: Unknown API Key$/)
      assert.notInclude(error.message, "not-the-key")
      assert.strictEqual(server.requests[0]!.headers.authorization, "Bearer not-the-key")
      assert.notInclude(server.requests[0]!.query.toString(), "not-the-key")
    }))

  it.effect("a body that is not JSON is InvalidData, and nothing is cached from it", () =>
    Effect.gen(function*() {
      const { md } = yield* setup({ symbols: ["SPY"], script: [{ status: 200, body: "<html>maintenance</html>" }] })
      const error = yield* Effect.flip(md.latestTradingDay)
      assert.strictEqual(error.reason, "InvalidData")
      assert.strictEqual(error.message, "polygon: unexpected response for GET /v2/aggs/ticker/SPY/range/1/day/2024-10-31/2024-11-14 (200 OK (an HTML page, not polygon's JSON))")
      assert.strictEqual(yield* md.latestTradingDay, "2024-11-14")
    }))

  it.effect("an HTML error page (a load balancer's, Cloudflare's) is said as its status and title, never as markup", () =>
    Effect.gen(function*() {
      const page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
      const echoing = "<!DOCTYPE html><html><head><title>Blocked: not-the-key</title></head><body>Bearer not-the-key</body></html>"
      const { md } = yield* setup({ symbols: ["SPY"], script: [{ status: 502, body: page, headers: { "content-type": "text/html" } }] })
      const error = yield* Effect.flip(md.latestTradingDay)
      assert.strictEqual(error.reason, "Unavailable")
      assert.strictEqual(error.message, "polygon: HTTP 502 for GET /v2/aggs/ticker/SPY/range/1/day/2024-10-31/2024-11-14: 502 Bad Gateway (an HTML page, not polygon's JSON)")
      const keyed = yield* setup({ symbols: ["SPY"], apiKey: "not-the-key", script: [{ status: 403, body: echoing, headers: { "content-type": "text/html" } }] })
      const refused = yield* Effect.flip(keyed.md.latestTradingDay)
      assert.strictEqual(refused.message, "polygon: HTTP 403 (check the API key) for GET /v2/aggs/ticker/SPY/range/1/day/2024-10-31/2024-11-14: 403 Blocked: [REDACTED] (an HTML page, not polygon's JSON)")
    }))

  it.effect("Unix-ms midnights become New York dates, and later bars never surface", () =>
    Effect.gen(function*() {
      const { md } = yield* setup({ symbols: ["SPY"], leakAfterEnd: true, callsPerMinute: 100 })
      const bars = yield* md.bars({ symbol: Ticker.make("SPY"), asOf: day("2024-03-12"), lookback: 4 })
      assert.deepStrictEqual(bars.map((b) => b.date), ["2024-03-07", "2024-03-08", "2024-03-11", "2024-03-12"])
      assert.deepStrictEqual<ReadonlyArray<unknown>>(bars, barsOf("SPY").filter((b) => b.date >= "2024-03-07" && b.date <= "2024-03-12"))
      const fall = yield* md.snapshot(day("2024-11-04"), 2)
      assert.deepStrictEqual(fall.history[0]!.bars.map((b) => b.date), ["2024-11-01", "2024-11-04"])
      assert.strictEqual(yield* md.latestTradingDay, "2024-11-14")
    }))
})

describe("PolygonBars: today's session so far (the close schedule)", () => {
  it.effect("the complete sessions, then the tickers snapshot's day bar closing at the last trade at or before now", () =>
    Effect.gen(function*() {
      const at1545 = Date.parse("2024-11-15T20:45:00Z")
      yield* TestClock.setTime(at1545)
      const symbols = ["SPY", "XLF"]
      const { md, server } = yield* polygonFeed({
        bars: Object.fromEntries(symbols.map((s) => [s, barsOf(s)])),
        symbols,
        apiKey: KEY,
        today: {
          SPY: { date: "2024-11-15", open: 500, high: 505, low: 498, close: 503, volume: 1000, tradeAt: at1545 - 1000, tradePrice: 506 },
          XLF: { date: "2024-11-15", open: 40, high: 41, low: 39.5, close: 40.2, volume: 500, tradeAt: at1545 + 60_000, tradePrice: 45 }
        }
      })
      const snapshot = yield* md.snapshotDuring(day("2024-11-15"), "2024-11-15T15:45:00-05:00", 2)
      assert.deepStrictEqual(snapshot.intraday, { at: "2024-11-15T15:45:00-05:00", through: "latest-trade" })
      const before = SESSIONS.indexOf("2024-11-14")
      const bars = Object.fromEntries(snapshot.history.map((h) => [h.symbol, h.bars]))
      assert.deepStrictEqual<ReadonlyArray<unknown> | undefined>(bars["SPY"], [
        barsOf("SPY")[before]!,
        { date: day("2024-11-15"), open: 500, high: 506, low: 498, close: 506, volume: 1000 }
      ])
      assert.deepStrictEqual<ReadonlyArray<unknown> | undefined>(bars["XLF"], [
        barsOf("XLF")[before]!,
        { date: day("2024-11-15"), open: 40, high: 41, low: 39.5, close: 40.2, volume: 500 }
      ])
      const asked = server.requests.filter((r) => r.path.startsWith("/v2/snapshot/"))
      assert.deepStrictEqual(asked.map((r) => [r.query.get("tickers"), r.headers.authorization]), [["SPY,XLF", `Bearer ${KEY}`]])
    }))
})

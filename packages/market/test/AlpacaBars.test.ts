import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Logger, Redacted } from "effect"
import { Ticker, TradingDay } from "@council/domain"
import * as AlpacaBars from "@council/market/AlpacaBars"
import { FetchHttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import type { FakeBar, FakeIntraday, Reply } from "./providerServers.ts"
import { floodServerOf } from "../../io/test/FloodServer.ts"
import { earlyClosing } from "../../io/test/LocalServer.ts"
import { alpacaBars, barsOf, closedPort, resentAfterDroppedConnection, serve, SESSIONS } from "./providerServers.ts"
import { alpacaFeed } from "./remoteFeeds.ts"

const day = TradingDay.make
const KEY = "PKTESTKEYID123"
const SECRET = "sEcReT-0123456789"
/** 17:00 New York on Friday 2024-11-15: that day is not complete yet. */
const NOW = Date.parse("2024-11-15T22:00:00Z")
const TEN = ["SPY", "QQQ", "IWM", "TLT", "HYG", "GLD", "USO", "UUP", "XLE", "XLF"]

const realPause = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

const setup = Effect.fnUntraced(function*(options: {
  readonly bars?: Readonly<Record<string, ReadonlyArray<FakeBar>>>
  readonly symbols?: ReadonlyArray<string>
  readonly pageSize?: number
  readonly leakAfterEnd?: boolean
  readonly script?: ReadonlyArray<Reply>
  readonly secretKey?: string
  /** Sends the feed's requests through an `earlyClosing` proxy. */
  readonly proxied?: boolean
}) {
  yield* TestClock.setTime(NOW)
  const clock = yield* Clock.Clock
  const symbols = options.symbols ?? TEN
  const server = yield* serve(
    alpacaBars({
      bars: options.bars ?? Object.fromEntries(symbols.map((s) => [s, barsOf(s)])),
      keyId: KEY,
      secretKey: SECRET,
      ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
      ...(options.leakAfterEnd === undefined ? {} : { leakAfterEnd: options.leakAfterEnd })
    }),
    { now: () => clock.currentTimeMillisUnsafe(), ...(options.script ? { script: options.script } : {}) }
  )
  const proxy = options.proxied === true
    ? yield* Effect.acquireRelease(Effect.promise(() => earlyClosing(server.url)), (p) => Effect.promise(p.close))
    : undefined
  const md = yield* AlpacaBars.make({
    keyId: Redacted.make(KEY),
    secretKey: Redacted.make(options.secretKey ?? SECRET),
    baseUrl: proxy?.url ?? server.url,
    ...(options.symbols ? { symbols: options.symbols.map((s) => Ticker.make(s)) } : {})
  }).pipe(Effect.provide(FetchHttpClient.layer))
  return { md, server, proxy }
})

describe("AlpacaBars", () => {
  it.effect("follows no redirect: the keys reach only the base URL's host", () =>
    Effect.gen(function*() {
      const elsewhere = yield* serve(() => ({ status: 200, body: { bars: {}, next_page_token: null } }), { now: () => 0 })
      const { md, server } = yield* setup({ script: [{ status: 307, body: "", headers: { location: `${elsewhere.url}/v2/stocks/bars` } }] })
      const error = yield* Effect.flip(md.latestTradingDay)
      assert.include(error.message, "alpaca: HTTP 307 for GET /v2/stocks/bars")
      assert.strictEqual(server.requests.length, 1)
      assert.deepStrictEqual(elsewhere.requests, [])
    }).pipe(Effect.scoped))

  it.effect("stops reading a page of bars past 64 MB: the query fails naming the feed and the size, the stream is cut", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const bar = '{"t":"2024-11-14T05:00:00Z","o":589.1,"h":591.3,"l":587.2,"c":590.5,"v":42131500,"n":501234,"vw":589.8},'
      const { sent, url } = yield* floodServerOf({ head: '{"bars":{"SPY":[', unit: bar })
      const md = yield* AlpacaBars.make({ keyId: Redacted.make(KEY), secretKey: Redacted.make(SECRET), baseUrl: url, symbols: [Ticker.make("SPY")] })
        .pipe(Effect.provide(FetchHttpClient.layer))
      const error = yield* Effect.flip(md.latestTradingDay)
      assert.strictEqual(error.reason, "InvalidData")
      assert.strictEqual(error.message, "alpaca: unexpected response for GET /v2/stocks/bars 2024-10-31..2024-11-14 (answer larger than 64 MB)")
      assert.strictEqual(sent.length, 1)
      assert.isBelow(sent[0]!, 128 << 20, "the feed was cut off long before its 256 MB")
    }).pipe(Effect.scoped))

  it.effect("serves the ten ETFs, following next_page_token, with the keys in the headers", () =>
    Effect.gen(function*() {
      const { md, server } = yield* setup({ pageSize: 500 })
      assert.deepStrictEqual<ReadonlyArray<string>>(yield* md.universe, ["SPY", "GLD", "HYG", "IWM", "QQQ", "TLT", "USO", "UUP", "XLE", "XLF"])
      const snapshot = yield* md.snapshot(day("2024-11-14"), 210)
      assert.strictEqual(snapshot.history.length, 10)
      const asOfIndex = SESSIONS.indexOf("2024-11-14")
      for (const h of snapshot.history) {
        assert.deepStrictEqual<ReadonlyArray<unknown>>(h.bars, barsOf(h.symbol).slice(asOfIndex - 209, asOfIndex + 1))
      }
      // the bars' pages, then one call of corporate actions for the snapshot's splits (CorporateActions.test.ts)
      const bars = server.requests.filter((r) => r.path === "/v2/stocks/bars")
      assert.deepStrictEqual(server.requests.slice(bars.length).map((r) => r.path), ["/v1/corporate-actions"])
      assert.isTrue(bars.length > 4)
      const [first, ...rest] = bars
      assert.isNull(first!.query.get("page_token"))
      assert.isTrue(rest.every((r) => r.query.get("page_token") !== null))
      for (const r of bars) {
        assert.strictEqual(r.path, "/v2/stocks/bars")
        assert.strictEqual(r.headers["apca-api-key-id"], KEY)
        assert.strictEqual(r.headers["apca-api-secret-key"], SECRET)
        assert.strictEqual(r.query.get("symbols"), "SPY,GLD,HYG,IWM,QQQ,TLT,USO,UUP,XLE,XLF")
        assert.strictEqual(r.query.get("timeframe"), "1Day")
        assert.strictEqual(r.query.get("adjustment"), "raw")
        assert.strictEqual(r.query.get("feed"), "sip")
        assert.strictEqual(r.query.get("limit"), "10000")
        assert.strictEqual(r.query.get("end"), "2024-11-14T05:00:00Z")
        assert.isNull(r.query.get("apiKey"))
      }

      const calls = server.requests.length
      yield* md.snapshot(day("2024-11-01"), 150)
      yield* md.bars({ symbol: Ticker.make("GLD"), asOf: day("2024-11-10"), lookback: 5 })
      assert.strictEqual(server.requests.length, calls)
    }))

  it.effect("dates bars by their New York date across both DST switches", () =>
    Effect.gen(function*() {
      const { md, server } = yield* setup({ symbols: ["SPY"] })
      assert.strictEqual(yield* md.ensureTradingDay(day("2024-03-08")), "2024-03-08")
      assert.strictEqual(server.requests[0]!.query.get("end"), "2024-03-08T05:00:00Z")
      assert.strictEqual(yield* md.ensureTradingDay(day("2024-03-11")), "2024-03-11")
      assert.strictEqual(server.requests[1]!.query.get("start"), "2024-03-09T05:00:00Z")
      assert.strictEqual(server.requests[1]!.query.get("end"), "2024-03-11T04:00:00Z")
      assert.deepStrictEqual<ReadonlyArray<string>>(yield* md.sessions(day("2024-03-07"), day("2024-03-12")), [
        "2024-03-07",
        "2024-03-08",
        "2024-03-11",
        "2024-03-12"
      ])
      assert.deepStrictEqual<ReadonlyArray<string>>(yield* md.sessions(day("2024-10-31"), day("2024-11-05")), [
        "2024-10-31",
        "2024-11-01",
        "2024-11-04",
        "2024-11-05"
      ])
      const bars = yield* md.bars({ symbol: Ticker.make("SPY"), asOf: day("2024-11-04"), lookback: 2 })
      assert.deepStrictEqual<ReadonlyArray<unknown>>(bars, barsOf("SPY").filter((b) => b.date === "2024-11-01" || b.date === "2024-11-04"))
    }))

  it.effect("never surfaces a bar after the as-of day, even when the server sends later ones", () =>
    Effect.gen(function*() {
      const { md } = yield* setup({ symbols: ["SPY", "XLF"], leakAfterEnd: true })
      const snapshot = yield* md.snapshot(day("2024-06-14"), 20)
      for (const h of snapshot.history) {
        assert.strictEqual(h.bars.length, 20)
        assert.strictEqual(h.bars[19]!.date, "2024-06-14")
      }
      const weekend = yield* Effect.flip(md.ensureTradingDay(day("2024-06-15")))
      assert.strictEqual(weekend.reason, "NotATradingDay")
      assert.strictEqual(weekend.message, "2024-06-15 is not a trading session (the nearest earlier session is 2024-06-14)")
      const bars = yield* md.bars({ symbol: Ticker.make("XLF"), asOf: day("2024-06-16"), lookback: 3 })
      assert.deepStrictEqual(bars.map((b) => b.date), ["2024-06-12", "2024-06-13", "2024-06-14"])
      assert.strictEqual(yield* md.latestTradingDay, "2024-11-14")
      const sessions = yield* md.sessions(day("2024-11-10"), day("2024-12-31"))
      assert.deepStrictEqual<ReadonlyArray<string>>(sessions, ["2024-11-11", "2024-11-12", "2024-11-13", "2024-11-14"])
    }))

  it.effect("a day is complete only from 20:00 New York", () =>
    Effect.gen(function*() {
      const { md } = yield* setup({ symbols: ["SPY"] })
      assert.strictEqual(yield* md.latestTradingDay, "2024-11-14")
      const today = yield* Effect.flip(md.snapshot(day("2024-11-15"), 5))
      assert.strictEqual(today.reason, "OutOfRange")
      assert.strictEqual(
        today.message,
        "2024-11-15 is not complete yet: alpaca bars are final after 20:00 New York time (the last complete day is 2024-11-14)"
      )
      yield* TestClock.adjust("3 hours")
      assert.strictEqual(yield* md.latestTradingDay, "2024-11-15")
      const snapshot = yield* md.snapshot(day("2024-11-15"), 1)
      assert.strictEqual(snapshot.history[0]!.bars[0]!.date, "2024-11-15")
    }))

  it.effect("HTTP failures are Unavailable, name alpaca and the status, and never show the keys", () =>
    Effect.gen(function*() {
      const wrong = yield* setup({ symbols: ["SPY"], secretKey: "wrong-secret-value" })
      const denied = yield* Effect.flip(wrong.md.latestTradingDay)
      assert.strictEqual(denied.reason, "Unavailable")
      assert.match(denied.message, /^alpaca: HTTP 401 \(check the API key\) for GET \/v2\/stocks\/bars .*: request is not authorized$/)
      assert.notInclude(denied.message, KEY)
      assert.notInclude(denied.message, "wrong-secret-value")

      const failing = yield* setup({
        symbols: ["SPY"],
        script: [{ status: 500, body: { message: `internal error for ${KEY}/${SECRET}; key ${KEY.slice(0, 7)}…, secret …${SECRET.slice(-9)}` } }]
      })
      const internal = yield* Effect.flip(failing.md.ensureTradingDay(day("2024-11-14")))
      assert.strictEqual(internal.reason, "Unavailable")
      assert.include(internal.message, "alpaca: HTTP 500 for GET /v2/stocks/bars")
      // whole, and cut short: half of each (7 of the key id's 14, 9 of the secret's 17)
      assert.include(internal.message, "internal error for [REDACTED]/[REDACTED]; key [REDACTED]…, secret …[REDACTED]")
      assert.notInclude(internal.message, SECRET)
      assert.strictEqual(yield* failing.md.ensureTradingDay(day("2024-11-14")), "2024-11-14")

      const offline = yield* AlpacaBars.make({
        keyId: Redacted.make(KEY),
        secretKey: Redacted.make(SECRET),
        baseUrl: yield* closedPort
      }).pipe(Effect.provide(FetchHttpClient.layer))
      const unreachable = yield* Effect.flip(offline.latestTradingDay)
      assert.strictEqual(unreachable.reason, "Unavailable")
      assert.include(unreachable.message, "alpaca: cannot reach the API for GET /v2/stocks/bars")
      assert.notInclude(unreachable.message, SECRET)
    }))

  it.effect("a request on a kept-alive connection the feed dropped as it went out is sent again on a new one", () =>
    Effect.flatMap(setup({ symbols: ["SPY"], proxied: true }), resentAfterDroppedConnection))

  it.effect("HTTP 429 waits until X-RateLimit-Reset and retries", () =>
    Effect.gen(function*() {
      const { md, server } = yield* setup({
        symbols: ["SPY"],
        script: [{
          status: 429,
          body: { message: "too many requests" },
          headers: { "X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": String(NOW / 1000 + 7) }
        }]
      })
      const fiber = yield* md.latestTradingDay.pipe(Effect.forkChild({ startImmediately: true }))
      for (let i = 0; i < 120 && server.requests.length < 2; i++) {
        yield* realPause(5)
        if (server.requests.length === 1) yield* TestClock.adjust("1 second")
      }
      assert.strictEqual(yield* Fiber.join(fiber), "2024-11-14")
      assert.strictEqual(server.requests.length, 2)
      assert.isAtLeast(server.requests[1]!.at - server.requests[0]!.at, 7_000)
      assert.isBelow(server.requests[1]!.at - server.requests[0]!.at, 10_000)
    }))

  it.effect("bars of the wrong shape are InvalidData", () =>
    Effect.gen(function*() {
      const { md } = yield* setup({
        symbols: ["SPY"],
        script: [{ status: 200, body: { bars: { SPY: [{ t: "2024-11-14T05:00:00Z", o: "1.5" }] }, next_page_token: null } }]
      })
      const error = yield* Effect.flip(md.latestTradingDay)
      assert.strictEqual(error.reason, "InvalidData")
      assert.strictEqual(
        error.message,
        "alpaca: unexpected response for GET /v2/stocks/bars 2024-10-31..2024-11-14: Expected number at [\"bars\"][\"SPY\"][0][\"o\"]"
      )
    }))

  it.effect("a symbol without any bars fails with InvalidData naming it", () =>
    Effect.gen(function*() {
      const { md } = yield* setup({ symbols: ["SPY", "ZZZZ"], bars: { SPY: barsOf("SPY") } })
      const error = yield* Effect.flip(md.snapshot(day("2024-11-14"), 5))
      assert.strictEqual(error.reason, "InvalidData")
      assert.strictEqual(error.message, "alpaca returned no bars at all for ZZZZ; is the symbol right?")
    }))

  it.effect("sessions are the days every symbol has a bar", () =>
    Effect.gen(function*() {
      const { md } = yield* setup({
        symbols: ["SPY", "XLF"],
        bars: { SPY: barsOf("SPY"), XLF: barsOf("XLF").filter((b) => b.date !== "2024-06-12") }
      })
      assert.deepStrictEqual<ReadonlyArray<string>>(yield* md.sessions(day("2024-06-10"), day("2024-06-14")), [
        "2024-06-10",
        "2024-06-11",
        "2024-06-13",
        "2024-06-14"
      ])
      const missing = yield* Effect.flip(md.ensureTradingDay(day("2024-06-12")))
      assert.strictEqual(missing.reason, "NotATradingDay")
    }))
})

describe("AlpacaBars: a bar that is not a real print", () => {
  it.effect("is dropped with one warning naming the symbol and date: its day is not a session, the others are served", () =>
    Effect.gen(function*() {
      const bad = (date: string, fields: Partial<FakeBar>) => barsOf("XLF").map((b) => (b.date === date ? { ...b, ...fields } : b))
      const warnings: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel === "Warn") warnings.push(String(Array.isArray(message) ? message[0] : message))
      })
      const { md } = yield* setup({ symbols: ["SPY", "XLF"], bars: { SPY: barsOf("SPY"), XLF: bad("2024-06-12", { low: 0, high: -1 }) } })
      const sessions = yield* md.sessions(day("2024-06-10"), day("2024-06-14")).pipe(Effect.provide(Logger.layer([logger])))
      assert.deepStrictEqual<ReadonlyArray<string>>(sessions, ["2024-06-10", "2024-06-11", "2024-06-13", "2024-06-14"])
      assert.deepStrictEqual(warnings, ["alpaca: the XLF bar of 2024-06-12 is not a real print (high -1 is not a price above 0); dropped, so 2024-06-12 is not a session of this feed"])
      const snapshot = yield* md.snapshot(day("2024-06-14"), 4)
      assert.deepStrictEqual(snapshot.history.map((h) => h.bars.map((b) => b.date)), [0, 1].map(() => ["2024-06-10", "2024-06-11", "2024-06-13", "2024-06-14"]))
    }))
})

describe("AlpacaBars: today's session so far (the close schedule)", () => {
  /** 15:45 New York on Friday 2024-11-15. */
  const AT_1545 = Date.parse("2024-11-15T20:45:00Z")
  const setupIntraday = Effect.fnUntraced(function*(today: Readonly<Record<string, FakeIntraday>>) {
    yield* TestClock.setTime(AT_1545)
    const symbols = ["SPY", "XLF"]
    return yield* alpacaFeed({ bars: Object.fromEntries(symbols.map((s) => [s, barsOf(s)])), symbols, today })
  })

  it.effect("the complete sessions, then the day's bar so far closing at the latest trade at or before now, never a later one", () =>
    Effect.gen(function*() {
      const { md, server } = yield* setupIntraday({
        SPY: { date: "2024-11-15", open: 500, high: 505, low: 498, close: 503, volume: 1000, tradeAt: AT_1545 - 1000, tradePrice: 503.5 },
        // a trade stamped after now (the server's clock ahead of ours) is not used: the bar so far stands
        XLF: { date: "2024-11-15", open: 40, high: 41, low: 39.5, close: 40.2, volume: 500, tradeAt: AT_1545 + 60_000, tradePrice: 45 }
      })
      const snapshot = yield* md.snapshotDuring(day("2024-11-15"), "2024-11-15T15:45:00-05:00", 3)
      assert.deepStrictEqual(snapshot.intraday, { at: "2024-11-15T15:45:00-05:00", through: "latest-trade" })
      const before = SESSIONS.indexOf("2024-11-14")
      const bars = Object.fromEntries(snapshot.history.map((h) => [h.symbol, h.bars]))
      assert.deepStrictEqual<ReadonlyArray<unknown> | undefined>(bars["SPY"], [
        ...barsOf("SPY").slice(before - 1, before + 1),
        { date: day("2024-11-15"), open: 500, high: 505, low: 498, close: 503.5, volume: 1000 }
      ])
      assert.deepStrictEqual<ReadonlyArray<unknown> | undefined>(bars["XLF"], [
        ...barsOf("XLF").slice(before - 1, before + 1),
        { date: day("2024-11-15"), open: 40, high: 41, low: 39.5, close: 40.2, volume: 500 }
      ])
      const asked = server.requests.filter((r) => r.path === "/v2/stocks/snapshots")
      assert.deepStrictEqual(asked.map((r) => [r.query.get("symbols"), r.query.get("feed"), r.headers["apca-api-key-id"]]), [["SPY,XLF", "iex", KEY]])
    }))

  it.effect("a symbol without a trade today fails Unavailable naming it", () =>
    Effect.gen(function*() {
      const { md } = yield* setupIntraday({
        SPY: { date: "2024-11-15", open: 500, high: 505, low: 498, close: 503, volume: 1000, tradeAt: AT_1545 - 1000, tradePrice: 503.5 },
        XLF: { date: "2024-11-14", open: 40, high: 41, low: 39.5, close: 40.2, volume: 500, tradeAt: AT_1545 - 86_400_000, tradePrice: 40.2 }
      })
      const error = yield* Effect.flip(md.snapshotDuring(day("2024-11-15"), "2024-11-15T15:45:00-05:00", 3))
      assert.deepStrictEqual([error.reason, error.message], ["Unavailable", "alpaca: no trade of XLF on 2024-11-15 yet"])
    }))
})

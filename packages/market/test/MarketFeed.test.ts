import { assert, describe, it } from "@effect/vitest"
import { Clock, ConfigProvider, Effect, Fiber, Redacted } from "effect"
import { TradingDay } from "@council/domain"
import { MarketData, MarketFeed } from "@council/market"
import { TestClock } from "effect/testing"
import { alpacaBars, barsOf, polygonAggs, serve } from "./providerServers.ts"

const NOW = Date.parse("2024-11-15T22:00:00Z")
const TEN = ["SPY", "QQQ", "IWM", "TLT", "HYG", "GLD", "USO", "UUP", "XLE", "XLF"]
const BARS = Object.fromEntries(TEN.map((s) => [s, barsOf(s)]))

const withEnv = (env: Record<string, string>) =>
  Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))

const configError = (env: Record<string, string>) => Effect.flip(MarketFeed.readConfig).pipe(withEnv(env))

const realPause = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

describe("MarketFeed", () => {
  it.effect("COUNCIL_DATA defaults to local", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* MarketFeed.readConfig.pipe(withEnv({})), { source: "local", directory: undefined })
      assert.deepStrictEqual(
        yield* MarketFeed.readConfig.pipe(withEnv({ COUNCIL_DATA: "local", COUNCIL_BARS_DIR: "/tmp/bars" })),
        { source: "local", directory: "/tmp/bars" }
      )
      const md = yield* MarketData.pipe(Effect.provide(MarketFeed.layerConfig), withEnv({}))
      assert.strictEqual(yield* md.latestTradingDay, "2026-06-08")
      assert.strictEqual((yield* md.universe).length, 10)
    }))

  it.effect("an unknown COUNCIL_DATA is a one-line error naming the variable", () =>
    Effect.gen(function*() {
      const error = yield* configError({ COUNCIL_DATA: "yahoo" })
      assert.strictEqual(error._tag, "MarketFeedConfigError")
      assert.strictEqual(error.variable, "COUNCIL_DATA")
      assert.strictEqual(error.message, "COUNCIL_DATA must be one of local, alpaca, polygon (got \"yahoo\")")
    }))

  it.effect("alpaca needs both personal keys", () =>
    Effect.gen(function*() {
      const noKeys = yield* configError({ COUNCIL_DATA: "alpaca" })
      assert.strictEqual(noKeys.variable, "ALPACA_PERSONAL_KEY_ID")
      assert.strictEqual(noKeys.message, "ALPACA_PERSONAL_KEY_ID is not set (COUNCIL_DATA=alpaca needs it)")
      const noSecret = yield* configError({ COUNCIL_DATA: "alpaca", ALPACA_PERSONAL_KEY_ID: "AK1" })
      assert.strictEqual(noSecret.message, "ALPACA_PERSONAL_SECRET_KEY is not set (COUNCIL_DATA=alpaca needs it)")
      const blank = yield* configError({ COUNCIL_DATA: "alpaca", ALPACA_PERSONAL_KEY_ID: "AK1", ALPACA_PERSONAL_SECRET_KEY: "  " })
      assert.strictEqual(blank.variable, "ALPACA_PERSONAL_SECRET_KEY")
      const layerError = yield* Effect.flip(MarketData.pipe(Effect.provide(MarketFeed.layerConfig))).pipe(
        withEnv({ COUNCIL_DATA: "alpaca", ALPACA_PERSONAL_SECRET_KEY: "s3cr3t" })
      )
      assert.strictEqual(layerError._tag, "MarketFeedConfigError")
      assert.strictEqual(layerError.message, "ALPACA_PERSONAL_KEY_ID is not set (COUNCIL_DATA=alpaca needs it)")
    }))

  it.effect("polygon needs POLYGON_API_KEY, and COUNCIL_DATA_URL must be an http(s) URL", () =>
    Effect.gen(function*() {
      const noKey = yield* configError({ COUNCIL_DATA: "polygon", ALPACA_PERSONAL_KEY_ID: "AK1" })
      assert.strictEqual(noKey.variable, "POLYGON_API_KEY")
      assert.strictEqual(noKey.message, "POLYGON_API_KEY is not set (COUNCIL_DATA=polygon needs it)")
      const badUrl = yield* configError({ COUNCIL_DATA: "polygon", POLYGON_API_KEY: "pk", COUNCIL_DATA_URL: "proxy:8080/x y" })
      assert.strictEqual(badUrl.variable, "COUNCIL_DATA_URL")
      assert.strictEqual(badUrl.message, "COUNCIL_DATA_URL is not an http(s) URL")
      const withPassword = yield* configError({ COUNCIL_DATA: "polygon", POLYGON_API_KEY: "pk", COUNCIL_DATA_URL: "ftp://me:hunter2@proxy" })
      assert.notInclude(withPassword.message, "hunter2")
      const userinfo = yield* configError({ COUNCIL_DATA: "polygon", POLYGON_API_KEY: "pk", COUNCIL_DATA_URL: "https://me:hunter2@proxy" })
      assert.strictEqual(userinfo.message, "COUNCIL_DATA_URL must not contain user:password@ (the keys go in their own variables)")
      const blank = yield* configError({ COUNCIL_DATA: "  " })
      assert.strictEqual(blank.message, "COUNCIL_DATA is set but blank; unset it or give it a value")
      const selection = yield* MarketFeed.readConfig.pipe(withEnv({ COUNCIL_DATA: "polygon", POLYGON_API_KEY: "pk-123" }))
      assert.strictEqual(selection.source, "polygon")
      assert.isTrue(selection.source === "polygon" && Redacted.value(selection.apiKey) === "pk-123")
      assert.notInclude(String(selection.source === "polygon" ? selection.apiKey : ""), "pk-123")
    }))

  it.effect("COUNCIL_DATA=alpaca serves Alpaca bars from COUNCIL_DATA_URL with the personal keys", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const clock = yield* Clock.Clock
      const server = yield* serve(alpacaBars({ bars: BARS, keyId: "AKPERSONAL", secretKey: "personal-secret" }), {
        now: () => clock.currentTimeMillisUnsafe()
      })
      const md = yield* MarketData.pipe(
        Effect.provide(MarketFeed.layerConfig),
        withEnv({
          COUNCIL_DATA: "alpaca",
          ALPACA_PERSONAL_KEY_ID: "AKPERSONAL",
          ALPACA_PERSONAL_SECRET_KEY: "personal-secret",
          COUNCIL_DATA_URL: server.url
        })
      )
      assert.strictEqual(yield* md.latestTradingDay, "2024-11-14")
      assert.strictEqual(server.requests.length, 1)
      assert.strictEqual(server.requests[0]!.headers["apca-api-key-id"], "AKPERSONAL")
    }))

  it.effect("COUNCIL_DATA=polygon serves Polygon aggregates from COUNCIL_DATA_URL, 5 calls a minute", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const clock = yield* Clock.Clock
      const server = yield* serve(polygonAggs({ bars: BARS, apiKey: "pk-123" }), { now: () => clock.currentTimeMillisUnsafe() })
      const md = yield* MarketData.pipe(
        Effect.provide(MarketFeed.layerConfig),
        withEnv({ COUNCIL_DATA: "polygon", POLYGON_API_KEY: "pk-123", COUNCIL_DATA_URL: `${server.url}/` })
      )
      const fiber = yield* md.ensureTradingDay(TradingDay.make("2024-11-14")).pipe(
        Effect.forkChild({ startImmediately: true })
      )
      for (let i = 0; i < 120 && server.requests.length < 10; i++) {
        yield* realPause(5)
        if (server.requests.length < 10) yield* TestClock.adjust("1 second")
      }
      assert.strictEqual(yield* Fiber.join(fiber), "2024-11-14")
      assert.strictEqual(server.requests.length, 10)
      assert.isTrue(server.requests.every((r) => r.headers.authorization === "Bearer pk-123"))
      assert.isAtLeast(server.requests[9]!.at - server.requests[0]!.at, 60_000)
    }))
})

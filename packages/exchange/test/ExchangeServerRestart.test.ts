import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { AlpacaWire } from "@council/broker/Alpaca"
import { TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import { Database } from "@council/store"
import { ExchangeServer, type ExchangeServerOptions } from "@council/exchange/server"
import { ACCOUNT, bars, D5, D6, tempDatabase } from "./ExchangeFixture.ts"
import { clientOf } from "./ExchangeServerHarness.ts"

/** A server over the ledger in `file`, on a random port. */
const serverOver = (file: string, options: ExchangeServerOptions = {}) =>
  ExchangeServer.layer({ port: 0, accounts: [ACCOUNT], rateLimit: 10_000, ...options }).pipe(
    Layer.provide(Database.layerSqlite(file)),
    Layer.provide(MarketData.layerTest(bars)),
    Layer.fresh
  )

const clockOf = (body: unknown) => Schema.decodeUnknownSync(AlpacaWire.WireClock)(body)

describe("exchange serve started again", () => {
  it.effect("given no moment, starts at the latest point an account was brought to (a close): a client without a session header is served", () =>
    Effect.gen(function*() {
      const file = tempDatabase()
      // a run after the latest session's close (16:15) trades the account there (its order queued for the next open)
      yield* Effect.gen(function*() {
        const client = yield* clientOf()
        const order = { symbol: "SPY", qty: "1", side: "buy", type: "market", time_in_force: "day" }
        const placed = yield* client.call("POST", "/v2/orders", { body: JSON.stringify(order), headers: { "X-Council-Session": `${D6}T16:15:00-04:00` } })
        assert.strictEqual(placed.status, 200, placed.text)
      }).pipe(Effect.provide(serverOver(file)))
      // started again with no --date/--at: at that close, not at 15:45 before it (every call of the account refused)
      yield* Effect.gen(function*() {
        const client = yield* clientOf()
        const account = yield* client.get("/v2/account")
        assert.strictEqual(account.status, 200, account.text)
        assert.deepStrictEqual(clockOf((yield* client.get("/v2/clock")).json).timestamp, `${D6}T16:00:00-04:00`)
      }).pipe(Effect.provide(serverOver(file)))
      // a moment given is kept: the server's clock is there, but an account further along is served at its own
      // point without a header (never a 422 for it); a header for the moment given is refused for it as before
      yield* Effect.gen(function*() {
        const client = yield* clientOf()
        assert.deepStrictEqual((yield* client.get("/council/session")).json, { date: D6, at: `${D6}T15:45:00-04:00` })
        assert.strictEqual((yield* client.get("/v2/account")).status, 200)
        assert.deepStrictEqual(clockOf((yield* client.get("/v2/clock")).json).timestamp, `${D6}T16:00:00-04:00`)
        const pinned = yield* client.call("GET", "/v2/account", { headers: { "X-Council-Session": `${D6}T15:45:00-04:00` } })
        assert.strictEqual(pinned.status, 422)
      }).pipe(Effect.provide(serverOver(file, { at: "15:45" })))
    }))

  it.effect("given no moment, resumes where the accounts are even before the data's latest session: 15:45 of the day they trade in", () =>
    Effect.gen(function*() {
      const file = tempDatabase()
      yield* Effect.gen(function*() {
        const client = yield* clientOf()
        const order = { symbol: "SPY", qty: "1", side: "buy", type: "market", time_in_force: "day" }
        assert.strictEqual((yield* client.call("POST", "/v2/orders", { body: JSON.stringify(order) })).status, 200)
      }).pipe(Effect.provide(serverOver(file, { date: D5 })))
      yield* Effect.gen(function*() {
        const client = yield* clientOf()
        const server = yield* ExchangeServer
        assert.isTrue(server.resumed)
        assert.deepStrictEqual(clockOf((yield* client.get("/v2/clock")).json).timestamp, `${D5}T15:45:00-04:00`)
        // a call without a session header stays there: the next session is still open to the account
        assert.strictEqual((yield* client.get("/v2/account")).status, 200)
        const next = yield* client.call("GET", "/v2/account", { headers: { "X-Council-Session": `${D6}T15:45:00-04:00` } })
        assert.strictEqual(next.status, 200, next.text)
      }).pipe(Effect.provide(serverOver(file)))
    }))

  it.effect("an account only looked at after the close (no order: nothing pins it) does not move the moment a restart starts at", () =>
    Effect.gen(function*() {
      const file = tempDatabase()
      yield* Effect.gen(function*() {
        const client = yield* clientOf()
        const looked = yield* client.call("GET", "/v2/account", { headers: { "X-Council-Session": `${D6}T16:15:00-04:00` } })
        assert.strictEqual(looked.status, 200, looked.text)
      }).pipe(Effect.provide(serverOver(file)))
      yield* Effect.gen(function*() {
        const client = yield* clientOf()
        assert.deepStrictEqual(clockOf((yield* client.get("/v2/clock")).json).timestamp, `${D6}T15:45:00-04:00`)
        assert.strictEqual((yield* client.get("/v2/account")).status, 200)
      }).pipe(Effect.provide(serverOver(file)))
    }))

  it.effect("given no moment, resumes a half day (13:00 close) at its open: 15:45 is past its close", () =>
    Effect.gen(function*() {
      const file = tempDatabase()
      // Thanksgiving week: 2026-11-26 is a holiday, 2026-11-27 closes at 13:00
      const days = ["2026-11-24", "2026-11-25", "2026-11-27"].map((d) => TradingDay.make(d))
      const halfDayBars = { SPY: days.map((date) => ({ date, open: 100, high: 101, low: 99, close: 100, volume: 1_000_000 })) }
      const over = ExchangeServer.layer({ port: 0, accounts: [ACCOUNT], rateLimit: 10_000 }).pipe(
        Layer.provide(Database.layerSqlite(file)),
        Layer.provide(MarketData.layerTest(halfDayBars)),
        Layer.fresh
      )
      yield* Effect.gen(function*() {
        const client = yield* clientOf()
        const order = { symbol: "SPY", qty: "1", side: "buy", type: "limit", limit_price: "90", time_in_force: "gtc" }
        const placed = yield* client.call("POST", "/v2/orders", { body: JSON.stringify(order), headers: { "X-Council-Session": "2026-11-27T11:00:00-05:00" } })
        assert.strictEqual(placed.status, 200, placed.text)
      }).pipe(Effect.provide(over))
      yield* Effect.gen(function*() {
        const client = yield* clientOf()
        assert.isTrue((yield* ExchangeServer).resumed)
        const clock = clockOf((yield* client.get("/v2/clock")).json)
        assert.deepStrictEqual([clock.timestamp, clock.is_open, clock.next_close], ["2026-11-27T09:30:00-05:00", true, "2026-11-27T13:00:00-05:00"])
        // the account is served there without a session header (at 15:45 the day would be over, past its point)
        const account = yield* client.get("/v2/account")
        assert.strictEqual(account.status, 200, account.text)
        const open = yield* client.get("/v2/orders?status=open")
        assert.strictEqual((open.json as ReadonlyArray<unknown>).length, 1, open.text)
      }).pipe(Effect.provide(over))
    }))

  it.effect("given no moment on a fresh ledger, starts at 15:45 of the latest session", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      assert.deepStrictEqual(clockOf((yield* client.get("/v2/clock")).json).timestamp, `${D6}T15:45:00-04:00`)
      assert.strictEqual((yield* client.get("/v2/account")).status, 200)
      assert.isFalse((yield* ExchangeServer).resumed)
    }).pipe(Effect.provide(serverOver(tempDatabase()))))
})

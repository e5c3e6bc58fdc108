import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { TestClock } from "effect/testing"
import { AlpacaWire } from "@council/broker/Alpaca"
import { ExchangeFaults } from "@council/exchange/server"
import { clientOf, GEMINI, serverLayer } from "./ExchangeServerHarness.ts"

const { makeFaultPlan, makeRateLimiter, parseFaultKinds } = ExchangeFaults
const noDrop = ["rate_limited", "server_error", "unavailable"] as const
const statusOf: Record<ExchangeFaults.FaultKind, number> = { rate_limited: 429, server_error: 500, unavailable: 503, dropped: 0 }

describe("ExchangeFaults", () => {
  it("draws the same faults for the same seed, none at rate 0, one per request at rate 1", () => {
    const draw = (seed: number, rate: number, canDrop: boolean) => {
      const plan = makeFaultPlan({ rate, seed })
      return Array.from({ length: 200 }, () => plan.next(canDrop))
    }
    assert.deepStrictEqual(draw(42, 0.3, true), draw(42, 0.3, true))
    assert.notDeepEqual(draw(42, 0.3, true), draw(43, 0.3, true))
    assert.isTrue(draw(1, 0, true).every((f) => f === undefined))
    const always = draw(1, 1, true)
    assert.isTrue(always.every((f) => f !== undefined))
    assert.deepStrictEqual(new Set(always), new Set(ExchangeFaults.FAULT_KINDS))
    assert.isFalse(draw(1, 1, false).includes("dropped"))
    const hits = draw(7, 0.3, true).filter((f) => f !== undefined).length
    assert.isTrue(hits > 30 && hits < 90, `${hits} faults of 200 at rate 0.3`)
  })

  it("parses fault kinds and their aliases", () => {
    assert.deepStrictEqual(parseFaultKinds("429, 503,drop"), ["rate_limited", "unavailable", "dropped"])
    assert.deepStrictEqual(parseFaultKinds("server_error,500"), ["server_error"])
    assert.deepStrictEqual(parseFaultKinds("404"), { error: "unknown fault kind \"404\" (use 429, 500, 503, drop)" })
    assert.deepStrictEqual(parseFaultKinds(" , "), { error: "no fault kinds given" })
  })

  it("counts requests per key in fixed one-minute windows", () => {
    const limiter = makeRateLimiter(2)
    assert.deepStrictEqual(limiter.hit("a", 61_000), { limit: 2, remaining: 1, reset: 120, exceeded: false })
    assert.deepStrictEqual(limiter.hit("a", 62_000), { limit: 2, remaining: 0, reset: 120, exceeded: false })
    assert.deepStrictEqual(limiter.hit("a", 119_999), { limit: 2, remaining: 0, reset: 120, exceeded: true })
    assert.deepStrictEqual(limiter.hit("b", 119_999), { limit: 2, remaining: 1, reset: 120, exceeded: false })
    assert.deepStrictEqual(limiter.hit("a", 120_000), { limit: 2, remaining: 1, reset: 180, exceeded: false })
  })
})

describe("ExchangeServer rate limit and faults", () => {
  it.effect("limits each API key to N requests per minute, with X-Ratelimit-* headers on every response", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const seen: Array<ReadonlyArray<unknown>> = []
      for (let i = 0; i < 4; i++) {
        const r = yield* client.get("/v2/clock")
        seen.push([r.status, r.headers["x-ratelimit-limit"], r.headers["x-ratelimit-remaining"], r.headers["x-ratelimit-reset"]])
        if (r.status === 429) assert.deepStrictEqual(r.json, { code: 42910000, message: "rate limit exceeded" })
      }
      assert.deepStrictEqual(seen, [[200, "3", "2", "60"], [200, "3", "1", "60"], [200, "3", "0", "60"], [429, "3", "0", "60"]])
      const gemini = yield* clientOf(GEMINI)
      const other = yield* gemini.get("/v2/account")
      assert.deepStrictEqual([other.status, other.headers["x-ratelimit-remaining"]], [200, "2"])
      yield* TestClock.adjust("1 minute")
      const later = yield* client.get("/v2/account")
      assert.deepStrictEqual([later.status, later.headers["x-ratelimit-remaining"], later.headers["x-ratelimit-reset"]], [200, "2", "120"])
    }).pipe(Effect.provide(serverLayer({ rateLimit: 3 }))))

  it.effect("injects the same faults for the same seed, as the seeded fault plan predicts", () =>
    Effect.gen(function*() {
      const statuses = (seed: number) =>
        Effect.gen(function*() {
          const client = yield* clientOf()
          const out: Array<number> = []
          for (let i = 0; i < 30; i++) out.push((yield* client.get("/v2/account")).status)
          return out
        }).pipe(Effect.provide(serverLayer({ faultRate: 0.4, seed, faultKinds: noDrop })))
      const first = yield* statuses(11)
      assert.deepStrictEqual(yield* statuses(11), first)
      assert.notDeepEqual(yield* statuses(12), first)
      const plan = makeFaultPlan({ rate: 0.4, seed: 11, kinds: noDrop })
      assert.deepStrictEqual(first, first.map(() => {
        const fault = plan.next(false)
        return fault === undefined ? 200 : statusOf[fault]
      }))
      assert.isTrue(first.includes(200) && first.some((s) => s !== 200))
    }))

  it.effect("answers injected faults with Alpaca's statuses: 429 with rate-limit headers, 500 and 503 with error bodies", () =>
    Effect.gen(function*() {
      const one = (kind: ExchangeFaults.FaultKind) =>
        Effect.flatMap(clientOf(), (client) => client.get("/v2/positions")).pipe(
          Effect.provide(serverLayer({ faultRate: 1, faultKinds: [kind] }))
        )
      const limited = yield* one("rate_limited")
      assert.strictEqual(limited.status, 429)
      assert.strictEqual(limited.headers["x-ratelimit-remaining"], "0")
      assert.strictEqual(limited.headers["x-ratelimit-limit"], "10000")
      assert.match(String(limited.headers["x-ratelimit-reset"]), /^\d+$/)
      assert.strictEqual(AlpacaWire.errorReason(limited.status, ""), "RateLimited")
      const failed = yield* one("server_error")
      assert.deepStrictEqual([failed.status, failed.json], [500, { code: 50010000, message: "internal server error" }])
      const unavailable = yield* one("unavailable")
      assert.deepStrictEqual([unavailable.status, unavailable.json], [503, { code: 50310000, message: "service unavailable" }])
      const notOrders = yield* one("dropped")
      assert.strictEqual(notOrders.status, 200)
    }))

  it.effect("drops the connection after accepting an order: the order is in the ledger", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const dropped = yield* Effect.flip(client.post("/v2/orders", {
        symbol: "SPY",
        qty: "3",
        side: "buy",
        type: "market",
        time_in_force: "day",
        client_order_id: "dropped-1"
      }))
      assert.strictEqual(dropped._tag, "ConnectionDropped")
      const found = yield* client.get("/v2/orders:by_client_order_id?client_order_id=dropped-1")
      assert.strictEqual(found.status, 200)
      const order = yield* Schema.decodeUnknownEffect(AlpacaWire.WireOrder)(found.json)
      assert.deepStrictEqual([order.symbol, order.qty, order.status], ["SPY", "3", "new"])
    }).pipe(Effect.provide(serverLayer({ faultRate: 1, faultKinds: ["dropped"] }))))

  it.live("adds the configured latency to every request", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const started = Date.now()
      const r = yield* client.get("/v2/clock")
      assert.strictEqual(r.status, 200)
      assert.isAtLeast(Date.now() - started, 150)
    }).pipe(Effect.provide(serverLayer({ latencyMs: 150 }))))
})

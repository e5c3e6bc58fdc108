import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Ticker } from "@council/domain"
import { AlpacaBroker } from "../../src/alpaca/AlpacaBroker.ts"
import * as OrderPages from "../../src/OrderPages.ts"
import { type FakeAlpaca, startFakeAlpaca } from "./FakeAlpaca.ts"
import { clientFor } from "./fixtures.ts"

const rest = (fake: FakeAlpaca, n: number) =>
  Effect.promise(() =>
    fetch(`${fake.url}/v2/orders`, {
      method: "POST",
      headers: { "APCA-API-KEY-ID": fake.keyId, "APCA-API-SECRET-KEY": fake.secretKey, "content-type": "application/json" },
      body: JSON.stringify({ symbol: "SPY", qty: "1", side: "buy", type: "limit", limit_price: "1", time_in_force: "gtc", client_order_id: `rest-${n}` })
    }).then((r) => r.json())
  )

describe("OrderPages.listEvery", () => {
  it.live("reads every open order of a symbol past Alpaca's 500 a listing, newest first, each once: orders sharing a millisecond across a page's edge too", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = AlpacaBroker.fromClient(yield* clientFor(fake))
      yield* Effect.forEach(Array.from({ length: 1201 }, (_, n) => n), (n) => rest(fake, n), { concurrency: 8, discard: true })
      // 300 orders around the first page's edge (the 500th newest) submitted in one millisecond
      const stored = [...fake.orders.values()]
      const instant = stored[600]!.submittedAt
      for (const o of stored.slice(550, 850)) fake.orders.set(o.id, { ...o, submittedAt: instant })
      const listed = yield* OrderPages.listEvery(broker, { status: "open", symbols: [Ticker.make("SPY")] }, "SPY's open orders")
      assert.strictEqual(listed.length, 1201)
      assert.deepStrictEqual(listed.map((o) => o.id), stored.map((o) => o.id).reverse())
      const pages = fake.requests.filter((r) => r.method === "GET" && r.path === "/v2/orders")
      assert.isAbove(pages.length, 2)
      assert.isAtMost(pages.length, 4)
      // one listing alone answers the newest 500
      assert.strictEqual((yield* broker.listOrders({ status: "open", symbols: [Ticker.make("SPY")], limit: 500 })).length, 500)
    }), 30_000)
})

describe("OrderPages.listUntil", () => {
  it.live("reads newest first until the page holding the order sought, and no page after it; every page when none is", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = AlpacaBroker.fromClient(yield* clientFor(fake))
      yield* Effect.forEach(Array.from({ length: 1201 }, (_, n) => n), (n) => rest(fake, n), { concurrency: 8, discard: true })
      // a second apart: a page's edge shares no millisecond
      const stored = [...fake.orders.values()]
      stored.forEach((o, n) => fake.orders.set(o.id, { ...o, submittedAt: new Date(Date.now() - 3_600_000 + n * 1000).toISOString() }))
      const pages = () => fake.requests.filter((r) => r.method === "GET" && r.path === "/v2/orders").length
      const sought = stored[600]!.id
      const read = yield* OrderPages.listUntil(broker, { status: "open", symbols: [Ticker.make("SPY")] }, "SPY's open orders", (o) => o.id === sought)
      // the 601st newest is on the second page: two listings, the second whole (it starts again at the first's
      // oldest, kept once: 999 orders)
      assert.strictEqual(pages(), 2)
      assert.isTrue(read.some((o) => o.id === sought))
      assert.deepStrictEqual(read.map((o) => o.id), stored.slice(-999).map((o) => o.id).reverse())
      const all = yield* OrderPages.listUntil(broker, { status: "open", symbols: [Ticker.make("SPY")] }, "SPY's open orders", (o) => o.id === "none")
      assert.strictEqual(all.length, 1201)
    }), 30_000)
})

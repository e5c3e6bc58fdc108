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

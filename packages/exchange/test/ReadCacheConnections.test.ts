import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { D2, intent, QQQ, SPY, tempDatabase, withExchange } from "./ExchangeFixture.ts"

// A write call leaves what it read and wrote of the account in the exchange's read cache, and its transaction's look
// at SQLite's `data_version` also serves the reads that start in the same synchronous stretch. Another connection
// on the same file (`exchange serve` beside a CLI run) that commits after it must still be seen by the next read.
describe("LocalExchange read cache and another connection", () => {
  it.effect("a read after this exchange's write sees the orders another connection placed since", () =>
    Effect.gen(function*() {
      const filename = tempDatabase()
      const seen = yield* withExchange(({ broker }) =>
        Effect.gen(function*() {
          const mine = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1, type: "limit", limitPrice: 30, timeInForce: "gtc" }))
          const before = yield* broker.listOrders({ status: "open", direction: "asc" })
          const theirs = yield* withExchange(
            ({ broker: other }) => other.placeOrder(intent({ symbol: QQQ, side: "buy", qty: 2, type: "limit", limitPrice: 30, timeInForce: "gtc" })),
            { filename, start: D2 }
          )
          const after = yield* broker.listOrders({ status: "open", direction: "asc" })
          const account = yield* broker.getOrder(theirs.id)
          return { mine: mine.id, theirs: theirs.id, before: before.map((o) => o.id), after: after.map((o) => o.id), status: account.status }
        }), { filename, start: D2 })
      assert.deepStrictEqual(seen.before, [seen.mine])
      assert.deepStrictEqual(seen.after, [seen.mine, seen.theirs])
      assert.strictEqual(seen.status, "new")
    }))
})

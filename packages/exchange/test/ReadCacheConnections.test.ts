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

  // A read of an account kept at the present's point is answered at once (`LocalExchange.withAccount`, no look of
  // its own): only while this stretch already looked at `data_version`; a later read must look again.
  it.effect("the account kept by this exchange's write is read again once another connection placed an order on it", () =>
    Effect.gen(function*() {
      const filename = tempDatabase()
      const seen = yield* withExchange(({ broker }) =>
        Effect.gen(function*() {
          yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1, type: "limit", limitPrice: 30, timeInForce: "gtc" }))
          const before = yield* broker.getAccount
          const theirs = yield* withExchange(
            ({ broker: other }) => Effect.andThen(other.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 })), other.getAccount),
            { filename, start: D2, time: "16:00" }
          )
          const after = yield* broker.getAccount
          return { before, theirs, after }
        }), { filename, start: D2, time: "16:00" })
      assert.notStrictEqual(seen.theirs.buyingPower, seen.before.buyingPower)
      assert.deepStrictEqual(seen.after, seen.theirs)
    }))
})

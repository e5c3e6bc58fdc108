import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AccountId, defaultAccountSettings, type OrderIntent, Ticker } from "@council/domain"
import { SafetyBroker } from "@council/broker"
import { AlpacaBroker } from "@council/broker/Alpaca"
import { type FakeAlpaca, position, startFakeAlpaca } from "./FakeAlpaca.ts"
import { ACCOUNT, captureLogs, clientFor } from "./fixtures.ts"

// An order whose status Alpaca answers in a word Council's domain does not know (a status new to Council). Listed as
// open, it holds shares or dollars: the open listing fails naming it rather than leave it out. Elsewhere (history,
// `status=all`) it is skipped with a warning; nothing that does not decode reaches the domain (the ledger, the runs'
// recordings).

const SPY = Ticker.make("SPY")

/** A user's order of `side` `qty` SPY on the fake, answered with status `word`. */
const withStatus = (fake: FakeAlpaca, side: "buy" | "sell", qty: number, word: string) => {
  const order = fake.addOrder({ clientOrderId: `user-${word}-${side}`, symbol: SPY, side, qty, type: "market", timeInForce: "day", limitPrice: null, stopPrice: null, orderClass: "simple", status: "new" })
  fake.venueStatuses.set(order.id, word)
  return order
}

const buy = (qty: number, clientOrderId: string): OrderIntent => ({
  account: ACCOUNT,
  symbol: SPY,
  side: "buy",
  qty,
  type: "market",
  timeInForce: "day",
  orderClass: "simple",
  clientOrderId,
  reason: "test"
})

describe("an order with a status Council does not know (Alpaca adapter over 127.0.0.1)", () => {
  it.live("the open listing fails with one line naming the order and its status; the other listings skip it with a warning", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = AlpacaBroker.fromClient(yield* clientFor(fake), {})
      const known = fake.addOrder({ clientOrderId: "known", symbol: SPY, side: "buy", qty: 1, type: "limit", timeInForce: "day", limitPrice: 500, stopPrice: null, orderClass: "simple", status: "new" })
      const odd = withStatus(fake, "buy", 10, "pending_activation")
      const failed = yield* Effect.flip(broker.listOrders({ status: "open" }))
      assert.deepStrictEqual([failed.reason, failed.retryable], ["ServerError", false])
      assert.include(failed.message, `order ${odd.id} (buy 10 SPY): status "pending_activation" is new to Council`)
      assert.notInclude(failed.message, "\n")
      // a single read of it fails with the same line
      const read = yield* Effect.flip(broker.getOrder(odd.id))
      assert.include(read.message, `status "pending_activation" is new to Council`)
      // every order (history): the known one, the other skipped with a warning that names it
      const { value: all, lines } = yield* captureLogs(broker.listOrders({ status: "all" }))
      assert.deepStrictEqual(all.map((o) => o.id), [known.id])
      assert.isTrue(lines.some((l) => l.includes(odd.id) && l.includes("pending_activation")), lines.join("\n"))
      // once the order is closed (Alpaca answers a final status Council knows), the open listing reads again
      fake.orders.set(odd.id, { ...fake.orders.get(odd.id)!, status: "canceled" })
      assert.deepStrictEqual((yield* broker.listOrders({ status: "open" })).map((o) => o.id), [known.id])
    })))

  it.live("an order of another instrument (a crypto pair) in the open listing is still skipped: it holds no shares Council counts", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = AlpacaBroker.fromClient(yield* clientFor(fake), {})
      const pair = fake.addOrder({ clientOrderId: "pair", symbol: "BTC/USD" as never, side: "buy", qty: 1, type: "market", timeInForce: "gtc", limitPrice: null, stopPrice: null, orderClass: "simple", status: "new" })
      fake.venueStatuses.set(pair.id, "pending_activation")
      const known = fake.addOrder({ clientOrderId: "known", symbol: SPY, side: "buy", qty: 1, type: "limit", timeInForce: "day", limitPrice: 500, stopPrice: null, orderClass: "simple", status: "new" })
      assert.deepStrictEqual((yield* broker.listOrders({ status: "open" })).map((o) => o.id), [known.id])
    })))

  it.live("a cancel is not taken as carried out while the order reads a status new to Council: read again until a known final one", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = AlpacaBroker.fromClient(yield* clientFor(fake), {})
      const order = withStatus(fake, "buy", 10, "pending_cancel_review")
      // Alpaca takes the cancel (204); the order reads the new word for two reads, canceled at the third
      fake.pendingCancels.set(order.id, { reads: 3 })
      yield* broker.cancelOrder(order.id)
      const reads = fake.requests.filter((r) => r.method === "GET" && r.path === `/v2/orders/${order.id}`).length
      assert.strictEqual(reads, 3)
      assert.strictEqual(fake.orders.get(order.id)?.status, "canceled")
    })))

  it.live("the safety broker refuses an order while the account's open orders cannot be read whole; nothing is sent", () =>
    Effect.scoped(Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const inner = AlpacaBroker.fromClient(yield* clientFor(fake), {})
      const prices: SafetyBroker.ReferencePrices["Service"] = { of: () => Effect.succeed(new Map([["SPY", 700]])) }
      const broker = SafetyBroker.decorate({ id: AccountId.make(ACCOUNT), mode: "PAPER", settings: defaultAccountSettings }, inner, prices)
      fake.positions.set("SPY", position("SPY", 10, 700))
      withStatus(fake, "sell", 10, "pending_trigger")
      const posts = () => fake.requests.filter((r) => r.method === "POST" && r.path === "/v2/orders").length
      const refused = yield* Effect.flip(broker.placeOrder(buy(5, "second-buy")))
      assert.include(refused.message, `status "pending_trigger" is new to Council`)
      assert.strictEqual(posts(), 0)
    })))
})

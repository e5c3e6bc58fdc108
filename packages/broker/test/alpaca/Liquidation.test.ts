import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Ticker } from "@council/domain"
import { AlpacaBroker } from "../../src/alpaca/AlpacaBroker.ts"
import { type FakeAlpaca, position, startFakeAlpaca } from "./FakeAlpaca.ts"
import { clientFor, intent } from "./fixtures.ts"

// The panic writes over a fake Alpaca on 127.0.0.1 that drops the connection of the first request after acting
// on it (the answer is lost): nothing is closed or canceled twice, and the answer names what was.

const FAST = { base: "20 millis", cap: "100 millis", times: 4 } as const

const brokerOver = (fake: FakeAlpaca) =>
  Effect.map(clientFor(fake, { retry: FAST }), (client) => AlpacaBroker.fromClient(client, { retry: FAST }))

const holding = (fake: FakeAlpaca) => {
  fake.positions.set("AAPL", position("AAPL", 10, 150))
  fake.positions.set("TSLA", position("TSLA", -5, 200))
}

/** The liquidating orders at the fake (every simple market order), by symbol, with their status. */
const liquidations = (fake: FakeAlpaca) =>
  [...fake.orders.values()].filter((o) => o.type === "market").map((o) => `${o.side} ${o.qty} ${o.symbol} ${o.status}`).sort()

const deletes = (fake: FakeAlpaca, path: string) => fake.requests.filter((r) => r.method === "DELETE" && r.path === path)

describe("Alpaca's close-all, close and cancel-all after a dropped connection", () => {
  it.live("close-all while the market is open: the lost attempt's fills are what it closed, nothing is sold twice", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerOver(fake)
      holding(fake)
      fake.closeFills.set("AAPL", 151).set("TSLA", 199)
      fake.inject("DELETE", "/v2/positions", { _tag: "Drop", afterAccept: true })
      const closed = yield* broker.closeAllPositions
      assert.deepStrictEqual(closed.map((o) => `${o.side} ${o.qty} ${o.symbol} ${o.status}`).sort(), ["buy 5 TSLA filled", "sell 10 AAPL filled"])
      assert.deepStrictEqual(liquidations(fake), ["buy 5 TSLA filled", "sell 10 AAPL filled"])
      assert.strictEqual(fake.positions.size, 0)
      // sent again without canceling orders (the lost attempt's closes are not to be canceled)
      assert.deepStrictEqual(deletes(fake, "/v2/positions").map((r) => r.query.get("cancel_orders")), ["true", "false"])
    }))

  it.live("close-all while the market is closed: the lost attempt's working closes are kept and named, not replaced", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerOver(fake)
      holding(fake)
      // an exit the close-all cancels first
      yield* broker.placeOrder(intent(1, { side: "sell", qty: 10, type: "limit", limitPrice: 190, timeInForce: "gtc" }))
      fake.inject("DELETE", "/v2/positions", { _tag: "Drop", afterAccept: true })
      const closed = yield* broker.closeAllPositions
      const first = [...fake.orders.values()].filter((o) => o.type === "market")
      assert.deepStrictEqual(closed.map((o) => o.id).sort(), first.map((o) => o.id).sort())
      // the resend was refused for both (their shares held by the first closes): two closes, both working
      assert.deepStrictEqual(liquidations(fake), ["buy 5 TSLA accepted", "sell 10 AAPL accepted"])
      assert.deepStrictEqual([...fake.positions.keys()].sort(), ["AAPL", "TSLA"])
    }))

  it.live("close-all whose first request never arrived is sent again as it was", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerOver(fake)
      holding(fake)
      fake.inject("DELETE", "/v2/positions", { _tag: "Drop", afterAccept: false })
      const closed = yield* broker.closeAllPositions
      assert.deepStrictEqual(closed.map((o) => `${o.side} ${o.qty} ${o.symbol}`).sort(), ["buy 5 TSLA", "sell 10 AAPL"])
      assert.deepStrictEqual(deletes(fake, "/v2/positions").map((r) => r.query.get("cancel_orders")), ["true", "true"])
      assert.deepStrictEqual(liquidations(fake), ["buy 5 TSLA accepted", "sell 10 AAPL accepted"])
    }))

  it.live("close one position: the lost attempt's close is adopted, not sent twice", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerOver(fake)
      holding(fake)
      fake.inject("DELETE", "/v2/positions/AAPL", { _tag: "Drop", afterAccept: true })
      const closed = yield* broker.closePosition(Ticker.make("AAPL"))
      assert.deepStrictEqual([closed.side, closed.qty, closed.symbol], ["sell", 10, "AAPL"])
      assert.deepStrictEqual(liquidations(fake), ["sell 10 AAPL accepted"])
      assert.strictEqual(deletes(fake, "/v2/positions/AAPL").length, 1)
      // never arrived: sent again
      fake.inject("DELETE", "/v2/positions/TSLA", { _tag: "Drop", afterAccept: false })
      const tsla = yield* broker.closePosition(Ticker.make("TSLA"))
      assert.deepStrictEqual([tsla.side, tsla.qty], ["buy", 5])
      assert.strictEqual(deletes(fake, "/v2/positions/TSLA").length, 2)
    }))

  it.live("cancel-all counts the orders the lost attempt canceled", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerOver(fake)
      yield* Effect.forEach([1, 2, 3], (n) => broker.placeOrder(intent(n, { type: "limit", limitPrice: 100 + n, timeInForce: "gtc" })))
      fake.inject("DELETE", "/v2/orders", { _tag: "Drop", afterAccept: true })
      assert.strictEqual(yield* broker.cancelAllOrders, 3)
      assert.deepStrictEqual([...fake.orders.values()].map((o) => o.status), ["canceled", "canceled", "canceled"])
    }))
})

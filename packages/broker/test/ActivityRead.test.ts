import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { AccountId, defaultAccountSettings } from "@council/domain"
import { Activity, type Broker, BrokerError, SafetyBroker } from "@council/broker"
import { intent, memoryBroker, snapshot, toOrder } from "./BrokerDouble.ts"

const reference: SafetyBroker.ReferencePrices["Service"] = { of: (symbols) => Effect.succeed(new Map(symbols.map((s) => [s, 100] as const))) }
const query: Activity.ActivityQuery = { known: [], pageSize: 500, maxPages: 100 }

/** A broker with a reader of its own that answers without any call, counting how often it was asked. */
const withReader = (broker: Broker) => {
  const asked = { n: 0 }
  const own = Activity.reader(broker, () =>
    Effect.sync(() => {
      asked.n++
      return { pages: [], open: Result.succeed([]), fills: Result.succeed([]), account: Result.succeed(snapshot()), lookedUp: [] }
    }))
  return { broker: { ...broker, readActivity: own }, asked }
}

describe("Activity.read", () => {
  it.effect("a broker's own reader answers in one call; a copy with one of its reads replaced is read call by call, through the replacement", () =>
    Effect.gen(function*() {
      const inner = memoryBroker(snapshot())
      const { asked, broker } = withReader(inner.broker)
      yield* Activity.read(broker, query)
      assert.deepStrictEqual([asked.n, inner.requests], [1, []])

      const unavailable = new BrokerError({ account: "CLAUDE", reason: "Unavailable", message: "503 service unavailable", retryable: true })
      const faulty = { ...broker, listFills: () => Effect.fail(unavailable) }
      const read = yield* Activity.read(faulty, query)
      assert.strictEqual(asked.n, 1, "the reader no longer speaks for the broker")
      assert.deepStrictEqual(read.fills, Result.fail(unavailable))
      assert.sameMembers(inner.requests, ["listOrders", "listOrders", "getAccount"])
    }))

  it.effect("without a reader the calls are made one by one: pages while full, the lookups only of known orders no listing holds", () =>
    Effect.gen(function*() {
      const orders = [0, 1, 2].map((i) => toOrder(intent({ side: "buy", qty: 1, clientOrderId: `c-${i}` }), i))
      const inner = memoryBroker(snapshot(), orders)
      const read = yield* Activity.read(inner.broker, { known: [orders[1]!.id, "gone"], pageSize: 3, maxPages: 5 })
      // the double lists every order whatever the query: each full page asks the next after its latest submission,
      // which makes no progress, so the second is the last
      assert.strictEqual(read.pages.length, 2)
      assert.deepStrictEqual(read.lookedUp.map((l) => [l.id, Result.isFailure(l.order)]), [["gone", true]])
    }))

  it.effect("through the safety broker, the account and the open orders it read make the book: placing asks the broker for neither again", () =>
    Effect.gen(function*() {
      const inner = memoryBroker(snapshot())
      const { asked, broker } = withReader(inner.broker)
      const safe = SafetyBroker.decorate({ id: AccountId.make("CLAUDE"), mode: "PAPER", settings: defaultAccountSettings }, broker, reference)
      yield* Activity.read(safe, query)
      yield* safe.placeOrder(intent({ side: "buy", qty: 1, clientOrderId: "after-reconcile" }))
      assert.strictEqual(asked.n, 1)
      assert.deepStrictEqual(inner.requests, ["placeOrder"])
    }))
})

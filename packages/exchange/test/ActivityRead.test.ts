import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import { Activity, type Broker } from "@council/broker"
import { LocalExchange } from "@council/exchange"
import { ACCOUNT, D1, D2, D3, D4, intent, isoAt, QQQ, wideBracket, withExchange } from "./ExchangeFixture.ts"

/** The broker's calls alone: `Activity.read` makes them one by one. */
const callByCall = (broker: Broker): Broker => {
  const { readActivity: _, ...calls } = broker
  return calls
}

describe("the local exchange's activity read", () => {
  it.effect("answers as its calls one by one answer, at every point of a book's life: pages, open orders, fills, the account, lookups and refusals", () =>
    withExchange(({ exchange, setDay, setTime }) =>
      Effect.gen(function*() {
        const broker = LocalExchange.broker(exchange, ACCOUNT)
        assert.isDefined(broker.readActivity)
        const ids: Array<string> = []
        const compare = (label: string, query: Activity.ActivityQuery) =>
          Effect.gen(function*() {
            // the calls first: the activity read must not depend on them having advanced the account
            const calls = yield* Activity.read(callByCall(broker), query)
            const own = yield* Activity.read(broker, query)
            assert.deepStrictEqual(own, calls, label)
            return own
          })
        const queries = (label: string) =>
          Effect.gen(function*() {
            const since = isoAt(D1, "15:00")
            for (const [i, query] of [
              { known: ids, pageSize: 2, maxPages: 10 },
              { known: [...ids, "no-such-order"], pageSize: 1, maxPages: 2, ordersAfter: since, fillsAfter: since },
              { known: ids, pageSize: 500, maxPages: 100 }
            ].entries()) yield* compare(`${label} #${i}`, query)
          })
        yield* queries("empty")
        ids.push((yield* broker.placeOrder(wideBracket())).id)
        ids.push((yield* broker.placeOrder(intent({ symbol: QQQ, side: "buy", qty: 3 }))).id)
        yield* queries("placed")
        yield* setDay(D2)
        yield* setTime("10:00")
        yield* queries("after the open")
        ids.push((yield* broker.placeOrder(intent({ symbol: QQQ, side: "sell", qty: 2, type: "limit", limitPrice: 10_000, timeInForce: "gtc" }))).id)
        yield* setTime("16:30")
        yield* queries("after the close")
        yield* broker.cancelOrder(ids[2]!)
        yield* setDay(D3)
        const read = yield* compare("canceled, a day later", { known: ids, pageSize: 2, maxPages: 10 })
        assert.isAbove(read.pages.length, 1, "several pages")
        assert.isAbove(Result.getOrThrow(read.fills).length, 0, "fills")
        const later = yield* compare("closed orders looked up", { known: ids, pageSize: 2, maxPages: 10, ordersAfter: isoAt(D3, "09:00") })
        assert.deepStrictEqual(later.pages.map((p) => Result.getOrThrow(p.orders).length), [0])
        assert.deepStrictEqual(later.lookedUp.map((l) => [l.id, Result.getOrThrow(l.order).status]), [[ids[1], "filled"], [ids[2], "canceled"]])
        yield* setDay(D4)
        // refusals: each part answers for itself
        const refused = yield* compare("bad bounds", { known: ids, pageSize: 2, maxPages: 10, ordersAfter: "yesterday", fillsAfter: "never" })
        assert.deepStrictEqual([refused.pages.length, Result.isFailure(refused.pages[0]!.orders), Result.isFailure(refused.fills), Result.isSuccess(refused.open)], [1, true, true, true])
        assert.deepStrictEqual(refused.lookedUp, [], "no lookups when a listing failed")
        const bad = yield* Effect.flip(Activity.read(broker, { known: [], pageSize: 0, maxPages: 1 }).pipe(Effect.flatMap((a) => Effect.fromResult(a.open))))
        assert.strictEqual(bad.reason, "InvalidRequest")
      })))
})

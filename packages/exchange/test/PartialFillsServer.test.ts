import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { momentAt } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { ExchangeServer } from "@council/exchange/server"
import { ACCOUNT, D4, intent, SPY } from "./ExchangeFixture.ts"
import { adapterOf, serverLayer } from "./ExchangeServerHarness.ts"

layer(serverLayer({ exchange: { partialFillPct: 40 } }))("partial fills through the exchange server, as the project's Alpaca adapter reads them", (it) => {
  it.effect("a partly filled bracket entry: partially_filled with its exits held; canceled, its exits canceled with it; the fills and positions the in-process broker sees", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const at = (moment: string) => adapterOf(ACCOUNT, server.url, moment)
      const placed = yield* (yield* at("2026-08-05T16:15:00-04:00")).placeOrder(intent({
        symbol: SPY,
        side: "buy",
        qty: 10,
        timeInForce: "gtc",
        orderClass: "bracket",
        takeProfit: { limitPrice: 120 },
        stopLoss: { stopPrice: 80 }
      }))
      const nextDay = yield* at("2026-08-06T10:00:00-04:00")
      const partly = yield* nextDay.getOrder(placed.id)
      assert.deepStrictEqual([partly.status, partly.filledQty, ...partly.legs.map((l) => l.status)], ["partially_filled", 4, "held", "held"])
      yield* nextDay.cancelOrder(placed.id)
      const canceled = yield* nextDay.getOrder(placed.id)
      assert.deepStrictEqual([canceled.status, canceled.filledQty, ...canceled.legs.map((l) => l.status)], ["canceled", 4, "canceled", "canceled"])
      assert.deepStrictEqual((yield* nextDay.getPositions).map((p) => [p.symbol, p.qty]), [["SPY", 4]])
      assert.deepStrictEqual((yield* nextDay.listFills({})).map((f) => [f.qty, f.orderId]), [[4, placed.id]])
      yield* server.setSession(momentAt(D4, "10:00"))
      const local = LocalExchange.broker(yield* LocalExchange, ACCOUNT)
      assert.deepStrictEqual(yield* nextDay.listOrders({ status: "all" }), yield* local.listOrders({ status: "all" }))
    }))
})

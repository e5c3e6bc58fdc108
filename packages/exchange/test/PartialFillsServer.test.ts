import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { momentAt } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { ExchangeServer } from "@council/exchange/server"
import { wideBracket } from "./BracketOrders.ts"
import { ACCOUNT, D4 } from "./ExchangeFixture.ts"
import { adapterOf, GEMINI } from "./ExchangeServerHarness.ts"
import { partialFillServer, threeExecutions } from "./PartialFillExecutions.ts"

layer(partialFillServer())("partial fills through the exchange server, as the project's Alpaca adapter reads them", (it) => {
  it.effect("a partly filled bracket entry: partially_filled with its exits held; canceled, its exits canceled with it; the fills and positions the in-process broker sees", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const at = (moment: string) => adapterOf(ACCOUNT, server.url, moment)
      const placed = yield* (yield* at("2026-08-05T16:15:00-04:00")).placeOrder(wideBracket())
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

layer(partialFillServer())("partial fills as FILL account activities", (it) => {
  it.effect("each execution of a market order filled 4 + 4 + 2: partial_fill with the shares left until the last, fill; the adapter reads the three", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      // D3's open and close fill four shares each, D4's close the last two (what is left works at the closes)
      const { client, orderId } = yield* threeExecutions
      const activities = yield* client.get("/v2/account/activities/FILL")
      const fields = (json: unknown) =>
        (json as ReadonlyArray<Record<string, unknown>>).map((a) => [a["type"], a["qty"], a["cum_qty"], a["leaves_qty"], a["order_status"], a["order_id"]])
      assert.deepStrictEqual(fields(activities.json), [
        ["partial_fill", "4", "4", "6", "partially_filled", orderId],
        ["partial_fill", "4", "8", "2", "partially_filled", orderId],
        ["fill", "2", "10", "0", "filled", orderId]
      ])
      // a page after the first fill still counts the order's earlier shares
      const second = (activities.json as ReadonlyArray<{ readonly id: string }>)[0]!.id
      const page = yield* client.get(`/v2/account/activities/FILL?page_size=1&page_token=${second}`)
      assert.deepStrictEqual(fields(page.json), [["partial_fill", "4", "8", "2", "partially_filled", orderId]])
      // the project's Alpaca adapter reads each execution as a fill of its own shares
      const remote = yield* adapterOf(GEMINI, server.url, "2026-08-06T16:15:00-04:00")
      const fills = yield* remote.listFills({})
      assert.deepStrictEqual(fills.map((f) => [f.qty, f.orderId, f.side]), [[4, orderId, "buy"], [4, orderId, "buy"], [2, orderId, "buy"]])
      assert.deepStrictEqual((yield* remote.getPositions).map((p) => [p.symbol, p.qty]), [["SPY", 10]])
    }))
})

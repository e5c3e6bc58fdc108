/**
 * A partly filled bracket entry's held legs hold the shares it bought, through the exchange server as Alpaca answers:
 * 4 of 10 bought, an extra exit for them is refused 403 `insufficient qty available` with the position's
 * `symbol`, `existing_qty`, `held_for_orders` and `available`, which agree with the position's `qty_available`;
 * once the entry is canceled (its legs with it) the shares are free again.
 */
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { momentAt } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { ExchangeServer } from "@council/exchange/server"
import { D2, D3, SPY } from "./ExchangeFixture.ts"
import { adapterOf, clientOf, GEMINI } from "./ExchangeServerHarness.ts"
import { partialFillServer } from "./PartialFillExecutions.ts"

const bracket = { symbol: "SPY", qty: "10", side: "buy", type: "market", time_in_force: "gtc", order_class: "bracket", take_profit: { limit_price: "120" }, stop_loss: { stop_price: "80" } }
const sell = (qty: string) => ({ symbol: "SPY", qty, side: "sell", type: "market", time_in_force: "day" })

layer(partialFillServer())("a partly filled bracket entry's held legs, through the exchange server", (it) => {
  it.effect("hold the 4 shares bought: another exit refused 403 with what the position holds, qty_available 0; canceled, the 4 are available", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const client = yield* clientOf(GEMINI)
      yield* server.setSession(momentAt(D2, "16:15"))
      const placed = yield* client.post("/v2/orders", bracket)
      assert.strictEqual(placed.status, 200)
      const entryId = (placed.json as { readonly id: string }).id
      yield* server.setSession(momentAt(D3, "10:00"))
      const entry = (yield* client.get(`/v2/orders/${entryId}?nested=true`)).json as Record<string, unknown>
      assert.deepStrictEqual([entry["status"], entry["filled_qty"], ...(entry["legs"] as ReadonlyArray<Record<string, unknown>>).map((l) => l["status"])], ["partially_filled", "4", "held", "held"])

      const position = (yield* client.get("/v2/positions/SPY")).json as Record<string, unknown>
      assert.deepStrictEqual([position["qty"], position["qty_available"]], ["4", "0"])
      const refused = yield* client.post("/v2/orders", sell("4"))
      assert.strictEqual(refused.status, 403)
      assert.deepStrictEqual(refused.json, {
        available: "0",
        code: 40310000,
        existing_qty: "4",
        held_for_orders: "4",
        message: "insufficient qty available for order (requested: 4, available: 0)",
        symbol: "SPY"
      })
      // one share is refused the same way; the project's Alpaca adapter reads the refusal, and what the position holds
      const adapter = yield* adapterOf(GEMINI, server.url, "2026-08-05T10:00:00-04:00")
      const error = yield* Effect.flip(adapter.placeOrder({ account: GEMINI, symbol: SPY, side: "sell", qty: 1, type: "market", timeInForce: "day", orderClass: "simple", clientOrderId: "held-legs-one-share", reason: "test" }))
      assert.deepStrictEqual([error.reason, error.message.endsWith("insufficient qty available for order (requested: 1, available: 0)")], ["InsufficientQty", true])
      assert.deepStrictEqual(error.shares, { symbol: "SPY", existingQty: 4, heldForOrders: 4, available: 0 })
      // the in-process broker refuses it alike
      const local = LocalExchange.broker(yield* LocalExchange, GEMINI)
      const inProcess = yield* Effect.flip(local.placeOrder({ account: GEMINI, symbol: SPY, side: "sell", qty: 1, type: "market", timeInForce: "day", orderClass: "simple", clientOrderId: "held-legs-in-process", reason: "test" }))
      assert.deepStrictEqual([inProcess.reason, inProcess.message, inProcess.shares], ["InsufficientQty", "insufficient qty available for order (requested: 1, available: 0)", error.shares])
      assert.deepStrictEqual((yield* adapter.getPositions).map((p) => [p.symbol, p.qty]), [["SPY", 4]])

      // the entry canceled, its legs are canceled with it: the 4 shares are the position's to sell
      assert.strictEqual((yield* client.call("DELETE", `/v2/orders/${entryId}`)).status, 204)
      const freed = (yield* client.get("/v2/positions/SPY")).json as Record<string, unknown>
      assert.deepStrictEqual([freed["qty"], freed["qty_available"]], ["4", "4"])
      const tooMany = yield* client.post("/v2/orders", sell("5"))
      assert.deepStrictEqual([tooMany.status, tooMany.json], [403, {
        available: "4",
        code: 40310000,
        existing_qty: "4",
        held_for_orders: "0",
        message: "insufficient qty available for order (requested: 5, available: 4)",
        symbol: "SPY"
      }])
      assert.strictEqual((yield* client.post("/v2/orders", sell("4"))).status, 200)
    }))
})

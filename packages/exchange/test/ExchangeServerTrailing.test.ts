import { assert, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { OrdersApi, trading } from "@alpacahq/alpaca-trade-api"
import * as AlpacaWire from "@council/broker/AlpacaWire"
import { momentAt } from "@council/domain"
import { ExchangeServer } from "@council/exchange/server"
import { ACCOUNT, D2, D3, D4 } from "./ExchangeFixture.ts"
import { adapterOf, clientOf, GEMINI, keysOf, serverLayer } from "./ExchangeServerHarness.ts"

/**
 * Trailing stops through `exchange serve`: Alpaca's SDK places one by `trail_percent`, raw HTTP checks the refusals
 * and `PATCH` of `trail`. Fixture bars (`ExchangeFixture`): SPY D2 o101 h103 l100 c102, D3 o102 h108 l101 c107, D4
 * o107 h108 l95 c96; QQQ o40 h41 l39 c40 every day; slippage 5 bps (sells down, to the cent).
 */
const sdkOf = (account = ACCOUNT) =>
  Effect.gen(function*() {
    const server = yield* ExchangeServer
    const keys = yield* keysOf(account)
    return new OrdersApi(new trading.Configuration({ basePath: server.url, keyId: keys.keyId, secret: keys.secret, retry: { maxRetries: 0 } }))
  })

const promise = <A>(f: () => Promise<A>) => Effect.promise(f)
const decodeOrder = Schema.decodeUnknownEffect(AlpacaWire.WireOrder)

layer(serverLayer())("trailing stops through exchange serve", (it) => {
  it.effect("a 5 % trailing stop placed with the SDK trails D3's high only after D3's close, and sells on D4 at its stop", () =>
    Effect.gen(function*() {
      const orders = yield* sdkOf()
      const server = yield* ExchangeServer
      yield* promise(() => orders.market({ symbol: "SPY", qty: 10, side: "buy", clientOrderId: "trail-entry" }))
      // after D2's close: the latest price is D2's close, 102 — the mark; stop 102 × 0.95 = 96.9
      yield* server.setSession(momentAt(D2, "17:00"))
      const placed = yield* promise(() => orders.trailingStop({ symbol: "SPY", qty: 10, side: "sell", trailPercent: 5, timeInForce: "gtc", clientOrderId: "trail-1" }))
      assert.deepStrictEqual([placed.type, placed.status, placed.trailPercent, placed.hwm, placed.stopPrice], ["trailing_stop", "new", "5", "102", "96.9"])
      // no look-ahead: during D3 (its open 102 known, its high not yet) the mark is still 102
      yield* server.setSession(momentAt(D3, "15:45"))
      const during = yield* promise(() => orders.getOrderByClientOrderId({ clientOrderId: "trail-1" }))
      assert.deepStrictEqual([during.status, during.hwm, during.stopPrice], ["new", "102", "96.9"])
      // D3: open 102 > 96.9, the mark stays 102; the low 101 > 96.9: no sale; then the high 108 is the mark:
      // stop 108 × 0.95 = 102.6
      yield* server.setSession(momentAt(D3, "16:00"))
      const trailed = yield* promise(() => orders.getOrderByClientOrderId({ clientOrderId: "trail-1" }))
      assert.deepStrictEqual([trailed.status, trailed.hwm, trailed.stopPrice], ["new", "108", "102.6"])
      // D4: open 107 > 102.6 (mark stays 108); the low 95 reaches 102.6: sold at 102.6 less 5 bps = 102.5487 → 102.55
      yield* server.setSession(momentAt(D4, "16:00"))
      const sold = yield* promise(() => orders.getOrderByClientOrderId({ clientOrderId: "trail-1" }))
      assert.deepStrictEqual([sold.status, sold.filledQty, sold.filledAvgPrice], ["filled", "10", "102.55"])
      // the project's adapter reads it with its trail and mark
      const adapter = yield* adapterOf(ACCOUNT, server.url, "2026-08-06T16:00:00-04:00")
      const read = yield* adapter.getOrder(sold.id!)
      assert.deepStrictEqual([read.type, read.trailPercent, read.hwm, read.stopPrice, read.filledAvgPrice], ["trailing_stop", 5, 108, 102.6, 102.55])
    }))

  it.effect("refuses malformed trailing stops (raw HTTP) and replaces a trail with PATCH", () =>
    Effect.gen(function*() {
      const client = yield* clientOf(GEMINI)
      const server = yield* ExchangeServer
      yield* server.setSession(momentAt(D4, "15:45"))
      const buy = yield* client.post("/v2/orders", { symbol: "QQQ", qty: "5", side: "buy", type: "market", time_in_force: "day" })
      assert.strictEqual(buy.status, 200)
      yield* server.setSession(momentAt(D4, "17:00"))
      const trail = (extra: Record<string, unknown>) =>
        client.post("/v2/orders", { symbol: "QQQ", qty: "5", side: "sell", type: "trailing_stop", time_in_force: "gtc", ...extra })
      const refusals = [
        [{}, "trail_price or trail_percent is required for trailing_stop orders"],
        [{ trail_price: "1", trail_percent: "2" }, "only one of trail_price or trail_percent may be specified"],
        [{ trail_percent: "150" }, "trail_percent must be > 0 and < 100"],
        [{ trail_price: "1.001" }, "invalid trail_price 1.001. sub-penny increment does not fulfill minimum pricing criteria"],
        [{ trail_price: "1", order_class: "bracket", take_profit: { limit_price: "45" }, stop_loss: { stop_price: "35" } }, "trailing_stop orders must be simple orders on the local exchange"],
        // a price that does not apply to a trailing stop is refused, not silently ignored
        [{ trail_price: "1", stop_price: "38" }, "stop_price is not allowed for trailing_stop orders"],
        [{ trail_percent: "2", limit_price: "39" }, "limit_price is not allowed for trailing_stop orders"]
      ] as const
      for (const [extra, message] of refusals) {
        const refused = yield* trail(extra)
        assert.deepStrictEqual([refused.status, (refused.json as { message: string }).message], [422, message], JSON.stringify(extra))
      }
      const limitWithTrail = yield* client.post("/v2/orders", { symbol: "QQQ", qty: "1", side: "sell", type: "limit", limit_price: "45", trail_price: "1", time_in_force: "gtc" })
      assert.deepStrictEqual([limitWithTrail.status, (limitWithTrail.json as { message: string }).message], [422, "trail_price and trail_percent are only allowed for trailing_stop orders"])
      // mark: D4's close 40, $1 trail: stop 39
      const placed = yield* decodeOrder((yield* trail({ trail_price: "1" })).json)
      assert.deepStrictEqual([placed.trail_price, placed.trail_percent, placed.hwm, placed.stop_price], ["1", null, "40", "39"])
      const replaced = yield* client.call("PATCH", `/v2/orders/${placed.id}`, { body: JSON.stringify({ trail: "2" }) })
      assert.strictEqual(replaced.status, 200)
      const replacement = yield* decodeOrder(replaced.json)
      assert.deepStrictEqual(
        [replacement.type, replacement.trail_price, replacement.hwm, replacement.stop_price, replacement.replaces],
        ["trailing_stop", "2", "40", "38", placed.id]
      )
      const old = yield* decodeOrder((yield* client.get(`/v2/orders/${placed.id}`)).json)
      assert.deepStrictEqual([old.status, old.replaced_by], ["replaced", replacement.id])
      // `trail` on an order that does not trail
      const limit = yield* decodeOrder((yield* client.post("/v2/orders", { symbol: "QQQ", qty: "1", side: "buy", type: "limit", limit_price: "30", time_in_force: "gtc" })).json)
      const notTrailing = yield* client.call("PATCH", `/v2/orders/${limit.id}`, { body: JSON.stringify({ trail: "2" }) })
      assert.deepStrictEqual([notTrailing.status, (notTrailing.json as { message: string }).message], [422, "trail is not allowed for a limit order"])
    }))
})

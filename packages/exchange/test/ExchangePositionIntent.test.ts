import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { ApiError, OrdersApi, trading } from "@alpacahq/alpaca-trade-api"
import { momentAt, Ticker } from "@council/domain"
import { ExchangeServer } from "@council/exchange/server"
import { ACCOUNT, D2, D3 } from "./ExchangeFixture.ts"
import { adapterOf, clientOf, keysOf, serverLayer } from "./ExchangeServerHarness.ts"

// `exchange serve` checks Alpaca's `position_intent` as Alpaca does: the intent the position makes the order (a sell
// with a long position closes, without one opens a short) or 422 "position intent mismatch" (code 42210000); a
// close beyond the long is refused as insufficient qty (403). Driven with Alpaca's own SDK, raw HTTP and the
// project's adapter.

const sdk = Effect.gen(function*() {
  const server = yield* ExchangeServer
  const keys = yield* keysOf()
  const config = new trading.Configuration({ basePath: server.url, keyId: keys.keyId, secret: keys.secret, retry: { maxRetries: 0 } })
  return { orders: new OrdersApi(config), positions: new trading.PositionsApi(config) }
})

const refusal = <A>(f: () => Promise<A>) =>
  Effect.flatMap(Effect.flip(Effect.tryPromise({ try: f, catch: (error) => error })), (error) =>
    error instanceof ApiError ? Effect.succeed([error.status, error.code, error.message] as const) : Effect.die(error))

layer(serverLayer())("exchange serve checks position_intent", (it) => {
  it.effect("Alpaca's SDK: opens and closes with matching intents; a close with nothing to close, an open that closes, a close beyond the long are refused", () =>
    Effect.gen(function*() {
      const api = yield* sdk
      const server = yield* ExchangeServer
      const bought = yield* Effect.promise(() => api.orders.market({ symbol: "SPY", qty: 10, side: "buy", positionIntent: "buy_to_open", clientOrderId: "intent-buy" }))
      assert.strictEqual(bought.status, "new")
      yield* server.setSession(momentAt(D2, "16:00"))
      const held = yield* Effect.promise(() => api.positions.getAllOpenPositions())
      assert.deepStrictEqual(held.map((p) => [p.symbol, p.qty]), [["SPY", "10"]])

      assert.deepStrictEqual(
        yield* refusal(() => api.orders.market({ symbol: "SPY", qty: 10, side: "sell", positionIntent: "sell_to_open" })),
        [422, 42210000, "position intent mismatch, inferred: sell_to_close, specified: sell_to_open"]
      )
      assert.deepStrictEqual(
        yield* refusal(() => api.orders.market({ symbol: "SPY", qty: 15, side: "sell", positionIntent: "sell_to_close" })),
        [403, 40310000, "insufficient qty available for order (requested: 15, available: 10)"]
      )
      assert.deepStrictEqual(
        yield* refusal(() => api.orders.market({ symbol: "QQQ", qty: 5, side: "buy", positionIntent: "buy_to_close" })),
        [422, 42210000, "position intent mismatch, inferred: buy_to_open, specified: buy_to_close"]
      )

      const sold = yield* Effect.promise(() => api.orders.market({ symbol: "SPY", qty: 10, side: "sell", positionIntent: "sell_to_close", clientOrderId: "intent-sell" }))
      assert.include(["new", "accepted"], sold.status)
      yield* server.setSession(momentAt(D3, "16:00"))
      assert.deepStrictEqual(yield* Effect.promise(() => api.positions.getAllOpenPositions()), [])

      // flat now: the same close again would open a short
      assert.deepStrictEqual(
        yield* refusal(() => api.orders.market({ symbol: "SPY", qty: 10, side: "sell", positionIntent: "sell_to_close" })),
        [422, 42210000, "position intent mismatch, inferred: sell_to_open, specified: sell_to_close"]
      )
      assert.deepStrictEqual(yield* Effect.promise(() => api.positions.getAllOpenPositions()), [])
      const all = yield* Effect.promise(() => api.orders.getAllOrders({ status: "all", direction: "asc" }))
      assert.deepStrictEqual(all.map((o) => [o.clientOrderId, o.positionIntent]), [["intent-buy", "buy_to_open"], ["intent-sell", "sell_to_close"]])
    }))

  it.effect("an unknown position_intent is refused as Alpaca does (422, 40010001)", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const reply = yield* client.post("/v2/orders", { symbol: "QQQ", qty: "1", side: "buy", type: "market", time_in_force: "day", position_intent: "buy_to_cover" })
      assert.deepStrictEqual([reply.status, reply.json], [422, { code: 40010001, message: "invalid position_intent specified" }])
    }))
})

layer(serverLayer())("the adapter over exchange serve", (it) => {
  it.effect("the project's adapter reads the refusal as PositionIntentMismatch (not retryable) and places what matches", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const broker = yield* adapterOf(ACCOUNT, server.url, "2026-08-04T15:00:00-04:00")
      const intent = {
        account: ACCOUNT,
        symbol: Ticker.make("QQQ"),
        side: "sell",
        qty: 3,
        type: "market",
        timeInForce: "day",
        orderClass: "simple",
        positionIntent: "sell_to_close",
        clientOrderId: "adapter-close",
        reason: "test"
      } as const
      const refused = yield* Effect.flip(broker.placeOrder(intent))
      assert.deepStrictEqual([refused.reason, refused.retryable], ["PositionIntentMismatch", false])
      assert.include(refused.message, "position intent mismatch, inferred: sell_to_open, specified: sell_to_close")
      const opened = yield* broker.placeOrder({ ...intent, side: "buy", positionIntent: "buy_to_open", clientOrderId: "adapter-open" })
      assert.deepStrictEqual([opened.side, opened.qty, opened.status], ["buy", 3, "new"])
    }))
})

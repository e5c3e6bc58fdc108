import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { ApiError, OrdersApi, trading, ValidationError } from "@alpacahq/alpaca-trade-api"
import { AlpacaWire } from "@council/broker/Alpaca"
import { momentAt } from "@council/domain"
import { MarketData } from "@council/market"
import { Database } from "@council/store"
import { ExchangeServer } from "@council/exchange/server"
import { ACCOUNT, bars, D2, D3, tempDatabase } from "./ExchangeFixture.ts"
import { clientOf, keysOf, serverLayer } from "./ExchangeServerHarness.ts"

/** Alpaca's official TypeScript SDK (not part of this project), pointed at the server. */
const sdk = Effect.gen(function*() {
  const server = yield* ExchangeServer
  const keys = yield* keysOf()
  const config = new trading.Configuration({ basePath: server.url, keyId: keys.keyId, secret: keys.secret, retry: { maxRetries: 0 } })
  return new OrdersApi(config)
})

const promise = <A>(f: () => Promise<A>) => Effect.promise(f)
const failure = <A>(f: () => Promise<A>) =>
  Effect.flatMap(Effect.flip(Effect.tryPromise({ try: f, catch: (error) => error })), (error) =>
    error instanceof ApiError ? Effect.succeed(error) : Effect.die(error))

const wireOrder = (body: unknown) => Schema.decodeUnknownSync(AlpacaWire.WireOrder)(body)
const wireOrders = (body: unknown) => Schema.decodeUnknownSync(Schema.Array(AlpacaWire.WireOrder))(body)
const limitBuy = (qty: number, limitPrice: number, clientOrderId: string) =>
  ({ symbol: "QQQ", qty: String(qty), side: "buy", type: "limit", time_in_force: "gtc", limit_price: String(limitPrice), client_order_id: clientOrderId })

layer(serverLayer())("PATCH /v2/orders/{order_id} with @alpacahq/alpaca-trade-api 4.0.2", (it) => {
  it.effect("replaces a resting limit order: a new order that replaces the old, which is replaced by it; once only; it fills after it was sent", () =>
    Effect.gen(function*() {
      const orders = yield* sdk
      const server = yield* ExchangeServer
      const old = yield* promise(() => orders.limit({ symbol: "QQQ", qty: 5, side: "buy", limitPrice: 38.5, timeInForce: "gtc", clientOrderId: "sdk-r-1" }))
      const patch = { orderId: old.id!, patchOrderRequest: { qty: "8", limitPrice: "40.5", clientOrderId: "sdk-r-2" } }
      const placed = yield* promise(() => orders.patchOrderByOrderId(patch))
      assert.notStrictEqual(placed.id, old.id)
      assert.deepStrictEqual(
        [placed.replaces, placed.clientOrderId, placed.qty, placed.limitPrice, placed.type, placed.side, placed.symbol, placed.status],
        [old.id, "sdk-r-2", "8", "40.5", "limit", "buy", "QQQ", "new"]
      )
      assert.strictEqual(placed.timeInForce, "gtc")
      const replaced = yield* promise(() => orders.getOrderByOrderID({ orderId: old.id! }))
      assert.deepStrictEqual([replaced.status, replaced.replacedBy, replaced.canceledAt ?? null], ["replaced", placed.id, null])
      assert.instanceOf(replaced.replacedAt, Date)
      const open = yield* promise(() => orders.getAllOrders({ status: "open" }))
      assert.deepStrictEqual(open.map((o) => [o.clientOrderId, o.replaces]), [["sdk-r-2", old.id]])

      // a replayed replace (same new client order id) places nothing: the old order is no longer open
      const replayed = yield* failure(() => orders.patchOrderByOrderId(patch))
      assert.instanceOf(replayed, ValidationError)
      assert.deepStrictEqual([replayed.status, replayed.message], [422, "order is not replaceable (status replaced)"])
      const all = yield* promise(() => orders.getAllOrders({ status: "all", direction: "asc" }))
      assert.deepStrictEqual(all.map((o) => [o.clientOrderId, o.status]), [["sdk-r-1", "replaced"], ["sdk-r-2", "new"]])

      // like any limit order sent during a session, the replacement works from the next session on
      yield* server.setSession(momentAt(D2, "16:00"))
      assert.strictEqual((yield* promise(() => orders.getOrderByClientOrderId({ clientOrderId: "sdk-r-2" }))).status, "new")
      yield* server.setSession(momentAt(D3, "16:00"))
      const filled = yield* promise(() => orders.getOrderByClientOrderId({ clientOrderId: "sdk-r-2" }))
      assert.deepStrictEqual([filled.status, filled.filledQty, filled.replaces], ["filled", "8", old.id])
      assert.isTrue(filled.filledAt!.getTime() >= placed.submittedAt!.getTime())
      const stillReplaced = yield* promise(() => orders.getOrderByOrderID({ orderId: old.id! }))
      assert.deepStrictEqual([stillReplaced.status, stillReplaced.filledQty], ["replaced", "0"])
    }))
})

layer(serverLayer())("PATCH /v2/orders/{order_id} refusals", (it) => {
  it.effect("answers Alpaca's one-line errors and leaves the order as it was", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const patch = (id: string, body: string) => client.call("PATCH", `/v2/orders/${id}`, { body })
      const placed = yield* client.post("/v2/orders", limitBuy(5, 38.5, "raw-r-1"))
      assert.strictEqual(placed.status, 200, placed.text)
      const id = wireOrder(placed.json).id

      assert.deepStrictEqual((yield* patch("not-a-uuid", "{}")).json, { code: 40010001, message: "order_id is missing" })
      const unknown = yield* patch("00000000-0000-4000-8000-000000000000", `{"qty":"1"}`)
      assert.deepStrictEqual([unknown.status, unknown.json], [404, { code: 40410000, message: "order not found" }])
      assert.strictEqual((yield* patch(id, "{")).status, 400)
      const badQty = yield* patch(id, `{"qty":"-1"}`)
      assert.deepStrictEqual([badQty.status, badQty.text.includes("\n")], [422, false])
      assert.match((badQty.json as { message: string }).message, /qty/)
      const stopOnLimit = yield* patch(id, `{"stop_price":"30"}`)
      assert.deepStrictEqual([stopOnLimit.status, stopOnLimit.json], [422, { code: 40010001, message: "stop_price is not allowed for a limit order" }])
      assert.strictEqual((yield* patch(id, `{"trail":"1"}`)).status, 422)
      // more than the account can buy: 403, and the old order still works; nothing was placed under the new id
      const tooBig = yield* patch(id, `{"qty":"100000","client_order_id":"raw-r-big"}`)
      assert.strictEqual(tooBig.status, 403, tooBig.text)
      assert.strictEqual((yield* client.get("/v2/orders:by_client_order_id?client_order_id=raw-r-big")).status, 404)
      // a client order id already taken: 422, and the old order still works
      yield* client.post("/v2/orders", limitBuy(1, 30, "raw-other"))
      const taken = yield* patch(id, `{"qty":"6","client_order_id":"raw-other"}`)
      assert.deepStrictEqual([taken.status, taken.json], [422, { code: 40010001, message: "client_order_id must be unique" }])
      const after = wireOrder((yield* client.get(`/v2/orders/${id}`)).json)
      assert.deepStrictEqual([after.status, after.qty, after.replaced_by, after.replaced_at], ["new", "5", null, null])
      const open = wireOrders((yield* client.get("/v2/orders?status=open&direction=asc")).json)
      assert.deepStrictEqual(open.map((o) => o.client_order_id), ["raw-r-1", "raw-other"])

      // a bracket order is not replaced here
      const bracket = yield* client.post("/v2/orders", {
        ...limitBuy(2, 39, "raw-bracket"),
        order_class: "bracket",
        take_profit: { limit_price: "45" },
        stop_loss: { stop_price: "35" }
      })
      assert.strictEqual(bracket.status, 200, bracket.text)
      const bracketPatch = yield* patch(wireOrder(bracket.json).id, `{"qty":"3"}`)
      assert.deepStrictEqual([bracketPatch.status, bracketPatch.json], [422, { code: 40010001, message: "only simple orders can be replaced on the local exchange" }])
    }))
})

describe("a replacement across a restart of exchange serve", () => {
  const serverOver = (file: string) =>
    ExchangeServer.layer({ port: 0, accounts: [ACCOUNT], date: D2, rateLimit: 10_000 }).pipe(
      Layer.provide(Database.layerSqlite(file)),
      Layer.provide(MarketData.layerTest(bars)),
      Layer.fresh
    )

  it.effect("keeps both orders' links, and a replay after the restart places nothing", () =>
    Effect.gen(function*() {
      const file = tempDatabase()
      const ids = yield* Effect.gen(function*() {
        const client = yield* clientOf()
        const old = wireOrder((yield* client.post("/v2/orders", limitBuy(5, 38.5, "restart-r-1"))).json)
        const replaced = yield* client.call("PATCH", `/v2/orders/${old.id}`, { body: `{"limit_price":"39","client_order_id":"restart-r-2"}` })
        assert.strictEqual(replaced.status, 200, replaced.text)
        return { old: old.id, placed: wireOrder(replaced.json).id }
      }).pipe(Effect.provide(serverOver(file)))
      yield* Effect.gen(function*() {
        const client = yield* clientOf()
        const server = yield* ExchangeServer
        const old = wireOrder((yield* client.get(`/v2/orders/${ids.old}`)).json)
        assert.deepStrictEqual([old.status, old.replaced_by], ["replaced", ids.placed])
        const placed = wireOrder((yield* client.get("/v2/orders:by_client_order_id?client_order_id=restart-r-2")).json)
        assert.deepStrictEqual([placed.id, placed.replaces, placed.limit_price], [ids.placed, ids.old, "39"])
        const replay = yield* client.call("PATCH", `/v2/orders/${ids.old}`, { body: `{"limit_price":"39","client_order_id":"restart-r-2"}` })
        assert.strictEqual(replay.status, 422)
        // the replacement works on after the restart (QQQ trades down to 39 on D3); the replaced order never fills
        yield* server.setSession(momentAt(D3, "16:00"))
        const all = wireOrders((yield* client.get("/v2/orders?status=all&direction=asc")).json)
        assert.deepStrictEqual(all.map((o) => [o.client_order_id, o.status, o.filled_qty]), [
          ["restart-r-1", "replaced", "0"],
          ["restart-r-2", "filled", "5"]
        ])
      }).pipe(Effect.provide(serverOver(file)))
    }))
})

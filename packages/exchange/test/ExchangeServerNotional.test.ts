import { assert, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { ApiError, OrdersApi, trading } from "@alpacahq/alpaca-trade-api"
import * as AlpacaWire from "@council/broker/AlpacaWire"
import { momentAt } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { ExchangeServer } from "@council/exchange/server"
import { ACCOUNT, D2, D3, D4 } from "./ExchangeFixture.ts"
import { adapterOf, clientOf, GEMINI, keysOf, serverLayer } from "./ExchangeServerHarness.ts"

/**
 * Notional orders ("$1,000 of SPY") through `exchange serve`: Alpaca's official SDK places them, raw HTTP checks the
 * refusals, the project's Alpaca adapter reads them back. Fixture bars (`ExchangeFixture`): SPY D2 o101 c102, D3
 * o102 c107, D4 o107; the fill model's slippage is 5 bps (buys up, sells down, to the cent).
 */
const sdkOf = (account = ACCOUNT) =>
  Effect.gen(function*() {
    const server = yield* ExchangeServer
    const keys = yield* keysOf(account)
    const config = new trading.Configuration({ basePath: server.url, keyId: keys.keyId, secret: keys.secret, retry: { maxRetries: 0 } })
    return { orders: new OrdersApi(config), positions: new trading.PositionsApi(config) }
  })

const promise = <A>(f: () => Promise<A>) => Effect.promise(f)

const apiFailure = <A>(f: () => Promise<A>) =>
  Effect.flatMap(Effect.flip(Effect.tryPromise({ try: f, catch: (error) => error })), (error) =>
    error instanceof ApiError ? Effect.succeed(error) : Effect.die(error))

const decodeOrder = Schema.decodeUnknownEffect(AlpacaWire.WireOrder)

/** CLAUDE holding 10 SPY (bought after D2's close, filled at D3's open), with a client that sends SPY market orders. */
const holdingTenSpy = Effect.gen(function*() {
  const client = yield* clientOf()
  const server = yield* ExchangeServer
  const order = (body: Record<string, string>) => client.post("/v2/orders", { symbol: "SPY", type: "market", time_in_force: "day", ...body })
  yield* server.setSession(momentAt(D2, "17:00"))
  assert.strictEqual((yield* order({ qty: "10", side: "buy" })).status, 200)
  return { client, server, order }
})

layer(serverLayer())("notional orders through exchange serve", (it) => {
  it.effect("buys $1,000 of SPY with the SDK: qty null until and after the fill, the shares set at the close after it was sent", () =>
    Effect.gen(function*() {
      const api = yield* sdkOf()
      const server = yield* ExchangeServer
      // the server's present: D2 15:45, during the session
      const placed = yield* promise(() => api.orders.market({ symbol: "SPY", notional: 1000, side: "buy", clientOrderId: "notional-1" }))
      // the SDK reads the wire's `"qty":null` as absent (the raw answers are checked below)
      assert.deepStrictEqual([placed.status, placed.notional, placed.qty, placed.filledQty], ["new", "1000", undefined, "0"])
      assert.strictEqual(placed.positionIntent, "buy_to_open")
      // no look-ahead: nothing fills at D2's open (101, before the order) nor before D2's close
      const before = yield* promise(() => api.orders.getOrderByClientOrderId({ clientOrderId: "notional-1" }))
      assert.deepStrictEqual([before.status, before.filledQty, before.filledAvgPrice], ["new", "0", undefined])
      yield* server.setSession(momentAt(D2, "16:00"))
      const filled = yield* promise(() => api.orders.getOrderByClientOrderId({ clientOrderId: "notional-1" }))
      // D2's close 102 + 5 bps = 102.051 → 102.05; 1000 / 102.05 = 9.7991180793… → 9.799118079 (rounded down)
      assert.deepStrictEqual(
        [filled.status, filled.notional, filled.qty, filled.filledQty, filled.filledAvgPrice],
        ["filled", "1000", undefined, "9.799118079", "102.05"]
      )
      const position = yield* promise(() => api.positions.getOpenPosition({ symbolOrAssetId: "SPY" }))
      assert.deepStrictEqual([position.qty, position.avgEntryPrice], ["9.799118079", "102.05"])
    }))

  it.effect("sells by notional from a long position at the close after it was sent; refuses one without a long", () =>
    Effect.gen(function*() {
      const api = yield* sdkOf()
      const server = yield* ExchangeServer
      yield* server.setSession(momentAt(D3, "15:45"))
      const sold = yield* promise(() => api.orders.market({ symbol: "SPY", notional: 500, side: "sell", clientOrderId: "notional-sell-1" }))
      assert.deepStrictEqual([sold.status, sold.notional, sold.qty, sold.positionIntent], ["new", "500", undefined, "sell_to_close"])
      yield* server.setSession(momentAt(D3, "16:00"))
      const filled = yield* promise(() => api.orders.getOrderByClientOrderId({ clientOrderId: "notional-sell-1" }))
      // D3's close 107 − 5 bps = 106.9465 → 106.95; 500 / 106.95 = 4.6750818139… → 4.675081813
      assert.deepStrictEqual([filled.status, filled.filledQty, filled.filledAvgPrice], ["filled", "4.675081813", "106.95"])
      const position = yield* promise(() => api.positions.getOpenPosition({ symbolOrAssetId: "SPY" }))
      // 9.799118079 − 4.675081813
      assert.strictEqual(position.qty, "5.124036266")
      // no long QQQ: a notional sell would be a fractional short sale
      const client = yield* clientOf()
      const short = yield* client.post("/v2/orders", { symbol: "QQQ", notional: "100", side: "sell", type: "market", time_in_force: "day" })
      assert.deepStrictEqual([short.status, short.json], [422, { code: 40010001, message: "fractional orders cannot be sold short" }])
    }))

  it.effect("queues a notional order sent after the close for the next open; its dollars count against buying power", () =>
    Effect.gen(function*() {
      const client = yield* clientOf(GEMINI)
      const server = yield* ExchangeServer
      yield* server.setSession(momentAt(D3, "17:00"))
      const order = (notional: string, id: string) =>
        client.post("/v2/orders", { symbol: "SPY", notional, side: "buy", type: "market", time_in_force: "day", client_order_id: id })
      const queued = yield* order("60000", "gemini-n-1")
      assert.strictEqual(queued.status, 200)
      const wire = yield* decodeOrder(queued.json)
      assert.deepStrictEqual([wire.status, wire.notional, wire.qty], ["accepted", "60000", null])
      // 100,000 cash, 60,000 waiting: 50,000 more does not fit, 39,000 does
      const tooMuch = yield* order("50000", "gemini-n-2")
      assert.deepStrictEqual([tooMuch.status, tooMuch.json], [403, { code: 40310000, message: "insufficient buying power" }])
      const account = yield* client.get("/v2/account")
      assert.strictEqual((account.json as { buying_power: string }).buying_power, "40000")
      const belowOne = yield* order("0.5", "gemini-n-3")
      assert.deepStrictEqual([belowOne.status, belowOne.json], [422, { code: 40010001, message: "cost basis must be >= 1" }])
      yield* server.setSession(momentAt(D4, "09:45"))
      const filled = yield* decodeOrder((yield* client.get("/v2/orders:by_client_order_id?client_order_id=gemini-n-1")).json)
      // D4's open 107 + 5 bps = 107.0535 → 107.05; 60000 / 107.05 = 560.4857543204… → 560.48575432
      assert.deepStrictEqual([filled.status, filled.filled_qty, filled.filled_avg_price, filled.qty], ["filled", "560.48575432", "107.05", null])
    }))

  it.effect("the project's Alpaca adapter reads a notional order and its fill as the in-process broker does", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      // the server's present (D4 09:45), as the in-process broker's
      const remote = yield* adapterOf(ACCOUNT, server.url, "2026-08-06T09:45:00-04:00")
      const local = LocalExchange.broker(yield* LocalExchange, ACCOUNT)
      const orders = yield* remote.listOrders({ status: "all" })
      const bought = orders.find((o) => o.clientOrderId === "notional-1")
      assert.deepStrictEqual([bought?.notional, bought?.qty, bought?.filledQty, bought?.filledAvgPrice], [1000, 9.799118079, 9.799118079, 102.05])
      assert.deepStrictEqual(orders, yield* local.listOrders({ status: "all" }))
      const fills = yield* remote.listFills({})
      assert.deepStrictEqual(fills.filter((f) => f.orderId === bought?.id).map((f) => [f.side, f.qty, f.price]), [["buy", 9.799118079, 102.05]])
    }))

  it.effect("refuses replacing a notional order, and an order with both qty and notional (raw HTTP)", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const server = yield* ExchangeServer
      yield* server.setSession(momentAt(D4, "15:45"))
      const placed = yield* decodeOrder((yield* client.post("/v2/orders", {
        symbol: "SPY", notional: "100", side: "buy", type: "market", time_in_force: "day"
      })).json)
      const replaced = yield* client.call("PATCH", `/v2/orders/${placed.id}`, { body: JSON.stringify({ qty: "1" }) })
      assert.deepStrictEqual([replaced.status, replaced.json], [422, { code: 40010001, message: "notional orders cannot be replaced on the local exchange" }])
      const both = yield* client.post("/v2/orders", { symbol: "SPY", qty: "1", notional: "100", side: "buy", type: "market", time_in_force: "day" })
      assert.deepStrictEqual([both.status, both.json], [422, { code: 40010001, message: "only one of qty or notional may be specified" }])
      const api = yield* sdkOf()
      const gtc = yield* apiFailure(() =>
        api.orders.postOrder({ postOrderRequest: { symbol: "SPY", notional: "100", side: "buy", type: "market", timeInForce: "gtc" } })
      )
      assert.deepStrictEqual([gtc.status, gtc.message], [422, "notional orders must be DAY orders"])
    }))
})

layer(serverLayer({ faultRate: 1, faultKinds: ["dropped"] }))("a notional order whose response was dropped", (it) => {
  it.effect("is one order when retried with its client order id", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const body = { symbol: "SPY", notional: "250", side: "buy", type: "market", time_in_force: "day", client_order_id: "notional-dropped" }
      const first = yield* Effect.flip(client.post("/v2/orders", body))
      assert.strictEqual(first._tag, "ConnectionDropped")
      // the retry is refused (or dropped in turn): the client order id is taken by the first attempt
      yield* Effect.ignore(client.post("/v2/orders", body))
      const found = yield* decodeOrder((yield* client.get("/v2/orders:by_client_order_id?client_order_id=notional-dropped")).json)
      assert.deepStrictEqual([found.notional, found.qty, found.status], ["250", null, "new"])
      const all = yield* client.get("/v2/orders?status=all")
      assert.strictEqual((all.json as ReadonlyArray<unknown>).length, 1)
    }))
})

layer(serverLayer())("a notional sell waiting beside other sells of the position", (it) => {
  it.effect("holds the shares its dollars sell, and at its fill never sells those another sell holds: the long never turns short", () =>
    Effect.gen(function*() {
      const { client, order, server } = yield* holdingTenSpy
      // D4 during the session: SPY's latest price is D4's open, 107 (− 5 bps: 106.95); 500 / 106.95 → 4.675081813 held
      yield* server.setSession(momentAt(D4, "15:45"))
      assert.strictEqual((yield* order({ notional: "500", side: "sell", client_order_id: "held-n" })).status, 200)
      const position = (yield* client.get("/v2/positions/SPY")).json as { readonly qty: string; readonly qty_available: string }
      assert.deepStrictEqual([position.qty, position.qty_available], ["10", "5.324918187"])
      const all = yield* order({ qty: "10", side: "sell" })
      assert.strictEqual(all.status, 403)
      assert.include((all.json as { readonly message: string }).message, "insufficient qty available")
      assert.strictEqual((yield* order({ qty: "5", side: "sell", client_order_id: "held-q" })).status, 200)
      // D4's close 96 (− 5 bps: 95.95): $500 would be 5.211047420 shares, but only 5 are not held by the other sell
      yield* server.setSession(momentAt(D4, "16:00"))
      const notional = yield* decodeOrder((yield* client.get("/v2/orders:by_client_order_id?client_order_id=held-n")).json)
      const shares = yield* decodeOrder((yield* client.get("/v2/orders:by_client_order_id?client_order_id=held-q")).json)
      assert.deepStrictEqual([notional.status, notional.filled_qty, notional.filled_avg_price], ["filled", "5", "95.95"])
      assert.deepStrictEqual([shares.status, shares.filled_qty], ["filled", "5"])
      assert.deepStrictEqual((yield* client.get("/v2/positions")).json, [])
    }))
})

layer(serverLayer())("a notional sell beyond the position", (it) => {
  it.effect("is refused in shares and in dollars, the unit it was sent in", () =>
    Effect.gen(function*() {
      const { order, server } = yield* holdingTenSpy
      // D4 during the session: SPY's latest price is D4's open, 107 (− 5 bps: 106.95); $1,500 / 106.95 → 14.025245441
      // shares, of which 10 are held: $1,069.50
      yield* server.setSession(momentAt(D4, "15:45"))
      const refused = yield* order({ notional: "1500", side: "sell" })
      assert.deepStrictEqual(
        [refused.status, (refused.json as { readonly message: string }).message],
        [403, "insufficient qty available for order (requested: 14.025245441, available: 10): $1,500.00 requested, $1,069.50 available at $106.95 a share"]
      )
    }))
})

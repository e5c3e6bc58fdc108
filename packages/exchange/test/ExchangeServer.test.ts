import { assert, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { momentAt } from "@council/domain"
import { AlpacaBarsWire, AlpacaWire } from "@council/broker/Alpaca"
import { LocalExchange } from "@council/exchange"
import { ExchangeServer } from "@council/exchange/server"
import { ACCOUNT, D2, D3, D6 } from "./ExchangeFixture.ts"
import { clientOf, GEMINI, send, serverLayer } from "./ExchangeServerHarness.ts"

const { WireAccount, WireAsset, WireCalendarDay, WireCancelResult, WireClock, WireClosePositionResult, WireOrder, WirePosition } = AlpacaWire
const { WireBarsResponse, WireSymbolBarsResponse } = AlpacaBarsWire
const decode = Schema.decodeUnknownEffect
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const marketBuy = (symbol: string, qty: number | string | null, extra: Record<string, unknown> = {}) => ({
  symbol,
  qty,
  side: "buy",
  type: "market",
  time_in_force: "day",
  ...extra
})

layer(serverLayer())("ExchangeServer trading API", (it) => {
  it.effect("answers GET /v2/account with Alpaca's account shape and the rate-limit headers", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const r = yield* client.get("/v2/account")
      assert.strictEqual(r.status, 200)
      const account = yield* decode(WireAccount)(r.json)
      assert.match(account.id ?? "", UUID)
      assert.strictEqual(account.status, "ACTIVE")
      assert.strictEqual(account.cash, "100000")
      assert.strictEqual(account.buying_power, "100000")
      assert.strictEqual(account.balance_asof, D2)
      assert.isFalse("pattern_day_trader" in (r.json as object))
      assert.strictEqual(r.headers["content-type"], "application/json; charset=utf-8")
      assert.strictEqual(r.headers["x-ratelimit-limit"], "10000")
      assert.match(String(r.headers["x-ratelimit-remaining"]), /^\d+$/)
      assert.match(String(r.headers["x-ratelimit-reset"]), /^\d+$/)
    }))

  it.effect("refuses requests without both key headers (403) and with a pair that is not an account's (401)", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const { keys } = yield* clientOf()
      const none = yield* send(server.url, "GET", "/v2/account")
      assert.strictEqual(none.status, 403)
      assert.deepStrictEqual(none.json, { message: "forbidden." })
      assert.isDefined(none.headers["x-ratelimit-remaining"])
      const keyOnly = yield* send(server.url, "GET", "/v2/account", { headers: { "APCA-API-KEY-ID": keys.keyId } })
      assert.strictEqual(keyOnly.status, 403)
      const wrongSecret = yield* send(server.url, "GET", "/v2/account", { keys: { ...keys, secret: `${keys.secret.slice(1)}x` } })
      assert.strictEqual(wrongSecret.status, 401)
      assert.deepStrictEqual(wrongSecret.json, { code: 40110000, message: "request is not authorized" })
      const unknownKey = yield* send(server.url, "GET", "/v2/account", { keys: { keyId: "PKNOTAKEY", secret: keys.secret } })
      assert.strictEqual(unknownKey.status, 401)
      const gemini = yield* clientOf(GEMINI)
      const other = yield* send(server.url, "GET", "/v2/account", { keys: { keyId: gemini.keys.keyId, secret: keys.secret } })
      assert.strictEqual(other.status, 401)
    }))

  it.effect("places a market order sent without Content-Type, with numbers and empty or null optional fields; it fills at the close", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const server = yield* ExchangeServer
      const r = yield* client.call("POST", "/v2/orders", {
        body: JSON.stringify(marketBuy("SPY", 10, {
          client_order_id: "",
          order_class: "",
          limit_price: null,
          stop_price: "",
          take_profit: null,
          stop_loss: null,
          extended_hours: false,
          notional: null
        }))
      })
      assert.strictEqual(r.status, 200, r.text)
      const order = yield* decode(WireOrder)(r.json)
      assert.match(order.id, UUID)
      assert.match(order.client_order_id, UUID)
      assert.deepStrictEqual([order.status, order.qty, order.filled_qty, order.filled_avg_price], ["new", "10", "0", null])
      assert.strictEqual(order.symbol, "SPY")
      assert.strictEqual(order.legs, null)
      // Alpaca answers "" for a simple equity order, whichever of "" or "simple" was sent
      assert.strictEqual(order.order_class, "")
      const withType = yield* client.call("POST", "/v2/orders", {
        body: JSON.stringify(marketBuy("QQQ", "5", { client_order_id: "qqq-1", order_class: "simple" })),
        headers: { "Content-Type": "application/json" }
      })
      assert.strictEqual(withType.status, 200, withType.text)
      const typed = yield* decode(WireOrder)(withType.json)
      assert.deepStrictEqual([typed.client_order_id, typed.order_class], ["qqq-1", ""])
      yield* server.setSession(momentAt(D2, "16:00"))
      const filled = yield* decode(WireOrder)((yield* client.get(`/v2/orders/${order.id}`)).json)
      assert.deepStrictEqual([filled.status, filled.filled_qty, filled.filled_avg_price, filled.filled_at], ["filled", "10", "102.05", "2026-08-04T20:00:00.000Z"])
    }))

  it.effect("reports positions, and 404 for a symbol without one", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const all = yield* client.get("/v2/positions")
      assert.strictEqual(all.status, 200)
      const positions = yield* decode(Schema.Array(WirePosition))(all.json)
      assert.deepStrictEqual(positions.map((p) => [p.symbol, p.qty, p.side]), [["QQQ", "5", "long"], ["SPY", "10", "long"]])
      const spy = yield* client.get("/v2/positions/SPY")
      assert.strictEqual(spy.status, 200)
      const position = yield* decode(WirePosition)(spy.json)
      assert.strictEqual(position.avg_entry_price, "102.05")
      assert.strictEqual(position.current_price, "102")
      assert.strictEqual(position.market_value, "1020")
      const byAssetId = yield* client.get(`/v2/positions/${position.asset_id}`)
      assert.strictEqual(byAssetId.status, 200)
      const none = yield* client.get("/v2/positions/GLD")
      assert.strictEqual(none.status, 404)
      assert.deepStrictEqual(none.json, { code: 40410000, message: "position does not exist" })
      const gemini = yield* clientOf(GEMINI)
      assert.deepStrictEqual((yield* gemini.get("/v2/positions")).json, [])
    }))

  it.effect("answers malformed bodies with 400, invalid orders with 422, refused ones with 403", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const malformed = yield* client.call("POST", "/v2/orders", { body: "{\"symbol\": " })
      assert.strictEqual(malformed.status, 400)
      assert.deepStrictEqual(malformed.json, { code: 40010000, message: "request body format is invalid" })
      const array = yield* client.call("POST", "/v2/orders", { body: "[]" })
      assert.strictEqual(array.status, 400)
      const noQty = yield* client.post("/v2/orders", { symbol: "SPY", side: "buy", type: "market", time_in_force: "day" })
      assert.strictEqual(noQty.status, 422)
      assert.deepStrictEqual(noQty.json, { code: 40010001, message: "qty is required" })
      // validation messages are one plain line naming the field, as Alpaca's
      const badQty = yield* client.post("/v2/orders", marketBuy("SPY", "ten"))
      assert.strictEqual(badQty.status, 422)
      assert.deepStrictEqual(badQty.json, { code: 40010001, message: "invalid qty: expected a decimal string" })
      const zeroQty = yield* client.post("/v2/orders", marketBuy("SPY", "0"))
      assert.deepStrictEqual([zeroQty.status, zeroQty.json], [422, { code: 40010001, message: "invalid qty: expected a value greater than 0" }])
      const badLeg = yield* client.post("/v2/orders", marketBuy("SPY", 1, { order_class: "bracket", take_profit: { limit_price: "x" } }))
      assert.strictEqual(badLeg.status, 422)
      assert.deepStrictEqual(badLeg.json, { code: 40010001, message: "invalid take_profit.limit_price: expected a decimal string" })
      const badSide = yield* client.post("/v2/orders", { ...marketBuy("SPY", 1), side: "long" })
      assert.strictEqual(badSide.status, 422)
      assert.match((yield* decode(AlpacaWire.WireError)(badSide.json)).message ?? "", /^invalid side: [^\n]+$/)
      // a notional order names dollars instead of shares, never both; it is a market day order
      const both = yield* client.post("/v2/orders", { ...marketBuy("SPY", 1), notional: "500" })
      assert.deepStrictEqual([both.status, both.json], [422, { code: 40010001, message: "only one of qty or notional may be specified" }])
      const notionalLimit = yield* client.post("/v2/orders", { ...marketBuy("SPY", null, { type: "limit", limit_price: "100" }), notional: "500" })
      assert.deepStrictEqual([notionalLimit.status, notionalLimit.json], [422, { code: 40010001, message: "notional orders must be market orders on the local exchange" }])
      const notionalGtc = yield* client.post("/v2/orders", { ...marketBuy("SPY", null, { time_in_force: "gtc" }), notional: "500" })
      assert.deepStrictEqual([notionalGtc.status, notionalGtc.json], [422, { code: 40010001, message: "notional orders must be DAY orders" }])
      const noLimit = yield* client.post("/v2/orders", marketBuy("SPY", 1, { type: "limit" }))
      assert.strictEqual(noLimit.status, 422)
      assert.strictEqual((yield* decode(AlpacaWire.WireError)(noLimit.json)).code, 40010001)
      const subPenny = yield* client.post("/v2/orders", marketBuy("SPY", 1, { type: "limit", limit_price: "101.123" }))
      assert.strictEqual(subPenny.status, 422)
      assert.deepStrictEqual(subPenny.json, {
        code: 42210000,
        message: "invalid limit_price 101.123. sub-penny increment does not fulfill minimum pricing criteria"
      })
      const duplicate = yield* client.post("/v2/orders", marketBuy("QQQ", 1, { client_order_id: "qqq-1" }))
      assert.strictEqual(duplicate.status, 422)
      assert.deepStrictEqual(duplicate.json, { code: 40010001, message: "client_order_id must be unique" })
      const tooBig = yield* client.post("/v2/orders", marketBuy("SPY", 5000))
      assert.strictEqual(tooBig.status, 403)
      assert.deepStrictEqual(tooBig.json, { code: 40310000, message: "insufficient buying power" })
      const oversell = yield* client.post("/v2/orders", { ...marketBuy("SPY", 11), side: "sell" })
      assert.strictEqual(oversell.status, 403)
      assert.match((yield* decode(AlpacaWire.WireError)(oversell.json)).message ?? "", /^insufficient qty available/)
    }))

  it.effect("finds orders by id (422 for a non-UUID, 404 for an unknown one) and by client order id on the colon path", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const byClientId = yield* client.get("/v2/orders:by_client_order_id?client_order_id=qqq-1")
      assert.strictEqual(byClientId.status, 200)
      const order = yield* decode(WireOrder)(byClientId.json)
      assert.strictEqual(order.symbol, "QQQ")
      const encoded = yield* client.get("/v2/orders%3Aby_client_order_id?client_order_id=qqq-1")
      assert.strictEqual((yield* decode(WireOrder)(encoded.json)).id, order.id)
      const missing = yield* client.get("/v2/orders:by_client_order_id?client_order_id=nope")
      assert.strictEqual(missing.status, 404)
      assert.deepStrictEqual(missing.json, { code: 40410000, message: "order not found" })
      const noParam = yield* client.get("/v2/orders:by_client_order_id")
      assert.strictEqual(noParam.status, 422)
      const byId = yield* client.get(`/v2/orders/${order.id}`)
      assert.strictEqual(byId.status, 200)
      assert.strictEqual((yield* decode(WireOrder)(byId.json)).client_order_id, "qqq-1")
      const notUuid = yield* client.get("/v2/orders/not-a-uuid")
      assert.strictEqual(notUuid.status, 422)
      assert.deepStrictEqual(notUuid.json, { code: 40010001, message: "order_id is missing" })
      const unknown = yield* client.get("/v2/orders/7b08df51-c1ac-453c-99f9-323a5f075f0d")
      assert.strictEqual(unknown.status, 404)
      assert.deepStrictEqual(unknown.json, { code: 40410000, message: "order not found" })
      const gemini = yield* clientOf(GEMINI)
      assert.strictEqual((yield* gemini.get(`/v2/orders/${order.id}`)).status, 404)
    }))

  it.effect("lists orders by status, limit, direction, symbols, side and nesting", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const limit = yield* client.post("/v2/orders", marketBuy("SPY", 2, { type: "limit", limit_price: "95", time_in_force: "gtc", client_order_id: "spy-limit" }))
      assert.strictEqual(limit.status, 200, limit.text)
      assert.strictEqual((yield* decode(WireOrder)(limit.json)).status, "new")
      const bracket = yield* client.post("/v2/orders", marketBuy("QQQ", 3, {
        type: "limit",
        limit_price: "39",
        time_in_force: "gtc",
        order_class: "bracket",
        take_profit: { limit_price: "45" },
        stop_loss: { stop_price: 35, limit_price: "34.5" },
        client_order_id: "qqq-bracket"
      }))
      assert.strictEqual(bracket.status, 200, bracket.text)
      const placed = yield* decode(WireOrder)(bracket.json)
      assert.strictEqual(placed.order_class, "bracket")
      assert.deepStrictEqual(placed.legs?.map((l) => [l.type, l.status]), [["limit", "held"], ["stop_limit", "held"]])
      // Alpaca answers every order's position_intent, the inferred one when none was sent: the entry opens, its exits close
      assert.deepStrictEqual([placed.position_intent, ...(placed.legs ?? []).map((l) => l.position_intent)], ["buy_to_open", "sell_to_close", "sell_to_close"])

      const ids = (json: unknown) => Effect.map(decode(Schema.Array(WireOrder))(json), (orders) => orders.map((o) => o.client_order_id))
      const open = yield* client.get("/v2/orders")
      assert.strictEqual(open.status, 200)
      assert.strictEqual((yield* decode(Schema.Array(WireOrder))(open.json)).length, 4)
      const nested = yield* decode(Schema.Array(WireOrder))((yield* client.get("/v2/orders?nested=true")).json)
      assert.deepStrictEqual(nested.map((o) => [o.client_order_id, o.legs?.length ?? 0]), [["qqq-bracket", 2], ["spy-limit", 0]])
      assert.deepStrictEqual(
        yield* ids((yield* client.get("/v2/orders?status=open&nested=true&direction=asc")).json),
        ["spy-limit", "qqq-bracket"]
      )
      assert.deepStrictEqual(yield* ids((yield* client.get("/v2/orders?nested=true&symbols=SPY,GLD")).json), ["spy-limit"])
      // symbols match whatever their case (the ledger's are upper case): a lowercase filter is not an empty list
      assert.deepStrictEqual(yield* ids((yield* client.get("/v2/orders?symbols=spy")).json), ["spy-limit"])
      assert.deepStrictEqual(yield* ids((yield* client.get("/v2/orders?symbols=gld")).json), [])
      assert.strictEqual((yield* client.get("/v2/positions/spy")).status, (yield* client.get("/v2/positions/SPY")).status)
      // a boolean that is not one is refused, naming it, not read as false; Go's forms are read
      const maybe = yield* client.get("/v2/orders?nested=maybe")
      assert.deepStrictEqual([maybe.status, maybe.json], [422, { code: 40010001, message: "invalid nested maybe: expected true or false" }])
      assert.deepStrictEqual(yield* ids((yield* client.get("/v2/orders?nested=True")).json), nested.map((o) => o.client_order_id))
      const closed = yield* decode(Schema.Array(WireOrder))((yield* client.get("/v2/orders?status=closed")).json)
      assert.deepStrictEqual(closed.map((o) => o.status), ["filled", "filled"])
      assert.deepStrictEqual(
        (yield* decode(Schema.Array(WireOrder))((yield* client.get("/v2/orders?status=all&limit=1&direction=asc")).json)).map((o) => o.symbol),
        ["SPY"]
      )
      const sells = yield* decode(Schema.Array(WireOrder))((yield* client.get("/v2/orders?status=all&side=sell")).json)
      assert.deepStrictEqual(sells.map((o) => [o.type, o.position_intent]), [["stop_limit", "sell_to_close"], ["limit", "sell_to_close"]])
      const spyLimit = yield* decode(WireOrder)((yield* client.get("/v2/orders:by_client_order_id?client_order_id=spy-limit")).json)
      assert.strictEqual(spyLimit.position_intent, "buy_to_open")
      assert.deepStrictEqual(nested.map((o) => o.position_intent), ["buy_to_open", "buy_to_open"])
      for (const bad of ["limit=501", "limit=0", "status=done", "direction=up", "side=short", "until=yesterday"]) {
        const r = yield* client.get(`/v2/orders?${bad}`)
        assert.strictEqual(r.status, 422, bad)
        assert.strictEqual((yield* decode(AlpacaWire.WireError)(r.json)).code, 40010001)
      }
    }))

  it.effect("cancels one order (204, then 422 once it is not cancelable) and every open order (207)", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const order = yield* decode(WireOrder)((yield* client.get("/v2/orders:by_client_order_id?client_order_id=spy-limit")).json)
      const canceled = yield* client.del(`/v2/orders/${order.id}`)
      assert.strictEqual(canceled.status, 204)
      assert.strictEqual(canceled.text, "")
      assert.strictEqual((yield* decode(WireOrder)((yield* client.get(`/v2/orders/${order.id}`)).json)).status, "canceled")
      const again = yield* client.del(`/v2/orders/${order.id}`)
      assert.strictEqual(again.status, 422)
      assert.strictEqual((yield* decode(AlpacaWire.WireError)(again.json)).code, 40010001)
      assert.strictEqual((yield* client.del("/v2/orders/7b08df51-c1ac-453c-99f9-323a5f075f0d")).status, 404)
      assert.strictEqual((yield* client.del("/v2/orders/xyz")).status, 422)

      const bracket = yield* decode(WireOrder)((yield* client.get("/v2/orders:by_client_order_id?client_order_id=qqq-bracket")).json)
      const all = yield* client.del("/v2/orders")
      assert.strictEqual(all.status, 207)
      assert.deepStrictEqual(yield* decode(Schema.Array(WireCancelResult))(all.json), [{ id: bracket.id, status: 200 }])
      assert.deepStrictEqual((yield* client.get("/v2/orders")).json, [])
      const none = yield* client.del("/v2/orders")
      assert.strictEqual(none.status, 207)
      assert.deepStrictEqual(none.json, [])
    }))

  it.effect("closes part of a position by qty or percentage (an order queued for the next open), then every position (207)", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const server = yield* ExchangeServer
      const byQty = yield* client.del("/v2/positions/SPY?qty=4")
      assert.strictEqual(byQty.status, 200, byQty.text)
      const sell = yield* decode(WireOrder)(byQty.json)
      assert.deepStrictEqual([sell.side, sell.qty, sell.type, sell.status], ["sell", "4", "market", "accepted"])
      const byPercentage = yield* client.del("/v2/positions/SPY?percentage=50")
      assert.strictEqual((yield* decode(WireOrder)(byPercentage.json)).qty, "5")
      assert.strictEqual((yield* decode(WireOrder)((yield* client.get(`/v2/orders/${sell.id}`)).json)).status, "canceled")
      assert.strictEqual((yield* client.del("/v2/positions/SPY?qty=1&percentage=10")).status, 422)
      assert.strictEqual((yield* client.del("/v2/positions/SPY?qty=abc")).status, 422)
      const tooMany = yield* client.del("/v2/positions/SPY?qty=50")
      assert.strictEqual(tooMany.status, 403)
      assert.strictEqual((yield* client.del("/v2/positions/GLD")).status, 404)

      const all = yield* client.del("/v2/positions?cancel_orders=true")
      assert.strictEqual(all.status, 207)
      const results = yield* decode(Schema.Array(WireClosePositionResult))(all.json)
      assert.deepStrictEqual(results.map((r) => [r.symbol, r.status]), [["QQQ", 200], ["SPY", 200]])
      for (const r of results) {
        assert.isTrue(r.body !== null && r.body !== undefined && AlpacaWire.isWireOrder(r.body) && r.body.side === "sell")
      }
      assert.strictEqual((yield* decode(Schema.Array(WirePosition))((yield* client.get("/v2/positions")).json)).length, 2)
      yield* server.setSession(momentAt(D3, "09:30"))
      assert.deepStrictEqual((yield* client.get("/v2/positions")).json, [])
      const account = yield* decode(WireAccount)((yield* client.get("/v2/account")).json)
      assert.strictEqual(account.long_market_value, "0")
    }))

  it.effect("answers unknown endpoints with 404, wrong methods with 405, and replacing an unknown order with 404", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const unknown = yield* client.get("/v2/options/contracts")
      assert.strictEqual(unknown.status, 404)
      assert.deepStrictEqual(unknown.json, { code: 40410000, message: "endpoint not found" })
      assert.strictEqual((yield* client.call("PUT", "/v2/orders")).status, 405)
      const patch = yield* client.call("PATCH", "/v2/orders/7b08df51-c1ac-453c-99f9-323a5f075f0d", { body: "{\"qty\":\"1\"}" })
      assert.deepStrictEqual([patch.status, patch.json], [404, { code: 40410000, message: "order not found" }])
    }))
})

layer(serverLayer())("ExchangeServer market API and sessions", (it) => {
  it.effect("answers the clock at 15:45 New York time of the session, open, for the default or the header's session", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const clock = yield* decode(WireClock)((yield* client.get("/v2/clock")).json)
      assert.deepStrictEqual(clock, {
        timestamp: "2026-08-04T15:45:00-04:00",
        is_open: true,
        next_open: "2026-08-05T09:30:00-04:00",
        next_close: "2026-08-04T16:00:00-04:00"
      })
      const last = yield* decode(WireClock)((yield* client.get("/v2/clock", { "X-Council-Session": D6 })).json)
      assert.strictEqual(last.timestamp, "2026-08-10T15:45:00-04:00")
      assert.strictEqual(last.next_open, "2026-08-11T09:30:00-04:00")
    }))

  it.effect("lists the calendar between start and end with New York hours and T+1 settlement", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const r = yield* client.get("/v2/calendar?start=2026-08-04&end=2026-08-07")
      assert.strictEqual(r.status, 200)
      const days = yield* decode(Schema.Array(WireCalendarDay))(r.json)
      assert.deepStrictEqual(days.map((d) => [d.date, d.settlement_date]), [
        ["2026-08-04", "2026-08-05"],
        ["2026-08-05", "2026-08-06"],
        ["2026-08-06", "2026-08-07"],
        ["2026-08-07", "2026-08-10"]
      ])
      assert.deepStrictEqual(days[0], {
        date: "2026-08-04",
        open: "09:30",
        close: "16:00",
        session_open: "0400",
        session_close: "2000",
        settlement_date: "2026-08-05"
      })
      assert.strictEqual((yield* decode(Schema.Array(WireCalendarDay))((yield* client.get("/v2/calendar")).json)).length, 6)
      assert.strictEqual((yield* client.get("/v2/calendar?start=August")).status, 422)
    }))

  it.effect("lists the universe as assets and finds one by symbol or id", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const assets = yield* decode(Schema.Array(WireAsset))((yield* client.get("/v2/assets")).json)
      assert.deepStrictEqual(assets.map((a) => a.symbol).sort(), ["QQQ", "SPY"])
      const spy = yield* decode(WireAsset)((yield* client.get("/v2/assets/SPY")).json)
      assert.deepStrictEqual([spy.class, spy.status, spy.tradable, spy.fractionable], ["us_equity", "active", true, true])
      assert.match(spy.id, UUID)
      assert.strictEqual((yield* decode(WireAsset)((yield* client.get(`/v2/assets/${spy.id}`)).json)).symbol, "SPY")
      const missing = yield* client.get("/v2/assets/ZZZZ")
      assert.strictEqual(missing.status, 404)
      assert.deepStrictEqual(missing.json, { code: 40410000, message: "asset not found" })
      assert.deepStrictEqual((yield* client.get("/v2/assets?status=inactive")).json, [])
    }))

  it.effect("pages daily bars symbol by symbol with next_page_token, never past the session", () =>
    Effect.gen(function*() {
      const client = yield* clientOf()
      const pages: Array<Record<string, ReadonlyArray<string>>> = []
      let token: string | null | undefined = undefined
      do {
        const query: string = `/v2/stocks/bars?symbols=SPY,QQQ,NOPE&timeframe=1Day&start=2026-08-01&end=2026-08-31&limit=3${
          token ? `&page_token=${encodeURIComponent(token)}` : ""
        }`
        const r = yield* client.get(query, { "X-Council-Session": D6 })
        assert.strictEqual(r.status, 200, r.text)
        const page = yield* decode(WireBarsResponse)(r.json)
        pages.push(Object.fromEntries(Object.entries(page.bars ?? {}).map(([s, bars]) => [s, (bars ?? []).map((b) => b.t)])))
        token = page.next_page_token
      } while (token !== null && token !== undefined && pages.length < 10)
      assert.deepStrictEqual(pages, [
        { QQQ: ["2026-08-03T04:00:00Z", "2026-08-04T04:00:00Z", "2026-08-05T04:00:00Z"] },
        { QQQ: ["2026-08-06T04:00:00Z", "2026-08-07T04:00:00Z", "2026-08-10T04:00:00Z"] },
        { SPY: ["2026-08-03T04:00:00Z", "2026-08-04T04:00:00Z", "2026-08-05T04:00:00Z"] },
        { SPY: ["2026-08-06T04:00:00Z", "2026-08-07T04:00:00Z", "2026-08-10T04:00:00Z"] }
      ])

      const atSession = yield* decode(WireBarsResponse)((yield* client.get("/v2/stocks/bars?symbols=SPY&timeframe=1Day&start=2026-08-01")).json)
      const spy = atSession.bars?.["SPY"] ?? []
      assert.deepStrictEqual(spy.map((b) => [b.t, b.o, b.h, b.l, b.c, b.v]), [
        ["2026-08-03T04:00:00Z", 100, 101, 99, 100, 1_000_000],
        ["2026-08-04T04:00:00Z", 101, 101, 101, 101, 0]
      ])
      const at = (time: string) =>
        Effect.flatMap(
          client.get("/v2/stocks/bars?symbols=SPY&timeframe=1Day&start=2026-08-04&end=2026-08-04", { "X-Council-Session": `2026-08-04T${time}-04:00` }),
          (r) => Effect.map(decode(WireBarsResponse)(r.json), (page) => (page.bars?.["SPY"] ?? []).map((b) => [b.o, b.h, b.l, b.c]))
        )
      assert.deepStrictEqual(yield* at("09:29:59"), [])
      assert.deepStrictEqual(yield* at("09:30:00"), [[101, 101, 101, 101]])
      assert.deepStrictEqual(yield* at("15:59:59"), [[101, 101, 101, 101]])
      assert.deepStrictEqual(yield* at("16:00:00"), [[101, 103, 100, 102]])
      assert.strictEqual(atSession.next_page_token, null)
      assert.isDefined(spy[0]?.n)
      assert.isDefined(spy[0]?.vw)

      const instant = yield* decode(WireBarsResponse)(
        (yield* client.get("/v2/stocks/bars?symbols=SPY&timeframe=1D&start=2026-08-03T05:00:00Z&end=2026-08-05T04:00:00Z&sort=desc", { "X-Council-Session": D6 })).json
      )
      assert.deepStrictEqual((instant.bars?.["SPY"] ?? []).map((b) => b.t), ["2026-08-05T04:00:00Z", "2026-08-04T04:00:00Z"])

      const single = yield* client.get("/v2/stocks/QQQ/bars?timeframe=1Day&start=2026-08-03&end=2026-08-04")
      const qqq = yield* decode(WireSymbolBarsResponse)(single.json)
      assert.strictEqual(qqq.symbol, "QQQ")
      assert.deepStrictEqual((qqq.bars ?? []).map((b) => b.c), [40, 40])

      assert.strictEqual((yield* client.get("/v2/stocks/bars?timeframe=1Day")).status, 400)
      assert.strictEqual((yield* client.get("/v2/stocks/bars?symbols=SPY")).status, 400)
      const minute = yield* client.get("/v2/stocks/bars?symbols=SPY&timeframe=1Min")
      assert.strictEqual(minute.status, 422)
      assert.deepStrictEqual(minute.json, { message: "the local exchange serves daily bars only (timeframe 1Day)" })
      assert.strictEqual((yield* client.get("/v2/stocks/bars?symbols=SPY&timeframe=1Day&limit=10001")).status, 422)
      assert.strictEqual((yield* client.get("/v2/stocks/bars?symbols=SPY&timeframe=1Day&page_token=bm9wZQ==")).status, 422)

      // market-data symbols are case-sensitive, as Alpaca documents symbol parameters: `spy` is not SPY
      const lower = yield* client.get("/v2/stocks/bars?symbols=spy&timeframe=1Day&start=2026-08-03")
      assert.deepStrictEqual([lower.status, lower.json], [200, { bars: {}, next_page_token: null }])
      const lowerPath = yield* client.get("/v2/stocks/spy/bars?timeframe=1Day&start=2026-08-03")
      assert.deepStrictEqual([lowerPath.status, lowerPath.json], [200, { bars: [], symbol: "spy", next_page_token: null }])
      assert.deepStrictEqual((yield* client.get("/v2/stocks/trades/latest?symbols=spy")).json, { trades: {} })
    }))

  it.effect("selects a request's session with X-Council-Session and moves the default with POST /council/session", () =>
    Effect.gen(function*() {
      const client = yield* clientOf(GEMINI)
      const badHeader = yield* client.get("/v2/account", { "X-Council-Session": "Aug 5" })
      assert.strictEqual(badHeader.status, 400)
      const weekend = yield* client.get("/v2/account", { "X-Council-Session": "2026-08-08" })
      assert.strictEqual(weekend.status, 422)
      assert.match((yield* decode(AlpacaWire.WireError)(weekend.json)).message ?? "", /not a trading session/)

      const placed = yield* client.post("/v2/orders", marketBuy("SPY", 10, { type: "limit", limit_price: "101", time_in_force: "gtc", client_order_id: "gem-limit" }))
      assert.strictEqual((yield* decode(WireOrder)(placed.json)).status, "new")
      const during = yield* client.get("/v2/orders:by_client_order_id?client_order_id=gem-limit", { "X-Council-Session": D3 })
      assert.strictEqual((yield* decode(WireOrder)(during.json)).status, "new")
      const next = yield* client.get("/v2/orders:by_client_order_id?client_order_id=gem-limit", { "X-Council-Session": "2026-08-05T20:00:00Z" })
      const filled = yield* decode(WireOrder)(next.json)
      assert.deepStrictEqual([filled.status, filled.filled_avg_price, filled.filled_at], ["filled", "101", "2026-08-05T20:00:00.000Z"])

      // one clock: the header request brought the account to D3's close, and so the server's now, which a request
      // without the header runs at
      assert.deepStrictEqual((yield* client.get("/council/session")).json, { date: D3, at: "2026-08-05T16:00:00-04:00" })
      const now = yield* client.get("/v2/orders:by_client_order_id?client_order_id=gem-limit")
      assert.strictEqual((yield* decode(WireOrder)(now.json)).status, "filled")
      // set back by hand: an account further along is still served at its own point, a header before it is refused
      const back = yield* client.post("/council/session", { date: D2 })
      assert.deepStrictEqual(back.json, { date: D2, at: "2026-08-04T15:45:00-04:00", previous: { date: D3, at: "2026-08-05T16:00:00-04:00" } })
      assert.strictEqual((yield* client.get("/v2/account")).status, 200)
      const behind = yield* client.get("/v2/account", { "X-Council-Session": D2 })
      assert.strictEqual(behind.status, 422)
      assert.match((yield* decode(AlpacaWire.WireError)(behind.json)).message ?? "", /local exchange is at 2026-08-05 \(after the close\)/)

      const moved = yield* client.post("/council/session", { at: "2026-08-05T16:30:00-04:00" })
      assert.strictEqual(moved.status, 200)
      assert.deepStrictEqual(moved.json, {
        date: D3,
        at: "2026-08-05T16:30:00-04:00",
        previous: { date: D2, at: "2026-08-04T15:45:00-04:00" }
      })
      assert.deepStrictEqual(yield* ExchangeServer.use((s) => s.session), momentAt(D3, "16:30"))
      assert.strictEqual((yield* client.get("/v2/account")).status, 200)
      assert.strictEqual((yield* client.post("/council/session", { date: "2026-08-08" })).status, 422)
      assert.strictEqual((yield* client.post("/council/session", { day: D3 })).status, 400)
      assert.strictEqual((yield* client.get("/council/session", { "X-Council-Session": "garbage" })).status, 200)

      const fills = yield* LocalExchange.use((e) => e.fills(GEMINI))
      assert.deepStrictEqual(fills.map((f) => [f.clientOrderId, f.price]), [["gem-limit", 101]])
      assert.strictEqual(fills[0]?.account, GEMINI)
      assert.notStrictEqual(fills[0]?.account, ACCOUNT)
    }))
})

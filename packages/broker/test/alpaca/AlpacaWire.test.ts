import { assert, describe, it } from "@effect/vitest"
import { Result, Schema } from "effect"
import { AccountId, type OrderIntent, Ticker, TradingDay } from "@council/domain"
import { BrokerError, BrokerErrorReason } from "../../src/Broker.ts"
import * as BarsWire from "../../src/alpaca/AlpacaBarsWire.ts"
import * as Wire from "../../src/alpaca/AlpacaWire.ts"

const decode = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, json: string): S["Type"] =>
  Schema.decodeUnknownSync(Schema.fromJsonString(schema))(json)

const ok = <A>(result: Result.Result<A, string>): A => {
  if (Result.isFailure(result)) assert.fail(result.failure)
  return result.success
}

const ACCOUNT = AccountId.make("CLAUDE")

const docsOrder = `{"id":"7b08df51-c1ac-453c-99f9-323a5f075f0d","client_order_id":"5680c4bc-9ac1-4a12-a44c-df427ba53032",
 "created_at":"2023-12-12T22:31:24.668464435Z","updated_at":"2023-12-12T22:31:24.668464435Z",
 "submitted_at":"2023-12-12T22:31:24.577215743Z","filled_at":null,"expired_at":null,"canceled_at":null,
 "failed_at":null,"replaced_at":null,"replaced_by":null,"replaces":null,
 "asset_id":"b0b6dd9d-8b9b-48a9-ba46-b9d54906e415","symbol":"AAPL","asset_class":"us_equity",
 "notional":null,"qty":"2","filled_qty":"0","filled_avg_price":null,"order_class":"","order_type":"limit",
 "type":"limit","side":"buy","time_in_force":"gtc","limit_price":"150","stop_price":null,"status":"accepted",
 "extended_hours":false,"legs":null,"trail_percent":null,"trail_price":null,"hwm":null,"subtag":null,"source":null}`

const intent = (overrides: Partial<OrderIntent> = {}): OrderIntent => ({
  account: ACCOUNT,
  symbol: Ticker.make("AAPL"),
  side: "buy",
  qty: 10,
  type: "limit",
  timeInForce: "day",
  limitPrice: 150.25,
  orderClass: "simple",
  clientOrderId: "2026-08-03-CLAUDE-AAPL-buy-1",
  reason: "test",
  ...overrides
})

describe("AlpacaWire", () => {
  it("decodes decimals sent as strings or numbers and always encodes strings", () => {
    const fromString = decode(Wire.WirePosition, `{"symbol":"AAPL","qty":"2","avg_entry_price":"174.78"}`)
    const fromNumber = decode(Wire.WirePosition, `{"symbol":"AAPL","qty":2,"avg_entry_price":174.78}`)
    assert.strictEqual(fromString.qty, "2")
    assert.strictEqual(fromNumber.qty, "2")
    assert.strictEqual(fromNumber.avg_entry_price, "174.78")
    assert.deepStrictEqual(Schema.encodeSync(Wire.WirePosition)(fromNumber), { symbol: "AAPL", qty: "2", avg_entry_price: "174.78" })
    assert.throws(() => decode(Wire.WirePosition, `{"symbol":"AAPL","qty":"two"}`))
  })

  it("formats decimals without exponent, float noise or trailing zeros", () => {
    assert.strictEqual(Wire.formatDecimal(150), "150")
    assert.strictEqual(Wire.formatDecimal(0.1 + 0.2), "0.3")
    assert.strictEqual(Wire.formatDecimal(1e-7), "0.0000001")
    assert.strictEqual(Wire.formatDecimal(-0), "0")
    assert.strictEqual(Wire.formatDecimal(-12.5), "-12.5")
  })

  it("accepts accounts with and without the PDT fields removed in July 2026, and empty ones", () => {
    const old = decode(Wire.WireAccount, `{"account_blocked":false,"buying_power":"262113.632","cash":"-23140.2",
      "daytrade_count":0,"daytrading_buying_power":"262113.632","equity":"103820.56","id":"e6fe16f3",
      "long_market_value":"126960.76","multiplier":"4","pattern_day_trader":false,"short_market_value":"0",
      "status":"ACTIVE","options_approved_level":2,"something_new":{"x":1}}`)
    const current = decode(Wire.WireAccount, `{"id":"e6fe16f3","status":"ACTIVE","cash":"1000","equity":"1500",
      "buying_power":"2000","long_market_value":"500","short_market_value":"0"}`)
    const empty = decode(Wire.WireAccount, `{}`)
    const snapshot = Wire.toAccountSnapshot(ACCOUNT, old, [])
    assert.deepStrictEqual(
      [snapshot.cash, snapshot.equity, snapshot.buyingPower, snapshot.longMarketValue],
      [-23140.2, 103820.56, 262113.632, 126960.76]
    )
    assert.strictEqual(Wire.toAccountSnapshot(ACCOUNT, current, []).buyingPower, 2000)
    const position = ok(Wire.toDomainPosition(decode(Wire.WirePosition, `{"symbol":"SPY","qty":"3","market_value":"300","current_price":"100","avg_entry_price":"90","unrealized_pl":"30","side":"long"}`)))
    const fallback = Wire.toAccountSnapshot(ACCOUNT, { ...empty, cash: "50" }, [position])
    assert.deepStrictEqual(
      [fallback.cash, fallback.longMarketValue, fallback.equity, fallback.buyingPower],
      [50, 300, 350, 50]
    )
  })

  it("converts the docs' order example, treating order_class \"\" as simple", () => {
    const order = ok(Wire.toDomainOrder(decode(Wire.WireOrder, docsOrder)))
    assert.strictEqual(order.orderClass, "simple")
    assert.strictEqual(order.qty, 2)
    assert.strictEqual(order.limitPrice, 150)
    assert.strictEqual(order.status, "accepted")
    assert.strictEqual(order.submittedAt, "2023-12-12T22:31:24.577215743Z")
    assert.deepStrictEqual(order.legs, [])
  })

  it("answers order_class \"\" for a simple order, as Alpaca does, and reads \"simple\" as simple too", () => {
    const order = ok(Wire.toDomainOrder(decode(Wire.WireOrder, docsOrder)))
    const wire = Wire.toWireOrder(order)
    assert.strictEqual(wire.order_class, "")
    assert.strictEqual(JSON.parse(JSON.stringify(Schema.encodeSync(Wire.WireOrder)(wire))).order_class, "")
    assert.strictEqual(ok(Wire.toDomainOrder(wire)).orderClass, "simple")
    assert.strictEqual(ok(Wire.toDomainOrder({ ...wire, order_class: "simple" })).orderClass, "simple")
    assert.strictEqual(ok(Wire.toDomainOrder({ ...wire, order_class: "oco" })).orderClass, "oco")
  })

  it("fails, rather than throws, on orders the domain cannot represent", () => {
    const wire = decode(Wire.WireOrder, docsOrder)
    assert.isTrue(Result.isFailure(Wire.toDomainOrder({ ...wire, symbol: "BTC/USD" })))
    assert.isTrue(Result.isFailure(Wire.toDomainOrder({ ...wire, status: "some_future_status" })))
  })

  it("reads a notional order (qty null) as an order of its dollars, its shares those filled, and writes it back so", () => {
    const wire = decode(Wire.WireOrder, docsOrder)
    // Alpaca's notional market order, as its OpenAPI example shows it, before and after its fill
    const open = ok(Wire.toDomainOrder({ ...wire, type: "market", order_type: "market", limit_price: null, time_in_force: "day", qty: null, notional: "500" }))
    assert.deepStrictEqual([open.notional, open.qty, open.filledQty], [500, 0, 0])
    const filled = ok(Wire.toDomainOrder({
      ...wire,
      type: "market",
      order_type: "market",
      limit_price: null,
      time_in_force: "day",
      qty: null,
      notional: "500",
      status: "filled",
      filled_qty: "1.053518924",
      filled_avg_price: "474.6"
    }))
    assert.deepStrictEqual([filled.notional, filled.qty, filled.filledQty, filled.filledAvgPrice], [500, 1.053518924, 1.053518924, 474.6])
    const back = Wire.toWireOrder(filled)
    assert.deepStrictEqual([back.qty, back.notional, back.filled_qty], [null, "500", "1.053518924"])
    // an order of shares says no notional
    const shares = ok(Wire.toDomainOrder(wire))
    assert.isFalse("notional" in shares)
    assert.deepStrictEqual([Wire.toWireOrder(shares).qty, Wire.toWireOrder(shares).notional], ["2", null])
  })

  it("reads a trailing stop with its trail and high-water mark, and writes them back", () => {
    const wire = decode(Wire.WireOrder, docsOrder)
    const trailing = ok(Wire.toDomainOrder({ ...wire, type: "trailing_stop", order_type: "trailing_stop", limit_price: null, stop_price: "153.85", trail_price: "6.15", hwm: "160" }))
    assert.deepStrictEqual([trailing.type, trailing.trailPrice, trailing.trailPercent, trailing.hwm, trailing.stopPrice], ["trailing_stop", 6.15, undefined, 160, 153.85])
    const back = Wire.toWireOrder(trailing)
    assert.deepStrictEqual([back.type, back.trail_price, back.trail_percent, back.hwm], ["trailing_stop", "6.15", null, "160"])
    // a request from an intent carries its trail
    const { limitPrice: _, ...base } = intent()
    const request = Wire.toWireOrderRequest({ ...base, type: "trailing_stop", side: "sell", trailPercent: 2.5 })
    assert.deepStrictEqual([request.type, request.trail_percent, request.trail_price], ["trailing_stop", "2.5", undefined])
  })

  it("round-trips a bracket order with legs through the wire shape", () => {
    const source: Wire.WireOrderSource = {
      id: "a1",
      clientOrderId: "c1",
      symbol: Ticker.make("MSFT"),
      side: "buy",
      qty: 5,
      type: "limit",
      timeInForce: "gtc",
      limitPrice: 400.1,
      stopPrice: null,
      orderClass: "bracket",
      status: "new",
      filledQty: 0,
      filledAvgPrice: null,
      submittedAt: "2026-08-03T20:00:00Z",
      filledAt: null,
      legs: [
        { id: "a2", clientOrderId: "c2", symbol: Ticker.make("MSFT"), side: "sell", qty: 5, type: "limit", timeInForce: "gtc", limitPrice: 440, stopPrice: null, orderClass: "bracket", status: "held", filledQty: 0, filledAvgPrice: null, submittedAt: "2026-08-03T20:00:00Z", filledAt: null },
        { id: "a3", clientOrderId: "c3", symbol: Ticker.make("MSFT"), side: "sell", qty: 5, type: "stop", timeInForce: "gtc", limitPrice: null, stopPrice: 380, orderClass: "bracket", status: "held", filledQty: 0, filledAvgPrice: null, submittedAt: "2026-08-03T20:00:00Z", filledAt: null }
      ]
    }
    const json = JSON.stringify(Schema.encodeSync(Wire.WireOrder)(Wire.toWireOrder(source)))
    assert.include(json, `"limit_price":"400.1"`)
    assert.include(json, `"qty":"5"`)
    const order = ok(Wire.toDomainOrder(decode(Wire.WireOrder, json)))
    assert.strictEqual(order.orderClass, "bracket")
    assert.deepStrictEqual(order.legs.map((leg) => [leg.type, leg.limitPrice, leg.stopPrice, leg.status]), [
      ["limit", 440, null, "held"],
      ["stop", null, 380, "held"]
    ])
  })

  it("builds the order request with the intent's client order id, and a server reads it back", () => {
    const bracket = intent({
      orderClass: "bracket",
      takeProfit: { limitPrice: 170 },
      stopLoss: { stopPrice: 140, limitPrice: 139.5 },
      extendedHours: false
    })
    const body = Wire.toWireOrderRequest(bracket)
    assert.deepStrictEqual(body, {
      symbol: "AAPL",
      qty: "10",
      side: "buy",
      type: "limit",
      time_in_force: "day",
      limit_price: "150.25",
      extended_hours: false,
      client_order_id: "2026-08-03-CLAUDE-AAPL-buy-1",
      order_class: "bracket",
      take_profit: { limit_price: "170" },
      stop_loss: { stop_price: "140", limit_price: "139.5" }
    })
    const back = ok(Wire.fromWireOrderRequest(ACCOUNT, body, () => "generated"))
    assert.deepStrictEqual({ ...back, reason: "test" }, bracket)
  })

  it("reads Go-SDK style requests (nulls, empty order class and client order id)", () => {
    const body = decode(Wire.WireOrderRequest, `{"symbol":"SPY","qty":"1","side":"sell","type":"market",
      "time_in_force":"day","limit_price":null,"stop_price":null,"take_profit":null,"stop_loss":null,"legs":null,
      "order_class":"","extended_hours":false,"client_order_id":""}`)
    const read = ok(Wire.fromWireOrderRequest(ACCOUNT, body, () => "generated-id"))
    assert.strictEqual(read.orderClass, "simple")
    assert.strictEqual(read.clientOrderId, "generated-id")
    const missingQty = Wire.fromWireOrderRequest(ACCOUNT, { ...body, qty: null }, () => "x")
    assert.deepStrictEqual(missingQty, Result.fail("qty is required"))
    assert.isTrue(Result.isFailure(Wire.fromWireOrderRequest(ACCOUNT, { ...body, type: "iceberg" }, () => "x")))
  })

  it("parses the 207 multi-status bodies of DELETE /v2/orders and DELETE /v2/positions", () => {
    const canceled = decode(Schema.Array(Wire.WireCancelResult), `[{"id":"497f6eca-6276-4993-bfeb-53cbbbba6f08","status":200},
      {"id":"72249bb6-6c89-4ea7-b8cf-73f1a140812b","status":404,"body":{"code":40410000,"message":"order not found"}}]`)
    assert.deepStrictEqual(canceled.map((item) => [item.status, item.body?.message]), [[200, undefined], [404, "order not found"]])
    const closed = decode(Schema.Array(Wire.WireClosePositionResult), `[
      {"symbol":"SPY","status":200,"body":${docsOrder.replace(`"AAPL"`, `"SPY"`)}},
      {"symbol":"SQQQ","status":403,"body":{"available":"0","code":40310000,"existing_qty":"1000","held_for_orders":"1000",
       "message":"insufficient qty available for order (requested: 1000, available: 0)","symbol":"SQQQ"}},
      {"symbol":"NYC","status":403,"body":{"code":40310000,"message":"account is not allowed to short"}}]`)
    const [first, second, third] = closed
    assert.isTrue(first?.body != null && Wire.isWireOrder(first.body))
    assert.isTrue(second?.body != null && !Wire.isWireOrder(second.body))
    const reasons = closed.slice(1).map((item) =>
      Wire.errorReason(item.status, item.body != null && !Wire.isWireOrder(item.body) ? item.body.message ?? "" : "")
    )
    assert.deepStrictEqual(reasons, ["InsufficientQty", "ShortingNotAllowed"])
    assert.strictEqual(third?.symbol, "NYC")
  })

  it("reads multi- and single-symbol bars and stamps daily bars at New York midnight", () => {
    const multi = decode(BarsWire.WireBarsResponse, `{"bars":{"AAPL":[{"t":"2022-02-01T05:00:00Z","o":174.01,"h":174.84,
      "l":172.31,"c":174.61,"v":86213911,"n":783894,"vw":173.6}],"MSFT":null},"next_page_token":"QUFQTHxE"}`)
    const single = decode(BarsWire.WireSymbolBarsResponse, `{"bars":null,"symbol":"AAPL","next_page_token":null}`)
    assert.strictEqual(multi.next_page_token, "QUFQTHxE")
    assert.strictEqual(single.bars, null)
    const bar = ok(BarsWire.toDomainBar(multi.bars!["AAPL"]![0]!))
    assert.deepStrictEqual(bar, { date: TradingDay.make("2022-02-01"), open: 174.01, high: 174.84, low: 172.31, close: 174.61, volume: 86213911 })
    assert.strictEqual(ok(BarsWire.toDomainBar({ ...multi.bars!["AAPL"]![0]!, t: "2021-05-03T04:00:00Z" })).date, "2021-05-03")
    assert.strictEqual(BarsWire.toWireBar(bar).t, "2022-02-01T05:00:00Z")
    assert.strictEqual(BarsWire.newYorkMidnight("2021-05-03"), "2021-05-03T04:00:00Z")
  })

  it("classifies Alpaca's error catalogue", () => {
    const cases: ReadonlyArray<readonly [number, string, BrokerErrorReason]> = [
      [400, "request body format is invalid", "InvalidRequest"],
      [401, "request is not authorized", "Unauthorized"],
      [403, "forbidden.", "Unauthorized"],
      [403, "<html><body>403 Forbidden</body></html>", "Unauthorized"],
      [403, "insufficient qty available for order (requested: 1000, available: 0)", "InsufficientQty"],
      [403, "account is not allowed to short", "ShortingNotAllowed"],
      [403, "insufficient buying power", "InsufficientBuyingPower"],
      [403, "potential wash trade detected. use complex orders", "InvalidRequest"],
      [404, "order not found", "NotFound"],
      [422, "client_order_id must be unique", "DuplicateClientOrderId"],
      [422, "qty is required", "InvalidRequest"],
      [422, "order_id is missing", "InvalidRequest"],
      [429, "rate limit exceeded", "RateLimited"],
      [500, "internal error", "ServerError"],
      [503, "", "ServerError"],
      [504, "<html>gateway timeout</html>", "ServerError"]
    ]
    for (const [status, message, reason] of cases) {
      assert.strictEqual(Wire.errorReason(status, message), reason, `${status} ${message}`)
    }
  })

  it("answers every BrokerError reason so that the client classifies it back", () => {
    const changed: Partial<Record<BrokerErrorReason, BrokerErrorReason>> = {
      UnknownAccount: "Unauthorized",
      Unavailable: "ServerError",
      SafetyRefused: "InvalidRequest"
    }
    for (const reason of BrokerErrorReason.literals) {
      const error = new BrokerError({ account: "X", reason, message: "nope", retryable: false, resetAt: 1_800_000_000 })
      const wire = Wire.toWireError(error)
      assert.strictEqual(Wire.errorReason(wire.status, wire.body.message ?? ""), changed[reason] ?? reason, reason)
    }
    const limited = Wire.toWireError(new BrokerError({ account: "X", reason: "RateLimited", message: "slow down", retryable: true, resetAt: 1_800_000_000.2 }))
    assert.deepStrictEqual(limited.headers, { "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "1800000001" })
  })

  it("reads clock, calendar and asset with drifting field sets", () => {
    const clock = Wire.toMarketClock(decode(Wire.WireClock, `{"timestamp":"2022-05-16T16:32:24.14373588-04:00","is_open":false,
      "next_open":"2022-05-17T09:30:00-04:00","next_close":"2022-05-17T16:00:00-04:00","unknown":true}`))
    assert.deepStrictEqual(Wire.toWireClock(clock), {
      timestamp: "2022-05-16T16:32:24.14373588-04:00",
      is_open: false,
      next_open: "2022-05-17T09:30:00-04:00",
      next_close: "2022-05-17T16:00:00-04:00"
    })
    const day = Wire.toCalendarDay(decode(Wire.WireCalendarDay, `{"date":"2022-05-16","open":"09:30","close":"16:00","session_open":"0400","session_close":"2000"}`))
    assert.deepStrictEqual<object>(day, { date: "2022-05-16", open: "09:30", close: "16:00", sessionOpen: "0400", sessionClose: "2000" })
    assert.deepStrictEqual(Wire.toWireCalendarDay(day), { date: "2022-05-16", open: "09:30", close: "16:00", session_open: "0400", session_close: "2000" })
    const asset = Wire.toAssetInfo(decode(Wire.WireAsset, `{"id":"b0b6","class":"us_equity","exchange":"NASDAQ","symbol":"AAPL",
      "name":"Apple","status":"active","tradable":true,"marginable":true,"shortable":true,"fractionable":true,"borrow_status":"easy"}`))
    assert.strictEqual(asset.easyToBorrow, false)
    assert.strictEqual(asset.fractionable, true)
    assert.strictEqual(Wire.toWireAsset(asset).symbol, "AAPL")
  })
})

import { assert, describe, it } from "@effect/vitest"
import { type Duration, Effect, Layer, Option, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { AccountId, defaultAccountSettings, Ticker } from "@council/domain"
import { placeOnce } from "../../src/AccountManager.ts"
import { Brokers } from "../../src/Broker.ts"
import { AlpacaBroker } from "../../src/alpaca/AlpacaBroker.ts"
import * as LiveGuard from "../../src/LiveGuard.ts"
import { startFakeAlpaca, position } from "./FakeAlpaca.ts"
import { accountFor, clientFor, intent } from "./fixtures.ts"
import { earlyClosing } from "../../../io/test/LocalServer.ts"

const brokerFor = (fake: Parameters<typeof clientFor>[0], timeout: Duration.Input = "2 seconds") =>
  clientFor(fake, { timeout, retry: { base: "20 millis", cap: "100 millis", times: 6 } }).pipe(
    Effect.map((client) => AlpacaBroker.fromClient(client, { retry: { base: "20 millis", cap: "100 millis", times: 6 } }))
  )

describe("AlpacaBroker", () => {
  it.live("places every intended order exactly once under injected faults", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerFor(fake, "300 millis")
      const reset = String(Math.ceil(Date.now() / 1000))
      fake.inject("POST", "/v2/orders", { _tag: "Drop", afterAccept: true }, 2)
      fake.inject("POST", "/v2/orders", { _tag: "Status", status: 500, body: "{\"message\":\"internal error\"}", afterAccept: true })
      fake.inject("POST", "/v2/orders", { _tag: "Status", status: 503, body: "" })
      fake.inject("POST", "/v2/orders", { _tag: "Status", status: 429, body: "{}", headers: { "X-Ratelimit-Reset": reset } })
      fake.inject("POST", "/v2/orders", { _tag: "Delay", ms: 600 })
      fake.inject("POST", "/v2/orders", { _tag: "Drop", afterAccept: false })
      fake.inject("GET", "/v2/orders:by_client_order_id", { _tag: "Status", status: 503, body: "" })
      fake.inject("GET", "/v2/orders:by_client_order_id", { _tag: "Drop", afterAccept: false })
      const intents = Array.from({ length: 10 }, (_, i) => intent(i))
      const placed = yield* Effect.forEach(intents, broker.placeOrder, { concurrency: 3 })
      assert.deepStrictEqual(placed.map((o) => o.clientOrderId), intents.map((i) => i.clientOrderId))
      for (const i of intents) {
        const onServer = fake.ordersByClientId(i.clientOrderId)
        assert.strictEqual(onServer.length, 1, i.clientOrderId)
        assert.strictEqual(placed.find((o) => o.clientOrderId === i.clientOrderId)?.id, onServer[0]?.id)
      }
      assert.strictEqual(fake.orders.size, 10)
      assert.deepStrictEqual(fake.faults, [])
      const posts = fake.requests.filter((r) => r.method === "POST")
      assert.isAbove(posts.length, 10)
      assert.isAbove(fake.requests.filter((r) => r.path === "/v2/orders:by_client_order_id").length, 0)
    }))

  it.live("a kept-alive connection Alpaca dropped as the next request went out: a read is sent again, an order placed once", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const proxy = yield* Effect.acquireRelease(Effect.promise(() => earlyClosing(fake.url)), (p) => Effect.promise(p.close))
      const broker = yield* brokerFor({ ...fake, url: proxy.url })
      // each time after a pause: the connections are back in the client's pool, idle
      yield* broker.getAccount
      yield* Effect.sleep("20 millis")
      proxy.closeNextReuse()
      yield* broker.getAccount
      yield* Effect.sleep("20 millis")
      proxy.closeNextReuse()
      const order = yield* broker.placeOrder(intent(3))
      assert.strictEqual(proxy.closed(), 2)
      // the dropped requests never reached Alpaca (one account read each); the order is looked up before it is sent again
      const sent = fake.requests.map((r) => `${r.method} ${r.path}`)
      assert.deepStrictEqual(sent.filter((r) => r === "GET /v2/account"), ["GET /v2/account", "GET /v2/account"])
      assert.deepStrictEqual(sent.filter((r) => r.includes("/v2/orders")), ["GET /v2/orders:by_client_order_id", "POST /v2/orders"])
      assert.strictEqual(fake.ordersByClientId(intent(3).clientOrderId).length, 1)
      assert.strictEqual(order.id, [...fake.orders.keys()][0])
    }))

  it.live("looks the order up before resending, and adopts it when the first attempt landed", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerFor(fake)
      fake.inject("POST", "/v2/orders", { _tag: "Drop", afterAccept: true })
      const order = yield* broker.placeOrder(intent(1))
      assert.deepStrictEqual(
        fake.requests.map((r) => `${r.method} ${r.path}`),
        ["POST /v2/orders", "GET /v2/orders:by_client_order_id"]
      )
      assert.strictEqual(fake.requests[1]?.query.get("client_order_id"), intent(1).clientOrderId)
      assert.strictEqual(order.id, [...fake.orders.keys()][0])
    }))

  it.live("resends with the same client order id when the lookup finds nothing", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerFor(fake)
      fake.inject("POST", "/v2/orders", { _tag: "Drop", afterAccept: false })
      yield* broker.placeOrder(intent(2))
      const posts = fake.requests.filter((r) => r.method === "POST")
      assert.deepStrictEqual(
        fake.requests.map((r) => `${r.method} ${r.path}`),
        ["POST /v2/orders", "GET /v2/orders:by_client_order_id", "POST /v2/orders"]
      )
      assert.strictEqual(posts.length, 2)
      assert.strictEqual(fake.ordersByClientId(intent(2).clientOrderId).length, 1)
    }))

  it.live("an order already at the broker under the client order id is a duplicate; placeOnce adopts it as such, unless it is a different order", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerFor(fake)
      const first = yield* broker.placeOrder(intent(3))
      const duplicate = yield* Effect.flip(broker.placeOrder(intent(3)))
      assert.strictEqual(duplicate.reason, "DuplicateClientOrderId")
      const again = yield* placeOnce(broker, intent(3))
      assert.deepStrictEqual([again.order.id, again.adopted], [first.id, true])
      assert.strictEqual(fake.orders.size, 1)
      const other = yield* Effect.flip(placeOnce(broker, intent(3, { qty: 99 })))
      assert.strictEqual(other.reason, "DuplicateClientOrderId")
      assert.include(other.message, "already names a different order")
      assert.strictEqual(fake.orders.size, 1)
      const fresh = yield* placeOnce(broker, intent(4))
      assert.isFalse(fresh.adopted)
    }))

  it.live("adopts an order accepted despite a 422, and keeps a plain 422 rejection", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerFor(fake)
      fake.inject("POST", "/v2/orders", { _tag: "Status", status: 422, body: "{\"code\":40010001,\"message\":\"oops\"}", afterAccept: true })
      const adopted = yield* broker.placeOrder(intent(12))
      assert.strictEqual(adopted.id, fake.ordersByClientId(intent(12).clientOrderId)[0]?.id)
      fake.inject("POST", "/v2/orders", { _tag: "Status", status: 422, body: "{\"code\":40010001,\"message\":\"stop_price is required\"}" })
      const rejected = yield* Effect.flip(broker.placeOrder(intent(13)))
      assert.deepStrictEqual([rejected.reason, rejected.retryable], ["InvalidRequest", false])
      assert.deepStrictEqual(fake.requests.slice(-2).map((r) => `${r.method} ${r.path}`), [
        "POST /v2/orders",
        "GET /v2/orders:by_client_order_id"
      ])
      assert.strictEqual(fake.orders.size, 1)
    }))

  it.live("does not retry business rejections", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerFor(fake)
      const error = yield* Effect.flip(broker.placeOrder(intent(4, { qty: 5000 })))
      assert.deepStrictEqual([error.reason, error.retryable], ["InsufficientBuyingPower", false])
      assert.deepStrictEqual(fake.requests.map((r) => `${r.method} ${r.path}`), ["POST /v2/orders"])
      const wrong = yield* Effect.flip(broker.placeOrder({ ...intent(5), account: AccountId.make("GEMINI") }))
      assert.strictEqual(wrong.reason, "InvalidRequest")
    }))

  it.live("places a bracket order and reads it back with its legs", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerFor(fake)
      const placed = yield* broker.placeOrder(intent(6, {
        orderClass: "bracket",
        takeProfit: { limitPrice: 170 },
        stopLoss: { stopPrice: 140 }
      }))
      assert.deepStrictEqual(placed.legs.map((l) => [l.type, l.limitPrice, l.stopPrice]), [["limit", 170, null], ["stop", null, 140]])
      const read = yield* broker.getOrder(placed.id)
      assert.deepStrictEqual(read, placed)
      assert.deepStrictEqual(yield* broker.getOrderByClientId(intent(6).clientOrderId), Option.some(placed))
      assert.deepStrictEqual(yield* broker.getOrderByClientId("nope"), Option.none())
      const missing = yield* Effect.flip(broker.getOrder("6f1d4b52-0000-4000-8000-000000000000"))
      assert.strictEqual(missing.reason, "NotFound")
      const notUuid = yield* Effect.flip(broker.getOrder("not-a-uuid"))
      assert.strictEqual(notUuid.reason, "InvalidRequest")
    }))

  it.live("lists, cancels one and cancels all (207) orders", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerFor(fake)
      const orders = yield* Effect.forEach([7, 8, 9], (n) => broker.placeOrder(intent(n)))
      yield* broker.placeOrder(intent(10, { symbol: Ticker.make("MSFT") }))
      const open = yield* broker.listOrders({ status: "open", symbols: [Ticker.make("AAPL")], limit: 2 })
      assert.deepStrictEqual(open.map((o) => o.id), [orders[2]!.id, orders[1]!.id])
      const listed = fake.requests.find((r) => r.method === "GET" && r.path === "/v2/orders")!
      assert.deepStrictEqual(
        [...listed.query.entries()],
        [["status", "open"], ["limit", "2"], ["nested", "true"], ["symbols", "AAPL"]]
      )
      yield* broker.cancelOrder(orders[0]!.id)
      assert.strictEqual(fake.orders.get(orders[0]!.id)?.status, "canceled")
      const again = yield* Effect.flip(broker.cancelOrder(orders[0]!.id))
      assert.strictEqual(again.reason, "InvalidRequest")
      assert.strictEqual(yield* broker.cancelAllOrders, 3)
      assert.deepStrictEqual(yield* broker.listOrders({ status: "open" }), [])
      assert.strictEqual((yield* broker.listOrders({ status: "closed" })).length, 4)
    }))

  it.live("reads the account with its positions and closes positions", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerFor(fake)
      fake.positions.set("AAPL", position("AAPL", 10, 150))
      fake.positions.set("TSLA", position("TSLA", -5, 200))
      fake.positions.set("BTC/USD", { ...position("AAPL", 1, 60000), symbol: "BTC/USD" as never })
      const snapshot = yield* broker.getAccount
      assert.deepStrictEqual([snapshot.account, snapshot.cash, snapshot.equity], ["CLAUDE", 100000, 100000])
      assert.deepStrictEqual(snapshot.positions.map((p) => [p.symbol, p.qty, p.side, p.marketValue]), [
        ["AAPL", 10, "long", 1500],
        ["TSLA", -5, "short", -1000]
      ])
      assert.deepStrictEqual(Option.map(yield* broker.getPosition(Ticker.make("TSLA")), (p) => p.qty), Option.some(-5))
      assert.deepStrictEqual(yield* broker.getPosition(Ticker.make("NVDA")), Option.none())
      const partial = yield* broker.closePosition(Ticker.make("AAPL"), { qty: 4 })
      assert.deepStrictEqual([partial.side, partial.qty, partial.type], ["sell", 4, "market"])
      assert.strictEqual(fake.requests.at(-1)?.query.get("qty"), "4")
      const tooMuch = yield* Effect.flip(broker.closePosition(Ticker.make("AAPL"), { qty: 40 }))
      assert.strictEqual(tooMuch.reason, "InsufficientQty")
      const flat = yield* Effect.flip(broker.closePosition(Ticker.make("NVDA")))
      assert.strictEqual(flat.reason, "NotFound")
    }))

  it.live("closes all positions from the 207 answer, failing with the first rejection", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerFor(fake)
      fake.positions.set("AAPL", position("AAPL", 10, 150))
      fake.positions.set("TSLA", position("TSLA", -5, 200))
      const closed = yield* broker.closeAllPositions
      assert.deepStrictEqual(closed.map((o) => [o.symbol, o.side, o.qty]), [["AAPL", "sell", 10], ["TSLA", "buy", 5]])
      assert.strictEqual(fake.requests.at(-1)?.query.get("cancel_orders"), "true")
      fake.closeFailures.add("TSLA")
      const error = yield* Effect.flip(broker.closeAllPositions)
      assert.deepStrictEqual([error.reason, error.retryable], ["InsufficientQty", false])
      assert.include(error.message, "closed 1 of 2 positions (sell 10 AAPL); failed: TSLA (403 insufficient qty")
    }))

  it.live("reads the market clock, calendar and assets", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerFor(fake)
      const clock = yield* broker.getClock
      assert.deepStrictEqual([clock.isOpen, clock.nextClose], [true, "2026-08-03T16:00:00-04:00"])
      const days = yield* broker.getCalendar({ start: "2026-08-03", end: "2026-08-04" })
      assert.deepStrictEqual(days.map((d) => [d.date, d.close, d.settlementDate]), [
        ["2026-08-03", "16:00", "2026-08-04"],
        ["2026-08-04", "13:00", undefined]
      ])
      const calendarCall = fake.requests.find((r) => r.path === "/v2/calendar")!
      assert.deepStrictEqual([calendarCall.query.get("start"), calendarCall.query.get("end")], ["2026-08-03", "2026-08-04"])
      const asset = yield* broker.getAsset("AAPL")
      assert.deepStrictEqual([asset.symbol, asset.exchange, asset.shortable, asset.easyToBorrow], ["AAPL", "NASDAQ", true, true])
      assert.strictEqual((yield* Effect.flip(broker.getAsset("ZZZZ"))).reason, "NotFound")
    }))

  it.live("a calendar day whose open or close is not HH:MM, or whose date is not a day, fails as a one-line BrokerError naming it", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerFor(fake)
      const answers: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
        [{ date: "2026-08-03", open: "9:30", close: "16:00" }, "\"9:30\""],
        [{ date: "2026-08-03", open: "09:30", close: "16:60" }, "\"16:60\""],
        [{ date: "2026-08-03", open: "09:30", close: "24:00" }, "\"24:00\""],
        [{ date: "2026-08-03", open: "09:30", close: "4pm" }, "\"4pm\""],
        [{ date: "2026-08-03", open: "16:00", close: "09:30" }, "\"16:00\""],
        [{ date: "08/03/2026", open: "09:30", close: "16:00" }, "\"08/03/2026\""]
      ]
      for (const [day, named] of answers) {
        fake.calendar.splice(0, fake.calendar.length, day)
        const requestsBefore = fake.requests.length
        const error = yield* Effect.flip(broker.getCalendar({ start: "2026-08-03", end: "2026-08-03" }))
        assert.deepStrictEqual([error._tag, error.reason, error.retryable], ["BrokerError", "ServerError", false], named)
        assert.include(error.message, "GET /v2/calendar: unexpected response")
        assert.include(error.message, named)
        assert.notInclude(error.message, "\n", named)
        // not retried: the broker's answer will not change by asking again
        assert.strictEqual(fake.requests.length - requestsBefore, 1)
      }
      // the times Alpaca documents read as before (an early close at 13:00)
      fake.calendar.splice(0, fake.calendar.length, { date: "2026-08-04", open: "09:30", close: "13:00" })
      assert.deepStrictEqual((yield* broker.getCalendar({ start: "2026-08-04", end: "2026-08-04" })).map((d) => [d.open, d.close]), [["09:30", "13:00"]])
    }))

  /** The `n`th order of a test: an OCO exit of 10 AAPL held (take profit 260, stop 150). */
  const aaplExit = (n: number) =>
    intent(n, {
      symbol: Ticker.make("AAPL"),
      side: "sell",
      qty: 10,
      type: "limit",
      limitPrice: 260,
      timeInForce: "gtc",
      orderClass: "oco",
      takeProfit: { limitPrice: 260 },
      stopLoss: { stopPrice: 150 }
    })

  it.live("a cancel Alpaca carries out later returns once the order reads canceled: the position's close that follows finds its shares free", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerFor(fake)
      fake.positions.set("AAPL", position("AAPL", 10, 200))
      fake.closeFills.set("AAPL", 201)
      const exit = yield* broker.placeOrder(aaplExit(1))
      // taken (204), carried out at the third read: `pending_cancel` until then, its 10 shares held
      fake.pendingCancels.set(exit.id, { reads: 3 })
      yield* broker.cancelOrder(exit.id)
      assert.strictEqual(fake.orders.get(exit.id)?.status, "canceled")
      const closed = yield* broker.closePosition(Ticker.make("AAPL"))
      assert.deepStrictEqual([closed.side, closed.qty, closed.status], ["sell", 10, "filled"])
      assert.deepStrictEqual(
        fake.requests.filter((r) => r.path.startsWith("/v2/orders/") || r.path.startsWith("/v2/positions/")).map((r) => `${r.method} ${r.path}`),
        [`DELETE /v2/orders/${exit.id}`, ...Array(3).fill(`GET /v2/orders/${exit.id}`), "DELETE /v2/positions/AAPL"]
      )
    }))

  it.live("a cancel Alpaca took but the venue filled first fails as not cancelable, naming the fill", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const broker = yield* brokerFor(fake)
      fake.positions.set("AAPL", position("AAPL", 10, 200))
      const exit = yield* broker.placeOrder(aaplExit(2))
      fake.pendingCancels.set(exit.id, { reads: 2, fillAt: 260 })
      const error = yield* Effect.flip(broker.cancelOrder(exit.id))
      assert.strictEqual(error.reason, "InvalidRequest")
      assert.include(error.message, "filled before its cancel took effect")
      assert.strictEqual((yield* broker.getOrder(exit.id)).status, "filled")
      assert.isFalse(fake.positions.has("AAPL"))
    }))

  it.live("provides Brokers for the accounts that have credentials, each with its own limiter", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca()
      const [claude, gemini, local] = yield* LiveGuard.guard([
        accountFor(fake),
        { ...accountFor(fake), id: AccountId.make("GEMINI") },
        { id: AccountId.make("COUNCIL"), mode: "PAPER" as const, settings: defaultAccountSettings }
      ])
      const layer = AlpacaBroker.layerBrokers([claude!, gemini!, local!], {
        rateLimit: { limit: 200 },
        perAccount: { GEMINI: { rateLimit: { limit: 7 } } }
      }).pipe(Layer.provide(FetchHttpClient.layer))
      yield* Effect.gen(function*() {
        const brokers = yield* Brokers
        assert.deepStrictEqual(brokers.accounts.map(String), ["CLAUDE", "GEMINI"])
        const unknown = yield* Effect.flip(brokers.get(AccountId.make("COUNCIL")))
        assert.strictEqual(unknown.reason, "UnknownAccount")
        const alpaca = yield* AlpacaBroker
        const g = yield* alpaca.get(AccountId.make("GEMINI"))
        const c = yield* alpaca.get(AccountId.make("CLAUDE"))
        assert.deepStrictEqual([g.client!.limiter.limit, c.client!.limiter.limit], [7, 200])
        assert.notStrictEqual(g.client!.limiter, c.client!.limiter)
        const broker = yield* brokers.get(AccountId.make("GEMINI"))
        const order = yield* broker.placeOrder(intent(11, { account: AccountId.make("GEMINI") }))
        assert.strictEqual(order.clientOrderId, intent(11).clientOrderId)
        assert.strictEqual(fake.requests.at(-1)?.headers["apca-api-key-id"], Redacted.value(gemini!.credentials!.keyId))
      }).pipe(Effect.provide(layer))
    }))
})

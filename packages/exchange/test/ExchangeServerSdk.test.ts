import { assert, it as plain, layer } from "@effect/vitest"
import { Effect } from "effect"
import { ApiError, AuthError, marketData, NotFoundError, OrdersApi, RateLimitError, trading, ValidationError } from "@alpacahq/alpaca-trade-api"
import { momentAt } from "@council/domain"
import { ExchangeServer } from "@council/exchange/server"
import { D2, D3 } from "./ExchangeFixture.ts"
import { keysOf, serverLayer } from "./ExchangeServerHarness.ts"

/** Alpaca's official TypeScript SDK (not part of this project), pointed at the server by base URL and keys. */
const sdk = Effect.gen(function*() {
  const server = yield* ExchangeServer
  const keys = yield* keysOf()
  return sdkWith(server.url, keys.keyId, keys.secret)
})

const sdkWith = (basePath: string, keyId: string, secret: string) => {
  const options = { basePath, keyId, secret, retry: { maxRetries: 0 } }
  const config = new trading.Configuration(options)
  return {
    account: new trading.AccountsApi(config),
    orders: new OrdersApi(config),
    positions: new trading.PositionsApi(config),
    clock: new trading.ClockApi(config),
    calendar: new trading.CalendarApi(config),
    assets: new trading.AssetsApi(config),
    stocks: new marketData.StockApi(new marketData.Configuration(options))
  }
}

const promise = <A>(f: () => Promise<A>) => Effect.promise(f)

/** The SDK's error for a call that must fail. */
const failure = <A>(f: () => Promise<A>) =>
  Effect.flatMap(Effect.flip(Effect.tryPromise({ try: f, catch: (error) => error })), (error) =>
    error instanceof ApiError ? Effect.succeed(error) : Effect.die(error))

layer(serverLayer())("ExchangeServer with @alpacahq/alpaca-trade-api 4.0.2", (it) => {
  it.effect("trades: account, market order, orders, positions, close the position, cancel", () =>
    Effect.gen(function*() {
      const api = yield* sdk
      const server = yield* ExchangeServer
      const account = yield* promise(() => api.account.getAccount())
      assert.strictEqual(account.status, "ACTIVE")
      assert.strictEqual(account.cash, "100000")

      const bought = yield* promise(() => api.orders.market({ symbol: "SPY", qty: 10, side: "buy", clientOrderId: "sdk-buy-1" }))
      assert.strictEqual(bought.clientOrderId, "sdk-buy-1")
      assert.deepStrictEqual([bought.status, bought.filledQty], ["new", "0"])
      // sent without an intent: answered with the one the position makes it, as Alpaca infers it
      assert.strictEqual(bought.positionIntent, "buy_to_open")
      yield* server.setSession(momentAt(D2, "16:00"))
      const filled = yield* promise(() => api.orders.getOrderByClientOrderId({ clientOrderId: "sdk-buy-1" }))
      assert.deepStrictEqual([filled.status, filled.filledQty], ["filled", "10"])
      assert.instanceOf(filled.filledAt, Date)

      const resting = yield* promise(() =>
        api.orders.limit({ symbol: "QQQ", qty: 5, side: "buy", limitPrice: 38.5, timeInForce: "gtc", clientOrderId: "sdk-limit-1" })
      )
      assert.strictEqual(resting.status, "new")
      const open = yield* promise(() => api.orders.getAllOrders({ status: "open" }))
      assert.deepStrictEqual(open.map((o) => o.clientOrderId), ["sdk-limit-1"])
      const all = yield* promise(() => api.orders.getAllOrders({ status: "all", direction: "asc" }))
      assert.deepStrictEqual(all.map((o) => [o.clientOrderId, o.positionIntent]), [["sdk-buy-1", "buy_to_open"], ["sdk-limit-1", "buy_to_open"]])
      const byClientId = yield* promise(() => api.orders.getOrderByClientOrderId({ clientOrderId: "sdk-limit-1" }))
      assert.strictEqual(byClientId.id, resting.id)

      const positions = yield* promise(() => api.positions.getAllOpenPositions())
      assert.deepStrictEqual(positions.map((p) => [p.symbol, p.qty, p.side]), [["SPY", "10", "long"]])
      const position = yield* promise(() => api.positions.getOpenPosition({ symbolOrAssetId: "SPY" }))
      assert.strictEqual(position.avgEntryPrice, "102.05")

      const partial = yield* promise(() => api.positions.deleteOpenPosition({ symbolOrAssetId: "SPY", qty: 4 }))
      assert.deepStrictEqual([partial.side, partial.qty, partial.status, partial.positionIntent], ["sell", "4", "accepted", "sell_to_close"])
      yield* server.setSession(momentAt(D3, "15:45"))
      const closed = yield* promise(() => api.positions.deleteOpenPosition({ symbolOrAssetId: "SPY" }))
      assert.strictEqual(closed.qty, "6")
      yield* server.setSession(momentAt(D3, "16:00"))
      assert.deepStrictEqual(yield* promise(() => api.positions.getAllOpenPositions()), [])

      yield* promise(() => api.orders.deleteOrderByOrderID({ orderId: resting.id! }))
      const canceled = yield* promise(() => api.orders.getOrderByOrderID({ orderId: resting.id! }))
      assert.deepStrictEqual([canceled.status, canceled.positionIntent], ["canceled", "buy_to_open"])
      const refused = yield* failure(() => api.orders.deleteOrderByOrderID({ orderId: resting.id! }))
      assert.instanceOf(refused, ValidationError)
      assert.deepStrictEqual([refused.status, refused.code], [422, 40010001])
      const unknown = yield* failure(() => api.orders.getOrderByClientOrderId({ clientOrderId: "nope" }))
      assert.instanceOf(unknown, NotFoundError)
      assert.strictEqual(unknown.rateLimit?.limit, 10_000)

      yield* promise(() => api.orders.limit({ symbol: "QQQ", qty: 1, side: "buy", limitPrice: 30, timeInForce: "gtc" }))
      const canceledAll = yield* promise(() => api.orders.deleteAllOrders())
      assert.strictEqual(canceledAll.length, 1)
      assert.strictEqual(canceledAll[0]?.status, 200)
    }))

  it.effect("reads the clock, calendar, assets and daily bars", () =>
    Effect.gen(function*() {
      const api = yield* sdk
      const clock = yield* promise(() => api.clock.legacyClock())
      assert.isFalse(clock.isOpen)
      const calendar = yield* promise(() =>
        api.calendar.legacyCalendar({ start: new Date("2026-08-03T00:00:00Z"), end: new Date("2026-08-05T00:00:00Z") })
      )
      assert.deepStrictEqual(calendar.map((d) => d.date), ["2026-08-03", "2026-08-04", "2026-08-05"].map((d) => new Date(d)))
      const asset = yield* promise(() => api.assets.getV2AssetsSymbolOrAssetId({ symbolOrAssetId: "QQQ" }))
      assert.strictEqual(asset.symbol, "QQQ")
      const bars = yield* promise(() =>
        api.stocks.stockBars({ symbols: "SPY,QQQ", timeframe: "1Day", start: new Date("2026-08-01T00:00:00Z"), limit: 3 })
      )
      assert.deepStrictEqual(Object.entries(bars.bars).map(([s, b]) => [s, b.length]), [["QQQ", 3]])
      assert.isString(bars.nextPageToken)
      const rest = yield* promise(() =>
        api.stocks.stockBars({ symbols: "SPY,QQQ", timeframe: "1Day", start: new Date("2026-08-01T00:00:00Z"), pageToken: bars.nextPageToken! })
      )
      assert.deepStrictEqual(rest.bars["SPY"]?.map((b) => b.c), [100, 102, 107])
      assert.strictEqual(rest.nextPageToken, null)
    }))

  it.effect("the SDK reads a wrong key pair as an AuthError", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const keys = yield* keysOf()
      const denied = yield* failure(() => sdkWith(server.url, keys.keyId, "not-the-secret").account.getAccount())
      assert.instanceOf(denied, AuthError)
      assert.deepStrictEqual([denied.status, denied.code, denied.message], [401, 40110000, "request is not authorized"])
    }))
})

plain.effect("the SDK reads an injected 429 as a RateLimitError with the rate-limit headers", () =>
  Effect.gen(function*() {
    const server = yield* ExchangeServer
    const keys = yield* keysOf()
    const api = sdkWith(server.url, keys.keyId, keys.secret)
    const limited = yield* failure(() => api.positions.getAllOpenPositions())
    assert.instanceOf(limited, RateLimitError)
    assert.strictEqual(limited.rateLimit?.remaining, 0)
  }).pipe(Effect.provide(serverLayer({ faultRate: 1, faultKinds: ["rate_limited"] }))))

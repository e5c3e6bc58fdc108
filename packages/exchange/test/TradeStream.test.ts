import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { Alpaca, OrdersApi, streaming, trading } from "@alpacahq/alpaca-trade-api"
import { momentAt } from "@council/domain"
import { ExchangeServer } from "@council/exchange/server"
import { ACCOUNT, D2, D3, D4 } from "./ExchangeFixture.ts"
import { GEMINI, type Keys, keysOf, send, serverLayer } from "./ExchangeServerHarness.ts"

/** Alpaca's SDK: its REST orders client, pointed at the server. */
const ordersOf = (url: string, keys: Keys) =>
  new OrdersApi(new trading.Configuration({ basePath: url, keyId: keys.keyId, secret: keys.secret, retry: { maxRetries: 0 } }))

const streamUrl = (url: string) => `${url.replace(/^http/, "ws")}/stream`

/** The SDK's own trade-updates client, listening, with every update it hands `onTradeUpdate` kept in order. */
const sdkListener = (url: string, keys: Keys) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const stream = new streaming.TradingStream({
        credentials: { keyId: keys.keyId, secret: keys.secret },
        url: streamUrl(url),
        reconnect: false,
        pingIntervalMs: 0
      })
      const updates: Array<streaming.TradeUpdate> = []
      const waiters: Array<() => void> = []
      stream.onTradeUpdate((update) => {
        updates.push(update)
        for (const wake of waiters.splice(0)) wake()
      })
      const subscribed = new Promise<unknown>((resolve) => stream.once(streaming.EVENT.SUBSCRIPTION, resolve))
      stream.subscribeTradeUpdates()
      stream.connect()
      const auth = await stream.whenAuthenticated()
      if (!auth.authenticated) throw new Error(`not authenticated: ${auth.message}`)
      await subscribed
      /** Resolves once `count` updates have arrived (the test's timeout guards a hang). */
      const received = (count: number) =>
        Effect.promise(() =>
          new Promise<ReadonlyArray<streaming.TradeUpdate>>((resolve) => {
            const check = () => (updates.length >= count ? resolve(updates.slice()) : waiters.push(check))
            check()
          })
        )
      return { stream, updates, received }
    }),
    ({ stream }) => Effect.sync(() => stream.disconnect())
  )

const promise = <A>(f: () => Promise<A>) => Effect.promise(f)

const summary = (u: streaming.TradeUpdate) => [u.event, u.order.clientOrderId, u.order.status]

layer(serverLayer())("exchange serve's /stream with @alpacahq/alpaca-trade-api 4.0.2's TradingStream", (it) => {
  it.effect("new then fill through the SDK: symbol, qty, price, position_qty; a cancel is canceled", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const keys = yield* keysOf()
      const listener = yield* sdkListener(server.url, keys)
      const orders = ordersOf(server.url, keys)
      const placed = yield* promise(() => orders.market({ symbol: "SPY", qty: 10, side: "buy", clientOrderId: "stream-buy-1" }))
      const [created] = yield* listener.received(1)
      assert.deepStrictEqual(summary(created!), ["new", "stream-buy-1", "new"])
      assert.deepStrictEqual([created!.order.id, created!.order.symbol, created!.order.qty, created!.order.filledQty], [placed.id, "SPY", "10", "0"])
      assert.instanceOf(created!.timestamp, Date)

      // the bar advance: the close of D2 fills the market order
      yield* server.setSession(momentAt(D2, "16:00"))
      const [, filled] = yield* listener.received(2)
      const rest = yield* promise(() => orders.getOrderByClientOrderId({ clientOrderId: "stream-buy-1" }))
      assert.deepStrictEqual(summary(filled!), ["fill", "stream-buy-1", "filled"])
      assert.deepStrictEqual([filled!.price, filled!.qty, filled!.positionQty], ["102.05", "10", "10"])
      assert.deepStrictEqual([filled!.order.filledQty, filled!.order.filledAvgPrice], [rest.filledQty, rest.filledAvgPrice])
      assert.strictEqual(typeof filled!.executionId, "string")
      assert.strictEqual(filled!.timestamp?.toISOString(), rest.filledAt?.toISOString())

      yield* server.setSession(momentAt(D3, "15:45"))
      const resting = yield* promise(() =>
        orders.limit({ symbol: "QQQ", qty: 5, side: "buy", limitPrice: 30, timeInForce: "gtc", clientOrderId: "stream-limit-1" })
      )
      yield* promise(() => orders.deleteOrderByOrderID({ orderId: resting.id! }))
      const all = yield* listener.received(4)
      assert.deepStrictEqual(all.slice(2).map(summary), [["new", "stream-limit-1", "new"], ["canceled", "stream-limit-1", "canceled"]])
      assert.instanceOf(all[3]!.order.canceledAt, Date)
      assert.strictEqual(all.length, 4)
    }))

  it.effect("submitAndWait, the SDK's place-and-wait workflow: it listens, places, and resolves with the order its fill reports", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const keys = yield* keysOf()
      // a bot moved onto the exchange: Alpaca's paper host rewritten to the server's URL, the stream given its URL
      const alpaca = new Alpaca({
        keyId: keys.keyId,
        secret: keys.secret,
        retry: false,
        fetchApi: (input, init) => fetch(String(input).replace("https://paper-api.alpaca.markets", server.url), init)
      })
      const stream = alpaca.trading.stream({ url: streamUrl(server.url), reconnect: false, pingIntervalMs: 0 })
      const routed = new Promise<void>((resolve) => stream.onTradeUpdate((u) => u.event === "new" && resolve()))
      stream.connect()
      yield* Effect.addFinalizer(() => Effect.sync(() => stream.disconnect()))
      const done = alpaca.trading.submitAndWait(
        { symbol: "QQQ", qty: "2", side: "buy", type: "market", timeInForce: "day", clientOrderId: "wait-1" },
        { stream, timeoutMs: 20_000 }
      )
      yield* promise(() => routed)
      yield* server.setSession(momentAt(D4, "16:00"))
      const order = yield* promise(() => done)
      assert.deepStrictEqual([order.clientOrderId, order.status, order.filledQty], ["wait-1", "filled", "2"])
    }))

  it.effect("a wrong secret is refused: unauthorized, and the stream never authenticates", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const keys = yield* keysOf()
      const stream = new streaming.TradingStream({
        credentials: { keyId: keys.keyId, secret: `${keys.secret}x` },
        url: streamUrl(server.url),
        reconnect: false,
        pingIntervalMs: 0
      })
      stream.connect()
      const result = yield* promise(() => stream.whenAuthenticated())
      stream.disconnect()
      assert.deepStrictEqual([result.authenticated, result.status], [false, streaming.STREAM_AUTH_STATUS.SERVER_REJECTED])
    }))
})

layer(serverLayer())("two accounts' listeners", (it) => {
  it.effect("each sees its own account's events only, fills from the session moving included", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const claude = yield* keysOf(ACCOUNT)
      const gemini = yield* keysOf(GEMINI)
      const first = yield* sdkListener(server.url, claude)
      const second = yield* sdkListener(server.url, gemini)
      yield* promise(() => ordersOf(server.url, claude).market({ symbol: "SPY", qty: 3, side: "buy", clientOrderId: "claude-1" }))
      yield* promise(() => ordersOf(server.url, gemini).market({ symbol: "SPY", qty: 7, side: "sell", clientOrderId: "gemini-1" }))
      // moved through the admin endpoint, as a client of `exchange serve` moves it
      const moved = yield* send(server.url, "POST", "/council/session", { keys: claude, body: JSON.stringify({ at: "2026-08-04T16:00:00-04:00" }) })
      assert.strictEqual(moved.status, 200)
      const mine = yield* first.received(2)
      const theirs = yield* second.received(2)
      assert.deepStrictEqual(mine.map(summary), [["new", "claude-1", "new"], ["fill", "claude-1", "filled"]])
      assert.deepStrictEqual(theirs.map(summary), [["new", "gemini-1", "new"], ["fill", "gemini-1", "filled"]])
      assert.deepStrictEqual([mine[1]!.qty, mine[1]!.positionQty], ["3", "3"])
      assert.deepStrictEqual([theirs[1]!.qty, theirs[1]!.positionQty], ["7", "-7"])
    }))

  it.effect("a resting limit order fills when a later bar reaches it; a day order expires at the close", () =>
    Effect.gen(function*() {
      const server = yield* ExchangeServer
      const keys = yield* keysOf(ACCOUNT)
      yield* server.setSession(momentAt(D3, "15:45"))
      const listener = yield* sdkListener(server.url, keys)
      const orders = ordersOf(server.url, keys)
      yield* promise(() =>
        orders.limit({ symbol: "SPY", qty: 4, side: "buy", limitPrice: 97, timeInForce: "gtc", clientOrderId: "dip-buy" })
      )
      // a day order sent before D4's open works D4's session (one sent during D3 would meet D3's close alone)
      yield* server.setSession(momentAt(D4, "09:00"))
      yield* promise(() =>
        orders.limit({ symbol: "QQQ", qty: 2, side: "buy", limitPrice: 20, timeInForce: "day", clientOrderId: "day-buy" })
      )
      yield* listener.received(2)
      // a gtc order placed during a session meets the bars after it: D4 trades down to 95, so at its close the buy at
      // 97 fills, and the day order, not filled, expires there (fills first, then the endings of the same moment)
      yield* server.setSession(momentAt(D4, "16:00"))
      const all = yield* listener.received(4)
      assert.deepStrictEqual(all.map(summary), [
        ["new", "dip-buy", "new"],
        ["new", "day-buy", "new"],
        ["fill", "dip-buy", "filled"],
        ["expired", "day-buy", "expired"]
      ])
      const bought = yield* promise(() => orders.getOrderByClientOrderId({ clientOrderId: "dip-buy" }))
      const expired = yield* promise(() => orders.getOrderByClientOrderId({ clientOrderId: "day-buy" }))
      assert.strictEqual(bought.filledAvgPrice, "97")
      assert.deepStrictEqual([all[2]!.price, all[2]!.order.filledAvgPrice], ["97", "97"])
      // the 3 shares bought in the test before, and these 4
      assert.deepStrictEqual([all[2]!.qty, all[2]!.positionQty], ["4", "7"])
      assert.strictEqual(all[3]!.timestamp?.toISOString(), expired.expiredAt?.toISOString())
      assert.strictEqual(all.length, 4)
    }))
})

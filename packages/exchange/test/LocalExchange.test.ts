import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { AccountId, type OrderIntent, Ticker } from "@council/domain"
import { Brokers } from "@council/broker"
import { LocalExchange } from "@council/exchange"
import { bracketBuy, ocoExit } from "./BracketOrders.ts"
import { ACCOUNT, closeAt, D1, D2, expectError, intent, isoAt, QQQ, SPY, withExchange } from "./ExchangeFixture.ts"

describe("LocalExchange", () => {
  it.effect("fills a market buy sent during the session at the close plus slippage, and marks the position at the close", () =>
    withExchange(({ broker, closeDay }) =>
      Effect.gen(function*() {
        const placed = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
        assert.deepStrictEqual([placed.status, placed.filledQty, placed.filledAvgPrice], ["new", 0, null])
        assert.strictEqual(placed.submittedAt, isoAt(D1, "15:45"))
        assert.match(placed.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
        assert.deepStrictEqual((yield* broker.getAccount).positions, [])
        yield* closeDay
        const order = yield* broker.getOrder(placed.id)
        assert.strictEqual(order.status, "filled")
        assert.strictEqual(order.filledQty, 10)
        assert.strictEqual(order.filledAvgPrice, 100.05)
        assert.strictEqual(order.filledAt, closeAt(D1))
        assert.deepStrictEqual(yield* broker.getAccount, {
          account: ACCOUNT,
          cash: 98999.5,
          equity: 99999.5,
          buyingPower: 98999.5,
          longMarketValue: 1000,
          shortMarketValue: 0,
          positions: [{
            symbol: SPY,
            qty: 10,
            side: "long",
            avgEntryPrice: 100.05,
            marketValue: 1000,
            currentPrice: 100,
            unrealizedPl: -0.5
          }]
        })
        assert.deepStrictEqual(Option.map(yield* broker.getPosition(SPY), (p) => p.qty), Option.some(10))
        assert.isTrue(Option.isNone(yield* broker.getPosition(QQQ)))
      })))

  it.effect("marks symbols at the session's open during it and at its close from the close on, in the order asked, leaving out a symbol without a price", () =>
    withExchange(({ closeDay, exchange, setDay }) =>
      Effect.gen(function*() {
        const XYZ = Ticker.make("XYZ")
        yield* setDay(D2)
        const during = { at: "2026-08-04T13:30:00.000Z", prices: { QQQ: 40, SPY: 101 } }
        assert.deepStrictEqual(yield* exchange.marks([QQQ, XYZ, SPY]), during)
        // again: the bars the first call read are remembered, the order is still the one asked
        assert.deepStrictEqual(Object.keys((yield* exchange.marks([SPY, XYZ, QQQ])).prices), ["SPY", "QQQ"])
        yield* closeDay
        assert.deepStrictEqual(yield* exchange.marks([SPY, XYZ, QQQ]), { at: closeAt(D2), prices: { SPY: 102, QQQ: 40 } })
        assert.deepStrictEqual(Object.keys((yield* exchange.marks([QQQ, SPY])).prices), ["QQQ", "SPY"])
        assert.deepStrictEqual(yield* exchange.marks([]), { at: closeAt(D2), prices: {} })
      })))

  it.effect("charges commissions per share with a minimum and records every fill", () =>
    withExchange(({ broker, closeDay, exchange }) =>
      Effect.gen(function*() {
        yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
        yield* broker.placeOrder(intent({ symbol: QQQ, side: "buy", qty: 200 }))
        yield* closeDay
        const fills = yield* exchange.fills(ACCOUNT)
        assert.deepStrictEqual(fills.map((f) => [f.symbol, f.qty, f.price, f.commission, f.at]), [
          ["SPY", 10, 100.05, 1, closeAt(D1)],
          ["QQQ", 200, 40.02, 2, closeAt(D1)]
        ])
        const account = yield* broker.getAccount
        assert.strictEqual(account.cash, 90992.5)
        assert.strictEqual(account.equity, 90992.5 + 1000 + 8000)
      }), { exchange: { commissionPerShare: 0.01, commissionMin: 1 } }))

  it.effect("sells a position to flat and realizes the profit in cash", () =>
    withExchange(({ broker, closeDay, setDay }) =>
      Effect.gen(function*() {
        yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
        yield* setDay(D2)
        const placed = yield* broker.placeOrder(intent({ symbol: SPY, side: "sell", qty: 10 }))
        yield* closeDay
        const sell = yield* broker.getOrder(placed.id)
        assert.strictEqual(sell.filledAvgPrice, 101.95)
        assert.strictEqual(sell.filledAt, closeAt(D2))
        const account = yield* broker.getAccount
        assert.deepStrictEqual(account.positions, [])
        assert.strictEqual(account.cash, 100019)
        assert.strictEqual(account.equity, 100019)
      })))

  it.effect("opens and covers a short when shorting is allowed; during a session it is marked at the open", () =>
    withExchange(({ broker, closeDay, setDay }) =>
      Effect.gen(function*() {
        const short = yield* broker.placeOrder(intent({ symbol: SPY, side: "sell", qty: 10 }))
        yield* closeDay
        assert.strictEqual((yield* broker.getOrder(short.id)).filledAvgPrice, 99.95)
        yield* setDay(D2)
        const account = yield* broker.getAccount
        assert.strictEqual(account.cash, 100999.5)
        assert.strictEqual(account.shortMarketValue, -1010)
        assert.strictEqual(account.equity, 99989.5)
        assert.strictEqual(account.buyingPower, 98979.5)
        assert.deepStrictEqual(account.positions, [{
          symbol: SPY,
          qty: -10,
          side: "short",
          avgEntryPrice: 99.95,
          marketValue: -1010,
          currentPrice: 101,
          unrealizedPl: -10.5
        }])
        const tooMuch = yield* Effect.flip(broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 15 })))
        expectError(tooMuch, "InsufficientQty", "insufficient qty available for order (requested: 15, available: 10)")
        const placed = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
        yield* closeDay
        const cover = yield* broker.getOrder(placed.id)
        assert.strictEqual(cover.filledAvgPrice, 102.05)
        assert.deepStrictEqual(yield* broker.getPositions, [])
        assert.strictEqual((yield* broker.getAccount).cash, 99979)
      })))

  it.effect("rejects short sales when shorting is not allowed, but still sells longs", () =>
    withExchange(({ broker, closeDay }) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(broker.placeOrder(intent({ symbol: SPY, side: "sell", qty: 1 })))
        expectError(error, "ShortingNotAllowed", "account is not allowed to short")
        yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 5 }))
        yield* closeDay
        const sell = yield* broker.placeOrder(intent({ symbol: SPY, side: "sell", qty: 5 }))
        assert.strictEqual(sell.status, "accepted")
      }), { exchange: { allowShorting: (account) => account !== ACCOUNT } }))

  it.effect("rejects flipping long to short in one order, counting shares held by open orders", () =>
    withExchange(({ broker, closeDay }) =>
      Effect.gen(function*() {
        yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
        yield* closeDay
        const flip = yield* Effect.flip(broker.placeOrder(intent({ symbol: SPY, side: "sell", qty: 15 })))
        expectError(flip, "InsufficientQty", "insufficient qty available for order (requested: 15, available: 10)")
        yield* broker.placeOrder(
          intent({ symbol: SPY, side: "sell", qty: 4, type: "limit", limitPrice: 110, timeInForce: "gtc" })
        )
        const held = yield* Effect.flip(broker.placeOrder(intent({ symbol: SPY, side: "sell", qty: 7 })))
        expectError(held, "InsufficientQty", "insufficient qty available for order (requested: 7, available: 6)")
      })))

  it.effect("rejects buys beyond buying power, counting cash reserved by resting buys", () =>
    Effect.gen(function*() {
      yield* withExchange(({ broker }) =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1000 })))
          expectError(error, "InsufficientBuyingPower", "insufficient buying power")
          yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 999 }))
          assert.strictEqual((yield* broker.getAccount).buyingPower, 50.05)
        })
      )
      yield* withExchange(({ broker }) =>
        Effect.gen(function*() {
          yield* broker.placeOrder(
            intent({ symbol: SPY, side: "buy", qty: 900, type: "limit", limitPrice: 100, timeInForce: "gtc" })
          )
          assert.strictEqual((yield* broker.getAccount).buyingPower, 10000)
          const error = yield* Effect.flip(broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 100 })))
          expectError(error, "InsufficientBuyingPower")
          const ok = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 99 }))
          assert.strictEqual(ok.status, "new")
        })
      )
    }))

  it.effect("keeps client order ids unique forever and finds orders by them", () =>
    withExchange(({ broker, closeDay }) =>
      Effect.gen(function*() {
        const first = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1, clientOrderId: "dup-1" }))
        const again = yield* Effect.flip(
          broker.placeOrder(intent({ symbol: QQQ, side: "buy", qty: 2, clientOrderId: "dup-1" }))
        )
        expectError(again, "DuplicateClientOrderId", "client_order_id must be unique")
        const resting = yield* broker.placeOrder(
          intent({ symbol: SPY, side: "buy", qty: 1, type: "limit", limitPrice: 90, clientOrderId: "dup-2" })
        )
        yield* broker.cancelOrder(resting.id)
        const afterCancel = yield* Effect.flip(
          broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1, clientOrderId: "dup-2" }))
        )
        expectError(afterCancel, "DuplicateClientOrderId")
        const found = yield* broker.getOrderByClientId("dup-1")
        assert.deepStrictEqual(Option.map(found, (o) => o.id), Option.some(first.id))
        assert.deepStrictEqual(Option.map(yield* broker.getOrderByClientId("dup-2"), (o) => o.status), Option.some("canceled"))
        assert.isTrue(Option.isNone(yield* broker.getOrderByClientId("never-sent")))
        yield* closeDay
        assert.strictEqual(yield* broker.getPositions.pipe(Effect.map((ps) => ps.length)), 1)
      })))

  it.effect("reads several orders at once as getOrder reads each, a bracket's legs as orders of their own; an id it does not hold is left out", () =>
    withExchange(({ exchange }) =>
      Effect.gen(function*() {
        const simple = yield* exchange.placeOrder(ACCOUNT, intent({ symbol: QQQ, side: "buy", qty: 3 }))
        const bracket = yield* exchange.placeOrder(
          ACCOUNT,
          bracketBuy({ takeProfit: 120, stopLoss: 80 }, { qty: 2, timeInForce: "day" })
        )
        const legs = bracket.legs.map((l) => l.id)
        assert.strictEqual(legs.length, 2)
        const ids = [bracket.id, legs[1]!, simple.id, "00000000-0000-4000-8000-000000000000", legs[0]!]
        const read = yield* exchange.getOrders(ACCOUNT, ids)
        const one = (o: { readonly id: string; readonly qty: number; readonly status: string; readonly symbol: string }) => [o.id, o.qty, o.status, o.symbol]
        assert.sameDeepMembers(read.map(one), yield* Effect.forEach([bracket.id, ...legs, simple.id], (id) => Effect.map(exchange.getOrder(ACCOUNT, id), one)))
        assert.isTrue(read.every((o) => o.legs.length === 0))
        assert.deepStrictEqual(yield* exchange.getOrders(ACCOUNT, []), [])
      })))

  it.effect("validates orders with Alpaca-like messages", () =>
    withExchange(({ broker }) =>
      Effect.gen(function*() {
        const refused = (order: OrderIntent) => Effect.flip(broker.placeOrder(order))
        const reject = (fields: Parameters<typeof intent>[0]) => refused(intent(fields))
        expectError(yield* reject({ symbol: SPY, side: "buy", qty: 0 }), "InvalidRequest", "qty must be > 0")
        expectError(
          yield* reject({ symbol: SPY, side: "buy", qty: 1, type: "limit", limitPrice: 100.123 }),
          "InvalidRequest",
          "invalid limit_price 100.123. sub-penny increment does not fulfill minimum pricing criteria"
        )
        expectError(
          yield* reject({ symbol: SPY, side: "buy", qty: 1, type: "limit" }),
          "InvalidRequest",
          "limit_price is required for limit orders"
        )
        expectError(
          yield* reject({ symbol: SPY, side: "buy", qty: 1, type: "stop_limit", limitPrice: 101 }),
          "InvalidRequest",
          "stop_price is required for stop_limit orders"
        )
        expectError(
          yield* reject({ symbol: Ticker.make("XYZ"), side: "buy", qty: 1 }),
          "InvalidRequest",
          "asset XYZ not found"
        )
        expectError(
          yield* refused(bracketBuy({ takeProfit: 100, stopLoss: 95 }, { qty: 1 })),
          "InvalidRequest",
          "take_profit.limit_price must be >= base_price + 0.01"
        )
        expectError(
          yield* refused(bracketBuy({ takeProfit: 105, stopLoss: 100 }, { qty: 1 })),
          "InvalidRequest",
          "stop_loss.stop_price must be <= base_price - 0.01"
        )
        expectError(
          yield* reject({ symbol: SPY, side: "buy", qty: 1, orderClass: "bracket", takeProfit: { limitPrice: 105 } }),
          "InvalidRequest",
          "bracket orders require take_profit and stop_loss"
        )
        expectError(
          yield* reject({ symbol: SPY, side: "buy", qty: 1.5, orderClass: "oto", stopLoss: { stopPrice: 95 } }),
          "InvalidRequest",
          "fractional orders must be simple orders"
        )
        expectError(
          yield* reject({ symbol: SPY, side: "buy", qty: 1, type: "limit", limitPrice: 99, timeInForce: "ioc" }),
          "InvalidRequest"
        )
        expectError(
          yield* reject({ symbol: SPY, side: "buy", qty: 1, account: AccountId.make("GEMINI") }),
          "InvalidRequest"
        )
        assert.deepStrictEqual(yield* broker.listOrders({ status: "all" }), [])
      })))

  describe("closing positions", () => {
    it.effect("closes part of a position after canceling the symbol's open orders, then everything; after the close they fill at the next open", () =>
      withExchange(({ broker, closeDay, setDay }) =>
        Effect.gen(function*() {
          yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
          yield* broker.placeOrder(intent({ symbol: QQQ, side: "buy", qty: 20 }))
          yield* closeDay
          const oco = yield* broker.placeOrder(ocoExit())
          expectError(
            yield* Effect.flip(broker.closePosition(SPY, { qty: 11 })),
            "InsufficientQty",
            "insufficient qty available for order (requested: 11, available: 10)"
          )
          expectError(yield* Effect.flip(broker.closePosition(SPY, { qty: 1, percentage: 10 })), "InvalidRequest")
          const half = yield* broker.closePosition(SPY, { percentage: 50 })
          assert.deepStrictEqual([half.side, half.qty, half.type, half.status, half.filledAvgPrice], [
            "sell",
            5,
            "market",
            "accepted",
            null
          ])
          assert.strictEqual((yield* broker.getOrder(oco.id)).status, "canceled")
          assert.deepStrictEqual(Option.map(yield* broker.getPosition(SPY), (p) => p.qty), Option.some(10))
          const closed = yield* broker.closeAllPositions
          assert.deepStrictEqual(closed.map((o) => [o.symbol, o.side, o.qty, o.status]), [
            ["QQQ", "sell", 20, "accepted"],
            ["SPY", "sell", 10, "accepted"]
          ])
          assert.strictEqual((yield* broker.getOrder(half.id)).status, "canceled")
          yield* setDay(D2)
          assert.deepStrictEqual((yield* broker.getOrder(closed[1]!.id)).filledAvgPrice, 100.95)
          assert.deepStrictEqual(yield* broker.getPositions, [])
          expectError(yield* Effect.flip(broker.closePosition(SPY)), "NotFound", "position does not exist")
          assert.deepStrictEqual(yield* broker.closeAllPositions, [])
        })))

    it.effect("closes a short with a buy", () =>
      withExchange(({ broker, closeDay, setDay }) =>
        Effect.gen(function*() {
          yield* broker.placeOrder(intent({ symbol: QQQ, side: "sell", qty: 20 }))
          yield* closeDay
          const placed = yield* broker.closePosition(QQQ)
          yield* setDay(D2)
          const cover = yield* broker.getOrder(placed.id)
          assert.deepStrictEqual([cover.side, cover.qty, cover.filledAvgPrice, cover.filledAt], ["buy", 20, 40.02, isoAt(D2, "09:30")])
          assert.deepStrictEqual(yield* broker.getPositions, [])
        })))
  })

  it.effect("provides Brokers for the configured accounts only, each its own ledger", () =>
    withExchange(({ exchange }) =>
      Effect.gen(function*() {
        const brokers = yield* Brokers
        assert.deepStrictEqual(brokers.accounts, [ACCOUNT, AccountId.make("GEMINI")])
        const claude = yield* brokers.get(ACCOUNT)
        const gemini = yield* brokers.get(AccountId.make("GEMINI"))
        yield* claude.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1 }))
        assert.strictEqual((yield* claude.listOrders({ status: "open" })).length, 1)
        assert.deepStrictEqual(yield* gemini.listOrders({ status: "open" }), [])
        const unknown = yield* Effect.flip(brokers.get(AccountId.make("GROQ")))
        assert.strictEqual(unknown.reason, "UnknownAccount")
      }).pipe(
        Effect.provide(
          LocalExchange.layerBrokers([ACCOUNT, AccountId.make("GEMINI")]).pipe(
            Layer.provide(Layer.succeed(LocalExchange, exchange))
          )
        )
      )))
})

import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted } from "effect"
import { AccountId, Ticker, TradingDay } from "@council/domain"
import { type Broker, type BrokerError, Brokers } from "@council/broker"
import { ExchangeSession, LocalExchange } from "@council/exchange"
import { MarketData } from "@council/market"
import {
  ACCOUNT,
  bars,
  closeAt,
  D1,
  D2,
  D3,
  D4,
  D6,
  intent,
  isoAt,
  ocoExit,
  QQQ,
  SPY,
  tempDatabase,
  withExchange
} from "./ExchangeFixture.ts"

const expectError = (error: BrokerError, reason: BrokerError["reason"], message?: string) => {
  assert.strictEqual(error.reason, reason, error.message)
  assert.strictEqual(error.account, ACCOUNT)
  if (message !== undefined) assert.strictEqual(error.message, message)
}

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
          intent({ symbol: SPY, side: "buy", qty: 2, orderClass: "bracket", takeProfit: { limitPrice: 120 }, stopLoss: { stopPrice: 80 } })
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
        const reject = (fields: Parameters<typeof intent>[0]) => Effect.flip(broker.placeOrder(intent(fields)))
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
          yield* reject({
            symbol: SPY,
            side: "buy",
            qty: 1,
            orderClass: "bracket",
            timeInForce: "gtc",
            takeProfit: { limitPrice: 100 },
            stopLoss: { stopPrice: 95 }
          }),
          "InvalidRequest",
          "take_profit.limit_price must be >= base_price + 0.01"
        )
        expectError(
          yield* reject({
            symbol: SPY,
            side: "buy",
            qty: 1,
            orderClass: "bracket",
            timeInForce: "gtc",
            takeProfit: { limitPrice: 105 },
            stopLoss: { stopPrice: 100 }
          }),
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

  describe("resting orders", () => {
    it.effect("evaluates a limit from the session after it was sent, at that session's close; a day limit then expires", () =>
      withExchange(({ broker, closeDay, setDay }) =>
        Effect.gen(function*() {
          const day = yield* broker.placeOrder(
            intent({ symbol: SPY, side: "buy", qty: 10, type: "limit", limitPrice: 95 })
          )
          const gtc = yield* broker.placeOrder(
            intent({ symbol: SPY, side: "buy", qty: 10, type: "limit", limitPrice: 95, timeInForce: "gtc" })
          )
          assert.strictEqual(day.status, "new")
          yield* setDay(D2)
          assert.strictEqual((yield* broker.getOrder(day.id)).status, "new")
          yield* closeDay
          assert.strictEqual((yield* broker.getOrder(day.id)).status, "expired")
          assert.strictEqual((yield* broker.getOrder(gtc.id)).status, "new")
          yield* setDay(D4)
          assert.strictEqual((yield* broker.getOrder(gtc.id)).status, "new")
          yield* closeDay
          const filled = yield* broker.getOrder(gtc.id)
          assert.strictEqual(filled.status, "filled")
          assert.strictEqual(filled.filledAvgPrice, 95)
          assert.strictEqual(filled.filledAt, closeAt(D4))
        })))

    it.effect("processes every session skipped since the last call, in order", () =>
      withExchange(({ broker, exchange, setDay }) =>
        Effect.gen(function*() {
          const day = yield* broker.placeOrder(
            intent({ symbol: SPY, side: "buy", qty: 10, type: "limit", limitPrice: 95 })
          )
          const stop = yield* broker.placeOrder(
            intent({ symbol: SPY, side: "buy", qty: 10, type: "stop", stopPrice: 104, timeInForce: "gtc" })
          )
          yield* setDay(D4)
          const expired = yield* exchange.getOrder(ACCOUNT, day.id)
          assert.strictEqual(expired.status, "expired")
          assert.strictEqual(expired.expiredAt, closeAt(D2))
          const filled = yield* broker.getOrder(stop.id)
          assert.strictEqual(filled.filledAvgPrice, 104.05)
          assert.strictEqual(filled.filledAt, closeAt(D3))
        })))

    it.effect("cancels an open order once; unknown ids are not found", () =>
      withExchange(({ broker }) =>
        Effect.gen(function*() {
          const order = yield* broker.placeOrder(
            intent({ symbol: SPY, side: "buy", qty: 1, type: "limit", limitPrice: 90, timeInForce: "gtc" })
          )
          yield* broker.cancelOrder(order.id)
          assert.strictEqual((yield* broker.getOrder(order.id)).status, "canceled")
          expectError(yield* Effect.flip(broker.cancelOrder(order.id)), "InvalidRequest")
          expectError(yield* Effect.flip(broker.cancelOrder("no-such-order")), "NotFound", "order not found")
          expectError(yield* Effect.flip(broker.getOrder("no-such-order")), "NotFound", "order not found")
        })))

    it.effect("cancels every open order and counts top-level orders", () =>
      withExchange(({ broker, closeDay }) =>
        Effect.gen(function*() {
          yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1 }))
          yield* closeDay
          yield* broker.placeOrder(
            intent({ symbol: SPY, side: "buy", qty: 1, type: "limit", limitPrice: 90, timeInForce: "gtc" })
          )
          yield* broker.placeOrder(intent({
            symbol: QQQ,
            side: "buy",
            qty: 1,
            type: "limit",
            limitPrice: 30,
            timeInForce: "gtc",
            orderClass: "bracket",
            takeProfit: { limitPrice: 60 },
            stopLoss: { stopPrice: 20 }
          }))
          assert.strictEqual(yield* broker.cancelAllOrders, 2)
          assert.deepStrictEqual(yield* broker.listOrders({ status: "open" }), [])
          assert.strictEqual(yield* broker.cancelAllOrders, 0)
          const all = yield* broker.listOrders({ status: "all" })
          assert.deepStrictEqual(all.map((o) => o.status), ["canceled", "canceled", "filled"])
          assert.deepStrictEqual(all[0]!.legs.map((l) => l.status), ["canceled", "canceled"])
        })))
  })

  describe("order classes", () => {
    it.effect("bracket: the take-profit fills on a later session and cancels the stop-loss", () =>
      withExchange(({ broker, closeDay, setDay }) =>
        Effect.gen(function*() {
          const placed = yield* broker.placeOrder(intent({
            symbol: SPY,
            side: "buy",
            qty: 10,
            timeInForce: "gtc",
            orderClass: "bracket",
            takeProfit: { limitPrice: 105 },
            stopLoss: { stopPrice: 95 }
          }))
          assert.deepStrictEqual([placed.status, ...placed.legs.map((l) => l.status)], ["new", "held", "held"])
          yield* closeDay
          const order = yield* broker.getOrder(placed.id)
          assert.strictEqual(order.status, "filled")
          assert.deepStrictEqual(order.legs.map((l) => [l.side, l.type, l.limitPrice, l.stopPrice, l.status]), [
            ["sell", "limit", 105, null, "new"],
            ["sell", "stop", null, 95, "new"]
          ])
          yield* setDay(D2)
          yield* closeDay
          assert.deepStrictEqual((yield* broker.getOrder(order.id)).legs.map((l) => l.status), ["new", "new"])
          yield* setDay(D3)
          yield* closeDay
          const done = yield* broker.getOrder(order.id)
          assert.deepStrictEqual(done.legs.map((l) => [l.status, l.filledAvgPrice]), [["filled", 105], ["canceled", null]])
          const account = yield* broker.getAccount
          assert.deepStrictEqual(account.positions, [])
          assert.strictEqual(account.cash, 100049.5)
        })))

    it.effect("bracket: the stop-loss fills at the stop less slippage and cancels the take-profit", () =>
      withExchange(({ broker, closeDay, setDay }) =>
        Effect.gen(function*() {
          const order = yield* broker.placeOrder(intent({
            symbol: SPY,
            side: "buy",
            qty: 10,
            timeInForce: "gtc",
            orderClass: "bracket",
            takeProfit: { limitPrice: 110 },
            stopLoss: { stopPrice: 98 }
          }))
          yield* setDay(D3)
          yield* closeDay
          assert.deepStrictEqual((yield* broker.getOrder(order.id)).legs.map((l) => l.status), ["new", "new"])
          yield* setDay(D4)
          yield* closeDay
          const done = yield* broker.getOrder(order.id)
          assert.deepStrictEqual(done.legs.map((l) => [l.status, l.filledAvgPrice, l.filledAt]), [
            ["canceled", null, null],
            ["filled", 97.95, closeAt(D4)]
          ])
          assert.strictEqual((yield* broker.getAccount).cash, 99979)
        })))

    it.effect("bracket: when one bar reaches both exits, the stop-loss is assumed first", () =>
      withExchange(({ broker, closeDay, setDay }) =>
        Effect.gen(function*() {
          const placed = yield* broker.placeOrder(intent({
            symbol: SPY,
            side: "buy",
            qty: 10,
            timeInForce: "gtc",
            orderClass: "bracket",
            takeProfit: { limitPrice: 108 },
            stopLoss: { stopPrice: 96 }
          }))
          yield* closeDay
          const order = yield* broker.getOrder(placed.id)
          assert.strictEqual(order.filledAvgPrice, 107.05)
          yield* setDay(D4)
          yield* closeDay
          const done = yield* broker.getOrder(order.id)
          assert.deepStrictEqual(done.legs.map((l) => [l.type, l.status, l.filledAvgPrice]), [
            ["limit", "canceled", null],
            ["stop", "filled", 95.95]
          ])
        }), { start: D3 }))

    it.effect("bracket: legs are held until the entry fills and work from the next session", () =>
      withExchange(({ broker, closeDay, setDay }) =>
        Effect.gen(function*() {
          const order = yield* broker.placeOrder(intent({
            symbol: SPY,
            side: "buy",
            qty: 10,
            type: "limit",
            limitPrice: 101.5,
            timeInForce: "gtc",
            orderClass: "bracket",
            // D4 (open 107, high 108, low 95) touches both legs after its open: the stop is taken as hit first
            takeProfit: { limitPrice: 107.5 },
            stopLoss: { stopPrice: 97 }
          }))
          assert.strictEqual(order.status, "new")
          assert.deepStrictEqual(order.legs.map((l) => l.status), ["held", "held"])
          yield* setDay(D3)
          assert.strictEqual((yield* broker.getOrder(order.id)).status, "new")
          yield* closeDay
          const entered = yield* broker.getOrder(order.id)
          assert.strictEqual(entered.status, "filled")
          assert.strictEqual(entered.filledAvgPrice, 101.5)
          assert.deepStrictEqual(entered.legs.map((l) => l.status), ["new", "new"])
          assert.deepStrictEqual(Option.map(yield* broker.getPosition(SPY), (p) => p.qty), Option.some(10))
          yield* setDay(D4)
          yield* closeDay
          const done = yield* broker.getOrder(order.id)
          assert.deepStrictEqual(done.legs.map((l) => [l.status, l.filledAvgPrice]), [["canceled", null], ["filled", 96.95]])
        }), { start: D2 }))

    it.effect("bracket: canceling the parent cancels its legs; a canceled entry never activates them", () =>
      withExchange(({ broker, setDay }) =>
        Effect.gen(function*() {
          const order = yield* broker.placeOrder(intent({
            symbol: SPY,
            side: "buy",
            qty: 10,
            type: "limit",
            limitPrice: 96,
            timeInForce: "gtc",
            orderClass: "bracket",
            takeProfit: { limitPrice: 110 },
            stopLoss: { stopPrice: 90 }
          }))
          yield* broker.cancelOrder(order.id)
          yield* setDay(D4)
          const canceled = yield* broker.getOrder(order.id)
          assert.deepStrictEqual([canceled.status, ...canceled.legs.map((l) => l.status)], [
            "canceled",
            "canceled",
            "canceled"
          ])
          assert.deepStrictEqual(yield* broker.getPositions, [])
        })))

    it.effect("oco: an exit-only pair; the take-profit fills and cancels the stop", () =>
      withExchange(({ broker, closeDay, setDay }) =>
        Effect.gen(function*() {
          const noPosition = yield* Effect.flip(broker.placeOrder(ocoExit()))
          expectError(noPosition, "InsufficientQty")
          yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
          yield* closeDay
          const oco = yield* broker.placeOrder(ocoExit())
          assert.deepStrictEqual([oco.type, oco.limitPrice, oco.status], ["limit", 105, "new"])
          assert.deepStrictEqual(oco.legs.map((l) => [l.type, l.stopPrice, l.status]), [["stop", 95, "new"]])
          yield* setDay(D3)
          yield* closeDay
          const done = yield* broker.getOrder(oco.id)
          assert.deepStrictEqual([done.status, done.filledAvgPrice, done.legs[0]!.status], ["filled", 105, "canceled"])
          assert.deepStrictEqual(yield* broker.getPositions, [])
        })))

    it.effect("oco: canceling the stop leg cancels the take-profit too", () =>
      withExchange(({ broker, closeDay }) =>
        Effect.gen(function*() {
          yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
          yield* closeDay
          const oco = yield* broker.placeOrder(ocoExit())
          yield* broker.cancelOrder(oco.legs[0]!.id)
          const canceled = yield* broker.getOrder(oco.id)
          assert.deepStrictEqual([canceled.status, canceled.legs[0]!.status], ["canceled", "canceled"])
        })))

    it.effect("oto: an entry with one stop-loss leg", () =>
      withExchange(({ broker, closeDay, setDay }) =>
        Effect.gen(function*() {
          const order = yield* broker.placeOrder(intent({
            symbol: SPY,
            side: "buy",
            qty: 10,
            timeInForce: "gtc",
            orderClass: "oto",
            stopLoss: { stopPrice: 98 }
          }))
          assert.deepStrictEqual(order.legs.map((l) => [l.type, l.status]), [["stop", "held"]])
          yield* closeDay
          assert.deepStrictEqual((yield* broker.getOrder(order.id)).legs.map((l) => [l.type, l.status]), [["stop", "new"]])
          yield* setDay(D4)
          yield* closeDay
          assert.strictEqual((yield* broker.getOrder(order.id)).legs[0]!.filledAvgPrice, 97.95)
          assert.deepStrictEqual(yield* broker.getPositions, [])
        })))
  })

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

  describe("listing orders", () => {
    it.effect("filters by status, symbols, submission time, direction and limit", () =>
      withExchange(({ broker, closeDay, exchange, setDay }) =>
        Effect.gen(function*() {
          const a = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
          const b = yield* broker.placeOrder(
            intent({ symbol: QQQ, side: "buy", qty: 10, type: "limit", limitPrice: 30, timeInForce: "gtc" })
          )
          yield* setDay(D2)
          const c = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1, type: "limit", limitPrice: 90 }))
          const d = yield* broker.placeOrder(intent({ symbol: QQQ, side: "buy", qty: 5 }))
          yield* setDay(D3)
          const e = yield* broker.placeOrder(intent({
            symbol: SPY,
            side: "buy",
            qty: 1,
            timeInForce: "gtc",
            orderClass: "bracket",
            takeProfit: { limitPrice: 120 },
            stopLoss: { stopPrice: 80 }
          }))
          yield* closeDay
          const ids = (orders: ReadonlyArray<{ readonly id: string }>) => orders.map((o) => o.id)
          assert.deepStrictEqual(ids(yield* broker.listOrders({ status: "open" })), [e.id, b.id])
          assert.deepStrictEqual(ids(yield* broker.listOrders({ status: "closed" })), [d.id, c.id, a.id])
          assert.deepStrictEqual(ids(yield* broker.listOrders({ status: "all" })), [e.id, d.id, c.id, b.id, a.id])
          assert.deepStrictEqual(
            ids(yield* broker.listOrders({ status: "all", direction: "asc" })),
            [a.id, b.id, c.id, d.id, e.id]
          )
          assert.deepStrictEqual(ids(yield* broker.listOrders({ status: "all", limit: 2 })), [e.id, d.id])
          assert.deepStrictEqual(ids(yield* broker.listOrders({ status: "all", symbols: [QQQ] })), [d.id, b.id])
          assert.deepStrictEqual(
            ids(yield* broker.listOrders({ status: "all", after: closeAt(D1) })),
            [e.id, d.id, c.id]
          )
          assert.deepStrictEqual(ids(yield* broker.listOrders({ status: "all", after: "2026-08-04" })), [e.id, d.id, c.id])
          assert.deepStrictEqual(
            ids(yield* broker.listOrders({ status: "all", until: isoAt(D3, "15:45") })),
            [d.id, c.id, b.id, a.id]
          )
          assert.strictEqual((yield* broker.getOrder(c.id)).status, "expired")
          assert.deepStrictEqual(
            ids(yield* exchange.listOrders(ACCOUNT, { status: "open", nested: false })),
            [e.legs[1]!.id, e.legs[0]!.id, b.id]
          )
          expectError(yield* Effect.flip(broker.listOrders({ status: "all", limit: 501 })), "InvalidRequest")
          expectError(yield* Effect.flip(broker.listOrders({ status: "all", after: "yesterday-ish" })), "InvalidRequest")
        })))
  })

  describe("sessions and persistence", () => {
    it.effect("keeps the ledger across rebuilds on the same file: positions and resting orders carry over", () =>
      Effect.gen(function*() {
        const filename = tempDatabase()
        const keyId = yield* withExchange(({ broker, exchange }) =>
          Effect.gen(function*() {
            yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
            yield* broker.placeOrder(
              intent({ symbol: SPY, side: "buy", qty: 5, type: "limit", limitPrice: 101, timeInForce: "gtc" })
            )
            return (yield* exchange.account(ACCOUNT)).keyId
          }), { filename })
        const atD2 = { filename, start: D2, time: "16:00" }
        yield* withExchange(({ broker, exchange }) =>
          Effect.gen(function*() {
            const position = yield* broker.getPosition(SPY)
            assert.deepStrictEqual(Option.map(position, (p) => [p.qty, p.avgEntryPrice]), Option.some([15, 100.366667]))
            assert.strictEqual((yield* exchange.account(ACCOUNT)).keyId, keyId)
            assert.strictEqual((yield* broker.getAccount).cash, 100000 - 1000.5 - 505)
          }), atD2)
        const rewind = yield* Effect.flip(withExchange(({ broker }) => broker.getAccount, { filename, start: D1 }))
        assert.strictEqual(rewind._tag, "BrokerError")
        if (rewind._tag === "BrokerError") {
          expectError(
            rewind,
            "InvalidRequest",
            "the local exchange is at 2026-08-04 (after the close); cannot trade 2026-08-03 (during the session)"
          )
        }
      }))

    it.effect("two exchanges on one file see each other's writes, though each keeps what it read in memory", () =>
      Effect.gen(function*() {
        const filename = tempDatabase()
        const other = <A, E>(body: (broker: Broker) => Effect.Effect<A, E>) =>
          withExchange(({ broker }) => body(broker), { filename })
        yield* withExchange(({ broker }) =>
          Effect.gen(function*() {
            const before = yield* broker.getAccount
            assert.deepStrictEqual(yield* broker.listOrders({ status: "open" }), [])
            const placed = yield* other((b) => b.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 })))
            assert.deepStrictEqual((yield* broker.listOrders({ status: "open" })).map((o) => o.id), [placed.id])
            assert.isBelow((yield* broker.getAccount).buyingPower, before.buyingPower)
            yield* other((b) => b.cancelOrder(placed.id))
            assert.deepStrictEqual(yield* broker.listOrders({ status: "open" }), [])
            assert.strictEqual((yield* broker.getAccount).buyingPower, before.buyingPower)
            // and what this one writes, the other sees
            const mine = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 3 }))
            assert.deepStrictEqual((yield* other((b) => b.listOrders({ status: "open" }))).map((o) => o.id), [mine.id])
          }), { filename })
      }))

    it.effect("reads arriving together at a new moment bring the account there once and all see the same state", () =>
      withExchange(({ broker, closeDay }) =>
        Effect.gen(function*() {
          yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
          yield* closeDay
          const reads = yield* Effect.all(
            Array.from({ length: 8 }, (_, i) =>
              i % 2 === 0
                ? Effect.map(broker.getAccount, (a) => a.positions.map((p) => [p.symbol, p.qty]))
                : Effect.map(broker.listFills({}), (fills) => fills.map((f) => [f.symbol, f.qty]))),
            { concurrency: "unbounded" }
          )
          assert.deepStrictEqual(reads, Array.from({ length: 8 }, () => [[SPY, 10]]))
          assert.strictEqual((yield* broker.listFills({})).length, 1)
        })))

    it.effect("rejects a moment before the account's; on a day without a session the market is closed and orders queue", () =>
      withExchange(({ broker, closeDay, setDay }) =>
        Effect.gen(function*() {
          // an account holds its moment once it has had an order (one only looked at holds none)
          yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1 }))
          yield* closeDay
          yield* broker.getAccount
          yield* setDay(D3)
          expectError(
            yield* Effect.flip(broker.getAccount),
            "InvalidRequest",
            "the local exchange is at 2026-08-05 (after the close); cannot trade 2026-08-05 (during the session)"
          )
          yield* setDay(TradingDay.make("2026-08-08"))
          const saturday = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1 }))
          assert.strictEqual(saturday.status, "accepted")
          assert.isFalse((yield* broker.getClock).isOpen)
          yield* setDay(D6)
          assert.strictEqual((yield* broker.getOrder(saturday.id)).filledAvgPrice, 91.05)
        }), { start: D3 }))

    it.effect("an account only looked at holds no moment: an earlier one may trade it, and then it holds its own", () =>
      withExchange(({ broker, closeDay, exchange, setDay }) =>
        Effect.gen(function*() {
          yield* setDay(D3)
          yield* closeDay
          assert.strictEqual((yield* broker.getAccount).cash, 100000)
          assert.isFalse((yield* exchange.account(ACCOUNT)).traded)
          yield* setDay(D1)
          const placed = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
          assert.strictEqual(placed.status, "new")
          const held = yield* exchange.account(ACCOUNT)
          assert.deepStrictEqual([held.traded, held.point], [true, { session: D1, phase: "open" }])
          yield* setDay(D3)
          yield* closeDay
          yield* broker.getAccount
          yield* setDay(D1)
          expectError(
            yield* Effect.flip(broker.getAccount),
            "InvalidRequest",
            "the local exchange is at 2026-08-05 (after the close); cannot trade 2026-08-03 (during the session)"
          )
        })))

    it.effect("layerLatest puts the exchange after the close of the feed's last session", () =>
      Effect.gen(function*() {
        const session = yield* ExchangeSession
        assert.deepStrictEqual(yield* session.current, { day: D6, seconds: 16 * 3600 })
      }).pipe(Effect.provide(ExchangeSession.layerLatest.pipe(Layer.provide(MarketData.layerTest(bars))))))

    it.effect("creates accounts lazily with a generated key pair that can be looked up", () =>
      withExchange(({ exchange }) =>
        Effect.gen(function*() {
          assert.deepStrictEqual(yield* exchange.keys, [])
          const claude = yield* exchange.account(ACCOUNT)
          const gemini = yield* exchange.account(AccountId.make("GEMINI"))
          assert.match(claude.keyId, /^PK[A-Z0-9]{18}$/)
          assert.match(Redacted.value(claude.secretKey), /^[A-Za-z0-9]{40}$/)
          assert.notStrictEqual(claude.keyId, gemini.keyId)
          assert.strictEqual(claude.lastSession, D1)
          assert.deepStrictEqual((yield* exchange.keys).map((k) => k.account), ["CLAUDE", "GEMINI"])
          const found = yield* exchange.accountByKeyId(gemini.keyId)
          assert.deepStrictEqual(Option.map(found, (a) => a.account), Option.some(AccountId.make("GEMINI")))
          assert.isTrue(Option.isNone(yield* exchange.accountByKeyId("PKNOTAKEY")))
          assert.strictEqual((yield* exchange.snapshot(AccountId.make("GEMINI"))).cash, 100000)
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

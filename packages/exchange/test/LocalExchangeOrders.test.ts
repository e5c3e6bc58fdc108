import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { bracketBuy, ocoExit } from "./BracketOrders.ts"
import { ACCOUNT, closeAt, D1, D2, D3, D4, expectError, intent, isoAt, QQQ, SPY, withExchange } from "./ExchangeFixture.ts"

describe("LocalExchange", () => {
  describe("resting orders", () => {
    it.effect("evaluates a gtc limit from the session after it was sent, at that session's close; a day limit sent during the session expires at its close", () =>
      withExchange(({ broker, closeDay, setDay }) =>
        Effect.gen(function*() {
          const day = yield* broker.placeOrder(
            intent({ symbol: SPY, side: "buy", qty: 10, type: "limit", limitPrice: 95 })
          )
          const gtc = yield* broker.placeOrder(
            intent({ symbol: SPY, side: "buy", qty: 10, type: "limit", limitPrice: 95, timeInForce: "gtc" })
          )
          assert.strictEqual(day.status, "new")
          yield* closeDay
          // sent at 15:45 of D1, it met D1's close (100, above its limit) alone: expired there, never on D2's bar
          const expired = yield* broker.getOrder(day.id)
          assert.deepStrictEqual([expired.status, expired.updatedAt], ["expired", closeAt(D1)])
          yield* setDay(D2)
          yield* closeDay
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
          // a day limit sent during D1 expires at D1's close
          assert.strictEqual(expired.expiredAt, closeAt(D1))
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
          yield* broker.placeOrder(bracketBuy({ takeProfit: 60, stopLoss: 20 }, { symbol: QQQ, qty: 1, type: "limit", limitPrice: 30 }))
          assert.strictEqual(yield* broker.cancelAllOrders, 2)
          assert.deepStrictEqual(yield* broker.listOrders({ status: "open" }), [])
          assert.strictEqual(yield* broker.cancelAllOrders, 0)
          const all = yield* broker.listOrders({ status: "all" })
          assert.deepStrictEqual(all.map((o) => o.status), ["canceled", "canceled", "filled"])
          assert.deepStrictEqual(all[0]!.legs.map((l) => l.status), ["canceled", "canceled"])
        })))
  })

  describe("order classes", () => {
    it.effect("a listing brings each listed parent's legs, in either direction and cut by its limit, as the order's own read does", () =>
      withExchange(({ broker }) =>
        Effect.gen(function*() {
          const a = yield* broker.placeOrder(bracketBuy({ takeProfit: 60, stopLoss: 20 }, { symbol: QQQ, qty: 1, type: "limit", limitPrice: 30 }))
          const b = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1, type: "limit", limitPrice: 90, timeInForce: "gtc" }))
          const c = yield* broker.placeOrder(bracketBuy({ takeProfit: 61, stopLoss: 21 }, { symbol: QQQ, qty: 2, type: "limit", limitPrice: 31 }))
          yield* broker.cancelOrder(a.id)
          const asRead = (ids: ReadonlyArray<string>) => Effect.forEach(ids, (id) => broker.getOrder(id))
          const check = (listed: ReadonlyArray<{ readonly id: string }>, ids: ReadonlyArray<string>) =>
            Effect.gen(function*() {
              assert.deepStrictEqual(listed.map((o) => o.id), ids)
              assert.deepStrictEqual(listed, yield* asRead(ids))
            })
          yield* check(yield* broker.listOrders({ status: "all" }), [c.id, b.id, a.id])
          yield* check(yield* broker.listOrders({ status: "all", direction: "asc" }), [a.id, b.id, c.id])
          yield* check(yield* broker.listOrders({ status: "all", limit: 2 }), [c.id, b.id])
          yield* check(yield* broker.listOrders({ status: "all", direction: "asc", limit: 1 }), [a.id])
          yield* check(yield* broker.listOrders({ status: "open" }), [c.id, b.id])
          yield* check(yield* broker.listOrders({ status: "closed" }), [a.id])
          const [listedC, , listedA] = yield* broker.listOrders({ status: "all" })
          assert.deepStrictEqual(listedC!.legs.map((l) => [l.status, l.limitPrice ?? l.stopPrice]), [["held", 61], ["held", 21]])
          assert.deepStrictEqual(listedA!.legs.map((l) => l.status), ["canceled", "canceled"])
        })))

    it.effect("bracket: the take-profit fills on a later session and cancels the stop-loss", () =>
      withExchange(({ broker, closeDay, setDay }) =>
        Effect.gen(function*() {
          const placed = yield* broker.placeOrder(bracketBuy({ takeProfit: 105, stopLoss: 95 }))
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
          const order = yield* broker.placeOrder(bracketBuy({ takeProfit: 110, stopLoss: 98 }))
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
          const placed = yield* broker.placeOrder(bracketBuy({ takeProfit: 108, stopLoss: 96 }))
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
          // D4 (open 107, high 108, low 95) touches both legs after its open: the stop is taken as hit first
          const order = yield* broker.placeOrder(bracketBuy({ takeProfit: 107.5, stopLoss: 97 }, { type: "limit", limitPrice: 101.5 }))
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
          const order = yield* broker.placeOrder(bracketBuy({ takeProfit: 110, stopLoss: 90 }, { type: "limit", limitPrice: 96 }))
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
          const e = yield* broker.placeOrder(bracketBuy({ takeProfit: 120, stopLoss: 80 }, { qty: 1 }))
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
})

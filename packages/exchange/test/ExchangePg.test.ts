import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { Database } from "@council/store"
import { PgServer } from "../../store/test/PgServer.ts"
import { ocoExit } from "./BracketOrders.ts"
import { ACCOUNT, closeAt, D1, D2, D3, D4, intent, SPY, withExchange } from "./ExchangeFixture.ts"

layer(PgServer.layer, { timeout: 60_000 })("LocalExchange on PostgreSQL", (it) => {
  it.effect("an OCO pair on a position: the take-profit fills and cancels its stop; fills read back by account and session", () =>
    Effect.gen(function*() {
      const url = yield* PgServer.use((pg) => pg.createDatabase)
      yield* withExchange(({ broker, closeDay, exchange, setDay }) =>
        Effect.gen(function*() {
          const entry = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
          yield* closeDay
          const oco = yield* broker.placeOrder(ocoExit())
          // D3's high (108) reaches the take-profit: the pair is one exit group, so the stop is canceled
          yield* setDay(D3)
          yield* closeDay
          const done = yield* broker.getOrder(oco.id)
          assert.deepStrictEqual([done.status, done.filledAvgPrice, done.legs.map((l) => l.status)], ["filled", 105, ["canceled"]])
          const fills = yield* exchange.fills(ACCOUNT)
          assert.deepStrictEqual(fills.map((f) => [f.side, f.at]), [["buy", closeAt(D1)], ["sell", closeAt(D3)]])
          assert.deepStrictEqual((yield* exchange.fills(ACCOUNT, D3)).map((f) => f.orderId), [oco.id])
          assert.deepStrictEqual(yield* broker.getPositions, [])
          // nested listings read each order with its legs in one statement
          const families = (orders: ReadonlyArray<{ readonly id: string; readonly status: string; readonly legs: ReadonlyArray<{ readonly status: string }> }>) =>
            orders.map((o) => [o.id === oco.id ? "oco" : "entry", o.status, o.legs.map((l) => l.status)])
          assert.deepStrictEqual(families(yield* broker.listOrders({ status: "all" })), [["oco", "filled", ["canceled"]], ["entry", "filled", []]])
          assert.deepStrictEqual(families(yield* broker.listOrders({ status: "closed", direction: "asc", symbols: [SPY] })), [["entry", "filled", []], ["oco", "filled", ["canceled"]]])
          assert.deepStrictEqual(families(yield* broker.listOrders({ status: "all", after: entry.submittedAt })), [["oco", "filled", ["canceled"]]])
          assert.deepStrictEqual(yield* broker.listOrders({ status: "open" }), [])
        }), { database: Database.layerPg(url) })
    }))

  it.effect("a notional sell and a trailing stop (migrations 0050, 0051): held, trailed and filled as on SQLite", () =>
    Effect.gen(function*() {
      const url = yield* PgServer.use((pg) => pg.createDatabase)
      yield* withExchange(({ broker, closeDay, exchange, setDay }) =>
        Effect.gen(function*() {
          yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
          yield* closeDay
          // D2 during the session: SPY's latest price is D2's open, 101
          yield* setDay(D2)
          const notional = yield* exchange.placeOrder(ACCOUNT, {
            account: ACCOUNT, symbol: SPY, side: "sell", notional: 200, type: "market", timeInForce: "day", orderClass: "simple",
            clientOrderId: "pg-notional", reason: "test"
          })
          const trailing = yield* broker.placeOrder(intent({ symbol: SPY, side: "sell", qty: 5, type: "trailing_stop", timeInForce: "gtc", trailPrice: 2 }))
          assert.deepStrictEqual([trailing.hwm, trailing.stopPrice], [101, 99])
          // 200 / (101 − 5 bps = 100.95) → 1.981178801 held by the notional sell, 5 by the stop
          const [position] = yield* exchange.positions(ACCOUNT)
          assert.strictEqual(position?.qtyAvailable, 3.018821199)
          yield* closeDay
          // D2's close 102 − 5 bps = 101.95: 200 / 101.95 → 1.961745953
          const sold = yield* broker.getOrder(notional.id)
          assert.deepStrictEqual([sold.status, sold.filledQty, sold.filledAvgPrice, sold.notional], ["filled", 1.961745953, 101.95, 200])
          // D3 (o102 h108 l101): the low stays above the stop the open left (100); the mark moves to the high, 108
          yield* setDay(D3)
          yield* closeDay
          const trailed = yield* broker.getOrder(trailing.id)
          assert.deepStrictEqual([trailed.status, trailed.hwm, trailed.stopPrice], ["new", 108, 106])
          // D4 (o107 l95): the low reaches 106; it fills there less 5 bps, 105.947 → 105.95
          yield* setDay(D4)
          yield* closeDay
          const stopped = yield* broker.getOrder(trailing.id)
          assert.deepStrictEqual([stopped.status, stopped.filledQty, stopped.filledAvgPrice], ["filled", 5, 105.95])
          assert.deepStrictEqual((yield* broker.getPositions).map((p) => p.qty), [3.038254047])
        }), { database: Database.layerPg(url) })
    }))
})

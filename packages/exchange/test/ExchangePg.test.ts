import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { Database } from "@council/store"
import { PgServer } from "../../store/test/PgServer.ts"
import { ocoExit } from "./BracketOrders.ts"
import { ACCOUNT, closeAt, D1, D3, intent, SPY, withExchange } from "./ExchangeFixture.ts"

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
})

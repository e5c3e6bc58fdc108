import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import { OPEN_STATUSES } from "@council/domain"
import { NodeSqliteClient } from "@council/store"
import { migrations } from "../../store/src/migrations/index.ts"
import { ACCOUNT, closeAt, D1, D2, D3, isoAt, SPY, tempDatabase, withExchange } from "./ExchangeFixture.ts"

const migrate = (upTo: string) =>
  Migrator.make({})({
    loader: Migrator.fromRecord(Object.fromEntries(Object.entries(migrations).filter(([key]) => key < upTo)))
  })

describe("exchange tables, migrations 0010, 0013, 0050 and 0051", () => {
  it.effect("an exchange written before 0010 (reason and created_at columns, full indexes) reads back after it", () =>
    Effect.gen(function*() {
      const filename = tempDatabase()
      const submitted = isoAt(D1, "15:45")
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* migrate("0010")
        yield* sql`INSERT INTO exchange_accounts (id, uuid, api_key_id, api_secret, cash, created_at, last_session, phase)
          VALUES (${ACCOUNT}, 'u-1', 'PKOLD00000000000000A', 'secret', 100000, ${submitted}, ${D1}, 'open')`
        const order = (id: string, status: string, parent: string | null, type: string, limit: number | null) =>
          sql`INSERT INTO exchange_orders (id, account, client_order_id, parent_id, exit_group, position_effect, symbol,
            side, qty, type, time_in_force, limit_price, stop_price, order_class, status, session, active_after,
            created_at, updated_at, submitted_at, reason)
            VALUES (${id}, ${ACCOUNT}, ${`c-${id}`}, ${parent}, ${parent ?? id}, ${parent === null ? "open" : "close"},
            ${SPY}, ${parent === null ? "buy" : "sell"}, 10, ${type}, 'gtc', ${limit}, ${null},
            ${parent === null ? "oto" : "simple"}, ${status}, ${D1}, ${status === "held" ? null : D1},
            ${submitted}, ${submitted}, ${submitted}, 'an old reason')`
        yield* order("p-1", "new", null, "limit", 101)
        yield* order("l-1", "held", "p-1", "limit", 120)
        yield* migrate("9999")
        const indexes = yield* sql<{ readonly name: string; readonly sql: string }>`SELECT name, sql FROM sqlite_master
          WHERE type = 'index' AND name = 'exchange_orders_open'`
        // the exchange's open-orders queries carry this very term: it must stay the open statuses, in their order
        assert.include(indexes[0]?.sql ?? "", `status IN (${[...OPEN_STATUSES].map((s) => `'${s}'`).join(", ")})`)
        const columns = yield* sql<{ readonly name: string }>`SELECT name FROM pragma_table_info('exchange_orders')`
        assert.notInclude(columns.map((c) => c.name), "reason")
        assert.notInclude(columns.map((c) => c.name), "created_at")
      }).pipe(Effect.provide(Layer.fresh(NodeSqliteClient.layer({ filename }))))

      yield* withExchange(({ broker, exchange }) =>
        Effect.gen(function*() {
          const [open] = yield* broker.listOrders({ status: "open" })
          assert.deepStrictEqual([open?.id, open?.legs.map((l) => [l.id, l.status])], ["p-1", [["l-1", "held"]]])
          const [listed] = yield* exchange.listOrders(ACCOUNT, { status: "open" })
          assert.strictEqual(listed?.createdAt, submitted)
        }), { filename })
      yield* withExchange(({ broker, exchange }) =>
        Effect.gen(function*() {
          // the limit at 101 fills on D2's bar (low 100) and its leg starts working
          const fills = yield* exchange.fills(ACCOUNT, D2)
          assert.deepStrictEqual(fills.map((f) => [f.orderId, f.price]), [["p-1", 101]])
          assert.deepStrictEqual(yield* exchange.fills(ACCOUNT, D1), [])
          const [after] = yield* broker.listOrders({ status: "open" })
          assert.deepStrictEqual(after?.legs.map((l) => l.status), ["new"])
        }), { filename, start: D2, time: "16:00" })
    }))

  it.effect("an exchange written before 0013 (fills keyed by id, orders naming themselves as exit group) reads and trades on", () =>
    Effect.gen(function*() {
      const filename = tempDatabase()
      const filledAt = closeAt(D1)
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* migrate("0013")
        yield* sql`INSERT INTO exchange_accounts (id, uuid, api_key_id, api_secret, cash, created_at, last_session, phase)
          VALUES (${ACCOUNT}, 'u-1', 'PKOLD00000000000000A', 'secret', 99000, ${isoAt(D1, "15:45")}, ${D1}, 'closed')`
        yield* sql`INSERT INTO exchange_positions (account, symbol, qty, avg_entry_price) VALUES (${ACCOUNT}, ${SPY}, 10, 100)`
        const order = (id: string, fields: { parent: string | null; side: string; type: string; status: string; limit?: number; stop?: number }) =>
          sql`INSERT INTO exchange_orders (id, account, client_order_id, parent_id, exit_group, position_effect, symbol, side, qty,
            type, time_in_force, limit_price, stop_price, order_class, status, filled_qty, filled_avg_price, session, active_after,
            updated_at, submitted_at, filled_at)
            VALUES (${id}, ${ACCOUNT}, ${`c-${id}`}, ${fields.parent}, ${fields.parent ?? id}, ${fields.side === "buy" ? "open" : "close"},
            ${SPY}, ${fields.side}, 10, ${fields.type}, ${fields.status === "filled" ? "day" : "gtc"}, ${fields.limit ?? null},
            ${fields.stop ?? null}, ${fields.status === "filled" ? "simple" : "oco"}, ${fields.status}, ${fields.status === "filled" ? 10 : 0},
            ${fields.status === "filled" ? 100 : null}, ${D1}, ${D1}, ${filledAt}, ${isoAt(D1, "15:45")},
            ${fields.status === "filled" ? filledAt : null})`
        yield* order("b-1", { parent: null, side: "buy", type: "market", status: "filled" })
        yield* order("p-2", { parent: null, side: "sell", type: "limit", status: "new", limit: 105 })
        yield* order("l-2", { parent: "p-2", side: "sell", type: "stop", status: "new", stop: 95 })
        yield* sql`INSERT INTO exchange_fills (id, order_id, account, symbol, side, qty, price, commission, session, filled_at)
          VALUES ('fill-1', 'b-1', ${ACCOUNT}, ${SPY}, 'buy', 10, 100, 0, ${D1}, ${filledAt})`
        yield* migrate("9999")
        const lean = yield* sql<{ readonly sql: string }>`SELECT sql FROM sqlite_master WHERE name = 'exchange_fills'`
        assert.include(lean[0]?.sql ?? "", "WITHOUT ROWID")
      }).pipe(Effect.provide(Layer.fresh(NodeSqliteClient.layer({ filename }))))

      // D2 (high 103) leaves the pair working; D3 (high 108) fills the take-profit at 105, which cancels its stop
      yield* withExchange(({ broker, exchange }) =>
        Effect.gen(function*() {
          assert.deepStrictEqual((yield* exchange.fills(ACCOUNT, D1)).map((f) => [f.id, f.orderId, f.clientOrderId, f.price]), [["fill-1", "b-1", "c-b-1", 100]])
          const fills = yield* exchange.fills(ACCOUNT)
          assert.deepStrictEqual(fills.map((f) => [f.orderId, f.price, f.at]), [["b-1", 100, filledAt], ["p-2", 105, closeAt(D3)]])
          const pair = yield* broker.getOrder("p-2")
          assert.deepStrictEqual([pair.status, pair.legs.map((l) => [l.id, l.status])], ["filled", [["l-2", "canceled"]]])
          assert.deepStrictEqual(yield* broker.getPositions, [])
        }), { filename, start: D3, time: "16:00" })
    }))

  it.effect("an exchange written before 0050 and 0051 (no notional, trail or mark columns) reads its orders as before and takes notional orders", () =>
    Effect.gen(function*() {
      const filename = tempDatabase()
      const submitted = isoAt(D1, "15:45")
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* migrate("0050")
        yield* sql`INSERT INTO exchange_accounts (id, uuid, api_key_id, api_secret, cash, created_at, last_session, phase)
          VALUES (${ACCOUNT}, 'u-1', 'PKOLD00000000000000A', 'secret', 100000, ${submitted}, ${D1}, 'open')`
        yield* sql`INSERT INTO exchange_orders (id, account, client_order_id, parent_id, exit_group, position_effect, symbol,
          side, qty, type, time_in_force, limit_price, stop_price, order_class, status, session, active_after,
          updated_at, submitted_at)
          VALUES ('o-1', ${ACCOUNT}, 'c-o-1', ${null}, '', 'open', ${SPY}, 'buy', 10, 'limit', 'gtc', 90, ${null},
          'simple', 'new', ${D1}, ${D1}, ${submitted}, ${submitted})`
        yield* migrate("9999")
        for (const table of ["exchange_orders", "ledger_orders"]) {
          const columns = yield* sql<{ readonly name: string }>`SELECT name FROM pragma_table_info(${table})`
          for (const column of ["notional", "trail_price", "trail_percent", "hwm"]) assert.include(columns.map((c) => c.name), column, table)
        }
      }).pipe(Effect.provide(Layer.fresh(NodeSqliteClient.layer({ filename }))))

      yield* withExchange(({ broker, exchange }) =>
        Effect.gen(function*() {
          const old = yield* broker.getOrder("o-1")
          assert.deepStrictEqual([old.qty, old.status, "notional" in old, "trailPrice" in old, "hwm" in old], [10, "new", false, false, false])
          const placed = yield* exchange.placeOrder(ACCOUNT, {
            account: ACCOUNT,
            symbol: SPY,
            side: "buy",
            notional: 204.1,
            type: "market",
            timeInForce: "day",
            orderClass: "simple",
            clientOrderId: "after-0050",
            reason: "test"
          })
          assert.deepStrictEqual([placed.notional, placed.qty, placed.status], [204.1, 0, "new"])
        }), { filename, start: D2 })
      yield* withExchange(({ broker }) =>
        Effect.gen(function*() {
          // placed during D2's session: D2's close 102 + 5 bps = 102.051 → 102.05; 204.1 / 102.05 = 2 shares exactly
          const filled = Option.getOrThrow(yield* broker.getOrderByClientId("after-0050"))
          assert.deepStrictEqual([filled.notional, filled.qty, filled.filledQty, filled.filledAvgPrice, filled.status], [204.1, 2, 2, 102.05, "filled"])
        }), { filename, start: D2, time: "16:00" })
    }))
})

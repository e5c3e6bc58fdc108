import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import { OPEN_STATUSES } from "@council/domain"
import { NodeSqliteClient } from "@council/store"
import { migrations } from "../../store/src/migrations/index.ts"
import { ACCOUNT, D1, D2, isoAt, SPY, tempDatabase, withExchange } from "./ExchangeFixture.ts"

const migrate = (upTo: string) =>
  Migrator.make({})({
    loader: Migrator.fromRecord(Object.fromEntries(Object.entries(migrations).filter(([key]) => key < upTo)))
  })

describe("exchange tables, migration 0010", () => {
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
})

import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Migrator from "effect/sql/Migrator"
import * as SqlClient from "effect/sql/SqlClient"
import { OPEN_STATUSES } from "@council/domain"
import { Database, NodeSqliteClient } from "@council/store"
import { migrations } from "../../store/src/migrations/index.ts"
import { BookId, liveBook, type Reconciliation, TradeLedger } from "@council/tracking"
import * as PgClient from "@effect/sql-pg/PgClient"
import { PgServer } from "../../store/test/PgServer.ts"
import { ACCOUNTS, simulate } from "./fixtures/SimulatedBook.ts"
import { FROM, ledgerOn, tempDb, withMarket } from "./LedgerFixture.ts"
import { lendOrderColumns, returnOrderColumns, upgradedAcross } from "./LedgerUpgrade.ts"

describe("TradeLedger on SQLite", () => {
  it.effect("a ledger written before migrations 0010, 0012 and 0014 reads back as a new one does, and takes more sessions alike", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const sim = yield* simulate(market, liveBook, FROM, 12)
        const stale = sim.days[0]!.orders.filter((o) => o.parentId !== null)
        const [early, late] = [sim.days.slice(0, 6), sim.days.slice(6)]
        const reads = Effect.gen(function*() {
          const ledger = yield* TradeLedger
          return yield* Effect.all([
            ledger.equity({ book: liveBook }),
            ledger.orders({ book: liveBook }),
            ledger.fills({ book: liveBook }),
            ledger.cursors(liveBook, ACCOUNTS)
          ])
        })
        const written = Effect.gen(function*() {
          const ledger = yield* TradeLedger
          for (const day of [...sim.days, { ...sim.days[0]!, orders: stale }]) yield* ledger.record(day)
          return yield* reads
        })
        const expected = yield* Effect.provide(written, ledgerOn(Database.layerSqlite(tempDb())))

        const old = Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const upTo = (last: string) => Object.fromEntries(Object.entries(migrations).filter(([key]) => key <= last))
          yield* Migrator.make({})({ loader: Migrator.fromRecord(upTo("0009")) })
          for (const day of early) yield* recordAsBefore0012(day)
          yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations) })
          const ledger = yield* TradeLedger
          for (const day of [...late, { ...sim.days[0]!, orders: stale }]) yield* ledger.record(day)
          const lean = yield* sql<{ readonly name: string }>`SELECT name FROM sqlite_master
            WHERE type = 'table' AND name LIKE 'ledger_%' AND sql LIKE '%WITHOUT ROWID' ORDER BY name`
          assert.deepStrictEqual(lean.map((t) => t.name), ["ledger_equity", "ledger_fills", "ledger_marks", "ledger_order_events", "ledger_orders"])
          // the open-orders query carries the partial index's predicate word for word (`INDEXED BY` fails otherwise;
          // the cursors' query names it: since 0032 the planner would rather walk the table's key, see `cursors`)
          const plan = yield* sql.unsafe<{ readonly detail: string }>(`EXPLAIN QUERY PLAN SELECT order_id FROM ledger_orders INDEXED BY ledger_orders_open
            WHERE book = 'live' AND account = 'A' AND status IN (${[...OPEN_STATUSES].map((s) => `'${s}'`).join(", ")})`)
          assert.include(plan.map((p) => p.detail).join(" "), "ledger_orders_open")
          // a cursor's latest top-level order: the partial index of top-level orders by submission (0012)
          const latest = yield* sql.unsafe<{ readonly detail: string }>(`EXPLAIN QUERY PLAN SELECT submitted_at FROM ledger_orders
            WHERE book = 'live' AND account = 'A' AND parent_order_id IS NULL ORDER BY submitted_at DESC LIMIT 1`)
          assert.include(latest.map((p) => p.detail).join(" "), "ledger_orders_submitted")
          const lastFill = yield* sql.unsafe<{ readonly detail: string }>(`EXPLAIN QUERY PLAN SELECT at FROM ledger_fills
            WHERE book = 'live' AND account = 'A' ORDER BY at DESC LIMIT 1`)
          assert.include(lastFill.map((p) => p.detail).join(" "), "ledger_fills_at")
          return yield* reads
        })
        const migrated = yield* Effect.provide(old, TradeLedger.layer.pipe(Layer.provideMerge(NodeSqliteClient.layer({ filename: tempDb() })), Layer.orDie))
        assert.isAbove(expected[1].length, 0)
        assert.isTrue(expected[1].some((o) => o.legs.some((l) => l.history.length > 1)), "some leg has a history")
        assert.deepStrictEqual(migrated, expected)
      })))

  it.effect("a ledger written before migration 0015 reads back as a new one does, and takes more sessions alike, its keys rebuilt or not", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const sim = yield* simulate(market, liveBook, FROM, 12)
        const [early, late] = [sim.days.slice(0, 6), sim.days.slice(6)]
        const reads = Effect.gen(function*() {
          const ledger = yield* TradeLedger
          return yield* Effect.all([
            ledger.equity({ book: liveBook }),
            ledger.equity({ book: liveBook, account: ACCOUNTS[1]!, from: sim.days[3]!.snapshots[0]!.session, to: sim.days[8]!.snapshots[0]!.session }),
            ledger.orders({ book: liveBook }),
            ledger.fills({ book: liveBook }),
            ledger.fills({ book: liveBook, account: ACCOUNTS[0]!, from: sim.days[2]!.snapshots[0]!.session }),
            ledger.cursors(liveBook, ACCOUNTS)
          ])
        })
        const record = (days: typeof sim.days) => TradeLedger.use((ledger) => Effect.forEach(days, ledger.record, { discard: true }))
        const expected = yield* Effect.provide(Effect.andThen(record(sim.days), reads), ledgerOn(Database.layerSqlite(tempDb())))
        const keysOf = Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const tables = yield* sql<{ readonly name: string; readonly sql: string }>`SELECT name, sql FROM sqlite_master
            WHERE name IN ('ledger_equity', 'ledger_fills') ORDER BY name`
          return tables.map((t) => /PRIMARY KEY \(([^)]*)\)/.exec(t.sql)?.[1])
        })
        const upTo = (last: string) => Object.fromEntries(Object.entries(migrations).filter(([key]) => key <= last))
        /** Written by this code on a database migrated with `before`, then migrated with every migration. */
        const writtenAfter = (before: typeof migrations) =>
          Effect.gen(function*() {
            yield* Migrator.make({})({ loader: Migrator.fromRecord(before) })
            // this code writes the snapshot's moment (0022), reads a book's key (0031) and writes the order columns
            // of 0050 and 0051: the columns are lent for the old schema's writes, then dropped, so the rows are what
            // the code before 0022 wrote (no moment)
            const sql = yield* SqlClient.SqlClient
            yield* lendOrderColumns(sql)
            yield* sql.unsafe(`ALTER TABLE ledger_equity ADD COLUMN marked_at TEXT`)
            yield* sql.unsafe(`ALTER TABLE ledger_books ADD COLUMN short_id TEXT`)
            yield* sql.unsafe(`UPDATE ledger_books SET short_id = id`)
            yield* Effect.provide(record(early), TradeLedger.layer)
            yield* sql.unsafe(`ALTER TABLE ledger_equity DROP COLUMN marked_at`)
            yield* sql.unsafe(`ALTER TABLE ledger_books DROP COLUMN short_id`)
            yield* returnOrderColumns(sql)
            yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations) })
            yield* Effect.provide(record(late), TradeLedger.layer)
            return { reads: yield* Effect.provide(reads, TradeLedger.layer), keys: yield* keysOf }
          }).pipe(Effect.provide(NodeSqliteClient.layer({ filename: tempDb() })))
        // a database of the code before 0015: rebuilt by it
        const rebuilt = yield* writtenAfter(upTo("0014"))
        assert.deepStrictEqual(rebuilt.keys, ["book, session, account", "book, fill_id, account"])
        assert.deepStrictEqual(rebuilt.reads, expected)
        // a database already past 0015's number (0021 ran): the migrator skips 0015, the old keys stay and serve alike
        const without0015 = Object.fromEntries(Object.entries(upTo("0021_~")).filter(([key]) => key !== "0015_ledger_session_keys"))
        const kept = yield* writtenAfter(without0015)
        assert.deepStrictEqual(kept.keys, ["book, account, session", "book, account, fill_id"])
        assert.deepStrictEqual(kept.reads, expected)
        assert.isAbove(expected[3].length, 0)
        assert.deepStrictEqual(expected[1].map((e) => e.account), Array(6).fill(ACCOUNTS[1]))
      })))
})

/** What `TradeLedger.record` wrote before migration 0012: every (status, filled qty) an event, positions as objects. */
const recordAsBefore0012 = (r: Reconciliation) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    for (const o of r.orders) {
      const row = {
        book: r.book, account: o.account, order_id: o.id, client_order_id: o.clientOrderId, parent_order_id: o.parentId,
        symbol: o.symbol, side: o.side, qty: o.qty, type: o.type, time_in_force: o.timeInForce, limit_price: o.limitPrice,
        stop_price: o.stopPrice, order_class: o.orderClass, status: o.status, filled_qty: o.filledQty,
        filled_avg_price: o.filledAvgPrice, submitted_at: o.submittedAt, filled_at: o.filledAt, updated_at: o.updatedAt
      }
      yield* sql`INSERT INTO ledger_orders ${sql.insert(row)} ON CONFLICT (book, account, order_id) DO UPDATE SET
        status = excluded.status, filled_qty = excluded.filled_qty, filled_avg_price = excluded.filled_avg_price,
        filled_at = excluded.filled_at, updated_at = excluded.updated_at WHERE excluded.updated_at >= ledger_orders.updated_at`
      yield* sql`INSERT INTO ledger_order_events ${
        sql.insert({ book: r.book, account: o.account, order_id: o.id, status: o.status, filled_qty: o.filledQty, at: o.updatedAt })
      } ON CONFLICT (book, account, order_id, status, filled_qty) DO NOTHING`
    }
    for (const f of r.fills) {
      yield* sql`INSERT INTO ledger_fills ${
        sql.insert({ book: r.book, account: f.account, fill_id: f.id, order_id: f.orderId, symbol: f.symbol, side: f.side, qty: f.qty, price: f.price, commission: f.commission, session: f.session, at: f.at })
      } ON CONFLICT (book, account, fill_id) DO NOTHING`
    }
    for (const e of r.snapshots) {
      yield* sql`INSERT INTO ledger_equity ${
        sql.insert({
          book: r.book, account: e.account, session: e.session, cash: e.cash, equity: e.equity, long_market_value: e.longMarketValue,
          short_market_value: e.shortMarketValue, positions: JSON.stringify(e.positions), taken_at: e.takenAt
        })
      } ON CONFLICT (book, account, session) DO NOTHING`
    }
  })

/**
 * Migration 0031 (`upgradedAcross`): a ledger written before it (a live book and a backtest's, their rows naming the
 * book by its id) reads back as one written since, and takes more sessions alike; a book created after it is keyed
 * `~1` in its rows, and deleting a book still deletes its rows.
 */
const upgradedAcross0031 = (client: () => Layer.Layer<SqlClient.SqlClient, unknown>) =>
  upgradedAcross(client, {
    migration: "0031",
    writeOld: ({ createBacktest, early, record }) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        // this code reads a book's key and writes the order columns of 0050 and 0051: the columns are lent for the old
        // schema's writes, every book keyed by its id (the rows are then what the code before 0031 wrote), and
        // dropped again
        yield* sql.unsafe(`ALTER TABLE ledger_books ADD COLUMN short_id TEXT`)
        yield* lendOrderColumns(sql)
        yield* Effect.provide(createBacktest, TradeLedger.layer)
        yield* sql.unsafe(`UPDATE ledger_books SET short_id = id`)
        yield* Effect.provide(record(early), TradeLedger.layer)
        yield* sql.unsafe(`ALTER TABLE ledger_books DROP COLUMN short_id`)
        yield* returnOrderColumns(sql)
      }),
    checkUpgraded: ({ backtest, late, record }) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        const booksOfRows = (table: string) => sql.unsafe<{ readonly book: string }>(`SELECT DISTINCT book FROM ${table} ORDER BY book`)
        // the books written before keep their rows as they were; a book created now is keyed `~1`
        assert.deepStrictEqual((yield* booksOfRows("ledger_equity")).map((r) => r.book), [backtest, liveBook])
        const later = BookId.make("bt-later")
        yield* Effect.provide(TradeLedger.use((ledger) => ledger.createBook({ id: later, label: "later", from: FROM, to: FROM, params: {} })), TradeLedger.layer)
        yield* Effect.provide(record(late.filter((day) => day.book === backtest).map((day) => ({ ...day, book: later }))), TradeLedger.layer)
        for (const table of ["ledger_orders", "ledger_fills", "ledger_equity", "ledger_marks"]) {
          assert.deepStrictEqual((yield* booksOfRows(table)).map((r) => r.book), [backtest, liveBook, "~1"], table)
        }
        const [laterEquity, laterOrders] = yield* Effect.provide(
          TradeLedger.use((ledger) => Effect.all([ledger.equity({ book: later }), ledger.orders({ book: later })])),
          TradeLedger.layer
        )
        assert.strictEqual(laterEquity.length, 6 * 6)
        assert.isAbove(laterOrders.length, 0)
        yield* sql.unsafe(`DELETE FROM ledger_books WHERE id = 'bt-later'`)
        assert.deepStrictEqual((yield* booksOfRows("ledger_orders")).map((r) => r.book), [backtest, liveBook])
      })
  })

describe("TradeLedger on SQLite, migration 0031", () => {
  it.effect("a ledger written before migration 0031 reads back as a new one does, takes more sessions alike, and new books are keyed short", () =>
    Effect.suspend(() => {
      const filename = tempDb()
      return upgradedAcross0031(() => NodeSqliteClient.layer({ filename }))
    }))
})

layer(PgServer.layer, { timeout: 60_000 })("TradeLedger on PostgreSQL", (it) => {
  it.effect("a ledger written before migration 0031 reads back as a new one does, takes more sessions alike, and new books are keyed short", () =>
    Effect.flatMap(PgServer.use((pg) => pg.createDatabase), (url) => upgradedAcross0031(() => PgClient.layer({ url }))), 60_000)
})

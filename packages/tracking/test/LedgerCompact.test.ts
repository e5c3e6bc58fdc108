import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Migrator from "effect/sql/Migrator"
import * as SqlClient from "effect/sql/SqlClient"
import { NodeSqliteClient } from "@council/store"
import { Database } from "@council/store"
import { migrations } from "../../store/src/migrations/index.ts"
import { BookId, liveBook, type Reconciliation, TradeLedger } from "@council/tracking"
import * as PgClient from "@effect/sql-pg/PgClient"
import { PgServer } from "../../store/test/PgServer.ts"
import { momentOf, storedMoment } from "../src/LedgerMoments.ts"
import { ACCOUNTS, simulate } from "./fixtures/SimulatedBook.ts"
import { FROM, ledgerOn, tempDb, withMarket } from "./LedgerFixture.ts"

/** Each ledger table's moment columns. */
const MOMENT_COLUMNS = {
  ledger_orders: ["submitted_at", "filled_at", "updated_at", "status_at"],
  ledger_order_events: ["at"],
  ledger_fills: ["at"],
  ledger_equity: ["taken_at", "marked_at"],
  ledger_marks: ["marked_at"]
} as const

/** Every stored moment of the ledger's tables. */
const storedMoments = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const out: Array<string> = []
  for (const [table, columns] of Object.entries(MOMENT_COLUMNS)) {
    for (const column of columns) {
      const rows = yield* sql.unsafe<{ readonly m: string | null }>(`SELECT ${column} AS m FROM ${table}`)
      for (const row of rows) if (row.m !== null) out.push(row.m)
    }
  }
  return out
})

describe("LedgerMoments", () => {
  it("stores a whole second without its .000Z and reads it back as it was; other moments as they are", () => {
    assert.strictEqual(storedMoment("2007-05-09T20:00:00.000Z"), "2007-05-09T20:00:00")
    assert.strictEqual(momentOf("2007-05-09T20:00:00"), "2007-05-09T20:00:00.000Z")
    for (const moment of ["2007-05-09T20:00:00.250Z", "2021-03-16T18:38:01.942282Z", "2024-01-02T09:30:00-05:00", "not a moment", "2007-05-09T20:00:00.000Z"]) {
      assert.strictEqual(momentOf(storedMoment(moment)), moment, moment)
    }
    // rows written before 0032 read back as they are
    assert.strictEqual(momentOf("2007-05-09T20:00:00.000Z"), "2007-05-09T20:00:00.000Z")
    assert.strictEqual(storedMoment(null), null)
  })

  it("stored moments sort as the moments they stand for", () => {
    const moments = [
      "2007-05-09T20:00:00.000Z", "2007-05-09T20:00:00.001Z", "2007-05-09T20:00:00.999Z", "2007-05-09T20:00:01.000Z",
      "2007-05-09T19:59:59.999Z", "2007-05-09T19:59:59.000Z", "2007-05-10T00:00:00.000Z", "2007-05-09T20:00:00.5Z"
    ]
    const byTime = [...moments].sort((a, b) => Date.parse(a) - Date.parse(b) || (a < b ? -1 : 1))
    const byStoredText = moments.map(storedMoment).sort()
    assert.deepStrictEqual(byStoredText.map(momentOf), byTime)
  })
})

/**
 * Migration 0032 on a database (`client`'s, not migrated yet; a new connection after the upgrade): a ledger written
 * before it (every moment with its `.000Z`) reads back as one written since and takes more sessions alike; after it
 * no stored moment ends in `.000Z`, and on SQLite `ledger_orders` is a `WITHOUT ROWID` table.
 */
const upgradedAcross0032 = (client: () => Layer.Layer<SqlClient.SqlClient, unknown>) =>
  withMarket((market) =>
    Effect.gen(function*() {
      const backtest = BookId.make("bt-2024-01-02-2024-01-31-0a1b2c")
      const days = (yield* Effect.forEach([liveBook, backtest], (book) => simulate(market, book, FROM, 12))).flatMap((sim) =>
        sim.days.map((day, i): Reconciliation => {
          const session = day.snapshots[0]!.session
          return { ...day, marks: [{ session, markedAt: `${session}T14:30:00.000Z`, prices: { SPY: 470 + i, TLT: 90 - i / 4 } }] }
        }))
      const [early, late] = [days.filter((_, i) => i % 12 < 6), days.filter((_, i) => i % 12 >= 6)]
      const record = (batch: ReadonlyArray<Reconciliation>) => TradeLedger.use((ledger) => Effect.forEach(batch, ledger.record, { discard: true }))
      const createBacktest = TradeLedger.use((ledger) =>
        ledger.createBook({ id: backtest, label: "January", from: FROM, to: days.at(-1)!.snapshots[0]!.session, params: {} }))
      const reads = TradeLedger.use((ledger) =>
        Effect.all(
          [liveBook, backtest].flatMap((book) => [
            ledger.equity({ book }),
            ledger.series({ book, account: ACCOUNTS[2]!, from: days[3]!.snapshots[0]!.session }),
            ledger.orders({ book }),
            ledger.fills({ book }),
            ledger.marks({ book }),
            ledger.cursors(book, ACCOUNTS)
          ])
        ))
      const expected = yield* Effect.provide(
        Effect.andThen(Effect.andThen(createBacktest, record(days)), reads),
        ledgerOn(Database.layerSqlite(tempDb()))
      )

      const old = Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* Migrator.make({})({ loader: Migrator.fromRecord(Object.fromEntries(Object.entries(migrations).filter(([key]) => key < "0032"))) })
        yield* Effect.provide(Effect.andThen(createBacktest, record(early)), TradeLedger.layer)
        // the code before 0032 stored every moment as `toISOString` writes it: the rows are given their `.000Z` back
        for (const [table, columns] of Object.entries(MOMENT_COLUMNS)) {
          for (const column of columns) {
            yield* sql.unsafe(`UPDATE ${table} SET ${column} = ${column} || '.000Z' WHERE length(${column}) = 19`)
          }
        }
        const before = yield* storedMoments
        assert.isAbove(before.length, 100)
        assert.isTrue(before.every((m) => !/T\d\d:\d\d:\d\d$/.test(m)))
      })
      yield* Effect.provide(old, Layer.orDie(client()))
      const upgraded = Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations) })
        yield* Effect.provide(record(late), TradeLedger.layer)
        const read = yield* Effect.provide(reads, TradeLedger.layer)
        const after = yield* storedMoments
        assert.deepStrictEqual(after.filter((m) => m.endsWith(".000Z")), [])
        assert.isAbove(after.filter((m) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(m)).length, 100)
        const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
        if (!pg) {
          const [orders] = yield* sql<{ readonly sql: string }>`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ledger_orders'`
          assert.match(orders!.sql, /WITHOUT ROWID\s*$/)
          const indexes = yield* sql<{ readonly name: string }>`SELECT name FROM sqlite_master
            WHERE type = 'index' AND tbl_name = 'ledger_orders' AND sql IS NOT NULL ORDER BY name`
          assert.deepStrictEqual(indexes.map((i) => i.name), ["ledger_orders_open", "ledger_orders_submitted"])
        }
        return read
      })
      const migrated = yield* Effect.provide(upgraded, Layer.orDie(client()))
      for (const read of expected) assert.isAbove(read.length, 0)
      assert.deepStrictEqual(migrated, expected)
    }))

describe("TradeLedger on SQLite, migration 0032", () => {
  it.effect("a ledger written before migration 0032 reads back as a new one does and takes more sessions alike; whole seconds are stored short", () =>
    Effect.suspend(() => {
      const filename = tempDb()
      return upgradedAcross0032(() => NodeSqliteClient.layer({ filename }))
    }))
})

layer(PgServer.layer, { timeout: 60_000 })("TradeLedger on PostgreSQL, migration 0032", (it) => {
  it.effect("a ledger written before migration 0032 reads back as a new one does and takes more sessions alike; whole seconds are stored short", () =>
    Effect.flatMap(PgServer.use((pg) => pg.createDatabase), (url) => upgradedAcross0032(() => PgClient.layer({ url }))), 60_000)
})

import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as SqlClient from "effect/sql/SqlClient"
import { NodeSqliteClient } from "@council/store"
import { TradeLedger } from "@council/tracking"
import * as PgClient from "@effect/sql-pg/PgClient"
import { PgServer } from "../../store/test/PgServer.ts"
import { momentOf, storedMoment } from "../src/LedgerMoments.ts"
import { tempDb } from "./LedgerFixture.ts"
import { lendOrderColumns, returnOrderColumns, upgradedAcross } from "./LedgerUpgrade.ts"

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
 * Migration 0032 (`upgradedAcross`): a ledger written before it (every moment with its `.000Z`) reads back as one
 * written since and takes more sessions alike; after it no stored moment ends in `.000Z`, and on SQLite
 * `ledger_orders` is a `WITHOUT ROWID` table.
 */
const upgradedAcross0032 = (client: () => Layer.Layer<SqlClient.SqlClient, unknown>) =>
  upgradedAcross(client, {
    migration: "0032",
    writeOld: ({ createBacktest, early, record }) =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        // this code writes the order columns of 0050 and 0051: they are lent for the old schema's writes, then dropped
        yield* lendOrderColumns(sql)
        yield* Effect.provide(Effect.andThen(createBacktest, record(early)), TradeLedger.layer)
        yield* returnOrderColumns(sql)
        // the code before 0032 stored every moment as `toISOString` writes it: the rows are given their `.000Z` back
        for (const [table, columns] of Object.entries(MOMENT_COLUMNS)) {
          for (const column of columns) {
            yield* sql.unsafe(`UPDATE ${table} SET ${column} = ${column} || '.000Z' WHERE length(${column}) = 19`)
          }
        }
        const before = yield* storedMoments
        assert.isAbove(before.length, 100)
        assert.isTrue(before.every((m) => !/T\d\d:\d\d:\d\d$/.test(m)))
      }),
    checkUpgraded: () =>
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
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
      })
  })

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

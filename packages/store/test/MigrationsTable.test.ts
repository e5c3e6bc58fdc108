import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import { Reactivity } from "effect/reactivity"
import { PgClient } from "@effect/sql-pg"
import { RunStore } from "@council/engine"
import { Database, MigrationsTable, NodeSqliteClient, SqlRunStore } from "@council/store"
import { migrations } from "../src/migrations/index.ts"
import { PgServer } from "./PgServer.ts"
import { failureOf, mkRun, tempFile } from "./StoreFixture.ts"

const migrationIds = Object.keys(migrations).map((key) => Number(key.slice(0, key.indexOf("_"))))

/** The migrations an older version (round 20: up to 0022) had, and its migrator: the default table's name. */
const olderMigrations = Object.fromEntries(Object.entries(migrations).filter(([key]) => key < "0023"))
const olderMigrator = Migrator.make({})({ loader: Migrator.fromRecord(olderMigrations) })

const storeOn = (database: Layer.Layer<SqlClient.SqlClient, Database.DatabaseError>) =>
  SqlRunStore.layer.pipe(Layer.provideMerge(database))

/** What a version of `checks` sees on one database: the runs, the record of migrations, what it found there. */
const recordOf = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const runs = yield* RunStore.use((store) => store.listRuns({ limit: 10 }))
  const applied = yield* sql<{ readonly id: number }>`SELECT migration_id AS id FROM ${sql(MigrationsTable.TABLE)} ORDER BY migration_id`
  return { runs: runs.map((r) => String(r.id)), applied: applied.map((m) => Number(m.id)) }
})

/** The checks of an upgrade from an older version and of a downgrade back to it, on the database `raw` opens. */
const upgradeAndBack = (raw: Layer.Layer<SqlClient.SqlClient, unknown>, current: Layer.Layer<SqlClient.SqlClient, Database.DatabaseError>) =>
  Effect.gen(function*() {
    // the older version made the database
    const older = yield* olderMigrator.pipe(Effect.provide(raw))
    assert.deepStrictEqual(older.map(([id]) => id), migrationIds.filter((id) => id <= 22))
    // this version upgrades it: every migration recorded once, the older version's record kept
    const first = yield* recordOf.pipe(Effect.provide(storeOn(current)))
    assert.deepStrictEqual(first.applied, migrationIds)
    yield* RunStore.use((store) => store.createRun(mkRun("newer"))).pipe(Effect.provide(storeOn(current)))
    const again = yield* recordOf.pipe(Effect.provide(storeOn(current)))
    assert.deepStrictEqual(again.applied, migrationIds)
    assert.include(again.runs, "newer")
    // the older version opens it again: its migrator stops at its first read, saying why, and writes nothing
    const refused = failureOf(yield* Effect.exit(olderMigrator.pipe(Effect.provide(raw))))
    assert.include(refusalText(refused), MigrationsTable.NEWER_DATABASE)
    const after = yield* recordOf.pipe(Effect.provide(storeOn(current)))
    assert.deepStrictEqual(after, again)
  })

/** The driver's own message behind a failed query (SQLite's "bad JSON path: '…'", PostgreSQL's exception). */
const refusalText = (error: unknown): string => {
  const cause = (error as { reason?: { cause?: unknown } }).reason?.cause
  return cause instanceof Error ? cause.message : String(cause)
}

describe("the record of migrations (SQLite)", () => {
  it.effect("an older version's database is upgraded once; that version then refuses it, saying why, and writes nothing", () =>
    Effect.gen(function*() {
      const file = tempFile("older.db")
      yield* upgradeAndBack(NodeSqliteClient.layer({ filename: file }), Database.layerSqlite(file))
    }))

  it.effect("a database a newer version upgraded is refused, named, and left as it was", () =>
    Effect.gen(function*() {
      const file = tempFile("newer.db")
      yield* RunStore.use((store) => store.createRun(mkRun("kept"))).pipe(Effect.provide(storeOn(Database.layerSqlite(file))))
      const newer = Math.max(...migrationIds) + 1
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`INSERT INTO ${sql(MigrationsTable.TABLE)} (migration_id, name) VALUES (${newer}, 'from_the_future')`
      }).pipe(Effect.provide(NodeSqliteClient.layer({ filename: file })))
      const error = failureOf(yield* Effect.exit(RunStore.use((store) => store.listRuns({ limit: 1 })).pipe(Effect.provide(storeOn(Database.layerSqlite(file))))))
      assert.strictEqual(error._tag, "NewerDatabaseError")
      assert.include(error.message, `${file} was upgraded by a newer version of Council (its schema is at migration ${newer}; this version knows up to ${Math.max(...migrationIds)})`)
      const rows = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        return yield* sql<{ readonly id: number }>`SELECT migration_id AS id FROM ${sql(MigrationsTable.TABLE)} ORDER BY migration_id`
      }).pipe(Effect.provide(NodeSqliteClient.layer({ filename: file })))
      assert.deepStrictEqual(rows.map((r) => Number(r.id)), [...migrationIds, newer])
    }))

  it.effect("a new database refuses an older version as well", () =>
    Effect.gen(function*() {
      const file = tempFile("fresh.db")
      yield* RunStore.use((store) => store.createRun(mkRun("fresh"))).pipe(Effect.provide(storeOn(Database.layerSqlite(file))))
      const refused = failureOf(yield* Effect.exit(olderMigrator.pipe(Effect.provide(NodeSqliteClient.layer({ filename: file })))))
      assert.include(refusalText(refused), MigrationsTable.NEWER_DATABASE)
    }))
})

layer(PgServer.layer, { timeout: 60_000 })("the record of migrations (PostgreSQL)", (it) => {
  it.effect("an older version's database is upgraded once; that version then refuses it, saying why, and writes nothing", () =>
    Effect.gen(function*() {
      const url = yield* (yield* PgServer).createDatabase
      const raw = Layer.effect(SqlClient.SqlClient, PgClient.make({ url })).pipe(Layer.provide(Reactivity.layer))
      yield* upgradeAndBack(raw, Database.layerPg(url))
    }))
})

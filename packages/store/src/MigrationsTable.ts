/**
 * Where the database records its migrations, and what an older Council finds there: a database this version has
 * opened refuses every version that does not know its schema, instead of being written by it.
 *
 * **When to use**: `Database` calls `handOver` before the migrator and `refuseNewer` after it; nothing else should.
 *
 * **Details**
 * - Migrations are recorded in `council_migrations` (`TABLE`). Versions before it recorded them in
 *   `effect_sql_migrations`, the migrator's default name, and ran only the migrations numbered above the highest
 *   recorded there: a database upgraded by a newer version looked up to date to them, and they wrote rows in the
 *   old shape into the new schema (a run without its stage digests, ledger rows keyed the old way).
 * - `handOver` renames an `effect_sql_migrations` table to `council_migrations` (its rows kept) and puts a view of
 *   that name in its place (`GUARD`) whose every read fails with the message `NEWER_DATABASE`: an older version's
 *   migrator reads it first thing, so it stops at open (exit 2, "cannot open …: bad JSON path: ' this database was
 *   upgraded …'") before it reads or writes anything. A new database gets the view too. One transaction: a process
 *   killed part-way leaves the database as it was, and the next one hands it over.
 * - `refuseNewer`: from this version on, a database recording a migration above the highest this version knows
 *   (a newer version upgraded it) is refused by name.
 * - The guard is a valid view over no table (SQLite re-checks every view when a migration renames a table) and
 *   fails only when read; on PostgreSQL it reads a function that raises.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"

/** The table the migrator records its migrations in. */
export const TABLE = "council_migrations"

/** The migrator's default table, where versions before this one recorded their migrations: now the guard view. */
export const LEGACY_TABLE = "effect_sql_migrations"

/** What an older version says when it opens a database this version has opened (one line, inside its own). */
export const NEWER_DATABASE =
  "this database was upgraded by a newer version of Council, which this version cannot read or write: run the newer version, or restore the backup taken before the upgrade (docs/DEPLOYMENT.md, Upgrading)"

/** A database whose recorded migrations go beyond this version's (a newer version upgraded it). */
export class NewerDatabaseError extends Schema.TaggedError<NewerDatabaseError>()("NewerDatabaseError", {
  message: Schema.String
}) {}

const sqliteGuard = `CREATE VIEW ${LEGACY_TABLE} AS SELECT json_extract('{}', ' ${NEWER_DATABASE} ') AS migration_id,
  '' AS name, '' AS created_at`

const pgGuard = [
  `CREATE OR REPLACE FUNCTION council_newer_database() RETURNS TABLE (migration_id integer, name text,
    created_at timestamptz) LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${NEWER_DATABASE}'; END $$`,
  `CREATE OR REPLACE VIEW ${LEGACY_TABLE} AS SELECT * FROM council_newer_database()`
]

/** What `effect_sql_migrations` is: `table` (an older version's record), `view` (the guard) or `none`. */
const legacyKind = (sql: SqlClient.SqlClient, pg: boolean) =>
  Effect.map(
    pg
      ? sql<{ readonly kind: string }>`SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'table' END AS kind FROM pg_class c
          WHERE c.oid = to_regclass(${LEGACY_TABLE})`
      : sql<{ readonly kind: string }>`SELECT type AS kind FROM sqlite_master WHERE name = ${LEGACY_TABLE}`,
    (rows) => (rows[0]?.kind ?? "none") as "table" | "view" | "none"
  )

/**
 * Moves an older version's record of migrations to `TABLE` and puts the guard view in its place; nothing when the
 * guard is there already (one read, no write lock).
 */
export const handOver = (sql: SqlClient.SqlClient): Effect.Effect<void, SqlError.SqlError> =>
  Effect.gen(function*() {
    const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
    if ((yield* legacyKind(sql, pg)) === "view") return
    yield* sql.withTransaction(Effect.gen(function*() {
      // on PostgreSQL two sessions may both find the table; the second waits here, then finds the view
      if (pg) yield* sql`SELECT pg_advisory_xact_lock(hashtext(${TABLE}))`
      const kind = yield* legacyKind(sql, pg)
      if (kind === "view") return
      if (kind === "table") yield* sql.unsafe(`ALTER TABLE ${LEGACY_TABLE} RENAME TO ${TABLE}`)
      for (const statement of pg ? pgGuard : [sqliteGuard]) yield* sql.unsafe(statement)
    }))
  })

/** The highest migration `TABLE` records (0 when it does not exist yet). */
export const recorded = (sql: SqlClient.SqlClient): Effect.Effect<number, SqlError.SqlError> =>
  Effect.gen(function*() {
    const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
    const exists = pg
      ? yield* sql`SELECT 1 FROM pg_class WHERE oid = to_regclass(${TABLE})`
      : yield* sql`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ${TABLE}`
    if (exists.length === 0) return 0
    const rows = yield* sql<{ readonly id: unknown }>`SELECT max(migration_id) AS id FROM ${sql(TABLE)}`
    return Number(rows[0]?.id ?? 0)
  })

/** Fails with `NewerDatabaseError` when `recordedId` is above `latest`, the highest migration this version has. */
export const refuseNewer = (what: string, recordedId: number, latest: number): Effect.Effect<void, NewerDatabaseError> =>
  recordedId > latest
    ? Effect.fail(new NewerDatabaseError({
      message:
        `${what} was upgraded by a newer version of Council (its schema is at migration ${recordedId}; this version knows up to ${latest}): run the newer version, or restore the backup taken before the upgrade (docs/DEPLOYMENT.md, Upgrading)`
    }))
    : Effect.void

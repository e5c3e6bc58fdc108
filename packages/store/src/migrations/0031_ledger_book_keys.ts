/**
 * The trade ledger's rows (`@council/tracking` `TradeLedger`) name their book by a short key instead of its id.
 *
 * - `ledger_books.short_id`: what the `book` column of every other ledger table holds for the book, unique. The
 *   books that exist keep their id as their key (`live`, and the backtests begun before: their rows stay as they
 *   are); a book created from now on gets `~` and a number (`~1`, `~2`, …; a book id never starts with `~`), so a
 *   full-range backtest's ~174,000 rows and index entries hold 2 bytes there instead of its 31-character id.
 * - Every ledger table's `book` references `ledger_books (short_id)` (it referenced `id`); deleting a book still
 *   deletes its rows.
 * - SQLite: each table is rebuilt from its own schema text with only that reference changed (so a database that
 *   skipped 0015 keeps its keys), and `ledger_marks` becomes a `WITHOUT ROWID` table stored in its primary key's
 *   order (book, session, moment: appended per session), no longer kept twice, in the table and in its index.
 *   PostgreSQL swaps the foreign keys in place.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

/** The tables whose `book` references `ledger_books`. */
const TABLES = ["ledger_orders", "ledger_order_events", "ledger_fills", "ledger_equity", "ledger_marks"] as const

const REFERENCE = /REFERENCES ledger_books \(id\)/

/** SQLite: rebuilds `table` from its schema text, `book` referencing `short_id`; its indexes are made again. */
const rebuildSqlite = (sql: SqlClient.SqlClient, table: string) =>
  Effect.gen(function*() {
    const [created] = yield* sql<{ readonly sql: string }>`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ${table}`
    if (created === undefined || !REFERENCE.test(created.sql)) {
      return yield* Effect.fail(new Error(`0031_ledger_book_keys: ${table} does not reference ledger_books (id)`))
    }
    const indexes = yield* sql<{ readonly sql: string }>`SELECT sql FROM sqlite_master
      WHERE type = 'index' AND tbl_name = ${table} AND sql IS NOT NULL ORDER BY name`
    const rowid = table === "ledger_marks" && !/WITHOUT ROWID\s*$/.test(created.sql) ? " WITHOUT ROWID" : ""
    const definition = created.sql
      .replace(REFERENCE, "REFERENCES ledger_books (short_id)")
      .replace(/^CREATE TABLE\s+"?\w+"?/, `CREATE TABLE ${table}_keyed`)
    yield* sql.unsafe(`${definition}${rowid}`)
    yield* sql.unsafe(`INSERT INTO ${table}_keyed SELECT * FROM ${table}`)
    yield* sql.unsafe(`DROP TABLE ${table}`)
    yield* sql.unsafe(`ALTER TABLE ${table}_keyed RENAME TO ${table}`)
    for (const index of indexes) yield* sql.unsafe(index.sql)
  })

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  if (pg) {
    yield* sql.unsafe(`ALTER TABLE ledger_books ADD COLUMN short_id TEXT COLLATE "C"`)
    yield* sql.unsafe(`UPDATE ledger_books SET short_id = id`)
    yield* sql.unsafe(`ALTER TABLE ledger_books ALTER COLUMN short_id SET NOT NULL, ADD CONSTRAINT ledger_books_short_id UNIQUE (short_id)`)
    const references = yield* sql<{ readonly table: string; readonly name: string }>`SELECT conrelid::regclass::text AS table,
      conname AS name FROM pg_constraint WHERE contype = 'f' AND confrelid = 'ledger_books'::regclass ORDER BY 1, 2`
    for (const table of TABLES) {
      const named = references.filter((r) => r.table === table)
      if (named.length !== 1) return yield* Effect.fail(new Error(`0031_ledger_book_keys: ${table} has ${named.length} references to ledger_books`))
      yield* sql.unsafe(`ALTER TABLE ${table} DROP CONSTRAINT "${named[0]!.name}",
        ADD CONSTRAINT ${table}_book_fkey FOREIGN KEY (book) REFERENCES ledger_books (short_id) ON DELETE CASCADE`)
    }
    return
  }
  yield* sql.unsafe(`ALTER TABLE ledger_books ADD COLUMN short_id TEXT`)
  yield* sql.unsafe(`UPDATE ledger_books SET short_id = id`)
  yield* sql.unsafe(`CREATE UNIQUE INDEX ledger_books_short_id ON ledger_books (short_id)`)
  for (const table of TABLES) yield* rebuildSqlite(sql, table)
})

/**
 * SQLite: rebuilds a table as a `WITHOUT ROWID` table (SQLite changes a table's key only by building it anew).
 *
 * **When to use**: in a migration, on SQLite only. `definition` is the new table's columns and constraints,
 * `columns` the columns moved over, `select` what fills them from the old table (default: the same columns). The
 * old table's indexes go with it: create the ones still wanted after.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as SqlClient from "effect/sql/SqlClient"

export const rebuild = (
  sql: SqlClient.SqlClient,
  table: string,
  { columns, definition, select = columns }: { readonly columns: string; readonly definition: string; readonly select?: string }
) =>
  Effect.gen(function*() {
    yield* sql.unsafe(`CREATE TABLE ${table}_lean (${definition}) WITHOUT ROWID`)
    yield* sql.unsafe(`INSERT INTO ${table}_lean (${columns}) SELECT ${select} FROM ${table}`)
    yield* sql.unsafe(`DROP TABLE ${table}`)
    yield* sql.unsafe(`ALTER TABLE ${table}_lean RENAME TO ${table}`)
  })

/**
 * The trade ledger's hand-built statements: text with its bound parameters (`textBuilder`), the keys rows name their
 * book by (`keyOf`, `NEXT_KEY`), and, on a client, statements run on the open transaction's connection (`run`) and
 * multi-row upserts (`upsert`). Only `TradeLedger`, its writes (`LedgerWrite`), its order reads (`LedgerOrders`) and
 * its lookups by key (`LedgerHeld`) use these.
 *
 * **Gotchas**
 * - Text is built, not templated: a reconciliation's multi-row inserts cost more to compile as templates
 *   (`sql.insert`: ~250 µs for eight orders) than SQLite took to run them. Only values are bound; table and column
 *   names come from the ledger's own constants.
 */
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import type * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"

/** Rows per multi-row INSERT: well under SQLite's and PostgreSQL's parameter limits. */
export const CHUNK = 200

/**
 * A statement's text and parameters, built by hand: `bind` adds a parameter and gives its placeholder (`?`, or
 * `$n` on PostgreSQL). `undefined` binds as null, as `sql.insert` binds it.
 */
export const textBuilder = (pg: boolean) => {
  const params: Array<unknown> = []
  const bind = (value: unknown): string => {
    params.push(value === undefined ? null : value)
    return pg ? `$${params.length}` : "?"
  }
  /** `(…), (…)`: each tuple's values bound. */
  const tuples = (tuples: ReadonlyArray<ReadonlyArray<unknown>>) => tuples.map((values) => `(${values.map(bind).join(", ")})`).join(", ")
  return { params, bind, tuples }
}

/** What a ledger row's `book` holds: its book's `short_id` (see `keyOf`). */
export type BookKey = string

/** The key of the book whose id is bound at `placeholder`: what a statement compares a row's `book` with. */
export const keyOf = (placeholder: string) => `(SELECT short_id FROM ledger_books WHERE id = ${placeholder})`

/**
 * The key of a book created now: `~` and the next number (ids never start with `~`, so no book's id, the key of the
 * books created before `0031_ledger_book_keys`, is taken).
 */
export const NEXT_KEY = `(SELECT '~' || (COALESCE(MAX(CAST(substr(short_id, 2) AS INTEGER)), 0) + 1) FROM ledger_books WHERE short_id LIKE '~%')`

/** `column = excluded.column, …`: an upsert's update of `columns` to the values it brought. */
export const excluded = (columns: ReadonlyArray<string>) => columns.map((c) => `${c} = excluded.${c}`).join(", ")

/** The ledger's statements on `sql`: whether it is PostgreSQL (`pg`), `run` and `upsert`. */
export const ledgerSql = (sql: SqlClient.SqlClient) => {
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  const transaction = Effect.serviceOption(sql.transactionService)

  /**
   * A statement's text and parameters (`textBuilder`'s), run straight on the open transaction's connection inside
   * `record`'s transaction, without effect/sql's per-statement span and connection lookup (as the exchange's
   * `Ledger` does); outside a transaction, as `sql.unsafe`.
   */
  const run = <A extends object>(text: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<A>, SqlError.SqlError> =>
    Effect.flatMap(transaction, (open) =>
      Option.isSome(open) ? open.value[0].execute(text, params, undefined) : sql.unsafe<A>(text, params))

  /** `INSERT INTO table (…) VALUES (…), …` of the rows (their columns: the first row's keys), then `conflict`. */
  const insertRows = (table: string, rows: Arr.NonEmptyReadonlyArray<Record<string, unknown>>, conflict: string) => {
    const columns = Object.keys(rows[0])
    const text = textBuilder(pg)
    const values = text.tuples(rows.map((row) => columns.map((column) => row[column])))
    return run(`INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(", ")}) VALUES ${values} ${conflict}`, text.params)
  }

  /** The items, encoded, inserted into `table` with their book's key, `CHUNK` rows a statement, then `conflict`. */
  const upsert = <A, I extends Record<string, unknown>>(
    encode: (rows: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<I>, Schema.SchemaError>,
    items: ReadonlyArray<A>,
    book: BookKey,
    table: string,
    conflict: string
  ) =>
    Effect.forEach(Arr.chunksOf(items, CHUNK), (chunk) =>
      Effect.flatMap(encode(chunk), (rows) => {
        const withBook = rows.map((row) => ({ book, ...row }))
        return Arr.isArrayNonEmpty(withBook) ? Effect.asVoid(insertRows(table, withBook, conflict)) : Effect.void
      }), { discard: true })

  return { pg, run, upsert }
}

/** `ledgerSql`'s statements on one client. */
export type LedgerSql = ReturnType<typeof ledgerSql>

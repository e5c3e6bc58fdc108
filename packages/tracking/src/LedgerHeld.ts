/**
 * Which of a reconciliation's reads the trade ledger already holds: top-level orders (`heldOrders`) and fills
 * (`heldFills`) looked up by their primary keys — `CHUNK` keys a statement, each a search of the key (book, account,
 * id), never a walk of the book — so a backtest's last session asks what its first did. `TradeLedger` gives them
 * their spans and turns their errors into `LedgerError`s.
 *
 * **Gotchas**
 * - The keys are joined as a `VALUES` list (`… FROM (VALUES (?, ?), …) AS held_keys JOIN ledger_orders o ON o.book = … AND
 *   o.account = held_keys.column1 AND o.order_id = held_keys.column2`): SQLite 3.40 searches a row value `(account, order_id) IN
 *   (VALUES …)` by the book alone (every row of the book), and an `OR` of the keys by no key at all.
 *
 * @since 0.1.0
 */
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"
import { AccountId, TradingDay } from "@council/domain"
import * as RowGuard from "@council/exchange/RowGuard"
import type { BookId, HeldFill, HeldKey, HeldOrder } from "./LedgerRecords.ts"
import { momentOf } from "./LedgerMoments.ts"
import { CHUNK, keyOf, textBuilder } from "./LedgerSql.ts"

const HeldOrderRow = Schema.Struct({ account: AccountId, id: Schema.String, submitted_at: Schema.String })
const HeldFillRow = Schema.Struct({ account: AccountId, id: Schema.String, session: TradingDay })

/**
 * Rows checked against `schema`: rows that all pass its guard (`RowGuard`, as fast as a look at each column) are
 * used as they are, the statement naming exactly the schema's columns; otherwise they are decoded, for the error.
 */
const rowsOf = <S extends Schema.Struct<Schema.Struct.Fields> & Schema.Codec<unknown, unknown>>(schema: S) => {
  const is = RowGuard.make(schema)
  const decode = Schema.decodeUnknownEffect(Schema.Array(schema))
  return (rows: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<S["Type"]>, Schema.SchemaError> =>
    rows.every(is) ? Effect.succeed(rows) : decode(rows)
}
const decodeOrders = rowsOf(HeldOrderRow)
const decodeFills = rowsOf(HeldFillRow)

/** `statement` run for the distinct `keys`, `CHUNK` keys at a time; the rows of all the runs. */
const lookUp = (sql: SqlClient.SqlClient, pg: boolean, book: BookId, keys: ReadonlyArray<HeldKey>, statement: (values: string, key: string) => string) =>
  Effect.map(
    Effect.forEach(Arr.chunksOf([...new Map(keys.map((k) => [`${k.account} ${k.id}`, k])).values()], CHUNK), (chunk) => {
      const text = textBuilder(pg)
      // bound in the order the text names them: SQLite's `?` are numbered by their place in the text
      const values = text.tuples(chunk.map((k) => [k.account, k.id]))
      return sql.unsafe<Record<string, unknown>>(statement(values, keyOf(text.bind(book))), text.params)
    }),
    (rows) => rows.flat()
  )

/** The statement `heldOrders` runs: `values` the keys' tuples, `key` the book's key. */
const heldOrdersText = (values: string, key: string) =>
  `SELECT o.account, o.order_id AS id, o.submitted_at FROM (VALUES ${values}) AS held_keys
    JOIN ledger_orders o ON o.book = ${key} AND o.account = held_keys.column1 AND o.order_id = held_keys.column2
    WHERE o.parent_order_id IS NULL`

/** The statement `heldFills` runs. */
const heldFillsText = (values: string, key: string) =>
  `SELECT f.account, f.fill_id AS id, f.session FROM (VALUES ${values}) AS held_keys
    JOIN ledger_fills f ON f.book = ${key} AND f.account = held_keys.column1 AND f.fill_id = held_keys.column2`

/** Of `keys`, the top-level orders the book holds (a leg is not one), with when they were submitted; in no order. */
export const heldOrders = (sql: SqlClient.SqlClient, pg: boolean, book: BookId, keys: ReadonlyArray<HeldKey>): Effect.Effect<ReadonlyArray<HeldOrder>, SqlError.SqlError | Schema.SchemaError> =>
  keys.length === 0 ? Effect.succeed([]) : lookUp(sql, pg, book, keys, heldOrdersText).pipe(
    Effect.flatMap(decodeOrders),
    Effect.map((rows) => rows.map((r) => ({ account: r.account, id: r.id, submittedAt: momentOf(r.submitted_at) })))
  )

/** Of `keys`, the fills the book holds, with their sessions; in no order. */
export const heldFills = (sql: SqlClient.SqlClient, pg: boolean, book: BookId, keys: ReadonlyArray<HeldKey>): Effect.Effect<ReadonlyArray<HeldFill>, SqlError.SqlError | Schema.SchemaError> =>
  keys.length === 0 ? Effect.succeed([]) : lookUp(sql, pg, book, keys, heldFillsText).pipe(Effect.flatMap(decodeFills))

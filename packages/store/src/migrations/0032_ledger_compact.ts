/**
 * The trade ledger, smaller (`@council/tracking` `TradeLedger`, `LedgerMoments`):
 *
 * - Moments on a whole second are stored without their `.000Z` (`2007-05-09T20:00:00`): the rows written before are
 *   rewritten so (every moment column of every ledger table), so that stored moments compare with each other as the
 *   moments they stand for (see `LedgerMoments`). Other moments (with milliseconds, from a broker's clock) stay as
 *   they are. A full-range backtest's ledger holds ~70 such moments a session (with their index entries).
 * - SQLite: `ledger_orders` becomes a `WITHOUT ROWID` table stored in its primary key's order (book, account,
 *   order id), no longer kept twice, in the table and in its primary key's index; its two partial indexes are made
 *   again. It is rebuilt from its own schema text (a database that skipped 0015 keeps its keys).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

/** Each ledger table's moment columns. */
const MOMENTS: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
  ["ledger_orders", ["submitted_at", "filled_at", "updated_at", "status_at"]],
  ["ledger_order_events", ["at"]],
  ["ledger_fills", ["at"]],
  ["ledger_equity", ["taken_at", "marked_at"]],
  ["ledger_marks", ["marked_at"]]
]

/** SQLite: rebuilds `ledger_orders` from its schema text as a `WITHOUT ROWID` table; its indexes are made again. */
const leanOrders = (sql: SqlClient.SqlClient) =>
  Effect.gen(function*() {
    const [created] = yield* sql<{ readonly sql: string }>`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ledger_orders'`
    if (created === undefined) return yield* Effect.fail(new Error("0032_ledger_compact: no table ledger_orders"))
    if (/WITHOUT ROWID\s*$/.test(created.sql)) return
    const indexes = yield* sql<{ readonly sql: string }>`SELECT sql FROM sqlite_master
      WHERE type = 'index' AND tbl_name = 'ledger_orders' AND sql IS NOT NULL ORDER BY name`
    yield* sql.unsafe(`${created.sql.replace(/^CREATE TABLE\s+(IF NOT EXISTS\s+)?"?\w+"?/, "CREATE TABLE ledger_orders_lean")} WITHOUT ROWID`)
    yield* sql.unsafe(`INSERT INTO ledger_orders_lean SELECT * FROM ledger_orders`)
    yield* sql.unsafe(`DROP TABLE ledger_orders`)
    yield* sql.unsafe(`ALTER TABLE ledger_orders_lean RENAME TO ledger_orders`)
    for (const index of indexes) yield* sql.unsafe(index.sql)
  })

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  if (!pg) yield* leanOrders(sql)
  const whole = (column: string) =>
    pg
      ? `${column} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.000Z$'`
      : `${column} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].000Z'`
  for (const [table, columns] of MOMENTS) {
    for (const column of columns) {
      yield* sql.unsafe(`UPDATE ${table} SET ${column} = substr(${column}, 1, 19) WHERE ${whole(column)}`)
    }
  }
})

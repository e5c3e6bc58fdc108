/**
 * The trade ledger (`@council/tracking` `TradeLedger`), leaner.
 *
 * - `ledger_orders.status_at`: when the order's current (status, filled qty) was first seen; null when that is its
 *   `updated_at`. `ledger_order_events` then holds only the other pairs of an order's history: the current one is on
 *   the order (it held every pair before, once again the current one; rows written so read back as before).
 * - `ledger_equity.positions` is written as arrays of values instead of objects (`TradeLedger` reads both).
 * - `ledger_orders_submitted` keeps top-level orders only: the queries ordered by submission (a cursor's latest
 *   order, the `orders` listing) ask for `parent_order_id IS NULL`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`ALTER TABLE ledger_orders ADD COLUMN status_at TEXT`)
  yield* sql.unsafe(`DROP INDEX ledger_orders_submitted`)
  yield* sql.unsafe(`CREATE INDEX ledger_orders_submitted ON ledger_orders (book, account, submitted_at) WHERE parent_order_id IS NULL`)
})

/**
 * The local exchange's orders and fills (`@council/exchange` `Ledger`), leaner.
 *
 * - `exchange_orders.exit_group` is `''` for an order that is its own exit group (every top-level order): the
 *   exchange reads it back as the order's id. Rows written before hold the id itself and read back the same. No
 *   change of schema: the rows written from now on are smaller.
 * - SQLite: `exchange_fills` becomes a `WITHOUT ROWID` table keyed by `(account, filled_at, id)`, the order every
 *   query of fills asks for (an account's fills by time): neither the key of `id` (a time-ordered UUID, unique as
 *   before within that key) nor the `(account, filled_at)` index is kept beside the rows any more. PostgreSQL keeps
 *   its layout.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"
import { rebuild } from "./WithoutRowid.ts"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  if (sql.onDialectOrElse({ pg: () => true, orElse: () => false })) return
  yield* rebuild(sql, "exchange_fills", {
    columns: "account, filled_at, id, order_id, symbol, side, qty, price, commission, session",
    definition: `account TEXT NOT NULL REFERENCES exchange_accounts (id),
      filled_at TEXT NOT NULL,
      id TEXT NOT NULL,
      order_id TEXT NOT NULL REFERENCES exchange_orders (id),
      symbol TEXT NOT NULL,
      side TEXT NOT NULL,
      qty REAL NOT NULL,
      price REAL NOT NULL,
      commission REAL NOT NULL,
      session TEXT NOT NULL,
      PRIMARY KEY (account, filled_at, id)`
  })
})

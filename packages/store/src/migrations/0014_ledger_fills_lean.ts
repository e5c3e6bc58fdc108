/**
 * The trade ledger's fills (`@council/tracking` `TradeLedger`), leaner.
 *
 * - `ledger_fills_session` is dropped: only reads of a window of sessions (`equity`'s traded dollars, `fills`) used
 *   it, and they now read the account's (or book's) fills by the primary key's prefix. Reconciling a session asks
 *   for the latest fill (`ledger_fills_at`), which stays.
 * - SQLite: `ledger_fills` becomes a `WITHOUT ROWID` table, stored in its primary key's order (book, account, fill
 *   id: brokers' fill ids grow with time, so rows are appended per account): the key is no longer kept twice, in
 *   the table and in its index. PostgreSQL keeps its table.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"
import { rebuild } from "./WithoutRowid.ts"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`DROP INDEX ledger_fills_session`)
  if (sql.onDialectOrElse({ pg: () => true, orElse: () => false })) return
  yield* rebuild(sql, "ledger_fills", {
    columns: "book, account, fill_id, order_id, symbol, side, qty, price, commission, session, at",
    definition: `book TEXT NOT NULL REFERENCES ledger_books (id) ON DELETE CASCADE,
      account TEXT NOT NULL,
      fill_id TEXT NOT NULL,
      order_id TEXT NOT NULL,
      symbol TEXT NOT NULL,
      side TEXT NOT NULL,
      qty REAL NOT NULL,
      price REAL NOT NULL,
      commission REAL NOT NULL,
      session TEXT NOT NULL,
      at TEXT NOT NULL,
      PRIMARY KEY (book, account, fill_id)`
  })
  yield* sql.unsafe(`CREATE INDEX ledger_fills_at ON ledger_fills (book, account, at)`)
})

/**
 * The trade ledger's equity and fills (`@council/tracking` `TradeLedger`), keyed so one reconciliation's rows share
 * pages.
 *
 * - SQLite: `ledger_equity`'s primary key becomes (book, session, account) instead of (book, account, session), and
 *   `ledger_fills`'s (book, fill id, account) instead of (book, account, fill id): the same columns, so the same
 *   rows are unique and the same `ON CONFLICT` targets apply, but a session's rows of every account (equity) and a
 *   run's fills (ids that grow with time) are appended at the end of the table instead of at the end of each
 *   account's range. Reconciling a session of six accounts dirtied six pages of each table, written whole to the
 *   WAL at every commit and again at every checkpoint; now one or two, and appended pages are filled instead of
 *   split in half.
 * - Reads by account (an equity series, a window of fills) scan the book's rows of the window; `ledger_fills_at`,
 *   which reconciliation reads for an account's latest fill, is kept.
 * - PostgreSQL keeps its tables (a heap table appends its rows whatever its key).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"
import { rebuild } from "./WithoutRowid.ts"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  if (sql.onDialectOrElse({ pg: () => true, orElse: () => false })) return
  yield* rebuild(sql, "ledger_equity", {
    columns: "book, account, session, cash, equity, long_market_value, short_market_value, positions, taken_at",
    definition: `book TEXT NOT NULL REFERENCES ledger_books (id) ON DELETE CASCADE,
    account TEXT NOT NULL,
    session TEXT NOT NULL,
    cash REAL NOT NULL,
    equity REAL NOT NULL,
    long_market_value REAL NOT NULL,
    short_market_value REAL NOT NULL,
    positions TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    PRIMARY KEY (book, session, account)`
  })
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
      PRIMARY KEY (book, fill_id, account)`
  })
  yield* sql.unsafe(`CREATE INDEX ledger_fills_at ON ledger_fills (book, account, at)`)
})

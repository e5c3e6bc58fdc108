/**
 * The local exchange's orders and fills and the trade ledger's tables, leaner.
 *
 * The exchange (`@council/exchange` `Ledger`):
 * - `exchange_orders.reason` and `created_at` are dropped: no statement read the reason (the run's records keep the
 *   intent with it), and an order is created when it is submitted (`submitted_at`, the same timestamp).
 * - The `(account, status)` index becomes a partial index of the open orders by account: it was a row for every
 *   order ever placed, read only for open ones. The exchange's queries carry the same `status IN (…)` term
 *   (`Ledger`'s `IS_OPEN`: the open statuses of `@council/domain`, in their order), which lets them use it.
 * - The parent index keeps legs only (`parent_id IS NOT NULL`: every lookup by parent names one).
 * - `exchange_fills (account, session)` is dropped: a session's fills are found by `(account, filled_at)`.
 *
 * The trade ledger (`@council/tracking` `TradeLedger`):
 * - `ledger_orders (book, account, status)` becomes a partial index of open orders by (book, account), as above
 *   (`TradeLedger`'s queries carry the same term).
 * - SQLite: `ledger_order_events` and `ledger_equity` become `WITHOUT ROWID` tables, stored in their primary key's
 *   order: the key (most of a row) is no longer kept twice, in the table and in its index. PostgreSQL keeps them.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"
import { rebuild } from "./WithoutRowid.ts"

const OPEN = `status IN ('new', 'accepted', 'pending_new', 'partially_filled', 'held', 'pending_cancel', 'pending_replace', 'accepted_for_bidding', 'calculated', 'stopped', 'suspended', 'pending_review')`

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  yield* sql.unsafe(`DROP INDEX exchange_orders_account_status`)
  yield* sql.unsafe(`CREATE INDEX exchange_orders_open ON exchange_orders (account) WHERE ${OPEN}`)
  yield* sql.unsafe(`DROP INDEX exchange_orders_parent`)
  yield* sql.unsafe(`CREATE INDEX exchange_orders_parent ON exchange_orders (parent_id) WHERE parent_id IS NOT NULL`)
  yield* sql.unsafe(`DROP INDEX exchange_fills_account`)
  yield* sql.unsafe(`ALTER TABLE exchange_orders DROP COLUMN reason`)
  yield* sql.unsafe(`ALTER TABLE exchange_orders DROP COLUMN created_at`)

  yield* sql.unsafe(`DROP INDEX ledger_orders_status`)
  yield* sql.unsafe(`CREATE INDEX ledger_orders_open ON ledger_orders (book, account) WHERE ${OPEN}`)
  if (pg) return
  yield* rebuild(sql, "ledger_order_events", {
    columns: "book, account, order_id, status, filled_qty, at",
    definition: `book TEXT NOT NULL REFERENCES ledger_books (id) ON DELETE CASCADE,
    account TEXT NOT NULL,
    order_id TEXT NOT NULL,
    status TEXT NOT NULL,
    filled_qty REAL NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (book, account, order_id, status, filled_qty)`
  })
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
    PRIMARY KEY (book, account, session)`
  })
})

/**
 * The reconciled trade ledger (`@council/tracking` `TradeLedger`): per *book* — the live book (`live`, created
 * here) or one per backtest, so a backtest never mixes with live trading — the orders as the broker reported
 * them (bracket/OCO legs point at their parent), each order's status history, the fills, and one equity snapshot
 * per account per trading session. Tables are prefixed `ledger_`.
 *
 * Every table is keyed so that writing the same reconciliation again is an upsert that changes nothing: orders
 * by (book, account, order id), history by (book, account, order id, status, filled qty), fills by (book,
 * account, fill id), snapshots by (book, account, session). Money and quantities are floating point as the broker
 * reports them; timestamps are ISO-8601 text, sessions `YYYY-MM-DD`, positions JSON text.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  const key = pg ? `TEXT COLLATE "C"` : "TEXT"
  const float = pg ? "DOUBLE PRECISION" : "REAL"

  yield* sql.unsafe(`CREATE TABLE ledger_books (
    id ${key} PRIMARY KEY,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    from_day ${key},
    to_day ${key},
    status TEXT NOT NULL,
    created_at ${key} NOT NULL,
    updated_at TEXT NOT NULL,
    params TEXT NOT NULL
  )`)

  yield* sql.unsafe(`CREATE TABLE ledger_orders (
    book ${key} NOT NULL REFERENCES ledger_books (id) ON DELETE CASCADE,
    account ${key} NOT NULL,
    order_id ${key} NOT NULL,
    client_order_id TEXT NOT NULL,
    parent_order_id TEXT,
    symbol ${key} NOT NULL,
    side TEXT NOT NULL,
    qty ${float} NOT NULL,
    type TEXT NOT NULL,
    time_in_force TEXT NOT NULL,
    limit_price ${float},
    stop_price ${float},
    order_class TEXT NOT NULL,
    status TEXT NOT NULL,
    filled_qty ${float} NOT NULL,
    filled_avg_price ${float},
    submitted_at ${key} NOT NULL,
    filled_at TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (book, account, order_id)
  )`)
  yield* sql.unsafe(`CREATE INDEX ledger_orders_submitted ON ledger_orders (book, account, submitted_at)`)

  yield* sql.unsafe(`CREATE TABLE ledger_order_events (
    book ${key} NOT NULL REFERENCES ledger_books (id) ON DELETE CASCADE,
    account ${key} NOT NULL,
    order_id ${key} NOT NULL,
    status TEXT NOT NULL,
    filled_qty ${float} NOT NULL,
    at ${key} NOT NULL,
    PRIMARY KEY (book, account, order_id, status, filled_qty)
  )`)

  yield* sql.unsafe(`CREATE TABLE ledger_fills (
    book ${key} NOT NULL REFERENCES ledger_books (id) ON DELETE CASCADE,
    account ${key} NOT NULL,
    fill_id ${key} NOT NULL,
    order_id TEXT NOT NULL,
    symbol ${key} NOT NULL,
    side TEXT NOT NULL,
    qty ${float} NOT NULL,
    price ${float} NOT NULL,
    commission ${float} NOT NULL,
    session ${key} NOT NULL,
    at ${key} NOT NULL,
    PRIMARY KEY (book, account, fill_id)
  )`)
  yield* sql.unsafe(`CREATE INDEX ledger_fills_session ON ledger_fills (book, account, session)`)

  yield* sql.unsafe(`CREATE TABLE ledger_equity (
    book ${key} NOT NULL REFERENCES ledger_books (id) ON DELETE CASCADE,
    account ${key} NOT NULL,
    session ${key} NOT NULL,
    cash ${float} NOT NULL,
    equity ${float} NOT NULL,
    long_market_value ${float} NOT NULL,
    short_market_value ${float} NOT NULL,
    positions TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    PRIMARY KEY (book, account, session)
  )`)

  const now = new Date(0).toISOString()
  yield* sql`INSERT INTO ledger_books ${
    sql.insert({ id: "live", kind: "live", label: "live trading", from_day: null, to_day: null, status: "live", created_at: now, updated_at: now, params: "{}" })
  }`
})

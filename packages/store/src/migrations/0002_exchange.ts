/**
 * The local paper exchange's ledger (`@council/exchange`; its statements are in `Ledger`): accounts with their API
 * keys, orders (bracket/OCO/OTO legs point at their parent), fills and positions. Tables are prefixed `exchange_`.
 *
 * Money and quantities are floating point; the exchange rounds cash to cents and prices to the tick before
 * writing. Timestamps are ISO-8601 text (`toISOString` format, so they compare as text), sessions `YYYY-MM-DD`.
 * `exchange_orders.seq` keeps insertion order (orders of one session share their timestamps).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  const autoId = pg ? "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
  const key = pg ? `TEXT COLLATE "C"` : "TEXT"
  const float = pg ? "DOUBLE PRECISION" : "REAL"

  yield* sql.unsafe(`CREATE TABLE exchange_accounts (
    id ${key} PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    api_key_id TEXT NOT NULL UNIQUE,
    api_secret TEXT NOT NULL,
    cash ${float} NOT NULL,
    created_at TEXT NOT NULL,
    last_session ${key} NOT NULL
  )`)

  yield* sql.unsafe(`CREATE TABLE exchange_orders (
    seq ${autoId},
    id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL REFERENCES exchange_accounts (id),
    client_order_id TEXT NOT NULL,
    parent_id TEXT REFERENCES exchange_orders (id),
    exit_group TEXT NOT NULL,
    position_effect TEXT NOT NULL,
    symbol ${key} NOT NULL,
    side TEXT NOT NULL,
    qty ${float} NOT NULL,
    type TEXT NOT NULL,
    time_in_force TEXT NOT NULL,
    limit_price ${float},
    stop_price ${float},
    order_class TEXT NOT NULL,
    status TEXT NOT NULL,
    triggered INTEGER NOT NULL DEFAULT 0,
    filled_qty ${float} NOT NULL DEFAULT 0,
    filled_avg_price ${float},
    extended_hours INTEGER NOT NULL DEFAULT 0,
    session ${key} NOT NULL,
    active_after ${key},
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    submitted_at ${key} NOT NULL,
    filled_at TEXT,
    canceled_at TEXT,
    expired_at TEXT,
    reason TEXT NOT NULL,
    UNIQUE (account, client_order_id)
  )`)
  yield* sql.unsafe(`CREATE INDEX exchange_orders_account_status ON exchange_orders (account, status)`)
  yield* sql.unsafe(`CREATE INDEX exchange_orders_parent ON exchange_orders (parent_id)`)

  yield* sql.unsafe(`CREATE TABLE exchange_fills (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES exchange_orders (id),
    account TEXT NOT NULL REFERENCES exchange_accounts (id),
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    qty ${float} NOT NULL,
    price ${float} NOT NULL,
    commission ${float} NOT NULL,
    session ${key} NOT NULL,
    filled_at TEXT NOT NULL
  )`)
  yield* sql.unsafe(`CREATE INDEX exchange_fills_account ON exchange_fills (account, session)`)

  yield* sql.unsafe(`CREATE TABLE exchange_positions (
    account TEXT NOT NULL REFERENCES exchange_accounts (id),
    symbol ${key} NOT NULL,
    qty ${float} NOT NULL,
    avg_entry_price ${float} NOT NULL,
    PRIMARY KEY (account, symbol)
  )`)
})

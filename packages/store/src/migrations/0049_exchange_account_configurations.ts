/**
 * `exchange_account_configurations`: each local-exchange account's Alpaca account configurations
 * (`GET`/`PATCH /v2/account/configurations`), one row per account that changed one; an account without a row has
 * Alpaca's defaults (`@council/exchange` `AccountConfigurations`). A new table: a database from before it upgrades
 * in place, its accounts keeping the defaults.
 *
 * - Booleans are integers 0/1 (SQLite and Postgres alike); `max_margin_multiplier` is text, as Alpaca sends it.
 * - `updated_at`: when the row was last written (wall-clock ISO timestamp).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  const key = pg ? `TEXT COLLATE "C"` : "TEXT"
  yield* sql.unsafe(`CREATE TABLE exchange_account_configurations (
    account ${key} PRIMARY KEY,
    trade_confirm_email TEXT NOT NULL,
    suspend_trade INTEGER NOT NULL,
    no_shorting INTEGER NOT NULL,
    fractional_trading INTEGER NOT NULL,
    max_margin_multiplier TEXT NOT NULL,
    max_options_trading_level INTEGER NOT NULL,
    ptp_no_exception_entry INTEGER NOT NULL,
    disable_overnight_trading INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  )`)
})

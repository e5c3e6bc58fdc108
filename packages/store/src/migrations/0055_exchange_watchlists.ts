/**
 * `exchange_watchlists`: the local exchange accounts' Alpaca watchlists (`/v2/watchlists`, `@council/exchange`
 * `Watchlists`), one row per watchlist. A new table: a database from before it upgrades in place, its accounts
 * without watchlists.
 *
 * - `name` is unique per account (Alpaca's rule); `symbols` is the ordered list as a JSON array of tickers.
 * - `seq`: the order of creation (a listing is oldest first; watchlists created at one moment share `created_at`).
 * - `created_at`/`updated_at`: the exchange's moments of the requests that created and last changed it (ISO, UTC).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  const key = pg ? `TEXT COLLATE "C"` : "TEXT"
  yield* sql.unsafe(`CREATE TABLE exchange_watchlists (
    id ${key} PRIMARY KEY,
    account ${key} NOT NULL,
    name ${key} NOT NULL,
    symbols TEXT NOT NULL,
    seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (account, name)
  )`)
})

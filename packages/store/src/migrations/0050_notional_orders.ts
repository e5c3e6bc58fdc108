/**
 * Notional orders (Alpaca's `notional`: dollars, the shares set at the fill): a nullable `notional` column on the
 * local exchange's orders (`exchange_orders`) and on the trade ledger's (`ledger_orders`). Null for orders of shares,
 * every order before it included: a database from before it upgrades in place, its orders unchanged.
 *
 * - A notional order's `qty` column holds 0 on the exchange until it fills (its shares are its `filled_qty`), and
 *   in the ledger the shares filled so far, as the broker reports them.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const real = sql.onDialectOrElse({ pg: () => "DOUBLE PRECISION", orElse: () => "REAL" })
  yield* sql.unsafe(`ALTER TABLE exchange_orders ADD COLUMN notional ${real}`)
  yield* sql.unsafe(`ALTER TABLE ledger_orders ADD COLUMN notional ${real}`)
})

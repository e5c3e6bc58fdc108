/**
 * Trailing stops (Alpaca's `type: trailing_stop`): nullable `trail_price`, `trail_percent` and `hwm` columns on the
 * local exchange's orders (`exchange_orders`) and the trade ledger's (`ledger_orders`). Null for every other order,
 * every order before it included: a database from before it upgrades in place, its orders unchanged.
 *
 * - `trail_price` (dollars) or `trail_percent` (percent, 1 = 1 %): one of them is set on a trailing stop.
 * - `hwm`: the order's high-water mark (a buy's: low-water mark) as last moved; its `stop_price` is the stop it sets.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const real = sql.onDialectOrElse({ pg: () => "DOUBLE PRECISION", orElse: () => "REAL" })
  for (const table of ["exchange_orders", "ledger_orders"]) {
    for (const column of ["trail_price", "trail_percent", "hwm"]) {
      yield* sql.unsafe(`ALTER TABLE ${table} ADD COLUMN ${column} ${real}`)
    }
  }
})

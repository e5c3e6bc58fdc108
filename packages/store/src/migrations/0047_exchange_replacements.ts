/**
 * `exchange_replacements`: which order replaced which (Alpaca's `PATCH /v2/orders/{id}`), and when — one row per
 * replaced order. The replaced order keeps its row with status `replaced`; its replacement is an order of its own.
 * Both directions are looked up (`replaces` of the new order, `replaced_by` of the old one).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`CREATE TABLE exchange_replacements (
    replaced_id TEXT PRIMARY KEY REFERENCES exchange_orders (id),
    replacement_id TEXT NOT NULL UNIQUE REFERENCES exchange_orders (id),
    account TEXT NOT NULL,
    replaced_at TEXT NOT NULL
  )`)
})

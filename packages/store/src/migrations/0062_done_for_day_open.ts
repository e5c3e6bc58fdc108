/**
 * `done_for_day` is an open status (`@council/domain` `OPEN_STATUSES`): Alpaca's GTC order done for the session (a
 * bracket's stop, say) works again at the next one, and can still be filled or canceled. The partial indexes of the
 * open orders (`0010_exchange_ledger_lean`) are made again with it, last, so that the exchange's and the trade
 * ledger's queries, which carry the same `status IN (…)` term (`INDEXED BY ledger_orders_open` among them), still
 * match them.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

const OPEN = `status IN ('new', 'accepted', 'pending_new', 'partially_filled', 'held', 'pending_cancel', 'pending_replace', 'accepted_for_bidding', 'calculated', 'stopped', 'suspended', 'pending_review', 'done_for_day')`

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`DROP INDEX exchange_orders_open`)
  yield* sql.unsafe(`CREATE INDEX exchange_orders_open ON exchange_orders (account) WHERE ${OPEN}`)
  yield* sql.unsafe(`DROP INDEX ledger_orders_open`)
  yield* sql.unsafe(`CREATE INDEX ledger_orders_open ON ledger_orders (book, account) WHERE ${OPEN}`)
})

/**
 * The local exchange's orders and fills, leaner (`@council/exchange` `Ledger`):
 * - `exchange_orders.reason` and `created_at` are dropped: no statement read the reason (the run's records keep the
 *   intent with it), and an order is created when it is submitted (`submitted_at`, the same timestamp).
 * - The `(account, status)` index becomes a partial index of the open orders by account: it was a row for every
 *   order ever placed, read only for open ones. The exchange's queries carry the same `status IN (…)` term
 *   (`Ledger`'s `IS_OPEN`: the open statuses of `@council/domain`, in their order), which lets them use it.
 * - The parent index keeps legs only (`parent_id IS NOT NULL`: every lookup by parent names one).
 * - `exchange_fills (account, session)` is dropped: a session's fills are found by `(account, filled_at)`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

const OPEN = `status IN ('new', 'accepted', 'pending_new', 'partially_filled', 'held', 'pending_cancel', 'pending_replace', 'accepted_for_bidding', 'calculated', 'stopped', 'suspended', 'pending_review')`

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`DROP INDEX exchange_orders_account_status`)
  yield* sql.unsafe(`CREATE INDEX exchange_orders_open ON exchange_orders (account) WHERE ${OPEN}`)
  yield* sql.unsafe(`DROP INDEX exchange_orders_parent`)
  yield* sql.unsafe(`CREATE INDEX exchange_orders_parent ON exchange_orders (parent_id) WHERE parent_id IS NOT NULL`)
  yield* sql.unsafe(`DROP INDEX exchange_fills_account`)
  yield* sql.unsafe(`ALTER TABLE exchange_orders DROP COLUMN reason`)
  yield* sql.unsafe(`ALTER TABLE exchange_orders DROP COLUMN created_at`)
})

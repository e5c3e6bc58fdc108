/**
 * The corporate actions the local exchange applied to each account (`@council/exchange` `CorporateActions`): one
 * row per account and action, written in the transaction that applied it, so an action is applied once however
 * often an account is brought to the present (a resumed advance, a replay over the same database) and what it did
 * can be read back.
 *
 * - `action`: the action's key (`CorporateAction.actionKey`: kind, symbol, ex-date and terms).
 * - `qty_before` / `qty_after`: the account's position in the symbol before and after (a dividend: equal; 0 when
 *   flat: the row records that the action was met with nothing to do).
 * - `cash`: what the account's cash moved by (a dividend to a long: positive; to a short: negative; a split: 0).
 * - `canceled`: how many open orders of the symbol the split canceled.
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
  yield* sql.unsafe(`CREATE TABLE exchange_corporate_actions (
    account ${key} NOT NULL,
    action ${key} NOT NULL,
    symbol ${key} NOT NULL,
    ex_date ${key} NOT NULL,
    kind TEXT NOT NULL,
    qty_before ${float} NOT NULL,
    qty_after ${float} NOT NULL,
    cash ${float} NOT NULL,
    canceled INTEGER NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (account, action)
  )${pg ? "" : " WITHOUT ROWID"}`)
})

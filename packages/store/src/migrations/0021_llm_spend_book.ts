/**
 * Whose calls an `llm_spend` row paid for: `book` is the backtest's book id (NULL: the live book, or no book —
 * `verify`), `trading_day` the session of the run that made the call (NULL outside a run, and on rows written
 * before this migration). A backtest's runs live in its own database under ids that repeat from one backtest to
 * the next (`<day>-bt`), so a row is a run's only together with its book.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe(`ALTER TABLE llm_spend ADD COLUMN book TEXT`)
  yield* sql.unsafe(`ALTER TABLE llm_spend ADD COLUMN trading_day TEXT`)
  yield* sql.unsafe(`CREATE INDEX llm_spend_book ON llm_spend (book, trading_day)`)
})

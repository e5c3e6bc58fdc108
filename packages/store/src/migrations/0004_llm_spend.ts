/**
 * What LLM calls cost (`@council/llm` `SpendLedger`): one row per call, appended when it settles, never
 * cleared with a stage's recordings. Summed per run and per calendar month for the budgets. `at` is ISO-8601
 * text, so month ranges compare as text. No foreign key: calls outside a run (`verify`) count too.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  const autoId = pg ? "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
  const float = pg ? "DOUBLE PRECISION" : "REAL"

  yield* sql.unsafe(`CREATE TABLE llm_spend (
    id ${autoId},
    run_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    actor TEXT NOT NULL,
    purpose TEXT NOT NULL,
    model TEXT NOT NULL,
    cost_usd ${float} NOT NULL,
    estimated BOOLEAN NOT NULL,
    at TEXT NOT NULL
  )`)
  yield* sql.unsafe(`CREATE INDEX llm_spend_at ON llm_spend (at)`)
  yield* sql.unsafe(`CREATE INDEX llm_spend_run_id ON llm_spend (run_id)`)
})

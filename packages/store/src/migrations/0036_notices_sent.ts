/**
 * `notices_sent`: notices told to the operator once, not at every invocation — one row per notice key (say, market
 * data behind the clock: its last session and the session by the clock) with when it was first told, in epoch
 * milliseconds. A later invocation finding the row says it on stderr only.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  yield* sql.unsafe(`CREATE TABLE notices_sent (
    notice ${pg ? `TEXT COLLATE "C"` : "TEXT"} PRIMARY KEY,
    sent_at_ms ${pg ? "BIGINT" : "INTEGER"} NOT NULL
  )`)
})

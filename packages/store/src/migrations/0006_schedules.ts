/**
 * Schedules and the run lock.
 * - `exchange_accounts.phase`: with `last_session`, how far in time the local exchange processed an account —
 *   that session's open (`open`: during the session) or its close (`closed`, what every earlier row meant).
 * - `run_leases`: who runs what. One row per lock key (`daily:<day>`): the holder's token, host, pid and command,
 *   the run it works on, and its heartbeat and expiry in epoch milliseconds. A lease whose holder stopped renewing
 *   it expires and is taken over; on PostgreSQL an advisory lock guards the key as well and the row shows who.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  const key = pg ? `TEXT COLLATE "C"` : "TEXT"
  const integer = pg ? "BIGINT" : "INTEGER"

  yield* sql.unsafe(`ALTER TABLE exchange_accounts ADD COLUMN phase TEXT NOT NULL DEFAULT 'closed'`)

  yield* sql.unsafe(`CREATE TABLE run_leases (
    lock_key ${key} PRIMARY KEY,
    owner TEXT NOT NULL,
    run_id TEXT,
    host TEXT NOT NULL,
    pid ${integer} NOT NULL,
    command TEXT NOT NULL,
    acquired_at_ms ${integer} NOT NULL,
    heartbeat_at_ms ${integer} NOT NULL,
    expires_at_ms ${integer} NOT NULL
  )`)
})

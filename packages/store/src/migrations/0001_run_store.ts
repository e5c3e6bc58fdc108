/**
 * Runs, their stage checkpoints and their recorded external calls (the `RunStore` tables).
 *
 * JSON payloads are TEXT in both databases so they round-trip byte for byte. The autoincrement `seq`/`id`
 * columns keep write order; `UNIQUE (run_id, stage)` is what checkpoint upserts conflict on. PostgreSQL
 * text keys use the "C" collation so listings sort like SQLite's (binary) ordering.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  const autoId = pg ? "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
  const key = pg ? `TEXT COLLATE "C"` : "TEXT"
  const float = pg ? "DOUBLE PRECISION" : "REAL"

  yield* sql.unsafe(`CREATE TABLE runs (
    id ${key} PRIMARY KEY,
    pipeline TEXT NOT NULL,
    trading_day TEXT NOT NULL,
    as_of TEXT NOT NULL,
    mode TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    code_version TEXT NOT NULL,
    parent_run_id TEXT,
    fork_from TEXT,
    status TEXT NOT NULL,
    started_at ${key} NOT NULL,
    finished_at TEXT,
    error TEXT,
    params TEXT NOT NULL
  )`)
  yield* sql.unsafe(`CREATE INDEX runs_started_at ON runs (started_at, id)`)

  yield* sql.unsafe(`CREATE TABLE checkpoints (
    seq ${autoId},
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    output TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    duration_ms ${float} NOT NULL,
    reused_from TEXT,
    UNIQUE (run_id, stage)
  )`)

  yield* sql.unsafe(`CREATE TABLE recordings (
    id ${autoId},
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    value TEXT NOT NULL
  )`)
  yield* sql.unsafe(`CREATE INDEX recordings_run_id ON recordings (run_id, stage)`)
})

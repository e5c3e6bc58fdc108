/**
 * Checkpoints and stage recordings, leaner (SQLite; PostgreSQL keeps its layout).
 *
 * - Both become `WITHOUT ROWID` tables keyed by `(run_id, stage)`, stored in that order: the key is no longer kept
 *   twice, in the table and in the index of its `UNIQUE` constraint. `seq` (what a run's checkpoints and
 *   recordings are listed by: first write first) becomes a number within the run, given by the insert
 *   (`SqlRunStore`); the rows moved here keep their old, global values, which order a run's rows the same way.
 * - Hashes (`output_hash`, `input_hash`, `entries_hash`) are stored as their 16 bytes instead of 32 hex characters,
 *   as `0009_binary_blobs` did for the blobs' own keys. A value that is not 32 lowercase hex characters (an
 *   imported run's input hash can be anything) stays text: the columns have no type affinity, so both read back.
 * - `checkpoints.finished_at` may be null: the checkpoint finished at `started_at` + `duration_ms` (written so only
 *   when that gives the very same text; the rows moved here keep theirs).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"
import { rebuild } from "./WithoutRowid.ts"

/** `column` as 16 bytes when it is 32 lowercase hex characters, else as it is. */
const binaryHash = (column: string) =>
  `CASE WHEN length(${column}) = 32 AND ${column} NOT GLOB '*[^0-9a-f]*' THEN unhex(${column}) ELSE ${column} END`

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  if (sql.onDialectOrElse({ pg: () => true, orElse: () => false })) return
  yield* rebuild(sql, "checkpoints", {
    columns: "run_id, stage, seq, output_hash, input_hash, attempt, started_at, finished_at, duration_ms, reused_from",
    select: `run_id, stage, seq, ${binaryHash("output_hash")}, ${binaryHash("input_hash")}, attempt, started_at, finished_at,
      duration_ms, reused_from`,
    definition: `run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      stage TEXT NOT NULL,
      seq INTEGER NOT NULL,
      output_hash BLOB NOT NULL,
      input_hash BLOB NOT NULL,
      attempt INTEGER NOT NULL,
      started_at TEXT NOT NULL,
      finished_at TEXT,
      duration_ms REAL NOT NULL,
      reused_from TEXT,
      PRIMARY KEY (run_id, stage)`
  })
  yield* rebuild(sql, "stage_recordings", {
    columns: "run_id, stage, seq, entries_hash",
    select: `run_id, stage, seq, ${binaryHash("entries_hash")}`,
    definition: `run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
      stage TEXT NOT NULL,
      seq INTEGER NOT NULL,
      entries_hash BLOB NOT NULL,
      PRIMARY KEY (run_id, stage)`
  })
})

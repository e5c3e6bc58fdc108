/**
 * `stage_digests`: beside a checkpoint, a small JSON its stage derives from its output (`Stage.digest`), so that a
 * report over thousands of runs reads that instead of decoding every output (`RunStore.stageOutputs` with
 * `digests`): say, each daily run's mechanical vote, which a full-range leaderboard reads for 4,821 sessions.
 * Checkpoints written before this migration, imported or copied have none: their output is read as before.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const without = sql.onDialectOrElse({ pg: () => "", orElse: () => " WITHOUT ROWID" })
  yield* sql.unsafe(`CREATE TABLE stage_digests (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (run_id, stage)
  )${without}`)
})

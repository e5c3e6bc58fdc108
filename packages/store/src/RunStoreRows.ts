/**
 * How the SQL run store's rows are stored and read back: the row schemas of runs, checkpoints and stage outputs
 * (columns renamed to snake_case), their column lists, a checkpoint's row values as SQLite or PostgreSQL stores them,
 * and the decoders that name the row that does not decode. Only `SqlRunStore` reads and writes these rows.
 *
 * **Gotchas**: on SQLite a checkpoint's hashes are 16 bytes and its `finished_at` is left out when it is
 * `started_at` + `duration_ms` (`0011_run_store_lean`): read a row through `readCheckpointRow` before decoding it.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { RunId } from "@council/domain"
import { type Checkpoint, type DamagedRun, type JsonText, RunRecord, StoreError } from "@council/engine"
import * as Blobs from "./Blobs.ts"

/** PostgreSQL returns booleans, SQLite 0/1. */
const DbBoolean = Schema.Union([Schema.Boolean, Schema.BooleanFromBit])

export const RunRow = Schema.Struct({
  ...RunRecord.fields,
  dryRun: DbBoolean
}).pipe(Schema.encodeKeys({
  tradingDay: "trading_day",
  asOf: "as_of",
  dryRun: "dry_run",
  codeVersion: "code_version",
  parentRunId: "parent_run_id",
  forkFrom: "fork_from",
  startedAt: "started_at",
  finishedAt: "finished_at"
}))

export const CheckpointRow = Schema.Struct({
  runId: RunId,
  stage: Schema.String,
  outputHash: Schema.String,
  inputHash: Schema.String,
  attempt: Schema.Int,
  startedAt: Schema.String,
  finishedAt: Schema.String,
  durationMs: Schema.Finite,
  reusedFrom: Schema.NullOr(RunId)
}).pipe(Schema.encodeKeys({
  runId: "run_id",
  outputHash: "output_hash",
  inputHash: "input_hash",
  startedAt: "started_at",
  finishedAt: "finished_at",
  durationMs: "duration_ms",
  reusedFrom: "reused_from"
}))

/** A completed run's row beside its checkpoint's output hash (`stageOutputs`). */
export const StageOutputRow = Schema.Struct({
  runId: RunId,
  tradingDay: RunRecord.fields.tradingDay,
  dryRun: DbBoolean,
  startedAt: Schema.String,
  outputHash: Schema.NullOr(Schema.String)
}).pipe(Schema.encodeKeys({ runId: "id", tradingDay: "trading_day", dryRun: "dry_run", startedAt: "started_at", outputHash: "output_hash" }))

export const runColumns = "id, pipeline, trading_day, as_of, mode, dry_run, code_version, parent_run_id, fork_from, " +
  "status, started_at, finished_at, error, params_hash"
export const checkpointColumns = "run_id, stage, output_hash, input_hash, attempt, started_at, finished_at, duration_ms, " +
  "reused_from"

/**
 * When a checkpoint that started at `startedAt` and took `durationMs` finished, as `toISOString` writes it: what a
 * SQLite row without `finished_at` means (`0011_run_store_lean`); `undefined` when `startedAt` is no time.
 */
export const finishOf = (startedAt: string, durationMs: number): string | undefined => {
  const finish = new Date(Date.parse(startedAt) + durationMs)
  return Number.isNaN(finish.getTime()) ? undefined : finish.toISOString()
}

/**
 * A checkpoint's row values with its output's blob: in `checkpointColumns` order on PostgreSQL; on SQLite with the
 * run id again after the stage (for its `seq`), hashes as bytes, and no `finished_at` when `finishOf` gives it.
 */
export const checkpointValues = (pg: boolean, checkpoint: Checkpoint, output: JsonText) =>
  pg
    ? [
      checkpoint.runId,
      checkpoint.stage,
      output.hash,
      checkpoint.inputHash,
      checkpoint.attempt,
      checkpoint.startedAt,
      checkpoint.finishedAt,
      checkpoint.durationMs,
      checkpoint.reusedFrom
    ]
    : [
      checkpoint.runId,
      checkpoint.stage,
      checkpoint.runId,
      Blobs.storedHash(false, output.hash),
      Blobs.storedHash(false, checkpoint.inputHash),
      checkpoint.attempt,
      checkpoint.startedAt,
      finishOf(checkpoint.startedAt, checkpoint.durationMs) === checkpoint.finishedAt ? null : checkpoint.finishedAt,
      checkpoint.durationMs,
      checkpoint.reusedFrom
    ]

/** A checkpoint row as read, its hashes as hex and its `finished_at` given (see `checkpointValues`). */
export const readCheckpointRow = (row: Record<string, unknown>): Record<string, unknown> => ({
  ...row,
  output_hash: Blobs.hexOf(row["output_hash"]),
  input_hash: Blobs.hexOf(row["input_hash"]),
  finished_at: row["finished_at"] ?? finishOf(String(row["started_at"]), Number(row["duration_ms"]))
})

/** A stored digest's JSON; `undefined` when it does not parse (its output is read instead). */
export const parseDigest = (text: string): Schema.Json | undefined => {
  try {
    return JSON.parse(text) as Schema.Json
  } catch {
    return undefined
  }
}

export const decodeRunRows = Schema.decodeUnknownEffect(Schema.Array(RunRow))
export const decodeRun = Schema.decodeUnknownEffect(RunRow)
export const decodeCheckpointRows = Schema.decodeUnknownEffect(Schema.Array(CheckpointRow))
export const decodeCheckpoint = Schema.decodeUnknownEffect(CheckpointRow)
export const decodeStageOutputs = Schema.decodeUnknownEffect(Schema.Array(StageOutputRow))
/** A row that does not decode, named by what it holds (`run R`, `run R's checkpoint of S`). */
export const undecodable = (operation: string, what: string, error: Schema.SchemaError) =>
  new StoreError({ operation, message: `${what}: stored data does not decode: ${error.message}`, kind: "damaged" })
/** Rows decoded at once; when one does not decode, the first that does not is named. */
export const decodeNamed = <A>(
  operation: string,
  rows: ReadonlyArray<Record<string, unknown>>,
  all: (rows: ReadonlyArray<Record<string, unknown>>) => Effect.Effect<ReadonlyArray<A>, Schema.SchemaError>,
  one: (row: Record<string, unknown>) => Effect.Effect<A, Schema.SchemaError>,
  nameOf: (row: Record<string, unknown>) => string
) =>
  Effect.catchTag(all(rows), "SchemaError", (error) =>
    Effect.gen(function*() {
      for (const row of rows) {
        const failed = yield* Effect.flip(one(row)).pipe(Effect.option)
        if (Option.isSome(failed)) return yield* undecodable(operation, nameOf(row), failed.value)
      }
      return yield* undecodable(operation, "a row", error)
    }))

/** A run's row that does not read back: what of it reads, and `damage` on one line (a schema's message has several). */
export const damagedRun = (row: Record<string, unknown>, damage: string): DamagedRun => ({
  id: String(row["id"]),
  tradingDay: typeof row["trading_day"] === "string" ? row["trading_day"] : null,
  startedAt: typeof row["started_at"] === "string" ? row["started_at"] : null,
  damage: damage.replace(/\s*\n\s*/g, " ")
})

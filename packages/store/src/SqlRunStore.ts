/**
 * The SQL implementation of the engine's `RunStore`, on any `SqlClient` migrated by `Database`.
 *
 * **When to use**: `SqlRunStore.layer` needs a `SqlClient` (tests: `Database.layerSqlite` / `layerPg`);
 * `SqlRunStore.layerConfig` brings its own `Database.layer` and also exposes that client.
 *
 * **Details**
 * - Behaves like `RunStore.makeMemory` (the shared test suite pins both): checkpoints come back in first-write
 *   order (an upsert keeps its place), recordings in write order, runs newest first by `startedAt` then id
 *   (binary string order).
 * - `output`, `value` and `params` are JSON text and decode back to structurally identical JSON.
 * - `importBundle` is one transaction; it also rejects a bundle whose checkpoints or recordings name another run.
 * - Every SQL or decoding failure becomes a `StoreError` naming the operation.
 *
 * **Gotchas**
 * - Checkpoints and recordings reference their run (foreign key): write the run first.
 *
 * @since 0.1.0
 */
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SqlClient from "effect/sql/SqlClient"
import * as SqlError from "effect/sql/SqlError"
import { RunId } from "@council/domain"
import {
  type Checkpoint,
  type ListRunsQuery,
  type Recording,
  type RunBundle,
  type RunOrigin,
  type RunPatch,
  RunRecord,
  RunStore,
  StoreError
} from "@council/engine"
import * as Database from "./Database.ts"

const JsonText = Schema.fromJsonString(Schema.Json)
/** PostgreSQL returns booleans, SQLite 0/1. */
const DbBoolean = Schema.Union([Schema.Boolean, Schema.BooleanFromBit])

const RunRow = Schema.Struct({
  ...RunRecord.fields,
  dryRun: DbBoolean,
  params: JsonText
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

const CheckpointRow = Schema.Struct({
  runId: RunId,
  stage: Schema.String,
  output: JsonText,
  inputHash: Schema.String,
  attempt: Schema.Int,
  startedAt: Schema.String,
  finishedAt: Schema.String,
  durationMs: Schema.Finite,
  reusedFrom: Schema.NullOr(RunId)
}).pipe(Schema.encodeKeys({
  runId: "run_id",
  inputHash: "input_hash",
  startedAt: "started_at",
  finishedAt: "finished_at",
  durationMs: "duration_ms",
  reusedFrom: "reused_from"
}))

const RecordingRow = Schema.Struct({
  runId: RunId,
  stage: Schema.String,
  key: Schema.String,
  seq: Schema.Int,
  value: JsonText
}).pipe(Schema.encodeKeys({ runId: "run_id" }))

const runColumns = "id, pipeline, trading_day, as_of, mode, dry_run, code_version, parent_run_id, fork_from, " +
  "status, started_at, finished_at, error, params"
const checkpointColumns = "run_id, stage, output, input_hash, attempt, started_at, finished_at, duration_ms, " +
  "reused_from"
const recordingColumns = "run_id, stage, key, seq, value"

/** Rows per multi-row INSERT: well under SQLite's and PostgreSQL's parameter limits. */
const insertChunk = 200

const chunks = <A>(items: ReadonlyArray<A>): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += insertChunk) out.push(items.slice(i, i + insertChunk))
  return out
}

/** The driver's own message (PostgreSQL's `SqlError.message` is only "Query failed"). */
const describeError = (error: SqlError.SqlError | Schema.SchemaError): string => {
  if (error._tag === "SchemaError") return `stored data does not decode: ${error.message}`
  const cause = error.reason.cause
  return cause instanceof Error && cause.message !== "" ? `${error.reason._tag}: ${cause.message}` : error.message
}

const storeError = (operation: string) => (error: SqlError.SqlError | Schema.SchemaError | StoreError) =>
  error._tag === "StoreError" ? error : new StoreError({ operation, message: describeError(error) })

const isUniqueViolation = (error: unknown): error is SqlError.SqlError =>
  SqlError.isSqlError(error) && error.reason._tag === "UniqueViolation"

/** Builds the store over the current `SqlClient`. */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient

  const encodeRun = Schema.encodeEffect(RunRow)
  const encodeCheckpoint = (checkpoint: Checkpoint) => Schema.encodeEffect(CheckpointRow)(checkpoint)
  const encodeRecording = (recording: Recording) => Schema.encodeEffect(RecordingRow)(recording)
  const decodeRuns = Schema.decodeUnknownEffect(Schema.Array(RunRow))
  const decodeCheckpoints = Schema.decodeUnknownEffect(Schema.Array(CheckpointRow))
  const decodeRecordings = Schema.decodeUnknownEffect(Schema.Array(RecordingRow))

  /** Inserts a run; a taken id fails with "run <id> already exists". */
  const insertRun = (operation: string, run: RunRecord, origin: RunOrigin) =>
    Effect.catchIf(
      Effect.flatMap(encodeRun(run), (row) => sql`INSERT INTO runs ${sql.insert({ ...row, origin })}`),
      isUniqueViolation,
      () => Effect.fail(new StoreError({ operation, message: `run ${run.id} already exists` }))
    )

  const insertAll = <A, I extends Record<string, unknown>>(
    table: string,
    encode: (item: A) => Effect.Effect<I, Schema.SchemaError>,
    items: ReadonlyArray<A>
  ) =>
    Effect.forEach(chunks(items), (chunk) =>
      Effect.gen(function*() {
        const rows = yield* Effect.forEach(chunk, (item) => encode(item))
        if (Arr.isArrayNonEmpty(rows)) yield* sql`INSERT INTO ${sql(table)} ${sql.insert(rows)}`
      }), { discard: true })

  const createRun = Effect.fn("SqlRunStore.createRun")(
    function*(run: RunRecord) {
      yield* insertRun("createRun", run, "local")
    },
    Effect.mapError(storeError("createRun"))
  )

  const updateRun = Effect.fn("SqlRunStore.updateRun")(
    function*(id: RunId, patch: RunPatch) {
      const updated = yield* sql`UPDATE runs SET ${
        sql.update({ status: patch.status, finished_at: patch.finishedAt, error: patch.error })
      } WHERE id = ${id} RETURNING id`
      if (updated.length === 0) return yield* new StoreError({ operation: "updateRun", message: `no run ${id}` })
    },
    Effect.mapError(storeError("updateRun"))
  )

  const getRun = Effect.fn("SqlRunStore.getRun")(
    function*(id: RunId) {
      const rows = yield* decodeRuns(yield* sql`SELECT ${sql.literal(runColumns)} FROM runs WHERE id = ${id}`)
      return Option.fromNullishOr(rows[0])
    },
    Effect.mapError(storeError("getRun"))
  )

  const listRuns = Effect.fn("SqlRunStore.listRuns")(
    function*(query: ListRunsQuery) {
      const filters = [
        ...(query.pipeline === undefined ? [] : [sql`pipeline = ${query.pipeline}`]),
        ...(query.tradingDay === undefined ? [] : [sql`trading_day = ${query.tradingDay}`]),
        ...(query.origin === undefined ? [] : [sql`origin = ${query.origin}`])
      ]
      return yield* decodeRuns(
        yield* sql`SELECT ${sql.literal(runColumns)} FROM runs WHERE ${sql.and(filters)}
          ORDER BY started_at DESC, id DESC LIMIT ${Math.max(0, query.limit)}`
      )
    },
    Effect.mapError(storeError("listRuns"))
  )

  const putCheckpoint = Effect.fn("SqlRunStore.putCheckpoint")(
    function*(checkpoint: Checkpoint) {
      const row = yield* encodeCheckpoint(checkpoint)
      yield* sql`INSERT INTO checkpoints ${sql.insert(row)}
        ON CONFLICT (run_id, stage) DO UPDATE SET ${
        sql.update({
          output: row.output,
          input_hash: row.input_hash,
          attempt: row.attempt,
          started_at: row.started_at,
          finished_at: row.finished_at,
          duration_ms: row.duration_ms,
          reused_from: row.reused_from
        })
      }`
    },
    Effect.mapError(storeError("putCheckpoint"))
  )

  const getCheckpoints = Effect.fn("SqlRunStore.getCheckpoints")(
    function*(runId: RunId) {
      return yield* decodeCheckpoints(
        yield* sql`SELECT ${sql.literal(checkpointColumns)} FROM checkpoints WHERE run_id = ${runId} ORDER BY seq`
      )
    },
    Effect.mapError(storeError("getCheckpoints"))
  )

  const putRecording = Effect.fn("SqlRunStore.putRecording")(
    function*(recording: Recording) {
      yield* insertAll("recordings", encodeRecording, [recording])
    },
    Effect.mapError(storeError("putRecording"))
  )

  const getRecordings = Effect.fn("SqlRunStore.getRecordings")(
    function*(runId: RunId) {
      return yield* decodeRecordings(
        yield* sql`SELECT ${sql.literal(recordingColumns)} FROM recordings WHERE run_id = ${runId} ORDER BY id`
      )
    },
    Effect.mapError(storeError("getRecordings"))
  )

  const clearRecordings = Effect.fn("SqlRunStore.clearRecordings")(
    function*(runId: RunId, stage: string) {
      yield* sql`DELETE FROM recordings WHERE run_id = ${runId} AND stage = ${stage}`
    },
    Effect.mapError(storeError("clearRecordings"))
  )

  const importBundle = Effect.fn("SqlRunStore.importBundle")(
    function*(bundle: RunBundle, origin: RunOrigin = "imported") {
      const id = bundle.run.id
      const foreign = [...bundle.checkpoints, ...bundle.recordings].find((item) => item.runId !== id)
      if (foreign) {
        return yield* new StoreError({
          operation: "importBundle",
          message: `bundle of run ${id} contains data of run ${foreign.runId} (stage ${foreign.stage})`
        })
      }
      yield* sql.withTransaction(
        insertRun("importBundle", bundle.run, origin).pipe(
          Effect.andThen(insertAll("checkpoints", encodeCheckpoint, bundle.checkpoints)),
          Effect.andThen(insertAll("recordings", encodeRecording, bundle.recordings))
        )
      )
    },
    Effect.mapError(storeError("importBundle"))
  )

  return RunStore.of({
    createRun,
    updateRun,
    getRun,
    listRuns,
    putCheckpoint,
    getCheckpoints,
    putRecording,
    getRecordings,
    clearRecordings,
    importBundle
  })
})

/** `RunStore` over the `SqlClient` in context (already migrated, e.g. by `Database.layerSqlite`). */
export const layer: Layer.Layer<RunStore, never, SqlClient.SqlClient> = Layer.effect(RunStore, make)

/** `RunStore` over `Database.layer` (configured from the environment); also provides that `SqlClient`. */
export const layerConfig = layer.pipe(Layer.provideMerge(Database.layer))

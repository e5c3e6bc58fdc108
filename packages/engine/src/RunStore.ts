/**
 * Where runs, their stage checkpoints and their recorded external calls are kept.
 *
 * **When to use**: the `Runner` and the `Recorder` read and write through this service; the CLI reads it to
 * list, show, export and import runs. `layerMemory` is for tests; `@council/store` provides the SQL layer.
 *
 * **Gotchas**
 * - JSON payloads (`output`, `value`, `params`) are stored as JSON text and must round-trip exactly: replay
 *   compares decoded checkpoint values, so a store must never rewrite them.
 * - `putCheckpoint` upserts on `(runId, stage)`; a resumed run overwrites the checkpoint of a retried stage.
 * - `clearRecordings(runId, stage)` is called when a stage attempt starts, so a run's recordings are always those
 *   of the attempt that produced its checkpoint.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { RunId, TradingDay } from "@council/domain"

/** `record` runs live calls and stores them, `replay` answers only from recordings, `live` stores nothing. */
export const RecorderMode = Schema.Literals(["live", "record", "replay"])
export type RecorderMode = typeof RecorderMode.Type

/**
 * `awaiting-approval`: stopped before a stage until a person decides (`Runner.start`'s `pauseBefore`), then resumed
 * or `rejected` (final, nothing after the pause ran).
 */
export const RunStatus = Schema.Literals(["running", "completed", "failed", "awaiting-approval", "rejected"])
export type RunStatus = typeof RunStatus.Type

export const RunRecord = Schema.Struct({
  id: RunId,
  pipeline: Schema.String,
  tradingDay: TradingDay,
  asOf: TradingDay,
  mode: RecorderMode,
  dryRun: Schema.Boolean,
  codeVersion: Schema.String,
  parentRunId: Schema.NullOr(RunId),
  /** For a fork: the first stage that was re-run instead of reused from the parent. */
  forkFrom: Schema.NullOr(Schema.String),
  status: RunStatus,
  startedAt: Schema.String,
  finishedAt: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  /** Run parameters and configuration without secrets. */
  params: Schema.Json
})
export type RunRecord = typeof RunRecord.Type

export const Checkpoint = Schema.Struct({
  runId: RunId,
  stage: Schema.String,
  /** The stage output, encoded with the stage's output schema. */
  output: Schema.Json,
  inputHash: Schema.String,
  attempt: Schema.Int,
  startedAt: Schema.String,
  finishedAt: Schema.String,
  durationMs: Schema.Finite,
  /** Set when the checkpoint was copied from a parent run rather than computed. */
  reusedFrom: Schema.NullOr(RunId)
})
export type Checkpoint = typeof Checkpoint.Type

export const Recording = Schema.Struct({
  runId: RunId,
  stage: Schema.String,
  /** Names the call: `<service>.<method>(<args>)#<occurrence>`. */
  key: Schema.String,
  /** Order of the call within its stage attempt. */
  seq: Schema.Int,
  /** `{ "_tag": "Success", "value": … }` or `{ "_tag": "Failure", "error": … }`, schema-encoded. */
  value: Schema.Json
})
export type Recording = typeof Recording.Type

export const RunPatch = Schema.Struct({
  status: RunStatus,
  finishedAt: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String)
})
export type RunPatch = typeof RunPatch.Type

/** `local`: run, resumed or forked in this store; `imported`: read from another home's bundle. */
export const RunOrigin = Schema.Literals(["local", "imported"])
export type RunOrigin = typeof RunOrigin.Type

export const ListRunsQuery = Schema.Struct({
  limit: Schema.Int,
  pipeline: Schema.optionalKey(Schema.String),
  tradingDay: Schema.optionalKey(TradingDay),
  origin: Schema.optionalKey(RunOrigin)
})
export type ListRunsQuery = typeof ListRunsQuery.Type

/** A self-contained run: its record, checkpoints and recordings (`BundleFile` is its file format). */
export const RunBundle = Schema.Struct({
  run: RunRecord,
  checkpoints: Schema.Array(Checkpoint),
  recordings: Schema.Array(Recording)
})
export type RunBundle = typeof RunBundle.Type

export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  operation: Schema.String,
  message: Schema.String
}) {}

export class RunStore extends Context.Service<RunStore, {
  readonly createRun: (run: RunRecord) => Effect.Effect<void, StoreError>
  readonly updateRun: (id: RunId, patch: RunPatch) => Effect.Effect<void, StoreError>
  readonly getRun: (id: RunId) => Effect.Effect<Option.Option<RunRecord>, StoreError>
  /** Newest first (by `startedAt`, then id). */
  readonly listRuns: (query: ListRunsQuery) => Effect.Effect<ReadonlyArray<RunRecord>, StoreError>
  readonly putCheckpoint: (checkpoint: Checkpoint) => Effect.Effect<void, StoreError>
  /** In the order they were first written. */
  readonly getCheckpoints: (runId: RunId) => Effect.Effect<ReadonlyArray<Checkpoint>, StoreError>
  readonly putRecording: (recording: Recording) => Effect.Effect<void, StoreError>
  /** Ordered by stage write order, then `seq`. */
  readonly getRecordings: (runId: RunId) => Effect.Effect<ReadonlyArray<Recording>, StoreError>
  readonly clearRecordings: (runId: RunId, stage: string) => Effect.Effect<void, StoreError>
  /**
   * Writes the run, its checkpoints and recordings atomically; fails if the run id exists. `origin` defaults to
   * `imported`; the runner writes a fork this way too, as `local`.
   */
  readonly importBundle: (bundle: RunBundle, origin?: RunOrigin) => Effect.Effect<void, StoreError>
}>()("@council/engine/RunStore") {
  /** An in-memory store, for tests and for replaying a bundle without touching the database. */
  static readonly layerMemory = Layer.sync(RunStore, () => makeMemory())
}

/** Builds an in-memory `RunStore`. */
export const makeMemory = (): RunStore["Service"] => {
  const runs = new Map<string, RunRecord>()
  const origins = new Map<string, RunOrigin>()
  const checkpoints = new Map<string, Array<Checkpoint>>()
  const recordings = new Map<string, Array<Recording>>()
  const list = <A>(map: Map<string, Array<A>>, id: string): Array<A> => {
    const existing = map.get(id)
    if (existing) return existing
    const created: Array<A> = []
    map.set(id, created)
    return created
  }
  return RunStore.of({
    createRun: (run) =>
      runs.has(run.id)
        ? Effect.fail(new StoreError({ operation: "createRun", message: `run ${run.id} already exists` }))
        : Effect.sync(() => void runs.set(run.id, run)),
    updateRun: (id, patch) =>
      Effect.suspend(() => {
        const run = runs.get(id)
        if (!run) return Effect.fail(new StoreError({ operation: "updateRun", message: `no run ${id}` }))
        runs.set(id, { ...run, ...patch })
        return Effect.void
      }),
    getRun: (id) => Effect.sync(() => Option.fromNullishOr(runs.get(id))),
    listRuns: (query) =>
      Effect.sync(() =>
        [...runs.values()]
          .filter((r) => query.pipeline === undefined || r.pipeline === query.pipeline)
          .filter((r) => query.tradingDay === undefined || r.tradingDay === query.tradingDay)
          .filter((r) => query.origin === undefined || (origins.get(r.id) ?? "local") === query.origin)
          .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id))
          .slice(0, query.limit)
      ),
    putCheckpoint: (checkpoint) =>
      Effect.sync(() => {
        const all = list(checkpoints, checkpoint.runId)
        const at = all.findIndex((c) => c.stage === checkpoint.stage)
        if (at >= 0) all[at] = checkpoint
        else all.push(checkpoint)
      }),
    getCheckpoints: (runId) => Effect.sync(() => [...(checkpoints.get(runId) ?? [])]),
    putRecording: (recording) => Effect.sync(() => void list(recordings, recording.runId).push(recording)),
    getRecordings: (runId) => Effect.sync(() => [...(recordings.get(runId) ?? [])]),
    clearRecordings: (runId, stage) =>
      Effect.sync(() => void recordings.set(runId, (recordings.get(runId) ?? []).filter((r) => r.stage !== stage))),
    importBundle: (bundle, origin = "imported") =>
      runs.has(bundle.run.id)
        ? Effect.fail(new StoreError({ operation: "importBundle", message: `run ${bundle.run.id} already exists` }))
        : Effect.sync(() => {
          runs.set(bundle.run.id, bundle.run)
          origins.set(bundle.run.id, origin)
          checkpoints.set(bundle.run.id, [...bundle.checkpoints])
          recordings.set(bundle.run.id, [...bundle.recordings])
        })
  })
}

/**
 * Where runs, their stage checkpoints and their recorded external calls are kept.
 *
 * **When to use**: the `Runner` and the `Recorder` read and write through this service; the CLI reads it to
 * list, show, export and import runs. `layerMemory` is for tests; `@council/store` provides the SQL layer.
 *
 * **Gotchas**
 * - JSON payloads (`output`, `value`, `params`) are stored as JSON text and must round-trip exactly: replay
 *   compares decoded checkpoint values, so a store must never rewrite them.
 * - `commitStage` writes what a stage attempt left — its checkpoint and its recordings — in one transaction, and
 *   replaces whatever recordings the stage had: a run's recordings are always those of the attempt that produced
 *   its checkpoint (or, for a stage that failed, of its last attempt). `putCheckpoint` upserts on
 *   `(runId, stage)`; a re-committed stage keeps its place in the order of checkpoints and of recordings.
 * - The SQL store keeps payloads by content hash (`jsonText`): what does not change is stored once. Payloads are
 *   encoded values nobody mutates after handing them over.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { CalendarDay, IsoMoment, RunId, TradingDay } from "@council/domain"

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
  tradingDay: CalendarDay,
  asOf: CalendarDay,
  mode: RecorderMode,
  dryRun: Schema.Boolean,
  codeVersion: Schema.String,
  parentRunId: Schema.NullOr(RunId),
  /** For a fork: the first stage that was re-run instead of reused from the parent. */
  forkFrom: Schema.NullOr(Schema.String),
  status: RunStatus,
  startedAt: IsoMoment,
  finishedAt: Schema.NullOr(IsoMoment),
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

/**
 * What one stage attempt leaves: its checkpoint when it succeeded (`null` when it failed: its recordings are kept
 * as the evidence) and its recordings, in call order, which replace those the stage had. `completes`: the run's
 * finish time when this is its last stage's checkpoint — the run is `completed` in the same transaction (one
 * commit fewer a run than an `updateRun` after it).
 */
export interface StageCommit {
  readonly runId: RunId
  readonly stage: string
  readonly checkpoint: Checkpoint | null
  readonly recordings: ReadonlyArray<Recording>
  readonly completes?: string
  /**
   * The checkpoint's digest (`Stage.digest`), stored beside it; a checkpoint committed without one has none (a
   * digest its stage kept before is dropped).
   */
  readonly digest?: Schema.Json
}

/**
 * Stage commits of one run written in one transaction, in order (the runner's `batched` commits, `Runner.Commits`).
 * `create`: the run itself, inserted first as `createRun` would (a taken id fails the batch, nothing is written).
 */
export interface StageBatch {
  readonly create?: RunRecord
  readonly commits: ReadonlyArray<StageCommit>
}

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
  origin: Schema.optionalKey(RunOrigin),
  /** A page's cursor: only runs listed after this one (older: `startedAt`, then `id`, below it). */
  before: Schema.optionalKey(Schema.Struct({ startedAt: Schema.String, id: Schema.String })),
  /** Only runs of trading days in this range, both included. */
  days: Schema.optionalKey(Schema.Struct({ from: TradingDay, to: TradingDay }))
})
export type ListRunsQuery = typeof ListRunsQuery.Type

export const StageOutputsQuery = Schema.Struct({
  pipeline: Schema.String,
  stage: Schema.String,
  /** The first and last trading day of the runs, both included. */
  from: TradingDay,
  to: TradingDay,
  origin: Schema.optionalKey(RunOrigin),
  /** Each checkpoint's stored digest (`Stage.digest`) instead of its output, where it has one. */
  digests: Schema.optionalKey(Schema.Boolean)
})
export type StageOutputsQuery = typeof StageOutputsQuery.Type

/** One completed run's output of one stage (`RunStore.stageOutputs`), with what tells a day's runs apart. */
export interface StageOutput {
  readonly runId: RunId
  readonly tradingDay: TradingDay
  readonly dryRun: boolean
  readonly startedAt: string
  /** Absent when the run has no checkpoint of the stage, or when `digest` is given instead. */
  readonly output?: Schema.Json
  /** Asked for (`digests`) and stored: the checkpoint's digest, its output not read. */
  readonly digest?: Schema.Json
}

const binary = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** `stageOutputs`' order: oldest trading day first, then by `startedAt`, then id (binary string order). */
export const byDayThenStart = (a: StageOutput, b: StageOutput): number =>
  binary(a.tradingDay, b.tradingDay) || binary(a.startedAt, b.startedAt) || binary(a.runId, b.runId)

/**
 * A self-contained run: its record, checkpoints and recordings (`BundleFile` is its file format). `origins`: the
 * parameters of each run a checkpoint's `reusedFrom` names (a fork's parent, a retry's root), by run id: a reused
 * stage replays with them (`Runner.replay`). Absent when no stage was reused; a store keeps the origin runs
 * themselves, so `importBundle` does not write it.
 */
export const RunBundle = Schema.Struct({
  run: RunRecord,
  checkpoints: Schema.Array(Checkpoint),
  recordings: Schema.Array(Recording),
  origins: Schema.optionalKey(Schema.Record(Schema.String, Schema.Json))
})
export type RunBundle = typeof RunBundle.Type

/** The ids of the runs whose stages `checkpoints` reused (their `reusedFrom`), each once, in their order. */
export const reusedRuns = (checkpoints: ReadonlyArray<Checkpoint>): ReadonlyArray<RunId> => [
  ...new Set(checkpoints.flatMap((c) => c.reusedFrom === null ? [] : [c.reusedFrom]))
]

/** `bundle`'s origins (`RunBundle.origins`) by run id, as `Runner.replay` takes them. */
export const bundleOrigins = (bundle: RunBundle): ReadonlyMap<RunId, Schema.Json> =>
  new Map(Object.entries(bundle.origins ?? {}).map(([id, params]) => [RunId.make(id), params] as const))

/**
 * A run listed by `surveyRuns` whose stored row or parameters do not read back (a database edited by hand, a disk
 * that rotted): its id, its trading day and start as far as they read, and what is wrong, naming what it holds.
 */
export interface DamagedRun {
  readonly id: string
  readonly tradingDay: string | null
  readonly startedAt: string | null
  readonly damage: string
}

/** Whether an entry `surveyRuns` lists is damaged. */
export const isDamagedRun = (entry: RunRecord | DamagedRun): entry is DamagedRun => "damage" in entry

/**
 * A store's failure. `kind: "damaged"` when stored data does not read back (a row that does not decode, a blob
 * missing or edited): asking again will not help. Absent for any other failure (the database busy, locked or
 * unreachable; a run that already exists): classify by `kind` (`isDamaged`), never by the message's wording.
 */
export class StoreError extends Schema.TaggedError<StoreError>()("StoreError", {
  operation: Schema.String,
  message: Schema.String,
  kind: Schema.optional(Schema.Literal("damaged"))
}) {}

/** Whether `error` is a `StoreError` that found stored data damaged (`kind: "damaged"`). */
export const isDamaged = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { readonly _tag?: unknown })._tag === "StoreError" &&
  (error as StoreError).kind === "damaged"

export class RunStore extends Context.Service<RunStore, {
  readonly createRun: (run: RunRecord) => Effect.Effect<void, StoreError>
  readonly updateRun: (id: RunId, patch: RunPatch) => Effect.Effect<void, StoreError>
  readonly getRun: (id: RunId) => Effect.Effect<Option.Option<RunRecord>, StoreError>
  /** Newest first (by `startedAt`, then id). */
  readonly listRuns: (query: ListRunsQuery) => Effect.Effect<ReadonlyArray<RunRecord>, StoreError>
  /**
   * `listRuns` for a user looking at the list: a run that does not read back is listed in its place as a
   * `DamagedRun` instead of failing the whole list (which `listRuns` does: what reads runs to act on them).
   */
  readonly surveyRuns: (query: ListRunsQuery) => Effect.Effect<ReadonlyArray<RunRecord | DamagedRun>, StoreError>
  readonly putCheckpoint: (checkpoint: Checkpoint) => Effect.Effect<void, StoreError>
  /** In the order they were first written; with `stage`, only that stage's (its output is the only one read). */
  readonly getCheckpoints: (runId: RunId, stage?: string) => Effect.Effect<ReadonlyArray<Checkpoint>, StoreError>
  /**
   * Every completed run of `pipeline` (and `origin`, when given) whose trading day lies in [from, to], with its
   * output of `stage` (none when it has no such checkpoint), oldest day first, then by `startedAt`, then id. A few
   * statements whatever the number of runs, reading neither their parameters nor their other checkpoints: what a
   * report over thousands of a backtest's runs needs of them.
   */
  readonly stageOutputs: (query: StageOutputsQuery) => Effect.Effect<ReadonlyArray<StageOutput>, StoreError>
  /** A stage attempt's checkpoint and recordings, atomically (see `StageCommit`); the run must exist. */
  readonly commitStage: (commit: StageCommit) => Effect.Effect<void, StoreError>
  /** Several stage commits of one run (and the run, when `create` is given) in one transaction (see `StageBatch`). */
  readonly commitStages: (batch: StageBatch) => Effect.Effect<void, StoreError>
  /** By the order their stages were first committed, then as recorded. */
  readonly getRecordings: (runId: RunId) => Effect.Effect<ReadonlyArray<Recording>, StoreError>
  /**
   * Writes the run, its checkpoints and recordings atomically; fails if the run id exists. `origin` defaults to
   * `imported`; the runner writes a fork this way too, as `local`.
   */
  readonly importBundle: (bundle: RunBundle, origin?: RunOrigin) => Effect.Effect<void, StoreError>
}>()("@council/engine/RunStore") {
  /** An in-memory store, for tests and for replaying a bundle without touching the database. */
  static readonly layerMemory = Layer.sync(RunStore, () => makeMemory())
}

/** Strings in code-unit (binary) order. */
const binaryOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Builds an in-memory `RunStore`. */
export const makeMemory = (): RunStore["Service"] => {
  const runs = new Map<string, RunRecord>()
  const origins = new Map<string, RunOrigin>()
  const checkpoints = new Map<string, Array<Checkpoint>>()
  const digests = new Map<string, Schema.Json>()
  const digestKey = (runId: string, stage: string) => `${runId} ${stage}`
  const recordings = new Map<string, Map<string, ReadonlyArray<Recording>>>()
  const putCheckpoint = (checkpoint: Checkpoint) => {
    digests.delete(digestKey(checkpoint.runId, checkpoint.stage))
    const all = checkpoints.get(checkpoint.runId) ?? []
    checkpoints.set(checkpoint.runId, all)
    const at = all.findIndex((c) => c.stage === checkpoint.stage)
    if (at >= 0) all[at] = checkpoint
    else all.push(checkpoint)
  }
  const stagesOf = (runId: string) => {
    const stages = recordings.get(runId) ?? new Map<string, ReadonlyArray<Recording>>()
    recordings.set(runId, stages)
    return stages
  }
  const commitStage = (commit: StageCommit) => {
    if (commit.checkpoint !== null) putCheckpoint(commit.checkpoint)
    if (commit.checkpoint !== null && commit.digest !== undefined) digests.set(digestKey(commit.runId, commit.stage), commit.digest)
    stagesOf(commit.runId).set(commit.stage, commit.recordings)
    const run = runs.get(commit.runId)
    if (commit.completes !== undefined && run !== undefined) {
      runs.set(commit.runId, { ...run, status: "completed", finishedAt: commit.completes, error: null })
    }
  }
  const listRuns = (query: ListRunsQuery) =>
    Effect.sync(() =>
      [...runs.values()]
        .filter((r) => query.pipeline === undefined || r.pipeline === query.pipeline)
        .filter((r) => query.tradingDay === undefined || r.tradingDay === query.tradingDay)
        .filter((r) => query.origin === undefined || (origins.get(r.id) ?? "local") === query.origin)
        .filter((r) => query.before === undefined || r.startedAt < query.before.startedAt || (r.startedAt === query.before.startedAt && r.id < query.before.id))
        .filter((r) => query.days === undefined || (r.tradingDay >= query.days.from && r.tradingDay <= query.days.to))
        // binary order, as the SQL stores sort (and as `before` compares): a locale's would put `tie-a` before `tie-B`
        .sort((a, b) => binaryOrder(b.startedAt, a.startedAt) || binaryOrder(b.id, a.id))
        .slice(0, query.limit)
    )
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
    listRuns: (query) => listRuns(query),
    surveyRuns: (query) => listRuns(query),
    putCheckpoint: (checkpoint) =>
      runs.has(checkpoint.runId)
        ? Effect.sync(() => putCheckpoint(checkpoint))
        : Effect.fail(new StoreError({ operation: "putCheckpoint", message: `no run ${checkpoint.runId}` })),
    getCheckpoints: (runId, stage) => Effect.sync(() => (checkpoints.get(runId) ?? []).filter((c) => stage === undefined || c.stage === stage)),
    stageOutputs: (query) =>
      Effect.sync(() =>
        [...runs.values()]
          .filter((r) => r.pipeline === query.pipeline && r.status === "completed" && r.tradingDay >= query.from && r.tradingDay <= query.to)
          .filter((r) => query.origin === undefined || (origins.get(r.id) ?? "local") === query.origin)
          .map((r): StageOutput => {
            const checkpoint = checkpoints.get(r.id)?.find((c) => c.stage === query.stage)
            const run = { runId: r.id, tradingDay: r.tradingDay, dryRun: r.dryRun, startedAt: r.startedAt }
            const digest = query.digests === true && checkpoint !== undefined ? digests.get(digestKey(r.id, query.stage)) : undefined
            return checkpoint === undefined ? run : digest !== undefined ? { ...run, digest } : { ...run, output: checkpoint.output }
          })
          .sort(byDayThenStart)
      ),
    commitStage: (commit) =>
      runs.has(commit.runId)
        ? Effect.sync(() => commitStage(commit))
        : Effect.fail(new StoreError({ operation: "commitStage", message: `no run ${commit.runId}` })),
    commitStages: ({ create, commits }) =>
      Effect.suspend(() => {
        if (create !== undefined && runs.has(create.id)) {
          return Effect.fail(new StoreError({ operation: "commitStages", message: `run ${create.id} already exists` }))
        }
        const missing = commits.find((c) => !runs.has(c.runId) && c.runId !== create?.id)
        if (missing !== undefined) return Effect.fail(new StoreError({ operation: "commitStages", message: `no run ${missing.runId}` }))
        if (create !== undefined) runs.set(create.id, create)
        for (const commit of commits) commitStage(commit)
        return Effect.void
      }),
    getRecordings: (runId) => Effect.sync(() => [...(recordings.get(runId)?.values() ?? [])].flat()),
    importBundle: (bundle, origin = "imported") =>
      runs.has(bundle.run.id)
        ? Effect.fail(new StoreError({ operation: "importBundle", message: `run ${bundle.run.id} already exists` }))
        : Effect.sync(() => {
          runs.set(bundle.run.id, bundle.run)
          origins.set(bundle.run.id, origin)
          checkpoints.set(bundle.run.id, [...bundle.checkpoints])
          const stages = stagesOf(bundle.run.id)
          for (const recording of bundle.recordings) stages.set(recording.stage, [...(stages.get(recording.stage) ?? []), recording])
        })
  })
}

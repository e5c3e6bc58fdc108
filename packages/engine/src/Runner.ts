/**
 * Runs a pipeline for a trading day: one checkpoint per stage, resumable, forkable and replayable.
 *
 * **When to use**
 * - `start` a new run; `resume` a run that stopped part-way (it continues at the first stage without a
 *   checkpoint, so a completed side-effecting stage is never redone);
 * - `fork` a new run from stage K of a parent, reusing the parent's checkpoints (and recordings) before K;
 * - `replay` a run: every stage is re-executed from its recorded calls, with zero live calls, and its output is
 *   compared with the stored checkpoint.
 *
 * **Gotchas**
 * - A stage's checkpoint is written, with the stage's recordings, in one transaction before the next stage starts
 *   (`commits: "batched"` holds them and writes several at once, never across a stage with side effects: see
 *   `Commits` in `StageCommits.ts`); a run whose process dies keeps status `running` and is picked up by `resume`.
 * - Stage failures are retried per the stage's `retry` policy; each attempt records afresh, so recordings always
 *   belong to the attempt that produced the checkpoint (a stage that fails keeps its last attempt's).
 * - A stage's output is encoded and hashed once: the checkpoint's `inputHash` hashes the stage's name, the run's
 *   days and the hashes of its inputs' stored texts (`jsonText`), never the inputs themselves.
 * - Stages see `RunContext` and `Recorder`; the runner provides both, everything else comes from the caller.
 * - `pauseBefore` (start, resume): the run stops before that stage with status `awaiting-approval` (its outputs
 *   so far in the result); `resume` without it continues there. What decides is the caller's business. A name that
 *   is no stage of the pipeline is refused (`InvalidRunRequest`) before anything runs: it would never stop the run.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type { RunId, TradingDay } from "@council/domain"
import { hashOf, jsonText } from "./Canonical.ts"
import { decodeJson, encodeJson, jsonCodec } from "./JsonCodec.ts"
import * as JsonDiff from "./JsonDiff.ts"
import type * as Pipeline from "./Pipeline.ts"
import * as Recorder from "./Recorder.ts"
import { RunContext } from "./RunContext.ts"
import type { Checkpoint, RecorderMode, Recording, RunBundle, RunRecord, StoreError } from "./RunStore.ts"
import { bundleOrigins, RunStore, reusedRuns } from "./RunStore.ts"
import type * as Stage from "./Stage.ts"
import { type Commits, type Committer, committer } from "./StageCommits.ts"

export type { Commits } from "./StageCommits.ts"

export class RunFailed extends Schema.TaggedError<RunFailed>()("RunFailed", {
  runId: Schema.String,
  stage: Schema.String,
  message: Schema.String
}) {}

export class RunNotFound extends Schema.TaggedError<RunNotFound>()("RunNotFound", {
  runId: Schema.String
}) {
  override get message() {
    return `no run with id ${this.runId}`
  }
}

export class InvalidRunRequest extends Schema.TaggedError<InvalidRunRequest>()("InvalidRunRequest", {
  message: Schema.String
}) {}

export type RunEvent =
  | { readonly _tag: "RunStarted"; readonly run: RunRecord; readonly resumed: boolean }
  | { readonly _tag: "StageStarted"; readonly stage: string; readonly attempt: number }
  | { readonly _tag: "StageReused"; readonly stage: string; readonly from: RunId }
  | {
    readonly _tag: "StageCompleted"
    readonly stage: string
    readonly attempt: number
    readonly durationMs: number
    readonly output: unknown
  }
  | { readonly _tag: "StageFailed"; readonly stage: string; readonly attempt: number; readonly message: string }
  | { readonly _tag: "RunPaused"; readonly stage: string }

/** Receives progress events; the default ignores them. The CLI prints them. */
export const RunObserver = Context.Reference<(event: RunEvent) => Effect.Effect<void>>(
  "@council/engine/RunObserver",
  { defaultValue: () => () => Effect.void }
)

export interface StartOptions {
  readonly tradingDay: TradingDay
  readonly asOf: TradingDay
  readonly mode: Exclude<RecorderMode, "replay">
  readonly dryRun: boolean
  readonly codeVersion: string
  readonly params: Schema.Json
  /** Defaults to `<tradingDay>-<8 hex>`. */
  readonly runId?: RunId
  /** Recorded calls (of another run) that answer the same calls again instead of going live. */
  readonly reuse?: ReadonlyArray<Recording>
  /** Stop before this stage with status `awaiting-approval` (see `resume`). */
  readonly pauseBefore?: string
  /** `per-stage` by default. */
  readonly commits?: Commits
}

export interface RunResult {
  readonly run: RunRecord
  /** Decoded outputs by stage name. */
  readonly outputs: Readonly<Record<string, unknown>>
}

/** The services a pipeline's stages need, minus those the runner provides. */
export type Requirements<P> = Exclude<Pipeline.Services<P>, RunContext | Recorder.Recorder>

const errorMessage = (error: unknown): string => {
  if (error instanceof Error && error.message) return error.message
  if (typeof error === "object" && error !== null && "message" in error && typeof error.message === "string") {
    return error.message
  }
  return String(error)
}

const causeMessage = (cause: Cause.Cause<unknown>): string =>
  Option.match(Cause.findErrorOption(cause), {
    onSome: errorMessage,
    onNone: () => Cause.pretty(cause).split("\n")[0] ?? "unknown failure"
  })

const nowIso = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

const encodeOutput = (stage: Stage.Any, value: unknown) => Effect.orDie(encodeJson(jsonCodec(stage.output), value))

const decodeOutput = (stage: Stage.Any, json: unknown) => decodeJson(jsonCodec(stage.output), json)

/** The hash of a stage's inputs: its name, the run's days, and the hash of each upstream output's stored text. */
const inputHashOf = (run: RunRecord, stage: Stage.Any, hashes: Readonly<Record<string, string>>): string =>
  hashOf({
    stage: stage.name,
    inputs: Object.fromEntries(stage.dependsOn.map((d) => [d.name, hashes[d.name]])),
    tradingDay: run.tradingDay,
    asOf: run.asOf
  })

/** A new run's id: `<tradingDay>-<8 hex>`. */
export const newRunId = (tradingDay: TradingDay): RunId =>
  `${tradingDay}-${crypto.randomUUID().slice(0, 8)}` as RunId


/** The runner's spans are always opened here: a stack trace per span would say only that. */
const noStackTrace = { captureStackTrace: false } as const

/** Each stage's timeout, parsed once. */
const timeouts = new WeakMap<Stage.Any, Duration.Duration>()

const timeoutOf = (stage: Stage.Any): Duration.Duration => {
  let timeout = timeouts.get(stage)
  if (timeout === undefined) timeouts.set(stage, timeout = Duration.fromInputUnsafe(stage.timeout))
  return timeout
}


/**
 * Runs one stage to a checkpoint, with timeout and retries; hands its checkpoint with its recordings (and, for
 * the run's `last` stage, the run completed) to `commits`.
 */
const runStage = <R>(
  run: RunRecord,
  stage: Stage.Any,
  input: Record<string, unknown>,
  inputHash: string,
  reuse: ReadonlyArray<Recording>,
  last: boolean,
  commits: Committer
) =>
  Effect.gen(function*() {
    const observe = yield* RunObserver
    let attempts = 0
    let recorder: Recorder.RecorderShape | undefined
    const startedAt = yield* nowIso
    const started = yield* Clock.currentTimeMillis

    const attempt = Effect.gen(function*() {
      const n = ++attempts
      yield* observe({ _tag: "StageStarted", stage: stage.name, attempt: n })
      recorder = yield* Recorder.make({ mode: run.mode, runId: run.id, stage: stage.name, reuse })
      const context = RunContext.of({
        runId: run.id,
        pipeline: run.pipeline,
        tradingDay: run.tradingDay,
        asOf: run.asOf,
        mode: run.mode,
        dryRun: run.dryRun,
        stage: stage.name,
        attempt: n,
        params: run.params
      })
      return yield* (stage.run(input as never) as Effect.Effect<unknown, unknown, R>).pipe(
        Effect.provideService(Recorder.Recorder, recorder),
        Effect.provideService(RunContext, context),
        Effect.timeoutOrElse({
          duration: timeoutOf(stage),
          orElse: () => Effect.fail(new Error(`stage ${stage.name} timed out after ${Duration.format(timeoutOf(stage))}`))
        }),
        Effect.tapCause((cause) =>
          Cause.hasInterruptsOnly(cause)
            ? Effect.void
            : observe({ _tag: "StageFailed", stage: stage.name, attempt: n, message: causeMessage(cause) })
        )
      )
    })

    const exit = yield* (stage.retry.times > 0
      ? Effect.retry(attempt, { schedule: Schedule.exponential(stage.retry.backoff), times: stage.retry.times })
      : attempt).pipe(
      Effect.withSpan(`stage.${stage.name}`, { attributes: { runId: run.id, stage: stage.name } }, noStackTrace),
      Effect.annotateLogs({ runId: run.id, stage: stage.name }),
      Effect.exit
    )
    const recordings = recorder === undefined ? [] : yield* recorder.recordings
    if (Exit.isFailure(exit)) {
      // the failed attempt's recordings are the evidence of what it asked (an interrupted one leaves none)
      if (recordings.length > 0 && !Cause.hasInterruptsOnly(exit.cause)) {
        yield* Effect.ignore(commits.commit(stage, { runId: run.id, stage: stage.name, checkpoint: null, recordings }))
      }
      return yield* Effect.failCause(exit.cause)
    }
    const output = exit.value
    const encoded = yield* encodeOutput(stage, output)
    const finished = yield* Clock.currentTimeMillis
    const checkpoint: Checkpoint = {
      runId: run.id,
      stage: stage.name,
      output: encoded,
      inputHash,
      attempt: attempts,
      startedAt,
      finishedAt: yield* nowIso,
      durationMs: finished - started,
      reusedFrom: null
    }
    yield* commits.commit(stage, {
      runId: run.id,
      stage: stage.name,
      checkpoint,
      recordings,
      ...(last ? { completes: checkpoint.finishedAt } : {}),
      ...(stage.digest === undefined ? {} : { digest: stage.digest(encoded) })
    })
    yield* observe({
      _tag: "StageCompleted",
      stage: stage.name,
      attempt: checkpoint.attempt,
      durationMs: checkpoint.durationMs,
      output
    })
    return { output, hash: jsonText(encoded).hash, finishedAt: checkpoint.finishedAt }
  })

/** How `execute` runs: `fresh`, the run is new (no checkpoint to read; under `batched`, its row not yet written). */
interface Execution {
  readonly resumed: boolean
  /** Recorded calls (of a fork's parent) that answer the same calls again instead of going live. */
  readonly reuse?: ReadonlyArray<Recording>
  readonly pauseBefore?: string | undefined
  readonly fresh?: boolean
  readonly commits?: Commits | undefined
}

/** Executes every stage of `pipeline` that has no checkpoint in `run`, in order. */
const execute = <P extends Pipeline.Pipeline>(pipeline: P, run: RunRecord, how: Execution) =>
  Effect.gen(function*() {
    const { resumed, reuse = [], pauseBefore, fresh = false, commits: policy = "per-stage" } = how
    const store = yield* RunStore
    const observe = yield* RunObserver
    const commits = committer(store, policy, fresh && policy === "batched" ? run : undefined)
    yield* observe({ _tag: "RunStarted", run, resumed })
    const existing = new Map((fresh ? [] : yield* store.getCheckpoints(run.id)).map((c) => [c.stage, c] as const))
    const outputs: Record<string, unknown> = {}
    const hashes: Record<string, string> = {}
    let paused: string | undefined
    /** When the last stage's commit completed the run. */
    let completedAt: string | undefined

    const exit = yield* Effect.exit(Effect.gen(function*() {
      for (const stage of pipeline.stages) {
        const checkpoint = existing.get(stage.name)
        if (checkpoint === undefined && stage.name === pauseBefore) {
          paused = stage.name
          return
        }
        if (checkpoint) {
          outputs[stage.name] = yield* decodeOutput(stage, checkpoint.output).pipe(
            Effect.mapError((e) =>
              new RunFailed({ runId: run.id, stage: stage.name, message: `stored checkpoint is invalid: ${e.message}` })
            )
          )
          hashes[stage.name] = jsonText(checkpoint.output).hash
          continue
        }
        const input = Object.fromEntries(stage.dependsOn.map((d) => [d.name, outputs[d.name]]))
        const stageReuse = reuse.filter((r) => r.stage === stage.name)
        const last = stage === pipeline.stages.at(-1)
        yield* commits.before(stage)
        const result = yield* runStage<Requirements<P>>(run, stage, input, inputHashOf(run, stage, hashes), stageReuse, last, commits).pipe(
          Effect.catchCause((cause): Effect.Effect<never, RunFailed> =>
            Cause.hasInterruptsOnly(cause)
              ? Effect.interrupt
              : Effect.fail(new RunFailed({ runId: run.id, stage: stage.name, message: causeMessage(cause) }))
          )
        )
        outputs[stage.name] = result.output
        hashes[stage.name] = result.hash
        if (last) completedAt = result.finishedAt
      }
    }))

    if (Exit.isFailure(exit)) {
      // interrupted, what is held is dropped: nothing with side effects ran since it, so `resume` re-runs it
      if (!Cause.hasInterruptsOnly(exit.cause)) {
        const message = causeMessage(exit.cause)
        yield* Effect.ignore(commits.flush)
        // a run whose row was never written has no status to set: its id may be another run's (a taken id)
        if (commits.runStored()) yield* store.updateRun(run.id, { status: "failed", finishedAt: yield* nowIso, error: message })
      }
      return yield* exit
    }
    yield* commits.flush
    if (paused !== undefined) {
      yield* store.updateRun(run.id, { status: "awaiting-approval", finishedAt: null, error: null })
      yield* observe({ _tag: "RunPaused", stage: paused })
      return { run: { ...run, status: "awaiting-approval", finishedAt: null, error: null }, outputs } satisfies RunResult
    }
    const finishedAt = completedAt ?? (yield* nowIso)
    if (completedAt === undefined) yield* store.updateRun(run.id, { status: "completed", finishedAt, error: null })
    return { run: { ...run, status: "completed", finishedAt, error: null }, outputs } satisfies RunResult
  }).pipe(
    Effect.withSpan("run", {
      attributes: { runId: run.id, pipeline: run.pipeline, tradingDay: run.tradingDay, dryRun: run.dryRun, mode: run.mode, resumed: how.resumed }
    }, noStackTrace)
  ) as Effect.Effect<RunResult, RunFailed | StoreError, RunStore | Requirements<P>>

/**
 * Refuses a `pauseBefore` that names no stage of `pipeline`: it would never match, and the run would go through the
 * stage it was meant to stop before (an approval gate failing open, orders sent unapproved).
 */
const checkPause = (pipeline: Pipeline.Pipeline, pauseBefore: string | undefined) =>
  pauseBefore === undefined || pipeline.stageNames.includes(pauseBefore)
    ? Effect.void
    : Effect.fail(new InvalidRunRequest({ message: `cannot pause before "${pauseBefore}": stages are ${pipeline.stageNames.join(", ")}` }))

/** Starts a new run of `pipeline`. */
export const start = <P extends Pipeline.Pipeline>(pipeline: P, options: StartOptions) =>
  Effect.gen(function*() {
    yield* checkPause(pipeline, options.pauseBefore)
    const store = yield* RunStore
    const run: RunRecord = {
      id: options.runId ?? newRunId(options.tradingDay),
      pipeline: pipeline.name,
      tradingDay: options.tradingDay,
      asOf: options.asOf,
      mode: options.mode,
      dryRun: options.dryRun,
      codeVersion: options.codeVersion,
      parentRunId: null,
      forkFrom: null,
      status: "running",
      startedAt: yield* nowIso,
      finishedAt: null,
      error: null,
      params: options.params
    }
    // under `batched`, the run's row is written with its first commit
    if (options.commits !== "batched") yield* store.createRun(run)
    return yield* execute(pipeline, run, {
      resumed: false,
      reuse: options.reuse ?? [],
      pauseBefore: options.pauseBefore,
      fresh: true,
      commits: options.commits
    })
  })

const loadRun = (runId: RunId) =>
  RunStore.use((store) => store.getRun(runId)).pipe(
    Effect.flatMap(Option.match({
      onNone: () => Effect.fail(new RunNotFound({ runId })),
      onSome: Effect.succeed
    }))
  )

/**
 * Continues a run that stopped part-way (or awaits approval), from its first stage without a checkpoint;
 * `pauseBefore` stops it again before that stage; `reuse` and `commits` as in `start`.
 */
export const resume = <P extends Pipeline.Pipeline>(
  pipeline: P,
  runId: RunId,
  options: { readonly pauseBefore?: string; readonly reuse?: ReadonlyArray<Recording>; readonly commits?: Commits } = {}
) =>
  Effect.gen(function*() {
    yield* checkPause(pipeline, options.pauseBefore)
    const store = yield* RunStore
    const run = yield* loadRun(runId)
    if (run.status === "completed") return yield* new InvalidRunRequest({ message: `run ${runId} is already complete` })
    if (run.status === "rejected") return yield* new InvalidRunRequest({ message: `run ${runId} was rejected` })
    yield* store.updateRun(run.id, { status: "running", finishedAt: null, error: null })
    return yield* execute(pipeline, { ...run, status: "running", finishedAt: null, error: null }, {
      resumed: true,
      reuse: options.reuse ?? [],
      pauseBefore: options.pauseBefore,
      commits: options.commits
    })
  })

/**
 * A new run that reuses the parent's checkpoints before `fromStage` and re-runs the rest. With
 * `reuseParentCalls`, a re-run call whose key the parent recorded successfully is answered from that recording
 * (e.g. a fork that swaps one model asks only that model live); `params` replaces the parent's parameters.
 * `rerun`: stages before `fromStage` it runs again, not reused (none a reused stage depends on: a retry's Reconcile).
 */
export const fork = <P extends Pipeline.Pipeline>(
  pipeline: P,
  parentId: RunId,
  fromStage: string,
  options: {
    readonly dryRun: boolean
    readonly codeVersion: string
    readonly mode: Exclude<RecorderMode, "replay">
    readonly reuseParentCalls?: boolean
    /** The fork's parameters; default: the parent's. */
    readonly params?: Schema.Json
    /** Defaults to `<tradingDay>-<8 hex>`. */
    readonly runId?: RunId
    readonly rerun?: ReadonlyArray<string>
  }
) =>
  Effect.gen(function*() {
    const store = yield* RunStore
    const parent = yield* loadRun(parentId)
    const index = pipeline.stageNames.indexOf(fromStage)
    if (index < 0) {
      return yield* new InvalidRunRequest({
        message: `unknown stage "${fromStage}"; stages are ${pipeline.stageNames.join(", ")}`
      })
    }
    const rerun = options.rerun ?? []
    const reused = new Set(pipeline.stageNames.slice(0, index).filter((s) => !rerun.includes(s)))
    const misplaced = rerun.filter((s) => !pipeline.stageNames.slice(0, index).includes(s) || pipeline.stages.some((t) => reused.has(t.name) && t.dependsOn.some((d) => d.name === s)))
    if (misplaced.length > 0) return yield* new InvalidRunRequest({ message: `cannot run ${misplaced.join(", ")} again in a fork from ${fromStage}: not a stage before it, or one a reused stage depends on` })
    const parentCheckpoints = yield* store.getCheckpoints(parent.id)
    const missing = [...reused].filter((s) => !parentCheckpoints.some((c) => c.stage === s))
    if (missing.length > 0) {
      return yield* new InvalidRunRequest({
        message: `run ${parent.id} has no checkpoint for ${missing.join(", ")}; cannot fork from ${fromStage}`
      })
    }
    const run: RunRecord = {
      ...parent,
      id: options.runId ?? newRunId(parent.tradingDay),
      mode: options.mode,
      dryRun: options.dryRun,
      codeVersion: options.codeVersion,
      parentRunId: parent.id,
      forkFrom: fromStage,
      params: options.params ?? parent.params,
      status: "running",
      startedAt: yield* nowIso,
      finishedAt: null,
      error: null
    }
    const recordings = yield* store.getRecordings(parent.id)
    yield* store.importBundle({
      run,
      checkpoints: parentCheckpoints
        .filter((c) => reused.has(c.stage))
        .map((c) => ({ ...c, runId: run.id, reusedFrom: c.reusedFrom ?? parent.id })),
      recordings: recordings.filter((r) => reused.has(r.stage)).map((r) => ({ ...r, runId: run.id }))
    }, "local")
    const observe = yield* RunObserver
    for (const stage of reused) yield* observe({ _tag: "StageReused", stage, from: parent.id })
    const reusable = options.reuseParentCalls ? recordings.filter((r) => !reused.has(r.stage)) : []
    return yield* execute(pipeline, run, { resumed: false, reuse: reusable })
  })

/**
 * A stage's replay. `stopped`: the run stopped before the stage (awaiting approval, rejected, failed, or still
 * running), so there is nothing to compare and nothing differs; `missing`: the run has no checkpoint of a stage
 * it ran (it completed, or a later stage has one): the store or bundle is damaged.
 */
export type StageReplay =
  | { readonly stage: string; readonly status: "identical" }
  | { readonly stage: string; readonly status: "diverged"; readonly differences: ReadonlyArray<string> }
  | { readonly stage: string; readonly status: "failed"; readonly message: string }
  | { readonly stage: string; readonly status: "not-run"; readonly message: string }
  | { readonly stage: string; readonly status: "stopped"; readonly message: string }
  | { readonly stage: string; readonly status: "missing"; readonly message: string }

export interface ReplayReport {
  readonly run: RunRecord
  readonly stages: ReadonlyArray<StageReplay>
  /** Every stage the run ran is identical (the stages after a run that stopped are `stopped`, not compared). */
  readonly identical: boolean
}

/**
 * Re-executes every stage of a stored run from its recordings and compares each output with its checkpoint.
 * Writes nothing. A stage a fork reused is re-derived as the run that made it: its id, and its parameters when
 * `origins` has them (the parameters of each run named by a checkpoint's `reusedFrom`; default: the bundle's own,
 * `RunBundle.origins`). A fork's own parameters can differ from its parent's (a retry of a day's failed accounts
 * names only those), and a reused stage asked its questions with the parent's: without them its recorded calls are
 * not found.
 */
export const replay = <P extends Pipeline.Pipeline>(
  pipeline: P,
  bundle: RunBundle,
  origins: ReadonlyMap<RunId, RunRecord["params"]> = bundleOrigins(bundle)
) =>
  Effect.gen(function*() {
    const run = bundle.run
    const observe = yield* RunObserver
    const stored = new Map(bundle.checkpoints.map((c) => [c.stage, c] as const))
    const outputs: Record<string, unknown> = {}
    const results: Array<StageReplay> = []
    const lastRecorded = pipeline.stages.findLastIndex((stage) => stored.has(stage.name))
    for (const [index, stage] of pipeline.stages.entries()) {
      const checkpoint = stored.get(stage.name)
      if (!checkpoint) {
        results.push(
          run.status !== "completed" && index > lastRecorded
            ? { stage: stage.name, status: "stopped", message: `the run stopped before this stage (${run.status})` }
            : {
              stage: stage.name,
              status: "missing",
              message: `the run has no checkpoint here, though it ${run.status === "completed" ? "completed" : "ran a later stage"}: the store or bundle is damaged`
            }
        )
        continue
      }
      if (stage.dependsOn.some((d) => !(d.name in outputs))) {
        results.push({ stage: stage.name, status: "not-run", message: "an upstream stage did not replay" })
        continue
      }
      yield* observe({ _tag: "StageStarted", stage: stage.name, attempt: 1 })
      const recordings: ReadonlyArray<Recording> = bundle.recordings.filter((r) => r.stage === stage.name)
      const recorder = yield* Recorder.make({ mode: "replay", runId: run.id, stage: stage.name, recordings })
      const input = Object.fromEntries(stage.dependsOn.map((d) => [d.name, outputs[d.name]]))
      const context = RunContext.of({
        // a stage a fork reused is re-derived as the run that made it (e.g. a shuffle seeded by its run id)
        runId: (checkpoint.reusedFrom ?? run.id) as RunId,
        pipeline: run.pipeline,
        tradingDay: run.tradingDay,
        asOf: run.asOf,
        mode: "replay",
        dryRun: run.dryRun,
        stage: stage.name,
        attempt: 1,
        params: checkpoint.reusedFrom === null ? run.params : origins.get(checkpoint.reusedFrom) ?? run.params
      })
      const exit = yield* (stage.run(input as never) as Effect.Effect<unknown, unknown, Requirements<P>>).pipe(
        Effect.provideService(Recorder.Recorder, recorder),
        Effect.provideService(RunContext, context),
        Effect.flatMap((output) => Effect.map(encodeOutput(stage, output), (json) => ({ output, json }))),
        Effect.exit
      )
      if (Exit.isFailure(exit)) {
        const message = causeMessage(exit.cause)
        results.push({ stage: stage.name, status: "failed", message })
        yield* observe({ _tag: "StageFailed", stage: stage.name, attempt: 1, message })
        continue
      }
      outputs[stage.name] = exit.value.output
      const differences = JsonDiff.diff(checkpoint.output, exit.value.json)
      results.push(
        differences.length === 0
          ? { stage: stage.name, status: "identical" }
          : { stage: stage.name, status: "diverged", differences: JsonDiff.format(differences) }
      )
      yield* observe({ _tag: "StageCompleted", stage: stage.name, attempt: 1, durationMs: 0, output: exit.value.output })
    }
    return {
      run,
      stages: results,
      identical: results.every((r) => r.status === "identical" || r.status === "stopped")
    } satisfies ReplayReport
  })

/**
 * Everything stored for a run, as a self-contained bundle: with the parameters of the runs it reused stages of
 * (`origins`, only when it reused any; a run the store does not hold is left out).
 */
export const bundleOf = (runId: RunId) =>
  Effect.gen(function*() {
    const store = yield* RunStore
    const run = yield* loadRun(runId)
    const checkpoints = yield* store.getCheckpoints(run.id)
    const recordings = yield* store.getRecordings(run.id)
    const held = yield* Effect.forEach(reusedRuns(checkpoints), (id) => store.getRun(id))
    const origins = held.flatMap((r) => Option.isSome(r) ? [[r.value.id, r.value.params] as const] : [])
    if (origins.length === 0) return { run, checkpoints, recordings } satisfies RunBundle
    return { run, checkpoints, recordings, origins: Object.fromEntries(origins) } satisfies RunBundle
  })

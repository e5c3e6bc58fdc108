import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { RunId } from "@council/domain"
import { type Checkpoint, type RunRecord, RunStore, type StoreError } from "@council/engine"
import { DailyPipeline } from "@council/daily"
import { MonitorApi, NotFound, type RunDetail, type RunSummary, type StageView, Unavailable } from "@council/api"
import { LlmCosts } from "@council/tracking"

const unavailable = (error: { readonly message: string }) => new Unavailable({ message: error.message })

const summaryOf = (run: RunRecord, imported: boolean): RunSummary => ({
  ...run,
  durationMs: run.finishedAt === null ? null : Date.parse(run.finishedAt) - Date.parse(run.startedAt),
  imported
})

const importedIds = (limit: number, run?: RunRecord): Effect.Effect<ReadonlySet<string>, StoreError, RunStore> =>
  RunStore.use((store) =>
    store.listRuns({ limit, origin: "imported", ...(run === undefined ? {} : { tradingDay: run.tradingDay }) })
  ).pipe(Effect.map((runs) => new Set(runs.map((r) => r.id))))

const stageOf = (name: string, checkpoint: Checkpoint | undefined, calls: number): StageView => ({
  name,
  status: checkpoint === undefined ? "missing" : checkpoint.reusedFrom === null ? "completed" : "reused",
  attempt: checkpoint?.attempt ?? null,
  startedAt: checkpoint?.startedAt ?? null,
  finishedAt: checkpoint?.finishedAt ?? null,
  durationMs: checkpoint?.durationMs ?? null,
  reusedFrom: checkpoint?.reusedFrom ?? null,
  calls
})

const field = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null && !Array.isArray(value) && key in value ? (value as Record<string, unknown>)[key] : undefined

/** A run with each stage's checkpoint, read leniently: whatever JSON a stage stored is passed on. */
export const runDetail = (id: string): Effect.Effect<RunDetail, NotFound | Unavailable, RunStore | import("effect/sql/SqlClient").SqlClient> =>
  Effect.gen(function*() {
    const store = yield* RunStore
    const found = id.trim() === "" ? Option.none() : yield* store.getRun(RunId.make(id))
    if (Option.isNone(found)) return yield* new NotFound({ message: `no run ${id.slice(0, 80)} (list runs at /api/runs)` })
    const run = found.value
    const checkpoints = yield* store.getCheckpoints(run.id)
    const recordings = yield* store.getRecordings(run.id)
    const imported = yield* importedIds(1000, run)
    const byStage = new Map(checkpoints.map((c) => [c.stage, c] as const))
    const names = [...DailyPipeline.stageNames, ...checkpoints.map((c) => c.stage).filter((s) => !DailyPipeline.stageNames.includes(s))]
    const outputs = Object.fromEntries(checkpoints.map((c) => [c.stage, c.output]))
    const part = (stage: string) => outputs[stage] ?? null
    const costs = yield* LlmCosts.runCosts(run.id).pipe(Effect.mapError(unavailable))
    return {
      run: summaryOf(run, imported.has(run.id)),
      stages: names.map((name) => stageOf(name, byStage.get(name), recordings.filter((r) => r.stage === name).length)),
      pitches: part("PmPitches"),
      reviews: part("PeerReview"),
      decision: part("CouncilSynthesis"),
      shadowVote: (field(part("CouncilSynthesis"), "mechanical") ?? null) as RunDetail["shadowVote"],
      verdicts: part("RiskApproval"),
      execution: part("Execution"),
      outputs,
      llmCosts: Option.getOrNull(costs)
    }
  }).pipe(Effect.catchTag("StoreError", (e) => Effect.fail(unavailable(e))))

export const RunsHandlers = HttpApiBuilder.group(MonitorApi, "runs", (handlers) =>
  handlers
    .handle("list", ({ query }) =>
      Effect.gen(function*() {
        const limit = query.limit ?? 50
        const runs = yield* RunStore.use((store) => store.listRuns({ limit }))
        const imported = yield* importedIds(limit)
        return runs.map((run) => summaryOf(run, imported.has(run.id)))
      }).pipe(Effect.mapError(unavailable)))
    .handle("get", ({ params }) => runDetail(params.id)))

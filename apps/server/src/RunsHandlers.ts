import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { MechanicalVote, PeerReviewResult, RunId } from "@council/domain"
import { type Checkpoint, isDamaged, isDamagedRun, type RunRecord, RunStore, type StoreError } from "@council/engine"
import type { TradingAccounts } from "@council/broker"
import { DailyPipeline } from "@council/daily"
import { activities, type RunActivity } from "@council/daily/RunActivity"
import { resumeCommand } from "@council/daily/BacktestActivity"
import { type FailedSummary, failedSummariesOf, type UnreadAccount, unreadAccountsOf, unreadSummaries } from "@council/daily/RunFailures"
import { BadRequest, Damaged, MonitorApi, NotFound, PAGE, type RunDetail, type RunSummary, type SessionOf, type ShadowVote, type StageView, Unavailable } from "@council/api"
import { LlmCosts } from "@council/tracking"
import { type RunCharge, runCharges } from "@council/llm/RunCharges"
import { SpendLedger } from "@council/llm/SpendLedger"
import { type Backtest, within } from "./BacktestRuns.ts"

/**
 * A store's failure as the API answers it: stored data that does not read back — a `StoreError` of kind `damaged`,
 * or a row of the LLM spend ledger that does not decode — is `Damaged` (500: the same again next time); any other
 * failure — the database busy, locked or unreachable — `Unavailable` (503: try again).
 */
export const storeFailure = (error: StoreError | SqlError.SqlError | Schema.SchemaError): Damaged | Unavailable =>
  isDamaged(error) || error._tag === "SchemaError" ? new Damaged({ message: describe(error) }) : new Unavailable({ message: describe(error) })

const describe = (error: StoreError | SqlError.SqlError | Schema.SchemaError): string =>
  error._tag === "SchemaError" ? `stored data does not decode: ${error.message}` : error.message

/**
 * A run as the API lists it; `unread`: the accounts its reconciliation could not read (`unreadOf`); `backtest`: the
 * backtest it is a session of (its store the backtest's database).
 */
export const summaryOf = (
  run: RunRecord,
  imported: boolean,
  activity: RunActivity | undefined,
  llmCost: RunCharge | undefined,
  failed: FailedSummary | undefined,
  unread: ReadonlyArray<UnreadAccount> | undefined,
  backtest?: Backtest
): RunSummary => ({
  ...run,
  durationMs: run.finishedAt === null ? null : Date.parse(run.finishedAt) - Date.parse(run.startedAt),
  imported,
  llmCost: llmCost ?? null,
  activity: activity ?? null,
  failedAccounts: failed ?? null,
  unread: unread === undefined ? null : unreadSummaries(unread),
  ...sessionOf(backtest)
})

/**
 * The accounts each of `runs` could not reconcile (`unreadAccountsOf`), as `runs` tells them: of the home's runs
 * alone — a backtest's sessions are not run again (what its reconciliations could not read is in its own report).
 */
export const unreadOf = (
  runs: ReadonlyArray<RunRecord>,
  backtest: Backtest | undefined
): Effect.Effect<ReadonlyMap<string, ReadonlyArray<UnreadAccount>>, StoreError, RunStore> =>
  backtest === undefined ? unreadAccountsOf(runs) : Effect.succeed(new Map())

/** `backtest` of a run's summary: the backtest whose database holds it (`SessionOf`); nothing for the home's runs. */
const sessionOf = (backtest: Backtest | undefined): { readonly backtest?: SessionOf } =>
  backtest === undefined ? {} : { backtest: { id: backtest.book } }

/**
 * What each of `runs` was charged (`RunCharges`: the spend ledger's, an imported run's recorded exchanges' — as
 * `runs` says), as the API answers a failure to read the ledger; an imported run whose recordings do not read back
 * has none here (its detail says what is wrong).
 */
export const chargesOf = (runs: ReadonlyArray<RunRecord>, imported: ReadonlySet<string>, backtest?: Backtest) =>
  runCharges(runs.map((r) => ({ id: r.id, imported: imported.has(r.id) })), backtest?.book).pipe(
    Effect.map((charged) => new Map([...charged].flatMap(([id, read]) => Result.isSuccess(read) ? [[id, read.success] as const] : []))),
    Effect.provide(SpendLedger.layerSql),
    Effect.mapError(storeFailure)
  )

/** The imported runs among the newest `limit` (after `before`; of `run`'s day): every imported one of such a page. */
const importedIds = (limit: number, run?: RunRecord, before?: RunCursor): Effect.Effect<ReadonlySet<string>, StoreError, RunStore> =>
  RunStore.use((store) =>
    store.surveyRuns({
      limit,
      origin: "imported",
      ...(run === undefined ? {} : { tradingDay: run.tradingDay }),
      ...(before === undefined ? {} : { before })
    })
  ).pipe(Effect.map((runs) => new Set(runs.map((r) => r.id))))

/**
 * Whether `runs` (those `running`) are being run: from the store's leases, or of a backtest's session, as `runs
 * --backtest` says it: in progress while a live process runs its backtest, else continued by resuming that.
 */
const activityOf = (runs: ReadonlyArray<RunRecord>, imported: ReadonlySet<string>, backtest: Backtest | undefined) =>
  backtest === undefined
    ? activities(runs, imported).pipe(Effect.mapError(storeFailure))
    : Effect.succeed(
      new Map(runs.filter((r) => r.status === "running").map((r): [string, RunActivity] => [
        r.id,
        backtest.activity?.state === "in-progress"
          ? { state: "in-progress", next: null }
          : { state: "stopped", next: `continue its backtest with: ${resumeCommand(backtest.book)}` }
      ]))
    )

/** `?id=`: the run's summary alone, as the list gives it, or none when there is no such run. */
const runAlone = (id: string, backtest: Backtest | undefined) =>
  Effect.gen(function*() {
    const found = Schema.is(RunId)(id) ? yield* RunStore.use((store) => store.getRun(id)) : Option.none()
    if (Option.isNone(found)) return []
    const run = found.value
    const imported = yield* importedIds(PAGE.max, run)
    const activity = yield* activityOf([run], imported, backtest)
    const charged = yield* chargesOf([run], imported, backtest)
    const failed = yield* failedSummariesOf([run])
    const unread = yield* unreadOf([run], backtest)
    return [summaryOf(run, imported.has(run.id), activity.get(run.id), charged.get(run.id), failed.get(run.id), unread.get(run.id), backtest)]
  })

type RunCursor = { readonly startedAt: string; readonly id: string }

/** The run `?before=` names (the last of the previous page), as the store's cursor; one it does not hold is bad input. */
const cursorRun = (before: string): Effect.Effect<RunCursor, BadRequest | StoreError, RunStore> =>
  Effect.gen(function*() {
    const found = Schema.is(RunId)(before) ? yield* RunStore.use((store) => store.getRun(before)) : Option.none()
    if (Option.isNone(found)) return yield* new BadRequest({ message: `query parameter before: no run ${before.slice(0, 80)} (give the last id of the previous page)` })
    return { startedAt: found.value.startedAt, id: found.value.id }
  })

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

/** What the comparison needs of a stored decision (any other field passes through untouched). */
const StoredDecision = Schema.Struct({
  trades: Schema.Array(Schema.Struct({ symbol: Schema.String, direction: Schema.String })),
  mechanical: Schema.optionalKey(MechanicalVote),
  fallback: Schema.optionalKey(Schema.String)
})

const tradeSet = (trades: ReadonlyArray<{ readonly symbol: string; readonly direction: string }>) =>
  trades.map((t) => `${t.direction} ${t.symbol}`).sort().join(",")

/** The mechanical vote beside a stored decision, compared with it; `null` when the decision has none. */
export const shadowVoteOf = (decision: unknown): ShadowVote | null =>
  Option.match(Schema.decodeUnknownOption(StoredDecision)(decision), {
    onNone: () => null,
    onSome: ({ fallback, mechanical, trades }) =>
      mechanical === undefined ? null : { ...mechanical, agrees: tradeSet(mechanical.trades) === tradeSet(trades), fallback: fallback ?? null }
  })

/**
 * A run with each stage's checkpoint; the stored parts are passed on leniently (see `RunDetail`). `outputs: "none"`
 * leaves the raw outputs out (the parts decoded from them stay). `backtest`: the run is that backtest's session (the
 * `RunStore` provided is its database; its LLM costs are its book's).
 */
export const runDetail = (
  id: string,
  options: { readonly outputs?: "all" | "none" | undefined; readonly backtest?: Backtest | undefined } = {}
): Effect.Effect<RunDetail, NotFound | Damaged | Unavailable, RunStore | SqlClient.SqlClient | TradingAccounts> =>
  Effect.gen(function*() {
    const store = yield* RunStore
    const found = id.trim() === "" ? Option.none() : yield* store.getRun(RunId.make(id))
    const backtest = options.backtest
    if (Option.isNone(found)) {
      return yield* new NotFound({
        message: backtest === undefined
          ? `no run ${id.slice(0, 80)} (list runs at /api/runs${id.endsWith("-bt") ? "; a backtest's sessions at /api/runs?backtest=ID|latest" : ""})`
          : `no run ${id.slice(0, 80)} in backtest ${backtest.book} (list its runs at /api/runs?backtest=${backtest.book})`
      })
    }
    const run = found.value
    const checkpoints = yield* store.getCheckpoints(run.id)
    const recordings = yield* store.getRecordings(run.id)
    const imported = yield* importedIds(1000, run)
    const byStage = new Map(checkpoints.map((c) => [c.stage, c] as const))
    const names = [...DailyPipeline.stageNames, ...checkpoints.map((c) => c.stage).filter((s) => !DailyPipeline.stageNames.includes(s))]
    const outputs = Object.fromEntries(checkpoints.map((c) => [c.stage, c.output]))
    const part = (stage: string) => outputs[stage] ?? null
    const costs = yield* LlmCosts.runCosts(run.id, backtest?.book).pipe(Effect.mapError(storeFailure))
    const activity = yield* activityOf([run], imported, backtest)
    const charged = yield* chargesOf([run], imported, backtest)
    const failed = yield* failedSummariesOf([run])
    const unread = yield* unreadOf([run], backtest)
    return {
      run: summaryOf(run, imported.has(run.id), activity.get(run.id), charged.get(run.id), failed.get(run.id), unread.get(run.id), backtest),
      stages: names.map((name) => stageOf(name, byStage.get(name), recordings.filter((r) => r.stage === name).length)),
      pitches: part("PmPitches"),
      reviews: Option.getOrNull(Schema.decodeUnknownOption(PeerReviewResult)(part("PeerReview"))),
      decision: part("CouncilSynthesis"),
      shadowVote: shadowVoteOf(part("CouncilSynthesis")),
      verdicts: part("RiskApproval"),
      execution: part("Execution"),
      outputs: options.outputs === "none" ? {} : outputs,
      llmCosts: Option.getOrNull(costs)
    }
  }).pipe(Effect.catchTag("StoreError", (e) => Effect.fail(storeFailure(e))))

export const RunsHandlers = HttpApiBuilder.group(MonitorApi, "runs", (handlers) =>
  handlers
    .handle("list", ({ query }) =>
      within(query.backtest, (backtest) => listed(query, backtest)))
    .handle("get", ({ params, query }) => within(query.backtest, (backtest) => runDetail(params.id, { outputs: query.outputs, backtest }))))

/** A page of runs (`?limit=`, `?before=`), or `?id=`'s alone, of the home's store or `backtest`'s. */
const listed = (query: { readonly limit?: number | undefined; readonly before?: string | undefined; readonly id?: string | undefined }, backtest: Backtest | undefined) =>
      Effect.gen(function*() {
        if (query.id !== undefined) return yield* runAlone(query.id, backtest)
        const limit = query.limit ?? PAGE.default
        const before = query.before === undefined ? {} : { before: yield* cursorRun(query.before) }
        const entries = yield* RunStore.use((store) => store.surveyRuns({ limit, ...before }))
        const runs = entries.filter((entry): entry is RunRecord => !isDamagedRun(entry))
        const imported = yield* importedIds(limit, undefined, before.before)
        const activity = yield* activityOf(runs, imported, backtest)
        const charged = yield* chargesOf(runs, imported, backtest)
        const failed = yield* failedSummariesOf(runs)
        const unread = yield* unreadOf(runs, backtest)
        return entries.map((entry) =>
          isDamagedRun(entry)
            ? { ...entry, ...sessionOf(backtest) }
            : summaryOf(entry, imported.has(entry.id), activity.get(entry.id), charged.get(entry.id), failed.get(entry.id), unread.get(entry.id), backtest)
        )
      }).pipe(Effect.catchTag("StoreError", (e) => Effect.fail(storeFailure(e))))

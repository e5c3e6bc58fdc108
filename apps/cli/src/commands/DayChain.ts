/**
 * A trading day's chain of runs as `run daily` reads it — the day's first run and the retries of its failed accounts
 * (`dayChain`) — and what a retry takes from it: each account's latest outcome (`dayReport`), the gate's decisions to
 * send again (`carriedPlans`), the accounts no reconciliation of the day could read (`unreconciled`), and the
 * retry's parameters (`retryParams`).
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { type AccountExecution, type AccountId, ExecutionReport, RiskVerdict, type TradingDay } from "@council/domain"
import { type RunRecord, RunStore } from "@council/engine"
import { type AccountProfile, type CarriedPlan, DailyParams, DailyPipeline, exitsPlacedAfterFailure, ReconcileReport, unevaluated } from "@council/daily"
import { idsOf } from "@council/daily/RunActivity"
import { CliFailure } from "../CliFailure.ts"

/** A daily run's parameters, when they read back. */
export const paramsOf = (run: RunRecord) => Schema.decodeUnknownOption(DailyParams)(run.params)

/** A stage's stored output of `run`, decoded; a failure naming the run when it has none readable. */
export const outputOf = <S extends Schema.Top & { readonly DecodingServices: never }>(run: RunRecord, stage: string, schema: S) =>
  Effect.gen(function*() {
    const checkpoint = (yield* RunStore.use((s) => s.getCheckpoints(run.id))).find((c) => c.stage === stage)
    return yield* Schema.decodeUnknownEffect(Schema.toCodecJson(schema))(checkpoint?.output).pipe(
      Effect.mapError(() => CliFailure.failed(`run ${run.id} has no readable ${stage} checkpoint`))
    )
  })

/**
 * The day's local runs that count for `accounts`: the first non-dry run with these accounts and the retries of
 * its failed accounts, oldest first. Imported runs and forks never count.
 */
export const dayChain = (day: TradingDay, accounts: ReadonlyArray<AccountProfile>) =>
  Effect.gen(function*() {
    const runs = yield* RunStore.use((s) => s.listRuns({ pipeline: DailyPipeline.name, tradingDay: day, origin: "local", limit: 500 }))
    const root = runs.find((r) =>
      !r.dryRun && r.parentRunId === null && Option.exists(paramsOf(r), (p) => idsOf(p.accounts) === idsOf(accounts))
    )
    if (root === undefined) return []
    const retries = runs.filter((r) => r.parentRunId === root.id && Option.exists(paramsOf(r), (p) => p.retryOf === root.id))
    return [root, ...retries.reverse()]
  })

/** What the day did per account: each account's latest outcome across the chain's completed runs. */
export const dayReport = (chain: ReadonlyArray<RunRecord>) =>
  Effect.gen(function*() {
    const byAccount = new Map<AccountId, AccountExecution>()
    let asOf = chain[0]!.tradingDay
    for (const run of chain.filter((r) => r.status === "completed")) {
      const report = yield* outputOf(run, "Execution", ExecutionReport)
      asOf = report.asOf
      for (const account of report.accounts) byAccount.set(account.account, account)
    }
    return { asOf, dryRun: false, accounts: [...byAccount.values()] } satisfies ExecutionReport
  })

/** The gate's decisions for `accounts` from the latest run that evaluated them, to send the same orders again. */
export const carriedPlans = (chain: ReadonlyArray<RunRecord>, accounts: ReadonlyArray<AccountId>) =>
  Effect.gen(function*() {
    const plans = new Map<AccountId, CarriedPlan>()
    for (const run of chain.filter((r) => r.status === "completed")) {
      const verdict = yield* outputOf(run, "RiskApproval", RiskVerdict)
      // exits a failed account's positions were given after the run's execution failed: canceled before the plan
      const report = yield* outputOf(run, "Execution", ExecutionReport)
      const covered = Option.match(paramsOf(run), { onNone: (): ReadonlyArray<AccountId> => [], onSome: (p) => p.accounts.map((a) => a.id) })
      const unreadable = new Set(unevaluated(verdict).map((r) => r.account))
      for (const account of accounts.filter((a) => covered.includes(a))) {
        if (unreadable.has(account)) {
          plans.delete(account)
          continue
        }
        const mine = <A extends { readonly account: string }>(all: ReadonlyArray<A>) => all.filter((x) => x.account === account)
        plans.set(account, {
          account,
          from: run.id,
          cancels: [...mine(verdict.cancels), ...exitsPlacedAfterFailure(verdict, report, account)],
          intents: mine(verdict.intents),
          rejections: mine(verdict.rejections),
          clamps: mine(verdict.clamps)
        })
      }
    }
    return [...plans.values()]
  })

/**
 * Of `accounts` (the day's), those the day has no snapshot of: the latest reconciliation of each across the chain —
 * the first run's, or a retry's that read it again (`reconciles`) — could not read it (a refused key, the broker
 * down, one read refused). A retry reconciles them again, or the session would have no equity of them. A run
 * without a readable Reconcile checkpoint names none. A retry that did not reconcile (no `reconciles`) holds a copy
 * of its first run's reconciliation, which a retry before it may have read past: it is not a reading of the day.
 */
export const unreconciled = (chain: ReadonlyArray<RunRecord>, accounts: ReadonlyArray<AccountId>) =>
  Effect.gen(function*() {
    const latest = new Map<AccountId, "recorded" | "failed">()
    for (const run of chain) {
      if (run !== chain[0] && !Option.exists(paramsOf(run), (p) => p.reconciles !== undefined)) continue
      const report = yield* Effect.option(outputOf(run, "Reconcile", ReconcileReport))
      if (Option.isNone(report)) continue
      for (const r of report.value.accounts) latest.set(r.account, r.status)
    }
    return accounts.filter((a) => latest.get(a) === "failed")
  })

/**
 * A retry's parameters: the day's first run's (`root`, its params `rootParams`: council, schedule, moment and the
 * rules it recorded) for the failed `accounts`, with their `carried` plans and the accounts it reads again (`reads`,
 * `reconciles`). Two choices are the retry's own, whatever the first run recorded: where this command's keys come
 * from (`keysFrom`: a refused one is told where they are configured now) and carried closes sent for the shares held
 * (`carriedCloses: held`) — a first run recorded before it is retried without sending its snapshot's stale quantity.
 * The retry records them, so it replays as it ran.
 */
export const retryParams = (
  root: RunRecord,
  rootParams: DailyParams,
  keysFrom: DailyParams["keysFrom"],
  accounts: ReadonlyArray<AccountProfile>,
  carried: ReadonlyArray<CarriedPlan>,
  reads: ReadonlyArray<AccountId>
): DailyParams => {
  const { keysFrom: _recorded, reconciles: _read, ...rest } = rootParams
  const retry: DailyParams = { ...rest, accounts, retryOf: root.id, carried, carriedCloses: "held" }
  if (keysFrom !== undefined) return reads.length === 0 ? { ...retry, keysFrom } : { ...retry, keysFrom, reconciles: reads }
  return reads.length === 0 ? retry : { ...retry, reconciles: reads }
}

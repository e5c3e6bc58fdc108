/**
 * What a run tells the operator beyond its stages' own messages: that it started (a fork says whose), each stage
 * failure with its error, that it waits for an approval, and one summary at the end (per account: orders, equity,
 * day P&L). Sent straight to the notifier (not through the recorder: they belong to this invocation — an exact
 * `replay` never makes them, a fork is a run of its own and does); a notifier failure is a warning on stderr, never
 * the run's.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { ExecutionReport, type RiskVerdict, type RunId, type TradingDay } from "@council/domain"
import { isDamagedRun, type RunRecord, RunStore, Runner } from "@council/engine"
import { DailyParams, DailyPipeline, ReconcileReport } from "@council/daily"
import { type Notification, Notifier } from "@council/notify/Notifier"
import { awaitingApproval, failure, runStarted, runSummary } from "@council/notify/RunMessages"
import { printer } from "./Progress.ts"

const tell = (message: Notification) =>
  Notifier.use((n) => n.notify(message)).pipe(
    Effect.catchTag("NotifierError", (error) => Effect.logWarning(`notification failed: ${error.message}`))
  )

const startOf = (run: RunRecord, resumed: boolean): Notification => {
  const params = Schema.decodeUnknownOption(DailyParams)(run.params)
  return runStarted({
    runId: run.id,
    tradingDay: run.tradingDay,
    asOf: run.asOf,
    accounts: Option.match(params, { onNone: () => [], onSome: (p) => p.accounts.map((a) => a.id) }),
    dryRun: run.dryRun,
    ...(resumed ? { mode: "resumed" } : run.parentRunId !== null ? { mode: `fork of ${run.parentRunId}` } : {}),
    ...Option.match(Option.flatMap(params, (p) => Option.fromNullishOr(p.schedule)), { onNone: () => ({}), onSome: (schedule) => ({ schedule }) })
  })
}

/** The CLI's progress printer, also telling the notifier when the run starts and when a stage fails. */
export const observer = (event: Runner.RunEvent): Effect.Effect<void, never, Notifier> =>
  Effect.andThen(
    printer(event),
    event._tag === "RunStarted"
      ? tell(startOf(event.run, event.resumed))
      : event._tag === "StageFailed"
      ? tell(failure({ what: `${event.stage} (attempt ${event.attempt})`, error: event.message }))
      : Effect.void
  )

/** A run stopped at its approval gate: the orders it would send and how to decide (an unattended run's operator must hear it). */
export const awaiting = (run: RunRecord, verdict: RiskVerdict) =>
  tell(awaitingApproval({ runId: run.id, tradingDay: run.tradingDay, verdict }))

/** `run` with its events printed (the CLI's progress) and told to the notifier (`observer`). */
export const observed = <A, E, R>(run: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const notifier = yield* Notifier
    const tellWith = (event: Runner.RunEvent) => observer(event).pipe(Effect.provideService(Notifier, notifier))
    return yield* run.pipe(Effect.provideService(Runner.RunObserver, tellWith))
  })

/** A run that failed, with its error. */
export const runFailed = (what: string, error: unknown) => tell(failure({ what, error }))

/**
 * Each account's equity as `run` found it: its Reconcile stage's reading, at the run's start (execution reads
 * nothing back); a run from before that stage, its execution's reading after its orders. Fails when the run's
 * checkpoints do not read back (`StoreError`).
 */
const readEquity = (run: RunId) =>
  Effect.gen(function*() {
    const store = yield* RunStore
    // one stage's checkpoint at a time: the others (the market snapshot's among them) are not read
    const accountsIn = <S extends typeof ReconcileReport | typeof ExecutionReport>(stage: string, schema: S) =>
      Effect.map(store.getCheckpoints(run, stage), ([checkpoint]) =>
        Option.map(Schema.decodeUnknownOption(Schema.toCodecJson(schema))(checkpoint?.output), (report) => report.accounts))
    const reconciled = yield* accountsIn("Reconcile", ReconcileReport)
    const readings = Option.isSome(reconciled)
      ? reconciled.value
      : Option.getOrElse(yield* accountsIn("Execution", ExecutionReport), () => [])
    const equity: Readonly<Record<string, number>> = Object.fromEntries(
      readings.flatMap((a) => (a.equity === null ? [] : [[a.account, a.equity] as const]))
    )
    return equity
  })

/** `readEquity`, empty when neither reading is readable. */
export const equityOfRun = (run: RunId) =>
  readEquity(run).pipe(Effect.orElseSucceed((): Readonly<Record<string, number>> => ({})))

/** `report` with each account's equity as `run` found it (`equityOfRun`) where its execution recorded none. */
export const withEquityOf = (run: RunId, report: ExecutionReport) =>
  Effect.map(equityOfRun(run), (equity): ExecutionReport => ({
    ...report,
    accounts: report.accounts.map((a) => (a.equity !== null || equity[a.account] === undefined ? a : { ...a, equity: equity[a.account]! }))
  }))

const skipped = (id: string, damage: string) => Console.error(`warning: run ${id} is damaged and skipped: ${damage}`)

/**
 * Each account's equity as the latest completed, non-dry local run of a day before `day` found it (`readEquity`):
 * the base of the day's P&L, which thus runs from one run to the next. A damaged run met on the way (its row,
 * parameters or checkpoints do not read back) is named once on stderr and passed over: the base is the latest
 * run that reads.
 */
const previousEquity = (day: TradingDay) =>
  Effect.gen(function*() {
    const entries = yield* RunStore.use((s) => s.surveyRuns({ pipeline: DailyPipeline.name, origin: "local", limit: 50 }))
    for (const entry of entries) {
      if (isDamagedRun(entry)) {
        if (entry.tradingDay === null || entry.tradingDay < day) yield* skipped(entry.id, entry.damage)
        continue
      }
      if (!(entry.tradingDay < day && entry.status === "completed" && !entry.dryRun)) continue
      const equity = yield* readEquity(entry.id).pipe(
        Effect.catchTag("StoreError", (error) => Effect.as(skipped(entry.id, error.message), undefined))
      )
      if (equity !== undefined) return equity
    }
    return {}
  }).pipe(Effect.orElseSucceed(() => ({})))

/** The end-of-run summary: orders, equity and day P&L per account. */
export const summary = (run: RunRecord, report: ExecutionReport) =>
  Effect.flatMap(previousEquity(run.tradingDay), (previous) =>
    tell(runSummary({ report, previousEquity: previous, runId: run.id })))

import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { type AccountId, ExecutionReport, needsRetry, RiskVerdict, type RunId, type TradingDay } from "@council/domain"
import { type Checkpoint, isDamaged, type RunRecord, RunStore, Runner, type StoreError } from "@council/engine"
import { select, TradingAccounts } from "@council/broker"
import { type AccountProfile, Approval, DailyParams, DailyPipeline, type KeysFrom, newRunParams as newDailyRunParams } from "@council/daily"
import { continuation, dayCommand } from "@council/daily/RunActivity"
import { keysFromOf, keyWasRefused, retryAdvice } from "@council/daily/RunFailures"
import { AuditTrail } from "@council/llm"
import type { MarketData } from "@council/market"
import { FLUSH_WITHIN, flushed, Notifier } from "@council/notify/Notifier"
import { describeHolder, type Lease, RunLock } from "@council/store"
import { AppSettings, codeVersion } from "../AppConfig.ts"
import * as AppLayer from "../AppLayer.ts"
import { CliFailure } from "../CliFailure.ts"
import { signalWhenGone } from "../Launcher.ts"
import { waitForSignal } from "../Listening.ts"
import { outcome } from "../Outcome.ts"
import * as RunNotices from "../RunNotices.ts"
import * as StaleData from "../StaleData.ts"
import { money, table } from "../Table.ts"
import type { Council } from "./Llm.ts"
import { dayChain, dayReport, paramsOf, unreconciled } from "./DayChain.ts"
import { ensureNoOtherDayRunning } from "./Session.ts"
import { awaitingOutcome } from "./AwaitingApproval.ts"
import { type DayPlan, planDay } from "./DayPlan.ts"
import { checkMarket, clockAccountAmong, earlyCloseOnly, noSessionLine, type RunMoment } from "./Timing.ts"

export interface RunDailyOptions {
  readonly date: Option.Option<string>
  readonly at: Option.Option<string>
  readonly dryRun: boolean
  readonly accounts: Option.Option<string>
  readonly json: boolean
  readonly requireApproval: boolean
  /** Trade only a session that closes early; any other day says so and exits 0 (the 12:45 cron entry). */
  readonly earlyCloseOnly: boolean
}

/**
 * A new run's parameters: its accounts, services, council, schedule and as-of moment, the approval gate, and where
 * its keys were configured (`keysFrom`, when known: a refused key's advice names it).
 */
export const newRunParams = (
  accounts: ReadonlyArray<AccountProfile>,
  services: { readonly broker: string; readonly data: string; readonly pms: string },
  council: Pick<DailyParams, "pms" | "models">,
  at: RunMoment,
  requireApproval: boolean,
  keysFrom?: KeysFrom | undefined
): DailyParams => newDailyRunParams({ accounts, ...services, ...council, ...(keysFrom === undefined ? {} : { keysFrom }) }, at, requireApproval)

/** Where the configured accounts' keys come from (`TradingAccounts.source`); `undefined` when not read from the environment. */
export const keysFrom = TradingAccounts.use(({ source }) => Effect.succeed(source))

/** `--accounts a, B` → `["A", "B"]`; a list that names no account (`''`, `,,,`) stays empty and is refused. */
export const parseAccountList = (accounts: Option.Option<string>) =>
  Option.map(accounts, (list) => list.split(",").map((s) => s.trim().toUpperCase()).filter((s) => s !== ""))

/** The accounts a run trades: all configured, or those named with `--accounts`. */
export const selectedProfiles = (accounts: Option.Option<string>) =>
  Effect.gen(function*() {
    const configured = yield* TradingAccounts
    const selected = yield* select(configured.all, Option.getOrUndefined(parseAccountList(accounts))).pipe(
      Effect.mapError((e) => CliFailure.usage(`--accounts: ${e.message}`))
    )
    return selected.map((a): AccountProfile => ({ id: a.id, mode: a.mode, settings: a.settings }))
  })

export const executionTable = (report: ExecutionReport) =>
  table(
    ["ACCOUNT", "STATUS", "PLACED", "FAILED", "EQUITY", "NOTE"],
    report.accounts.map((a) => [
      a.account,
      a.status,
      String(a.orders.length),
      String(a.failures.length),
      money(a.equity),
      a.message
    ])
  )

/**
 * Prints the report (a table, or only JSON on stdout with `--json`). Exit 0 only when every account succeeded
 * (or was a dry run) and everything it did was read back; 1 otherwise, naming `again` (the day's `dayCommand`) to
 * retry the failed accounts when the run is a day's run.
 */
export const reportOutcome = (run: RunRecord, report: ExecutionReport, json: boolean, again?: string) =>
  Effect.gen(function*() {
    if (json) {
      yield* Console.log(JSON.stringify({ run, execution: Schema.encodeSync(ExecutionReport)(report) }, null, 2))
    } else {
      yield* Console.log(executionTable(report))
      yield* Console.log(`\nrun ${run.id} · ${run.status} · replay with: pnpm pipeline replay ${run.id}`)
    }
    const incomplete = report.accounts.filter(needsRetry)
    if (incomplete.length > 0) {
      return yield* CliFailure.failed(
        `${incomplete.length} of ${report.accounts.length} accounts failed: ${incomplete.map((a) => a.account).join(", ")}` +
          (report.dryRun ? "" : ` (${retryAdvice(incomplete.map((a) => a.account), incomplete.filter(keyWasRefused).map((a) => a.account), again, keysFromOf(run.params))})`)
      )
    }
  })

/** Where the gate stops a run that requires approval and has no decision yet. */
const pauseOf = (params: DailyParams, checkpoints: ReadonlyArray<Checkpoint>) =>
  params.requireApproval === true && Approval.decisionOf(checkpoints) === undefined ? Approval.GATED_STAGE : undefined

type Runnable = Extract<DayPlan, { readonly _tag: "Start" | "Resume" | "Retry" }>

/** The id of the run a plan runs: the run it resumes, or a new one (a start, a retry's fork). */
const runIdOf = (plan: Runnable, day: TradingDay): RunId => plan._tag === "Resume" ? plan.run.id : Runner.newRunId(day)

const startRun = (plan: Runnable, runId: RunId, options: RunDailyOptions, day: TradingDay, params: DailyParams) =>
  Effect.gen(function*() {
    switch (plan._tag) {
      case "Start":
        return yield* Runner.start(DailyPipeline, {
          tradingDay: day,
          asOf: day,
          mode: "record",
          dryRun: options.dryRun,
          codeVersion,
          params,
          runId,
          ...(params.requireApproval === true ? { pauseBefore: Approval.GATED_STAGE } : {})
        })
      case "Resume": {
        const checkpoints = yield* RunStore.use((s) => s.getCheckpoints(plan.run.id))
        const pause = Option.match(paramsOf(plan.run), { onNone: () => undefined, onSome: (p) => pauseOf(p, checkpoints) })
        // the models' usable answers a failed stage attempt recorded are taken, not asked (and paid for) again
        const reuse = AuditTrail.usableAnswers(yield* RunStore.use((s) => s.getRecordings(plan.run.id)))
        return yield* Runner.resume(DailyPipeline, plan.run.id, { reuse, ...(pause === undefined ? {} : { pauseBefore: pause }) })
      }
      case "Retry":
        // a retry that reconciles (`reconciles`) runs Reconcile again, for those accounts alone, before its gate
        return yield* Runner.fork(DailyPipeline, plan.root.id, "RiskApproval", {
          dryRun: false,
          codeVersion,
          mode: "record",
          params: plan.params,
          runId,
          ...(plan.params.reconciles === undefined ? {} : { rerun: ["Reconcile"] })
        })
    }
  })

/** Runs (or continues) a run to its end or its approval gate; the report, or the verdict awaiting a decision. */
export const executeRun = <R>(
  run: Effect.Effect<Runner.RunResult, Runner.RunFailed | Runner.InvalidRunRequest | Runner.RunNotFound | StoreError, R>,
  day: TradingDay,
  dryRun: boolean,
  accounts: ReadonlyArray<AccountProfile>,
  again: string
) =>
  Effect.gen(function*() {
    const result = yield* RunNotices.observed(run).pipe(
      Effect.catchTags({
        // the operator hears it through `toldOnFailure`, with how to resume
        RunFailed: (e) =>
          Effect.fail(CliFailure.failed(`run ${e.runId} failed in ${e.stage}: ${e.message} (${continuation(again, dryRun, "resume")})`)),
        InvalidRunRequest: (e) => Effect.fail(CliFailure.failed(e.message)),
        RunNotFound: (e) => Effect.fail(CliFailure.failed(e.message)),
        // the store refused a write between stages (locked by another process, full): the run stopped part-way and
        // resumes like any other; damaged data is not helped by running again
        StoreError: (e) =>
          Effect.fail(CliFailure.failed(
            isDamaged(e) ? e.message : `the run stopped part-way: the store failed: ${e.message} (${continuation(again, dryRun, "resume")})`
          ))
      })
    )
    if (result.run.status === "awaiting-approval") {
      const verdict = yield* Schema.decodeUnknownEffect(RiskVerdict)(result.outputs["RiskApproval"]).pipe(Effect.orDie)
      // a dry-run account (a LIVE one by default) sends nothing when the run is approved: never counted as sending
      const idle = accounts.filter((a) => dryRun || a.settings.dryRun).map((a) => a.id)
      yield* RunNotices.awaiting(result.run, verdict, idle)
      return { _tag: "Awaiting", run: result.run, verdict, idle } as const
    }
    const chain = dryRun ? [] : yield* dayChain(day, accounts)
    const report = yield* RunNotices.withEquityOf(
      result.run.id,
      dryRun
        ? yield* Schema.decodeUnknownEffect(ExecutionReport)(result.outputs["Execution"]).pipe(Effect.orDie)
        : yield* dayReport(chain)
    )
    yield* RunNotices.summary(result.run, report)
    // what no reconciliation of the day could read, though it traded, has no snapshot of the session: said, with how
    // to fill it (a failed account's retry reads it as well: the closing line says to run the day again already)
    const traded = accounts.filter((a) => report.accounts.some((x) => x.account === a.id && !needsRetry(x))).map((a) => a.id)
    const unread = yield* unreconciled(chain, traded)
    if (unread.length > 0) yield* RunNotices.unreadSnapshot(day, unread, again, RunNotices.liveOf(accounts.filter((a) => unread.includes(a.id))))
    return { _tag: "Done", run: result.run, report } as const
  })

/**
 * `command`, whose failure (exit 1, or 130: interrupted, as by a timer's stop) is also told to the notifier as
 * `Failed: <what>` with its error line — whatever stopped it, before its run started (the cutoff passed, a broker's
 * clock unreadable, the disk full) or in a stage: the operator of an unattended run reads Slack, not the log.
 * A usage or configuration error (exit 2) is not told: nothing was attempted, and the notifier may be what is wrong —
 * except what the settings being right does not prevent (`beyondSettings`): the settings, the notifier's among
 * them, were checked before it, and a home that went read-only overnight, or a feed that stopped giving bars, stops
 * every day until someone hears of it. Those are told to Slack alone (stderr has their line already).
 */
export const toldOnFailure = <A, E, R, EL, RL>(what: string, command: Effect.Effect<A, E, R>, live: LiveAccounts<EL, RL>) =>
  command.pipe(Effect.tapCause((cause) => {
    const { code, line } = outcome(Exit.failCause(cause))
    if (code === 2) return beyondSettings(cause) ? toldToSlack(what, cause, live) : Effect.void
    return code === 1 || code === 130
      ? Effect.flatMap(liveNamed(live), (named) => RunNotices.runFailed(what, line ?? "failed", named)).pipe(Effect.provide(AppLayer.notifier), Effect.ignore)
      : Effect.void
  }))

/**
 * The accounts a trading command trades that trade real money (mode LIVE), read when its failure is told: the
 * `Failed: …` message names them, as the run's start does (`RunNotices.runFailed`).
 */
export type LiveAccounts<E, R> = Effect.Effect<ReadonlyArray<string>, E, R>

/** `live`; when it cannot be read (the command's own input is what failed), every configured LIVE account. */
const liveNamed = <E, R>(live: LiveAccounts<E, R>) =>
  Effect.catch(live, () => TradingAccounts.use(({ all }) => Effect.succeed(RunNotices.liveOf(all))))

/** The LIVE accounts among those `--accounts` selects (every configured account without it): `run daily`'s. */
export const liveSelected = (accounts: Option.Option<string>) => Effect.map(selectedProfiles(accounts), RunNotices.liveOf)

/**
 * Whether `cause` is an exit 2 that checked settings do not rule out: the store refusing to open (`COUNCIL_HOME` not
 * writable, a database a newer version upgraded) or the market data giving no trading day (a remote feed with no bars
 * for the last weeks: `alpaca has no bars between …`). A flag's bad value is a `CliFailure`, never one of these.
 */
const beyondSettings = (cause: Cause.Cause<unknown>) =>
  Option.match(Cause.findErrorOption(cause), {
    onNone: () => false,
    onSome: (e) =>
      typeof e === "object" && e !== null && "_tag" in e &&
      (e._tag === "DatabaseConfigError" || e._tag === "NewerDatabaseError" || e._tag === "MarketDataError")
  })

/** A failure of exit 2 told to Slack alone: stderr has its one line already (bad input is said in one line). */
const toldToSlack = <EL, RL>(what: string, cause: Cause.Cause<unknown>, live: LiveAccounts<EL, RL>) => {
  const { code, line } = outcome(Exit.failCause(cause))
  if (code !== 2) return Effect.void
  return Effect.flatMap(AppLayer.slackAlone, Option.match({
    onNone: () => Effect.void,
    onSome: (slack) =>
      Effect.flatMap(liveNamed(live), (named) => RunNotices.runFailed(what, line ?? "failed", named)).pipe(Effect.provide(slack), Effect.ignore)
  }))
}

/**
 * A trading command (`run daily`, `approve`) with its market data built (`market`), told as `toldOnFailure` tells —
 * and also what a timer's operator would otherwise never hear of: a SIGINT/SIGTERM outside the run's own stages
 * (loading the bars, reading a broker's clock) ends it as interrupted (exit 130, no stage stopped part-way), and
 * market data that cannot be built (the bars unreadable or corrupt: exit 2, nothing done) is told to Slack although
 * it is not exit 1 — the settings, the notifier's among them, were checked already, so Slack is not what is wrong.
 */
export const toldTrading = <A, E, R, E2, R2, EL, RL>(
  what: string,
  market: Layer.Layer<MarketData, E2, R2>,
  command: Effect.Effect<A, E, R>,
  live: LiveAccounts<EL, RL>
) =>
  toldOnFailure(
    what,
    untilSignal(
      Effect.provide(command, market.pipe(Layer.tapCause((cause) => toldToSlack(what, cause, live)))),
      // mostly before the run starts; also while its outcome is printed, after the run's own wait has ended
      `interrupted outside its run's stages (none was stopped part-way); run it again to go on: pnpm pipeline ${what}`
    ),
    live
  )

/** The day's lock, held by this process for the scope; who holds it otherwise (exit 2). */
export const holdDayLock = (day: TradingDay, command: string) => holdLock(`daily:${day}`, command, "the day's lock")

/** The store's lock `key` (`name`: a day's, a backtest's), held by this process for the scope; who holds it otherwise (exit 2). */
export const holdLock = (key: string, command: string, name: string) =>
  Effect.gen(function*() {
    const { lockTtlSeconds } = yield* AppSettings
    const lease = yield* RunLock.use((lock) => lock.acquire(key, { command, ttlMillis: lockTtlSeconds * 1000 })).pipe(
      Effect.catchTags({
        LockHeld: (e) => Effect.fail(CliFailure.usage(`${command}: ${e.message}; try again when it is done`)),
        RunLockError: (e) => Effect.fail(CliFailure.failed(e.message))
      })
    )
    if (lease.tookOver !== undefined) {
      yield* Console.error(`took over ${name} from ${describeHolder(lease.tookOver, Date.now())}, which stopped renewing it`)
    }
    return lease
  })

/**
 * Names `runId` as being run by this process (so `runs` tells it from a run whose process is gone): on the day's
 * `lease`, or — a dry run holds none — on a lease of its own.
 */
export const holdRun = (lease: Lease | undefined, runId: RunId, command: string) =>
  Effect.gen(function*() {
    const held = lease ?? (yield* holdLock(`dry-run:${runId}`, command, "the dry run's lease"))
    yield* held.setRunId(runId).pipe(Effect.ignore)
  })

/** Runs `work` while the lease holds; losing the lease (another process took it over) stops it (exit 1). */
export const whileHeld = <A, E, R>(lease: Lease, work: Effect.Effect<A, E, R>) =>
  Effect.raceFirst(
    work,
    Effect.flatMap(Deferred.await(lease.lost), (holder) =>
      Effect.fail(CliFailure.failed(`lost the lock of ${lease.key}${holder === null ? "" : ` to ${describeHolder(holder, Date.now())}`}; stopping`)))
  )

/**
 * `run daily` stops as on SIGTERM when the pnpm that launched it exits: a `kill` of that pnpm alone (a cron user's)
 * ends pnpm and the shell under it, and would leave the run going as an orphan.
 */
export const stopWithLauncher = signalWhenGone

/**
 * Runs `work` until it ends or the process gets SIGINT/SIGTERM: then `work` is interrupted (its finalizers run: the
 * day's lock is let go, no checkpoint is half-written) and the command ends with `message` (exit 130). A second
 * signal finds no listener and kills the process, as a SIGKILL would (the next run resumes either way).
 */
export const untilSignal = <A, E, R>(work: Effect.Effect<A, E, R>, message: string) =>
  Effect.raceFirst(work, Effect.andThen(waitForSignal, Effect.fail(CliFailure.interrupted(message))))

/**
 * `untilSignal`, except once `completed` is done (the day's run reached its end): then a signal interrupts nothing —
 * the run's outcome stands, its summary still reaches Slack and the command exits with the day's code — and only
 * says so (a second signal finds no listener and kills the process). A timer stopped in the last seconds of a run
 * that completed is not a failed day.
 */
const untilSignalBefore = <A, E, R>(completed: Deferred.Deferred<void>, work: Effect.Effect<A, E, R>, message: string) =>
  Effect.raceFirst(
    work,
    Effect.flatMap(waitForSignal, (signal) =>
      Effect.flatMap(Deferred.isDone(completed), (done) =>
        done
          ? Effect.andThen(Console.error(`${signal}: the day's run has completed; finishing its report and messages (a second signal ends the process at once)`), Effect.never)
          : Effect.fail(CliFailure.interrupted(message))))
  )

/**
 * Runs the trading day at `at`: the plan and the market schedule check on a store opened read-only (a fresh home
 * stays untouched by a refusal), then — under the day's lock — starts, resumes or retries the day's run on the
 * real store with `council` seated.
 */
export const runDaily = <E, R>(
  options: RunDailyOptions,
  at: RunMoment,
  params: DailyParams,
  council: Council,
  resumed: (run: RunRecord) => Effect.Effect<Council, E, R>
) =>
  Effect.gen(function*() {
    const { day, moment } = at
    const again = yield* dayCommand(day, params.accounts)
    const probe = AppLayer.tradingWith(moment, "empty")
    const closed = at.realClock === undefined ? yield* noSessionLine(at) : undefined
    if (closed !== undefined) {
      yield* Console.error(closed)
      return yield* untradedJson(options.json, { tradingDay: day, outcome: "market-closed", message: closed })
    }
    const clockAccount = at.realClock ?? (yield* clockAccountAmong(params.accounts.map((a) => a.id), probe))
    const regular = options.earlyCloseOnly ? yield* earlyCloseOnly(clockAccount, at.schedule).pipe(Effect.provide(probe)) : undefined
    if (regular !== undefined) return yield* untradedJson(options.json, { tradingDay: day, outcome: regular.skipped, message: regular.message })
    const plan = yield* planDay(options.dryRun, day, params).pipe(Effect.provide(probe))
    // the day the data chose already ran: a timer would run it again each day, exit 0, saying nothing
    if (plan._tag === "Done") {
      yield* StaleData.sayIfBehind(options, day, at.realClock, RunNotices.liveOf(params.accounts), {
        everywhere: AppLayer.notifier,
        consoleOnly: AppLayer.consoleNotifier,
        store: AppLayer.storage("create")
      })
    }
    // best effort: a home this process cannot write (read-only) still shows the day that ran
    if (plan._tag === "Done") yield* retellCut(day, plan.run, plan.report).pipe(Effect.provide(AppLayer.tradingWith(moment, "create")), Effect.ignore)
    if (yield* settledOutcome(plan, options.json, again)) return
    // a retry that only reads (its accounts all traded) sends nothing, continued too: the send cutoff is not its; the
    // session rule (the broker's session is still the day's: `atBroker`) was checked as it was planned
    const readsOnly = plan._tag === "Retry"
      ? plan.params.accounts.length === 0
      : plan._tag === "Resume" && Option.exists(paramsOf(plan.run), (p) => p.accounts.length === 0 && (p.reconciles ?? []).length > 0)
    const verdict = readsOnly ? "trade" : yield* checkMarket(clockAccount, at.schedule, options.dryRun, options.earlyCloseOnly, RunNotices.liveOf(params.accounts)).pipe(Effect.provide(probe))
    if (verdict !== "trade") return yield* untradedJson(options.json, { tradingDay: day, outcome: verdict.skipped, message: verdict.message })
    // a run continued asks with the lineup it started with, not this command line's
    const seated = plan._tag === "Resume" ? yield* resumed(plan.run) : council
    const completed = yield* Deferred.make<void>()
    const work = runToEnd(options, { ...at, clockAccount }, params, plan, seated, again, completed)
    return yield* untilSignalBefore(completed, work, beforeRun(again))
  })

/**
 * The day's completed `run` whose process ended (SIGKILL, a power cut) before its messages were all sent: it left the
 * day's lock behind, naming it. Its summary is told again — once: taking the lock over lets it go — so the operator
 * who reads Slack hears how the day ended. A lock held by a live process is left alone.
 */
const retellCut = (day: TradingDay, run: RunRecord, report: ExecutionReport) =>
  Effect.scoped(Effect.gen(function*() {
    const { lockTtlSeconds } = yield* AppSettings
    const lease = yield* RunLock.use((lock) => lock.acquire(`daily:${day}`, { command: `run daily ${day}`, ttlMillis: lockTtlSeconds * 1000 })).pipe(
      Effect.option
    )
    if (Option.isNone(lease) || lease.value.tookOver?.runId !== run.id) return
    yield* Console.error(`run ${run.id} completed, but its process ended before its messages were all sent: its summary is sent again`)
    yield* RunNotices.summary(run, report)
    yield* Notifier.use((n) => flushed(n, FLUSH_WITHIN))
  }))

/** A signal before the day's run has started or been found settled: nothing was stopped part-way. */
const beforeRun = (again: string) => `interrupted before its run started (none was stopped part-way); run it again to go on: ${again}`

/** The part of `runDaily` under the day's lock: the run to its end, then its outcome printed (`completed` once it has one). */
const runToEnd = (
  options: RunDailyOptions,
  { clockAccount, day, moment }: RunMoment & { readonly clockAccount: AccountId },
  params: DailyParams,
  plan: DayPlan,
  seated: Council,
  again: string,
  completed: Deferred.Deferred<void>
) =>
  Effect.gen(function*() {
    const outcome = yield* Effect.scoped(Effect.gen(function*() {
      const lease = options.dryRun ? undefined : yield* holdDayLock(day, `run daily ${day}`)
      const final = lease === undefined ? plan : yield* planDay(options.dryRun, day, params)
      if (yield* settledOutcome(final, options.json, again)) return undefined
      const runnable = final as Runnable
      if (runnable._tag === "Resume" && (plan._tag !== "Resume" || plan.run.id !== runnable.run.id)) {
        return yield* CliFailure.failed(`the day's run changed while waiting for its lock (now ${runnable.run.id}); run the day again`)
      }
      if (lease !== undefined) yield* ensureNoOtherDayRunning(day, runnable._tag === "Retry" ? runnable.params.accounts : params.accounts)
      // told once the day is this process's to start: not by a run refused at the lock, nor twice by two at once
      if (lease !== undefined && runnable._tag === "Start") yield* RunNotices.missedBefore(day, clockAccount, RunNotices.liveOf(params.accounts))
      if (runnable._tag === "Retry") yield* Console.error(runnable.note)
      else yield* seated.announce // a retry re-sends carried plans: it asks no model
      const runId = runIdOf(runnable, day)
      yield* holdRun(lease, runId, `run daily ${day}${options.dryRun ? " --dry-run" : ""}`)
      const run = startRun(runnable, runId, options, day, params).pipe(Effect.tap(() => Deferred.succeed(completed, undefined)))
      const work = executeRun(run, day, options.dryRun, params.accounts, again)
      const stopped = `interrupted: ${runnable._tag === "Retry" ? `the retry of ${day}` : `run ${runId}`} stopped part-way`
      const result = yield* untilSignalBefore(
        completed,
        lease === undefined ? work : whileHeld(lease, work),
        `${stopped}; ${continuation(again, options.dryRun, "continue it")}`
      )
      // the messages reach Slack before the day's lock is let go: a process that dies sending them leaves the lock
      // behind, naming its run, and the day's next invocation tells that run's summary again (`retellCut`)
      if (lease !== undefined) yield* Notifier.use((n) => flushed(n, FLUSH_WITHIN))
      return result
    })).pipe(Effect.provide(AppLayer.tradingWith(moment, "create", seated.layer)))
    if (outcome === undefined) return
    if (outcome._tag === "Awaiting") return yield* awaitingOutcome(outcome.run, outcome.verdict, options.json, outcome.idle)
    return yield* reportOutcome(outcome.run, outcome.report, options.json, again)
  })

/**
 * A day that ends (exit 0) without an execution to report — its market closed, not an early close under
 * `--early-close-only`, its run awaiting a decision or rejected: the line is on stderr already; with `--json`,
 * stdout still carries one JSON document saying so.
 */
const untradedJson = (
  json: boolean,
  result: {
    readonly tradingDay: TradingDay
    readonly outcome: "market-closed" | "not-early-close" | "awaiting-approval" | "rejected"
    readonly message: string
    readonly run?: RunRecord
  }
) => (json ? Console.log(JSON.stringify(result, null, 2)) : Effect.void)

/** Says what a plan that needs no run is, and whether it was one (done, awaiting a decision, rejected). */
const settledOutcome = (plan: DayPlan, json: boolean, again: string) =>
  Effect.gen(function*() {
    switch (plan._tag) {
      case "Done":
        yield* Console.error(plan.note)
        yield* reportOutcome(plan.run, plan.report, json, again)
        return true
      case "Awaiting":
      case "Rejected": {
        const { run } = plan
        const message = plan._tag === "Awaiting"
          ? `run ${run.id} of ${run.tradingDay} awaits approval: pnpm pipeline approve ${run.id} (or --reject); nothing is placed until then`
          : `run ${run.id} of ${run.tradingDay} was rejected; nothing is placed for that day`
        yield* Console.error(message)
        yield* untradedJson(json, { tradingDay: run.tradingDay, outcome: plan._tag === "Awaiting" ? "awaiting-approval" : "rejected", message, run })
        return true
      }
      default:
        return false
    }
  })

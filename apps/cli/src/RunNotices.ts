/**
 * What a run tells the operator beyond its stages' own messages: that it started (a fork says whose), the sessions
 * since the last completed run that went untraded (`missedBefore`), a run off its schedule's time, each failure
 * with its error, that it waits for an approval, and one summary at the end (per account: orders, equity, the P&L
 * since the previous completed run; a LIVE account's line starts `LIVE ·`). Sent straight to the notifier (not through the recorder: they belong to this invocation — an exact
 * `replay` never makes them, a fork is a run of its own and does); a notifier failure is a warning on stderr, never
 * the run's.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { type AccountId, ExecutionReport, type RiskVerdict, type RunId, type TradingDay } from "@council/domain"
import { Brokers } from "@council/broker"
import { type DamagedRun, isDamagedRun, type RunRecord, RunStore, Runner, type StoreError } from "@council/engine"
import { DailyParams, DailyPipeline, ReconcileReport } from "@council/daily"
import { type Notification, Notifier } from "@council/notify/Notifier"
import { awaitingApproval, failure, intentLine, liveRun, type MissedSession, missedSessions, runStarted, runSummary } from "@council/notify/RunMessages"
import { printer } from "./Progress.ts"

const tell = (message: Notification) =>
  Notifier.use((n) => n.notify(message)).pipe(
    Effect.catchTag("NotifierError", (error) => Effect.logWarning(`notification failed: ${error.message}`))
  )

/** The accounts of `accounts` that trade real money (mode LIVE). */
export const liveOf = (accounts: ReadonlyArray<{ readonly id: AccountId; readonly mode: string }>): ReadonlyArray<AccountId> =>
  accounts.filter((a) => a.mode === "LIVE").map((a) => a.id)

/** The accounts of `params` that trade real money (mode LIVE); none when they do not read back. */
const liveIn = (params: Option.Option<DailyParams>): ReadonlyArray<AccountId> =>
  Option.match(params, { onNone: () => [], onSome: (p) => liveOf(p.accounts) })

const startOf = (run: RunRecord, resumed: boolean): Notification => {
  const params = Schema.decodeUnknownOption(DailyParams)(run.params)
  const live = liveIn(params)
  const told = runStarted({
    runId: run.id,
    tradingDay: run.tradingDay,
    asOf: run.asOf,
    accounts: Option.match(params, { onNone: () => [], onSome: (p) => p.accounts.map((a) => a.id) }),
    dryRun: run.dryRun,
    ...(resumed ? { mode: "resumed" } : run.parentRunId !== null ? { mode: `fork of ${run.parentRunId}` } : {}),
    ...Option.match(Option.flatMap(params, (p) => Option.fromNullishOr(p.schedule)), { onNone: () => ({}), onSome: (schedule) => ({ schedule }) }),
    ...Option.match(Option.flatMap(params, (p) => Option.fromNullishOr(p.reconciles)), { onNone: () => ({}), onSome: (reads) => ({ reads }) })
  })
  // the accounts that trade real money, in the headline: a LIVE run never reads as a paper one
  return liveRun(told, live)
}

/**
 * The CLI's progress printer, also telling the notifier when the run starts. A stage's failed attempt is printed
 * (`✗`) and not told: the stage may be tried again and succeed (FetchData is tried three times), and a run that
 * fails is told once, by its command, with how to resume it (`Failed: run daily — run … failed in FetchData: …`) —
 * one alarm a failure on the operator's phone, none for a hiccup the run got over.
 */
export const observer = (event: Runner.RunEvent): Effect.Effect<void, never, Notifier> =>
  Effect.andThen(printer(event), event._tag === "RunStarted" ? tell(startOf(event.run, event.resumed)) : Effect.void)

/** A run stopped at its approval gate: the orders it would send and how to decide (an unattended run's operator must hear it). */
export const awaiting = (run: RunRecord, verdict: RiskVerdict, idle: ReadonlyArray<AccountId> = []) => {
  const sends = (account: AccountId) => !idle.includes(account)
  const told = awaitingApproval({
    runId: run.id,
    tradingDay: run.tradingDay,
    verdict: { ...verdict, intents: verdict.intents.filter((i) => sends(i.account)), cancels: verdict.cancels.filter((c) => sends(c.account)) },
    // an order a LIVE account would send reads `LIVE · CLAUDE BUY …`: approving it spends real money
    live: liveIn(Schema.decodeUnknownOption(DailyParams)(run.params))
  })
  // a dry-run account's orders are said, apart and as not sent: approving the run sends none of them
  const held = verdict.intents.filter((i) => !sends(i.account)).map((i) => `not sent, ${i.account} is a dry-run account: ${intentLine(i)}`)
  const lines = told.body.split("\n")
  return tell(held.length === 0 ? told : { ...told, body: [...lines.slice(0, -1), ...held, ...lines.slice(-1)].join("\n") })
}

/** `run` with its events printed (the CLI's progress) and told to the notifier (`observer`). */
export const observed = <A, E, R>(run: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const notifier = yield* Notifier
    const tellWith = (event: Runner.RunEvent) => observer(event).pipe(Effect.provideService(Notifier, notifier))
    return yield* run.pipe(Effect.provideService(Runner.RunObserver, tellWith))
  })

/**
 * A run that goes ahead off its schedule's time (`line` says how far off): WARN, so Slack hears it too; its accounts
 * that trade real money (`live`) named after the subject, as the run's start names them.
 */
export const offSchedule = (line: string, live: ReadonlyArray<string>) =>
  tell(liveRun({ level: "WARN", subject: "Run off its schedule's time", body: line }, live))

/**
 * A day's run that completed though its reconciliation could not read `accounts` (they traded): WARN, so Slack
 * hears it — the day has no snapshot of them until it is run again (`again`), which reads them alone.
 */
export const unreadSnapshot = (day: TradingDay, accounts: ReadonlyArray<string>, again: string, live: ReadonlyArray<string>) =>
  tell(liveRun({
    level: "WARN",
    subject: `No snapshot of ${accounts.join(", ")} for ${day}`,
    body: `the day's reconciliation could not read ${accounts.length === 1 ? "it" : "them"}: its equity and the leaderboard miss the day until ${accounts.length === 1 ? "it is" : "they are"} read; run the day again to read ${accounts.length === 1 ? "it" : "them"} alone (nothing is placed again): ${again}`
  }, live))

/** A run that failed, with its error; `live`: its accounts that trade real money, named after the subject. */
export const runFailed = (what: string, error: unknown, live: ReadonlyArray<string>) => tell(failure({ what, error, live }))

/**
 * Each account's equity as `run` found it: its Reconcile stage's reading, at the run's start (execution reads
 * nothing back); a run from before that stage, its execution's reading after its orders. A retry that reconciled
 * again the accounts its first run could not read (`reconciles`) read only those: the others are as its parent read
 * them. Fails when the run's checkpoints do not read back (`StoreError`).
 */
const readEquity = (run: RunId): Effect.Effect<Readonly<Record<string, number>>, StoreError, RunStore> =>
  Effect.gen(function*() {
    const own = yield* equityRead(run)
    const record = yield* RunStore.use((s) => s.getRun(run))
    const retry = Option.flatMap(record, (r) =>
      r.parentRunId !== null && Option.exists(Schema.decodeUnknownOption(DailyParams)(r.params), (p) => p.reconciles !== undefined)
        ? Option.some(r.parentRunId)
        : Option.none())
    return Option.isNone(retry) ? own : { ...(yield* readEquity(retry.value)), ...own }
  })

/** `readEquity` of `run`'s own checkpoints. */
const equityRead = (run: RunId) =>
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

const addDays = (day: TradingDay, days: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10)

const skipped = (id: string, damage: string) => Console.error(`warning: run ${id} is damaged and skipped: ${damage}`)

/** A completed run and each account's equity as it found it (`readEquity`). */
interface Base {
  readonly run: RunRecord
  readonly equity: Readonly<Record<string, number>>
}

/**
 * The latest completed, non-dry local run of a day before `day` that reads back, with its equity: the base of the
 * day's P&L. A damaged run met on the way (its row, parameters or checkpoints do not read back) is named once on
 * stderr (unless `quiet`) and passed over. Looks at the latest 50 runs first, then further back (×8 each time) while
 * dry, failed or damaged runs are all there is, so a base is never lost behind a long series of them.
 */
const previousRun = (day: TradingDay, options: { readonly quiet: boolean }) =>
  Effect.gen(function*() {
    const skip = (id: string, damage: string) => (options.quiet ? Effect.void : skipped(id, damage))
    const seen = new Set<string>()
    for (let limit = 50;; limit *= 8) {
      const entries = yield* RunStore.use((s) => s.surveyRuns({ pipeline: DailyPipeline.name, origin: "local", limit }))
      const candidates: Array<RunRecord> = []
      for (const entry of entries) {
        if (seen.has(entry.id)) continue
        seen.add(entry.id)
        if (isDamagedRun(entry)) {
          if (entry.tradingDay === null || entry.tradingDay < day) yield* skip(entry.id, entry.damage)
        } else if (entry.tradingDay < day && entry.status === "completed" && !entry.dryRun) {
          candidates.push(entry)
        }
      }
      candidates.sort((a, b) => (a.tradingDay < b.tradingDay ? 1 : a.tradingDay > b.tradingDay ? -1 : 0))
      for (const run of candidates) {
        const equity = yield* readEquity(run.id).pipe(
          Effect.catchTag("StoreError", (error) => Effect.as(skip(run.id, error.message), undefined))
        )
        if (equity !== undefined) return { run, equity } satisfies Base
      }
      if (entries.length < limit) return undefined
    }
  })

/** What became of a session's latest non-dry run, when it had one. */
const noteOf = (run: RunRecord | DamagedRun | undefined): string | undefined => {
  if (run === undefined) return undefined
  if (isDamagedRun(run)) return `run ${run.id} is damaged`
  switch (run.status) {
    case "running":
      return `run ${run.id} stopped part-way (its process is gone)`
    case "failed":
      return `run ${run.id} failed`
    case "awaiting-approval":
      return `run ${run.id} was never approved`
    case "completed":
      // completed, yet passed over as the P&L's base: its checkpoints do not read back
      return `run ${run.id} completed, but its checkpoints do not read back`
    default:
      return `run ${run.id} ${run.status}`
  }
}

/** The last completed run before `day` (with its equity) and the sessions between without one. */
export interface Gap {
  readonly last: Base
  readonly sessions: ReadonlyArray<MissedSession>
  /** Whether any session lies between (a rejected one among them): the P&L from `last` then spans more than a day. */
  readonly spans: boolean
}

/**
 * The sessions between the latest completed run before `day` and `day` (both excluded) that no completed run
 * traded, by `account`'s broker calendar; `undefined` when there was no earlier run, or nothing could be read (it
 * only informs: never the run's failure). A day whose run was rejected was decided: not missed.
 */
const gapAfter = (last: Base, day: TradingDay, account: AccountId) =>
  Effect.gen(function*() {
    const start = addDays(last.run.tradingDay, 1)
    const end = addDays(day, -1)
    if (start > end) return { last, sessions: [], spans: false } satisfies Gap
    const broker = yield* Brokers.use((b) => b.get(account))
    const calendar = yield* broker.getCalendar({ start, end })
    const sessions: Array<MissedSession> = []
    const between = calendar.filter((s) => s.date > last.run.tradingDay && s.date < day)
    for (const session of between) {
      const runs = yield* RunStore.use((s) => s.surveyRuns({ pipeline: DailyPipeline.name, origin: "local", tradingDay: session.date, limit: 20 }))
      const run = runs.find((r) => isDamagedRun(r) || !r.dryRun)
      if (run !== undefined && !isDamagedRun(run) && run.status === "rejected") continue
      const note = noteOf(run)
      sessions.push(note === undefined ? { date: session.date } : { date: session.date, note })
    }
    return { last, sessions, spans: between.length > 0 } satisfies Gap
  }).pipe(Effect.orElseSucceed(() => undefined))

/**
 * Tells the operator the sessions before `day` that went by without a completed run, if any; `live`: the run's
 * accounts that trade real money, named after the subject.
 */
export const missedBefore = (day: TradingDay, account: AccountId, live: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const last = yield* previousRun(day, { quiet: true }).pipe(Effect.orElseSucceed(() => undefined))
    const gap = last === undefined ? undefined : yield* gapAfter(last, day, account)
    if (gap === undefined || gap.sessions.length === 0) return
    const { run } = gap.last
    yield* tell(missedSessions({ tradingDay: day, lastDay: run.tradingDay, lastRunId: run.id, sessions: gap.sessions, live }))
  })

/**
 * The end-of-run summary: orders, equity and P&L per account since the previous completed run (`previousRun`):
 * "day P&L" when that run was of the session before, else "P&L since <its day>".
 */
export const summary = (run: RunRecord, report: ExecutionReport) =>
  Effect.gen(function*() {
    const last = yield* previousRun(run.tradingDay, { quiet: false }).pipe(Effect.orElseSucceed(() => undefined))
    // the calendar is read through an account its broker answered today (a failed one's key may be revoked)
    const account = (report.accounts.find((a) => a.status !== "failed") ?? report.accounts[0])?.account
    const gap = last === undefined || account === undefined ? undefined : yield* gapAfter(last, run.tradingDay, account)
    // a rejected session between is not missed, but the P&L still spans it: not a day's
    const since = gap !== undefined && gap.spans ? { since: gap.last.run.tradingDay } : {}
    // a LIVE account's line starts `LIVE ·`, as its execution message does
    const live = liveIn(Schema.decodeUnknownOption(DailyParams)(run.params))
    yield* tell(runSummary({ report, previousEquity: last?.equity ?? {}, runId: run.id, live, ...since }))
  })

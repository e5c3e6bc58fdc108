/**
 * `backtest`: the daily pipeline over a range of sessions (`Backtest.runBacktest`), in a database file of its own
 * (`$COUNCIL_HOME/backtests/<id>.db`: its run store and its local exchange), registered as a TradeLedger book in
 * the main database so `backtests`, `leaderboard --backtest` and `equity --backtest` find it.
 *
 * Every account trades on the backtest's local exchange, whatever the configuration says (a backtest never
 * reaches a broker). Ctrl-C marks the book `interrupted`; `backtest --resume <id>` continues it (a SIGKILL leaves
 * it `running`, resumed the same way).
 */
import { randomBytes } from "node:crypto"
import { existsSync } from "node:fs"
import { join } from "node:path"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import { type AccountId, type NewYorkMoment, RunSchedule, TradingDay } from "@council/domain"
import { AccountManager } from "@council/broker"
import { AccountProfile, Backtest, type DailyParams } from "@council/daily"
import { backtestLease } from "@council/daily/BacktestActivity"
import { Calendar, ExchangeSession, LocalExchange } from "@council/exchange"
import type { FillModelOptions } from "@council/exchange/FillModel"
import { RunStore } from "@council/engine"
import { MarketData } from "@council/market"
import { writePrivateFile } from "@council/io/PrivateFile"
import { Notifier } from "@council/notify/Notifier"
import { Database, NodeSqliteClient, RunLock, SqlRunStore } from "@council/store"
import { BacktestReport, BookId, type BookSummary, Contest, type LedgerError, MechanicalVotes, TradeLedger } from "@council/tracking"
import { SpendBook, SpendLedger } from "@council/llm"
import { AppSettings, codeVersion } from "../AppConfig.ts"
import { market } from "../Market.ts"
import { configured } from "../Storage.ts"
import { offlineCouncil } from "../AppLayer.ts"
import { CliFailure } from "../CliFailure.ts"
import { dayOfFlag } from "../DayFlag.ts"
import { table } from "../Table.ts"
import { progressLine } from "../BacktestProgress.ts"
import { BacktestData, backtestData, differences } from "../BacktestData.ts"
import { backtestsDir } from "../BacktestFiles.ts"
import { waitForSignal } from "../Listening.ts"
import { signalWhenGone } from "../Launcher.ts"
import { holdYoungGeneration } from "../ProcessTuning.ts"
import { holdLock, selectedProfiles, whileHeld } from "./RunDaily.ts"
import * as Llm from "./Llm.ts"
import * as BacktestReplay from "./BacktestReplay.ts"

export const PMS_MODES = ["offline", "replay", "live"] as const
export type PmsMode = typeof PMS_MODES[number]

export interface BacktestCommandOptions {
  readonly from: Option.Option<string>
  readonly to: Option.Option<string>
  readonly accounts: Option.Option<string>
  readonly pms: Option.Option<string>
  readonly resume: Option.Option<string>
  readonly json: boolean
}

/** What a backtest's book remembers about how it was started (`createBook`'s params). */
const BookParams = Schema.Struct({
  accounts: Schema.Array(AccountProfile),
  pms: Schema.Literals(PMS_MODES),
  sessions: Schema.Number,
  schedule: RunSchedule,
  /** Recorded since backtests keep their fill model; a backtest started before fills a resume with today's. */
  fillModel: Schema.optionalKey(Contest.FillModelParams),
  /**
   * The first and last sessions the market data held in the range when it started: its random baseline's seed
   * (`Contest.randomSeed`), so the seed stays the book's when the data grows or cannot be read. Absent before.
   */
  firstSession: Schema.optionalKey(TradingDay),
  lastSession: Schema.optionalKey(TradingDay),
  /** The code that started it (`codeVersion`: version, commit, `.dirty`) and its market data (`BacktestData`). Absent before. */
  code: Schema.optionalKey(Schema.String),
  data: Schema.optionalKey(BacktestData)
})

const dayFlag = (flag: string, value: Option.Option<string>) =>
  Option.match(value, {
    onNone: () => Effect.fail(CliFailure.usage(`--${flag}: required (a date YYYY-MM-DD), or give --resume <id>`)),
    onSome: (raw) =>
      dayOfFlag(flag, raw)
  })

const pmsOf = (pms: Option.Option<string>): Effect.Effect<PmsMode, CliFailure> => {
  const raw = Option.getOrElse(pms, () => "offline")
  return (PMS_MODES as ReadonlyArray<string>).includes(raw)
    ? Effect.succeed(raw as PmsMode)
    : Effect.fail(CliFailure.usage(`--pms: expected offline, replay or live, got "${raw.slice(0, 40)}"`))
}

/** The main database, shared by the ledger and the LLM spend (so `live` PMs count against the one budget). */
const mainDb = Layer.unwrap(AppSettings.use((s) => Effect.succeed(Database.layerAt(s.database, "create"))))
const ledger = TradeLedger.layer.pipe(Layer.provide(mainDb))
/** The main database for the checks before anything is written: a missing home stays missing. */
const mainDbToCheck = Layer.unwrap(AppSettings.use((s) => Effect.succeed(Database.layerAt(s.database, "empty"))))

const sameFillModel = (a: FillModelOptions, b: FillModelOptions) =>
  a.slippageBps === b.slippageBps && a.commissionPerShare === b.commissionPerShare && a.commissionMin === b.commissionMin &&
  (a.partialFillPct ?? 100) === (b.partialFillPct ?? 100)

const describeFillModel = (m: FillModelOptions) =>
  `slippage ${m.slippageBps} bps, commission $${m.commissionPerShare}/share (least $${m.commissionMin}), fills ${m.partialFillPct ?? 100} %`

const ledgerFailure = (e: { readonly message: string }) => CliFailure.failed(`the ledger: ${e.message}`)

/** What the command will do, decided before anything is written. */
interface Plan {
  readonly id: BookId
  readonly from: TradingDay
  readonly to: TradingDay
  readonly sessions: ReadonlyArray<TradingDay>
  readonly pms: PmsMode
  /** `COUNCIL_SCHEDULE` when started; a resumed backtest keeps its own. */
  readonly schedule: RunSchedule
  /** Every one trades on the backtest's local exchange, as a paper account. */
  readonly profiles: ReadonlyArray<AccountProfile>
  /** The local exchange's fill model when started (`COUNCIL_SLIPPAGE_BPS` …); a resumed backtest keeps its own. */
  readonly fillModel: FillModelOptions
  /** The market data it runs on now (a resumed backtest's as read today: compared with what it started with). */
  readonly data: BacktestData
  /** A resumed backtest's code or data that differ from what it started with, in words (said once it is resumed). */
  readonly changed?: ReadonlyArray<string>
  readonly resumed: boolean
}

const newId = (from: TradingDay, to: TradingDay) => BookId.make(`bt-${from}-${to}-${randomBytes(3).toString("hex")}`)

const sessionsOf = (from: TradingDay, to: TradingDay) =>
  Effect.gen(function*() {
    if (from > to) return yield* CliFailure.usage(`--from ${from} is after --to ${to}`)
    const sessions = yield* MarketData.use((m) => m.sessions(from, to)).pipe(
      Effect.mapError((e) => CliFailure.usage(`--from/--to: ${e.message}`))
    )
    if (sessions.length === 0) return yield* CliFailure.usage(`--from ${from} --to ${to}: no trading session in the data in that range`)
    return sessions
  })

const planNew = (options: BacktestCommandOptions) =>
  Effect.gen(function*() {
    const from = yield* dayFlag("from", options.from)
    const to = yield* dayFlag("to", options.to)
    const pms = yield* pmsOf(options.pms)
    const profiles = (yield* selectedProfiles(options.accounts)).map((p): AccountProfile => ({ ...p, mode: "PAPER" }))
    const sessions = yield* sessionsOf(from, to)
    const { feed, fillModel, schedule } = yield* AppSettings
    const data = yield* backtestData(feed, sessions.at(-1)!)
    return { id: newId(from, to), from, to, sessions, pms, schedule, profiles, fillModel, data, resumed: false } satisfies Plan
  })

const planResume = (id: string, options: BacktestCommandOptions) =>
  Effect.gen(function*() {
    const given = (["from", "to", "accounts", "pms"] as const).filter((k) => Option.isSome(options[k]))
    if (given.length > 0) return yield* CliFailure.usage(`--resume: continues the backtest as it was started; drop --${given.join(", --")}`)
    const notFound = CliFailure.usage(`--resume: no backtest "${id.slice(0, 64)}" (list them with: pnpm pipeline backtests)`)
    const onLedger = <A>(f: (l: TradeLedger["Service"]) => Effect.Effect<A, LedgerError>) =>
      TradeLedger.use(f).pipe(Effect.mapError(ledgerFailure), Effect.provide(TradeLedger.layer.pipe(Layer.provide(mainDbToCheck))))
    // `latest`, as `--backtest latest` names the newest backtest
    const latest = id === "latest" ? yield* onLedger((l) => l.latestBacktest) : Option.none<BookId>()
    if (id === "latest" && Option.isNone(latest)) return yield* CliFailure.usage("--resume latest: there is no backtest yet (start one with: pnpm pipeline backtest --from D1 --to D2)")
    const bookId = Option.isSome(latest) ? latest.value : yield* Effect.mapError(Schema.decodeUnknownEffect(BookId)(id), () => notFound)
    const book = yield* onLedger((l) => l.book(bookId))
    if (Option.isNone(book) || book.value.kind !== "backtest") {
      return yield* CliFailure.usage(`--resume: no backtest "${id.slice(0, 64)}" (list them with: pnpm pipeline backtests)`)
    }
    const found: BookSummary = book.value
    const params = yield* Schema.decodeUnknownEffect(BookParams)(found.params).pipe(
      Effect.mapError(() => CliFailure.usage(`--resume: backtest ${id} was not started by this version's backtest command`))
    )
    const from = TradingDay.make(found.from!)
    const to = TradingDay.make(found.to!)
    const { feed, fillModel: today } = yield* AppSettings
    const fillModel = params.fillModel ?? today
    if (!sameFillModel(fillModel, today)) {
      yield* Console.error(`backtest ${found.id}: resumed with the fill model it was started with (${describeFillModel(fillModel)}), not today's settings (${describeFillModel(today)})`)
    }
    const sessions = yield* sessionsOf(from, to)
    const data = yield* backtestData(feed, params.lastSession ?? sessions.at(-1)!)
    const changed = differences({ code: params.code, data: params.data }, { code: codeVersion, data })
    return {
      id: found.id,
      from,
      to,
      sessions,
      data,
      changed,
      pms: params.pms,
      schedule: params.schedule,
      profiles: params.accounts,
      fillModel,
      resumed: true
    } satisfies Plan
  })

/** A notifier that keeps count instead of printing one line per session's event. */
const quietNotifier = (count: Ref.Ref<number>) => Layer.succeed(Notifier, Notifier.of({ notify: () => Ref.update(count, (n) => n + 1) }))

/** The backtest's own database: its run store and its local exchange (every account on it), at `present`. */
const backtestStore = (file: string, accounts: ReadonlyArray<AccountId>, present: Ref.Ref<NewYorkMoment>, fillModel: FillModelOptions) =>
  Layer.unwrap(Effect.gen(function*() {
    const exchange = AccountManager.layer.pipe(
      Layer.provideMerge(LocalExchange.layerBrokers(accounts)),
      Layer.provideMerge(LocalExchange.layer({ ...fillModel })),
      Layer.provide(ExchangeSession.layerRef(present))
    )
    return Layer.mergeAll(exchange, SqlRunStore.layer).pipe(Layer.provide(Database.layerSqlite(file, Database.bulkWrites)))
  }))

export interface BacktestOutcome {
  readonly id: string
  readonly status: "completed" | "interrupted" | "failed"
  readonly from: TradingDay
  readonly to: TradingDay
  readonly pms: PmsMode
  readonly schedule: RunSchedule
  readonly accounts: ReadonlyArray<AccountId>
  readonly database: string
  readonly sessions: number
  readonly started: number
  readonly resumed: number
  readonly skipped: number
  readonly notifications: number
  readonly elapsedMs: number
  /** With `--pms replay`: the sessions no run recorded LLM answers for (every PM abstained there). */
  readonly unrecorded?: ReadonlyArray<TradingDay>
  /** With `--pms replay`: per role, the questions that found no recorded answer (abstained, or fell back). */
  readonly unanswered?: Readonly<Record<string, number>>
  /** With `--pms replay`: the sessions recorded before the review changed (their reviews and chairman go unanswered). */
  readonly reviewChanged?: ReadonlyArray<TradingDay>
  readonly report?: string
}

/** One line: how many of a replay's questions found no recorded answer, by role. */
const unansweredNote = (unanswered: Readonly<Record<string, number>>) => {
  const roles = Object.entries(unanswered)
  const total = roles.reduce((sum, [, n]) => sum + n, 0)
  return `--pms replay: ${total} question${total === 1 ? "" : "s"} found no recorded answer (${roles.map(([role, n]) => `${role} ${n}`).join(", ")}): a PM without its answer abstained or did not rank, the chairman fell back to the mechanical vote`
}

const someDays = (days: ReadonlyArray<TradingDay>) => days.length > 6 ? `${days.slice(0, 3).join(", ")} … ${days.at(-1)}` : days.join(", ")

/** One line: which sessions were recorded before the review changed, and what that does to their replay. */
const reviewChangedNote = (days: ReadonlyArray<TradingDay>, of: number) =>
  `--pms replay: ${days.length} of ${of} sessions were recorded by an earlier version, before the peer review changed (${someDays(days)}): it shuffled the ballots by the run and asked every PM, it now shuffles them by the day and asks only the PMs that pitched, so there the reviews (where the pitches differ) and the chairman's question find no recorded answer and the mechanical vote decides; the pitches replay as recorded`

/** One line: which sessions a replay had no recorded answers for. */
const unrecordedNote = (days: ReadonlyArray<TradingDay>, of: number) =>
  `--pms replay: ${days.length} of ${of} sessions have no recorded LLM answers (${someDays(days)}): there every PM abstains, so the council makes no trade`

const printOutcome = (outcome: BacktestOutcome, json: boolean) =>
  json
    ? Console.log(JSON.stringify(outcome, null, 2))
    : Console.log([
      table(["BACKTEST", "STATUS", "RANGE", "SESSIONS", "RAN", "ALREADY RUN", "PMS", "SCHEDULE", "ACCOUNTS"], [[
        outcome.id,
        outcome.status,
        `${outcome.from} … ${outcome.to}`,
        String(outcome.sessions),
        String(outcome.started + outcome.resumed),
        String(outcome.skipped),
        outcome.pms,
        outcome.schedule,
        outcome.accounts.join(",")
      ]]),
      "",
      `database ${outcome.database}`,
      ...(outcome.report === undefined ? [] : [`report ${outcome.report}`]),
      `see: pnpm pipeline leaderboard --backtest ${outcome.id}`
    ].join("\n"))

/**
 * Writes the book's report — `<base>.html` (one self-contained page) and `<base>.json` (the data behind it) —
 * and returns the page's path. The runs it reads (the mechanical vote's baseline) are the backtest's, in `file`.
 */
const writeReport = (book: BookId, base: string, file: string) =>
  Effect.gen(function*() {
    const { monitor } = yield* AppSettings
    // its baselines fill as its accounts did: with the fill model the book recorded
    const data = yield* BacktestReport.reportData(book, { riskFree: monitor.riskFree }).pipe(
      Effect.mapError((e) => CliFailure.failed(`backtest ${book}: its report could not be made: ${e.message}`)),
      Effect.provide(Layer.mergeAll(
        MechanicalVotes.layerFromRuns.pipe(Layer.provideMerge(SqlRunStore.layer), Layer.provide(Database.layerSqlite(file))),
        Layer.mergeAll(TradeLedger.layer, SpendLedger.layerSql).pipe(Layer.provideMerge(mainDb))
      ))
    )
    // the accounts' books: their owner's alone, as the databases beside them
    writePrivateFile(`${base}.json`, BacktestReport.renderJson(data))
    writePrivateFile(`${base}.html`, BacktestReport.renderHtml(data))
    return `${base}.html`
  })

/** The main run store (recorded answers for `--pms replay`). */
const mainStore = Effect.map(Layer.build(SqlRunStore.layer.pipe(Layer.provide(mainDbToCheck))), (context) => Context.get(context, RunStore))

/**
 * The council a backtest with live PMs asks: the lineup its first session's run recorded when it is resumed (as a
 * continued day's run keeps its own, `Llm.forResume`), else the one today's settings seat.
 */
const liveCouncil = (plan: Plan, file: string) =>
  Effect.gen(function*() {
    const current = yield* Llm.forRun(Option.none(), plan.profiles.map((p) => p.id))
    if (!plan.resumed) return current
    const first = yield* RunStore.use((s) => s.listRuns({ tradingDay: plan.sessions[0]!, limit: 100 })).pipe(
      Effect.provide(Layer.fresh(SqlRunStore.layer).pipe(Layer.provide(Database.layerSqlite(file)))),
      Effect.mapError((e) => CliFailure.failed(`backtest ${plan.id}: cannot read ${file}: ${e.message}`))
    )
    const started = first.at(-1)
    return started === undefined ? current : yield* Llm.forResume(started, current, `backtest ${plan.id}`)
  })

/**
 * The council the backtest asks: live PMs (refused without a provider or a monthly LLM limit), the calls recorded
 * for a replay, or neither (offline PMs).
 */
const seatCouncil = (plan: Plan, dir: string, file: string) =>
  Effect.gen(function*() {
    const council = plan.pms === "live" ? yield* liveCouncil(plan, file) : undefined
    if (plan.pms === "live" && council?.lineup.mode === "offline") {
      return yield* CliFailure.usage("--pms live: no LLM is configured (set a provider's key, see the README's LLMs)")
    }
    // every session is a run of its own: only the month's limit bounds what a whole backtest may spend
    if (plan.pms === "live" && (yield* AppSettings).llm.settings.limits.perMonthUsd === null) {
      return yield* CliFailure.usage(
        `--pms live: set COUNCIL_LLM_BUDGET_USD_MONTH first (${plan.sessions.length} sessions, each a run that asks ${
          council?.lineup.reviews === false ? "its accounts' PMs" : "every PM and the chairman"
        }; only the monthly limit bounds them all)`
      )
    }
    const replay = plan.pms === "replay"
      ? yield* BacktestReplay.recordedCalls({ main: yield* mainStore, dir, self: file, from: plan.from, to: plan.to, accounts: plan.profiles.map((p) => p.id) })
      : undefined
    return { council, replay, seated: council ?? replay?.council }
  })

/** Takes the backtest's lock and opens its book: created when started, `running` again when resumed. */
const openBook = (plan: Plan) =>
  Effect.gen(function*() {
    const { id, from, to } = plan
    // one process runs (or resumes) a backtest at a time: a second --resume of one still running is refused
    const lease = yield* holdLock(backtestLease(id), plan.resumed ? `backtest --resume ${id}` : `backtest ${id}`, "the backtest's lock").pipe(
      Effect.provide(yield* Layer.build(RunLock.layer.pipe(Layer.provide(mainDb))))
    )
    if (!plan.resumed) {
      yield* TradeLedger.use((l) =>
        l.createBook({ id, label: `${from} … ${to} · ${plan.pms} PMs · ${plan.schedule}`, from, to, params: Schema.encodeSync(BookParams)({
          accounts: plan.profiles,
          pms: plan.pms,
          sessions: plan.sessions.length,
          schedule: plan.schedule,
          fillModel: plan.fillModel,
          firstSession: plan.sessions[0]!,
          lastSession: plan.sessions.at(-1)!,
          code: codeVersion,
          data: plan.data
        }) })
      ).pipe(Effect.mapError(ledgerFailure), Effect.provide(ledger))
    } else {
      yield* TradeLedger.use((l) => l.setBookStatus(id, "running")).pipe(Effect.mapError(ledgerFailure), Effect.provide(ledger))
    }
    return lease
  })

type Seated = Effect.Success<ReturnType<typeof seatCouncil>>

/**
 * The daily pipeline over the plan's sessions in the backtest's database, with a progress line, until they are done
 * or Ctrl-C / SIGTERM interrupts it (the session under way stays resumable): its exit.
 */
const runSessions = (plan: Plan, file: string, { replay, seated }: Seated, lease: Effect.Success<ReturnType<typeof openBook>>, notices: Ref.Ref<number>) =>
  Effect.gen(function*() {
    const params: DailyParams = {
      accounts: plan.profiles,
      broker: "local-exchange",
      data: (yield* AppSettings).feed.source,
      pms: seated?.params.pms ?? plan.pms,
      ...(seated === undefined ? {} : { models: seated.params.models }),
      ledgerBook: plan.id
    }
    const moments = (day: TradingDay) => Calendar.sessionMoments(plan.schedule, day)
    const present = yield* Ref.make(moments(plan.sessions[0]!).run)
    const progress = progressLine(process.stderr.isTTY === true)
    return yield* Effect.exit(Backtest.runBacktest({
      sessions: plan.sessions,
      params,
      codeVersion,
      schedule: plan.schedule,
      moments,
      enterMoment: (at) => Ref.set(present, at),
      onProgress: progress.update,
      pms: plan.pms,
      ...(replay === undefined ? {} : { reuse: replay.reuse })
    }).pipe(
      // live PMs' calls are charged to this book in the main database's spend ledger
      Effect.provideService(SpendBook, plan.id),
      Effect.provide(Layer.mergeAll(
        backtestStore(file, plan.profiles.map((p) => p.id), present, plan.fillModel),
        (seated?.layer ?? offlineCouncil).pipe(Layer.provide(mainDb)),
        quietNotifier(notices),
        ledger
      )),
      Effect.ensuring(progress.done),
      // Ctrl-C or SIGTERM: the session under way stops where it is (its run stays resumable), the book says so
      (running) => Effect.raceFirst(whileHeld(lease, running), Effect.andThen(waitForSignal, Effect.interrupt))
    ))
  })

/** A failed backtest's cause as the command's failure, saying how to continue it. */
const failedBacktest = <E extends { readonly message: string }>(id: BookId, cause: Cause.Cause<E>) =>
  Cause.map(cause, (e) => {
    // a stage failed by the LLM budget: resuming under the same limit would stop at the same call
    const budget = /LLM budget (COUNCIL_LLM_BUDGET_USD(?:_MONTH)?)=/.exec(e.message)?.[1]
    const first = budget === undefined ? "continue it" : `raise ${budget}, then continue it`
    return CliFailure.failed(`backtest ${id} failed: ${e.message} (${first} with: pnpm pipeline backtest --resume ${id})`)
  })

/** What a replay could not answer from recordings, known once it ran (the first line is said again if it grew). */
const lateNotes = (outcome: BacktestOutcome, unrecordedBefore: number, sessions: number) =>
  Effect.gen(function*() {
    const late = outcome.unrecorded ?? []
    if (late.length > unrecordedBefore) yield* Console.error(unrecordedNote(late, sessions))
    if (outcome.reviewChanged !== undefined && outcome.reviewChanged.length > 0) yield* Console.error(reviewChangedNote(outcome.reviewChanged, sessions))
    if (outcome.unanswered !== undefined && Object.keys(outcome.unanswered).length > 0) yield* Console.error(unansweredNote(outcome.unanswered))
  })

/** Runs the plan in the backtest's database; the book's status follows the outcome. */
const execute = (plan: Plan, json: boolean) =>
  Effect.gen(function*() {
    const dir = yield* backtestsDir
    const file = join(dir, `${plan.id}.db`)
    if (plan.resumed && !existsSync(file)) return yield* CliFailure.failed(`backtest ${plan.id}: its database ${file} is missing`)
    const seats = yield* seatCouncil(plan, dir, file)
    const { council, replay } = seats
    const unrecorded = replay?.unrecorded(plan.sessions) ?? []
    const { id, from, to } = plan
    const lease = yield* openBook(plan)
    if (plan.changed !== undefined && plan.changed.length > 0) {
      yield* Console.error(`backtest ${id}: resumed on other code or data than it started with (${plan.changed.join("; ")}): its sessions from here on may differ from a run of it in one go`)
    }
    NodeSqliteClient.ensureDirectory(dir)
    // a range that runs past the data's last session says where the data ends (not a backtest through `to`)
    const last = plan.sessions.at(-1)!
    const dataEnd = last < to ? yield* Effect.option(MarketData.use((m) => m.latestTradingDay)) : Option.none()
    const within = Option.isSome(dataEnd) && dataEnd.value === last ? ` (the data ends ${last})` : ""
    yield* Console.error(`backtest ${id} ${plan.resumed ? "resumed" : "started"}: ${plan.sessions.length} sessions ${from} … ${to}${within}, database ${file}`)
    if (council !== undefined) yield* council.announce
    if (unrecorded.length > 0) yield* Console.error(unrecordedNote(unrecorded, plan.sessions.length))
    const notices = yield* Ref.make(0)
    holdYoungGeneration()
    const startedAt = Date.now()
    const ran = yield* runSessions(plan, file, seats, lease, notices)
    const status = Exit.isSuccess(ran) ? "completed" : Cause.hasInterruptsOnly(ran.cause) ? "interrupted" : "failed"
    yield* TradeLedger.use((l) => l.setBookStatus(id, status)).pipe(Effect.mapError(ledgerFailure), Effect.provide(ledger))
    if (Exit.isFailure(ran)) {
      // its error line (and `--json`'s error document) names the backtest and how to continue it
      if (status === "interrupted") return yield* CliFailure.interrupted(`backtest ${id} interrupted; continue it with: pnpm pipeline backtest --resume ${id}`)
      return yield* Effect.failCause(failedBacktest(id, ran.cause))
    }
    const result = ran.value
    const report = yield* writeReport(id, join(dir, `${id}.report`), file)
    const outcome: BacktestOutcome = {
      id,
      status,
      from,
      to,
      pms: plan.pms,
      schedule: plan.schedule,
      accounts: plan.profiles.map((p) => p.id),
      database: file,
      sessions: result.sessions,
      started: result.started,
      resumed: result.resumed,
      skipped: result.skipped,
      notifications: yield* Ref.get(notices),
      elapsedMs: Date.now() - startedAt,
      ...(replay === undefined ? {} : { unrecorded: replay.unrecorded(plan.sessions), unanswered: Object.fromEntries(replay.missed), reviewChanged: replay.reviewChanged(plan.sessions) }),
      report
    }
    yield* lateNotes(outcome, unrecorded.length, plan.sessions.length)
    yield* printOutcome(outcome, json)
  })

/** `backtest`: checks every flag first (exit 2, nothing written), then runs or resumes the backtest. */
export const backtest = (options: BacktestCommandOptions) =>
  Effect.gen(function*() {
    const plan = Option.isSome(options.resume) ? yield* planResume(options.resume.value.trim(), options) : yield* planNew(options)
    // a `kill` of the launching pnpm alone stops it as SIGTERM does (marked interrupted), not left running as an orphan
    yield* signalWhenGone(Effect.scoped(execute(plan, options.json)))
  }).pipe(Effect.provide(market), Effect.provide(configured))

/**
 * The work of one `BacktestChild.ts` measurement, loaded once the process is tuned as the CLI's `backtest` is (see
 * `BacktestChild.ts`): the first `sessions` sessions of the bundled data, six accounts on a local exchange in a
 * fresh SQLite file, offline PMs, under the default schedule (`close`). Prints one JSON line:
 * `{ mode, sessions, ms, cpuMs, maxRssMb, dbBytes, stretches }` (`cpuMs`: the process's CPU time over the loop, all
 * threads; `stretches`: that CPU time per `STRETCH` sessions, in order, the last stretch perhaps shorter). As in the CLI, the ledger book the Reconcile stage writes into lives
 * in a second file (the CLI's main database), opened as the CLI opens it; `dbBytes` counts both files (and their WALs).
 * With `stages` among the arguments it also gives `stages`: the main thread's CPU time a session in each stage (under
 * the runner: from its start to its `StageCompleted`, its encoding and commit included) and, `between`, from one
 * stage's end to the next one's start (the next stage's input hash, a held commit written before a stage with side
 * effects). Two clock reads a stage: leave it off for the figures themselves.
 *
 * - `on`: `Backtest.runBacktest` over the SQL run store (checkpoints and recordings written, as `backtest` does).
 * - `off`: the same loop over a run store that keeps nothing (the runner still encodes, hashes and records).
 * - `plain`: the floor: each stage's `run` called in order by hand, no runner, no run store, no recorder.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { AccountId, DEFAULT_ACCOUNTS, DEFAULT_SCHEDULE, defaultAccountSettings, formatMoment, type RunId, type TradingDay } from "@council/domain"
import { Recorder, RunContext, RunStore, Runner } from "@council/engine"
import { AccountManager } from "@council/broker"
import { Calendar, ExchangeSession, LocalExchange } from "@council/exchange"
import { Chairman, LlmBudget, PortfolioManagers } from "@council/llm"
import { LocalBars, MarketData } from "@council/market"
import { Notifier } from "@council/notify/Notifier"
import { Database, SqlRunStore } from "@council/store"
import { Backtest, type DailyParams, DailyPipeline } from "@council/daily"
import { BookId, TradeLedger } from "@council/tracking"
import { holdYoungGeneration } from "../apps/cli/src/ProcessTuning.ts"

const [mode = "on", count = "100", ...flags] = process.argv.slice(2)

/** The main thread's CPU time a session by stage (`stages`), and between stages; none unless asked. */
const stageCpu = flags.includes("stages") ? new Map<string, number>() : undefined
const threadMs = () => {
  const used = process.threadCpuUsage()
  return (used.user + used.system) / 1000
}
const addCpu = (key: string, ms: number) => stageCpu?.set(key, (stageCpu.get(key) ?? 0) + ms)
/** The runner's events as stage CPU times: a stage from its start to its completion, `between` from one's end to the next's start. */
const stageClock = () => {
  let started = 0
  let ended: number | undefined
  return (event: Runner.RunEvent) =>
    Effect.sync(() => {
      if (event._tag === "RunStarted") ended = undefined
      else if (event._tag === "StageStarted") {
        started = threadMs()
        if (ended !== undefined) addCpu("between", started - ended)
      } else if (event._tag === "StageCompleted") {
        ended = threadMs()
        addCpu(event.stage, ended - started)
      }
    })
}
const accounts = DEFAULT_ACCOUNTS.map((a) => AccountId.make(a))
const params: DailyParams = {
  accounts: accounts.map((id) => ({ id, mode: "PAPER", settings: defaultAccountSettings })),
  broker: "local-exchange",
  data: "local",
  pms: "offline",
  ledgerBook: "bench"
}

/** A run store that keeps nothing: what the loop costs without checkpoints. */
const discarding: RunStore["Service"] = RunStore.of({
  createRun: () => Effect.void,
  updateRun: () => Effect.void,
  getRun: () => Effect.succeed(Option.none()),
  listRuns: () => Effect.succeed([]),
  surveyRuns: () => Effect.succeed([]),
  putCheckpoint: () => Effect.void,
  getCheckpoints: () => Effect.succeed([]),
  stageOutputs: () => Effect.succeed([]),
  commitStage: () => Effect.void,
  commitStages: () => Effect.void,
  getRecordings: () => Effect.succeed([]),
  importBundle: () => Effect.void
})

/** Every stage's `run` in order, by hand: the work of a session without the runner. */
const plainSession = (day: TradingDay, asOfTime: string) =>
  Effect.gen(function*() {
    const outputs: Record<string, unknown> = {}
    // one object a session, as the runner gives every stage of a run the same `run.params`
    const sessionParams = { ...params, schedule: DEFAULT_SCHEDULE, asOfTime }
    for (const stage of DailyPipeline.stages) {
      const started = stageCpu === undefined ? 0 : threadMs()
      const input = Object.fromEntries(stage.dependsOn.map((d) => [d.name, outputs[d.name]]))
      outputs[stage.name] = yield* (stage.run(input as never) as Effect.Effect<unknown, unknown, never>).pipe(
        Effect.provideService(RunContext, RunContext.of({
          runId: `${day}-plain` as RunId,
          pipeline: DailyPipeline.name,
          tradingDay: day,
          asOf: day,
          mode: "live",
          dryRun: false,
          stage: stage.name,
          attempt: 1,
          params: sessionParams
        }))
      )
      if (stageCpu !== undefined) addCpu(stage.name, threadMs() - started)
    }
  })

/** Sessions a stretch: `stretches` shows whether a session costs more as the book grows. */
const STRETCH = 1000

const dir = mkdtempSync(join(tmpdir(), "council-bench-backtest-"))
const file = join(dir, "backtest.db")
const mainFile = join(dir, "council.db")
const program = Effect.gen(function*() {
  const all = yield* MarketData.use((m) => m.sessions("1900-01-01" as TradingDay, "2100-01-01" as TradingDay))
  const sessions = all.slice(0, Math.min(all.length, Number(count)))
  const moments = (day: TradingDay) => Calendar.sessionMoments(DEFAULT_SCHEDULE, day)
  const session = yield* Ref.make(moments(sessions[0]!).run)
  const exchange = AccountManager.layer.pipe(
    Layer.provideMerge(LocalExchange.layerBrokers(accounts)),
    Layer.provideMerge(LocalExchange.layer({ slippageBps: 5 })),
    Layer.provide(ExchangeSession.layerRef(session))
  )
  const store = mode === "on" ? SqlRunStore.layer : Layer.succeed(RunStore, discarding)
  const book = Layer.effectDiscard(TradeLedger.use((l) =>
    l.createBook({ id: BookId.make("bench"), label: "bench", from: sessions[0]!, to: sessions.at(-1)!, params: {} })
  )).pipe(Layer.provideMerge(TradeLedger.layer), Layer.provide(Database.layerSqlite(mainFile)), Layer.orDie)
  const world = Layer.mergeAll(Layer.mergeAll(exchange, store).pipe(Layer.provide(Database.layerSqlite(file, Database.bulkWrites))), book).pipe(
    Layer.provideMerge(Layer.mergeAll(PortfolioManagers.layerOffline, Chairman.layerOffline, LlmBudget.layerUnlimited)),
    Layer.provideMerge(Layer.succeed(Notifier, Notifier.of({ notify: () => Effect.void })))
  )
  holdYoungGeneration()
  const started = performance.now()
  const cpuStarted = process.cpuUsage()
  const cpuMs = () => {
    const used = process.cpuUsage(cpuStarted)
    return (used.user + used.system) / 1000
  }
  // the CPU time at the start of every STRETCH-th session (a session is entered at its run moment)
  const stretchStarts: Array<number> = []
  let entered = 0
  let lastDay: string | undefined
  const enterSession = Effect.sync(() => {
    if (entered++ % STRETCH === 0) stretchStarts.push(cpuMs())
  })
  yield* Effect.gen(function*() {
    if (mode === "plain") {
      for (const day of sessions) {
        yield* enterSession
        yield* Ref.set(session, moments(day).run)
        yield* plainSession(day, formatMoment(moments(day).run)).pipe(Effect.provide(Recorder.Recorder.layerLive))
      }
    } else {
      yield* Backtest.runBacktest({
        sessions,
        params,
        codeVersion: "bench",
        schedule: DEFAULT_SCHEDULE,
        moments,
        // a session's moments are entered in order, its run's first: a new day is a new session
        enterMoment: (at) =>
          Effect.andThen(
            Effect.suspend(() => (at.day === lastDay ? Effect.void : Effect.andThen(Effect.sync(() => (lastDay = at.day)), enterSession))),
            Ref.set(session, at)
          ),
        pms: "offline"
      }).pipe(stageCpu === undefined ? (run) => run : Effect.provideService(Runner.RunObserver, stageClock()))
    }
  }).pipe(Effect.provide(world))
  const ms = performance.now() - started
  const cpu = cpuMs()
  const stretches = stretchStarts.map((start, i) => ({
    sessions: Math.min(STRETCH, sessions.length - i * STRETCH),
    cpuMs: (stretchStarts[i + 1] ?? cpu) - start
  }))
  const dbBytes = [file, mainFile].flatMap((f) => [f, `${f}-wal`]).reduce((n, f) => n + (statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0)
  const measured = { mode, sessions: sessions.length, ms, cpuMs: cpu, maxRssMb: process.resourceUsage().maxRSS / 1024, dbBytes, stretches }
  return stageCpu === undefined
    ? measured
    : { ...measured, stages: Object.fromEntries([...stageCpu].map(([stage, ms]) => [stage, Math.round((ms / sessions.length) * 1000) / 1000])) }
}).pipe(Effect.provide(LocalBars.layer()))

try {
  console.log(JSON.stringify(await Effect.runPromise(program)))
} finally {
  rmSync(dir, { recursive: true, force: true })
}

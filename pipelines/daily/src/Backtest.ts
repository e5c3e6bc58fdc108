/**
 * The backtest loop: THE daily pipeline (same stages, same code, same fill model) run for every session of a range,
 * one run per session, oldest first.
 *
 * **When to use**: `runBacktest` inside a composition that gives it a run store and brokers of the backtest's own
 * (its own database file: a backtest never blocks or pollutes a live day), and moves the local exchange's present
 * through `enterMoment` to each session's run moment (`moments`) before the session's run starts.
 *
 * **Details**
 * - Resume is the run store's: a session whose run completed is skipped, a session whose run stopped part-way
 *   (a crash, Ctrl-C) or failed is continued with `Runner.resume` (exactly-once client order ids: nothing is placed
 *   twice), the rest are started. Running a finished backtest again does nothing.
 * - A session's checkpoints are committed as `commitsFor(pms)` says: batched unless the PMs are live (a crash then
 *   re-runs the session's stages since its last commit, which answer the same; see `commitsFor`).
 * - Every run is `record` mode and sends its orders to the backtest's brokers (`dryRun: false`), under the
 *   backtest's schedule: its parameters carry the schedule and the session's run moment (`asOfTime`), as a run of
 *   `run daily` at that moment would (under `close`: the snapshot holds the day's open only, entries fill at the
 *   close or later).
 * - Each run's Reconcile stage writes the previous sessions into the ledger book `params.ledgerBook`; after the last
 *   session the same stage runs once more, alone (as `pnpm pipeline reconcile` does), so the book ends with the
 *   last session's fills and equity.
 * - `reuse` (PMs `replay`) gives a session's recorded calls of another run; a call whose key matches is answered
 *   from it instead of going live. A session's run resumed after a failed stage attempt (the LLM budget ran out)
 *   also takes the models' usable answers that attempt recorded, as `run daily` continuing a run does: paid once.
 *
 * **Gotchas**: sessions must be ascending (the local exchange never rewinds); a session's run that fails twice
 * (once, then once resumed) fails the backtest with `RunFailed` naming the session.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { type NewYorkMoment, type RunId, type RunSchedule, type TradingDay } from "@council/domain"
import { type Recording, Recorder, RunContext, type RunRecord, RunStore, Runner } from "@council/engine"
import { AuditTrail } from "@council/llm"
import { type DailyParams, newRunParams } from "./DailyParams.ts"
import { DailyPipeline } from "./DailyPipeline.ts"
import { Reconcile } from "./stages/Reconcile.ts"

/** After each session: how far the backtest is. */
export interface BacktestProgress {
  readonly day: TradingDay
  readonly runId: RunId
  /** Sessions done so far (skipped ones included), of `total`. */
  readonly done: number
  readonly total: number
  /** Sessions this call ran (started or resumed): what the ETA should be computed from. */
  readonly ran: number
  readonly elapsedMs: number
  readonly how: "started" | "resumed" | "skipped"
}

export interface BacktestOptions {
  readonly sessions: ReadonlyArray<TradingDay>
  /** Every session's parameters but the schedule and the moment. */
  readonly params: DailyParams
  readonly codeVersion: string
  readonly schedule: RunSchedule
  /** When a session's run happens (its schedule's run time that day) and a moment after its close. */
  readonly moments: (day: TradingDay) => { readonly run: NewYorkMoment; readonly afterClose: NewYorkMoment }
  /** Moves the backtest's exchange (and anything that follows the present) to `at`. */
  readonly enterMoment: (at: NewYorkMoment) => Effect.Effect<void>
  readonly onProgress?: (progress: BacktestProgress) => Effect.Effect<void>
  /** Recorded calls a session's run may answer from (PMs `replay`); none by default. */
  readonly reuse?: (day: TradingDay) => Effect.Effect<ReadonlyArray<Recording>, Runner.RunFailed>
  /** Who answers the PMs' and the chairman's questions: it decides how a session's checkpoints are committed. */
  readonly pms: BacktestPms
}

/** The stand-ins (`offline`), recorded answers (`replay`) or the configured LLMs (`live`). */
export type BacktestPms = "offline" | "replay" | "live"

/**
 * How a session's run commits its checkpoints (`Runner.Commits`), chosen here alone. Offline and replayed PMs
 * answer a re-asked question the same, for free, and a backtest's notifications reach no one: `batched`, three
 * commits a session (Reconcile with the run's row, the stages up to the risk gate, Execution with the run
 * completed) instead of eight, and a crash re-runs at most the stages since the last commit. Live PMs: `per-stage`,
 * as `run daily` does, so a crash never repeats a paid call.
 */
export const commitsFor = (pms: BacktestPms): Runner.Commits => (pms === "live" ? "per-stage" : "batched")

export interface BacktestResult {
  readonly sessions: number
  readonly started: number
  readonly resumed: number
  readonly skipped: number
  readonly first: TradingDay | undefined
  readonly last: TradingDay | undefined
  /** The runs, one per session, oldest first. */
  readonly runs: ReadonlyArray<{ readonly day: TradingDay; readonly runId: RunId }>
}

/** The latest run of each session in the backtest's store. */
const runsByDay = Effect.gen(function*() {
  const runs = yield* RunStore.use((s) => s.listRuns({ pipeline: DailyPipeline.name, limit: Number.MAX_SAFE_INTEGER }))
  const byDay = new Map<string, RunRecord>()
  // newest first: the first one seen of a day is its latest
  for (const run of runs) if (!byDay.has(run.tradingDay)) byDay.set(run.tradingDay, run)
  return byDay
})

/** A deterministic run id per session: a backtest's runs are easy to find and never collide. */
export const sessionRunId = (day: TradingDay): RunId => `${day}-bt` as RunId

/** A session's run parameters: the backtest's, with the schedule and the session's run moment; ballots by the day (a live run's). */
/** A session's parameters: `run daily`'s at the session's run moment (`newRunParams`: every choice a new run records). */
const sessionParams = (day: TradingDay, options: BacktestOptions): DailyParams =>
  newRunParams(options.params, { schedule: options.schedule, moment: options.moments(day).run })

/** The Reconcile stage alone after the last session's close: what the session itself did reaches the book. */
const closingReconciliation = (day: TradingDay, options: BacktestOptions) =>
  Effect.andThen(
    options.enterMoment(options.moments(day).afterClose),
    Reconcile.run({}).pipe(
      Effect.provideService(RunContext, RunContext.of({
        runId: `${sessionRunId(day)}-close` as RunId,
        pipeline: DailyPipeline.name,
        tradingDay: day,
        asOf: day,
        mode: "live",
        dryRun: false,
        stage: Reconcile.name,
        attempt: 1,
        params: sessionParams(day, options)
      })),
      Effect.provide(Recorder.Recorder.layerLive)
    )
  )

/** Runs (or resumes) the daily pipeline for every session of `options.sessions`, in order. */
export const runBacktest = (options: BacktestOptions) =>
  Effect.gen(function*() {
    const existing = yield* runsByDay
    const started = yield* Clock.currentTimeMillis
    const runs: Array<{ readonly day: TradingDay; readonly runId: RunId }> = []
    const counts = { started: 0, resumed: 0, skipped: 0 }
    const commits = commitsFor(options.pms)
    for (const day of options.sessions) {
      const prior = existing.get(day)
      const how = prior === undefined ? "started" : prior.status === "completed" ? "skipped" : "resumed"
      if (how !== "skipped") yield* options.enterMoment(options.moments(day).run)
      const reuse = how === "skipped" || options.reuse === undefined ? [] : yield* options.reuse(day)
      const runId = prior?.id ?? sessionRunId(day)
      if (how === "started") {
        yield* Runner.start(DailyPipeline, {
          tradingDay: day,
          asOf: day,
          mode: "record",
          dryRun: false,
          codeVersion: options.codeVersion,
          params: sessionParams(day, options),
          runId,
          reuse,
          commits
        })
      } else if (how === "resumed") {
        const own = AuditTrail.usableAnswers(yield* RunStore.use((store) => store.getRecordings(runId)))
        yield* Runner.resume(DailyPipeline, runId, { reuse: [...reuse, ...own], commits })
      }
      counts[how]++
      runs.push({ day, runId })
      if (options.onProgress !== undefined) {
        const now = yield* Clock.currentTimeMillis
        yield* options.onProgress({
          day,
          runId,
          done: runs.length,
          total: options.sessions.length,
          ran: counts.started + counts.resumed,
          elapsedMs: now - started,
          how
        })
      }
    }
    const last = options.sessions.at(-1)
    if (last !== undefined) yield* closingReconciliation(last, options)
    return {
      sessions: options.sessions.length,
      ...counts,
      first: options.sessions[0],
      last: options.sessions.at(-1),
      runs
    } satisfies BacktestResult
  })

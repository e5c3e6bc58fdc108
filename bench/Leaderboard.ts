/**
 * `pnpm bench leaderboard [--runs N]`: the two costs of a full-range leaderboard that are the monitor's own, over
 * 4,821 sessions (the bundled data's range), synthetic and seeded:
 * - reading every session's mechanical vote back from a run store of 4,821 daily runs (SQLite, a temporary file),
 *   each read by a fresh store (cold, as a server's first request): `MechanicalVotes.votesIn`, against the floor of
 *   the same votes read the way it did before (`listRuns`, then `getCheckpoints` per run) in the same repetition.
 *   The runs are imported, so they keep no digest (`0030_stage_digests`): this is the read of a book written before
 *   0030, each vote decoded from its output; a backtest's own runs are read from their digests (`LeaderboardBook`);
 * - the leaderboard's twelve stationary-bootstrap resamplings (six accounts, two baselines, four differences;
 *   2,000 replicates each) of 4,821 returns with the benchmark's: `Bootstrap.estimatesOfSums`.
 * Prints min / median / max; asserts nothing.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { RunId, TradingDay } from "@council/domain"
import { type RunBundle, RunStore } from "@council/engine"
import { Database, SqlRunStore } from "@council/store"
import { Bootstrap, MechanicalVotes, Metrics, Prng } from "@council/tracking"
import { line, ratios, show } from "./Stats.ts"

const SESSIONS = 4821
const SYMBOLS = ["SPY", "QQQ", "IWM", "TLT", "GLD", "EFA", "EEM", "XLE", "XLF", "VNQ"]

/** `count` weekdays from 2007-01-02 (holidays do not matter here). */
const weekdays = (count: number): Array<TradingDay> => {
  const out: Array<TradingDay> = []
  for (let t = Date.parse("2007-01-02T00:00:00Z"); out.length < count; t += 86_400_000) {
    const d = new Date(t)
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.push(TradingDay.make(d.toISOString().slice(0, 10)))
  }
  return out
}

/** A completed daily run whose council synthesis kept a mechanical vote of one or two trades. */
const bundleOf = (day: TradingDay, i: number, prng: Prng.Prng): RunBundle => {
  const trade = () => ({
    symbol: SYMBOLS[prng.int(SYMBOLS.length)]!,
    direction: prng.uniform() < 0.8 ? "LONG" : "FLAT",
    conviction: 1 + prng.int(2),
    riskProfile: "BASE",
    horizon: "1W"
  })
  const vote = { trades: [trade(), ...(prng.uniform() < 0.5 ? [trade()] : [])], rationale: "conviction-weighted vote of five PMs", dissent: [] }
  const at = `${day}T19:45:00.000Z`
  const runId = RunId.make(`bench-${day}-${i}`)
  return {
    run: {
      id: runId, pipeline: "daily", tradingDay: day, asOf: day, mode: "record", dryRun: false, codeVersion: "bench",
      parentRunId: null, forkFrom: null, status: "completed", startedAt: at, finishedAt: at, error: null,
      params: { accounts: ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"], pms: "offline", session: day }
    },
    checkpoints: ["FetchData", "CouncilSynthesis", "Execution"].map((stage) => ({
      runId, stage, inputHash: `${stage}-${day}`, attempt: 1, startedAt: at, finishedAt: at, durationMs: 1, reusedFrom: null,
      output: stage === "CouncilSynthesis"
        ? { asOf: day, ...vote, source: "chairman", monitoring: [], mechanical: vote }
        : { stage, day, padding: "x".repeat(200) }
    })),
    recordings: []
  }
}

const storeAt = (file: string) => SqlRunStore.layer.pipe(Layer.provide(Database.layerSqlite(file)), Layer.fresh)

/** The votes as `votesIn` read them before `RunStore.stageOutputs`: every run listed, then its checkpoint read. */
const perRun = Effect.gen(function*() {
  const store = yield* RunStore
  const runs = yield* store.listRuns({ pipeline: "daily", origin: "local", limit: 1_000_000 })
  let votes = 0
  for (const run of runs.filter((r) => r.status === "completed")) {
    const [checkpoint] = yield* store.getCheckpoints(run.id, "CouncilSynthesis")
    if (checkpoint !== undefined) votes++
  }
  return votes
})

const timed = async <A>(effect: Effect.Effect<A>): Promise<{ readonly ms: number; readonly value: A }> => {
  const start = performance.now()
  const value = await Effect.runPromise(effect)
  return { ms: performance.now() - start, value }
}

export const leaderboard = async (runs: number) => {
  const dir = mkdtempSync(join(tmpdir(), "council-bench-leaderboard-"))
  try {
    const file = join(dir, "runs.db")
    const days = weekdays(SESSIONS)
    const prng = Prng.make("bench-leaderboard")
    const fill = Effect.gen(function*() {
      const store = yield* RunStore
      for (const [i, day] of days.entries()) yield* store.importBundle(bundleOf(day, i, prng), "local")
    })
    const filled = await timed(fill.pipe(Effect.provide(storeAt(file)), Effect.orDie))
    console.log(`leaderboard: ${SESSIONS} sessions; a run store of ${SESSIONS} daily runs written in ${(filled.ms / 1000).toFixed(1)} s; ${runs} repetition(s)`)
    const votes: Array<number> = []
    const floor: Array<number> = []
    for (let i = 0; i < runs; i++) {
      const read = await timed(Effect.gen(function*() {
        return yield* MechanicalVotes.votesIn(yield* RunStore, days[0]!, days.at(-1)!)
      }).pipe(Effect.provide(storeAt(file)), Effect.orDie))
      const before = await timed(perRun.pipe(Effect.provide(storeAt(file)), Effect.orDie))
      if (read.value?.length !== SESSIONS || before.value !== SESSIONS) throw new Error(`read ${read.value?.length} and ${before.value} votes of ${SESSIONS}`)
      votes.push(read.ms)
      floor.push(before.ms)
    }
    line("votes, one read a year (ms)", show(votes, "", 0))
    line("votes, per run as before (ms)", show(floor, "", 0))
    line("per run / now (time)", show(ratios(floor, votes), "×", 2))

    const returns = (seed: string) => Array.from({ length: SESSIONS }, ((p) => () => 0.0003 + 0.011 * p.normal())(Prng.make(seed)))
    const benchmark = returns("benchmark")
    const accounts = Array.from({ length: 12 }, (_, k) => returns(`account-${k}`))
    const statistics: ReadonlyArray<Bootstrap.SumsStatistic> = [
      ([r]) => Metrics.totalReturnOfSums(r!),
      ([r]) => Metrics.sharpeOfSums(r!),
      ([r, b]) => Metrics.totalReturnOfSums(r!) - Metrics.totalReturnOfSums(b!)
    ]
    const bootstrap: Array<number> = []
    for (let i = 0; i < runs; i++) {
      const start = performance.now()
      for (const [k, account] of accounts.entries()) Bootstrap.estimatesOfSums([account, benchmark], statistics, { seed: `council:${k}` })
      bootstrap.push(performance.now() - start)
    }
    line("12 bootstrap resamplings (ms)", show(bootstrap, "", 0))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

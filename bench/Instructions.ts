/**
 * `pnpm bench instructions [--sessions N] [--runs N]`: what `pnpm bench backtest` measures in seconds, counted in
 * instructions (`valgrind --tool=cachegrind --cache-sim=no`), which do not depend on what else the machine runs. Each
 * mode (`plain`, the floor, and `on`, checkpoints on) runs `BacktestChild.ts` under valgrind `--runs` times over N
 * sessions (50 by default) and once over one session, the start-up it subtracts to give instructions per session.
 *
 * - Made repeatable with V8 flags: `--single-threaded` (no compiler or GC threads: optimisation and marking happen
 *   at the same points every run), `--no-memory-reducer` (it collects when the allocation rate per second of wall
 *   time falls — under valgrind it always does, more the slower the run: without it two 40-session `on` runs of
 *   the same code counted 6.48 and 4.58 G, in 365 and 89 s), `--hash-seed` and `--random-seed` (the same hash tables
 *   every run). The heap's growth is already fixed by the backtest's tuning (`ProcessTuning`). V8's `--predictable`
 *   is worse (4.24 and 2.79 G for the same 10 sessions).
 * - What it does not count: the kernel's work (SQLite's `write`s of the WAL, ~10 % of a backtest's CPU time) and
 *   waiting. A cut that trades instructions for system calls is measured in CPU seconds, not here.
 * - Each mode first runs once outside valgrind, uncounted, with the same V8 flags: the first run after a change of
 *   the code compiles it and writes the compile cache (`ProcessTuning`), ~1.2 G more, which made the one-session
 *   start-up cost more than 30 sessions and the per-session figure negative. Node keeps the cache of each set of
 *   V8 flags in a directory of its own: a warm-up without them warmed nothing the counted runs read, so the first
 *   counted run (the one-session start-up) compiled what the next read cached (plain: start-up 3.76 G instead of
 *   2.25, 5.5 M a session instead of 36.4).
 * - Slow: valgrind takes minutes of CPU for one 40-session measurement.
 * - A window that starts at the first session is not a steady state: V8 still compiles (~3 M instructions a session
 *   over sessions 2–41) and a scavenge or a compilation lands in it or just after it. A change of the code moves
 *   those events, and with them the figure by several M a session: the floor measured over sessions 2–50, 51–100,
 *   101–150 and 151–300 gave 35.7, 32.8, 35.2 and 39.1 M a session; a change that saves ~2 % a session past the
 *   100th (101–300: 38.1 → 37.3 M) read 27.0 M over 2–50 (−23 %) and 41.9 over 51–100 (+28 %). `--from M` counts
 *   sessions M+1…N instead (the difference of two runs, of M and N sessions): to judge a change, compare long
 *   windows past the warm-up (`--from 100 --sessions 300`), not the default.
 */
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { root } from "./Processes.ts"
import { line, show, summarize } from "./Stats.ts"

/** V8 flags that make a run's instruction count repeat (see the module's doc). */
const DETERMINISTIC = ["--single-threaded", "--no-memory-reducer", "--hash-seed=1", "--random-seed=1"]

/** Whether `valgrind` runs here. */
export const hasValgrind = (): boolean => spawnSync("valgrind", ["--version"]).status === 0

/** Instructions (valgrind's `I refs`) of one `BacktestChild.ts` measurement. */
const count = (mode: string, sessions: number): number => {
  const child = spawnSync(
    "valgrind",
    ["--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", process.execPath, ...DETERMINISTIC, join(root, "bench/BacktestChild.ts"), mode, String(sessions)],
    { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 }
  )
  if (child.error !== undefined) throw new Error(`valgrind: ${child.error.message} (is it installed?)`)
  const refs = /I\s+refs:\s+([\d,]+)/.exec(child.stderr)
  if (child.status !== 0 || refs === null) throw new Error(`valgrind ${mode} ${sessions} exited with ${child.status}: ${child.stderr.split("\n").slice(-5).join(" ")}`)
  return Number(refs[1]!.replaceAll(",", ""))
}

/** One uncounted run of `mode` (outside valgrind): the compile cache holds the code as it is now. */
const warmUp = (mode: string) => {
  const child = spawnSync(process.execPath, [...DETERMINISTIC, join(root, "bench/BacktestChild.ts"), mode, "1"], { cwd: root, stdio: "ignore" })
  if (child.status !== 0) throw new Error(`warming up ${mode} exited with ${child.status}`)
}

const giga = (xs: ReadonlyArray<number>) => xs.map((x) => x / 1e9)

export const instructions = (runs: number, sessions: number, from = 1) => {
  const subtracted = from === 1 ? "start-up subtracted" : `the first ${from} sessions subtracted`
  console.log(`instructions: ${sessions} session(s), six accounts, ten ETFs, offline PMs; ${runs} repetition(s) under valgrind, ${subtracted}`)
  for (const mode of ["plain", "on"] as const) {
    warmUp(mode)
    const base = count(mode, from)
    const totals: Array<number> = []
    for (let i = 0; i < runs; i++) {
      totals.push(count(mode, sessions))
      console.error(`  rep ${i + 1} ${mode.padEnd(5)} ${(totals.at(-1)! / 1e9).toFixed(3)} G instructions`)
    }
    const { max, median, min } = summarize(totals)
    line(`${mode}: instructions, ${sessions} sessions`, `${show(giga(totals), "G", 3)} (spread ${((max - min) / median * 100).toFixed(2)} %)`)
    line(from === 1 ? `${mode}: start-up (one session)` : `${mode}: the first ${from} sessions`, `${(base / 1e9).toFixed(3)} G`)
    line(`${mode}: per session (${from + 1}–${sessions})`, show(totals.map((t) => (t - base) / (sessions - from) / 1e6), "M", 1))
  }
}

/**
 * `pnpm bench backtest [--sessions N] [--runs N]`: the daily pipeline looped over the bundled data's sessions (all
 * 4,821 by default), six accounts, ten ETFs, offline PMs — with checkpoints on (the SQL run store, as `backtest`
 * writes), with checkpoints off (a run store that keeps nothing) and, as the floor, the same stages called in a
 * plain loop (no runner, no run store, no recorder). Each measurement is a process of its own (`BacktestChild.ts`),
 * so its peak RSS is its own, set up as the CLI's `backtest` process is; a repetition runs the three in turn, then
 * `on` once more with V8's default heap sizing, and ratios are paired per repetition.
 *
 * A session costs more as the book grows where a read walks the book (the ledger's overlap lookups did, until they
 * read by key): `--sessions 1000` hides that growth — its rate is that of a young book. The CPU time a session of the
 * first 1,000 and of the last stretch (up to 1,000 sessions) shows it over the whole range (the default).
 */
import { spawnSync } from "node:child_process"
import { join } from "node:path"
import { root } from "./Processes.ts"
import { against, line, ratios, show, summarize } from "./Stats.ts"

interface Measured {
  readonly mode: string
  readonly sessions: number
  readonly ms: number
  readonly maxRssMb: number
  readonly dbBytes: number
  /** CPU time per 1,000 sessions, in order (`BacktestLoop.ts`). */
  readonly stretches: ReadonlyArray<{ readonly sessions: number; readonly cpuMs: number }>
}

const MODES = ["plain", "off", "on"] as const
/**
 * `on` again with V8's default heap sizing: every measurement runs as the CLI's `backtest` does
 * (`ProcessTuning`: a small young generation, a slowly growing old one); this one shows what that saves in peak RSS and costs in time.
 */
const DEFAULT_HEAP = "default-heap"

const measure = (mode: string, sessions: number, extra: ReadonlyArray<string> = []): Measured => {
  const child = spawnSync(process.execPath, [join(root, "bench/BacktestChild.ts"), mode, String(sessions), ...extra], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 16 * 1024 * 1024
  })
  if (child.status !== 0) throw new Error(`bench child ${mode} exited with ${child.status}`)
  return JSON.parse(child.stdout.trim().split("\n").at(-1)!) as Measured
}

export const backtest = (runs: number, sessions: number) => {
  const results: Record<string, Array<Measured>> = { plain: [], off: [], on: [], untuned: [] }
  console.log(`backtest: ${sessions === Infinity ? "every" : sessions} session(s), six accounts, ten ETFs, offline PMs; ${runs} repetition(s)`)
  for (let i = 0; i < runs; i++) {
    for (const mode of MODES) {
      const m = measure(mode, sessions)
      results[mode]!.push(m)
      console.error(`  rep ${i + 1} ${mode.padEnd(5)} ${m.sessions} sessions in ${(m.ms / 1000).toFixed(1)} s · ${(m.sessions * 1000 / m.ms).toFixed(1)}/s · ${m.maxRssMb.toFixed(0)} MB · ${(m.dbBytes / m.sessions / 1024).toFixed(1)} KB/session`)
    }
    const untuned = measure("on", sessions, [DEFAULT_HEAP])
    results["untuned"]!.push(untuned)
    console.error(`  rep ${i + 1} on, ${DEFAULT_HEAP} ${(untuned.sessions * 1000 / untuned.ms).toFixed(1)}/s · ${untuned.maxRssMb.toFixed(0)} MB`)
  }
  const rate = (mode: string) => results[mode]!.map((m) => (m.sessions * 1000) / m.ms)
  const n = results["on"]![0]!.sessions
  console.log(`  sessions: ${n}`)
  line("plain loop (floor) sessions/s", show(rate("plain"), "", 1))
  line("checkpoints off sessions/s", show(rate("off"), "", 1))
  line("checkpoints on sessions/s", `${show(rate("on"), "", 1)} ${against(summarize(rate("on")).median, 1000, "≥")}`)
  line("on / floor (time per session)", show(ratios(results["on"]!.map((m) => m.ms), results["plain"]!.map((m) => m.ms)), "×", 2))
  line("off / floor (time per session)", show(ratios(results["off"]!.map((m) => m.ms), results["plain"]!.map((m) => m.ms)), "×", 2))
  for (const mode of MODES) {
    const rss = results[mode]!.map((m) => m.maxRssMb)
    line(`peak RSS, ${mode}`, `${show(rss, "MB")}${mode === "on" ? ` ${against(summarize(rss).median, 300, "≤", "MB")}` : ""}`)
  }
  const untuned = results["untuned"]!
  line(
    "on, V8's default heap sizing",
    `${show(untuned.map((m) => (m.sessions * 1000) / m.ms), "sessions/s", 1)} · peak RSS ${show(untuned.map((m) => m.maxRssMb), "MB")}`
  )
  line("on / on with V8's default heap sizing (time)", show(ratios(results["on"]!.map((m) => m.ms), untuned.map((m) => m.ms)), "×", 2))
  // CPU time a session, first and last 1,000 sessions: whether a session costs more as the book grows (wall time is
  // the machine's; CPU time is the process's own, so pairs of runs compare on a shared machine)
  for (const mode of MODES) {
    const stretch = (pick: (m: Measured) => Measured["stretches"][number] | undefined) =>
      results[mode]!.flatMap((m) => {
        const s = pick(m)
        return s === undefined ? [] : [s.cpuMs / s.sessions]
      })
    const first = stretch((m) => m.stretches[0])
    const last = stretch((m) => (m.stretches.length > 1 ? m.stretches.at(-1) : undefined))
    const [firstSessions, lastSessions] = [results[mode]![0]!.stretches[0]!.sessions, results[mode]![0]!.stretches.at(-1)!.sessions]
    line(`CPU ms/session, ${mode}`, `first ${firstSessions}: ${show(first, "ms", 2)}${last.length === 0 ? "" : ` · last ${lastSessions}: ${show(last, "ms", 2)}`}`)
  }
  const perSession = results["on"]!.map((m) => m.dbBytes / m.sessions / 1024)
  line("database bytes per session, on", `${show(perSession, "KB", 1)} ${against(summarize(perSession).median, 16, "≤", "KB")}`)
  line("database bytes per session, off", show(results["off"]!.map((m) => m.dbBytes / m.sessions / 1024), "KB (the exchange's records and the ledger book: no checkpoints)", 1))
}

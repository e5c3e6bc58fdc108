/**
 * Benchmarks. They print figures and ratios measured in one run and assert nothing.
 *
 *   pnpm bench daily [--runs N]   cold `pipeline run daily` on the embedded default vs `node -e 0`
 *   pnpm bench execution          6 accounts × 5 orders through the Alpaca adapter at 200 ms latency
 *   pnpm bench ratelimit          1,200 orders under a 20 requests/s per-account limit
 *   pnpm bench llm                five PMs answering in 300–1,500 ms: pitch and peer-review stage overhead
 */
import { Effect } from "effect"
import { benchmarks } from "./exchange.ts"
import { benchmarks as llmBenchmarks } from "./llm.ts"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
const probe = join(root, "bench/rss-probe.ts")

interface Sample {
  readonly wallMs: number
  readonly rssMb: number
  readonly status: number | null
}

const measure = (args: ReadonlyArray<string>, env: NodeJS.ProcessEnv): Sample => {
  const rssFile = join(mkdtempSync(join(tmpdir(), "council-rss-")), "rss")
  const started = process.hrtime.bigint()
  const child = spawnSync(process.execPath, ["--import", probe, ...args], {
    cwd: root,
    env: { ...process.env, ...env, BENCH_RSS_FILE: rssFile },
    stdio: ["ignore", "ignore", "pipe"]
  })
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6
  const rssKb = Number(readFileSync(rssFile, "utf8"))
  if (child.status !== 0) process.stderr.write(child.stderr)
  return { wallMs, rssMb: rssKb / 1024, status: child.status }
}

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? NaN
}

const daily = (runs: number) => {
  const baseline: Array<Sample> = []
  const cold: Array<Sample> = []
  for (let i = 0; i < runs; i++) {
    baseline.push(measure(["-e", "0"], {}))
    const home = mkdtempSync(join(tmpdir(), "council-bench-"))
    cold.push(measure([join(root, "apps/cli/src/bin.ts"), "run", "daily"], { COUNCIL_HOME: home }))
    rmSync(home, { recursive: true, force: true })
  }
  const failed = cold.filter((s) => s.status !== 0).length
  const wall = median(cold.map((s) => s.wallMs))
  const rss = Math.max(...cold.map((s) => s.rssMb))
  const baseWall = median(baseline.map((s) => s.wallMs))
  const baseRss = Math.max(...baseline.map((s) => s.rssMb))
  console.log(`cold \`pipeline run daily\` (embedded default, fresh COUNCIL_HOME), ${runs} runs, ${failed} failed`)
  console.log(`  wall time  median ${wall.toFixed(0)} ms   (target ≤ 1500 ms: ${(wall / 1500).toFixed(2)} of budget)`)
  console.log(`  peak RSS   max ${rss.toFixed(0)} MB      (target ≤ 250 MB: ${(rss / 250).toFixed(2)} of budget)`)
  console.log(`  node -e 0  median ${baseWall.toFixed(0)} ms, ${baseRss.toFixed(0)} MB`)
  console.log(`  ratio to node -e 0: wall ×${(wall / baseWall).toFixed(1)}, RSS ×${(rss / baseRss).toFixed(1)}`)
}

const [which = "daily", ...rest] = process.argv.slice(2)
const runsFlag = rest.indexOf("--runs")
const runs = runsFlag >= 0 ? Number(rest[runsFlag + 1]) : 5
switch (which) {
  case "daily":
    daily(runs)
    break
  case "execution":
  case "ratelimit":
    await Effect.runPromise(benchmarks[which])
    break
  case "llm":
    await Effect.runPromise(llmBenchmarks.llm)
    break
  default:
    console.error(`unknown benchmark "${which}"; available: daily, execution, ratelimit, llm`)
    process.exitCode = 2
}

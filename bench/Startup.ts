/**
 * `pnpm bench daily`: what starting the CLI costs, against the true floors measured in the same run.
 *
 * Each repetition runs every command once, in turn, so a noisy moment hits all of them alike; ratios are paired
 * per repetition. Wall times are of runs with nothing preloaded; peak RSS comes from separate runs with a
 * plain-JavaScript probe (`rss-probe.mjs`). Node's compile cache is warmed once before measuring (the CLI turns
 * it on by itself); one extra line shows `--help` with the cache off.
 *
 * Floors: `node -e 0` (Node itself), `node EmptyEntry.ts` (any TypeScript entry point: Node's type stripper),
 * `node MinimalCli.ts --help` (any effect/cli program: one command over the platform services the CLI gives it),
 * and for what a user types, `pnpm exec node -e 0` (pnpm starting, finding the workspace and running a command).
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { bin, cli, root } from "./Processes.ts"
import { against, line, ratios, show, summarize } from "./Stats.ts"

const probe = join(root, "bench/rss-probe.mjs")

interface Case {
  readonly label: string
  readonly command: string
  readonly args: ReadonlyArray<string>
  /** A COUNCIL_HOME per run: `fresh` (a new empty one), `shared` (one holding a completed run), or none. */
  readonly home?: "fresh" | "shared"
  readonly env?: NodeJS.ProcessEnv
  /** Under pnpm, which Node process's peak RSS is the command's (pnpm itself runs on Node): by its entry. */
  readonly entry?: (argv1: string) => boolean
  readonly target?: { readonly wallMs?: number; readonly ratio?: number; readonly rssMb?: number }
}

const node = (label: string, args: ReadonlyArray<string>, options: Partial<Case> = {}): Case => ({
  label,
  command: process.execPath,
  args,
  ...options
})
const pnpm = (label: string, args: ReadonlyArray<string>, options: Partial<Case> = {}): Case => ({
  label,
  command: "pnpm",
  args: ["-s", "pipeline", ...args],
  entry: (argv1) => argv1.endsWith("bin.ts"),
  ...options
})

const cases: ReadonlyArray<Case> = [
  node("node -e 0", ["-e", "0"]),
  node("node EmptyEntry.ts (TS entry floor)", [join(root, "bench/EmptyEntry.ts")]),
  node("node MinimalCli.ts --help (effect/cli floor)", [join(root, "bench/MinimalCli.ts"), "--help"]),
  node("node bin.ts --help", [bin, "--help"], { target: { wallMs: 250, ratio: 8 } }),
  node("node bin.ts --help, compile cache off", [bin, "--help"], { env: { NODE_DISABLE_COMPILE_CACHE: "1" } }),
  { label: "pnpm exec node -e 0 (pnpm floor)", command: "pnpm", args: ["-s", "exec", "node", "-e", "0"], entry: (argv1) => argv1 === "-e" },
  pnpm("pnpm pipeline --help", ["--help"]),
  node("node bin.ts runs", [bin, "runs"], { home: "shared", target: { rssMb: 120 } }),
  pnpm("pnpm pipeline runs", ["runs"], { home: "shared", target: { rssMb: 120 } }),
  node("node bin.ts run daily (fresh home)", [bin, "run", "daily"], { home: "fresh", target: { wallMs: 500 } }),
  pnpm("pnpm pipeline run daily (fresh home)", ["run", "daily"], { home: "fresh" })
]

interface Sample {
  readonly wallMs: number
  readonly rssMb: number
  readonly ok: boolean
}

const run = (c: Case, shared: string): Sample => {
  const home = c.home === "fresh" ? mkdtempSync(join(tmpdir(), "council-bench-")) : shared
  const env = { ...process.env, ...c.env, COUNCIL_HOME: home }
  try {
    const t0 = process.hrtime.bigint()
    const timed = spawnSync(c.command, c.args, { cwd: root, env, stdio: ["ignore", "ignore", "pipe"] })
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6
    if (c.home === "fresh") rmSync(home, { recursive: true, force: true })
    const rssFile = join(mkdtempSync(join(tmpdir(), "council-rss-")), "rss")
    const measured = spawnSync(c.command, c.args, {
      cwd: root,
      env: { ...env, BENCH_RSS_FILE: rssFile, NODE_OPTIONS: `${process.env["NODE_OPTIONS"] ?? ""} --import ${probe}` },
      stdio: ["ignore", "ignore", "pipe"]
    })
    const lines = readFileSync(rssFile, "utf8").trim().split("\n").map((l) => l.split(" "))
    const own = c.entry === undefined ? lines : lines.filter(([entry]) => entry !== undefined && c.entry!(entry))
    const rssKb = Number(own.at(-1)?.[1])
    const ok = timed.status === 0 && measured.status === 0
    if (!ok) process.stderr.write(`${c.label}: exit ${timed.status}/${measured.status}\n${timed.stderr}${measured.stderr}`)
    return { wallMs, rssMb: rssKb / 1024, ok }
  } finally {
    if (c.home === "fresh") rmSync(home, { recursive: true, force: true })
  }
}

export const startup = (runs: number) => {
  const shared = mkdtempSync(join(tmpdir(), "council-bench-"))
  try {
    cli(shared, ["run", "daily"])
    for (const c of cases) run(c, shared) // warm the compile cache (and the OS file cache)
    const samples = cases.map((): Array<Sample> => [])
    for (let r = 0; r < runs; r++) cases.forEach((c, i) => samples[i]!.push(run(c, shared)))
    const floor = samples[0]!.map((s) => s.wallMs)
    const pnpmFloor = samples[cases.findIndex((c) => c.label.startsWith("pnpm exec"))]!.map((s) => s.wallMs)
    console.log(`CLI start-up: ${runs} runs of each command, interleaved; compile cache warm unless said; wall (no preload) and peak RSS (probe runs)`)
    cases.forEach((c, i) => {
      const wall = samples[i]!.map((s) => s.wallMs)
      const rss = samples[i]!.map((s) => s.rssMb)
      const failed = samples[i]!.filter((s) => !s.ok).length
      const checks = [
        c.target?.wallMs === undefined ? "" : `wall ${against(summarize(wall).median, c.target.wallMs, "≤", "ms")}`,
        c.target?.ratio === undefined ? "" : `ratio ${against(summarize(ratios(wall, floor)).median, c.target.ratio, "≤", "×")}`,
        c.target?.rssMb === undefined ? "" : `RSS ${against(summarize(rss).median, c.target.rssMb, "≤", "MB")}`
      ].filter((s) => s !== "")
      console.log(`  ${c.label}${failed > 0 ? `   (${failed} FAILED)` : ""}`)
      line("    wall", show(wall, "ms"))
      if (i > 0) line("    / node -e 0 (paired)", show(ratios(wall, floor), "×", 1))
      if (c.label.startsWith("pnpm pipeline")) line("    / pnpm floor (paired)", show(ratios(wall, pnpmFloor), "×", 1))
      line("    peak RSS", show(rss, "MB"))
      if (checks.length > 0) line("    targets", checks.join("  "))
    })
  } finally {
    rmSync(shared, { recursive: true, force: true })
  }
}

/**
 * Benchmarks. They print figures and ratios measured in one run (min / median / max over the repetitions, ratios
 * paired per repetition) and assert nothing. The machine is shared: quote medians and ratios, rerun when noisy.
 *
 * `pnpm bench --help` lists them (`USAGE`). A benchmark's module loads only once its arguments are checked.
 */
import { existsSync, statSync } from "node:fs"
import { join } from "node:path"
import * as Effect from "effect/Effect"

/** What `pnpm bench --help` prints: each benchmark, its flags and what it measures against. */
const USAGE = `  pnpm bench daily [--runs N]       CLI start-up and a daily run, vs node -e 0, a TypeScript entry, effect/cli
  pnpm bench exchange [--runs N] [--profile]   server CPU per order and orders/s, vs a bare HTTP server
  pnpm bench activities [--runs N]  exchange serve's FILL activities, a page of 100 of 1,000 fills, vs GET /v2/account
  pnpm bench execution [--runs N]   6 accounts × 5 orders at 200 ms latency, vs a bare fetch client
  pnpm bench ratelimit [--runs N]   1,200 orders under 20 requests/s per account, vs the limiter's exact bound
  pnpm bench llm [--runs N]         5 PMs answering in 300–1,500 ms: pitch and peer-review stages, vs a bare fetch client
  pnpm bench backtest [--sessions N] [--runs N]   the daily pipeline over every session (4,821), checkpoints on/off, vs a plain loop
  pnpm bench instructions [--sessions N] [--from M] [--runs N]   the backtest's floor and checkpoints-on path in instructions
                                    (valgrind), per session: sessions M+1…N (M = 1 by default: the start-up subtracted)
  pnpm bench leaderboard [--runs N] [--home DIR]   a full-range leaderboard's vote reading (vs the per-run read) and its
                                    bootstrap, then a full-range backtest's leaderboard by phase, vs reading its equity series`

const BENCHMARKS: Record<string, ReadonlyArray<string>> = {
  daily: ["--runs"],
  exchange: ["--runs", "--profile"],
  activities: ["--runs"],
  execution: ["--runs"],
  ratelimit: ["--runs"],
  llm: ["--runs"],
  backtest: ["--runs", "--sessions"],
  instructions: ["--runs", "--sessions", "--from"],
  leaderboard: ["--runs", "--home"]
}

/** A bad invocation: one line naming it, exit 2, nothing measured. */
const refuse = (line: string): never => {
  console.error(`error: ${line}`)
  process.exit(2)
}

const [which = "daily", ...rest] = process.argv.slice(2)
if (which === "--help" || which === "-h") {
  console.log(USAGE)
  process.exit(0)
}
const allowed = BENCHMARKS[which] ?? refuse(`unknown benchmark "${which}"; available: ${Object.keys(BENCHMARKS).join(", ")}`)
const given = new Map<string, string | true>()
for (let i = 0; i < rest.length; i++) {
  const name = rest[i]!
  if (!allowed.includes(name)) refuse(`bench ${which}: unknown flag ${name} (it takes ${allowed.join(", ")})`)
  if (name === "--profile") given.set(name, true)
  else given.set(name, rest[++i] ?? refuse(`bench ${which}: ${name} needs a value`))
}
/** `--runs N` / `--sessions N`: a whole number ≥ 1, or `fallback` when not given. */
const count = (name: string, fallback: number): number => {
  const raw = given.get(name)
  if (raw === undefined) return fallback
  return typeof raw === "string" && /^[1-9]\d*$/.test(raw) ? Number(raw) : refuse(`bench ${which}: ${name} ${raw}: expected a whole number ≥ 1`)
}
const runs = Math.max(5, count("--runs", 5))
/** `--home DIR`: a COUNCIL_HOME that holds a database, checked before the first measurement (they take minutes). */
const homeDir = (): string | undefined => {
  const raw = given.get("--home")
  if (typeof raw !== "string") return undefined
  const at = `bench ${which}: --home ${raw}`
  if (!existsSync(raw)) return refuse(`${at}: no such directory`)
  if (!statSync(raw).isDirectory()) return refuse(`${at}: not a directory`)
  return existsSync(join(raw, "council.db")) ? raw : refuse(`${at}: no council.db in it (a COUNCIL_HOME with a backtest)`)
}
switch (which) {
  case "daily":
    await import("./Startup.ts").then((m) => m.startup(runs))
    break
  case "exchange":
    await (await import("./Throughput.ts")).throughput(runs, { profile: given.has("--profile"), orders: 2000 })
    break
  case "activities":
    await (await import("./ExchangeActivities.ts")).activities(runs)
    break
  case "execution":
    await Effect.runPromise((await import("./Execution.ts")).execution(runs, Number(process.env["BENCH_LATENCY_MS"] ?? 200)))
    break
  case "ratelimit":
    await Effect.runPromise((await import("./RateLimit.ts")).ratelimit(runs))
    break
  case "llm":
    await Effect.runPromise((await import("./Llm.ts")).llm(runs))
    break
  case "leaderboard": {
    const home = homeDir()
    await (await import("./Leaderboard.ts")).leaderboard(runs)
    await (await import("./LeaderboardBook.ts")).leaderboardBook(runs, home)
    break
  }
  case "backtest":
    // a full-range repetition takes minutes: 3 by default
    await import("./Backtest.ts").then((m) => m.backtest(count("--runs", 3), count("--sessions", Infinity)))
    break
  case "instructions":
    // one 50-session `on` measurement is minutes of CPU under valgrind: 2 by default
    if (count("--sessions", 50) < 2) refuse("bench instructions: --sessions must be ≥ 2 (one session is the start-up it subtracts)")
    if (count("--from", 1) >= count("--sessions", 50)) refuse("bench instructions: --from must be below --sessions")
    {
      const { hasValgrind, instructions } = await import("./Instructions.ts")
      if (!hasValgrind()) refuse("bench instructions: valgrind is not installed (it counts the instructions)")
      instructions(count("--runs", 2), count("--sessions", 50), count("--from", 1))
    }
    break
}

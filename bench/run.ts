/**
 * Benchmarks. They print figures and ratios measured in one run (min / median / max over the repetitions, ratios
 * paired per repetition) and assert nothing. The machine is shared: quote medians and ratios, rerun when noisy.
 *
 *   pnpm bench daily [--runs N]       CLI start-up and a daily run, vs node -e 0, a TypeScript entry, effect/cli
 *   pnpm bench exchange [--runs N] [--profile]   server CPU per order and orders/s, vs a bare HTTP server
 *   pnpm bench execution [--runs N]   6 accounts × 5 orders at 200 ms latency, vs a bare fetch client
 *   pnpm bench ratelimit [--runs N]   1,200 orders under 20 requests/s per account, vs the limiter's exact bound
 *   pnpm bench llm [--runs N]         5 PMs answering in 300–1,500 ms: pitch and peer-review stages, vs a bare fetch client
 *   pnpm bench backtest [--sessions N] [--runs N]   the daily pipeline over every session (4,821), checkpoints on/off, vs a plain loop
 */
import * as Effect from "effect/Effect"
import { backtest } from "./Backtest.ts"
import { execution } from "./Execution.ts"
import { llm } from "./Llm.ts"
import { ratelimit } from "./RateLimit.ts"
import { startup } from "./Startup.ts"
import { throughput } from "./Throughput.ts"

const [which = "daily", ...rest] = process.argv.slice(2)
const flag = (name: string) => {
  const i = rest.indexOf(name)
  return i >= 0 ? rest[i + 1] : undefined
}
const runs = Math.max(5, Number(flag("--runs") ?? 5))
switch (which) {
  case "daily":
    startup(runs)
    break
  case "exchange":
    await throughput(runs, { profile: rest.includes("--profile"), orders: 2000 })
    break
  case "execution":
    await Effect.runPromise(execution(runs, Number(process.env["BENCH_LATENCY_MS"] ?? 200)))
    break
  case "ratelimit":
    await Effect.runPromise(ratelimit(runs))
    break
  case "llm":
    await Effect.runPromise(llm(runs))
    break
  case "backtest":
    // a full-range repetition takes minutes: 3 by default
    backtest(Math.max(1, Number(flag("--runs") ?? 3)), Number(flag("--sessions") ?? Infinity))
    break
  default:
    console.error(`unknown benchmark "${which}"; available: daily, exchange, execution, ratelimit, llm, backtest`)
    process.exitCode = 2
}

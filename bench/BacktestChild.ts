/**
 * One measurement of `pnpm bench backtest`, in a process of its own (so its peak RSS is its own), set up as the
 * CLI's `backtest` process is (`ProcessTuning.tuneProcess`: compile cache and V8 heap flags; then the resolution
 * cache) before the work (`BacktestLoop.ts`) loads.
 *
 *   node bench/BacktestChild.ts on|off|plain <sessions> [default-heap] [stages]
 *
 * `default-heap` leaves V8's heap at its default sizing: what the tuning saves and costs; `stages` adds the CPU time
 * a session of each stage (`BacktestLoop.ts`).
 * Prints one JSON line: `{ mode, sessions, ms, cpuMs, maxRssMb, dbBytes, stretches }` (and `stages`).
 */
import { tuneProcess } from "../apps/cli/src/ProcessTuning.ts"

tuneProcess("backtest", process.argv.slice(4).includes("default-heap") ? { heap: "default" } : {})
await import("../apps/cli/src/ResolveCache.ts")
await import("./BacktestLoop.ts")

/**
 * How a command's Node process is set up before the CLI loads: Node's compile cache, and the size V8 lets its young
 * generation grow to.
 *
 * **When to use**: `bin.ts` calls `tuneProcess(command)` first thing; anything that runs a command's work in a
 * process of its own calls it the same way before importing that work (`bench/BacktestChild.ts` for `backtest`),
 * so that what it measures is what the CLI does. Imports only Node built-ins: it runs before anything else loads.
 *
 * **Details**
 * - The compile cache goes on first (modules loaded before it is on are not cached). `NODE_DISABLE_COMPILE_CACHE=1`
 *   turns it off; `NODE_COMPILE_CACHE=<dir>` moves it.
 * - `SMALL_YOUNG_GENERATION` keeps V8's young generation at its first size (it cannot be capped once V8 is up:
 *   `--max-semi-space-size` only works on the command line). Commands that only read the store take it: while
 *   effect's modules load, V8 grows the young generation to 16 MB, most of a read's peak memory (`runs`:
 *   125 → 110 MB) for no time gained. `backtest` takes it too: its allocation churn (a snapshot of 2,100 bars a
 *   session, encoded, hashed and stored) grows the young generation to 64 MB and its peak RSS to ~400 MB for 300
 *   sessions; kept small, ~280 MB for ~7 % more CPU (`pnpm bench backtest` prints both). The other commands keep
 *   V8's default: a run allocates enough that a small young generation costs it ~10 % CPU, `--help` ~4 %.
 *
 * @since 0.1.0
 */
import { enableCompileCache } from "node:module"
import { setFlagsFromString } from "node:v8"

/** The V8 flag that keeps the young generation at its first size. */
export const SMALL_YOUNG_GENERATION = "--semi-space-growth-factor=1"

/** Commands whose process keeps a small young generation. */
const SMALL_YOUNG = new Set(["runs", "show", "export", "import", "backtest"])

/** Sets up this process for `command` (the CLI's first argument); `youngGeneration: "default"` leaves V8's sizing. */
export const tuneProcess = (command: string | undefined, options: { readonly youngGeneration?: "default" } = {}): void => {
  if (command !== undefined && SMALL_YOUNG.has(command) && options.youngGeneration !== "default") {
    setFlagsFromString(SMALL_YOUNG_GENERATION)
  }
  enableCompileCache()
}

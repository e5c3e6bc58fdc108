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
 * - Flags are set at runtime (`v8.setFlagsFromString`), before the modules load: only flags V8 reads after start-up
 *   take effect (`--max-semi-space-size` and `--max-old-space-size` do not; they would need the CLI to re-execute
 *   itself, with its signals, exit codes and output passed through).
 * - `SMALL_YOUNG_GENERATION` keeps V8's young generation at its first size. Commands that only read the store take
 *   it: while effect's modules load, V8 grows the young generation to 16 MB, most of a read's peak memory (`runs`:
 *   125 → 110 MB) for no time gained. The other commands but `backtest` keep V8's default: a run allocates enough
 *   that a small young generation costs it ~10 % CPU, `--help` ~4 %.
 * - `backtest` takes both flags: its churn (a snapshot of 2,100 bars a session, encoded, hashed, diffed and
 *   stored) grows the young generation to 64 MB and the old one far past its live data (~40 MB): peak RSS ~400 MB
 *   for 1,200 sessions, ~500 over the full range, against ~240 and ~330 with the flags, for ~10 % more CPU
 *   (`pnpm bench backtest` measures `on` both ways).
 *
 * @since 0.1.0
 */
import { enableCompileCache } from "node:module"
import { setFlagsFromString } from "node:v8"

/** The V8 flag that keeps the young generation at its first size. */
export const SMALL_YOUNG_GENERATION = "--semi-space-growth-factor=1"

/** The V8 flag that lets the old generation at most double between full collections. */
export const SLOW_OLD_GROWTH = "--heap-growing-percent=100"

/** The V8 flags each command's process takes (none: V8's defaults). */
const FLAGS: Readonly<Record<string, ReadonlyArray<string>>> = {
  runs: [SMALL_YOUNG_GENERATION],
  show: [SMALL_YOUNG_GENERATION],
  export: [SMALL_YOUNG_GENERATION],
  import: [SMALL_YOUNG_GENERATION],
  backtest: [SMALL_YOUNG_GENERATION, SLOW_OLD_GROWTH]
}

/** Sets up this process for `command` (the CLI's first argument); `heap: "default"` leaves V8's heap sizing. */
export const tuneProcess = (command: string | undefined, options: { readonly heap?: "default" } = {}): void => {
  const flags = command !== undefined && Object.hasOwn(FLAGS, command) ? FLAGS[command]! : []
  if (options.heap !== "default") for (const flag of flags) setFlagsFromString(flag)
  enableCompileCache()
}

/**
 * How a command's Node process is set up before the CLI loads: Node's compile cache, and how V8 sizes its heap.
 *
 * **When to use**: `bin.ts` calls `tuneProcess(command)` first thing; anything that runs a command's work in a
 * process of its own calls it the same way before importing that work (`bench/BacktestChild.ts` for `backtest`),
 * so that what it measures is what the CLI does. `backtest` also calls `holdYoungGeneration()` when its loop
 * starts (the CLI command and `bench/BacktestLoop.ts` alike). Imports only Node built-ins (and
 * `@council/io/PrivateDirectory`, which does too): it runs before anything else loads.
 *
 * **Details**
 * - The compile cache goes on first (modules loaded before it is on are not cached). `NODE_DISABLE_COMPILE_CACHE=1`
 *   turns it off; `NODE_COMPILE_CACHE=<dir>` moves it. It lives in `$TMPDIR/council-compile-cache-<uid>`, used only
 *   while that directory is this user's alone (made here with mode 0700, or found owned by this user and writable by
 *   nobody else); otherwise it stays off. Not Node's default `$TMPDIR/node-compile-cache`: in a shared `/tmp`
 *   another user can make that directory (or its per-version one) first and plant a code cache for one of the CLI's
 *   modules, which this process would then run as its own code.
 * - Flags are set at runtime (`v8.setFlagsFromString`): only flags V8 reads after start-up take effect
 *   (`--max-semi-space-size` and `--max-old-space-size` do not; they would need the CLI to re-execute itself, with
 *   its signals, exit codes and output passed through).
 * - `SMALL_YOUNG_GENERATION` keeps V8's young generation at the size it has. Commands that only read the store take
 *   it from the start: while effect's modules load, V8 grows the young generation to 16 MB, most of a read's peak
 *   memory (`runs`: 125 → 110 MB) for no time gained. Commands that run a day keep V8's default: there a small
 *   young generation costs ~10 % CPU, `--help` ~4 %.
 * - `backtest`: its churn (a snapshot of 2,100 bars a session, encoded, hashed, diffed and stored) grows the young
 *   generation to 64 MB and the old one far past its live data (~40 MB): ~500 MB peak RSS over the full range.
 *   It starts with `SLOW_OLD_GROWTH` and holds the young generation at the size loading left (32 MB) once its loop
 *   starts: 230–260 MB over the full range, where V8's defaults peak at ~445 MB. That memory costs time: V8's
 *   defaults ran the full range ×1.14–1.42 faster (`pnpm bench backtest`, two runs each, two rounds; 2,000
 *   sessions: the held young generation ~15 %, the slow old growth ~8 %; growth at most 20 % with an unheld young
 *   generation: ~320 MB and no faster). Held from the start instead (2 MB), the premature promotions cost ~25 %
 *   more CPU and the old generation grew anyway (~330–390 MB). `pnpm bench backtest` measures `on` both ways.
 *
 * @since 0.1.0
 */
import { enableCompileCache } from "node:module"
import { setFlagsFromString } from "node:v8"
import { privateTempDirectory } from "@council/io/PrivateDirectory"

/** The V8 flag that keeps the young generation at the size it has. */
export const SMALL_YOUNG_GENERATION = "--semi-space-growth-factor=1"

/** The V8 flag that lets the old generation grow at most by half between full collections. */
export const SLOW_OLD_GROWTH = "--heap-growing-percent=50"

/** The V8 flags each command's process takes (none: V8's defaults). */
const FLAGS: Readonly<Record<string, ReadonlyArray<string>>> = {
  runs: [SMALL_YOUNG_GENERATION],
  show: [SMALL_YOUNG_GENERATION],
  export: [SMALL_YOUNG_GENERATION],
  import: [SMALL_YOUNG_GENERATION],
  backtest: [SLOW_OLD_GROWTH]
}

/** Whether `tuneProcess` tuned this process's heap for a backtest (not called: a test's process, left alone). */
let backtestHeap = false

/** Sets up this process for `command` (the CLI's first argument); `heap: "default"` leaves V8's heap sizing. */
export const tuneProcess = (command: string | undefined, options: { readonly heap?: "default" } = {}): void => {
  const flags = command !== undefined && Object.hasOwn(FLAGS, command) && options.heap !== "default" ? FLAGS[command]! : []
  for (const flag of flags) setFlagsFromString(flag)
  backtestHeap = command === "backtest" && flags.length > 0
  // NODE_COMPILE_CACHE, when set, turned the cache on where it says before this ran
  if ((process.env["NODE_COMPILE_CACHE"] ?? "") !== "") return
  const directory = privateTempDirectory("council-compile-cache")
  if (directory !== undefined) enableCompileCache(directory)
}

/**
 * From now on V8's young generation keeps its size: a backtest's loop, once its modules are loaded. Does nothing
 * unless `tuneProcess` tuned this process for `backtest` (a test running the command in its own process, say).
 */
export const holdYoungGeneration = (): void => {
  if (backtestHeap) setFlagsFromString(SMALL_YOUNG_GENERATION)
}

/**
 * Watching the package manager that launched this process (`pnpm pipeline …`).
 *
 * **Why**: `kill -TERM <pnpm>` stops pnpm but not this process: the shells between them (`sh -c`, the
 * `node_modules/.bin/node` shim) do not pass the signal on, so a server would keep listening as an orphan. A
 * long-running command races its work against `watch`'s effect and stops when the launcher is gone.
 *
 * **How**: a package manager running a script sets `npm_execpath` to its own script; the launcher is the nearest
 * ancestor process (read from `/proc`) whose command line holds that path. When it is set but no ancestor holds
 * it any more, the launcher exited while this process was starting.
 *
 * A command that is not a server (`run daily`) runs inside `signalWhenGone` instead: the launcher's end becomes a
 * SIGTERM to this process, so every phase of the command meets it as it meets `systemctl stop`. The shells stay in
 * between on purpose: a signal sent to the whole process group (systemd's stop, Ctrl-C) then reaches the command
 * once; were pnpm its parent, pnpm would pass the signal on as a second one, and a second signal ends the command.
 *
 * **Gotchas**: Linux only (it reads `/proc`); elsewhere, when no package manager launched the process
 * (`node apps/cli/src/bin.ts …`), and when its script is missing as the command starts (being reinstalled), the
 * effect never completes. A launcher that keeps running after its shell exits (`nohup pnpm …`) keeps the command
 * running too.
 *
 * @since 0.1.0
 */
import { existsSync, readFileSync, realpathSync } from "node:fs"
import { resolve } from "node:path"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { toStderr } from "./StderrLines.ts"

interface ProcessInfo {
  readonly pid: number
  readonly ppid: number
  readonly startTime: string
  readonly argv: ReadonlyArray<string>
}

const info = (pid: number): ProcessInfo | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")
    return { pid, ppid: Number(fields[1]), startTime: fields[19] ?? "", argv }
  } catch {
    return undefined
  }
}

type Launcher = { readonly _tag: "Running"; readonly pid: number; readonly startTime: string } | { readonly _tag: "Gone" } | { readonly _tag: "None" }

const realpath = (path: string): string | undefined => {
  try {
    return realpathSync(path)
  } catch {
    return undefined
  }
}

/**
 * Whether the process runs `script` (a real path, as `npm_execpath` is): its command line may name it through a
 * symlink (a global install's `/usr/bin/pnpm`) or relative to the process's working directory.
 */
const runsScript = (found: ProcessInfo, script: string): boolean => {
  if (found.argv.includes(script)) return true
  const cwd = realpath(`/proc/${found.pid}/cwd`) ?? "/"
  return found.argv.some((arg) => arg !== "" && !arg.startsWith("-") && realpath(resolve(cwd, arg)) === script)
}

/**
 * The nearest ancestor running `script` (with its start time, so a reused pid is not mistaken for it). A script
 * that is not there (an `npm install -g pnpm` replacing it that moment, on a machine shared with other users of
 * it) names no launcher: no ancestor's command line resolves to it, which is no sign that the launcher exited.
 */
const findLauncher = (script: string | undefined): Launcher => {
  if (script === undefined || script === "" || !existsSync("/proc/self/stat")) return { _tag: "None" }
  const target = realpath(script)
  if (target === undefined) return { _tag: "None" }
  let pid = process.ppid
  for (let depth = 0; depth < 16 && pid > 1; depth++) {
    const found = info(pid)
    if (found === undefined) break
    if (runsScript(found, target)) return { _tag: "Running", pid, startTime: found.startTime }
    pid = found.ppid
  }
  return { _tag: "Gone" }
}

/**
 * The package manager's script (`npm_execpath`), read from the command's environment like every other setting: a
 * command run in-process (as tests do, in the test runner's process) sees the environment it was given, and does
 * not take the test runner's pnpm for its own.
 */
const launcherScript: Effect.Effect<string | undefined> = Config.option(Config.String("npm_execpath")).pipe(
  Effect.map(Option.getOrUndefined),
  Effect.orElseSucceed(() => undefined)
)

/**
 * Finds the launcher now and returns an effect that completes once it has exited (at once when it already has;
 * never when there is none). Call it first thing, before the work starts.
 */
export const watch: Effect.Effect<Effect.Effect<void>> = Effect.flatMap(launcherScript, (script) => Effect.sync(() => {
  const launcher = findLauncher(script)
  switch (launcher._tag) {
    case "None":
      return Effect.never
    case "Gone":
      return Effect.void
    case "Running": {
      const exited = Effect.sync(() => info(launcher.pid)?.startTime !== launcher.startTime)
      return Effect.asVoid(Effect.repeat(exited, { schedule: Schedule.spaced("250 millis"), until: (gone) => gone }))
    }
  }
}))

/**
 * Runs `effect`, sending this process SIGTERM if its launcher exits meanwhile (at once when it already has; never
 * when there is none), after saying so on stderr. The check runs every 250 ms on a timer that keeps no process
 * alive, and stops with `effect` (a command run in-process, as tests do, leaves no timer behind).
 */
export const signalWhenGone = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Effect.flatMap(launcherScript, (script) => Effect.sync(() => {
      const launcher = findLauncher(script)
      const stop = () => {
        toStderr("the launching pnpm exited (it was sent a signal): stopping as on SIGTERM\n")
        process.kill(process.pid, "SIGTERM")
      }
      if (launcher._tag === "None") return undefined
      if (launcher._tag === "Gone") return void stop()
      const timer = setInterval(() => {
        if (info(launcher.pid)?.startTime === launcher.startTime) return
        clearInterval(timer)
        stop()
      }, 250)
      timer.unref()
      return timer
    })),
    () => effect,
    (timer) => Effect.sync(() => clearInterval(timer))
  )

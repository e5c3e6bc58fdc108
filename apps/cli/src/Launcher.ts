/**
 * Watching the package manager that launched this process (`pnpm pipeline …`).
 *
 * **Why**: `kill -TERM <pnpm>` stops pnpm but not this process: the shells between them (`sh -c`, the
 * `node_modules/.bin/node` shim) do not pass the signal on, so a server would keep listening as an orphan. A
 * long-running command races its work against `launcherExited` and stops when the launcher is gone.
 *
 * **Gotchas**: Linux only (it reads `/proc`); elsewhere, and when no package manager launched the process
 * (`node apps/cli/src/bin.ts …`, `nohup`), `launcherExited` never completes. A launcher that keeps running after
 * its shell exits (`nohup pnpm …`) keeps the command running too.
 *
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import { Effect, Schedule } from "effect"

interface ProcessInfo {
  readonly ppid: number
  readonly startTime: string
  readonly argv: ReadonlyArray<string>
}

const info = (pid: number): ProcessInfo | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")
    return { ppid: Number(fields[1]), startTime: fields[19] ?? "", argv }
  } catch {
    return undefined
  }
}

const isPackageManager = (argv: ReadonlyArray<string>) =>
  argv.slice(0, 2).some((arg) => /(^|\/)(pnpm|npm)(\.c?js)?$|npm-cli\.js$/.test(arg))

/** The nearest ancestor that is pnpm or npm, with its start time (so a reused pid is not mistaken for it). */
const findLauncher = (): { readonly pid: number; readonly startTime: string } | undefined => {
  let pid = process.ppid
  for (let depth = 0; depth < 8 && pid > 1; depth++) {
    const found = info(pid)
    if (found === undefined) return undefined
    if (isPackageManager(found.argv)) return { pid, startTime: found.startTime }
    pid = found.ppid
  }
  return undefined
}

/** Completes once the package manager that launched this process has exited; never, when there is none. */
export const launcherExited: Effect.Effect<void> = Effect.suspend(() => {
  const launcher = findLauncher()
  if (launcher === undefined) return Effect.never
  const gone = Effect.sync(() => info(launcher.pid)?.startTime !== launcher.startTime)
  return Effect.asVoid(Effect.repeat(gone, { schedule: Schedule.spaced("250 millis"), until: (exited) => exited }))
})

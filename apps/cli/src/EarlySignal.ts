/**
 * A SIGINT or SIGTERM before the CLI listens for signals itself: one line on stderr saying so, then the process
 * ends by that signal as it would have (130/143 in a shell; a parent sees the signal). Without it, a scheduler's
 * stop in the first second — while the modules load — ended the process with no line at all.
 *
 * **When to use**: `bin.ts` calls `listenEarly()` first thing (this module imports only `StderrLines`, which imports
 * nothing); whatever takes signals over (`Listening.waitForSignal`, `Listening.closing`) calls `handOver()` before
 * it listens, so only one of them answers a signal, and `listenAgain()` when its wait ends without one. `started()` marks the
 * command begun (its modules loaded): the line then says the command was stopped, not that it never began.
 *
 * @since 0.1.0
 */
import { toStderr } from "./StderrLines.ts"

const SIGNALS = ["SIGINT", "SIGTERM"] as const

/** `enabled`: this process is the CLI's own (`listenEarly` was called); in-process runs (tests) never listen here. */
const state = { enabled: false, listening: false, started: false }

const early = (signal: NodeJS.Signals) => {
  handOver()
  toStderr(
    state.started
      ? `${signal}: stopped\n`
      : `${signal}: stopped while the CLI was starting (loading its modules), before the command began\n`
  )
  process.kill(process.pid, signal)
}

/** Answers SIGINT and SIGTERM with one line on stderr until `handOver`. */
export const listenEarly = (): void => {
  state.enabled = true
  if (state.listening) return
  state.listening = true
  SIGNALS.forEach((s) => process.on(s, early))
}

/** The command has begun: its modules are loaded. */
export const started = (): void => {
  state.started = true
}

/** Answers signals here again after a `handOver` (the caller's wait is over), in the CLI's own process only. */
export const listenAgain = (): void => {
  if (state.enabled) listenEarly()
}

/** Stops answering signals here: the caller answers them from now on. */
export const handOver = (): void => {
  if (!state.listening) return
  state.listening = false
  SIGNALS.forEach((s) => process.off(s, early))
}

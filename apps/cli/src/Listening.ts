/**
 * What a long-running command (`exchange serve`, `serve`) needs to listen: a check that its `--host`/`--port` can
 * be bound before anything is opened, and the signal that stops it.
 */
import { createServer } from "node:net"
import * as Effect from "effect/Effect"
import { CliFailure } from "./CliFailure.ts"
import { handOver, listenAgain } from "./EarlySignal.ts"

const SIGNALS: ReadonlyArray<NodeJS.Signals> = ["SIGINT", "SIGTERM"]

/** Who waits for a signal, innermost last: a signal goes to the innermost alone. */
const waiting: Array<(signal: NodeJS.Signals) => void> = []

const deliver = (signal: NodeJS.Signals) => {
  const innermost = waiting.at(-1)
  // one signal per command: a second one finds no listener and ends the process, as a SIGKILL would
  waiting.length = 0
  SIGNALS.forEach((s) => process.off(s, deliver))
  innermost?.(signal)
}

/**
 * Resolves once the process gets SIGINT or SIGTERM. Waits nest: a signal resumes only the innermost wait (a
 * command waiting around a part that waits for its own signal leaves the signal to that part while it runs), and
 * the listeners are removed after the first signal, so a second one finds none.
 */
export const waitForSignal = Effect.callback<NodeJS.Signals>((resume) => {
  const stop = (signal: NodeJS.Signals) => resume(Effect.succeed(signal))
  if (waiting.length === 0) {
    // listening first, then the early listener off: a signal's listeners never drop to none (one pending is kept)
    SIGNALS.forEach((s) => process.on(s, deliver))
    handOver()
  }
  waiting.push(stop)
  return Effect.sync(() => {
    const at = waiting.lastIndexOf(stop)
    if (at < 0) return
    waiting.splice(at, 1)
    if (waiting.length === 0) {
      // the wait is over and the command goes on: a signal is said again as before it listened
      if (closingState.code === undefined) listenAgain()
      SIGNALS.forEach((s) => process.off(s, deliver))
    }
  })
})

/** The command's exit code once its outcome is known (`closing`); whether a signal came since; whether it has closed. */
const closingState: { code: number | undefined; asked: boolean; closed: boolean } = { code: undefined, asked: false, closed: false }

const signalWhileClosing = () => {
  if (closingState.asked || closingState.closed) process.exit(closingState.code)
  closingState.asked = true
}

/**
 * Marks the command's outcome known (`code`): its work is done and said, and what is left is closing (its spans
 * flushed, at most the export's timeout). From then on a SIGINT or SIGTERM stops nothing part-way — there is no part
 * left — so the closing runs to its end and the process exits with `code`, 0 for a run that completed: a scheduler
 * that sends one (systemd's stop, `timeout`) sees what the command did, not 130/143. A second signal, or one once
 * closed, ends the process at once with `code`. For the CLI's own process (`Main`); in-process runs mark nothing.
 */
export const closing = (code: number): void => {
  if (closingState.code === undefined) SIGNALS.forEach((s) => process.on(s, signalWhileClosing))
  handOver()
  closingState.code = code
}

/**
 * The process has closed and said its exit (`code`): a signal asked for while closing ends it now, and so does any
 * signal from here on (an open socket that keeps the process a moment longer does not turn it into 130/143).
 */
export const closed = (code: number): void => {
  closing(code)
  closingState.closed = true
  if (closingState.asked) process.exit(code)
}

/** What to do about a listening error, by its code: a newcomer's likely causes, said as the flag to change. */
const LISTEN_ADVICE: Readonly<Record<string, string>> = {
  EADDRINUSE: "the port is in use (a server already running?): give another --port, or --port 0 for any free one",
  EACCES: "a port below 1024 needs privileges: give one from 1024 up",
  EADDRNOTAVAIL: "--host is not an address of this machine: give one of its own, 127.0.0.1 or 0.0.0.0",
  ENOTFOUND: "--host is not an address of this machine: give one of its own, 127.0.0.1 or 0.0.0.0"
}

/** Binds `host:port` and lets go at once: a bad `--host` or a taken `--port` is refused before the store opens. */
export const checkListen = (host: string, port: number) =>
  Effect.callback<void, CliFailure>((resume) => {
    const probe = createServer()
    probe.once("error", (error: NodeJS.ErrnoException) => {
      const advice = error.code === undefined ? undefined : LISTEN_ADVICE[error.code]
      const why = `${error.code ?? error.message}${advice === undefined ? "" : ` — ${advice}`}`
      resume(Effect.fail(CliFailure.usage(`--host/--port: cannot listen on ${host}:${port}: ${why}`)))
    })
    probe.listen(port, host, () => probe.close(() => resume(Effect.void)))
  })


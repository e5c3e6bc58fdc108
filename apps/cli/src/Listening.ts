/**
 * What a long-running command (`exchange serve`, `serve`) needs to listen: a check that its `--host`/`--port` can
 * be bound before anything is opened, and the signal that stops it.
 */
import { createServer } from "node:net"
import * as Effect from "effect/Effect"
import { CliFailure } from "./CliFailure.ts"

/** Resolves once the process gets SIGINT or SIGTERM (the listeners are removed either way). */
export const waitForSignal = Effect.callback<NodeJS.Signals>((resume) => {
  const signals: ReadonlyArray<NodeJS.Signals> = ["SIGINT", "SIGTERM"]
  const remove = () => signals.forEach((s) => process.off(s, stop))
  const stop = (signal: NodeJS.Signals) => {
    remove()
    resume(Effect.succeed(signal))
  }
  signals.forEach((s) => process.on(s, stop))
  return Effect.sync(remove)
})

/** Binds `host:port` and lets go at once: a bad `--host` or a taken `--port` is refused before the store opens. */
export const checkListen = (host: string, port: number) =>
  Effect.callback<void, CliFailure>((resume) => {
    const probe = createServer()
    probe.once("error", (error: NodeJS.ErrnoException) =>
      resume(Effect.fail(CliFailure.usage(`--host/--port: cannot listen on ${host}:${port}: ${error.code ?? error.message}`))))
    probe.listen(port, host, () => probe.close(() => resume(Effect.void)))
  })


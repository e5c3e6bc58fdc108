import { assert } from "@effect/vitest"
import { Console as NodeConsole } from "node:console"
import { Writable } from "node:stream"
import { ConfigProvider, Console, Effect } from "effect"
import { FetchHttpClient } from "effect/http"
import { AlpacaRequestPolicy } from "@council/broker/Alpaca"
import { outcome, run } from "../src/Program.ts"
import { type CliResult, failureOf, unstamped } from "./CliHarness.ts"

// each command run in this process holds a listener on stdin's "end" while it runs (the terminal effect/cli
// provides, NodeTerminal); a test running a dozen at once passed Node's default of 10 and printed a
// MaxListenersExceededWarning. A process of the CLI runs one command: one listener, no leak.
process.stdin.setMaxListeners(64)

/** Every URL the in-process CLI asked `fetch` for; only 127.0.0.1 and localhost are let through. */
export const fetched: Array<string> = []

const guardedFetch: typeof globalThis.fetch = (input, init) => {
  const url = input instanceof Request ? input.url : String(input)
  fetched.push(url)
  const host = URL.parse(url)?.hostname
  return host === "127.0.0.1" || host === "localhost"
    ? globalThis.fetch(input, init)
    : Promise.reject(new Error(`blocked: this test talks to 127.0.0.1 only (${host})`))
}

const collector = () => {
  let text = ""
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk)
      done()
    }
  })
  return { stream, text: () => text }
}

/** What a command run in this process may have shortened: the Alpaca clients' retry schedule (`RetrySchedule`). */
export interface InProcessOptions {
  readonly alpacaRetry?: AlpacaRequestPolicy.RetryOptions
}

/** An Alpaca retry schedule for tests whose broker on 127.0.0.1 fails on purpose: the default's tries, ~1/25 of its waits. */
export const FAST_ALPACA_RETRY: AlpacaRequestPolicy.RetryOptions = { base: "10 millis", cap: "320 millis", times: 4 }

/**
 * `pnpm pipeline …` in this process: the same program as `bin.ts`, with `env` as the whole environment, stdout
 * and stderr captured, and `fetch` watched (see `fetched`).
 */
export const cliInProcess = async (
  home: string | undefined,
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  options: InProcessOptions = {}
): Promise<CliResult> => {
  const out = collector()
  const err = collector()
  const console = new NodeConsole({ stdout: out.stream, stderr: err.stream, colorMode: false })
  const environment = { ...(home === undefined ? {} : { COUNCIL_HOME: home }), ...env }
  const exit = await Effect.runPromiseExit(
    run(args).pipe(
      Effect.provideService(Console.Console, console),
      Effect.provideService(FetchHttpClient.Fetch, guardedFetch),
      Effect.provideService(AlpacaRequestPolicy.RetrySchedule, options.alpacaRetry ?? AlpacaRequestPolicy.defaultRetry),
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(environment)))
    )
  )
  const { code, line } = outcome(exit)
  return { code, stdout: out.text(), stderr: unstamped(err.text()) + (line ? `error: ${line.split("\n")[0]}\n` : "") }
}

/** `cliInProcess` for a command that must succeed: any other exit fails the test, naming the command; gives its stdout. */
export const cliOk = async (home: string | undefined, args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<string> => {
  const r = await cliInProcess(home, args, env)
  assert.strictEqual(r.code, 0, failureOf(args, r))
  return r.stdout
}

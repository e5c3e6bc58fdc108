/**
 * A command given `--json` prints one JSON document on stdout, whatever its exit: its result, or — when it fails
 * before printing one (exit 1, 2 or 130) — `{"error": {"exitCode": …, "message": …}}`, the exit code and the same
 * line stderr carries. A script reading `--json` can parse stdout either way, and read why it failed without
 * picking the error line out of the logs on stderr. A command that printed its result and then exits 1 (an
 * account failed, a replay diverged) prints nothing more: its result says what failed.
 *
 * **Gotchas**: `--json` is read from the arguments as effect/cli reads a boolean flag (`--json`, `--json=yes`,
 * `--json false`…, the last one wins, none after `--`), so a command refused while its arguments are parsed (an
 * unknown flag) answers in JSON too. The error document goes through the CLI's console like any result
 * (`printableConsole`: a JSON string keeps its value).
 */
import * as Cause from "effect/Cause"
import type * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as CliError from "effect/cli/CliError"
import { invocationText } from "./InvocationText.ts"
import { outcome } from "./Outcome.ts"

const TRUE = /^(true|1|y|yes|on)$/i
const FALSE = /^(false|0|n|no|off)$/i

/** Whether `argv` asks for JSON: the last `--json` before any `--` decides, with its value when it has one. */
export const jsonRequested = (argv: ReadonlyArray<string>): boolean => {
  const flags = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv
  let json = false
  flags.forEach((arg, i) => {
    if (arg.startsWith("--json=")) json = TRUE.test(arg.slice("--json=".length))
    else if (arg === "--json") json = !FALSE.test(flags[i + 1] ?? "")
  })
  return json
}

/** What a refused invocation said (effect/cli prints it on stderr itself, so `outcome` has no line for it). */
const invocationMessage = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  if (!Exit.isFailure(exit)) return undefined
  const error = Option.getOrUndefined(Cause.findErrorOption(exit.cause))
  if (!CliError.isCliError(error)) return undefined
  return error._tag === "ShowHelp" ? error.errors.map(invocationText).join("; ") : invocationText(error)
}

/** The JSON document of a failed command's exit, `undefined` for a success. */
export const failureDocument = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  const { code, line } = outcome(exit)
  if (code === 0) return undefined
  const message = (line ?? invocationMessage(exit) ?? "failed").split("\n")[0]
  return JSON.stringify({ error: { exitCode: code, message } }, null, 2)
}

/** `console` that calls `wrote` whenever it writes on stdout. */
const noticingStdout = (console: Console.Console, wrote: () => void): Console.Console =>
  Object.assign(Object.create(console) as Console.Console, {
    log: (...args: ReadonlyArray<unknown>) => (wrote(), console.log(...args)),
    info: (...args: ReadonlyArray<unknown>) => (wrote(), console.info(...args)),
    debug: (...args: ReadonlyArray<unknown>) => (wrote(), console.debug(...args))
  })

/**
 * Runs `command` with `console` (the CLI's); when `argv` asks for JSON and the command fails before it wrote on
 * stdout, writes the failure's document there. The exit is the command's, unchanged.
 */
export const answeringInJson = <A, E, R>(
  argv: ReadonlyArray<string>,
  console: Console.Console,
  command: (console: Console.Console) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  if (!jsonRequested(argv)) return command(console)
  let wrote = false
  return command(noticingStdout(console, () => void (wrote = true))).pipe(
    Effect.onExit((exit) => {
      const document = wrote ? undefined : failureDocument(exit)
      return document === undefined ? Effect.void : Effect.sync(() => console.log(document))
    })
  )
}

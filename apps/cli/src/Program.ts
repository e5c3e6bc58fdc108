/**
 * The CLI as a program: `run(argv)` parses and runs one command with logs on stderr, and `outcome` turns its exit
 * into the process's exit code and one error line. `Main.ts` launches it (through the `bin.ts` shim); tests run it in-process.
 *
 * Exit codes: 0 success; 1 the work failed (an account failed, a replay diverged); 2 usage or configuration error
 * (nothing was done, nothing written); 130 interrupted.
 */
import { resolve } from "node:path"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as CliError from "effect/cli/CliError"
import * as CliOutput from "effect/cli/CliOutput"
import { Painted } from "@council/notify/ConsoleColour"
import { main } from "./Cli.ts"
import { CliFailure } from "./CliFailure.ts"
import * as CliServices from "./CliServices.ts"
import { printable, printableConsole } from "./TerminalText.ts"
import * as Tracing from "./Tracing.ts"

/** effect's help page and version line are the CLI's own text: their colours are its own (`TerminalText`). */
const ownLines = (console: Console.Console): Console.Console =>
  Object.assign(Object.create(console) as Console.Console, {
    log: (text: unknown) => console.log(typeof text === "string" ? Painted.ownText(text) : text)
  })

/** Bad invocations print one line naming the problem instead of the whole help page. */
const Presenter = CliOutput.layerPresenter({
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Console.error(
        `error: ${event.errors.map((e) => e.message).join("; ")} (see: pnpm ${event.commandPath.join(" ")} --help)`
      )
      : Console.consoleWith((console) =>
        Effect.provideService(CliOutput.defaultPresenter.present(event), Console.Console, ownLines(console))
      )
})

/** `ConfigError(SchemaError(Expected … at ["NAME"]))` → `NAME: Expected …`. */
const configMessage = (message: string): string => {
  const variable = /at \["([^"]+)"\]/.exec(message)?.[1]
  const problem = message.replace(/^(ConfigError\()?(SchemaError\()?/, "").split("\n")[0]?.replace(/\)+$/, "") ?? message
  return variable === undefined ? problem : `${variable}: ${problem}`
}

/** Errors that mean "usage or configuration": exit 2, nothing was done. */
const USAGE_ERRORS: ReadonlySet<string> = new Set([
  "AccountConfigError",
  "AccountSelectionError",
  "BundleRejected",
  "DatabaseConfigError",
  "FillModelConfigError",
  "LiveTradingRefused",
  "LlmConfigError",
  "LlmSettingsError",
  "MarketDataError",
  "MarketFeedConfigError",
  "MonitorConfigError",
  "TracingConfigError",
  "NotifierConfigError",
  "SlackConfigError",
  "ScheduleConfigError",
  "UnsupportedSetting"
])

/**
 * SQLite says only "database or disk is full": the line names the home (`COUNCIL_HOME`, as `Database.location`
 * reads it) and what to do. On PostgreSQL the server's own message names its disk.
 */
const withDiskAdvice = (line: string): string => {
  if (!/database or disk is full/i.test(line) || process.env["DATABASE_URL"] !== undefined) return line
  const home = resolve(process.env["COUNCIL_HOME"] ?? ".council")
  return `${line} — the disk holding ${home} is full: free space there (or move COUNCIL_HOME to a disk with room), then run the command again`
}

export interface Outcome {
  readonly code: number
  /** The one line to print on stderr (after `error: `), if any. */
  readonly line?: string
}

/** The exit code and error line (`printable`: it may quote a broker's or a provider's message) of a command's exit. */
export const outcome = (exit: Exit.Exit<unknown, unknown>): Outcome => {
  const { code, line } = outcomeOf(exit)
  return line === undefined ? { code } : { code, line: printable(line) }
}

const outcomeOf = (exit: Exit.Exit<unknown, unknown>): Outcome => {
  if (Exit.isSuccess(exit)) return { code: 0 }
  const cause = exit.cause
  const error = Cause.findErrorOption(cause)
  if (Option.isNone(error)) {
    if (Cause.hasInterruptsOnly(cause)) return { code: 130, line: "interrupted" }
    const defect = Cause.pretty(cause).split("\n")[0]
    return { code: 1, line: `internal error: ${defect}` }
  }
  const e = error.value
  if (CliError.isCliError(e)) return { code: 2 }
  if (typeof e === "object" && e !== null && "_tag" in e && typeof e._tag === "string") {
    const message = withDiskAdvice("message" in e && typeof e.message === "string" ? e.message : String(e))
    if (e._tag === "CliFailure") return { code: "exitCode" in e && (e.exitCode === 2 || e.exitCode === 130) ? e.exitCode : 1, line: message }
    if (e._tag === "ConfigError") return { code: 2, line: configMessage(message) }
    return { code: USAGE_ERRORS.has(e._tag) ? 2 : 1, line: message }
  }
  return { code: 1, line: String(e) }
}

/**
 * Effect's built-in `--wizard` prompts on stdin; without a terminal its first prompt ends at once as "cancelled",
 * which it reports with exit 0 — a cron entry or a pipe carrying a stray `--wizard` would run nothing and look fine.
 */
const wizardWithoutTerminal = (argv: ReadonlyArray<string>) => {
  const flags = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv
  return process.stdin.isTTY !== true && flags.some((a) => a === "--wizard" || a.startsWith("--wizard="))
}

/**
 * One command, with stdout for results only: every log line (retries, warnings) goes to stderr, and no line
 * carries a control sequence from outside (`TerminalText`). Its spans are exported when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` says where (`Tracing`), and flushed before it returns.
 */
export const run = (argv: ReadonlyArray<string>) =>
  (wizardWithoutTerminal(argv)
    ? Effect.fail(CliFailure.usage("--wizard asks its questions on a terminal, and stdin is not one: give the command with its flags instead"))
    : main(argv)).pipe(
    Effect.provide(Tracing.layer),
    Effect.provideService(Logger.LogToStderr, true),
    Effect.provide(Layer.mergeAll(CliServices.layer, Presenter)),
    (command) => Console.consoleWith((console) => Effect.provideService(command, Console.Console, printableConsole(console)))
  )

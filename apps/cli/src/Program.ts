/**
 * The CLI as a program: `run(argv)` parses and runs one command with logs on stderr, and `outcome` turns its exit
 * into the process's exit code and one error line. `Main.ts` launches it (through the `bin.ts` shim); tests run it in-process.
 *
 * Exit codes: 0 success; 1 the work failed (an account failed, a replay diverged); 2 usage or configuration error
 * (nothing was done, nothing written); 130 interrupted.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as CliError from "effect/cli/CliError"
import * as CliOutput from "effect/cli/CliOutput"
import * as Prompt from "effect/cli/Prompt"
import { Painted } from "@council/notify/ConsoleColour"
import { main } from "./Cli.ts"
import { CliFailure } from "./CliFailure.ts"
import * as CliServices from "./CliServices.ts"
import { invocationText } from "./InvocationText.ts"
import { answeringInJson } from "./JsonFailure.ts"
import { stamper, stderrIsTerminal } from "./StderrLines.ts"
import { printableConsole } from "./TerminalText.ts"
import * as Tracing from "./Tracing.ts"
import * as LogLines from "./LogLines.ts"

import { outcome } from "./Outcome.ts"

export { type Outcome, outcome } from "./Outcome.ts"

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
        `error: ${event.errors.map(invocationText).join("; ")} (see: pnpm ${event.commandPath.join(" ")} --help)`
      )
      : Console.consoleWith((console) =>
        Effect.provideService(CliOutput.defaultPresenter.present(event), Console.Console, ownLines(console))
      )
})

/**
 * Effect's built-in `--wizard` prompts on stdin; without a terminal its first prompt ends at once as "cancelled",
 * which it reports with exit 0 — a cron entry or a pipe carrying a stray `--wizard` would run nothing and look fine.
 */
const wizardWithoutTerminal = (argv: ReadonlyArray<string>) => {
  const flags = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv
  return process.stdin.isTTY !== true && flags.some((a) => a === "--wizard" || a.startsWith("--wizard="))
}

/**
 * The wizard writes its command line and headings through the console, coloured: every console line passes
 * `TerminalText.printable`, which would spell its colours out (`\u001b[1m…`). Its prompts (on the terminal itself)
 * and its lines come uncoloured instead, as effect/cli's `Prompt.Theme` allows.
 */
const plainWizard = (argv: ReadonlyArray<string>) =>
  argv.some((a) => a === "--wizard" || a.startsWith("--wizard=")) ? Prompt.makeTheme({ colors: false }) : undefined

/**
 * A command group named alone (`pipeline`, `pipeline exchange`) has nothing to run: effect/cli shows its help on
 * stdout and fails with a `ShowHelp` that carries no error. The help is what was asked for: exit 0, as `--help`.
 */
const isGroupHelp = (error: unknown): error is CliError.ShowHelp =>
  CliError.isCliError(error) && error._tag === "ShowHelp" && error.errors.length === 0

/**
 * One command, with stdout for results only (with `--json`, one JSON document whatever the exit: `JsonFailure`):
 * every log line (retries, warnings) goes to stderr, stamped with its time when stderr is not a terminal
 * (`StderrLines`), and no line carries a control sequence from outside (`TerminalText`). Its spans are exported when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` says where (`Tracing`), and flushed before it returns. `decided` hears the command's
 * exit code as soon as it is known, before the flush.
 */
export const run = (argv: ReadonlyArray<string>, decided?: (code: number) => void) => {
  const command = (wizardWithoutTerminal(argv)
    ? Effect.fail(CliFailure.usage("--wizard asks its questions on a terminal, and stdin is not one: give the command with its flags instead"))
    : main(argv)).pipe(
    Effect.catchIf(isGroupHelp, () => Effect.void),
    (effect) => {
      const theme = plainWizard(argv)
      return theme === undefined ? effect : Effect.provideService(effect, Prompt.Theme, theme)
    },
    // the command's outcome is known: what is left is closing (`Listening.closing`)
    Effect.onExit((exit) => (decided === undefined ? Effect.void : Effect.sync(() => decided(outcome(exit).code)))),
    Effect.provide(Tracing.layer),
    Effect.provide(LogLines.layer),
    Effect.provide(Layer.mergeAll(CliServices.layer, Presenter))
  )
  // one stamper for the whole command: stderr does not turn into a terminal midway
  const stderrLine = stamper(stderrIsTerminal())
  return Console.consoleWith((console) =>
    answeringInJson(argv, printableConsole(console, stderrLine), (results) => Effect.provideService(command, Console.Console, results))
  )
}

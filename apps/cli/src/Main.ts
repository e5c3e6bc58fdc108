import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Cause from "effect/Cause"
import * as CliError from "effect/cli/CliError"
import * as CliOutput from "effect/cli/CliOutput"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { main } from "./Cli.ts"

/** Bad invocations print one line naming the problem instead of the whole help page. */
const Presenter = CliOutput.layerPresenter({
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Console.error(
        `error: ${event.errors.map((e) => e.message).join("; ")} (see: pnpm ${event.commandPath.join(" ")} --help)`
      )
      : CliOutput.defaultPresenter.present(event)
})

/** `ConfigError(SchemaError(Expected … at ["NAME"]))` → `NAME: Expected …`. */
const configMessage = (message: string): string => {
  const variable = /at \["([^"]+)"\]/.exec(message)?.[1]
  const problem = message.replace(/^(ConfigError\()?(SchemaError\()?/, "").split("\n")[0]?.replace(/\)+$/, "") ?? message
  return variable === undefined ? problem : `${variable}: ${problem}`
}

const exitCodeOf = (cause: Cause.Cause<unknown>): { readonly code: number; readonly line?: string } => {
  const error = Cause.findErrorOption(cause)
  if (Option.isNone(error)) {
    if (Cause.hasInterruptsOnly(cause)) return { code: 130, line: "interrupted" }
    const defect = Cause.pretty(cause).split("\n")[0]
    return { code: 1, line: `internal error: ${defect}` }
  }
  const e = error.value
  if (CliError.isCliError(e)) return { code: 2 }
  if (typeof e === "object" && e !== null && "_tag" in e) {
    const message = "message" in e && typeof e.message === "string" ? e.message : String(e)
    switch (e._tag) {
      case "CliFailure":
        return { code: "exitCode" in e && e.exitCode === 2 ? 2 : 1, line: message }
      case "ConfigError":
        return { code: 2, line: configMessage(message) }
      case "AccountConfigError":
      case "AccountSelectionError":
      case "MarketDataError":
      case "MarketFeedConfigError":
      case "UnsupportedSetting":
        return { code: 2, line: message }
      default:
        return { code: 1, line: message }
    }
  }
  return { code: 1, line: String(e) }
}

const program = main(process.argv.slice(2)).pipe(Effect.provide(Layer.mergeAll(NodeServices.layer, Presenter)))

Effect.runPromiseExit(program).then((exit) => {
  if (Exit.isSuccess(exit)) return
  const { code, line } = exitCodeOf(exit.cause)
  if (line) process.stderr.write(`error: ${line.split("\n")[0]}\n`)
  process.exitCode = code
})

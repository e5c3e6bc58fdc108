/**
 * A command's exit as the process's exit code and one error line: 0 success; 1 the work failed; 2 usage or
 * configuration (nothing done, nothing written); 130 interrupted. `Program` prints it; `run daily` and `approve`
 * also tell the notifier about an exit 1 or 130, and about market data that cannot be loaded whatever its code
 * (`RunDaily.toldTrading`), so an unattended run's operator hears it.
 */
import { resolve } from "node:path"
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as CliError from "effect/cli/CliError"
import { printable } from "./TerminalText.ts"

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
  "NewerDatabaseError",
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

/**
 * SQLite's "database is locked": a write waited out its busy timeout while another process held the file's write
 * lock. The line names the file and what to do: nothing was lost, the same command continues once it lets go.
 */
const withLockAdvice = (line: string): string => {
  if (!/database is locked/i.test(line) || process.env["DATABASE_URL"] !== undefined) return line
  const file = resolve(process.env["COUNCIL_HOME"] ?? ".council", "council.db")
  return `${line} — another process held the write lock of ${file} (a sqlite3 shell with a transaction open, an upgrade, another command writing): nothing was lost; run the command again once it lets go`
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
    const message = withLockAdvice(withDiskAdvice("message" in e && typeof e.message === "string" ? e.message : String(e)))
    if (e._tag === "CliFailure") return { code: "exitCode" in e && (e.exitCode === 2 || e.exitCode === 130) ? e.exitCode : 1, line: message }
    if (e._tag === "ConfigError") return { code: 2, line: configMessage(message) }
    // a full disk is no configuration to fix: the work failed, and the same command goes on once there is room
    if (e._tag === "DatabaseConfigError" && /database or disk is full/i.test(message)) return { code: 1, line: message }
    // the feed did not answer (HTTP 5xx, the network): the work failed, as a broker's outage does — not a usage error
    if (e._tag === "MarketDataError" && "reason" in e && e.reason === "Unavailable") return { code: 1, line: message }
    return { code: USAGE_ERRORS.has(e._tag) ? 2 : 1, line: message }
  }
  return { code: 1, line: String(e) }
}


/**
 * Stderr lines a log file can place. When stderr is not a terminal (a cron entry's `>> daily.log`, a pipe, a
 * service manager's journal file), every line the CLI writes there starts with the moment it was written, in UTC
 * to the millisecond (`2026-06-08T19:45:02.113Z Starting run …`): a log of many days places a failure even when it
 * came before the run chose its trading day. On a terminal the lines stay as they are. stdout (tables, `--json`)
 * is never stamped.
 *
 * **When to use**: `Program.run` stamps every console line bound for stderr (`TerminalText.printableConsole`: log
 * lines, notifications, progress), for every command alike (`run daily`, `serve`, `exchange serve`, `backtest`);
 * whatever writes to `process.stderr` directly (the last error line, signals) goes through `toStderr`.
 *
 * **Gotchas**: this module imports nothing but Node's own (`EarlySignal` uses it before anything is loaded). A
 * message of several lines gets the stamp on each, so a `grep` of the file finds each with its time. A backtest's
 * redrawn bar is written on a terminal only, unstamped.
 *
 * @since 0.1.0
 */

/** The stamp at the start of a stamped line (`stampLines`), as a pattern source: for whatever reads the CLI's stderr. */
export const STAMP = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z `

const LEADING_STAMP = new RegExp(`^${STAMP}`)

/** `line` without its stamp, if it has one. */
export const unstampedLine = (line: string): string => line.replace(LEADING_STAMP, "")

/** Whether stderr is a terminal now (lines then go unstamped). */
export const stderrIsTerminal = (): boolean => process.stderr.isTTY === true

/** `text` with each of its non-empty lines prefixed by `at` as UTC ISO 8601 (`2026-06-08T19:45:02.113Z `). */
export const stampLines = (text: string, at: Date): string => {
  const stamp = `${at.toISOString()} `
  return text.split("\n").map((line) => (line === "" ? line : stamp + line)).join("\n")
}

/** How lines bound for stderr are written: stamped with the present moment unless `terminal`. */
export const stamper = (terminal: boolean): (text: string) => string =>
  terminal ? (text) => text : (text) => stampLines(text, new Date())

/** Writes `text` (its lines ended by `\n`) to `process.stderr`, stamped when stderr is not a terminal. */
export const toStderr = (text: string): void => {
  process.stderr.write(stamper(stderrIsTerminal())(text))
}

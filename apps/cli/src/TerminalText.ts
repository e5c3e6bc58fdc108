/**
 * What the CLI writes to a terminal carries no escape it did not write itself: text from outside — an LLM's answer
 * (a thesis, the chairman's rationale), a provider's or a broker's error message, a symbol — may hold `ESC ]0;…`
 * (retitle the window), `ESC [2J` (clear the screen), `\r` (write over the line), an OSC 8 hyperlink, a bidi
 * override, or a colour that hides or disguises text (black on black, a green "APPROVED"), and a terminal would
 * obey them, on the spot or when a log is `cat` later.
 *
 * **When to use**: `Program.run` wraps the CLI's `Console` in `printableConsole`, so every line of every command —
 * results, notifications, log lines — passes through `printable`; `Main.ts` passes the last error line too. This
 * is the one place: text is not cleaned where it enters (a recorded answer, `--json` and a replay keep it as it
 * came, and a database written by an older version holds it as it came).
 *
 * **Rules**: C0 controls except tab and newline (so every `ESC`, colours too), DEL, C1 controls and the bidi
 * embedding/override/isolate marks are written as `\uXXXX` text (inside a JSON string that is the same character,
 * so `--json` output decodes to the same value); so is a carriage return, but not one right before a newline: a
 * Windows line ending (a model's answer may have them) only goes down a line, and is kept. The CLI's own colours
 * are not in its strings: they come as a `Painted` (`ConsoleColour.paint`, and effect's help page, which
 * `Program`'s presenter hands over as `Painted.ownText`), whose colour sequences are kept and whose text is made
 * `printable` like any other.
 *
 * @since 0.1.0
 */
import type * as Console from "effect/Console"
import { formatWithOptions } from "node:util"
import { Painted } from "@council/notify/ConsoleColour"

// oxlint-disable-next-line no-control-regex
const UNPRINTABLE = /\r(?!\n)|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

const escaped = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`

/** `text` with every control character (see the module's rules) written out as `\uXXXX`. */
export const printable = (text: string): string => text.replace(UNPRINTABLE, escaped)

/** One console argument as text: a `Painted` keeps its colours, anything else is formatted as `console.log` would. */
const argument = (arg: unknown): string =>
  arg instanceof Painted ? arg.render(printable) : printable(formatWithOptions({ colors: false }, arg))

const printing = (write: (line: string) => void) => (...args: ReadonlyArray<unknown>) =>
  write(args.map(argument).join(" "))

/**
 * `console` whose lines (`log`, `error`, `warn`, `info`, `debug`, `trace`) go out through `printable`; the lines
 * bound for stderr (all but `log`) then through `stderrLine` (`StderrLines.stamper`: stamped in a log file).
 */
export const printableConsole = (
  console: Console.Console,
  stderrLine: (line: string) => string = (line) => line
): Console.Console =>
  Object.assign(Object.create(console) as Console.Console, {
    log: printing((line) => console.log(line)),
    error: printing((line) => console.error(stderrLine(line))),
    warn: printing((line) => console.warn(stderrLine(line))),
    info: printing((line) => console.info(stderrLine(line))),
    debug: printing((line) => console.debug(stderrLine(line))),
    trace: printing((line) => console.trace(stderrLine(line)))
  })

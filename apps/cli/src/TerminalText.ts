/**
 * What the CLI writes to a terminal carries no control sequence it did not write itself: text from outside — an
 * LLM's answer (a thesis, the chairman's rationale), a provider's or a broker's error message — may hold
 * `ESC ]0;…` (retitle the window), `ESC [2J` (clear the screen), `\r` (write over the line), an OSC 8 hyperlink
 * or a bidi override, and a terminal would obey them, on the spot or when a log is `cat` later.
 *
 * **When to use**: `Program.run` wraps the CLI's `Console` in `printableConsole`, so every line of every command —
 * results, notifications, log lines — passes through `printable`; `Main.ts` passes the last error line too.
 *
 * **Rules**: C0 controls except tab and newline, DEL, C1 controls and the bidi embedding/override/isolate marks
 * are written as `\uXXXX` text (inside a JSON string that is the same character, so `--json` output decodes to
 * the same value); so is a carriage return, but not one right before a newline: a Windows line ending (a model's
 * answer may have them) only goes down a line, and is kept. Colour (SGR) sequences pass when each of their
 * parameters is a plain attribute or colour — what `ConsoleColour` and effect's help write — so conceal, blink and
 * everything that moves the cursor do not.
 *
 * @since 0.1.0
 */
import type * as Console from "effect/Console"
import { formatWithOptions } from "node:util"

// oxlint-disable-next-line no-control-regex
const UNPRINTABLE = /\u001b\[([0-9;]*)m|\r(?!\n)|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

const COLOUR_PARAMETER = /^(?:0?|[1-4]|2[2-4]|39|49|3[0-7]|4[0-7]|9[0-7]|10[0-7])$/

const escaped = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`

/** `text` with every control sequence but plain colours written out as `\uXXXX`. */
export const printable = (text: string): string =>
  text.replace(UNPRINTABLE, (match: string, parameters: string | undefined) =>
    parameters !== undefined && parameters.split(";").every((p) => COLOUR_PARAMETER.test(p))
      ? match
      : escaped(match[0]!) + match.slice(1))

const printing = (write: (...args: ReadonlyArray<unknown>) => void) => (...args: ReadonlyArray<unknown>) =>
  write(printable(formatWithOptions({ colors: false }, ...args)))

/** `console` whose lines (`log`, `error`, `warn`, `info`, `debug`, `trace`) go out through `printable`. */
export const printableConsole = (console: Console.Console): Console.Console =>
  Object.assign(Object.create(console) as Console.Console, {
    log: printing((...args) => console.log(...args)),
    error: printing((...args) => console.error(...args)),
    warn: printing((...args) => console.warn(...args)),
    info: printing((...args) => console.info(...args)),
    debug: printing((...args) => console.debug(...args)),
    trace: printing((...args) => console.trace(...args))
  })

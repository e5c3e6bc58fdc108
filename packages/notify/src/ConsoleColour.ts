/**
 * When the console notifier may colour its lines, and how it colours them.
 *
 * **When to use**: `colourEnabled` decides once, at the composition root, from the environment and the stream the
 * lines go to; `paint` colours one formatted line as a `Painted` (its colours kept apart from its text, so a
 * terminal sanitiser can tell the program's colours from escapes in text from outside).
 * `Notifier.layerConsoleWith({ colour })` uses both.
 *
 * **Rules** (first match wins)
 * 1. `NO_COLOR` set to any non-empty value → no colour (https://no-color.org), whatever `FORCE_COLOR` says.
 * 2. `FORCE_COLOR` set: `0` or `false` → no colour; any other value (including empty) → colour, even when the
 *    stream is not a terminal.
 * 3. `TERM=dumb` → no colour.
 * 4. Otherwise colour exactly when the stream is a TTY (and, when it can tell, says it supports colours).
 *
 * **Gotchas**
 * - ERROR lines are red and WARN lines yellow as a whole; in INFO lines the side words are coloured: `BUY`/`LONG`
 *   green, `SELL`/`SHORT` red (whole words, upper case, as `RunMessages` writes them).
 * - A line without colour contains no escape sequence at all, so logs stay greppable.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Option from "effect/Option"
import type { NotificationLevel } from "./Notifier.ts"

/** The environment variables that decide colour; `undefined` when unset. */
export interface ColourEnv {
  readonly noColor: string | undefined
  readonly forceColor: string | undefined
  readonly term: string | undefined
}

/** The stream lines go to, as far as colour is concerned (`process.stderr` satisfies it). */
export interface Terminal {
  readonly isTTY?: boolean | undefined
  readonly hasColors?: (() => boolean) | undefined
}

const optional = (name: string) => Config.String(name).pipe(Config.option, Config.map(Option.getOrUndefined))

/** Reads `NO_COLOR`, `FORCE_COLOR` and `TERM` from the `ConfigProvider`. */
export const colourEnv: Config.Config<ColourEnv> = Config.all({
  noColor: optional("NO_COLOR"),
  forceColor: optional("FORCE_COLOR"),
  term: optional("TERM")
})

export const colourEnabled = (env: ColourEnv, terminal: Terminal): boolean => {
  if (env.noColor !== undefined && env.noColor !== "") return false
  if (env.forceColor !== undefined) return !["0", "false"].includes(env.forceColor.trim().toLowerCase())
  if (env.term === "dumb") return false
  return terminal.isTTY === true && (terminal.hasColors?.() ?? true)
}

const ESC = "\u001b["
const RESET = `${ESC}0m`
const RED = `${ESC}31m`
const GREEN = `${ESC}32m`
const YELLOW = `${ESC}33m`

const SGR = /(\u001b\[[0-9;]*m)/

/**
 * A line the program coloured itself: its text, and between the pieces of text the colour (SGR) sequences the
 * program wrote. A terminal sanitiser (the CLI's `TerminalText`) keeps those sequences and writes out every escape
 * inside the text, so text from outside cannot colour, hide or disguise anything; `toString` is the line as is.
 */
export class Painted {
  /** Text and colour sequences in turn, text first: `[text, sgr, text, …, text]`. */
  readonly parts: ReadonlyArray<string>

  constructor(parts: ReadonlyArray<string>) {
    this.parts = parts
  }

  /**
   * Text the program wrote whole, colours and all (effect's help page): every SGR sequence in it is taken as
   * the program's. Never for a string that holds text from outside.
   */
  static ownText(text: string): Painted {
    return new Painted(text.split(SGR))
  }

  /** The line, with `text` applied to each piece of text (a sanitiser), the colour sequences as they are. */
  render(text: (piece: string) => string = (piece) => piece): string {
    return this.parts.map((part, i) => i % 2 === 0 ? text(part) : part).join("")
  }

  toString(): string {
    return this.render()
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.render()
  }
}

const SIDE_WORDS = /\b(BUY|LONG|SELL|SHORT)\b/

/** `line` in colour for a message of `level` (see the module's rules). */
export const paint = (level: NotificationLevel, line: string): Painted => {
  switch (level) {
    case "ERROR":
      return new Painted(["", RED, line, RESET, ""])
    case "WARN":
      return new Painted(["", YELLOW, line, RESET, ""])
    case "INFO":
      // split with a capture group: text, side word, text, …; each side word becomes colour, word, reset
      return new Painted(line.split(SIDE_WORDS).flatMap((piece, i) =>
        i % 2 === 0 ? [piece] : [piece === "BUY" || piece === "LONG" ? GREEN : RED, piece, RESET]
      ))
  }
}

/**
 * effect/cli's words for a flag it could not parse, in the CLI's own: `--limit abc: expected a number`, not `Invalid
 * value for flag --limit: "abc". Expected a string representing a finite number` (the schema's words for the text
 * it decodes). Every other error of an invocation keeps effect/cli's message.
 *
 * **When to use**: for the line a refused invocation prints (`Program`'s presenter) and its `--json` error document
 * (`JsonFailure`), so both say the same.
 *
 * @since 0.1.0
 */
import * as CliError from "effect/cli/CliError"

/** `"buy" | "sell"` as `buy or sell`; `undefined` when `expected` is not a list of choices. */
const choicesOf = (expected: string): string | undefined => {
  const listed = /^(?:Expected: )?("[^"]*"(?: \| "[^"]*")*)$/.exec(expected)?.[1]
  if (listed === undefined) return undefined
  const choices = [...listed.matchAll(/"([^"]*)"/g)].map((m) => m[1]!)
  return choices.length < 2 ? choices[0] : `${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}`
}

/** What a flag's value had to be, in words; `undefined` when effect/cli's own words stand. */
const wanted = (expected: string): string | undefined =>
  expected === "Expected a string representing a finite number" ? "a number"
  : expected === "Expected an integer" ? "a whole number"
  : choicesOf(expected)

/** effect/cli's suggestions (a block of lines under "Did you mean this?") as one clause of the line. */
const suggested = (suggestions: ReadonlyArray<string>) =>
  suggestions.length === 0 ? "" : `; did you mean ${choicesOf(suggestions.map((s) => `"${s}"`).join(" | ")) ?? suggestions[0]}?`

/** The message of one error of a refused invocation: one line (effect/cli's suggestions are lines of their own). */
export const invocationText = (error: CliError.CliError): string => {
  if (error._tag === "UnrecognizedOption") {
    return `Unrecognized flag: ${error.option}${error.command === undefined ? "" : ` in command ${error.command.join(" ")}`}${suggested(error.suggestions)}`
  }
  if (error._tag === "UnknownSubcommand") {
    return `Unknown subcommand "${error.subcommand}"${error.parent === undefined ? "" : ` for "${error.parent.join(" ")}"`}${suggested(error.suggestions)}`
  }
  if (error._tag !== "InvalidValue" || error.kind !== "flag") return error.message
  const what = wanted(error.expected)
  if (error.value.length === 0) return `--${error.option}: missing its value${what === undefined ? "" : ` (${what})`}`
  return what === undefined ? error.message : `--${error.option} ${error.value}: expected ${what}`
}

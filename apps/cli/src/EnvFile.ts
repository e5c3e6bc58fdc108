/**
 * A `.env` file Council does not read. Council takes its settings from the environment only (`.env.example` says to
 * load a copy with `set -a && . ./council.env && set +a`), but `.env` is the name many tools read by themselves: a
 * user who copies the example to `.env` in the checkout and fills in keys would otherwise see every command run on
 * the embedded default (offline PMs, the local exchange) without a word.
 *
 * **When to use**: once per command, before the settings are read (`Storage.configured`), so the line comes first
 * even when a setting is then refused.
 *
 * **Gotchas**: only the names are ever said, never a value (the file holds secrets). A name set in the environment
 * (the file was loaded, or the variable was given on the command line) is not named; one the file sets empty is
 * unset for Council too, and not named. Lines that are not `NAME=value` (comments, a garbled line) are skipped.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { readFileSync } from "node:fs"
import { resolve } from "node:path"

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/

/** The value of an assignment as a shell would take it, quotes off (enough to tell an empty one). */
const bare = (value: string): string => value.replace(/^(['"])(.*)\1$/, "$2").trim()

/** The names `text` (a `.env` file) sets to a non-empty value that `env` does not have, in the file's order. */
export const unloadedNames = (text: string, env: Readonly<Record<string, string | undefined>>): ReadonlyArray<string> => {
  const names: Array<string> = []
  for (const line of text.split(/\r?\n/)) {
    const match = ASSIGNMENT.exec(line)
    if (match === null) continue
    const [, name = "", value = ""] = match
    if (bare(value) === "" || (env[name] ?? "") !== "" || names.includes(name)) continue
    names.push(name)
  }
  return names
}

const MAX_NAMES = 6

/** The warning for `file` whose `names` are not in the environment. */
export const unloadedLine = (file: string, names: ReadonlyArray<string>): string => {
  const shown = names.length > MAX_NAMES ? [...names.slice(0, MAX_NAMES), `and ${names.length - MAX_NAMES} more`] : names
  return `warning: ${file} sets ${shown.join(", ")}, but Council does not read .env files and ${
    names.length === 1 ? "it is" : "they are"
  } not in the environment: this command runs without ${names.length === 1 ? "it" : "them"}; load the file first: set -a && . ${file} && set +a (docs/DEPLOYMENT.md)`
}

/** Says on stderr which variables `./.env` sets that this process does not have; nothing when there is none. */
export const notice: Effect.Effect<void> = Effect.suspend(() => {
  const file = resolve(".env")
  let text: string
  try {
    text = readFileSync(file, "utf8")
  } catch {
    return Effect.void
  }
  const names = unloadedNames(text, process.env)
  return names.length === 0 ? Effect.void : Console.error(unloadedLine(file, names))
})

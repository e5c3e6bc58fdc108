/**
 * A `.env` file Council does not read. Council takes its settings from the environment only (`.env.example` says to
 * load a copy with `set -a && . ./council.env && set +a`), but `.env` is the name many tools read by themselves: a
 * user who copies the example to `.env` in the checkout and fills in keys would otherwise see every command run on
 * the embedded default (offline PMs, the local exchange) without a word.
 *
 * **When to use**: once per command, before the settings are read (`Storage.configured`), so the line comes first
 * even when a setting is then refused.
 *
 * A `.env` that every user of the machine may read (an "other" bit: `0644`, the usual umask's) and that sets a secret
 * (`isSecretName`: a key, token, password, webhook, the database URL, the accounts' JSON) is said too, loaded or not,
 * with the `chmod 600` that closes it: on a shared server it hands the broker keys to anyone with a shell.
 *
 * **Gotchas**: only the names are ever said, never a value (the file holds secrets). A name set in the environment
 * (the file was loaded, or the variable was given on the command line) is not named as unloaded; one the file sets
 * empty is unset for Council too, and not named. Lines that are not `NAME=value` (comments, a garbled line) are
 * skipped. A file shared with its group alone (`0640`) is not said: the group was chosen. Only a regular file of at
 * most 1 MiB is read: a `.env` that is a FIFO (`mkfifo .env`, a secrets tool's pipe) or a device blocked every
 * command in its read, deaf to Ctrl-C and SIGTERM.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { readFileSync, statSync } from "node:fs"
import { resolve } from "node:path"

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/

/** The value of an assignment as a shell would take it, quotes off (enough to tell an empty one). */
const bare = (value: string): string => value.replace(/^(['"])(.*)\1$/, "$2").trim()

/** The names `text` (a `.env` file) sets to a non-empty value, in the file's order, each once. */
const setNames = (text: string): ReadonlyArray<string> => {
  const names: Array<string> = []
  for (const line of text.split(/\r?\n/)) {
    const match = ASSIGNMENT.exec(line)
    if (match === null) continue
    const [, name = "", value = ""] = match
    if (bare(value) !== "" && !names.includes(name)) names.push(name)
  }
  return names
}

/** The names `text` (a `.env` file) sets to a non-empty value that `env` does not have, in the file's order. */
export const unloadedNames = (text: string, env: Readonly<Record<string, string | undefined>>): ReadonlyArray<string> =>
  setNames(text).filter((name) => (env[name] ?? "") === "")

const SECRET_WORD = /(?:^|_)(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD|WEBHOOK|CREDENTIALS?)(?:_|$)/
const SECRET_NAMES: ReadonlySet<string> = new Set(["DATABASE_URL", "TRADING_ACCOUNTS_CONFIG", "OTEL_EXPORTER_OTLP_HEADERS"])

/** Whether a variable of this name holds a secret: an API key or key id, a token, a password, a webhook, a URL or JSON with credentials in it. */
export const isSecretName = (name: string): boolean => SECRET_NAMES.has(name) || SECRET_WORD.test(name.toUpperCase())

const MAX_NAMES = 6

/** A `.env` larger than this is no settings file and is not read. */
const MAX_BYTES = 1024 * 1024

/** The warning for `file` whose `names` are not in the environment. */
export const unloadedLine = (file: string, names: ReadonlyArray<string>): string => {
  const shown = names.length > MAX_NAMES ? [...names.slice(0, MAX_NAMES), `and ${names.length - MAX_NAMES} more`] : names
  return `warning: ${file} sets ${shown.join(", ")}, but Council does not read .env files and ${
    names.length === 1 ? "it is" : "they are"
  } not in the environment: this command runs without ${names.length === 1 ? "it" : "them"}; load the file first: set -a && . ${file} && set +a (docs/DEPLOYMENT.md)`
}

/** The warning for `file`, of `mode`, that every user may read while it holds the secrets `names`. */
export const exposedLine = (file: string, mode: number, names: ReadonlyArray<string>): string => {
  const shown = names.length > MAX_NAMES ? [...names.slice(0, MAX_NAMES), `${names.length - MAX_NAMES} more`] : names
  return `warning: ${file} holds ${shown.join(", ")} and every user of this machine may read it (mode ${(mode & 0o777).toString(8)}): chmod 600 ${file}`
}

/**
 * Says on stderr which variables `./.env` sets that this process does not have, and whether every user may read the
 * secrets it holds; nothing when neither.
 */
export const notice: Effect.Effect<void> = Effect.suspend(() => {
  const file = resolve(".env")
  let text: string
  let mode: number
  try {
    const stat = statSync(file)
    // a FIFO (or a link to one, or to a device) would block this read, and every command, for ever
    if (!stat.isFile() || stat.size > MAX_BYTES) return Effect.void
    text = readFileSync(file, "utf8")
    mode = stat.mode
  } catch {
    return Effect.void
  }
  const names = unloadedNames(text, process.env)
  const secrets = (mode & 0o004) === 0 ? [] : setNames(text).filter(isSecretName)
  return Effect.all([
    names.length === 0 ? Effect.void : Console.error(unloadedLine(file, names)),
    secrets.length === 0 ? Effect.void : Console.error(exposedLine(file, mode, secrets))
  ], { discard: true })
})

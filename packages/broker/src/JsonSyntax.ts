/**
 * Where a text stops being JSON, as a position, line and column — never the text around it; and where valid JSON
 * gives one key twice in an object (which `JSON.parse` takes silently, the later value winning).
 *
 * **When to use**: to report a syntax error in configuration that may hold secrets. `JSON.parse`'s own messages
 * quote the text near the error (e.g. part of a `secretKey`), so they must not be shown.
 *
 * @since 0.1.0
 */

export interface SyntaxErrorPosition {
  /** 1-based character offset of the first character a JSON parser rejects (text length + 1 at the end). */
  readonly position: number
  readonly line: number
  readonly column: number
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"])
const ESCAPES = new Set(["\"", "\\", "/", "b", "f", "n", "r", "t"])
const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9"
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c)

/** A scan in progress: the text, where it is, and the first place it failed. */
interface Cursor {
  readonly text: string
  i: number
  error: number | undefined
  /** The first member name repeated within one object: its offset and name. */
  duplicate: { readonly offset: number; readonly name: string } | undefined
}

/** Records a failure at the cursor (the first one stands) and answers `false`, for `return fail(at)`. */
const fail = (at: Cursor): false => {
  at.error ??= at.i
  return false
}

const skipWhitespace = (at: Cursor) => {
  while (WHITESPACE.has(at.text[at.i] ?? "")) at.i++
}

const literal = (at: Cursor, word: string): boolean => {
  for (const c of word) {
    if (at.text[at.i] !== c) return fail(at)
    at.i++
  }
  return true
}

/** A string, the cursor on its opening quote. */
const string = (at: Cursor): boolean => {
  const { text } = at
  at.i++
  while (at.i < text.length) {
    const c = text[at.i]!
    if (c === "\"") {
      at.i++
      return true
    }
    if (c < " ") return fail(at)
    if (c === "\\") {
      at.i++
      if (text[at.i] === "u") {
        for (let k = 1; k <= 4; k++) if (!isHex(text[at.i + k])) return (at.i += k, fail(at))
        at.i += 5
      } else if (ESCAPES.has(text[at.i] ?? "")) at.i++
      else return fail(at)
    } else at.i++
  }
  return fail(at)
}

const digits = (at: Cursor): boolean => {
  if (!isDigit(at.text[at.i])) return fail(at)
  while (isDigit(at.text[at.i])) at.i++
  return true
}

const number = (at: Cursor): boolean => {
  const { text } = at
  if (text[at.i] === "-") at.i++
  if (text[at.i] === "0") at.i++
  else if (!digits(at)) return false
  if (text[at.i] === ".") {
    at.i++
    if (!digits(at)) return false
  }
  if (text[at.i] === "e" || text[at.i] === "E") {
    at.i++
    if (text[at.i] === "+" || text[at.i] === "-") at.i++
    if (!digits(at)) return false
  }
  return true
}

/** An object's members or an array's values, the cursor on the opening bracket. */
const sequence = (at: Cursor, close: string, item: (at: Cursor) => boolean): boolean => {
  at.i++
  skipWhitespace(at)
  if (at.text[at.i] === close) return (at.i++, true)
  for (;;) {
    if (!item(at)) return false
    skipWhitespace(at)
    if (at.text[at.i] === close) return (at.i++, true)
    if (at.text[at.i] !== ",") return fail(at)
    at.i++
    skipWhitespace(at)
  }
}

const member = (at: Cursor, names: Set<string>): boolean => {
  if (at.text[at.i] !== "\"") return fail(at)
  const start = at.i
  if (!string(at)) return false
  // the name as JSON.parse reads it (escapes decoded): `"dry\u0052un"` is `dryRun`
  const name = JSON.parse(at.text.slice(start, at.i)) as string
  if (names.has(name)) at.duplicate ??= { offset: start, name }
  names.add(name)
  skipWhitespace(at)
  if (at.text[at.i] !== ":") return fail(at)
  at.i++
  return value(at)
}

const value = (at: Cursor): boolean => {
  skipWhitespace(at)
  const c = at.text[at.i]
  if (c === "{") {
    const names = new Set<string>()
    return sequence(at, "}", (inner) => member(inner, names))
  }
  if (c === "[") return sequence(at, "]", value)
  if (c === "\"") return string(at)
  if (c === "-" || isDigit(c)) return number(at)
  if (c === "t") return literal(at, "true")
  if (c === "f") return literal(at, "false")
  if (c === "n") return literal(at, "null")
  return fail(at)
}

/** Scans `text` as JSON (RFC 8259) and returns the offset of the first error, or `undefined` when it is JSON. */
const scan = (text: string): Cursor => {
  const at: Cursor = { text, i: 0, error: undefined, duplicate: undefined }
  if (value(at)) {
    skipWhitespace(at)
    if (at.i < text.length) at.error = at.i
  }
  return at
}

const positionOf = (text: string, offset: number): SyntaxErrorPosition => {
  const before = text.slice(0, offset)
  return { position: offset + 1, line: before.split("\n").length, column: offset - before.lastIndexOf("\n") }
}

/** The first syntax error of `text` as JSON, or `undefined` when `text` is valid JSON. */
export const syntaxError = (text: string): SyntaxErrorPosition | undefined => {
  const { error } = scan(text)
  return error === undefined ? undefined : positionOf(text, error)
}

/**
 * In valid JSON, the first member name given twice within one object (`{"dryRun": true, "dryRun": false}`), where
 * it is repeated: `JSON.parse` keeps the later value without a word, so a setting read as the first says may be
 * the opposite. The name is a key of the text, never a value of it.
 */
export const duplicateKey = (text: string): (SyntaxErrorPosition & { readonly name: string }) | undefined => {
  const { duplicate, error } = scan(text)
  return duplicate === undefined || error !== undefined ? undefined : { ...positionOf(text, duplicate.offset), name: duplicate.name }
}

/**
 * Where a text stops being JSON, as a position, line and column — never the text around it.
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

/** Scans `text` as JSON (RFC 8259) and returns the offset of the first error, or `undefined` when it is JSON. */
const firstErrorOffset = (text: string): number | undefined => {
  let i = 0
  let error: number | undefined
  const fail = () => {
    error ??= i
    return false
  }
  const skipWhitespace = () => {
    while (WHITESPACE.has(text[i] ?? "")) i++
  }
  const literal = (word: string) => {
    for (const c of word) {
      if (text[i] !== c) return fail()
      i++
    }
    return true
  }
  const string = (): boolean => {
    i++
    while (i < text.length) {
      const c = text[i]!
      if (c === "\"") {
        i++
        return true
      }
      if (c < " ") return fail()
      if (c === "\\") {
        i++
        if (text[i] === "u") {
          for (let k = 1; k <= 4; k++) if (!isHex(text[i + k])) return (i += k, fail())
          i += 5
        } else if (ESCAPES.has(text[i] ?? "")) i++
        else return fail()
      } else i++
    }
    return fail()
  }
  const digits = () => {
    if (!isDigit(text[i])) return fail()
    while (isDigit(text[i])) i++
    return true
  }
  const number = (): boolean => {
    if (text[i] === "-") i++
    if (text[i] === "0") i++
    else if (!digits()) return false
    if (text[i] === ".") {
      i++
      if (!digits()) return false
    }
    if (text[i] === "e" || text[i] === "E") {
      i++
      if (text[i] === "+" || text[i] === "-") i++
      if (!digits()) return false
    }
    return true
  }
  const sequence = (close: string, item: () => boolean): boolean => {
    i++
    skipWhitespace()
    if (text[i] === close) return (i++, true)
    for (;;) {
      if (!item()) return false
      skipWhitespace()
      if (text[i] === close) return (i++, true)
      if (text[i] !== ",") return fail()
      i++
      skipWhitespace()
    }
  }
  const member = (): boolean => {
    if (text[i] !== "\"") return fail()
    if (!string()) return false
    skipWhitespace()
    if (text[i] !== ":") return fail()
    i++
    return value()
  }
  const value = (): boolean => {
    skipWhitespace()
    const c = text[i]
    if (c === "{") return sequence("}", member)
    if (c === "[") return sequence("]", value)
    if (c === "\"") return string()
    if (c === "-" || isDigit(c)) return number()
    if (c === "t") return literal("true")
    if (c === "f") return literal("false")
    if (c === "n") return literal("null")
    return fail()
  }
  if (!value()) return error
  skipWhitespace()
  return i < text.length ? i : undefined
}

/** The first syntax error of `text` as JSON, or `undefined` when `text` is valid JSON. */
export const syntaxError = (text: string): SyntaxErrorPosition | undefined => {
  const offset = firstErrorOffset(text)
  if (offset === undefined) return undefined
  const before = text.slice(0, offset)
  const line = before.split("\n").length
  return { position: offset + 1, line, column: offset - before.lastIndexOf("\n") }
}

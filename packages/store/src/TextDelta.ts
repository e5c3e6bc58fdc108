/**
 * A text as a delta of another: copies of the base's ranges and literal text. The store keeps a large payload that
 * mostly repeats the one before it in the same place (a market snapshot whose window slid by one session, a
 * stage's recordings of the next day) as such a delta.
 *
 * **Details**: `diff` finds the base's 32-character blocks (at multiples of 32) in the target (a rolling hash of
 * every window, checked character by character on a hit) and extends each match as far as it goes both ways; what matches nothing is literal. Linear in the target's length when most of
 * it matches. A delta is `[offset, length, "literal", offset, length, …]`: a pair of numbers copies, a string
 * inserts.
 *
 * @since 0.1.0
 */

const BLOCK = 32
/** Multiplier of the polynomial hash of a block, and its power for the character leaving the window. */
const B = 0x01000193
let top = 1
for (let k = 1; k < BLOCK; k++) top = Math.imul(top, B)
const TOP = top

export type Delta = ReadonlyArray<number | string>

/** A base text with its blocks indexed (by a hash of each), ready to `diff` targets against. */
export interface Base {
  readonly text: string
  readonly blocks: ReadonlyMap<number, number>
}

const hashAt = (text: string, at: number): number => {
  let h = 0
  for (let k = 0; k < BLOCK; k++) h = (Math.imul(h, B) + text.charCodeAt(at + k)) | 0
  return h
}

const sameBlock = (a: string, at: number, b: string, bt: number): boolean => {
  for (let k = 0; k < BLOCK; k++) if (a.charCodeAt(at + k) !== b.charCodeAt(bt + k)) return false
  return true
}

export const base = (text: string): Base => {
  const blocks = new Map<number, number>()
  for (let at = 0; at + BLOCK <= text.length; at += BLOCK) {
    const h = hashAt(text, at)
    if (!blocks.has(h)) blocks.set(h, at)
  }
  return { text, blocks }
}

/** `target` as a delta of `from`: a rolling hash finds the base's blocks in it, each match extended both ways. */
export const diff = (from: Base, target: string): Delta => {
  const ops: Array<number | string> = []
  const source = from.text
  let literal = 0
  let i = 0
  let h = target.length >= BLOCK ? hashAt(target, 0) : 0
  while (i + BLOCK <= target.length) {
    const at = from.blocks.get(h)
    if (at === undefined || !sameBlock(target, i, source, at)) {
      if (i + BLOCK < target.length) h = (Math.imul(h - Math.imul(target.charCodeAt(i), TOP), B) + target.charCodeAt(i + BLOCK)) | 0
      i++
      continue
    }
    let start = i
    let copied = at
    while (start > literal && copied > 0 && target.charCodeAt(start - 1) === source.charCodeAt(copied - 1)) {
      start--
      copied--
    }
    let end = i + BLOCK
    let sourceEnd = at + BLOCK
    while (end < target.length && sourceEnd < source.length && target.charCodeAt(end) === source.charCodeAt(sourceEnd)) {
      end++
      sourceEnd++
    }
    if (start > literal) ops.push(target.slice(literal, start))
    ops.push(copied, end - start)
    i = end
    literal = end
    if (i + BLOCK <= target.length) h = hashAt(target, i)
  }
  if (literal < target.length) ops.push(target.slice(literal))
  return ops
}

/** The text `delta` describes against `from`; `undefined` for a malformed delta. */
export const apply = (from: string, delta: unknown): string | undefined => {
  if (!Array.isArray(delta)) return undefined
  const parts: Array<string> = []
  for (let k = 0; k < delta.length; k++) {
    const op: unknown = delta[k]
    if (typeof op === "string") {
      parts.push(op)
      continue
    }
    const length: unknown = delta[++k]
    if (typeof op !== "number" || typeof length !== "number" || op < 0 || length < 0 || op + length > from.length) return undefined
    parts.push(from.slice(op, op + length))
  }
  return parts.join("")
}

/**
 * Canonical JSON (sorted object keys) and content hashes of it.
 *
 * **Gotchas**: the text is exactly what `JSON.stringify` gives for a copy of the value whose every object was
 * rebuilt with `Object.fromEntries` of its entries sorted by key (so index-like keys such as `"10"` still come
 * first, in numeric order): client order ids and stored hashes depend on it, so it must never change. Objects
 * whose keys already are in that order are not copied, and the order of each key set is computed once.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Per key set (joined): the canonical key order, `null` when it already is canonical, `"copy"` for `__proto__`. */
const orders = new Map<string, ReadonlyArray<string> | null | "copy">()

const canonicalOrder = (keys: ReadonlyArray<string>): ReadonlyArray<string> | null | "copy" => {
  const shape = keys.join("\u0000")
  let order = orders.get(shape)
  if (order === undefined) {
    if (keys.includes("__proto__")) return "copy"
    const probe: Record<string, true> = {}
    for (const key of [...keys].sort(byCodeUnits)) probe[key] = true
    const enumerated = Object.keys(probe)
    order = enumerated.every((key, i) => key === keys[i]) ? null : enumerated
    if (orders.size < 10_000) orders.set(shape, order)
  }
  return order
}

const sortKeys = (_key: string, value: unknown): unknown => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value
  const order = canonicalOrder(Object.keys(value))
  if (order === null) return value
  if (order === "copy") return Object.fromEntries(Object.entries(value).sort(([a], [b]) => byCodeUnits(a, b)))
  const sorted: Record<string, unknown> = {}
  for (const key of order) sorted[key] = (value as Record<string, unknown>)[key]
  return sorted
}

/** JSON with object keys sorted, so equal values give equal text. */
export const canonicalJson = (value: unknown): string => JSON.stringify(value, sortKeys) ?? "null"

/** A short SHA-256 of the canonical JSON of `value`. */
export const hashOf = (value: unknown): string => sha256(canonicalJson(value))

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 32)

/** Texts of values seen by `hashOfReusing`, by identity. */
const texts = new WeakMap<object, string>()

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value) && typeof (value as { toJSON?: unknown }).toJSON !== "function"

/** The canonical text of `value`; plain objects above `depth` 0 are assembled from their properties' texts. */
const textOf = (value: unknown, depth: number): string | undefined => {
  if (!isPlainObject(value)) return JSON.stringify(value, sortKeys)
  if (depth === 0) {
    const known = texts.get(value)
    if (known !== undefined) return known
    const text = JSON.stringify(value, sortKeys)
    texts.set(value, text)
    return text
  }
  const keys = Object.keys(value)
  const order = canonicalOrder(keys)
  if (order === "copy") return JSON.stringify(value, sortKeys)
  const parts: Array<string> = []
  for (const key of order ?? keys) {
    const text = textOf(value[key], depth - 1)
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`)
  }
  return `{${parts.join(",")}}`
}

/**
 * `hashOf(value)`, keeping the text of every plain object two levels down (by identity) for the next call: a run
 * hashes each stage's inputs (`{ inputs: { Stage: output } }`), and a large output (the market snapshot) is an
 * input of several stages. Those objects must not change once hashed.
 */
export const hashOfReusing = (value: Record<string, unknown>): string => sha256(textOf(value, 2) ?? "null")

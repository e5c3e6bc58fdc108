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
import { hash } from "node:crypto"

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

/** `canonical` gives up: a `toJSON`, a `__proto__` key or a deep nesting (a cycle) leave it to the replacer. */
const REPLACER = Symbol("replacer")

/**
 * `value` with every object's keys in canonical order, copying only the objects (and their parents) whose keys are
 * not: then `JSON.stringify` needs no replacer, which it calls for every value (most of the cost).
 */
const canonical = (value: unknown, depth: number): unknown => {
  if (value === null || typeof value !== "object") return value
  if (depth > 256 || typeof (value as { readonly toJSON?: unknown }).toJSON === "function") return REPLACER
  if (Array.isArray(value)) {
    let copy: Array<unknown> | undefined
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      const done = canonical(item, depth + 1)
      if (done === REPLACER) return REPLACER
      if (done !== item) (copy ??= value.slice())[i] = done
    }
    return copy ?? value
  }
  const keys = Object.keys(value)
  const order = canonicalOrder(keys)
  if (order === "copy") return REPLACER
  const record = value as Record<string, unknown>
  let copy: Record<string, unknown> | undefined = order === null ? undefined : {}
  const ordered = order ?? keys
  for (let i = 0; i < ordered.length; i++) {
    const key = ordered[i]!
    const item = record[key]
    const done = canonical(item, depth + 1)
    if (done === REPLACER) return REPLACER
    if (done !== item && copy === undefined) {
      copy = {}
      for (let j = 0; j < i; j++) copy[ordered[j]!] = record[ordered[j]!]
    }
    if (copy !== undefined) copy[key] = done
  }
  return copy ?? value
}

/** JSON with object keys sorted, so equal values give equal text. */
export const canonicalJson = (value: unknown): string => {
  const sorted = canonical(value, 0)
  return (sorted === REPLACER ? JSON.stringify(value, sortKeys) : JSON.stringify(sorted)) ?? "null"
}

/** A short SHA-256 of the canonical JSON of `value`. */
export const hashOf = (value: unknown): string => sha256(canonicalJson(value))

/** One-shot `crypto.hash`: no `Hash` object per text (most texts hashed are small). */
const sha256 = (text: string) => hash("sha256", text, "hex").slice(0, 32)

/** The JSON text of a stored value and the hash of that text: what content-addressed storage keys it by. */
export interface JsonText {
  readonly text: string
  /** `textHash(text)`. */
  readonly hash: string
  /**
   * The text's UTF-8 bytes, when its maker has them without building the text (a market snapshot): a store
   * writes them instead of encoding `text`. Shared: never write into them.
   */
  readonly bytes?: Buffer
}

/** Texts at least this long keep the UTF-8 bytes their hash was computed from, for `utf8Of` (the last one). */
const KEEP_BYTES_MIN = 32 * 1024

/** The last long text `textHash` hashed, with its UTF-8 bytes. */
let lastLong: { readonly text: string; readonly bytes: Buffer } | undefined

/**
 * The hash content-addressed storage keys a JSON text by: a short SHA-256 of the text itself. A long text (a market
 * snapshot) is encoded to UTF-8 once for its hash and for `utf8Of`.
 */
export const textHash = (text: string): string => {
  if (text.length < KEEP_BYTES_MIN) return sha256(text)
  const bytes = Buffer.from(text)
  lastLong = { text, bytes }
  return bytesHash(bytes)
}

/** `textHash` of the text whose UTF-8 bytes these are (what a store decompressed), without decoding them. */
export const bytesHash = (bytes: Uint8Array): string => hash("sha256", bytes, "hex").slice(0, 32)

/**
 * `Buffer.from(text)`: the bytes `textHash` encoded when `text` is the last long text it hashed (a store compressing
 * the snapshot a stage just hashed does not encode it again). The bytes are shared: never write into them.
 */
export const utf8Of = (text: string): Buffer => (lastLong !== undefined && lastLong.text === text ? lastLong.bytes : Buffer.from(text))

/** Texts of objects seen by `jsonText` or given to `rememberJsonText`, by identity. */
const known = new WeakMap<object, JsonText>()

/**
 * `JSON.stringify(value)` and its hash, computed once per object: a stage output is encoded once, then its text
 * and hash serve the store and the input hashes of the stages downstream.
 *
 * **Gotchas**: the text is `JSON.stringify`'s (key order as built, not canonical): equal values built the same
 * way give equal texts, which is what deduplicating storage needs. An object must not change once its text is
 * known (outputs and recordings are encoded values nobody mutates).
 */
export const jsonText = (value: unknown): JsonText => {
  if (value === null || typeof value !== "object") {
    const text = JSON.stringify(value) ?? "null"
    return { text, hash: textHash(text) }
  }
  const seen = known.get(value)
  if (seen !== undefined) return seen
  const text = JSON.stringify(value) ?? "null"
  const computed = { text, hash: textHash(text) }
  known.set(value, computed)
  return computed
}

/** The `jsonText` of `value` if it is already known (computed, or given to `rememberJsonText`); no work otherwise. */
export const knownJsonText = (value: unknown): JsonText | undefined =>
  value !== null && typeof value === "object" ? known.get(value) : undefined

/** Records that `value` is `JSON.parse(stored.text)`, so `jsonText(value)` returns `stored` without work. */
export const rememberJsonText = (value: unknown, stored: JsonText): void => {
  if (value !== null && typeof value === "object") known.set(value, stored)
}

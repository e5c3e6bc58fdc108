import { assert, describe, it } from "@effect/vitest"
import { createHash } from "node:crypto"
import { canonicalJson, hashOf, jsonText, rememberJsonText, textHash } from "@council/engine"

/** The definition: every object rebuilt from its entries sorted by key, then `JSON.stringify`. */
const reference = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v) ?? "null"

const KEYS = ["a", "b", "Z", "10", "9", "0", "01", "é", "_x", "close", "4294967295", "4294967294", "-1", "1e3", "", "__proto__"]
const LEAF_KINDS = ["fraction", "integer", "string", "null", "undefined", "true", "NaN", "-0", "Date"] as const

const leafKind = (leaf: unknown): string =>
  leaf instanceof Date ? "Date"
  : leaf === undefined ? "undefined"
  : leaf === null ? "null"
  : leaf === true ? "true"
  : typeof leaf === "string" ? "string"
  : Number.isNaN(leaf) ? "NaN"
  : Object.is(leaf, -0) ? "-0"
  : Number.isInteger(leaf) ? "integer"
  : "fraction"

/**
 * What `generated` exercises: how often each key and each kind of leaf occurs, how deep the values go, and how many
 * values take each path through `canonicalJson`: left to the replacer (a `Date`'s `toJSON` or a `__proto__` key),
 * else reordered (the definition's text is not `JSON.stringify`'s) or already in order.
 */
const coverage = (generated: ReadonlyArray<{ readonly value: unknown; readonly text: string }>) => {
  const keys = new Map<string, number>()
  const leaves = new Map<string, number>()
  const paths = new Map<string, number>()
  const count = (map: Map<string, number>, what: string) => map.set(what, (map.get(what) ?? 0) + 1)
  let deepest = 0
  /** Counts what `value` holds; whether it holds what leaves it to the replacer. */
  const walk = (value: unknown, depth: number): boolean => {
    deepest = Math.max(deepest, depth)
    if (value === null || typeof value !== "object" || value instanceof Date) {
      count(leaves, leafKind(value))
      return value instanceof Date
    }
    let replacer = false
    for (const [key, item] of Object.entries(value)) {
      if (!Array.isArray(value)) count(keys, key)
      replacer = walk(item, depth + 1) || replacer || key === "__proto__"
    }
    return replacer
  }
  for (const { value, text } of generated) {
    count(paths, walk(value, 0) ? "replacer" : text !== JSON.stringify(value) ? "reordered" : "in order")
  }
  return { keys, leaves, paths, deepest }
}

/** A seeded generator of JSON-ish values with awkward keys (index-like, `__proto__`, empty) and leaves. */
const values = (count: number, seed: number): ReadonlyArray<unknown> => {
  let state = seed
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648
  const keys = KEYS
  const leaves: ReadonlyArray<() => unknown> = [
    () => next() * 1000 - 500,
    () => Math.floor(next() * 100),
    () => `s${next().toString(36)}"\n`,
    () => null,
    () => undefined,
    () => true,
    () => Number.NaN,
    () => -0,
    () => new Date(Math.floor(next() * 1e12))
  ]
  const make = (depth: number): unknown => {
    const r = next()
    if (depth > 4 || r < 0.3) return leaves[Math.floor(next() * leaves.length)]!()
    if (r < 0.6) return Array.from({ length: Math.floor(next() * 5) }, () => make(depth + 1))
    const object: Record<string, unknown> = {}
    for (let i = 0; i < next() * 6; i++) {
      Object.defineProperty(object, keys[Math.floor(next() * keys.length)]!, {
        value: make(depth + 1),
        enumerable: true,
        configurable: true,
        writable: true
      })
    }
    return object
  }
  return Array.from({ length: count }, () => make(0))
}

describe("canonicalJson", () => {
  it("sorts keys, index-like keys first in numeric order, and drops what JSON drops", () => {
    assert.strictEqual(
      canonicalJson({ b: 1, a: [{ y: undefined, x: 2 }, undefined], 10: "ten", 9: "nine", at: new Date(0) }),
      `{"9":"nine","10":"ten","a":[{"x":2},null],"at":"1970-01-01T00:00:00.000Z","b":1}`
    )
    assert.strictEqual(canonicalJson(undefined), "null")
  })

  // two seeds, a test each: 2,000 values in one test took up to 3.7 s of its 5 s on a machine loaded 25-32 deep
  for (const seed of [7, 1_000_003]) {
    it(`gives the definition's text for 1,000 generated values (seed ${seed}), which hold every awkward key, leaf and path`, () => {
      const generated = values(1_000, seed).map((value) => ({ value, text: reference(value) }))
      const differ = generated.filter(({ text, value }) => canonicalJson(value) !== text)
      assert.strictEqual(differ.length, 0)
      // the sample is large enough: each key and leaf hundreds of times, values copied and not, with and without the replacer
      const seen = coverage(generated)
      for (const key of KEYS) assert.isAtLeast(seen.keys.get(key) ?? 0, 500, `key ${JSON.stringify(key)}`)
      for (const leaf of LEAF_KINDS) assert.isAtLeast(seen.leaves.get(leaf) ?? 0, 500, `leaf ${leaf}`)
      for (const path of ["in order", "reordered", "replacer"]) assert.isAtLeast(seen.paths.get(path) ?? 0, 50, path)
      assert.isAtLeast(seen.deepest, 5)
    })
  }

  it("copies no input and changes none, however deep, and refuses a cycle as JSON.stringify does", () => {
    const inner = { z: [{ b: 2, a: 1 }], a: "x" }
    const value = { list: [inner, inner], k: 1 }
    const before = JSON.stringify(value)
    assert.strictEqual(canonicalJson(value), `{"k":1,"list":[{"a":"x","z":[{"a":1,"b":2}]},{"a":"x","z":[{"a":1,"b":2}]}]}`)
    assert.strictEqual(JSON.stringify(value), before)
    let deep: unknown = { b: 1, a: 2 }
    for (let i = 0; i < 400; i++) deep = i % 2 === 0 ? [deep] : { y: deep, x: i }
    assert.strictEqual(canonicalJson(deep), reference(deep))
    const cycle: Record<string, unknown> = { a: 1 }
    cycle["self"] = [cycle]
    assert.throws(() => canonicalJson(cycle), TypeError)
  })

  it("keeps the hashes that client order ids are made of", () => {
    const intent = { symbol: "SPY", side: "buy", qty: 5, type: "market", account: "COUNCIL", timeInForce: "day" }
    assert.strictEqual(hashOf(intent), "83b1e993a9494bb5aff73f951e3dc0f2")
  })
})

describe("jsonText", () => {
  it("is JSON.stringify's text and the SHA-256 of exactly that text, keys in the order they were built", () => {
    const value = { z: 1, a: [0.1 + 0.2, "é"], nested: { b: null } }
    const { hash, text } = jsonText(value)
    assert.strictEqual(text, `{"z":1,"a":[0.30000000000000004,"é"],"nested":{"b":null}}`)
    assert.strictEqual(hash, createHash("sha256").update(text).digest("hex").slice(0, 32))
    assert.strictEqual(textHash(text), hash)
    assert.notStrictEqual(jsonText({ a: [0.1 + 0.2, "é"], z: 1, nested: { b: null } }).hash, hash)
    assert.deepStrictEqual(jsonText(7), { text: "7", hash: textHash("7") })
  })

  it("computes an object's text once, and takes a remembered one as given", () => {
    const value: Record<string, unknown> = { a: 1 }
    const first = jsonText(value)
    value["b"] = 2
    assert.strictEqual(jsonText(value), first)
    const parsed = JSON.parse(`{"x":[1,2]}`)
    const stored = { text: `{"x":[1,2]}`, hash: "stored-hash" }
    rememberJsonText(parsed, stored)
    assert.strictEqual(jsonText(parsed), stored)
  })
})

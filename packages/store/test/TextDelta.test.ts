import { assert, describe, it } from "@effect/vitest"
import { TextDelta } from "@council/store"
import { random } from "./Random.ts"

describe("TextDelta", () => {
  it("rebuilds the target exactly from any base: 2,000 generated pairs (edits, moves, unrelated texts, short ones)", () => {
    const next = random(7)
    const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(next() * 90))).join("")
    for (let round = 0; round < 2000; round++) {
      const base = text(Math.floor(next() * 600))
      let target = base
      for (let edits = Math.floor(next() * 6); edits > 0; edits--) {
        const at = Math.floor(next() * (target.length + 1))
        const cut = Math.floor(next() * 40)
        target = next() < 0.3 ? text(Math.floor(next() * 700)) : target.slice(0, at) + text(Math.floor(next() * 50)) + target.slice(at + cut)
      }
      const delta = TextDelta.diff(TextDelta.base(base), target)
      assert.strictEqual(TextDelta.apply(base, JSON.parse(JSON.stringify(delta))), target, `round ${round}`)
    }
  })

  it("a window that slid costs what changed", () => {
    const rows = (from: number) => JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ day: from + i, close: Math.sin(from + i) })))
    const delta = JSON.stringify(TextDelta.diff(TextDelta.base(rows(0)), rows(1)))
    assert.isBelow(delta.length, 120)
    assert.strictEqual(TextDelta.apply(rows(0), JSON.parse(delta)), rows(1))
  })

  it("refuses a malformed delta", () => {
    assert.isUndefined(TextDelta.apply("abc", [0, 5]))
    assert.isUndefined(TextDelta.apply("abc", [-1, 1]))
    assert.isUndefined(TextDelta.apply("abc", { not: "a delta" }))
    assert.strictEqual(TextDelta.apply("abc", ["x", 1, 2]), "xbc")
  })
})

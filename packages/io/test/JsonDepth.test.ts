import { assert, describe, it } from "@effect/vitest"
import { nestsDeeperThan } from "../src/JsonDepth.ts"

/** The depth as JSON.parse sees it, walked by hand: the expected value is not computed by the scanner's own rule. */
const depthOf = (value: unknown): number =>
  value !== null && typeof value === "object" ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0

describe("nestsDeeperThan", () => {
  it("counts arrays and objects, not brackets inside strings (escaped quotes included)", () => {
    const texts = [
      `{"a":[1,{"b":[]}]}`,
      `{"a":"[[[[[[{{{{"}`,
      `["\\"[[[[", "\\\\", [["]]]]"]]]`,
      `"[[[["`,
      `[[[],[[[]]]]]`
    ]
    for (const text of texts) {
      const depth = depthOf(JSON.parse(text))
      assert.isFalse(nestsDeeperThan(text, depth), text)
      assert.strictEqual(nestsDeeperThan(text, depth - 1), depth > 0, text)
    }
  })

  it("reads 100,000 levels without a stack (JSON.stringify of them throws)", () => {
    const text = `${"[".repeat(100_000)}${"]".repeat(100_000)}`
    assert.throws(() => JSON.stringify(JSON.parse(text)), RangeError)
    assert.isTrue(nestsDeeperThan(text, 64))
    assert.isFalse(nestsDeeperThan(text, 100_000))
  })
})

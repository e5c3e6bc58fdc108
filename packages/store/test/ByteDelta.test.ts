import { assert, describe, it } from "@effect/vitest"
import { ByteDelta } from "@council/store"
import { random } from "./Random.ts"

describe("ByteDelta", () => {
  it("rebuilds the target exactly from any base: 1,000 generated pairs (edits, moves, unrelated texts, non-ASCII, short ones)", () => {
    const next = random(11)
    const alphabet = "abcdefghij{}[]\":,0123456789 éß€😀"
    const text = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join("")
    let delta = 0
    for (let round = 0; round < 1000; round++) {
      const base = text(Math.floor(next() * 2000))
      let target = base
      for (let edits = Math.floor(next() * 8); edits > 0; edits--) {
        const at = Math.floor(next() * (target.length + 1))
        const cut = Math.floor(next() * 300)
        target = next() < 0.15 ? text(Math.floor(next() * 700)) : target.slice(0, at) + text(Math.floor(next() * 50)) + target.slice(at + cut)
      }
      const [from, to] = [Buffer.from(base), Buffer.from(target)]
      const encoded = ByteDelta.diff(from, to, Infinity)
      assert.isDefined(encoded)
      delta += encoded!.length
      assert.isTrue(ByteDelta.apply(from, encoded!)?.equals(to), `round ${round}`)
    }
    assert.isAbove(delta, 0)
  })

  it("a window that slid costs what changed; texts too far apart are given up at the budget", () => {
    const bar = (i: number) => ({ date: `d${i}`, close: Math.sin(i), volume: 1000 + i })
    const rows = (from: number) => Buffer.from(JSON.stringify({ asOf: from, a: Array.from({ length: 400 }, (_, i) => bar(from + i)), b: Array.from({ length: 400 }, (_, i) => bar(from + i + 7)) }))
    const encoded = ByteDelta.diff(rows(0), rows(1), Infinity)!
    assert.isBelow(encoded.length, 250, "two new bars, two dropped, one date")
    assert.isTrue(ByteDelta.apply(rows(0), encoded)?.equals(rows(1)))
    const unrelated = Buffer.from(JSON.stringify(Array.from({ length: 2000 }, (_, i) => Math.cos(i))))
    assert.isUndefined(ByteDelta.diff(rows(0), unrelated, unrelated.length / 16))
  })

  it("a long insertion or cut inside a rewritten stretch is still found ahead (the far window), not written out", () => {
    const next = random(5)
    const text = (n: number) => Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(next() * 26))).join("")
    const [head, tail, moved] = [text(3000), text(3000), text(2000)]
    const rewritten = (n: number) => text(n)
    for (const before of [0, 40, 200, 600]) {
      // a stretch rewritten in place (substitutions), then 2,000 bytes inserted (or cut), then the rest unchanged
      const base = Buffer.from(head + rewritten(before) + tail)
      const inserted = Buffer.from(head + rewritten(before) + moved + tail)
      const cut = Buffer.from(head + rewritten(before) + tail.slice(1000))
      for (const [from, to] of [[base, inserted], [inserted, cut]] as const) {
        const encoded = ByteDelta.diff(from, to, Infinity)!
        assert.isTrue(ByteDelta.apply(from, encoded)?.equals(to))
        const written = to === inserted ? before + moved.length : before
        assert.isBelow(encoded.length, written + 300, `${before} bytes rewritten before the ${to === inserted ? "insertion" : "cut"}`)
      }
    }
  })

  it("refuses a malformed delta", () => {
    const base = Buffer.from("abcdef")
    assert.isUndefined(ByteDelta.apply(base, Buffer.from([0, 0, 9])), "copies past the base's end")
    assert.isUndefined(ByteDelta.apply(base, Buffer.from([0, 1, 1])), "copies from before its start")
    assert.isUndefined(ByteDelta.apply(base, Buffer.from([5, 0x78])), "a literal cut short")
    assert.isUndefined(ByteDelta.apply(base, Buffer.from([0, 0x80])), "a varint cut short")
    assert.strictEqual(ByteDelta.apply(base, Buffer.from([1, 0x78, 2, 3]))?.toString(), "xbcd")
  })
})

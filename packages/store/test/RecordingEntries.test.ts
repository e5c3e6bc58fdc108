import { assert, describe, it } from "@effect/vitest"
import { jsonText, textHash } from "@council/engine"
import type * as Schema from "effect/Schema"
import * as RecordingEntries from "../src/RecordingEntries.ts"

describe("RecordingEntries.pack", () => {
  it("writes JSON.stringify of the entries, large successes as references to blobs of their own", () => {
    const large = { bars: Array.from({ length: 200 }, (_, i) => ({ day: `d${i}`, close: 100 + i / 3 })) }
    const known = { rows: Array.from({ length: 200 }, (_, i) => ({ symbol: `S${i}`, note: "日本語 \u2028 \"q\"" })) }
    const knownText = jsonText(known)
    const values: ReadonlyArray<Schema.Json> = [
      { _tag: "Success", value: [{ close: 1 }] },
      { _tag: "Success", value: "tricky \"text\" \n", reusedFrom: "run-0" },
      { _tag: "Success", value: large },
      { _tag: "Success", value: known, reusedFrom: "run-1" },
      { _tag: "Failure", error: { message: "no" } },
      { value: large, _tag: "Success" },
      { _tag: "Success", value: large, reusedFrom: 3 },
      null,
      12.5
    ]
    const packed = RecordingEntries.pack(values.map((value, seq) => ({ key: `Market.bars(["SPY"])#${seq} "q"`, seq, value })))
    const largeHash = textHash(JSON.stringify(large))
    const expected = [
      ["Market.bars([\"SPY\"])#0 \"q\"", 0, values[0]],
      ["Market.bars([\"SPY\"])#1 \"q\"", 1, values[1]],
      ["Market.bars([\"SPY\"])#2 \"q\"", 2, 0, largeHash],
      ["Market.bars([\"SPY\"])#3 \"q\"", 3, 0, knownText.hash, "run-1"],
      ["Market.bars([\"SPY\"])#4 \"q\"", 4, values[4]],
      ["Market.bars([\"SPY\"])#5 \"q\"", 5, values[5]],
      ["Market.bars([\"SPY\"])#6 \"q\"", 6, values[6]],
      ["Market.bars([\"SPY\"])#7 \"q\"", 7, null],
      ["Market.bars([\"SPY\"])#8 \"q\"", 8, 12.5]
    ]
    assert.strictEqual(packed.entries.text, JSON.stringify(expected))
    assert.strictEqual(packed.entries.hash, textHash(packed.entries.text))
    assert.deepStrictEqual(packed.values.map((v) => v.text), [JSON.stringify(large), knownText.text])
    assert.deepStrictEqual(packed.values.map((v) => v.hash), [largeHash, knownText.hash])
    assert.strictEqual(jsonText(large).hash, largeHash, "a large value's text is remembered")
  })
})

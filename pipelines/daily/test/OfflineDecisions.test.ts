import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type Block, blocks } from "./fixtures/OfflineDecisions.ts"

const expected: { readonly block: number; readonly blocks: ReadonlyArray<Block> } = JSON.parse(
  readFileSync(new URL("fixtures/offline-decisions.json", import.meta.url), "utf8")
)

describe("the offline council over the whole bundled data", () => {
  it.effect("pitches, votes, briefs and closes are what main's code computed on every session", () =>
    Effect.gen(function*() {
      const actual = yield* blocks
      assert.strictEqual(actual.length, expected.blocks.length)
      actual.forEach((block, i) => assert.deepStrictEqual(block, expected.blocks[i], `sessions ${block.from} … ${block.to}`))
    }), 120_000)
})

import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { BundleFile, hashOf } from "@council/engine"

const runId = "2026-06-05-0a1b2c3d"
const bundle = {
  run: {
    id: runId, pipeline: "daily", tradingDay: "2026-06-05", asOf: "2026-06-05", mode: "record", dryRun: false,
    codeVersion: "0.1.0+older", parentRunId: null, forkFrom: null, status: "completed",
    startedAt: "2026-06-05T19:45:00.000Z", finishedAt: "2026-06-05T19:45:02.000Z", error: null, params: {}
  },
  checkpoints: [],
  recordings: [{ runId, stage: "FetchData", key: "market.bars#0", seq: 0, value: { _tag: "Success", value: 1 } }]
}
const hashes = { run: hashOf(bundle.run), checkpoints: {}, recordings: { FetchData: hashOf(bundle.recordings) } }
const withFormat = (format: string) => JSON.stringify({ format, ...bundle, hashes })

describe("bundle formats across versions", () => {
  it.effect("a bundle an older version exported (council-run-bundle/2, /3) is read as before", () =>
    Effect.gen(function*() {
      for (const format of ["council-run-bundle/2", "council-run-bundle/3"]) {
        const opened = yield* BundleFile.open("older.json", withFormat(format))
        assert.strictEqual(opened.run.id, runId)
        assert.strictEqual(opened.recordings.length, 1)
      }
    }))

  it.effect("a bundle of a later format is refused as a newer version's, naming both formats", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.flip(BundleFile.open("newer.json", withFormat("council-run-bundle/5")))
      assert.strictEqual(
        refused.message,
        "newer.json was written by a newer version of Council (format council-run-bundle/5; this version reads up to council-run-bundle/4): import it with that version or a later one"
      )
    }))
})

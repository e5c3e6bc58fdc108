import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { RunId, TradingDay } from "@council/domain"
import { BundleFile, type RunBundle } from "@council/engine"

const runId = RunId.make("2026-06-08-0a1b2c3d")

const bundle: RunBundle = {
  run: {
    id: runId,
    pipeline: "daily",
    tradingDay: TradingDay.make("2026-06-08"),
    asOf: TradingDay.make("2026-06-08"),
    mode: "record",
    dryRun: false,
    codeVersion: "0.1.0",
    parentRunId: null,
    forkFrom: null,
    status: "completed",
    startedAt: "2026-06-08T20:15:00.000Z",
    finishedAt: "2026-06-08T20:15:01.000Z",
    error: null,
    params: { accounts: ["COUNCIL"] }
  },
  checkpoints: ["FetchData", "CouncilSynthesis"].map((stage, i) => ({
    runId,
    stage,
    output: { stage, rationale: "buy the dip" },
    inputHash: `h${i}`,
    attempt: 1,
    startedAt: "2026-06-08T20:15:00.000Z",
    finishedAt: "2026-06-08T20:15:00.500Z",
    durationMs: 500,
    reusedFrom: null
  })),
  recordings: [0, 1].map((seq) => ({ runId, stage: "FetchData", key: `market.bars#${seq}`, seq, value: { _tag: "Success", value: seq } }))
}

const text = (value: unknown) => JSON.stringify(value)
const sealed = BundleFile.seal(bundle)
const rejected = (json: string) => Effect.flip(BundleFile.open("bundle.json", json)).pipe(Effect.map((e) => e.message))

describe("BundleFile", () => {
  it.effect("opens what it sealed", () =>
    Effect.gen(function*() {
      assert.strictEqual(sealed.format, "council-run-bundle/3")
      assert.deepStrictEqual(yield* BundleFile.open("bundle.json", text(sealed)), bundle)
    }))

  it.effect("refuses a bundle whose checkpoint, recordings or run record were edited, or whose parts were removed", () =>
    Effect.gen(function*() {
      const editedOutput = { ...sealed, checkpoints: sealed.checkpoints.map((c, i) => (i === 1 ? { ...c, output: { rationale: "sell" } } : c)) }
      assert.strictEqual(
        yield* rejected(text(editedOutput)),
        "bundle.json was changed after export: the checkpoint of stage CouncilSynthesis does not match its hash; refusing it"
      )
      const editedRecording = { ...sealed, recordings: [sealed.recordings[0]!, { ...sealed.recordings[1]!, value: { _tag: "Success", value: 99 } }] }
      assert.match(yield* rejected(text(editedRecording)), /the recordings of stage FetchData does not match its hash/)
      const editedRun = { ...sealed, run: { ...sealed.run, parentRunId: "2026-06-05-ffffffff" } }
      assert.match(yield* rejected(text(editedRun)), /its run record does not match its hash/)
      const dropped = { ...sealed, checkpoints: sealed.checkpoints.slice(0, 1) }
      assert.match(yield* rejected(text(dropped)), /the checkpoint of stage CouncilSynthesis is missing/)
      const noHash = { ...sealed, hashes: { ...sealed.hashes, checkpoints: {} } }
      assert.match(yield* rejected(text(noHash)), /the checkpoint of stage FetchData has no hash/)
    }))

  it.effect("refuses bundles of the first format, other formats and non-JSON with one line", () =>
    Effect.gen(function*() {
      assert.match(yield* rejected(text({ ...bundle, format: "council-run-bundle/1" })), /^bundle\.json is a council-run-bundle\/1 bundle, written before bundles carried hashes; export the run again/)
      assert.strictEqual(yield* rejected(text({ format: "zip" })), "bundle.json is not a Council run bundle (expected format council-run-bundle/3)")
      assert.strictEqual(yield* rejected("{not json"), "bundle.json is not a Council run bundle (not JSON)")
      assert.match(yield* rejected(text({ ...sealed, checkpoints: "none" })), /^bundle\.json is not a valid Council run bundle: /)
    }))
})

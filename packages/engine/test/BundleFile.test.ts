import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { RunId, TradingDay } from "@council/domain"
import { BundleFile, hashOf, type RunBundle } from "@council/engine"

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

/** A retry of the day's failed account (CHATGPT): its first two stages copied from the day's first run. */
const rootId = RunId.make("2026-06-08-feedface")
const rootParams = { accounts: ["COUNCIL", "CHATGPT"] }
const retryId = RunId.make("2026-06-08-0fedcba9")
const retry: RunBundle = {
  run: { ...bundle.run, id: retryId, parentRunId: rootId, forkFrom: "RiskApproval", params: { accounts: ["CHATGPT"], retryOf: rootId } },
  checkpoints: bundle.checkpoints.map((c) => ({ ...c, runId: retryId, reusedFrom: rootId })),
  recordings: bundle.recordings.map((r) => ({ ...r, runId: retryId })),
  origins: { [rootId]: rootParams }
}

const text = (value: unknown) => JSON.stringify(value)
const sealed = BundleFile.seal(bundle)
const retrySealed = BundleFile.seal(retry) as BundleFile.BundleFile & {
  readonly origins: NonNullable<RunBundle["origins"]>
  readonly hashes: { readonly origins: Record<string, string> }
}
const rejected = (json: string) => Effect.flip(BundleFile.open("bundle.json", json)).pipe(Effect.map((e) => e.message))

describe("BundleFile", () => {
  it.effect("opens what it sealed", () =>
    Effect.gen(function*() {
      assert.strictEqual(sealed.format, "council-run-bundle/4")
      assert.deepStrictEqual(yield* BundleFile.open("bundle.json", text(sealed)), bundle)
      // a run that reused nothing carries no origins, nor a hash of them: its file is what /3 wrote but the number
      assert.deepStrictEqual(Object.keys(sealed), ["format", "run", "checkpoints", "recordings", "hashes"])
      assert.deepStrictEqual(Object.keys(sealed.hashes), ["run", "checkpoints", "recordings"])
    }))

  it.effect("a retry's bundle carries the parameters of the run whose stages it reused, hashed: read back as written, refused once edited", () =>
    Effect.gen(function*() {
      const opened = yield* BundleFile.open("retry.json", text(retrySealed))
      assert.deepStrictEqual(opened.origins, { [rootId]: rootParams })
      assert.deepStrictEqual(opened, retry)
      const edited = { ...retrySealed, origins: { [rootId]: { accounts: ["COUNCIL"] } } }
      assert.strictEqual(
        yield* rejected(text(edited)),
        `bundle.json was changed after export: the parameters of run ${rootId} (whose stages it reused) do not match their hash; refusing it`
      )
      const dropped = { ...retrySealed, origins: {} }
      assert.match(yield* rejected(text(dropped)), new RegExp(`the parameters of run ${rootId} \\(whose stages it reused\\) are missing`))
      const unhashed = { ...retrySealed, hashes: { ...retrySealed.hashes, origins: {} } }
      assert.match(yield* rejected(text(unhashed)), /\(whose stages it reused\) have no hash/)
      const other = "2026-06-05-99999999"
      const stray = {
        ...retrySealed,
        origins: { ...retrySealed.origins, [other]: {} },
        hashes: { ...retrySealed.hashes, origins: { ...retrySealed.hashes.origins, [other]: hashOf({}) } }
      }
      assert.match(yield* rejected(text(stray)), new RegExp(`it holds the parameters of run ${other}, none of whose stages it reused`))
    }))

  it.effect("a /3 bundle of a retry (no origins) opens as before; origins put into one are not read", () =>
    Effect.gen(function*() {
      const { hashes, origins: _, ...rest } = retrySealed
      const older = { ...rest, format: "council-run-bundle/3", hashes: { run: hashes.run, checkpoints: hashes.checkpoints, recordings: hashes.recordings } }
      const opened = yield* BundleFile.open("older.json", text(older))
      assert.isUndefined(opened.origins)
      assert.deepStrictEqual(opened, { run: retry.run, checkpoints: retry.checkpoints, recordings: retry.recordings })
      const spliced = yield* BundleFile.open("older.json", text({ ...older, origins: retrySealed.origins, hashes: retrySealed.hashes }))
      assert.isUndefined(spliced.origins)
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
      assert.strictEqual(yield* rejected(text({ format: "zip" })), "bundle.json is not a Council run bundle (expected format council-run-bundle/4)")
      assert.strictEqual(yield* rejected("{not json"), "bundle.json is not a Council run bundle (not JSON)")
      assert.match(yield* rejected(text({ ...sealed, checkpoints: "none" })), /^bundle\.json is not a valid Council run bundle: /)
    }))
})

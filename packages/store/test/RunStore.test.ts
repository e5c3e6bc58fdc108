import { execFile } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { promisify } from "node:util"
import { deflateRawSync, zstdCompressSync, zstdDecompressSync } from "node:zlib"
import { afterAll, assert, describe, it, layer, type Vitest } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Option, Redacted } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import { Reactivity } from "effect/reactivity"
import { PgClient } from "@effect/sql-pg"
import { RunId, TradingDay } from "@council/domain"
import { type Checkpoint, isDamagedRun, type Recording, type RunBundle, type RunRecord, RunStore, type StoreError, textHash } from "@council/engine"
import { Database, NodeSqliteClient, SqlRunStore, TextDelta } from "@council/store"
import * as RecordingEntries from "../src/RecordingEntries.ts"
import { migrations } from "../src/migrations/index.ts"
import { PgServer } from "./PgServer.ts"

const dialectOf = SqlClient.SqlClient.useSync((sql) =>
  sql.onDialectOrElse({ pg: () => "pg", sqlite: () => "sqlite", orElse: () => "other" })
)

const migrationIds = Object.keys(migrations).map((key) => Number(key.slice(0, key.indexOf("_"))))

const tempDirs: Array<string> = []
const tempFile = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), "council-store-"))
  tempDirs.push(dir)
  return join(dir, name)
}
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const id = (value: string) => RunId.make(value)
const day = (value: string) => TradingDay.make(value)

const mkRun = (runId: string, overrides: Partial<RunRecord> = {}): RunRecord => ({
  id: id(runId),
  pipeline: "daily",
  tradingDay: day("2026-08-24"),
  asOf: day("2026-08-21"),
  mode: "record",
  dryRun: true,
  codeVersion: "abc123",
  parentRunId: null,
  forkFrom: null,
  status: "running",
  startedAt: "2026-08-24T13:00:00.000Z",
  finishedAt: null,
  error: null,
  params: { accounts: ["CHATGPT", "COUNCIL"], limits: { maxOrders: 5 } },
  ...overrides
})

const mkCheckpoint = (runId: string, stage: string, overrides: Partial<Checkpoint> = {}): Checkpoint => ({
  runId: id(runId),
  stage,
  output: { stage },
  inputHash: `hash-${stage}`,
  attempt: 1,
  startedAt: "2026-08-24T13:00:01.000Z",
  finishedAt: "2026-08-24T13:00:02.000Z",
  durationMs: 1000.5,
  reusedFrom: null,
  ...overrides
})

const mkRecording = (runId: string, stage: string, seq: number): Recording => ({
  runId: id(runId),
  stage,
  key: `Market.bars(["SPY"])#${seq}`,
  seq,
  value: { _tag: "Success", value: [{ close: 100 + seq }] }
})

const mkBundle = (runId: string): RunBundle => ({
  run: mkRun(runId, { status: "completed", finishedAt: "2026-08-24T13:05:00.000Z" }),
  checkpoints: [mkCheckpoint(runId, "fetch"), mkCheckpoint(runId, "pitch")],
  recordings: [mkRecording(runId, "fetch", 0), mkRecording(runId, "fetch", 1), mkRecording(runId, "pitch", 0)]
})

const trickyJson = {
  nested: { deeper: { deepest: [1, [2, [3, { four: 4 }]], []] }, empty: {} },
  unicode: "日本語 · émoji 🚀 · \u0000 nul · \"quotes\" \\ backslash \n newline · \u2028",
  numbers: [0.1 + 0.2, 1e21, 1e-7, -1.5, 2 ** 53 - 1, 2 ** 53 + 2, 12345678901234567890, 0, -42],
  literals: [true, false, null, "", "0", "null"],
  "key with spaces": 1,
  z: "keys keep their order",
  a: "after z"
}

/** The bar of day `i` as a market window holds it. */
const windowBar = (i: number) => ({ date: `day-${i}`, open: 100 + i / 3, high: 101 + i / 7, low: 99 - i / 11, close: 100 + Math.sin(i), volume: 1_000 + i })

/**
 * Two completed runs' `fetch` outputs of `bars` bars each, the second (`a-dep`) stored as a delta of the first
 * (`b-base`), then the base's stored text edited in place (one bar's volume) so it no longer matches its hash.
 */
const editedBaseOfDelta = (store: RunStore["Service"], sql: SqlClient.SqlClient, bars: number) =>
  Effect.gen(function*() {
    const output = (from: number) => ({ asOf: `day-${from}`, bars: Array.from({ length: bars }, (_, k) => windowBar(from + k)) })
    yield* Effect.forEach([mkRun("a-dep", { status: "completed" }), mkRun("b-base", { status: "completed" })], store.createRun, { discard: true })
    yield* store.putCheckpoint(mkCheckpoint("b-base", "fetch", { output: output(0) }))
    yield* store.putCheckpoint(mkCheckpoint("a-dep", "fetch", { output: output(50) }))
    const hashes = yield* sql<{ readonly run_id: string; readonly hash: string | Uint8Array }>`SELECT run_id, output_hash AS hash FROM checkpoints ORDER BY run_id`
    const bases = yield* Effect.forEach(hashes, (row) => sql<{ readonly base: unknown }>`SELECT base FROM blobs WHERE hash = ${row.hash}`)
    assert.deepStrictEqual(bases.map(([row]) => row!.base === null), [false, true], "the second compressed against the first, the first alone")
    // the base's first bar, which the slid window no longer holds: the dependent still rebuilds
    const [base] = yield* sql<{ readonly data: Uint8Array }>`SELECT data FROM blobs WHERE hash = ${hashes[1]!.hash}`
    const original = zstdDecompressSync(base!.data)
    const edited = Buffer.from(original.toString("utf8").replace(`"volume":1000}`, `"volume":1001}`))
    assert.isFalse(edited.equals(original))
    yield* sql`UPDATE blobs SET data = ${zstdCompressSync(edited)} WHERE hash = ${hashes[1]!.hash}`
  })

/** Creates run `runId` and commits its `fetch` stage: a checkpoint of `output` and one recorded call answering `value`. */
const commitFetch = (runId: string, output: Checkpoint["output"], value: Recording["value"]) =>
  Effect.gen(function*() {
    const store = yield* RunStore
    yield* store.createRun(mkRun(runId))
    yield* store.commitStage({
      runId: id(runId),
      stage: "fetch",
      checkpoint: mkCheckpoint(runId, "fetch", { output }),
      recordings: [{ ...mkRecording(runId, "fetch", 0), value: { _tag: "Success", value } }]
    })
  })

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) return assert.fail("expected a failure")
  const error = exit.cause.reasons.find((reason) => reason._tag === "Fail")
  return error?._tag === "Fail" ? error.error : assert.fail(`expected a typed failure, got ${exit.cause}`)
}

/** The `RunStore` contract, run against a fresh, empty store per test. */
const contract = <R>(
  it: Vitest.MethodsNonLive<R>,
  freshStore: Effect.Effect<Layer.Layer<RunStore, unknown>, never, R>
) => {
  const test = (name: string, body: Effect.Effect<void, unknown, RunStore>) =>
    it.effect(name, () => Effect.flatMap(freshStore, (store) => Effect.provide(body, store)))

  test("creates, reads and updates a run", Effect.gen(function*() {
    const store = yield* RunStore
    const run = mkRun("r1")
    yield* store.createRun(run)
    assert.deepStrictEqual(yield* store.getRun(run.id), Option.some(run))
    assert.isTrue(Option.isNone(yield* store.getRun(id("missing"))))
    yield* store.updateRun(run.id, { status: "failed", finishedAt: "2026-08-24T14:00:00.000Z", error: "boom" })
    assert.deepStrictEqual(
      yield* store.getRun(run.id),
      Option.some({ ...run, status: "failed" as const, finishedAt: "2026-08-24T14:00:00.000Z", error: "boom" })
    )
    yield* store.updateRun(run.id, { status: "running", finishedAt: null, error: null })
    assert.deepStrictEqual(yield* store.getRun(run.id), Option.some(run))
  }))

  test("keeps every run field, including a fork's parent and flags", Effect.gen(function*() {
    const store = yield* RunStore
    const parent = mkRun("parent", { dryRun: false, mode: "live" })
    const fork = mkRun("fork", { parentRunId: parent.id, forkFrom: "pitch", mode: "replay", params: [] })
    yield* store.createRun(parent)
    yield* store.createRun(fork)
    assert.deepStrictEqual(yield* store.getRun(parent.id), Option.some(parent))
    assert.deepStrictEqual(yield* store.getRun(fork.id), Option.some(fork))
  }))

  test("refuses a duplicate run id and keeps the original", Effect.gen(function*() {
    const store = yield* RunStore
    const run = mkRun("dup")
    yield* store.createRun(run)
    const error = failureOf(yield* Effect.exit(store.createRun(mkRun("dup", { pipeline: "other" }))))
    assert.strictEqual(error._tag, "StoreError")
    assert.strictEqual(error.operation, "createRun")
    assert.include(error.message, "dup")
    assert.deepStrictEqual(yield* store.getRun(run.id), Option.some(run))
  }))

  test("fails to update a missing run", Effect.gen(function*() {
    const store = yield* RunStore
    const error = failureOf(
      yield* Effect.exit(store.updateRun(id("ghost"), { status: "completed", finishedAt: null, error: null }))
    )
    assert.strictEqual(error.operation, "updateRun")
    assert.include(error.message, "ghost")
  }))

  test("lists runs newest first, then by id, with limit and filters", Effect.gen(function*() {
    const store = yield* RunStore
    const runs = [
      mkRun("run-a", { startedAt: "2026-08-24T10:00:00.000Z" }),
      mkRun("run-c", { startedAt: "2026-08-25T10:00:00.000Z", tradingDay: day("2026-08-25") }),
      mkRun("run-b", { startedAt: "2026-08-25T10:00:00.000Z", tradingDay: day("2026-08-25") }),
      mkRun("run-d", { startedAt: "2026-08-23T10:00:00.000Z", pipeline: "weekly" }),
      mkRun("run-e", { startedAt: "2026-08-26T10:00:00.000Z", pipeline: "weekly", tradingDay: day("2026-08-25") })
    ]
    yield* Effect.forEach(runs, store.createRun, { discard: true })
    const ids = (list: ReadonlyArray<RunRecord>) => list.map((r) => r.id)
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 10 })), ["run-e", "run-c", "run-b", "run-a", "run-d"])
    assert.deepStrictEqual(yield* store.surveyRuns({ limit: 10 }), yield* store.listRuns({ limit: 10 }))
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 2 })), ["run-e", "run-c"])
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 0 })), [])
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 10, pipeline: "weekly" })), ["run-e", "run-d"])
    assert.deepStrictEqual(
      ids(yield* store.listRuns({ limit: 10, tradingDay: day("2026-08-25") })),
      ["run-e", "run-c", "run-b"]
    )
    assert.deepStrictEqual(
      ids(yield* store.listRuns({ limit: 10, pipeline: "daily", tradingDay: day("2026-08-25") })),
      ["run-c", "run-b"]
    )
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 10, pipeline: "nope" })), [])
    assert.deepStrictEqual((yield* store.listRuns({ limit: 1 }))[0], runs[4])
  }))

  test("upserts checkpoints and keeps their first-write order", Effect.gen(function*() {
    const store = yield* RunStore
    yield* store.createRun(mkRun("r1"))
    yield* store.createRun(mkRun("r2"))
    yield* store.putCheckpoint(mkCheckpoint("r1", "fetch"))
    yield* store.putCheckpoint(mkCheckpoint("r2", "other"))
    yield* store.putCheckpoint(mkCheckpoint("r1", "pitch"))
    yield* store.putCheckpoint(mkCheckpoint("r1", "council"))
    const retried = mkCheckpoint("r1", "fetch", {
      output: { retried: true },
      attempt: 2,
      durationMs: 3,
      reusedFrom: id("r0"),
      inputHash: "new-hash"
    })
    yield* store.putCheckpoint(retried)
    const checkpoints = yield* store.getCheckpoints(id("r1"))
    assert.deepStrictEqual(checkpoints.map((c) => c.stage), ["fetch", "pitch", "council"])
    assert.deepStrictEqual(checkpoints[0], retried)
    assert.deepStrictEqual(checkpoints[1], mkCheckpoint("r1", "pitch"))
    assert.deepStrictEqual(yield* store.getCheckpoints(id("r2")), [mkCheckpoint("r2", "other")])
    assert.deepStrictEqual(yield* store.getCheckpoints(id("none")), [])
    assert.deepStrictEqual(yield* store.getCheckpoints(id("r1"), "pitch"), [mkCheckpoint("r1", "pitch")])
    assert.deepStrictEqual(yield* store.getCheckpoints(id("r1"), "nowhere"), [])
  }))

  test("commits a stage's checkpoint with its recordings, which replace the stage's earlier ones", Effect.gen(function*() {
    const store = yield* RunStore
    yield* store.createRun(mkRun("r1"))
    yield* store.createRun(mkRun("r2"))
    const fetch = [mkRecording("r1", "fetch", 0), mkRecording("r1", "fetch", 1)]
    const pitch = [mkRecording("r1", "pitch", 0), mkRecording("r1", "pitch", 1)]
    yield* store.commitStage({ runId: id("r1"), stage: "fetch", checkpoint: mkCheckpoint("r1", "fetch"), recordings: fetch })
    yield* store.commitStage({ runId: id("r2"), stage: "fetch", checkpoint: null, recordings: [mkRecording("r2", "fetch", 0)] })
    yield* store.commitStage({ runId: id("r1"), stage: "pitch", checkpoint: null, recordings: pitch })
    assert.deepStrictEqual(yield* store.getRecordings(id("r1")), [...fetch, ...pitch])
    assert.deepStrictEqual(yield* store.getCheckpoints(id("r1")), [mkCheckpoint("r1", "fetch")])

    const retry = { ...mkRecording("r1", "fetch", 0), value: { _tag: "Failure", error: { reason: "timeout" } } }
    const retried = mkCheckpoint("r1", "fetch", { attempt: 2, output: { retried: true } })
    yield* store.commitStage({ runId: id("r1"), stage: "fetch", checkpoint: retried, recordings: [retry] })
    assert.deepStrictEqual(yield* store.getRecordings(id("r1")), [retry, ...pitch])
    assert.deepStrictEqual(yield* store.getCheckpoints(id("r1")), [retried])
    yield* store.commitStage({ runId: id("r1"), stage: "pitch", checkpoint: mkCheckpoint("r1", "pitch"), recordings: [] })
    assert.deepStrictEqual(yield* store.getRecordings(id("r1")), [retry])
    assert.deepStrictEqual((yield* store.getCheckpoints(id("r1"))).map((c) => c.stage), ["fetch", "pitch"])
    assert.deepStrictEqual(yield* store.getRecordings(id("r2")), [mkRecording("r2", "fetch", 0)])
    assert.deepStrictEqual(yield* store.getRecordings(id("none")), [])
    const error = failureOf(yield* Effect.exit(store.commitStage({ runId: id("ghost"), stage: "fetch", checkpoint: null, recordings: [] })))
    assert.strictEqual(error.operation, "commitStage")
  }))

  test("commits several stages, and the run itself, in one batch (`commitStages`); a refused batch writes nothing", Effect.gen(function*() {
    const store = yield* RunStore
    const run = mkRun("batch")
    const fetch = [mkRecording("batch", "fetch", 0), mkRecording("batch", "fetch", 1)]
    const pitch = [mkRecording("batch", "pitch", 0)]
    yield* store.commitStages({
      create: run,
      commits: [
        { runId: run.id, stage: "fetch", checkpoint: mkCheckpoint("batch", "fetch"), recordings: fetch },
        { runId: run.id, stage: "pitch", checkpoint: mkCheckpoint("batch", "pitch", { output: { shared: trickyJson } }), recordings: pitch }
      ]
    })
    assert.deepStrictEqual(yield* store.getRun(run.id), Option.some(run))
    assert.deepStrictEqual(yield* store.getRecordings(run.id), [...fetch, ...pitch])
    assert.deepStrictEqual(yield* store.getCheckpoints(run.id), [mkCheckpoint("batch", "fetch"), mkCheckpoint("batch", "pitch", { output: { shared: trickyJson } })])

    // a later batch of the same run (no `create`): a re-committed stage keeps its place, the last one completes the run
    const finishedAt = "2026-08-24T14:00:00.000Z"
    const retried = mkCheckpoint("batch", "fetch", { attempt: 2 })
    yield* store.commitStages({
      commits: [
        { runId: run.id, stage: "fetch", checkpoint: retried, recordings: [] },
        { runId: run.id, stage: "act", checkpoint: mkCheckpoint("batch", "act"), recordings: [], completes: finishedAt }
      ]
    })
    assert.deepStrictEqual((yield* store.getCheckpoints(run.id)).map((c) => [c.stage, c.attempt]), [["fetch", 2], ["pitch", 1], ["act", 1]])
    assert.deepStrictEqual(yield* store.getRecordings(run.id), pitch)
    assert.deepStrictEqual(yield* store.getRun(run.id), Option.some({ ...run, status: "completed" as const, finishedAt, error: null }))

    const taken = failureOf(yield* Effect.exit(store.commitStages({
      create: mkRun("batch", { codeVersion: "other" }),
      commits: [{ runId: run.id, stage: "late", checkpoint: mkCheckpoint("batch", "late"), recordings: [] }]
    })))
    assert.strictEqual(taken.operation, "commitStages")
    assert.include(taken.message, "run batch already exists")
    assert.deepStrictEqual((yield* store.getCheckpoints(run.id)).map((c) => c.stage), ["fetch", "pitch", "act"])
    const ghost = failureOf(yield* Effect.exit(store.commitStages({
      create: mkRun("real"),
      commits: [{ runId: id("ghost"), stage: "fetch", checkpoint: null, recordings: [mkRecording("ghost", "fetch", 0)] }]
    })))
    assert.strictEqual(ghost.operation, "commitStages")
    assert.isTrue(Option.isNone(yield* store.getRun(id("real"))), "a refused batch leaves no run")
  }))

  test("a batch that names a stage twice, or holds many stages, writes as one commit after another would", Effect.gen(function*() {
    const store = yield* RunStore
    const run = mkRun("many")
    const stages = Array.from({ length: 45 }, (_, i) => `stage-${String(i).padStart(2, "0")}`)
    const first = [mkRecording("many", "fetch", 0)]
    const again = [mkRecording("many", "fetch", 1)]
    yield* store.commitStages({
      create: run,
      commits: [
        // a failed attempt's recordings, then the stage again with its checkpoint: the second replaces the first
        { runId: run.id, stage: "fetch", checkpoint: null, recordings: first },
        { runId: run.id, stage: "pitch", checkpoint: mkCheckpoint("many", "pitch"), recordings: [] },
        { runId: run.id, stage: "fetch", checkpoint: mkCheckpoint("many", "fetch", { attempt: 2 }), recordings: again },
        ...stages.map((stage) => ({ runId: run.id, stage, checkpoint: mkCheckpoint("many", stage), recordings: [mkRecording("many", stage, 0)] }))
      ]
    })
    assert.deepStrictEqual((yield* store.getCheckpoints(run.id)).map((c) => [c.stage, c.attempt]), [["pitch", 1], ["fetch", 2], ...stages.map((s) => [s, 1])])
    assert.deepStrictEqual((yield* store.getRecordings(run.id)).map((r) => [r.stage, r.key]), [
      ["fetch", again[0]!.key],
      ...stages.map((s) => [s, mkRecording("many", s, 0).key])
    ])
  }))

  test("a run's last stage's commit completes the run with it (`completes`)", Effect.gen(function*() {
    const store = yield* RunStore
    const run = mkRun("done")
    yield* store.createRun(run)
    yield* store.commitStage({ runId: run.id, stage: "fetch", checkpoint: mkCheckpoint("done", "fetch"), recordings: [] })
    assert.strictEqual(Option.getOrThrow(yield* store.getRun(run.id)).status, "running")
    const finishedAt = "2026-08-24T14:00:00.000Z"
    yield* store.commitStage({ runId: run.id, stage: "pitch", checkpoint: mkCheckpoint("done", "pitch"), recordings: [], completes: finishedAt })
    assert.deepStrictEqual(yield* store.getRun(run.id), Option.some({ ...run, status: "completed" as const, finishedAt, error: null }))
    assert.deepStrictEqual((yield* store.getCheckpoints(run.id)).map((c) => c.stage), ["fetch", "pitch"])
  }))

  test("keeps large recorded values, shared ones and a fork's reuse marks exactly", Effect.gen(function*() {
    const store = yield* RunStore
    const snapshot = { asOf: "2026-08-21", rows: Array.from({ length: 200 }, (_, i) => ({ symbol: `S${i}`, close: 100 + i / 7 })) }
    const large = (runId: string, stage: string, seq: number, extra: object = {}): Recording => ({
      runId: id(runId),
      stage,
      key: `market.snapshot#${seq}`,
      seq,
      value: { _tag: "Success", value: snapshot, ...extra }
    })
    yield* store.createRun(mkRun("a"))
    yield* store.createRun(mkRun("b"))
    const first = [large("a", "fetch", 0), mkRecording("a", "fetch", 1), large("a", "fetch", 2, { reusedFrom: "parent" })]
    yield* store.commitStage({ runId: id("a"), stage: "fetch", checkpoint: mkCheckpoint("a", "fetch", { output: snapshot }), recordings: first })
    yield* store.commitStage({ runId: id("b"), stage: "fetch", checkpoint: mkCheckpoint("b", "fetch", { output: snapshot }), recordings: [large("b", "fetch", 0)] })
    const odd: Recording = { ...mkRecording("b", "pitch", 0), value: { value: snapshot, _tag: "Success" } }
    yield* store.commitStage({ runId: id("b"), stage: "pitch", checkpoint: null, recordings: [odd] })
    const read = yield* store.getRecordings(id("a"))
    assert.deepStrictEqual(read, first)
    assert.strictEqual(JSON.stringify(read), JSON.stringify(first))
    const other = yield* store.getRecordings(id("b"))
    assert.strictEqual(JSON.stringify(other), JSON.stringify([large("b", "fetch", 0), odd]))
    assert.deepStrictEqual((yield* store.getCheckpoints(id("b")))[0]?.output, snapshot)
  }))

  test("imports a bundle", Effect.gen(function*() {
    const store = yield* RunStore
    const bundle = mkBundle("imported")
    yield* store.importBundle(bundle)
    assert.deepStrictEqual(yield* store.getRun(bundle.run.id), Option.some(bundle.run))
    assert.deepStrictEqual(yield* store.getCheckpoints(bundle.run.id), bundle.checkpoints)
    assert.deepStrictEqual(yield* store.getRecordings(bundle.run.id), bundle.recordings)
  }))

  test("reads one stage's output of every completed run in a window, with the run's day, flag and start", Effect.gen(function*() {
    const store = yield* RunStore
    const completed = (runId: string, tradingDay: string, startedAt: string, overrides: Partial<RunRecord> = {}) =>
      mkRun(runId, { tradingDay: day(tradingDay), startedAt, status: "completed", finishedAt: startedAt, ...overrides })
    const runs = [
      completed("d2-late", "2026-08-25", "2026-08-25T15:00:00.000Z"),
      completed("d2-early", "2026-08-25", "2026-08-25T10:00:00.000Z", { dryRun: false }),
      completed("d1", "2026-08-24", "2026-08-24T10:00:00.000Z"),
      completed("d1-no-synthesis", "2026-08-24", "2026-08-24T11:00:00.000Z"),
      mkRun("d1-running", { tradingDay: day("2026-08-24") }),
      completed("d3-weekly", "2026-08-26", "2026-08-26T10:00:00.000Z", { pipeline: "weekly" }),
      completed("d4-outside", "2026-08-27", "2026-08-27T10:00:00.000Z")
    ]
    yield* Effect.forEach(runs, store.createRun, { discard: true })
    for (const run of runs.filter((r) => r.id !== "d1-no-synthesis")) {
      yield* store.putCheckpoint(mkCheckpoint(run.id, "fetch", { output: { big: "x".repeat(300), run: run.id } }))
      yield* store.putCheckpoint(mkCheckpoint(run.id, "council", { output: { vote: run.id, trades: [{ symbol: "SPY" }] } }))
    }
    yield* store.putCheckpoint(mkCheckpoint("d1-no-synthesis", "fetch"))
    yield* store.importBundle({ ...mkBundle("d2-imported"), run: completed("d2-imported", "2026-08-25", "2026-08-25T12:00:00.000Z") })
    const read = yield* store.stageOutputs({ pipeline: "daily", stage: "council", from: day("2026-08-24"), to: day("2026-08-26"), origin: "local" })
    assert.deepStrictEqual(read, [
      { runId: id("d1"), tradingDay: day("2026-08-24"), dryRun: true, startedAt: "2026-08-24T10:00:00.000Z", output: { vote: "d1", trades: [{ symbol: "SPY" }] } },
      { runId: id("d1-no-synthesis"), tradingDay: day("2026-08-24"), dryRun: true, startedAt: "2026-08-24T11:00:00.000Z" },
      { runId: id("d2-early"), tradingDay: day("2026-08-25"), dryRun: false, startedAt: "2026-08-25T10:00:00.000Z", output: { vote: "d2-early", trades: [{ symbol: "SPY" }] } },
      { runId: id("d2-late"), tradingDay: day("2026-08-25"), dryRun: true, startedAt: "2026-08-25T15:00:00.000Z", output: { vote: "d2-late", trades: [{ symbol: "SPY" }] } }
    ])
    const everyOrigin = yield* store.stageOutputs({ pipeline: "daily", stage: "pitch", from: day("2026-08-25"), to: day("2026-08-25") })
    assert.deepStrictEqual(everyOrigin.map((o) => [o.runId, o.output]), [
      [id("d2-early"), undefined],
      [id("d2-imported"), { stage: "pitch" }],
      [id("d2-late"), undefined]
    ])
    assert.deepStrictEqual(yield* store.stageOutputs({ pipeline: "daily", stage: "council", from: day("2026-09-01"), to: day("2026-09-30") }), [])
  }))

  test("reads a stage's digest instead of its output where its checkpoint kept one, the output elsewhere", Effect.gen(function*() {
    const store = yield* RunStore
    const names = ["kept", "none", "rewritten", "retried", "dropped"]
    const runs = names.map((name, i) =>
      mkRun(name, { tradingDay: day(`2026-08-2${i}`), startedAt: `2026-08-2${i}T10:00:00.000Z`, status: "completed", finishedAt: `2026-08-2${i}T10:00:00.000Z` }))
    yield* Effect.forEach(runs, store.createRun, { discard: true })
    const commit = (runId: string, digest?: { readonly vote: string }) =>
      store.commitStage({
        runId: id(runId),
        stage: "council",
        checkpoint: mkCheckpoint(runId, "council", { output: { vote: runId, digested: digest?.vote ?? null } }),
        recordings: [],
        ...(digest === undefined ? {} : { digest })
      })
    yield* commit("kept", { vote: "kept" })
    yield* commit("none")
    yield* commit("rewritten", { vote: "rewritten" })
    yield* store.putCheckpoint(mkCheckpoint("rewritten", "council", { output: { vote: "rewritten", digested: "put" } }))
    yield* commit("retried", { vote: "first" })
    yield* commit("retried", { vote: "second" })
    yield* commit("dropped", { vote: "dropped" })
    yield* commit("dropped")
    yield* store.importBundle({
      ...mkBundle("imported"),
      run: mkRun("imported", { tradingDay: day("2026-08-25"), status: "completed", finishedAt: "2026-08-25T10:00:00.000Z" }),
      checkpoints: [mkCheckpoint("imported", "council", { output: { vote: "imported" } })]
    })
    const query = { pipeline: "daily", stage: "council", from: day("2026-08-20"), to: day("2026-08-25") }
    const read = yield* store.stageOutputs({ ...query, digests: true })
    assert.deepStrictEqual(read.map((o) => [o.runId, o.digest ?? null, o.output ?? null]), [
      [id("kept"), { vote: "kept" }, null],
      [id("none"), null, { vote: "none", digested: null }],
      [id("rewritten"), null, { vote: "rewritten", digested: "put" }],
      [id("retried"), { vote: "second" }, null],
      [id("dropped"), null, { vote: "dropped", digested: null }],
      [id("imported"), null, { vote: "imported" }]
    ])
    // without `digests`, every output as before
    assert.deepStrictEqual((yield* store.stageOutputs(query)).map((o) => [o.runId, o.digest ?? null, (o.output as { vote: string }).vote]), [
      [id("kept"), null, "kept"],
      [id("none"), null, "none"],
      [id("rewritten"), null, "rewritten"],
      [id("retried"), null, "retried"],
      [id("dropped"), null, "dropped"],
      [id("imported"), null, "imported"]
    ])
  }))

  test("tells imported runs from local ones (a fork written as a bundle is local)", Effect.gen(function*() {
    const store = yield* RunStore
    yield* store.createRun(mkRun("made-here"))
    yield* store.importBundle(mkBundle("from-elsewhere"))
    yield* store.importBundle(mkBundle("forked-here"), "local")
    const ids = (runs: ReadonlyArray<RunRecord>) => runs.map((r) => r.id).sort()
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 10, origin: "imported" })), ["from-elsewhere"])
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 10, origin: "local" })), ["forked-here", "made-here"])
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 10 })), ["forked-here", "from-elsewhere", "made-here"])
  }))

  test("imports a large bundle and an empty one", Effect.gen(function*() {
    const store = yield* RunStore
    const big: RunBundle = {
      ...mkBundle("big"),
      checkpoints: Array.from({ length: 250 }, (_, i) => mkCheckpoint("big", `stage-${i}`)),
      recordings: Array.from({ length: 450 }, (_, i) => mkRecording("big", `stage-${i % 7}`, i))
    }
    yield* store.importBundle(big)
    assert.deepStrictEqual(yield* store.getCheckpoints(big.run.id), big.checkpoints)
    const byStage = Array.from({ length: 7 }, (_, k) => big.recordings.filter((r) => r.stage === `stage-${k}`)).flat()
    assert.deepStrictEqual(yield* store.getRecordings(big.run.id), byStage)
    const empty: RunBundle = { ...mkBundle("empty"), checkpoints: [], recordings: [] }
    yield* store.importBundle(empty)
    assert.deepStrictEqual(yield* store.getRun(empty.run.id), Option.some(empty.run))
    assert.deepStrictEqual(yield* store.getCheckpoints(empty.run.id), [])
  }))

  test("refuses to import over an existing run and changes nothing", Effect.gen(function*() {
    const store = yield* RunStore
    const existing = mkRun("taken")
    yield* store.createRun(existing)
    yield* store.putCheckpoint(mkCheckpoint("taken", "fetch"))
    const error = failureOf(yield* Effect.exit(store.importBundle(mkBundle("taken"))))
    assert.strictEqual(error.operation, "importBundle")
    assert.include(error.message, "taken")
    assert.deepStrictEqual(yield* store.getRun(existing.id), Option.some(existing))
    assert.deepStrictEqual(yield* store.getCheckpoints(existing.id), [mkCheckpoint("taken", "fetch")])
    assert.deepStrictEqual(yield* store.getRecordings(existing.id), [])
  }))

  test("round-trips JSON payloads exactly", Effect.gen(function*() {
    const store = yield* RunStore
    const run = mkRun("json", { params: trickyJson })
    yield* store.createRun(run)
    yield* store.putCheckpoint(mkCheckpoint("json", "fetch", { output: trickyJson }))
    yield* store.putCheckpoint(mkCheckpoint("json", "scalar", { output: 0.1 + 0.2 }))
    yield* store.putCheckpoint(mkCheckpoint("json", "null", { output: null }))
    yield* store.putCheckpoint(mkCheckpoint("json", "string", { output: "just a string" }))
    yield* store.commitStage({
      runId: run.id,
      stage: "fetch",
      checkpoint: null,
      recordings: [{ ...mkRecording("json", "fetch", 0), value: { _tag: "Success", value: trickyJson } }]
    })

    const stored = yield* store.getRun(run.id)
    assert.deepStrictEqual(stored, Option.some(run))
    assert.strictEqual(JSON.stringify(Option.getOrThrow(stored).params), JSON.stringify(trickyJson))
    const checkpoints = yield* store.getCheckpoints(run.id)
    assert.deepStrictEqual(checkpoints.map((c) => c.output), [trickyJson, 0.1 + 0.2, null, "just a string"])
    assert.strictEqual(JSON.stringify(checkpoints[0]?.output), JSON.stringify(trickyJson))
    assert.strictEqual(checkpoints[1]?.output, 0.30000000000000004)
    const [recording] = yield* store.getRecordings(run.id)
    assert.strictEqual(JSON.stringify(recording?.value), JSON.stringify({ _tag: "Success", value: trickyJson }))
  }))
}

const sqlOnly = <R>(
  it: Vitest.MethodsNonLive<R>,
  freshStore: Effect.Effect<Layer.Layer<RunStore | SqlClient.SqlClient, unknown>, never, R>
) => {
  const test = (name: string, body: Effect.Effect<void, unknown, RunStore | SqlClient.SqlClient>) =>
    it.effect(name, () => Effect.flatMap(freshStore, (store) => Effect.provide(body, store)))

  test("a bundle that fails half way leaves nothing behind", Effect.gen(function*() {
    const store = yield* RunStore
    const bundle = mkBundle("half")
    const broken: RunBundle = { ...bundle, checkpoints: [...bundle.checkpoints, mkCheckpoint("half", "fetch")] }
    const error = failureOf(yield* Effect.exit(store.importBundle(broken)))
    assert.strictEqual(error.operation, "importBundle")
    assert.isTrue(Option.isNone(yield* store.getRun(bundle.run.id)))
    assert.deepStrictEqual(yield* store.getCheckpoints(bundle.run.id), [])
    assert.deepStrictEqual(yield* store.getRecordings(bundle.run.id), [])
    yield* store.importBundle(bundle)
    assert.deepStrictEqual(yield* store.getCheckpoints(bundle.run.id), bundle.checkpoints)
  }))

  test("refuses a bundle carrying another run's data", Effect.gen(function*() {
    const store = yield* RunStore
    const bundle = mkBundle("mine")
    const error = failureOf(
      yield* Effect.exit(store.importBundle({ ...bundle, recordings: [mkRecording("theirs", "fetch", 0)] }))
    )
    assert.include(error.message, "theirs")
    assert.isTrue(Option.isNone(yield* store.getRun(bundle.run.id)))
  }))

  test("a refused run leaves nothing behind, not even its parameters", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const blobs = () => Effect.map(sql<{ readonly n: number | bigint }>`SELECT COUNT(*) AS n FROM blobs`, (rows) => Number(rows[0]?.n))
    yield* store.createRun(mkRun("taken"))
    const before = yield* blobs()
    const error = failureOf(yield* Effect.exit(store.createRun(mkRun("taken", { params: { never: "stored" } }))))
    assert.include(error.message, "already exists")
    assert.strictEqual(yield* blobs(), before)
    // the parameters are written when a run that is not refused brings them
    yield* store.createRun(mkRun("other", { params: { never: "stored" } }))
    assert.strictEqual(yield* blobs(), before + 1)
    assert.deepStrictEqual(Option.map(yield* store.getRun(id("other")), (run) => run.params), Option.some({ never: "stored" }))
  }))

  test("reports undecodable stored data as a StoreError", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    yield* store.createRun(mkRun("corrupt"))
    yield* sql`UPDATE blobs SET body = ${"{not json"}`
    const error = failureOf(yield* Effect.exit(store.getRun(id("corrupt"))))
    assert.strictEqual(error._tag, "StoreError")
    assert.strictEqual(error.operation, "getRun")
    assert.strictEqual(error.kind, "damaged")
    // a failure that is not damage has no kind: a run that already exists
    const twice = failureOf(yield* Effect.exit(store.createRun(mkRun("corrupt"))))
    assert.deepStrictEqual([twice._tag, twice.kind], ["StoreError", undefined])
  }))

  test("stored data that is missing or damaged is named by what it holds: a run, its parameters, checkpoint or recordings", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const sqlite = (yield* dialectOf) === "sqlite"
    const named = id("named")
    yield* store.createRun(mkRun("named", { params: { only: "named" } }))
    yield* store.commitStage({ runId: named, stage: "fetch", checkpoint: mkCheckpoint("named", "fetch", { output: { only: "named" } }), recordings: [mkRecording("named", "fetch", 0)] })
    // each read by a store that remembers no text, as a process opening the database does
    // each of kind `damaged`: what the monitor answers 500 for, whatever the wording
    const fresh = <A>(read: (s: RunStore["Service"]) => Effect.Effect<A, StoreError>) =>
      Effect.map(Effect.exit(Effect.flatMap(SqlRunStore.make, read)), (exit) => {
        const error = failureOf(exit)
        assert.strictEqual(error.kind, "damaged", error.message)
        return error.message
      })
    yield* sql`UPDATE runs SET status = 'bogus' WHERE id = ${named}`
    assert.match(yield* fresh((s) => s.listRuns({ limit: 5 })), /^run named: stored data does not decode: Expected "running"/)
    yield* sql`UPDATE runs SET status = 'completed' WHERE id = ${named}`
    if (sqlite) {
      yield* sql`UPDATE checkpoints SET duration_ms = 'abc' WHERE run_id = ${named}`
      assert.match(yield* fresh((s) => s.getCheckpoints(named)), /^run named's checkpoint of fetch: stored data does not decode: /)
      yield* sql`UPDATE checkpoints SET duration_ms = 5 WHERE run_id = ${named}`
    }
    const [checkpoint] = yield* sql<{ readonly hash: string | Uint8Array }>`SELECT output_hash AS hash FROM checkpoints WHERE run_id = ${named}`
    yield* sql`UPDATE blobs SET body = ${"{not json"}, data = NULL, base = NULL, z = 0 WHERE hash = ${checkpoint!.hash}`
    assert.match(yield* fresh((s) => s.getCheckpoints(named)), /^run named's checkpoint of fetch: stored blob [0-9a-f]{32} is not JSON$/)
    yield* sql`DELETE FROM blobs WHERE hash = ${checkpoint!.hash}`
    assert.match(yield* fresh((s) => s.getCheckpoints(named)), /^run named's checkpoint of fetch: stored blob [0-9a-f]{32} is missing$/)
    const [entries] = yield* sql<{ readonly hash: string | Uint8Array }>`SELECT entries_hash AS hash FROM stage_recordings WHERE run_id = ${named}`
    yield* sql`DELETE FROM blobs WHERE hash = ${entries!.hash}`
    assert.match(yield* fresh((s) => s.getRecordings(named)), /^run named's recordings of fetch: stored blob [0-9a-f]{32} is missing$/)
    const [params] = yield* sql<{ readonly hash: string }>`SELECT params_hash AS hash FROM runs WHERE id = ${named}`
    yield* sqlite ? sql`DELETE FROM blobs WHERE hash = unhex(${params!.hash})` : sql`DELETE FROM blobs WHERE hash = ${params!.hash}`
    assert.match(yield* fresh((s) => s.getRun(named)), /^run named's parameters: stored blob [0-9a-f]{32} is missing$/)
  }))

  test("a blob stored as it is (or compressed alone) whose text was edited or rotted is named as damaged, not read back edited", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const rot = id("rot")
    yield* store.createRun(mkRun("rot", { params: { only: "rot" } }))
    const window = { asOf: "day-9", bars: Array.from({ length: 50 }, (_, k) => windowBar(k)) }
    yield* store.commitStage({ runId: rot, stage: "fetch", checkpoint: mkCheckpoint("rot", "fetch", { output: { small: 1 } }), recordings: [{ ...mkRecording("rot", "fetch", 0), value: { _tag: "Success", value: window } }] })
    // each of kind `damaged`: what the monitor answers 500 for, whatever the wording
    const fresh = <A>(read: (s: RunStore["Service"]) => Effect.Effect<A, StoreError>) =>
      Effect.map(Effect.exit(Effect.flatMap(SqlRunStore.make, read)), (exit) => {
        const error = failureOf(exit)
        assert.strictEqual(error.kind, "damaged", error.message)
        return error.message
      })
    const [checkpoint] = yield* sql<{ readonly hash: string | Uint8Array }>`SELECT output_hash AS hash FROM checkpoints WHERE run_id = ${rot}`
    const [entries] = yield* sql<{ readonly hash: string | Uint8Array }>`SELECT entries_hash AS hash FROM stage_recordings WHERE run_id = ${rot}`
    const zs = yield* sql<{ readonly z: number }>`SELECT z FROM blobs WHERE hash = ${checkpoint!.hash} OR hash = ${entries!.hash} ORDER BY z`
    assert.deepStrictEqual(zs.map((row) => Number(row.z)), [0, 2], "one stored as it is, one compressed alone")
    // valid JSON still, and what a replay would read as recorded: one digit changed, or a byte added
    yield* sql`UPDATE blobs SET body = ${JSON.stringify({ small: 2 })} WHERE hash = ${checkpoint!.hash}`
    assert.match(yield* fresh((s) => s.getCheckpoints(rot)), /^run rot's checkpoint of fetch: stored blob [0-9a-f]{32} does not match its hash \(edited or damaged\)$/)
    const [list] = yield* sql<{ readonly data: Uint8Array }>`SELECT data FROM blobs WHERE hash = ${entries!.hash}`
    const edited = zstdCompressSync(Buffer.concat([zstdDecompressSync(list!.data), Buffer.from(" ")]))
    yield* sql`UPDATE blobs SET data = ${edited} WHERE hash = ${entries!.hash}`
    assert.match(yield* fresh((s) => s.getRecordings(rot)), /^run rot's recordings of fetch: stored blob [0-9a-f]{32} does not match its hash \(edited or damaged\)$/)
    // what is whole still reads
    assert.deepStrictEqual(Option.map(yield* (yield* SqlRunStore.make).getRun(rot), (run) => run.params), Option.some({ only: "rot" }))
  }))

  test("a text read in the same call as one rebuilt from it is checked, even once its decoded text left what reads keep", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    // two runs' outputs of a stage, ~9 MB each (over 16 MB together: what reads keep decoded), the second stored
    // as a delta of the first; listed (and read) the dependent first
    yield* editedBaseOfDelta(store, sql, 85_000)
    const exit = yield* Effect.exit(Effect.flatMap(SqlRunStore.make, (s) => s.stageOutputs({ pipeline: "daily", stage: "fetch", from: day("2026-08-24"), to: day("2026-08-24") })))
    assert.match(failureOf(exit).message, /^run b-base's checkpoint of fetch: stored blob [0-9a-f]{32} does not match its hash \(edited or damaged\)$/)
  }))

  test("a plain text first read as another's base, then read itself, is named as not matching its hash, not as not rebuilding", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    yield* editedBaseOfDelta(store, sql, 2_000)
    // one store, two reads: the dependent alone (its base decoded, not read), then the base itself
    const reader = yield* SqlRunStore.make
    assert.strictEqual((yield* reader.getCheckpoints(id("a-dep"))).length, 1)
    const exit = yield* Effect.exit(reader.getCheckpoints(id("b-base")))
    assert.match(failureOf(exit).message, /^run b-base's checkpoint of fetch: stored blob [0-9a-f]{32} does not match its hash \(edited or damaged\)$/)
  }))

  test("surveyRuns lists every readable run and a damaged one in its place, named by what is wrong", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const sqlite = (yield* dialectOf) === "sqlite"
    const runs = ["old", "hurt", "new"].map((name, i) => mkRun(name, { startedAt: `2026-08-2${4 + i}T10:00:00.000Z`, params: { only: name } }))
    yield* Effect.forEach(runs, store.createRun, { discard: true })
    const survey = Effect.map(Effect.flatMap(SqlRunStore.make, (s) => s.surveyRuns({ limit: 10 })), (list) =>
      list.map((entry) => (isDamagedRun(entry) ? `${entry.id} ${entry.tradingDay} ${entry.startedAt} damaged: ${entry.damage}` : entry.id)))
    assert.deepStrictEqual(yield* survey, ["new", "hurt", "old"])
    yield* sql`UPDATE runs SET status = 'bogus' WHERE id = ${"hurt"}`
    const [newest, hurt, oldest] = yield* survey
    assert.deepStrictEqual([newest, oldest], ["new", "old"])
    assert.match(hurt!, /^hurt 2026-08-24 2026-08-25T10:00:00.000Z damaged: run hurt: stored data does not decode: Expected "running"/)
    assert.notInclude(hurt!, "\n", "what is wrong fits on the line `runs` prints under its table")
    // what acts on runs still refuses to go on past one it cannot read
    assert.match(failureOf(yield* Effect.exit(Effect.flatMap(SqlRunStore.make, (s) => s.listRuns({ limit: 10 })))).message, /^run hurt: /)
    yield* sql`UPDATE runs SET status = 'completed' WHERE id = ${"hurt"}`
    const [params] = yield* sql<{ readonly hash: string }>`SELECT params_hash AS hash FROM runs WHERE id = ${"hurt"}`
    yield* sqlite ? sql`DELETE FROM blobs WHERE hash = unhex(${params!.hash})` : sql`DELETE FROM blobs WHERE hash = ${params!.hash}`
    assert.match((yield* survey)[1]!, /^hurt .* damaged: run hurt's parameters: stored blob [0-9a-f]{32} is missing$/)
    assert.deepStrictEqual((yield* survey).filter((entry) => !entry.includes("damaged")), ["new", "old"])
  }))

  test("a run row with an impossible day or moment does not read back: listed as damaged, naming what is wrong", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const runs = ["old", "hurt", "new"].map((name, i) => mkRun(name, { startedAt: `2026-08-2${4 + i}T10:00:00.000Z` }))
    yield* Effect.forEach(runs, store.createRun, { discard: true })
    const survey = Effect.map(Effect.flatMap(SqlRunStore.make, (s) => s.surveyRuns({ limit: 10 })), (list) =>
      list.map((entry) => (isDamagedRun(entry) ? `${entry.id} ${entry.tradingDay} damaged: ${entry.damage}` : entry.id)))
    const hurtWith = (change: Effect.Effect<unknown, unknown>) =>
      Effect.gen(function*() {
        yield* change
        const [newest, hurt, oldest] = yield* survey
        assert.deepStrictEqual([newest, oldest], ["new", "old"])
        assert.match(failureOf(yield* Effect.exit(Effect.flatMap(SqlRunStore.make, (s) => s.getRun(id("hurt"))))).message, /^run hurt: /)
        return hurt!
      })
    assert.match(yield* hurtWith(sql`UPDATE runs SET trading_day = ${"2026-13-45"} WHERE id = ${"hurt"}`), /^hurt 2026-13-45 damaged: run hurt: .*expected a day of the calendar/)
    yield* sql`UPDATE runs SET trading_day = ${"2026-02-29"} WHERE id = ${"hurt"}`
    assert.match((yield* survey)[1]!, /^hurt 2026-02-29 damaged: .*expected a day of the calendar/, "2026 is no leap year")
    yield* sql`UPDATE runs SET trading_day = ${"2024-02-29"} WHERE id = ${"hurt"}`
    assert.deepStrictEqual(yield* survey, ["new", "hurt", "old"], "2024 is one")
    assert.match(yield* hurtWith(sql`UPDATE runs SET as_of = ${"2026-04-31"} WHERE id = ${"hurt"}`), /expected a day of the calendar/)
    yield* sql`UPDATE runs SET as_of = trading_day WHERE id = ${"hurt"}`
    assert.match(yield* hurtWith(sql`UPDATE runs SET finished_at = ${"2026-08-25T25:00:00.000Z"} WHERE id = ${"hurt"}`), /expected a moment/)
    yield* sql`UPDATE runs SET finished_at = ${"2026-08-25T10:01:00.000Z"} WHERE id = ${"hurt"}`
    assert.deepStrictEqual(yield* survey, ["new", "hurt", "old"])
  }))

  test("stores a window that slid compressed against the one before: read back exactly, in a fraction of the bytes", Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const window = (end: number) => ({ asOf: `day-${end}`, bars: Array.from({ length: 200 }, (_, k) => windowBar(end - 199 + k)) })
    const days = Array.from({ length: 40 }, (_, d) => d + 300)
    for (const end of days) yield* commitFetch(`w${end}`, window(end), window(end))
    const rows = yield* sql<{ readonly n: number | bigint; readonly bytes: number | bigint }>`
      SELECT COUNT(*) AS n, SUM(LENGTH(data)) AS bytes FROM blobs WHERE base IS NOT NULL`
    const whole = JSON.stringify(window(300)).length
    // the windows and the stage's entries lists: each but the first compressed against the one before
    assert.strictEqual(Number(rows[0]?.n), 2 * (days.length - 1))
    assert.isBelow(Number(rows[0]?.bytes), whole / 4, "39 windows and their entries take less than a quarter of one window")
    // a fresh store (no text remembered) rebuilds every one from the chain
    const reader = yield* SqlRunStore.make
    for (const end of days) {
      const [checkpoint] = yield* reader.getCheckpoints(id(`w${end}`))
      assert.strictEqual(JSON.stringify(checkpoint?.output), JSON.stringify(window(end)))
      const [recording] = yield* reader.getRecordings(id(`w${end}`))
      assert.deepStrictEqual(recording?.value, { _tag: "Success", value: window(end) })
    }
    yield* sql`UPDATE blobs SET body = ${"[0, 5, \"edited\"]"}, z = 0 WHERE base IS NOT NULL`
    const error = failureOf(yield* Effect.exit((yield* SqlRunStore.make).getCheckpoints(id(`w${days[5]}`))))
    assert.match(error.message, /does not rebuild/)
  }))

  test("stores a large window that slid as a byte delta of the one before (z = 3): read back exactly, in a fraction of the bytes", Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const bars = (from: number) => Array.from({ length: 150 }, (_, k) => windowBar(from + k))
    const window = (end: number) => ({ asOf: `day-${end}`, symbols: ["A", "B", "C"].map((symbol, s) => ({ symbol, bars: bars(end - 149 + s * 1_000) })) })
    const days = Array.from({ length: 20 }, (_, d) => d + 300)
    for (const end of days) yield* commitFetch(`bd${end}`, { end }, window(end))
    const whole = JSON.stringify(window(300)).length
    assert.isAbove(whole, 32 * 1024, "past the size a delta is tried at")
    const rows = yield* sql<{ readonly n: number | bigint; readonly bytes: number | bigint }>`
      SELECT COUNT(*) AS n, SUM(LENGTH(data)) AS bytes FROM blobs WHERE z = 3`
    assert.strictEqual(Number(rows[0]?.n), days.length - 1, "every window but the first")
    assert.isBelow(Number(rows[0]?.bytes), whole / 8, "19 windows take less than an eighth of one")
    const reader = yield* SqlRunStore.make
    for (const end of days.toReversed()) {
      const [recording] = yield* reader.getRecordings(id(`bd${end}`))
      assert.deepStrictEqual(recording?.value, { _tag: "Success", value: window(end) })
    }
    // a delta rebuilt against an edited base no longer has its hash
    yield* sql`UPDATE blobs SET data = ${zstdCompressSync(Buffer.from(JSON.stringify(window(1))))} WHERE z = 2 AND base IS NULL AND LENGTH(data) > 1000`
    const error = failureOf(yield* Effect.exit((yield* SqlRunStore.make).getRecordings(id(`bd${days[3]}`))))
    assert.match(error.message, /does not rebuild|does not decode/)
  }))

  test("a read that decodes more than the store keeps of recent texts still finds the ones it counted on (not \"missing\")", Effect.gen(function*() {
    const store = yield* RunStore
    // two slots, each text compressed against the run before: a large window (~0.6 MB) and a small note
    const large = (n: number) => ({ run: n, rows: Array.from({ length: 16_000 }, (_, k) => ({ k, v: Math.sin(n * 7919 + k) })) })
    const small = (n: number) => ({ run: n, note: `the note of run ${n} `.repeat(5) })
    const runs = Array.from({ length: 32 }, (_, i) => i + 1)
    for (const n of runs) {
      yield* store.createRun(mkRun(`big${n}`))
      for (const [stage, output] of [["large", large(n)], ["small", small(n)]] as const) {
        yield* store.commitStage({ runId: id(`big${n}`), stage, checkpoint: mkCheckpoint(`big${n}`, stage, { output }), recordings: [] })
      }
    }
    const reader = yield* SqlRunStore.make
    yield* reader.getCheckpoints(id("big1"))
    // the last run's large chain (31 texts, past the 16 MB kept) is decoded first and pushes run 1's texts out;
    // its small chain, found to end at run 1's small text, reads on
    const last = yield* reader.getCheckpoints(id("big32"))
    assert.strictEqual(JSON.stringify(last.map((c) => c.output)), JSON.stringify([large(32), small(32)]))
  }))

  test("runs read in order cost each text's own row: the chain behind it was decoded by the reads before", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const window = (end: number) => ({ asOf: `day-${end}`, closes: Array.from({ length: 300 }, (_, k) => 100 + Math.sin(end - 299 + k)) })
    const days = Array.from({ length: 30 }, (_, d) => d + 500)
    for (const end of days) {
      yield* store.createRun(mkRun(`o${end}`))
      yield* store.commitStage({
        runId: id(`o${end}`),
        stage: "fetch",
        checkpoint: mkCheckpoint(`o${end}`, "fetch", { output: window(end) }),
        recordings: [{ ...mkRecording(`o${end}`, "fetch", 0), value: { _tag: "Success", value: window(end) } }]
      })
    }
    const reader = yield* SqlRunStore.make
    const [early, late] = [days.slice(0, 15), days.slice(15)]
    for (const end of early) {
      const [checkpoint] = yield* reader.getCheckpoints(id(`o${end}`))
      assert.strictEqual(JSON.stringify(checkpoint?.output), JSON.stringify(window(end)))
    }
    // the earlier links of every later chain are gone from the table: only a reader that walks no chain again reads on
    // (each hash as stored: bytes on SQLite, hex on PostgreSQL, as in the blobs' own key)
    const gone = yield* sql<{ readonly hash: string | Uint8Array }>`
      SELECT output_hash AS hash FROM checkpoints WHERE run_id IN ${sql.in(early.map((end) => `o${end}`))}
      UNION SELECT entries_hash AS hash FROM stage_recordings WHERE run_id IN ${sql.in(early.map((end) => `o${end}`))}`
    assert.strictEqual(gone.length, 2 * early.length)
    for (const { hash } of gone) yield* sql`DELETE FROM blobs WHERE hash = ${hash}`
    for (const end of late) {
      const [checkpoint] = yield* reader.getCheckpoints(id(`o${end}`))
      assert.strictEqual(JSON.stringify(checkpoint?.output), JSON.stringify(window(end)))
    }
    // a store that decoded nothing before walks the chain, finds a link missing and says so (it used to ask forever)
    const fresh = failureOf(yield* Effect.exit((yield* SqlRunStore.make).getCheckpoints(id(`o${late.at(-1)!}`))))
    assert.match(fresh.message, /is missing/)
  }))

  test("compresses a checkpoint's output against its stage's recordings of the same commit: read back exactly", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const bars = (end: number) => Array.from({ length: 20 }, (_, k) => ({ day: end - 19 + k, close: 100 + Math.sin(end + k) }))
    const days = [300, 301, 302]
    for (const end of days) {
      yield* store.createRun(mkRun(`s${end}`))
      yield* store.commitStage({
        runId: id(`s${end}`),
        stage: "fetch",
        checkpoint: mkCheckpoint(`s${end}`, "fetch", { output: { asOf: end, bars: bars(end) } }),
        recordings: [{ ...mkRecording(`s${end}`, "fetch", 0), value: { _tag: "Success", value: bars(end) } }]
      })
    }
    const first = textHash(JSON.stringify({ asOf: 300, bars: bars(300) }))
    const pg = (yield* dialectOf) === "pg"
    const rows = yield* sql<{ readonly n: number | bigint }>`SELECT LENGTH(data) AS n FROM blobs WHERE hash = ${pg ? first : Buffer.from(first, "hex")}`
    assert.isBelow(Number(rows[0]?.n), 60, "the first output costs a few bytes: its bars are in the recordings")
    const reader = yield* SqlRunStore.make
    for (const end of days) {
      assert.strictEqual(JSON.stringify((yield* reader.getCheckpoints(id(`s${end}`)))[0]?.output), JSON.stringify({ asOf: end, bars: bars(end) }))
      assert.deepStrictEqual((yield* reader.getRecordings(id(`s${end}`)))[0]?.value, { _tag: "Success", value: bars(end) })
    }
  }))

  test("stores what does not change once: the parameters, outputs and large values of many runs", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const blobs = () => Effect.map(sql<{ readonly n: number | bigint }>`SELECT COUNT(*) AS n FROM blobs`, (rows) => Number(rows[0]?.n))
    const snapshot = { asOf: "2026-08-21", rows: Array.from({ length: 200 }, (_, i) => ({ symbol: `S${i}`, close: 100 + i / 7 })) }
    for (const runId of ["r1", "r2", "r3"]) {
      yield* store.createRun(mkRun(runId))
      yield* store.commitStage({
        runId: id(runId),
        stage: "fetch",
        checkpoint: mkCheckpoint(runId, "fetch", { output: snapshot }),
        recordings: [{ ...mkRecording(runId, "fetch", 0), value: { _tag: "Success", value: snapshot } }]
      })
    }
    // the parameters, the snapshot (output and recorded value alike) and the stage's recordings
    assert.strictEqual(yield* blobs(), 3)
    yield* store.importBundle({ ...mkBundle("copy"), checkpoints: [mkCheckpoint("copy", "fetch", { output: snapshot })], recordings: [] })
    assert.strictEqual(yield* blobs(), 3)
    yield* store.putCheckpoint(mkCheckpoint("copy", "pitch", { output: { changed: true } }))
    assert.strictEqual(yield* blobs(), 4)
  }))

  test("a checkpoint needs its run", Effect.gen(function*() {
    const store = yield* RunStore
    const error = failureOf(yield* Effect.exit(store.putCheckpoint(mkCheckpoint("orphan", "fetch"))))
    assert.strictEqual(error.operation, "putCheckpoint")
  }))
}

/** Rows in the layout before `0008_content_addressed`, then that migration: everything reads back as it was. */
const migratesInPlace = (raw: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const before = Object.fromEntries(Object.entries(migrations).filter(([key]) => key < "0008"))
    yield* Migrator.make({})({ loader: Migrator.fromRecord(before) })
    const big = { asOf: "2026-08-21", rows: Array.from({ length: 200 }, (_, i) => ({ symbol: `S${i}`, close: 100 + i / 7 })) }
    const run = mkRun("old", { params: trickyJson, status: "completed" })
    const checkpoints = [mkCheckpoint("old", "fetch", { output: big }), mkCheckpoint("old", "pitch", { output: trickyJson })]
    const recordings: ReadonlyArray<Recording> = [
      { ...mkRecording("old", "fetch", 0), value: { _tag: "Success", value: big } },
      { ...mkRecording("old", "fetch", 1), value: { reusedFrom: "older", _tag: "Success", value: big } },
      { ...mkRecording("old", "pitch", 0), value: { _tag: "Failure", error: trickyJson } }
    ]
    yield* sql`INSERT INTO runs (id, pipeline, trading_day, as_of, mode, dry_run, code_version, parent_run_id, fork_from,
      status, started_at, finished_at, error, params) VALUES (${run.id}, ${run.pipeline}, ${run.tradingDay}, ${run.asOf},
      ${run.mode}, ${run.dryRun}, ${run.codeVersion}, ${null}, ${null}, ${run.status}, ${run.startedAt}, ${null}, ${null},
      ${JSON.stringify(run.params)})`
    for (const c of checkpoints) {
      yield* sql`INSERT INTO checkpoints (run_id, stage, output, input_hash, attempt, started_at, finished_at, duration_ms,
        reused_from) VALUES (${c.runId}, ${c.stage}, ${JSON.stringify(c.output)}, ${c.inputHash}, ${c.attempt},
        ${c.startedAt}, ${c.finishedAt}, ${c.durationMs}, ${null})`
    }
    for (const r of recordings) {
      yield* sql`INSERT INTO recordings (run_id, stage, key, seq, value)
        VALUES (${r.runId}, ${r.stage}, ${r.key}, ${r.seq}, ${JSON.stringify(r.value)})`
    }
    yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations) })
    const store = yield* SqlRunStore.make
    assert.deepStrictEqual(yield* store.getRun(run.id), Option.some(run))
    assert.strictEqual(JSON.stringify(yield* store.getCheckpoints(run.id)), JSON.stringify(checkpoints))
    assert.strictEqual(JSON.stringify(yield* store.getRecordings(run.id)), JSON.stringify(recordings))
    const counted = yield* sql<{ readonly n: number | bigint }>`SELECT COUNT(*) AS n FROM blobs`
    // parameters (= the pitch output), the large value (= the fetch output), and two stages' entries
    assert.strictEqual(Number(counted[0]?.n), 4)
  }).pipe(Effect.provide(raw))

/** Blobs as `0008_content_addressed` wrote them (plain, deflated, `TextDelta` deltas), then `0009`: they read back. */
const readsBlobsOf0008 = (raw: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const before = Object.fromEntries(Object.entries(migrations).filter(([key]) => key < "0009"))
    yield* Migrator.make({})({ loader: Migrator.fromRecord(before) })
    const window = (end: number) => JSON.stringify({ bars: Array.from({ length: 100 }, (_, k) => ({ day: end - 99 + k, close: Math.sin(end + k) })) })
    const run = mkRun("old0008", { params: trickyJson, status: "completed" })
    const params = JSON.stringify(run.params)
    yield* sql`INSERT INTO blobs (hash, body) VALUES (${textHash(params)}, ${params})`
    yield* sql`INSERT INTO runs (id, pipeline, trading_day, as_of, mode, dry_run, code_version, parent_run_id, fork_from,
      status, started_at, finished_at, error, params_hash) VALUES (${run.id}, ${run.pipeline}, ${run.tradingDay}, ${run.asOf},
      ${run.mode}, ${run.dryRun}, ${run.codeVersion}, ${null}, ${null}, ${run.status}, ${run.startedAt}, ${null}, ${null},
      ${textHash(params)})`
    const texts = [window(300), window(301), window(302)]
    const deflated = (text: string) => deflateRawSync(text).toString("base64")
    const delta = (i: number) => JSON.stringify(TextDelta.diff(TextDelta.base(texts[i - 1]!), texts[i]!))
    const rows = [
      { body: deflated(texts[0]!), base: null, z: 1 },
      { body: deflated(delta(1)), base: textHash(texts[0]!), z: 1 },
      { body: delta(2), base: textHash(texts[1]!), z: 0 }
    ]
    const checkpoints = texts.map((text, i) => mkCheckpoint("old0008", `stage${i}`, { output: JSON.parse(text) }))
    for (const [i, row] of rows.entries()) {
      yield* sql`INSERT INTO blobs (hash, body, base, z) VALUES (${textHash(texts[i]!)}, ${row.body}, ${row.base}, ${row.z})`
      const c = checkpoints[i]!
      yield* sql`INSERT INTO checkpoints (run_id, stage, output_hash, input_hash, attempt, started_at, finished_at, duration_ms,
        reused_from) VALUES (${c.runId}, ${c.stage}, ${textHash(texts[i]!)}, ${c.inputHash}, ${c.attempt}, ${c.startedAt},
        ${c.finishedAt}, ${c.durationMs}, ${null})`
    }
    yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations) })
    const store = yield* SqlRunStore.make
    assert.deepStrictEqual(yield* store.getRun(run.id), Option.some(run))
    assert.strictEqual(JSON.stringify(yield* store.getCheckpoints(run.id)), JSON.stringify(checkpoints))
    // a new text in a slot whose texts are old rows: stored anew, read back by a fresh store
    const next = mkCheckpoint("old0008", "stage3", { output: JSON.parse(window(303)) })
    yield* store.putCheckpoint(next)
    assert.strictEqual(JSON.stringify((yield* (yield* SqlRunStore.make).getCheckpoints(run.id, "stage3"))[0]), JSON.stringify(next))
  }).pipe(Effect.provide(raw))

/**
 * Runs as the store wrote them before `0011_run_store_lean` (hex hashes, one global `seq`, runs interleaved, an
 * imported run's input hash that is no hash, a finish that is not start + duration), then that migration: they read
 * back as they were, in their order, and a resumed run's next checkpoint and recordings come after them.
 */
const readsRunsOf0010 = (raw: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
    yield* Migrator.make({})({ loader: Migrator.fromRecord(Object.fromEntries(Object.entries(migrations).filter(([key]) => key < "0011"))) })
    const runs = [mkRun("r1"), mkRun("r2")]
    const checkpoints = [
      mkCheckpoint("r1", "fetch", { inputHash: textHash("in-1"), durationMs: 12 }),
      mkCheckpoint("r2", "fetch", { inputHash: "imported:not-a-hash" }),
      mkCheckpoint("r1", "pitch", { inputHash: textHash("in-2"), output: trickyJson, reusedFrom: id("r0") }),
      mkCheckpoint("r2", "pitch")
    ]
    const recordings = [mkRecording("r2", "fetch", 0), mkRecording("r1", "pitch", 0), mkRecording("r1", "fetch", 0)]
    const blob = (text: string) =>
      sql`INSERT INTO blobs (hash, body, z) VALUES (${pg ? textHash(text) : Buffer.from(textHash(text), "hex")}, ${text}, 0)
        ON CONFLICT (hash) DO NOTHING`
    for (const run of runs) {
      const params = JSON.stringify(run.params)
      yield* blob(params)
      yield* sql`INSERT INTO runs (id, pipeline, trading_day, as_of, mode, dry_run, code_version, parent_run_id, fork_from,
        status, started_at, finished_at, error, params_hash) VALUES (${run.id}, ${run.pipeline}, ${run.tradingDay}, ${run.asOf},
        ${run.mode}, ${run.dryRun}, ${run.codeVersion}, ${null}, ${null}, ${run.status}, ${run.startedAt}, ${null}, ${null},
        ${textHash(params)})`
    }
    for (const c of checkpoints) {
      const output = JSON.stringify(c.output)
      yield* blob(output)
      yield* sql`INSERT INTO checkpoints (run_id, stage, output_hash, input_hash, attempt, started_at, finished_at, duration_ms,
        reused_from) VALUES (${c.runId}, ${c.stage}, ${textHash(output)}, ${c.inputHash}, ${c.attempt}, ${c.startedAt},
        ${c.finishedAt}, ${c.durationMs}, ${c.reusedFrom})`
    }
    for (const r of recordings) {
      const packed = RecordingEntries.pack([r])
      for (const text of [...packed.values, packed.entries]) yield* blob(text.text)
      yield* sql`INSERT INTO stage_recordings (run_id, stage, entries_hash) VALUES (${r.runId}, ${r.stage}, ${packed.entries.hash})`
    }
    yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations) })
    const store = yield* SqlRunStore.make
    const of = (runId: string) => <A extends { readonly runId: RunId }>(items: ReadonlyArray<A>) => items.filter((item) => item.runId === runId)
    for (const runId of ["r1", "r2"]) {
      assert.strictEqual(JSON.stringify(yield* store.getCheckpoints(id(runId))), JSON.stringify(of(runId)(checkpoints)))
      assert.strictEqual(JSON.stringify(yield* store.getRecordings(id(runId))), JSON.stringify(of(runId)(recordings)))
    }
    // r1 resumes: a new stage comes last, a rewritten one keeps its place
    const risk = mkCheckpoint("r1", "risk", { startedAt: "2026-08-24T13:00:05.000Z", finishedAt: "2026-08-24T13:00:05.250Z", durationMs: 250 })
    const refetched = mkCheckpoint("r1", "fetch", { attempt: 2 })
    yield* store.commitStage({ runId: id("r1"), stage: "risk", checkpoint: risk, recordings: [mkRecording("r1", "risk", 0)] })
    yield* store.putCheckpoint(refetched)
    const fresh = yield* SqlRunStore.make
    assert.strictEqual(JSON.stringify(yield* fresh.getCheckpoints(id("r1"))), JSON.stringify([refetched, checkpoints[2], risk]))
    assert.deepStrictEqual((yield* fresh.getRecordings(id("r1"))).map((r) => r.stage), ["pitch", "fetch", "risk"])
  }).pipe(Effect.provide(raw))

const sqliteStore = (filename: string) => SqlRunStore.layer.pipe(Layer.provideMerge(Database.layerSqlite(filename)))

describe("RunStore contract", () => {
  describe("memory", () => contract(it, Effect.sync(() => RunStore.layerMemory.pipe(Layer.fresh))))

  describe("SQLite", () => {
    const fresh = Effect.sync(() => sqliteStore(tempFile("council.db")))
    contract(it, fresh)
    sqlOnly(it, fresh)
    it.effect("0008 moves runs, checkpoints and recordings to content-addressed blobs in place", () =>
      migratesInPlace(NodeSqliteClient.layer({ filename: tempFile("old.db") })))
    it.effect("0009 keeps the blobs 0008 wrote (deflated, deltas) readable", () =>
      readsBlobsOf0008(NodeSqliteClient.layer({ filename: tempFile("old0008.db") })))
    it.effect("0011 keeps the checkpoints and recordings of 0010's layout, in their order", () =>
      readsRunsOf0010(NodeSqliteClient.layer({ filename: tempFile("old0010.db") })))
  })

  layer(PgServer.layer, { timeout: 60_000 })("PostgreSQL", (it) => {
    const fresh = Effect.map(
      PgServer,
      (server) =>
        Layer.unwrap(Effect.map(server.createDatabase, (url) =>
          SqlRunStore.layer.pipe(Layer.provideMerge(Database.layerPg(url)))))
    )
    contract(it, fresh)
    sqlOnly(it, fresh)

    it.effect("0008 moves runs, checkpoints and recordings to content-addressed blobs in place", () =>
      Effect.gen(function*() {
        const url = yield* (yield* PgServer).createDatabase
        yield* migratesInPlace(Layer.effect(SqlClient.SqlClient, PgClient.make({ url })).pipe(Layer.provide(Reactivity.layer)))
      }))

    it.effect("0009 keeps the blobs 0008 wrote (deflated, deltas) readable", () =>
      Effect.gen(function*() {
        const url = yield* (yield* PgServer).createDatabase
        yield* readsBlobsOf0008(Layer.effect(SqlClient.SqlClient, PgClient.make({ url })).pipe(Layer.provide(Reactivity.layer)))
      }))

    it.effect("0011 keeps the checkpoints and recordings of 0010's layout, in their order", () =>
      Effect.gen(function*() {
        const url = yield* (yield* PgServer).createDatabase
        yield* readsRunsOf0010(Layer.effect(SqlClient.SqlClient, PgClient.make({ url })).pipe(Layer.provide(Reactivity.layer)))
      }))

    it.effect("Database.layer uses PostgreSQL when DATABASE_URL is set", () =>
      Effect.gen(function*() {
        const url = yield* (yield* PgServer).createDatabase
        const env = ConfigProvider.fromEnvRecord({
          DATABASE_URL: Redacted.value(url),
          COUNCIL_HOME: tempFile("unused")
        })
        const dialect = yield* dialectOf.pipe(
          Effect.provide(Database.layer.pipe(Layer.provide(ConfigProvider.layer(env))))
        )
        assert.strictEqual(dialect, "pg")
      }))

    it.effect("migrations are idempotent on one database", () =>
      Effect.gen(function*() {
        const url = yield* (yield* PgServer).createDatabase
        const open = SqlRunStore.layer.pipe(Layer.provideMerge(Database.layerPg(url)))
        yield* RunStore.use((store) => store.createRun(mkRun("kept"))).pipe(Effect.provide(open))
        const [runs, applied] = yield* Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          return [
            yield* RunStore.use((store) => store.listRuns({ limit: 10 })),
            yield* sql`SELECT migration_id FROM effect_sql_migrations ORDER BY migration_id`
          ] as const
        }).pipe(Effect.provide(SqlRunStore.layer.pipe(Layer.provideMerge(Database.layerPg(url)))))
        assert.deepStrictEqual(runs.map((r) => r.id), ["kept"])
        assert.deepStrictEqual(applied.map((m) => m["migration_id"]), migrationIds)
      }))
  })
})

describe("SQLite file shared by several openers", () => {
  it.effect("opening the same file twice migrates once and sees the same data", () =>
    Effect.gen(function*() {
      const file = tempFile("twice.db")
      yield* RunStore.use((store) => store.createRun(mkRun("first"))).pipe(Effect.provide(sqliteStore(file)))
      const applied = yield* Effect.gen(function*() {
        const store = yield* RunStore
        yield* store.createRun(mkRun("second"))
        assert.deepStrictEqual((yield* store.listRuns({ limit: 10 })).map((r) => r.id), ["second", "first"])
        return yield* (yield* SqlClient.SqlClient)`SELECT migration_id FROM effect_sql_migrations ORDER BY migration_id`
      }).pipe(Effect.provide(sqliteStore(file)))
      assert.deepStrictEqual(applied.map((m) => m["migration_id"]), migrationIds)
    }))

  it.effect("a migration that fails on a damaged record of the migrations says why, not its name alone", () =>
    Effect.gen(function*() {
      const file = tempFile("half.db")
      yield* RunStore.use((store) => store.createRun(mkRun("kept"))).pipe(Effect.provide(sqliteStore(file)))
      // 0021 adds a column: recorded as not run, it is run again on a table that has it
      yield* Effect.gen(function*() {
        yield* (yield* SqlClient.SqlClient)`DELETE FROM effect_sql_migrations WHERE migration_id >= 21`
      }).pipe(Effect.provide(NodeSqliteClient.layer({ filename: file })))
      const error = failureOf(yield* Effect.exit(RunStore.use((store) => store.listRuns({ limit: 1 })).pipe(Effect.provide(sqliteStore(file)))))
      assert.match(error.message, /^Migration "21_llm_spend_book" failed: duplicate column name: book$/)
    }))

  it.live("several processes opening a new file at once all succeed", () =>
    Effect.gen(function*() {
      const file = tempFile("concurrent.db")
      const script = join(import.meta.dirname, "fixtures", "open-store.ts")
      const startAt = String(Date.now() + 1500)
      const outputs = yield* Effect.forEach(
        ["p1", "p2", "p3", "p4"],
        (name) =>
          Effect.promise(() =>
            promisify(execFile)(process.execPath, [script, file, name, startAt]).then(
              ({ stdout }) => stdout.trim(),
              (error: unknown) => `failed: ${String(error)}`
            )
          ),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(outputs, ["ok p1", "ok p2", "ok p3", "ok p4"])
      const [runs, applied] = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        return [
          yield* RunStore.use((store) => store.listRuns({ limit: 10 })),
          yield* sql`SELECT migration_id FROM effect_sql_migrations ORDER BY migration_id`
        ] as const
      }).pipe(Effect.provide(sqliteStore(file)))
      assert.deepStrictEqual(runs.map((r) => r.id).sort(), ["p1", "p2", "p3", "p4"])
      assert.deepStrictEqual(applied.map((m) => m["migration_id"]), migrationIds)
    }), 30_000)
})

const locate = (env: Record<string, string>) =>
  Database.location.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))))

describe("Database configuration", () => {
  it.effect("defaults to SQLite in .council under the working directory", () =>
    Effect.gen(function*() {
      const at = yield* locate({})
      assert.deepStrictEqual(at, { _tag: "Sqlite", home: resolve(".council"), file: resolve(".council", "council.db") })
    }))

  it.effect("opens SQLite at $COUNCIL_HOME/council.db when DATABASE_URL is unset", () =>
    Effect.gen(function*() {
      const home = join(dirname(tempFile("x")), "home")
      const dialect = yield* dialectOf.pipe(
        Effect.provide(
          Database.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({ COUNCIL_HOME: home }))))
        )
      )
      assert.strictEqual(dialect, "sqlite")
      assert.isTrue(existsSync(join(home, "council.db")))
    }))

  it.effect("refuses a COUNCIL_HOME or DATABASE_URL that cannot work, one line naming it, writing nothing", () =>
    Effect.gen(function*() {
      const parent = dirname(tempFile("x"))
      const aFile = join(parent, "a-file")
      writeFileSync(aFile, "not a directory")
      const cases: ReadonlyArray<readonly [Record<string, string>, RegExp]> = [
        [{ COUNCIL_HOME: "   " }, /^COUNCIL_HOME: is set but blank/],
        [{ COUNCIL_HOME: "~/council" }, /^COUNCIL_HOME: starts with "~"/],
        [{ COUNCIL_HOME: aFile }, /^COUNCIL_HOME: \S+a-file is not a directory$/],
        [{ COUNCIL_HOME: join(aFile, "below") }, /^COUNCIL_HOME: \S+a-file is not a directory$/],
        [{ DATABASE_URL: "garbage" }, /^DATABASE_URL: expected postgres:\/\/user\[:password\]@host\[:port\]\/database$/],
        [{ DATABASE_URL: "mysql://u:hunter2@127.0.0.1/db" }, /^DATABASE_URL: expected postgres:/],
        [{ DATABASE_URL: " \t" }, /^DATABASE_URL: is set but blank/],
        // a password of digits and an unencoded `/` parses as a port and a path: it was shown whole
        [{ DATABASE_URL: "postgres://council:1234/hunter2@127.0.0.1:1/council" }, /^DATABASE_URL: its user or password holds an unencoded \/, \? or # \(the URL ends its host there\): percent-encode them/]
      ]
      for (const [env, expected] of cases) {
        const error = yield* Effect.flip(locate(env))
        assert.strictEqual(error._tag, "DatabaseConfigError")
        assert.match(error.message, expected)
        assert.notInclude(error.message, "hunter2")
      }
      assert.deepStrictEqual(readdirSync(parent), ["a-file"])
    }))

  it.effect("a COUNCIL_HOME under /proc fails at once instead of spinning in mkdir", () =>
    Effect.gen(function*() {
      const at = yield* locate({ COUNCIL_HOME: "/proc/1/council/home" })
      const error = yield* Effect.flip(dialectOf.pipe(Effect.provide(Database.layerAt(at, "create"))))
      assert.strictEqual(error._tag, "DatabaseConfigError")
      assert.match(error.message, /^COUNCIL_HOME: cannot create \/proc\/1\/council\/home: E[A-Z]+$/)
    }), 5_000)

  it.effect("an unreachable PostgreSQL is named by DATABASE_URL, without its password", () =>
    Effect.gen(function*() {
      const at = yield* locate({ DATABASE_URL: "postgres://council:hunter2@127.0.0.1:1/council" })
      const error = yield* Effect.flip(dialectOf.pipe(Effect.provide(Database.layerAt(at, "create"))))
      assert.strictEqual(error.message, "DATABASE_URL: cannot use postgres://council@127.0.0.1:1/council: ECONNREFUSED")
    }))

  it.effect("a driver's message quoting a value of the URL's query does not repeat it", () =>
    Effect.gen(function*() {
      const at = yield* locate({ DATABASE_URL: "postgres://council:hunter2@127.0.0.1:1/council?sslmode=hunter2%2Fx" })
      const error = yield* Effect.flip(dialectOf.pipe(Effect.provide(Database.layerAt(at, "create"))))
      assert.strictEqual(error.message, `DATABASE_URL: cannot use postgres://council@127.0.0.1:1/council: Unrecognized sslmode in URL: "[REDACTED]"`)
    }))

  it.effect("a read-only opening of a home without a database creates nothing and reads an empty store", () =>
    Effect.gen(function*() {
      const home = join(dirname(tempFile("x")), "never-created")
      const at = yield* locate({ COUNCIL_HOME: home })
      const runs = yield* RunStore.use((s) => s.listRuns({ limit: 10 })).pipe(
        Effect.provide(SqlRunStore.layer.pipe(Layer.provide(Database.layerAt(at, "empty"))))
      )
      assert.deepStrictEqual(runs, [])
      assert.isFalse(existsSync(home))
    }))
})

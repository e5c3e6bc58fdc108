/**
 * The `RunStore` contract: what every store (memory, SQLite, PostgreSQL) does, each test on a fresh, empty store.
 * `RunStore.test.ts` runs it over each of them.
 */
import { assert, type Vitest } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import { type Recording, type RunBundle, type RunRecord, RunStore } from "@council/engine"
import { day, failureOf, id, mkBundle, mkCheckpoint, mkRecording, mkRun, trickyJson } from "./StoreFixture.ts"

/** The `RunStore` contract, run against a fresh, empty store per test. */
export const contract = <R>(
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

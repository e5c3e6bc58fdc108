import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Option, Ref, Schema, Tracer } from "effect"
import { TestClock } from "effect/testing"
import type { RunId } from "@council/domain"
import { makeMemory, Pipeline, Recorder, RunContext, Runner, RunStore, Stage } from "@council/engine"

import { Act, Decide, day, env, Fetch, Flaky, options, pipeline, Prices, QuoteFailed } from "./RunnerFixtures.ts"

/** The memory store, each write named in `writes`. */
const counting = (memory: RunStore["Service"], writes: Array<string>) =>
  RunStore.of({
    ...memory,
    createRun: (run) => Effect.andThen(Effect.sync(() => writes.push("createRun")), memory.createRun(run)),
    updateRun: (id, patch) => Effect.andThen(Effect.sync(() => writes.push(`updateRun ${patch.status}`)), memory.updateRun(id, patch)),
    commitStage: (commit) =>
      Effect.andThen(
        Effect.sync(() => writes.push(`commitStage ${commit.stage}${commit.completes === undefined ? "" : " completes"}`)),
        memory.commitStage(commit)
      ),
    commitStages: (batch) =>
      Effect.andThen(
        Effect.sync(() =>
          writes.push(`commitStages${batch.create === undefined ? "" : " +run"} ${batch.commits.map((c) => `${c.stage}${c.checkpoint === null ? "(failed)" : ""}${c.completes === undefined ? "" : " completes"}`).join(" ")}`)
        ),
        memory.commitStages(batch)
      )
  })

describe("Pipeline", () => {
  it("orders stages topologically and renders Mermaid", () => {
    const p = Pipeline.make("p", [Act, Decide, Fetch])
    assert.deepStrictEqual(p.stageNames, ["Fetch", "Decide", "Act"])
    const mermaid = Pipeline.toMermaid(p)
    assert.include(mermaid, "flowchart LR")
    assert.include(mermaid, "Fetch --> Decide")
    assert.include(mermaid, "Decide --> Act")
  })

  it("rejects a missing dependency", () => {
    assert.throws(() => Pipeline.make("p", [Decide]), /depends on "Fetch", which is not part of the pipeline/)
  })

  it("rejects duplicate names", () => {
    const Other = Stage.make({ name: "Fetch", dependsOn: [], output: Schema.Number, run: () => Effect.succeed(1) })
    assert.throws(() => Pipeline.make("p", [Fetch, Other]), /duplicate stage name "Fetch"/)
  })

  it("rejects a cycle", () => {
    const deps: Array<Stage.Any> = []
    const A = Stage.make({ name: "A", dependsOn: deps, output: Schema.Number, run: () => Effect.succeed(1) })
    const B = Stage.make({ name: "B", dependsOn: [A], output: Schema.Number, run: () => Effect.succeed(2) })
    deps.push(B)
    assert.throws(() => Pipeline.make("p", [A, B]), /cycle: A -> B -> A/)
  })

  it("derives a stage's input from its upstream outputs", () => {
    Stage.make({
      name: "Typed",
      dependsOn: [Fetch],
      output: Schema.Number,
      // @ts-expect-error Decide is not an upstream stage of Typed
      run: ({ Decide }) => Effect.succeed(Decide.buy.length)
    })
    Stage.make({
      name: "Typed",
      dependsOn: [Fetch],
      output: Schema.Number,
      // @ts-expect-error spy is a number, the output is a number, but a string is returned
      run: ({ Fetch }) => Effect.succeed(String(Fetch.spy))
    })
    assert.ok(true)
  })
})

describe("Runner", () => {
  it.effect("a pause before a stage the pipeline does not have is refused before anything runs or is written: an approval gate never fails open", () =>
    Effect.gen(function*() {
      const store = yield* RunStore
      const prices = yield* Prices
      const refused = yield* Effect.flip(Runner.start(pipeline, { ...options, pauseBefore: "Acts" }))
      assert.strictEqual(refused._tag, "InvalidRunRequest")
      assert.strictEqual(refused.message, 'cannot pause before "Acts": stages are Fetch, Decide, Act')
      assert.strictEqual(yield* Ref.get(prices.calls), 0)
      assert.deepStrictEqual(yield* store.listRuns({ limit: 10 }), [])

      // a run paused before Act, resumed with a pause it cannot honour, stays paused: Act never runs
      const paused = yield* Runner.start(pipeline, { ...options, pauseBefore: "Act" })
      assert.strictEqual(paused.run.status, "awaiting-approval")
      const again = yield* Effect.flip(Runner.resume(pipeline, paused.run.id, { pauseBefore: "act" }))
      assert.strictEqual(again._tag, "InvalidRunRequest")
      assert.deepStrictEqual((yield* store.getCheckpoints(paused.run.id)).map((c) => c.stage), ["Fetch", "Decide"])
      assert.strictEqual(Option.getOrThrow(yield* store.getRun(paused.run.id)).status, "awaiting-approval")
    }).pipe(Effect.provide(env())))

  it.effect("runs every stage, checkpointing each before the next starts", () =>
    Effect.gen(function*() {
      const result = yield* Runner.start(pipeline, options)
      assert.strictEqual(result.run.status, "completed")
      assert.deepStrictEqual(result.outputs["Act"], "bought QQQ at 300")
      const store = yield* RunStore
      const checkpoints = yield* store.getCheckpoints(result.run.id)
      assert.deepStrictEqual(checkpoints.map((c) => c.stage), ["Fetch", "Decide", "Act"])
      assert.deepStrictEqual(checkpoints[0]?.output, { spy: 300, qqq: 400 })
      const recordings = yield* store.getRecordings(result.run.id)
      assert.deepStrictEqual(recordings.map((r) => r.key), ['prices.quote({"symbol":"SPY"})#1', 'prices.quote({"symbol":"QQQQ"})#1'])
      const run = yield* store.getRun(result.run.id)
      assert.strictEqual(Option.getOrThrow(run).status, "completed")
    }).pipe(Effect.provide(env())))

  it.effect("keeps a stage's digest of its encoded output beside its checkpoint, read instead of the output when asked", () =>
    Effect.gen(function*() {
      const Digested = Stage.make({
        name: "Decide",
        dependsOn: [Fetch],
        output: Schema.Struct({ buy: Schema.String, at: Schema.NumberFromString }),
        digest: (encoded) => ({ kept: encoded as Schema.Json }),
        run: ({ Fetch }) => Effect.succeed({ buy: Fetch.spy > Fetch.qqq ? "SPY" : "QQQ", at: Fetch.qqq })
      })
      const result = yield* Runner.start(Pipeline.make("digested", [Fetch, Digested]), options)
      const store = yield* RunStore
      const query = { pipeline: "digested", from: day, to: day, digests: true }
      const [decided] = yield* store.stageOutputs({ ...query, stage: "Decide" })
      // the encoded output (`at` as its string), as the checkpoint holds it
      assert.deepStrictEqual([decided?.runId, decided?.digest, decided?.output], [result.run.id, { kept: { buy: "QQQ", at: "400" } }, undefined])
      const [fetched] = yield* store.stageOutputs({ ...query, stage: "Fetch" })
      assert.deepStrictEqual([fetched?.digest, fetched?.output], [undefined, { spy: 300, qqq: 400 }])
    }).pipe(Effect.provide(env())))

  it.effect("a run is completed by its last stage's commit: one store write a stage, no update after it", () =>
    Effect.gen(function*() {
      const memory = makeMemory()
      const writes: Array<string> = []
      const result = yield* Runner.start(pipeline, options).pipe(Effect.provideService(RunStore, counting(memory, writes)))
      assert.deepStrictEqual(writes, ["createRun", "commitStage Fetch", "commitStage Decide", "commitStage Act completes"])
      const run = Option.getOrThrow(yield* memory.getRun(result.run.id))
      const [act] = yield* memory.getCheckpoints(result.run.id, "Act")
      assert.strictEqual(run.status, "completed")
      assert.strictEqual(run.finishedAt, act?.finishedAt)
      assert.strictEqual(result.run.finishedAt, act?.finishedAt)
    }).pipe(Effect.provide(env())))

  describe("batched commits", () => {
    /** Quote → Check → Send (side effects) → Note: what a batched run holds, and where it must write. */
    const Quote = Stage.make({
      name: "Quote",
      dependsOn: [],
      output: Schema.Number,
      run: () =>
        Effect.gen(function*() {
          const prices = yield* Prices
          return yield* Recorder.call("prices.quote", { symbol: "SPY" }, { success: Schema.Number, failure: QuoteFailed }, prices.quote("SPY"))
        })
    })
    const Check = Stage.make({
      name: "Check",
      dependsOn: [Quote],
      output: Schema.Number,
      run: ({ Quote }) =>
        Effect.gen(function*() {
          const prices = yield* Prices
          const flaky = yield* Flaky
          const left = yield* Ref.getAndUpdate(flaky.failuresLeft, (n) => Math.max(0, n - 1))
          const tlt = yield* Recorder.call("prices.quote", { symbol: "TLT" }, { success: Schema.Number, failure: QuoteFailed }, prices.quote("TLT"))
          return left > 0 ? yield* Effect.fail(new QuoteFailed({ message: "checker unavailable" })) : Quote - tlt
        })
    })
    const Send = Stage.make({
      name: "Send",
      dependsOn: [Check],
      output: Schema.String,
      sideEffects: true,
      run: ({ Check }) =>
        Effect.gen(function*() {
          // a stage with side effects starts only once everything before it is written
          const context = yield* RunContext
          const written = yield* RunStore.use((s) => s.getCheckpoints(context.runId))
          if (!written.some((c) => c.stage === "Check")) return yield* Effect.die("Check was not written before Send")
          return `sent ${Check}`
        })
    })
    const Note = Stage.make({ name: "Note", dependsOn: [Send], output: Schema.String, run: ({ Send }) => Effect.succeed(`noted: ${Send}`) })
    const batched = Pipeline.make("batched", [Quote, Check, Send, Note])

    it.effect("writes the run with its first commit, everything before a stage with side effects before it, that stage at once", () =>
      Effect.gen(function*() {
        const memory = makeMemory()
        const writes: Array<string> = []
        const result = yield* Runner.start(batched, { ...options, commits: "batched" }).pipe(Effect.provideService(RunStore, counting(memory, writes)))
        assert.deepStrictEqual(writes, ["commitStages +run Quote Check", "commitStage Send", "commitStage Note completes"])
        assert.deepStrictEqual(result.outputs["Note"], "noted: sent 0")
        assert.strictEqual(Option.getOrThrow(yield* memory.getRun(result.run.id)).status, "completed")
        assert.deepStrictEqual((yield* memory.getCheckpoints(result.run.id)).map((c) => c.stage), ["Quote", "Check", "Send", "Note"])
        assert.deepStrictEqual((yield* memory.getRecordings(result.run.id)).map((r) => r.key), ['prices.quote({"symbol":"SPY"})#1', 'prices.quote({"symbol":"TLT"})#1'])
      }).pipe(Effect.provide(env())))

    it.effect("a failed stage's evidence is written with what was held, then the run is failed; resume goes on from there", () =>
      Effect.gen(function*() {
        const memory = makeMemory()
        const writes: Array<string> = []
        const store = counting(memory, writes)
        const failed = yield* Effect.flip(Runner.start(batched, { ...options, commits: "batched" }).pipe(Effect.provideService(RunStore, store)))
        if (failed._tag !== "RunFailed") return assert.fail(`expected RunFailed, got ${failed._tag}`)
        assert.deepStrictEqual(writes, ["commitStages +run Quote Check(failed)", "updateRun failed"])
        assert.deepStrictEqual((yield* memory.getRecordings(failed.runId as RunId)).map((r) => r.stage), ["Quote", "Check"])
        writes.length = 0
        const resumed = yield* Runner.resume(batched, failed.runId as RunId, { commits: "batched" }).pipe(Effect.provideService(RunStore, store))
        assert.strictEqual(resumed.run.status, "completed")
        assert.deepStrictEqual(writes, ["updateRun running", "commitStage Check", "commitStage Send", "commitStage Note completes"])
      }).pipe(Effect.provide(env(1))))

    it.effect("stages without side effects are held: interrupted before the next write, the run is not there; started again, the same outputs", () =>
      Effect.gen(function*() {
        const memory = makeMemory()
        const stopAt = (stage: string) =>
          Effect.provideService(Runner.RunObserver, (event: Runner.RunEvent) => event._tag === "StageStarted" && event.stage === stage ? Effect.interrupt : Effect.void)
        const only = Pipeline.make("held", [Quote, Check])
        const id = "2026-06-08-held" as RunId
        const stopped = yield* Effect.exit(Runner.start(only, { ...options, runId: id, commits: "batched" }).pipe(stopAt("Check"), Effect.provideService(RunStore, memory)))
        assert.isTrue(Exit.hasInterrupts(stopped))
        assert.isTrue(Option.isNone(yield* memory.getRun(id)), "nothing was written")
        const again = yield* Runner.start(only, { ...options, runId: id, commits: "batched" }).pipe(Effect.provideService(RunStore, memory))
        assert.deepStrictEqual(again.outputs, { Quote: 300, Check: 0 })
        assert.deepStrictEqual((yield* memory.getCheckpoints(id)).map((c) => c.stage), ["Quote", "Check"])
      }).pipe(Effect.provide(env())))

    it.effect("a run id already taken fails the run with its first write, and leaves the run that holds it as it was", () =>
      Effect.gen(function*() {
        const memory = makeMemory()
        const id = "2026-06-08-taken" as RunId
        const finished = yield* Runner.start(batched, { ...options, runId: id }).pipe(Effect.provideService(RunStore, memory))
        assert.strictEqual(finished.run.status, "completed")
        const writes: Array<string> = []
        const again = yield* Effect.flip(Runner.start(batched, { ...options, runId: id, commits: "batched" }).pipe(Effect.provideService(RunStore, counting(memory, writes))))
        assert.include(again.message, `run ${id} already exists`)
        assert.deepStrictEqual(writes, ["commitStages +run Quote Check"], "no status is written over the run that holds the id")
        const stored = Option.getOrThrow(yield* memory.getRun(id))
        assert.deepStrictEqual([stored.status, stored.finishedAt, stored.error], ["completed", finished.run.finishedAt, null])
      }).pipe(Effect.provide(env())))
  })

  it.effect("gives every stage a span with the run id and the stage", () =>
    Effect.gen(function*() {
      const spans: Array<Tracer.Span> = []
      const tracer = Tracer.make({
        span(options) {
          const span = Tracer.nativeTracer.span(options)
          spans.push(span)
          return span
        }
      })
      const result = yield* Runner.start(pipeline, options).pipe(Effect.provideService(Tracer.Tracer, tracer))
      const stageSpans = spans.filter((s) => s.name.startsWith("stage."))
      assert.deepStrictEqual(stageSpans.map((s) => s.name), ["stage.Fetch", "stage.Decide", "stage.Act"])
      for (const span of stageSpans) {
        assert.strictEqual(span.attributes.get("runId"), result.run.id)
        assert.strictEqual(`stage.${String(span.attributes.get("stage"))}`, span.name)
      }
    }).pipe(Effect.provide(env())))

  it.effect("replay re-executes from recordings with zero live calls and reports identical", () =>
    Effect.gen(function*() {
      const result = yield* Runner.start(pipeline, options)
      const prices = yield* Prices
      const before = yield* Ref.get(prices.calls)
      const bundle = yield* Runner.bundleOf(result.run.id)
      const report = yield* Runner.replay(pipeline, bundle)
      assert.strictEqual(yield* Ref.get(prices.calls), before)
      assert.isTrue(report.identical)
      assert.deepStrictEqual(report.stages.map((s) => s.status), ["identical", "identical", "identical"])
    }).pipe(Effect.provide(env())))

  it.effect("replay reports an edited checkpoint as a readable divergence", () =>
    Effect.gen(function*() {
      const result = yield* Runner.start(pipeline, options)
      const bundle = yield* Runner.bundleOf(result.run.id)
      const edited = {
        ...bundle,
        checkpoints: bundle.checkpoints.map((c) => c.stage === "Decide" ? { ...c, output: { buy: "SPY", day } } : c)
      }
      const report = yield* Runner.replay(pipeline, edited)
      assert.isFalse(report.identical)
      assert.deepStrictEqual(report.stages[1], {
        stage: "Decide",
        status: "diverged",
        differences: ['buy: "SPY" → "QQQ"']
      })
      assert.strictEqual(report.stages[2]?.status, "identical")
    }).pipe(Effect.provide(env())))

  it.effect("a replay that meets an unrecorded call fails naming the call", () =>
    Effect.gen(function*() {
      const result = yield* Runner.start(pipeline, options)
      const prices = yield* Prices
      const before = yield* Ref.get(prices.calls)
      const bundle = yield* Runner.bundleOf(result.run.id)
      const report = yield* Runner.replay(pipeline, {
        ...bundle,
        recordings: bundle.recordings.filter((r) => !r.key.includes("QQQQ"))
      })
      assert.deepStrictEqual(report.stages[0], {
        stage: "Fetch",
        status: "failed",
        message: 'replay has no recording for prices.quote({"symbol":"QQQQ"})#1 in stage Fetch'
      })
      assert.strictEqual(report.stages[1]?.status, "not-run")
      assert.strictEqual(yield* Ref.get(prices.calls), before, "the unrecorded call is not made live instead")
    }).pipe(Effect.provide(env())))

  it.effect("a run that stopped replays the stages it ran; a checkpoint missing from a run that ran past it is damage", () =>
    Effect.gen(function*() {
      const result = yield* Runner.start(pipeline, options)
      const bundle = yield* Runner.bundleOf(result.run.id)
      const withoutAct = bundle.checkpoints.filter((c) => c.stage !== "Act")
      const stopped = yield* Runner.replay(pipeline, { ...bundle, run: { ...bundle.run, status: "awaiting-approval" }, checkpoints: withoutAct })
      assert.isTrue(stopped.identical)
      assert.deepStrictEqual(stopped.stages[2], { stage: "Act", status: "stopped", message: "the run stopped before this stage (awaiting-approval)" })
      const lost = yield* Runner.replay(pipeline, { ...bundle, checkpoints: withoutAct })
      assert.isFalse(lost.identical)
      assert.deepStrictEqual(lost.stages[2], {
        stage: "Act",
        status: "missing",
        message: "the run has no checkpoint here, though it completed: the store or bundle is damaged"
      })
      const gap = yield* Runner.replay(pipeline, {
        ...bundle,
        run: { ...bundle.run, status: "failed" },
        checkpoints: bundle.checkpoints.filter((c) => c.stage !== "Decide")
      })
      assert.isFalse(gap.identical)
      assert.deepStrictEqual(gap.stages.map((s) => s.status), ["identical", "missing", "not-run"])
    }).pipe(Effect.provide(env())))
  it.effect("retries a failing stage per its policy", () =>
    Effect.gen(function*() {
      const retrying = Pipeline.make("retrying", [Fetch, { ...Decide, retry: { times: 2, backoff: "1 second" } }])
      const fiber = yield* Effect.forkChild(Runner.start(retrying, options))
      yield* TestClock.adjust("10 seconds")
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isSuccess(exit))
      const flaky = yield* Flaky
      assert.strictEqual(yield* Ref.get(flaky.runs), 3)
    }).pipe(Effect.provide(env(2))))

  it.effect("times out a stage that takes too long", () =>
    Effect.gen(function*() {
      const Slow = Stage.make({ name: "Slow", dependsOn: [], output: Schema.Number, timeout: "5 seconds", run: () => Effect.never })
      const fiber = yield* Effect.forkChild(Runner.start(Pipeline.make("slow", [Slow]), options))
      yield* TestClock.adjust("6 seconds")
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit))
      const store = yield* RunStore
      const runs = yield* store.listRuns({ limit: 1 })
      assert.strictEqual(runs[0]?.status, "failed")
      assert.match(runs[0]?.error ?? "", /Slow timed out after 5s/)
    }).pipe(Effect.provide(env())))

  it.effect("resumes a failed run from its first stage without a checkpoint", () =>
    Effect.gen(function*() {
      const failed = yield* Effect.flip(Runner.start(pipeline, options))
      assert.strictEqual(failed._tag, "RunFailed")
      const store = yield* RunStore
      const [run] = yield* store.listRuns({ limit: 1 })
      assert.strictEqual(run?.status, "failed")
      assert.deepStrictEqual((yield* store.getCheckpoints(run!.id)).map((c) => c.stage), ["Fetch"])
      const prices = yield* Prices
      const callsBefore = yield* Ref.get(prices.calls)
      const resumed = yield* Runner.resume(pipeline, run!.id)
      assert.strictEqual(resumed.run.id, run!.id)
      assert.strictEqual(resumed.run.status, "completed")
      assert.strictEqual(yield* Ref.get(prices.calls), callsBefore)
      const decide = (yield* store.getCheckpoints(run!.id)).find((c) => c.stage === "Decide")
      assert.strictEqual(decide?.attempt, 1)
      const again = yield* Effect.flip(Runner.resume(pipeline, run!.id))
      assert.strictEqual(again._tag, "InvalidRunRequest")
    }).pipe(Effect.provide(env(1))))

  it.effect("an unknown run id is reported", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Runner.resume(pipeline, "nope" as RunId))
      assert.strictEqual(error._tag, "RunNotFound")
    }).pipe(Effect.provide(env())))
})

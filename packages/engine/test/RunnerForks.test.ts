import { assert, describe, it } from "@effect/vitest"
import { Effect, Ref, Schema } from "effect"
import { Pipeline, Recorder, RunContext, Runner, RunStore, Stage } from "@council/engine"
import { Act, Decide, env, Fetch, Flaky, options, pipeline, Prices, QuoteFailed } from "./RunnerFixtures.ts"

describe("Runner forks", () => {
  it.effect("a fork from stage K reuses the parent's checkpoints before K", () =>
    Effect.gen(function*() {
      const parent = yield* Runner.start(pipeline, options)
      const prices = yield* Prices
      const flaky = yield* Flaky
      const fetchCalls = yield* Ref.get(prices.calls)
      const decideRuns = yield* Ref.get(flaky.runs)
      const child = yield* Runner.fork(pipeline, parent.run.id, "Decide", { dryRun: true, codeVersion: "t2", mode: "record" })
      assert.strictEqual(yield* Ref.get(prices.calls), fetchCalls)
      assert.strictEqual(yield* Ref.get(flaky.runs), decideRuns + 1)
      assert.strictEqual(child.run.parentRunId, parent.run.id)
      assert.strictEqual(child.run.forkFrom, "Decide")
      assert.strictEqual(child.outputs["Act"], "would buy QQQ")
      const store = yield* RunStore
      const checkpoints = yield* store.getCheckpoints(child.run.id)
      assert.deepStrictEqual(checkpoints.map((c) => [c.stage, c.reusedFrom]), [
        ["Fetch", parent.run.id],
        ["Decide", null],
        ["Act", null]
      ])
      const report = yield* Runner.replay(pipeline, yield* Runner.bundleOf(child.run.id))
      assert.isTrue(report.identical)
      const unknown = yield* Effect.flip(Runner.fork(pipeline, parent.run.id, "Nope", { dryRun: true, codeVersion: "t", mode: "record" }))
      assert.strictEqual(unknown._tag, "InvalidRunRequest")
    }).pipe(Effect.provide(env())))

  it.effect("a fork that reuses the parent's calls answers re-run calls from its recordings and marks them", () =>
    Effect.gen(function*() {
      const parent = yield* Runner.start(pipeline, options)
      const prices = yield* Prices
      const before = yield* Ref.get(prices.calls)
      const child = yield* Runner.fork(pipeline, parent.run.id, "Fetch", {
        dryRun: true,
        codeVersion: "t2",
        mode: "record",
        reuseParentCalls: true,
        params: { swapped: "x" }
      })
      assert.strictEqual(yield* Ref.get(prices.calls), before)
      assert.deepStrictEqual(child.run.params, { swapped: "x" })
      assert.deepStrictEqual(child.outputs["Fetch"], { spy: 300, qqq: 400 })
      const store = yield* RunStore
      const recordings = yield* store.getRecordings(child.run.id)
      assert.deepStrictEqual(recordings.map((r) => (r.value as { reusedFrom?: string }).reusedFrom), [parent.run.id, parent.run.id])
      assert.isTrue((yield* Runner.replay(pipeline, yield* Runner.bundleOf(child.run.id))).identical)
      const fresh = yield* Runner.fork(pipeline, parent.run.id, "Fetch", { dryRun: true, codeVersion: "t2", mode: "record" })
      assert.strictEqual(yield* Ref.get(prices.calls), before + 2)
      assert.deepStrictEqual(fresh.run.params, {})
    }).pipe(Effect.provide(env())))

  it.effect("a replay of a fork re-derives a reused stage as the run that made it (calls keyed by its run id)", () =>
    Effect.gen(function*() {
      const Seeded = Stage.make({
        name: "Seeded",
        dependsOn: [],
        output: Schema.Number,
        run: () =>
          Effect.gen(function*() {
            const { runId } = yield* RunContext
            const prices = yield* Prices
            return yield* Recorder.call("prices.quote", { symbol: runId }, { success: Schema.Number, failure: QuoteFailed }, prices.quote(runId))
          })
      })
      const Then = Stage.make({ name: "Then", dependsOn: [Seeded], output: Schema.Number, run: ({ Seeded }) => Effect.succeed(Seeded + 1) })
      const seeded = Pipeline.make("seeded", [Seeded, Then])
      const parent = yield* Runner.start(seeded, options)
      const child = yield* Runner.fork(seeded, parent.run.id, "Then", { dryRun: true, codeVersion: "t2", mode: "record" })
      const prices = yield* Prices
      const before = yield* Ref.get(prices.calls)
      const report = yield* Runner.replay(seeded, yield* Runner.bundleOf(child.run.id))
      assert.deepStrictEqual(report.stages.map((s) => s.status), ["identical", "identical"])
      assert.strictEqual(yield* Ref.get(prices.calls), before)
    }).pipe(Effect.provide(env())))

  it.effect("a replay of a fork with parameters of its own re-derives a reused stage with the parameters of the run that made it", () =>
    Effect.gen(function*() {
      // a stage whose call is keyed by the run's parameters (as a PM's question names its account)
      const Asked = Stage.make({
        name: "Asked",
        dependsOn: [],
        output: Schema.Number,
        run: () =>
          Effect.gen(function*() {
            const { params } = yield* RunContext
            const symbol = JSON.stringify(params)
            const prices = yield* Prices
            return yield* Recorder.call("prices.quote", { symbol }, { success: Schema.Number, failure: QuoteFailed }, prices.quote(symbol))
          })
      })
      const Then = Stage.make({ name: "Then", dependsOn: [Asked], output: Schema.Number, run: ({ Asked }) => Effect.succeed(Asked + 1) })
      const asked = Pipeline.make("asked", [Asked, Then])
      const parent = yield* Runner.start(asked, { ...options, params: { accounts: ["A", "B"] } })
      // a retry of one account: the fork's own parameters name only it
      const child = yield* Runner.fork(asked, parent.run.id, "Then", { dryRun: true, codeVersion: "t2", mode: "record", params: { accounts: ["B"] } })
      const { origins, ...bundle } = yield* Runner.bundleOf(child.run.id)
      // the bundle carries them: the parent's parameters, by its id
      assert.deepStrictEqual(origins, { [parent.run.id]: { accounts: ["A", "B"] } })
      const alone = yield* Runner.replay(asked, bundle)
      assert.deepStrictEqual(alone.stages.map((s) => s.status), ["failed", "not-run"])
      const prices = yield* Prices
      const before = yield* Ref.get(prices.calls)
      const report = yield* Runner.replay(asked, bundle, new Map([[parent.run.id, parent.run.params]]))
      assert.deepStrictEqual(report.stages.map((s) => s.status), ["identical", "identical"])
      const carried = yield* Runner.replay(asked, yield* Runner.bundleOf(child.run.id))
      assert.deepStrictEqual(carried.stages.map((s) => s.status), ["identical", "identical"])
      assert.strictEqual(yield* Ref.get(prices.calls), before)
      // a run that reused nothing carries no origins
      assert.notProperty(yield* Runner.bundleOf(parent.run.id), "origins")
    }).pipe(Effect.provide(env())))

  it.effect("a fork runs again, in its place, a stage before K it names in `rerun`, with its own parameters; it replays from the fork's recordings", () =>
    Effect.gen(function*() {
      // a first stage nothing depends on whose call is keyed by the run's parameters (a retry's reconciliation)
      const Note = Stage.make({
        name: "Note",
        dependsOn: [],
        output: Schema.Number,
        run: () =>
          Effect.gen(function*() {
            const symbol = JSON.stringify((yield* RunContext).params)
            const prices = yield* Prices
            return yield* Recorder.call("prices.quote", { symbol }, { success: Schema.Number, failure: QuoteFailed }, prices.quote(symbol))
          })
      })
      const noted = Pipeline.make("noted", [Note, Fetch, Decide, Act])
      const parent = yield* Runner.start(noted, { ...options, params: { accounts: ["A", "B"] } })
      const prices = yield* Prices
      const before = yield* Ref.get(prices.calls)
      const child = yield* Runner.fork(noted, parent.run.id, "Act", { dryRun: true, codeVersion: "t2", mode: "record", params: { accounts: ["B"] }, rerun: ["Note"] })
      // Note asked once more, with the fork's parameters; Fetch was reused (its two quotes not asked)
      assert.strictEqual(yield* Ref.get(prices.calls), before + 1)
      assert.strictEqual(child.outputs["Note"], JSON.stringify({ accounts: ["B"] }).length * 100)
      const store = yield* RunStore
      const made = new Map((yield* store.getCheckpoints(child.run.id)).map((c) => [c.stage, c.reusedFrom] as const))
      assert.deepStrictEqual(noted.stageNames.map((stage) => [stage, made.get(stage)]), [
        ["Note", null],
        ["Fetch", parent.run.id],
        ["Decide", parent.run.id],
        ["Act", null]
      ])
      const report = yield* Runner.replay(noted, yield* Runner.bundleOf(child.run.id), new Map([[parent.run.id, parent.run.params]]))
      assert.deepStrictEqual(report.stages.map((s) => s.status), ["identical", "identical", "identical", "identical"])
      // a stage a reused stage depends on, or one not before K, is refused before anything is written
      const runs = (yield* store.listRuns({ limit: 100 })).length
      const needed = yield* Effect.flip(Runner.fork(noted, parent.run.id, "Act", { dryRun: true, codeVersion: "t2", mode: "record", rerun: ["Fetch"] }))
      assert.strictEqual(needed._tag, "InvalidRunRequest")
      const after = yield* Effect.flip(Runner.fork(noted, parent.run.id, "Decide", { dryRun: true, codeVersion: "t2", mode: "record", rerun: ["Act"] }))
      assert.strictEqual(after._tag, "InvalidRunRequest")
      assert.strictEqual((yield* store.listRuns({ limit: 100 })).length, runs)
    }).pipe(Effect.provide(env())))
})

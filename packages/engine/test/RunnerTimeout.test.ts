import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Ref, Schema } from "effect"
import { TestClock } from "effect/testing"
import type { TradingDay } from "@council/domain"
import { Pipeline, Runner, RunStore, Stage } from "@council/engine"

const day = "2026-06-08" as TradingDay
const options: Runner.StartOptions = { tradingDay: day, asOf: day, mode: "record", dryRun: false, codeVersion: "t", params: {} }

/** A stage that gives way to the scheduler `times` times before it answers (an async stage, as one awaiting I/O is). */
const yielding = (name: string, times: number, timeout: Duration.Input) =>
  Stage.make({
    name,
    dependsOn: [],
    output: Schema.Number,
    timeout,
    run: () => Effect.as(Effect.repeat(Effect.yieldNow, { times: times - 1 }), times)
  })

/**
 * A run of one stage that sleeps `sleep` under `timeout`, forked so the test can move the clock: `interrupted` says
 * whether the stage was interrupted.
 */
const sleeping = (name: string, sleep: Duration.Input, timeout: Duration.Input) =>
  Effect.gen(function*() {
    const interrupted = yield* Ref.make(false)
    const stage = Stage.make({
      name,
      dependsOn: [],
      output: Schema.Number,
      timeout,
      run: () => Effect.andThen(Effect.sleep(sleep), Effect.succeed(1)).pipe(Effect.onInterrupt(() => Ref.set(interrupted, true)))
    })
    const fiber = yield* Effect.forkChild(Runner.start(Pipeline.make(name.toLowerCase(), [stage]), options))
    return { fiber, interrupted: Ref.get(interrupted) }
  })

describe("Runner stage timeouts", () => {
  it.effect("a stage that ends at once and one that waits on the scheduler both complete under their timeouts", () =>
    Effect.gen(function*() {
      const pipeline = Pipeline.make("mixed", [
        Stage.make({ name: "Sync", dependsOn: [], output: Schema.Number, timeout: "5 seconds", run: () => Effect.succeed(1) }),
        yielding("Async", 50, Duration.seconds(5))
      ])
      const result = yield* Runner.start(pipeline, options)
      assert.strictEqual(result.run.status, "completed")
      assert.deepStrictEqual(result.outputs, { Sync: 1, Async: 50 })
      const store = yield* RunStore
      assert.deepStrictEqual((yield* store.getCheckpoints(result.run.id)).map((c) => [c.stage, c.output]), [["Sync", 1], ["Async", 50]])
    }).pipe(Effect.provide(RunStore.layerMemory)))

  it.effect("a stage that waits past its timeout fails the run and is interrupted", () =>
    Effect.gen(function*() {
      const { fiber, interrupted } = yield* sleeping("Slow", "1 minute", "2 seconds")
      yield* TestClock.adjust("3 seconds")
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.isFailure(exit))
      assert.isTrue(yield* interrupted, "the timed-out stage was interrupted")
      const [run] = yield* RunStore.use((store) => store.listRuns({ limit: 1 }))
      assert.strictEqual(run?.status, "failed")
      assert.match(run?.error ?? "", /Slow timed out after 2s/)
    }).pipe(Effect.provide(RunStore.layerMemory)))

  it.effect("interrupting a run interrupts the stage under way, which neither times out nor checkpoints", () =>
    Effect.gen(function*() {
      const { fiber, interrupted } = yield* sleeping("Waiting", "5 seconds", "10 seconds")
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      assert.isTrue(yield* interrupted, "the stage was interrupted with its run")
      // nothing is left waiting: past both the stage's sleep and its timeout, nothing more happens
      yield* TestClock.adjust("20 seconds")
      const [run] = yield* RunStore.use((store) => store.listRuns({ limit: 1 }))
      assert.strictEqual(run?.status, "running")
      assert.deepStrictEqual(yield* RunStore.use((store) => store.getCheckpoints(run!.id)), [])
    }).pipe(Effect.provide(RunStore.layerMemory)))
})

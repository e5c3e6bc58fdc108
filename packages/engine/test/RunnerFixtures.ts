/**
 * The runner tests' small pipeline: Fetch (two recorded quotes) → Decide (fails its first `failures` runs) → Act (a
 * side effect), over the memory store.
 */
import { Context, Effect, Layer, Ref, Schema } from "effect"
import type { TradingDay } from "@council/domain"
import { Pipeline, Recorder, RunContext, type Runner, RunStore, Stage } from "@council/engine"

export const day = "2026-06-08" as TradingDay

export class Prices extends Context.Service<Prices, {
  readonly quote: (symbol: string) => Effect.Effect<number>
  readonly calls: Ref.Ref<number>
}>()("test/Prices") {
  static readonly layer = Layer.effect(Prices, Effect.gen(function*() {
    const calls = yield* Ref.make(0)
    return Prices.of({ quote: (symbol) => Ref.update(calls, (n) => n + 1).pipe(Effect.as(symbol.length * 100)), calls })
  }))
}

export class Flaky extends Context.Service<Flaky, { readonly failuresLeft: Ref.Ref<number>; readonly runs: Ref.Ref<number> }>()(
  "test/Flaky"
) {
  static readonly layer = (failures: number) =>
    Layer.effect(Flaky, Effect.gen(function*() {
      return Flaky.of({ failuresLeft: yield* Ref.make(failures), runs: yield* Ref.make(0) })
    }))
}

export class QuoteFailed extends Schema.TaggedError<QuoteFailed>()("QuoteFailed", { message: Schema.String }) {}

export const Fetch = Stage.make({
  name: "Fetch",
  dependsOn: [],
  output: Schema.Struct({ spy: Schema.Number, qqq: Schema.Number }),
  run: () =>
    Effect.gen(function*() {
      const prices = yield* Prices
      const quote = (symbol: string) =>
        Recorder.call("prices.quote", { symbol }, { success: Schema.Number, failure: QuoteFailed }, prices.quote(symbol))
      return { spy: yield* quote("SPY"), qqq: yield* quote("QQQQ") }
    })
})

export const Decide = Stage.make({
  name: "Decide",
  dependsOn: [Fetch],
  output: Schema.Struct({ buy: Schema.String, day: Schema.String }),
  run: ({ Fetch }) =>
    Effect.gen(function*() {
      const flaky = yield* Flaky
      yield* Ref.update(flaky.runs, (n) => n + 1)
      const left = yield* Ref.getAndUpdate(flaky.failuresLeft, (n) => Math.max(0, n - 1))
      if (left > 0) return yield* Effect.fail(new QuoteFailed({ message: "decider unavailable" }))
      const context = yield* RunContext
      const store = yield* RunStore
      const checkpoints = yield* store.getCheckpoints(context.runId)
      if (!checkpoints.some((c) => c.stage === "Fetch")) return yield* Effect.die("Fetch was not checkpointed first")
      return { buy: Fetch.spy > Fetch.qqq ? "SPY" : "QQQ", day: context.tradingDay }
    })
})

export const Act = Stage.make({
  name: "Act",
  dependsOn: [Decide, Fetch],
  output: Schema.String,
  sideEffects: true,
  run: ({ Decide, Fetch }) =>
    Effect.gen(function*() {
      const context = yield* RunContext
      return context.dryRun ? `would buy ${Decide.buy}` : `bought ${Decide.buy} at ${Fetch.spy}`
    })
})

export const pipeline = Pipeline.make("test", [Fetch, Decide, Act])

export const options: Runner.StartOptions = { tradingDay: day, asOf: day, mode: "record", dryRun: false, codeVersion: "t", params: {} }

export const env = (failures = 0) => Layer.mergeAll(RunStore.layerMemory, Prices.layer, Flaky.layer(failures))

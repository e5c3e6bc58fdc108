/**
 * A run stored in SQLite replays as identical: what its stages compute again is compared with what the store gives
 * back, JSON that has been written as text and read (not the objects the run made, as the memory store keeps them).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import type { TradingDay } from "@council/domain"
import { Pipeline, Runner, Stage } from "@council/engine"
import { sqliteStore, tempFile } from "./StoreFixture.ts"

const day = "2026-06-08" as TradingDay

// a P&L of a tenth of a cent lost, kept to the cent: `Number((-0.001).toFixed(2))` is −0, which JSON writes as 0
const Mark = Stage.make({
  name: "Mark",
  dependsOn: [],
  output: Schema.Struct({ pnl: Schema.Number, pnls: Schema.Array(Schema.Number) }),
  run: () => Effect.sync(() => ({ pnl: Number((-0.001).toFixed(2)), pnls: [Math.round(-0.4), 1.5] }))
})

const pipeline = Pipeline.make("replay-stored", [Mark])

describe("Runner.replay of a run read back from SQLite", () => {
  it.effect("a stage output holding −0 (a loss rounded to nothing) replays identical: JSON has no −0", () =>
    Effect.gen(function*() {
      const result = yield* Runner.start(pipeline, { tradingDay: day, asOf: day, mode: "record", dryRun: false, codeVersion: "t", params: {} })
      const report = yield* Runner.replay(pipeline, yield* Runner.bundleOf(result.run.id))
      assert.deepStrictEqual(report.stages, [{ stage: "Mark", status: "identical" }])
      assert.isTrue(report.identical)
    }).pipe(Effect.provide(sqliteStore(tempFile("council.db")))))
})

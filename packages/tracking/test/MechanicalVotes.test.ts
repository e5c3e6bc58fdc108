import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { RunId, TradingDay } from "@council/domain"
import { RunStore } from "@council/engine"
import { MechanicalVotes } from "@council/tracking"

const trade = (symbol: string, direction: string) => ({ symbol, direction, conviction: 2, riskProfile: "BASE", horizon: "1W" })

/** A council synthesis as the daily pipeline stores it (encoded). */
const synthesis = (fields: { readonly trades: ReadonlyArray<ReturnType<typeof trade>>; readonly source: string; readonly mechanical?: ReadonlyArray<ReturnType<typeof trade>> }) => ({
  asOf: "2026-03-02",
  trades: fields.trades,
  rationale: "r",
  dissent: [],
  source: fields.source,
  monitoring: [],
  ...(fields.mechanical === undefined ? {} : { mechanical: { trades: fields.mechanical, rationale: "vote", dissent: [] } })
})

const outputs: ReadonlyArray<readonly [string, Schema.Json]> = [
  // the shadow vote kept beside the chairman's decision
  ["2026-03-02", synthesis({ trades: [trade("SPY", "LONG")], source: "chairman", mechanical: [trade("QQQ", "LONG"), trade("TLT", "SHORT")] })],
  // before the shadow vote was kept: the decision, when the mechanical vote made it
  ["2026-03-03", synthesis({ trades: [trade("GLD", "LONG"), trade("IWM", "FLAT")], source: "mechanical conviction vote" })],
  // the chairman's decision without a vote beside it: no vote
  ["2026-03-04", synthesis({ trades: [trade("XLE", "LONG")], source: "chairman" })],
  // an empty vote is a vote
  ["2026-03-05", synthesis({ trades: [], source: "chairman", mechanical: [] })],
  // not a synthesis
  ["2026-03-06", { unexpected: true }]
]

const expected = [
  { date: "2026-03-02", trades: [{ symbol: "QQQ", direction: "LONG" }, { symbol: "TLT", direction: "SHORT" }] },
  { date: "2026-03-03", trades: [{ symbol: "GLD", direction: "LONG" }, { symbol: "IWM", direction: "FLAT" }] },
  { date: "2026-03-05", trades: [] }
]

/** A store holding one completed daily run a day with `outputs`' syntheses, each committed with its digest or not. */
const stored = (withDigest: (day: string) => boolean) =>
  Effect.gen(function*() {
    const store = yield* RunStore
    for (const [day, output] of outputs) {
      const runId = RunId.make(`run-${day}`)
      const at = `${day}T20:00:00.000Z`
      yield* store.createRun({
        id: runId, pipeline: "daily", tradingDay: TradingDay.make(day), asOf: TradingDay.make(day), mode: "record", dryRun: false,
        codeVersion: "test", parentRunId: null, forkFrom: null, status: "completed", startedAt: at, finishedAt: at, error: null, params: {}
      })
      yield* store.commitStage({
        runId,
        stage: "CouncilSynthesis",
        checkpoint: { runId, stage: "CouncilSynthesis", output, inputHash: day, attempt: 1, startedAt: at, finishedAt: at, durationMs: 1, reusedFrom: null },
        recordings: [],
        ...(withDigest(day) ? { digest: MechanicalVotes.digestOf(output) } : {})
      })
    }
    return store
  }).pipe(Effect.provide(Layer.fresh(RunStore.layerMemory)))

describe("MechanicalVotes", () => {
  it.effect("reads the same votes from the runs' digests, from their outputs, and from a mix of both", () =>
    Effect.gen(function*() {
      const [from, to] = [TradingDay.make("2026-03-01"), TradingDay.make("2026-03-31")]
      for (const withDigest of [() => true, () => false, (day: string) => day < "2026-03-04"]) {
        const store = yield* stored(withDigest)
        const votes: unknown = yield* MechanicalVotes.votesIn(store, from, to)
        assert.deepStrictEqual(votes, expected)
      }
    }))

  it.effect("reads a digest, not the output, where a run kept one", () =>
    Effect.gen(function*() {
      const store = yield* stored(() => true)
      const read = yield* store.stageOutputs({
        pipeline: "daily", stage: "CouncilSynthesis", from: TradingDay.make("2026-03-02"), to: TradingDay.make("2026-03-02"), digests: true
      })
      assert.deepStrictEqual(read.map((r) => [r.digest, r.output]), [[[{ symbol: "QQQ", direction: "LONG" }, { symbol: "TLT", direction: "SHORT" }], undefined]])
    }))
})

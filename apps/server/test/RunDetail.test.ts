import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as SqlClient from "effect/sql/SqlClient"
import { RunId, TradingDay } from "@council/domain"
import { RunStore } from "@council/engine"
import { Database, SqlRunStore } from "@council/store"
import { runDetail } from "../src/RunsHandlers.ts"

const dirs: Array<string> = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))
const store = () => {
  const dir = mkdtempSync(join(tmpdir(), "council-run-detail-"))
  dirs.push(dir)
  return SqlRunStore.layer.pipe(Layer.provideMerge(Database.layerSqlite(join(dir, "council.db"))), Layer.orDie)
}

const id = RunId.make("2026-06-08-0000beef")
const day = TradingDay.make("2026-06-08")
const checkpoint = (stage: string, output: unknown, reusedFrom: RunId | null = null) => ({
  runId: id,
  stage,
  output: output as never,
  inputHash: `h-${stage}`,
  attempt: 1,
  startedAt: "2026-06-08T20:00:00.000Z",
  finishedAt: "2026-06-08T20:00:01.500Z",
  durationMs: 1500,
  reusedFrom
})

/** A run as the LLM council's pipeline would store it: a PeerReview stage, the mechanical vote beside the decision. */
const seedLlmRun = Effect.gen(function*() {
  const runs = yield* RunStore
  yield* runs.createRun({
    id, pipeline: "daily", tradingDay: day, asOf: day, mode: "record", dryRun: true, codeVersion: "t", parentRunId: null, forkFrom: null,
    status: "completed", startedAt: "2026-06-08T20:00:00.000Z", finishedAt: "2026-06-08T20:00:09.000Z", error: null, params: {}
  })
  yield* runs.putCheckpoint(checkpoint("FetchData", { asOf: day }, RunId.make("2026-06-05-parent00")))
  yield* runs.putCheckpoint(checkpoint("PmPitches", { pitches: [], abstentions: [{ pm: "GROQ", reason: "timeout" }], exchanges: [{ model: "m", costUsd: 0.01 }] }))
  yield* runs.putCheckpoint(checkpoint("PeerReview", { ballots: [{ reviewer: "CLAUDE", ranking: ["CHATGPT"] }], aggregate: [] }))
  yield* runs.putCheckpoint(checkpoint("CouncilSynthesis", { trades: [], rationale: "flat", mechanical: { trades: [{ symbol: "SPY" }], rationale: "vote" } }))
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE llm_spend (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, stage TEXT NOT NULL,
    actor TEXT NOT NULL, purpose TEXT NOT NULL, model TEXT NOT NULL, cost_usd REAL NOT NULL, estimated BOOLEAN NOT NULL, at TEXT NOT NULL)`
  for (const [stage, actor, cost] of [["PmPitches", "CLAUDE", 0.02], ["PmPitches", "CLAUDE", 0.03], ["CouncilSynthesis", "CHAIRMAN", 0.1]] as const) {
    yield* sql`INSERT INTO llm_spend ${sql.insert({ run_id: id, stage, actor, purpose: "p", model: "model-x", cost_usd: cost, estimated: 0, at: "2026-06-08T20:00:02Z" })}`
  }
})

describe("run detail", () => {
  it.effect("passes on what newer stages store: peer reviews, the shadow vote, extra fields, LLM costs by stage and actor", () =>
    Effect.gen(function*() {
      yield* seedLlmRun
      const detail = yield* runDetail(id)
      assert.deepStrictEqual(detail.stages.map((s) => [s.name, s.status]), [
        ["FetchData", "reused"], ["PmPitches", "completed"], ["CouncilSynthesis", "completed"], ["RiskApproval", "missing"], ["Execution", "missing"], ["PeerReview", "completed"]
      ])
      assert.strictEqual(detail.stages[0]!.reusedFrom, "2026-06-05-parent00")
      assert.deepStrictEqual(detail.reviews, { ballots: [{ reviewer: "CLAUDE", ranking: ["CHATGPT"] }], aggregate: [] })
      assert.deepStrictEqual(detail.shadowVote, { trades: [{ symbol: "SPY" }], rationale: "vote" })
      assert.deepStrictEqual(detail.pitches, { pitches: [], abstentions: [{ pm: "GROQ", reason: "timeout" }], exchanges: [{ model: "m", costUsd: 0.01 }] })
      assert.isNull(detail.verdicts)
      assert.deepStrictEqual(detail.llmCosts?.map((l) => [l.stage, l.actor, l.calls, Math.round(l.costUsd * 100)]), [
        ["CouncilSynthesis", "CHAIRMAN", 1, 10],
        ["PmPitches", "CLAUDE", 2, 5]
      ])
      assert.strictEqual(detail.run.durationMs, 9000)
      const missing = yield* runDetail("nope").pipe(Effect.flip)
      assert.strictEqual(missing._tag, "NotFound")
    }).pipe(Effect.provide(store())))
})

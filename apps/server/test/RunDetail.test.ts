import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { TradingAccounts } from "@council/broker"
import { AccountId, type CouncilDecision, type PeerReviewResult, RunId, Ticker, TradingDay } from "@council/domain"
import { RunStore } from "@council/engine"
import { SpendLedger } from "@council/llm"
import { Database, RunLock, SqlRunStore } from "@council/store"
import { runDetail, shadowVoteOf } from "../src/RunsHandlers.ts"

const dirs: Array<string> = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))
const store = () => {
  const dir = mkdtempSync(join(tmpdir(), "council-run-detail-"))
  dirs.push(dir)
  return Layer.mergeAll(SqlRunStore.layer, SpendLedger.layerSql, RunLock.layer, TradingAccounts.layer([])).pipe(Layer.provideMerge(Database.layerSqlite(join(dir, "council.db"))), Layer.orDie)
}

const day = TradingDay.make("2026-06-08")
const pm = AccountId.make

const createRun = (id: RunId, running = false) =>
  RunStore.use((runs) =>
    runs.createRun({
      id, pipeline: "daily", tradingDay: day, asOf: day, mode: "record", dryRun: !running, codeVersion: "t", parentRunId: null, forkFrom: null,
      status: running ? "running" : "completed", startedAt: "2026-06-08T20:00:00.000Z", finishedAt: running ? null : "2026-06-08T20:00:09.000Z",
      error: null, params: { accounts: [{ id: "CLAUDE" }] }
    })
  )

const checkpoint = (runId: RunId, stage: string, output: unknown, reusedFrom: RunId | null = null) =>
  RunStore.use((runs) =>
    runs.putCheckpoint({
      runId, stage, output: output as never, inputHash: `h-${stage}`, attempt: 1, startedAt: "2026-06-08T20:00:00.000Z",
      finishedAt: "2026-06-08T20:00:01.500Z", durationMs: 1500, reusedFrom
    })
  )

const review: PeerReviewResult = {
  asOf: day,
  ballots: [{ reviewer: pm("CLAUDE"), shown: [{ label: "Pitch A", pm: pm("CHATGPT") }, { label: "Pitch B", pm: pm("GEMINI") }], ranking: [pm("GEMINI"), pm("CHATGPT")], rationale: "B sized its risk", source: "anthropic:claude-sonnet-4-6" }],
  abstentions: [{ pm: pm("GROQ"), reason: "401 unauthorized" }],
  aggregate: [{ pm: pm("GEMINI"), points: 1, ballots: 1 }, { pm: pm("CHATGPT"), points: 0, ballots: 1 }]
}

const trade = (symbol: string, direction: "LONG" | "SHORT", conviction: 1 | 2 | -1 | -2) =>
  ({ symbol: Ticker.make(symbol), direction, conviction, riskProfile: "BASE", horizon: "1W" }) as const

const mechanical = { trades: [trade("SPY", "LONG", 1)], rationale: "conviction-weighted vote", dissent: ["GEMINI: SHORT QQQ"] }

const decision: CouncilDecision = {
  asOf: day, trades: [trade("TLT", "LONG", 2)], rationale: "duration over equities", dissent: ["CLAUDE wanted SPY"], votes: [],
  source: "anthropic:claude-sonnet-4-6", monitoring: ["10y yield"], mechanical
}

describe("run detail", () => {
  it.effect("types what the LLM council stores: peer reviews, the mechanical vote against the decision, LLM costs per stage and PM from llm_spend", () =>
    Effect.gen(function*() {
      const id = RunId.make("2026-06-08-0000beef")
      yield* createRun(id)
      yield* checkpoint(id, "FetchData", { asOf: day }, RunId.make("2026-06-05-parent00"))
      yield* checkpoint(id, "PmPitches", { pitches: [], abstentions: [{ pm: "GROQ", reason: "timeout" }] })
      yield* checkpoint(id, "PeerReview", review)
      yield* checkpoint(id, "CouncilSynthesis", decision)
      const ledger = yield* SpendLedger
      for (const [stage, actor, costUsd, at] of [["PmPitches", "CLAUDE", 0.25, "01"], ["PmPitches", "CLAUDE", 0.125, "02"], ["PeerReview", "CLAUDE", 0.0625, "03"], ["CouncilSynthesis", "CHAIRMAN", 0.5, "04"]] as const) {
        yield* ledger.record({ runId: id, stage, actor, purpose: "p", model: "anthropic:claude-sonnet-4-6", costUsd, estimated: false, at: `2026-06-08T20:00:${at}.000Z` })
      }
      const detail = yield* runDetail(id)
      assert.deepStrictEqual(detail.stages.map((s) => [s.name, s.status]), [
        ["Reconcile", "missing"], ["FetchData", "reused"], ["PmPitches", "completed"], ["PeerReview", "completed"], ["CouncilSynthesis", "completed"], ["RiskApproval", "missing"], ["Execution", "missing"]
      ])
      assert.strictEqual(detail.stages[1]!.reusedFrom, "2026-06-05-parent00")
      assert.deepStrictEqual(detail.reviews, review)
      assert.deepStrictEqual(detail.shadowVote, { ...mechanical, agrees: false, fallback: null })
      assert.deepStrictEqual(detail.decision, JSON.parse(JSON.stringify(decision)))
      assert.deepStrictEqual(detail.llmCosts?.byStage.map((s) => [s.stage, s.calls, s.costUsd]), [["PmPitches", 2, 0.375], ["PeerReview", 1, 0.0625], ["CouncilSynthesis", 1, 0.5]])
      assert.deepStrictEqual(detail.llmCosts?.byActor.map((a) => [a.actor, a.costUsd]), [["CLAUDE", 0.4375], ["CHAIRMAN", 0.5]])
      assert.strictEqual(detail.llmCosts?.totalUsd, 0.9375)
      assert.strictEqual(detail.run.durationMs, 9000)
      const missing = yield* runDetail("nope").pipe(Effect.flip)
      assert.strictEqual(missing._tag, "NotFound")
    }).pipe(Effect.provide(store())))

  it.effect("a running run is in progress while a live lease names it; once nobody holds it, stopped with the command that resumes it", () =>
    Effect.gen(function*() {
      const id = RunId.make("2026-06-08-0000dead")
      yield* createRun(id, true)
      const during = yield* Effect.scoped(Effect.gen(function*() {
        const lease = yield* RunLock.use((lock) => lock.acquire(`daily:${day}`, { command: "run daily", ttlMillis: 60_000 }))
        yield* lease.setRunId(id)
        return (yield* runDetail(id)).run.activity
      }))
      assert.deepStrictEqual(during, { state: "in-progress", next: null })
      assert.deepStrictEqual((yield* runDetail(id)).run.activity, { state: "stopped", next: "resume with: pnpm pipeline run daily --date 2026-06-08 --accounts CLAUDE" })
      yield* createRun(RunId.make("2026-06-08-00000ok0"))
      assert.isNull((yield* runDetail("2026-06-08-00000ok0")).run.activity)
    }).pipe(Effect.provide(store())))

  it.effect("passes on what older code stored and stages it does not know; a review it cannot read stays in the outputs only", () =>
    Effect.gen(function*() {
      const id = RunId.make("2026-06-08-00000old")
      yield* createRun(id)
      const oldDecision = { asOf: day, trades: [], rationale: "flat", dissent: [], votes: [], source: "mechanical" }
      yield* checkpoint(id, "CouncilSynthesis", oldDecision)
      yield* checkpoint(id, "PeerReview", { ballots: "not ballots" })
      yield* checkpoint(id, "Hedging", { hedges: [1, 2] })
      const detail = yield* runDetail(id)
      assert.deepStrictEqual(detail.decision, oldDecision)
      assert.isNull(detail.shadowVote)
      assert.isNull(detail.reviews)
      assert.deepStrictEqual(detail.outputs["PeerReview"], { ballots: "not ballots" })
      assert.deepStrictEqual(detail.outputs["Hedging"], { hedges: [1, 2] })
      assert.strictEqual(detail.stages.at(-1)!.name, "Hedging")
      assert.isNull(detail.llmCosts)
    }).pipe(Effect.provide(store())))

  it("the shadow vote agrees when the decision trades the same symbols the same way, and says why the chairman's answer was not used", () => {
    const fellBack = { ...decision, ...mechanical, trades: [{ ...trade("SPY", "LONG", 2) }], fallback: "the chairman gave no usable decision" }
    assert.deepStrictEqual(shadowVoteOf(fellBack), { ...mechanical, agrees: true, fallback: "the chairman gave no usable decision" })
    assert.isFalse(shadowVoteOf({ ...decision, trades: [trade("SPY", "SHORT", -1)] })!.agrees)
    assert.isFalse(shadowVoteOf({ ...decision, trades: [] })!.agrees)
    assert.isNull(shadowVoteOf(null))
  })
})

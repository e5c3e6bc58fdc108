import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as SqlClient from "effect/sql/SqlClient"
import { RunId, TradingDay } from "@council/domain"
import { type RunRecord, RunStore } from "@council/engine"
import { SpendLedger } from "@council/llm"
import { Database, SqlRunStore } from "@council/store"
import { BookId, liveBook, LlmCosts } from "@council/tracking"
import { PgServer } from "../../store/test/PgServer.ts"

const dirs: Array<string> = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const ACCOUNTS = ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"]
const D1 = TradingDay.make("2025-01-06")
const D2 = TradingDay.make("2025-01-07")
const D3 = TradingDay.make("2025-01-08")

const runOn = (id: string, day: TradingDay): RunRecord => ({
  id: RunId.make(id), pipeline: "daily", tradingDay: day, asOf: day, mode: "record", dryRun: false, codeVersion: "t",
  parentRunId: null, forkFrom: null, status: "completed", startedAt: `${day}T20:00:00.000Z`, finishedAt: `${day}T20:00:09.000Z`,
  error: null, params: {}
})

/** `[stage, actor, model, cost, estimated, at]`, written through llm's own SpendLedger. */
type Spend = readonly [string, string, string, number, boolean, string]

const spend = (runId: string, calls: ReadonlyArray<Spend>) =>
  Effect.gen(function*() {
    const ledger = yield* SpendLedger
    for (const [stage, actor, model, costUsd, estimated, at] of calls) {
      yield* ledger.record({ runId, stage, actor, purpose: stage === "PeerReview" ? "review" : stage === "PmPitches" ? "pitch" : "synthesis", model, costUsd, estimated, at })
    }
  })

/** Two local runs, an imported run and a call outside any run (`verify`). */
const seed = Effect.gen(function*() {
  const runs = yield* RunStore
  yield* runs.createRun(runOn("2025-01-06-aaaaaaaa", D1))
  yield* runs.createRun(runOn("2025-01-08-bbbbbbbb", D3))
  yield* runs.importBundle({ run: runOn("2025-01-07-cccccccc", D2), checkpoints: [], recordings: [] })
  yield* spend("2025-01-06-aaaaaaaa", [
    ["CouncilSynthesis", "CHAIRMAN", "anthropic:claude-sonnet-4-6", 0.5, false, "2025-01-06T20:00:05.000Z"],
    ["PmPitches", "CLAUDE", "anthropic:claude-sonnet-4-6", 0.125, false, "2025-01-06T20:00:01.000Z"],
    ["PmPitches", "CHATGPT", "openai:gpt-5.4", 0.25, false, "2025-01-06T20:00:01.500Z"],
    ["PmPitches", "CHATGPT", "openai:gpt-5.4", 0.0625, true, "2025-01-06T20:00:02.000Z"],
    ["PeerReview", "CHATGPT", "openai:gpt-5.4", 0.03125, false, "2025-01-06T20:00:03.000Z"],
    ["PeerReview", "GEMINI", "gemini:gemini-3.1-pro-preview", 0.015625, false, "2025-01-06T20:00:03.500Z"]
  ])
  yield* spend("2025-01-08-bbbbbbbb", [["PmPitches", "GROQ", "groq:openai/gpt-oss-120b", 2, false, "2025-01-08T20:00:01.000Z"]])
  yield* spend("2025-01-07-cccccccc", [["PmPitches", "GROQ", "groq:openai/gpt-oss-120b", 100, false, "2025-01-07T20:00:01.000Z"]])
  yield* spend("-", [["-", "CLAUDE", "anthropic:claude-sonnet-4-6", 1000, false, "2025-01-06T21:00:00.000Z"]])
})

const contract = (test: (name: string, body: () => Effect.Effect<void, unknown, RunStore | SpendLedger | SqlClient.SqlClient>) => void) => {
  test("charges a PM's account its own calls and every other account all of them, on the run's trading day; imported runs and calls outside a run count for nothing", () =>
    Effect.gen(function*() {
      yield* seed
      const costs = Option.getOrThrow(yield* LlmCosts.dailyCosts(liveBook, ACCOUNTS))
      const on = (day: string) => ACCOUNTS.map((a) => costs.get(day)?.get(a) ?? 0)
      assert.deepStrictEqual(on(D1), [0.34375, 0.015625, 0.125, 0, 0, 0.984375])
      assert.deepStrictEqual(on(D2), [0, 0, 0, 0, 0, 0])
      assert.deepStrictEqual(on(D3), [0, 0, 0, 2, 0, 2])
    }))

  test("is absent for a book no run of which asked a model; a window without spend in a book with some is 0, not absent", () =>
    Effect.gen(function*() {
      assert.isTrue(Option.isNone(yield* LlmCosts.dailyCosts(liveBook, ACCOUNTS)))
      yield* seed
      assert.deepStrictEqual([...Option.getOrThrow(yield* LlmCosts.dailyCosts(liveBook, ACCOUNTS, { from: D2, to: D2 })).keys()], [])
      const window = Option.getOrThrow(yield* LlmCosts.dailyCosts(liveBook, ACCOUNTS, { from: D2 }))
      assert.deepStrictEqual([...window.keys()], [D3])
      assert.isTrue(Option.isNone(yield* LlmCosts.dailyCosts(BookId.make("bt-1"), ACCOUNTS)))
    }))

  test("charges a backtest's book the calls its runs made (by book and session), apart from the live book's", () =>
    Effect.gen(function*() {
      yield* seed
      const ledger = yield* SpendLedger
      const book = BookId.make("bt-2025-01-06-2025-01-07-abc123")
      // a backtest's run ids repeat from one backtest to the next, and may even equal a live run's
      const backtest = (runId: string, tradingDay: string, actor: string, costUsd: number, inBook = book) =>
        ledger.record({ runId, stage: "PmPitches", actor, purpose: "pitch", model: "openai:gpt-5.4", costUsd, estimated: false, at: `${tradingDay}T21:00:00.000Z`, book: inBook, tradingDay })
      yield* backtest("2025-01-06-bt", D1, "CLAUDE", 4)
      yield* backtest("2025-01-07-bt", D2, "CHATGPT", 8)
      yield* backtest("2025-01-06-aaaaaaaa", D1, "CHATGPT", 16)
      yield* backtest("2025-01-06-bt", D1, "CLAUDE", 32, BookId.make("bt-other"))
      const costs = Option.getOrThrow(yield* LlmCosts.dailyCosts(book, ACCOUNTS))
      const on = (day: string) => ACCOUNTS.map((a) => costs.get(day)?.get(a) ?? 0)
      assert.deepStrictEqual(on(D1), [16, 0, 4, 0, 0, 20])
      assert.deepStrictEqual(on(D2), [8, 0, 0, 0, 0, 8])
      assert.deepStrictEqual([...Option.getOrThrow(yield* LlmCosts.dailyCosts(book, ACCOUNTS, { from: D2 })).keys()], [D2])
      // the live book is as it was
      const live = Option.getOrThrow(yield* LlmCosts.dailyCosts(liveBook, ACCOUNTS))
      assert.deepStrictEqual(ACCOUNTS.map((a) => live.get(D1)?.get(a) ?? 0), [0.34375, 0.015625, 0.125, 0, 0, 0.984375])
      // per run, as `runs --backtest` charges them: the book's rows alone, the live book's without one
      const totals = (charged: ReadonlyMap<string, { readonly totalUsd: number }>) => Object.fromEntries([...charged].map(([id, c]) => [id, c.totalUsd]))
      const ids = ["2025-01-06-bt", "2025-01-07-bt", "2025-01-06-aaaaaaaa"]
      assert.deepStrictEqual(totals(yield* ledger.runCharges(ids, book)), { "2025-01-06-bt": 4, "2025-01-07-bt": 8, "2025-01-06-aaaaaaaa": 16 })
      assert.deepStrictEqual(totals(yield* ledger.runCharges(ids, "bt-other")), { "2025-01-06-bt": 32 })
      assert.deepStrictEqual(totals(yield* ledger.runCharges(ids)), { "2025-01-06-aaaaaaaa": 0.984375 })
    }))

  test("says what of the costs is an estimate (a call charged its worst case), attributed as the costs are; so does the spend ledger per run", () =>
    Effect.gen(function*() {
      yield* seed
      const estimated = yield* LlmCosts.estimatedDailyCosts(liveBook, ACCOUNTS)
      assert.deepStrictEqual([...estimated.keys()], [D1])
      assert.deepStrictEqual(ACCOUNTS.map((a) => estimated.get(D1)?.get(a) ?? 0), [0.0625, 0, 0, 0, 0, 0.0625])
      assert.deepStrictEqual([...(yield* LlmCosts.estimatedDailyCosts(liveBook, ACCOUNTS, { from: D2 })).keys()], [])
      const ledger = yield* SpendLedger
      const charged = yield* ledger.runCharges(["2025-01-06-aaaaaaaa", "2025-01-08-bbbbbbbb"])
      assert.deepStrictEqual([charged.get("2025-01-06-aaaaaaaa")?.estimatedUsd, charged.get("2025-01-08-bbbbbbbb")?.estimatedUsd], [0.0625, 0])
    }))

  test("gives a run's spend per stage (in the order they spent), per PM and chairman, per model, with the turns charged at their worst case", () =>
    Effect.gen(function*() {
      yield* seed
      const run = Option.getOrThrow(yield* LlmCosts.runCosts("2025-01-06-aaaaaaaa"))
      assert.deepStrictEqual(run.lines.map((l) => [l.stage, l.actor, l.model, l.calls, l.estimatedCalls, l.costUsd, l.estimatedUsd]), [
        ["PmPitches", "CHATGPT", "openai:gpt-5.4", 2, 1, 0.3125, 0.0625],
        ["PmPitches", "CLAUDE", "anthropic:claude-sonnet-4-6", 1, 0, 0.125, 0],
        ["PeerReview", "CHATGPT", "openai:gpt-5.4", 1, 0, 0.03125, 0],
        ["PeerReview", "GEMINI", "gemini:gemini-3.1-pro-preview", 1, 0, 0.015625, 0],
        ["CouncilSynthesis", "CHAIRMAN", "anthropic:claude-sonnet-4-6", 1, 0, 0.5, 0]
      ])
      assert.deepStrictEqual(run.byStage, [
        { stage: "PmPitches", calls: 3, costUsd: 0.4375, estimatedUsd: 0.0625 },
        { stage: "PeerReview", calls: 2, costUsd: 0.046875, estimatedUsd: 0 },
        { stage: "CouncilSynthesis", calls: 1, costUsd: 0.5, estimatedUsd: 0 }
      ])
      assert.deepStrictEqual(run.byActor, [
        { actor: "CHATGPT", calls: 3, costUsd: 0.34375, estimatedUsd: 0.0625 },
        { actor: "GEMINI", calls: 1, costUsd: 0.015625, estimatedUsd: 0 },
        { actor: "CLAUDE", calls: 1, costUsd: 0.125, estimatedUsd: 0 },
        { actor: "CHAIRMAN", calls: 1, costUsd: 0.5, estimatedUsd: 0 }
      ])
      // the estimate of the run is the spend ledger's (what `show` and `runs` mark ≈)
      assert.deepStrictEqual([run.totalUsd, run.calls, run.estimatedUsd], [
        0.984375,
        6,
        (yield* (yield* SpendLedger).runCharges(["2025-01-06-aaaaaaaa"])).get("2025-01-06-aaaaaaaa")?.estimatedUsd
      ])
      assert.isTrue(Option.isNone(yield* LlmCosts.runCosts("2026-01-01-00000000")))
    }))
}

const storeOn = (db: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  Layer.mergeAll(SqlRunStore.layer, SpendLedger.layerSql).pipe(Layer.provideMerge(db), Layer.orDie)

describe("LlmCosts on SQLite", () => {
  const file = () => {
    const dir = mkdtempSync(join(tmpdir(), "council-llm-costs-"))
    dirs.push(dir)
    return join(dir, "council.db")
  }
  contract((name, body) => it.effect(name, () => Effect.provide(body(), storeOn(Database.layerSqlite(file())))))
})

layer(PgServer.layer, { timeout: 60_000 })("LlmCosts on PostgreSQL", (it) => {
  contract((name, body) =>
    it.effect(name, () => Effect.flatMap(PgServer.use((pg) => pg.createDatabase), (url) => Effect.provide(body(), storeOn(Database.layerPg(url))))))
})

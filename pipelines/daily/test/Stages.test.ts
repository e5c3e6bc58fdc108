import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import { TestClock } from "effect/testing"
import { AccountId, TradingDay } from "@council/domain"
import { Chairman, ChairmanError, PmError, PortfolioManagers } from "@council/llm"
import { RunContext } from "@council/engine"
import { CouncilSynthesis, FetchData, PmPitches } from "@council/daily"
import { market, noReview, pitch, recordedKeys, recording, runContext } from "./Fixtures.ts"


describe("FetchData", () => {
  it.effect("fetches the as-of snapshot through the recorder", () =>
    Effect.gen(function*() {
      const snapshot = yield* FetchData.run({})
      assert.strictEqual(snapshot.asOf, "2026-06-08")
      assert.deepStrictEqual([...snapshot.universe].sort(), ["GLD", "SPY", "TLT"])
      for (const h of snapshot.history) assert.strictEqual(h.bars.at(-1)?.date, "2026-06-08")
      assert.deepStrictEqual(yield* recordedKeys, ['market.snapshot({"asOf":"2026-06-08","lookback":210})#1'])
    }).pipe(Effect.provide(Layer.mergeAll(market, recording, runContext()))))

  it.effect("fails with the feed's error for a day past the data", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(FetchData.run({}))
      assert.strictEqual(error._tag, "MarketDataError")
    }).pipe(Effect.provide(Layer.mergeAll(market, recording, RunContext.layerTest({ tradingDay: TradingDay.make("2026-06-09") })))))
})

describe("PmPitches", () => {
  it.effect("asks every PM concurrently and records abstentions", () =>
    Effect.gen(function*() {
      const snapshot = yield* FetchData.run({})
      const book = yield* PmPitches.run({ FetchData: snapshot })
      assert.deepStrictEqual(book.pitches.map((p) => p.pm), ["CHATGPT", "GEMINI", "CLAUDE", "DEEPSEEK"])
      assert.deepStrictEqual(book.abstentions, [{ pm: AccountId.make("GROQ"), reason: "provider down" }])
      assert.deepStrictEqual(book.pitches.find((p) => p.pm === "GEMINI"), pitch("GEMINI", "TLT", -2))
      const keys = yield* recordedKeys
      assert.isTrue(keys.some((k) => k.startsWith('pm.pitch({"asOf":"2026-06-08","input":') && k.includes('"model":"test:scripted","pm":"GROQ"})#1')))
    }).pipe(Effect.provide(Layer.mergeAll(
      market,
      recording,
      runContext(),
      PortfolioManagers.layerTest({
        GEMINI: pitch("GEMINI", "TLT", -2),
        GROQ: new PmError({ pm: AccountId.make("GROQ"), reason: "Unavailable", message: "provider down" })
      })
    ))))

  it.effect("waits for a slow PM without blocking the others (TestClock)", () =>
    Effect.gen(function*() {
      const snapshot = yield* FetchData.run({})
      const fiber = yield* Effect.forkChild(PmPitches.run({ FetchData: snapshot }))
      yield* TestClock.adjust("30 seconds")
      const book = yield* Fiber.join(fiber)
      assert.strictEqual(book.pitches.length, 5)
      assert.deepStrictEqual(book.pitches.find((p) => p.pm === "CLAUDE")?.symbol, "SPY")
    }).pipe(Effect.provide(Layer.mergeAll(
      market,
      recording,
      runContext(),
      PortfolioManagers.layerTest({ CLAUDE: () => Effect.as(Effect.sleep("20 seconds"), pitch("CLAUDE", "SPY", 1)) })
    ))))
})

describe("CouncilSynthesis", () => {
  it.effect("asks the chairman for a decision over the pitches, with the mechanical vote beside it", () =>
    Effect.gen(function*() {
      const snapshot = yield* FetchData.run({})
      const pitches = [pitch("CHATGPT", "SPY", 2), pitch("GEMINI", "SPY", 1), pitch("CLAUDE", "TLT", -1)]
      const decision = yield* CouncilSynthesis.run({ FetchData: snapshot, PmPitches: { pitches, abstentions: [] }, PeerReview: noReview })
      assert.strictEqual(decision.trades[0]?.symbol, "SPY")
      assert.strictEqual(decision.trades[0]?.direction, "LONG")
      assert.strictEqual(decision.votes.length, 3)
      assert.deepStrictEqual(decision.mechanical?.trades, decision.trades)
      assert.isUndefined(decision.fallback)
      assert.isTrue((yield* recordedKeys).some((k) => k.startsWith("chairman.synthesize(")))
    }).pipe(Effect.provide(Layer.mergeAll(market, recording, runContext(), Chairman.layerOffline))))

  it.effect("falls back to the mechanical vote, and says so, when the chairman fails", () =>
    Effect.gen(function*() {
      const snapshot = yield* FetchData.run({})
      const pitches = [pitch("CHATGPT", "SPY", 2), pitch("GEMINI", "SPY", 1)]
      const decision = yield* CouncilSynthesis.run({ FetchData: snapshot, PmPitches: { pitches, abstentions: [] }, PeerReview: noReview })
      assert.strictEqual(decision.source, "offline:conviction-vote")
      assert.deepStrictEqual(decision.trades.map((t) => [t.direction, t.symbol]), [["LONG", "SPY"]])
      assert.strictEqual(decision.fallback, "the chairman (test:scripted) gave no usable decision (down); the mechanical vote decides")
    }).pipe(Effect.provide(Layer.mergeAll(
      market,
      recording,
      runContext(),
      Chairman.layerTest(new ChairmanError({ reason: "Unavailable", message: "down" }))
    ))))
})

import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { AccountId, CouncilDecision, Ticker, TradingDay } from "@council/domain"
import type { Abstention, Conviction, Horizon, MarketSnapshot, Pitch, RiskProfile } from "@council/domain"
import { Chairman, type ChairmanAnswer, ChairmanError, COUNCIL_MIN_SCORE, convictionVote } from "@council/llm"

const asOf = TradingDay.make("2026-06-08")
const snapshot: MarketSnapshot = {
  asOf,
  universe: ["GLD", "SPY", "TLT"].map((s) => Ticker.make(s)),
  history: []
}

const pitch = (
  pm: string,
  symbol: string,
  conviction: Conviction,
  extra: { readonly riskProfile?: RiskProfile; readonly horizon?: Horizon } = {}
): Pitch => ({
  pm: AccountId.make(pm),
  asOf,
  symbol: symbol === "FLAT" ? "FLAT" : Ticker.make(symbol),
  direction: symbol === "FLAT" || conviction === 0 ? "FLAT" : conviction > 0 ? "LONG" : "SHORT",
  conviction,
  thesis: ["x", "y"],
  riskProfile: extra.riskProfile ?? "BASE",
  horizon: extra.horizon ?? "2W",
  invalidation: "close below 1.00",
  source: "test"
})

const decisionOf = (answer: ChairmanAnswer) => {
  assert.isNotNull(answer.decision)
  return answer.decision!
}

const synthesize = (pitches: ReadonlyArray<Pitch>, abstentions: ReadonlyArray<Abstention> = []) =>
  Chairman.use((c) => c.synthesize({ snapshot, pitches, abstentions, review: null })).pipe(
    Effect.map(decisionOf),
    Effect.catchTag(["LlmBudgetExceeded", "StoreError"], (e) => Effect.die(e)),
    Effect.provide(Chairman.layerOffline)
  )

describe("Chairman.layerOffline", () => {
  it.effect("goes with the largest net score and lists votes and dissent", () =>
    Effect.gen(function*() {
      const decision = yield* synthesize(
        [
          pitch("CHATGPT", "SPY", 2, { riskProfile: "TIGHT", horizon: "1M" }),
          pitch("GEMINI", "GLD", -1),
          pitch("CLAUDE", "SPY", 1, { riskProfile: "TIGHT", horizon: "1W" }),
          pitch("GROQ", "FLAT", 0),
          pitch("DEEPSEEK", "GLD", 1)
        ],
        [{ pm: AccountId.make("EXTRA"), reason: "timed out" }]
      )
      assert.isTrue(Schema.is(CouncilDecision)(decision))
      assert.deepStrictEqual(decision.trades, [
        { symbol: Ticker.make("SPY"), direction: "LONG", conviction: 1, riskProfile: "TIGHT", horizon: "1M" }
      ])
      assert.deepStrictEqual(decision.votes.map((v) => [v.pm, v.symbol, v.direction, v.conviction, v.weight]), [
        ["CHATGPT", "SPY", "LONG", 2, 2],
        ["GEMINI", "GLD", "SHORT", -1, 1],
        ["CLAUDE", "SPY", "LONG", 1, 1],
        ["GROQ", "FLAT", "FLAT", 0, 0],
        ["DEEPSEEK", "GLD", "LONG", 1, 1]
      ])
      assert.deepStrictEqual(decision.dissent, [
        "GEMINI: SHORT GLD (conviction -1)",
        "GROQ: FLAT",
        "DEEPSEEK: LONG GLD (conviction +1)"
      ])
      assert.strictEqual(decision.source, "offline:conviction-vote")
      assert.strictEqual(
        decision.rationale,
        "Conviction-weighted vote over 5 pitches (abstained: EXTRA: timed out). " +
          "Tally: SPY +3 (CHATGPT LONG +2, CLAUDE LONG +1); GLD 0 (GEMINI SHORT -1, DEEPSEEK LONG +1). " +
          "No vote: GROQ. Council goes LONG SPY at conviction +1: net +3 meets the threshold of 3 " +
          "(conviction = min(2, floor(|net| / 2))). TIGHT risk and 1M horizon from CHATGPT, CLAUDE."
      )
    }))

  it.effect("scales conviction with net support and follows the sign for shorts", () =>
    Effect.gen(function*() {
      const strong = yield* synthesize([pitch("A", "TLT", -2), pitch("B", "TLT", -2), pitch("C", "SPY", 2)])
      assert.strictEqual(strong.trades[0]!.direction, "SHORT")
      assert.strictEqual(strong.trades[0]!.conviction, -2)
      assert.deepStrictEqual(strong.dissent, ["C: LONG SPY (conviction +2)"])
    }))

  it.effect("breaks ties alphabetically", () =>
    Effect.gen(function*() {
      const decision = yield* synthesize([
        pitch("A", "TLT", 2),
        pitch("B", "TLT", 1),
        pitch("C", "GLD", 2),
        pitch("D", "GLD", 1)
      ])
      assert.strictEqual(decision.trades[0]!.symbol, "GLD")
      assert.include(decision.rationale, "tied with TLT, broken alphabetically")
    }))

  it.effect("stays flat below the threshold, when votes cancel, when all are FLAT, and with no pitches", () =>
    Effect.gen(function*() {
      assert.strictEqual(COUNCIL_MIN_SCORE, 3)
      const lone = yield* synthesize([pitch("A", "SPY", 2), pitch("B", "GLD", 1), pitch("C", "FLAT", 0)])
      assert.deepStrictEqual(lone.trades, [])
      assert.include(lone.rationale, "Council stays flat: the best net score, SPY +2, is below the threshold of 3.")
      assert.deepStrictEqual(lone.dissent, ["A: LONG SPY (conviction +2)", "B: LONG GLD (conviction +1)"])

      const cancel = yield* synthesize([pitch("A", "SPY", 2), pitch("B", "SPY", 2), pitch("C", "SPY", -2)])
      assert.deepStrictEqual(cancel.trades, [])

      const flats = yield* synthesize([pitch("A", "FLAT", 0), pitch("B", "FLAT", 0)])
      assert.deepStrictEqual(flats.trades, [])
      assert.include(flats.rationale, "every pitch is FLAT")
      assert.deepStrictEqual(flats.dissent, [])

      const none = yield* synthesize([], [{ pm: AccountId.make("A"), reason: "down" }])
      assert.deepStrictEqual(none.trades, [])
      assert.deepStrictEqual(none.votes, [])
      assert.include(none.rationale, "there are no pitches")
      assert.isTrue(Schema.is(CouncilDecision)(none))
    }))

  it.effect("takes the most common risk profile and horizon of the supporters", () =>
    Effect.gen(function*() {
      const decision = yield* synthesize([
        pitch("A", "SPY", 1, { riskProfile: "WIDE", horizon: "1D" }),
        pitch("B", "SPY", 1, { riskProfile: "WIDE", horizon: "1M" }),
        pitch("C", "SPY", 2, { riskProfile: "TIGHT", horizon: "1M" }),
        pitch("D", "SPY", -1, { riskProfile: "TIGHT", horizon: "1D" })
      ])
      assert.deepStrictEqual(decision.trades, [
        { symbol: Ticker.make("SPY"), direction: "LONG", conviction: 1, riskProfile: "WIDE", horizon: "1M" }
      ])
      assert.deepStrictEqual(decision.dissent, ["D: SHORT SPY (conviction -1)"])
    }))

  it.effect("rejects pitches for another day, outside the universe, or repeated", () =>
    Effect.gen(function*() {
      const otherDay = yield* Effect.flip(synthesize([{ ...pitch("A", "SPY", 1), asOf: TradingDay.make("2026-06-05") }]))
      assert.strictEqual(otherDay.reason, "InvalidInput")
      assert.strictEqual(otherDay.message, "A pitched for 2026-06-05 but the council sits on 2026-06-08")
      const outside = yield* Effect.flip(synthesize([pitch("A", "QQQ", 1)]))
      assert.strictEqual(outside.message, "A pitched QQQ, which is not in the universe (GLD, SPY, TLT)")
      const twice = yield* Effect.flip(synthesize([pitch("A", "SPY", 1), pitch("A", "GLD", 1)]))
      assert.strictEqual(twice.message, "A pitched more than once")
    }))

  it("is deterministic", () => {
    const pitches = [pitch("A", "SPY", 2), pitch("B", "SPY", 1), pitch("C", "GLD", -2)]
    assert.deepStrictEqual(convictionVote(snapshot, pitches, []), convictionVote(snapshot, [...pitches], []))
  })

  it("is voted once for the same snapshot, pitches and abstentions, and again when any of them is another", () => {
    const pitches = [pitch("A", "SPY", 2), pitch("B", "SPY", 1), pitch("C", "GLD", -2)]
    const none: ReadonlyArray<Abstention> = []
    const first = convictionVote(snapshot, pitches, none)
    assert.strictEqual(convictionVote(snapshot, pitches, none), first)
    const abstained = convictionVote(snapshot, pitches, [{ pm: AccountId.make("D"), reason: "timeout" }])
    assert.include(abstained.rationale, "abstained: D: timeout")
    assert.notInclude(first.rationale, "abstained")
    const later = convictionVote({ ...snapshot, asOf: TradingDay.make("2026-06-09") }, pitches, none)
    assert.strictEqual(later.asOf, "2026-06-09")
    assert.strictEqual(first.asOf, "2026-06-08")
    assert.deepStrictEqual(convictionVote(snapshot, pitches, []), first)
  })
})

describe("Chairman.layerTest", () => {
  it.effect("answers from the script, or votes offline without one", () =>
    Effect.gen(function*() {
      const scripted = yield* Chairman.use((c) => c.synthesize({ snapshot, pitches: [], abstentions: [], review: null })).pipe(
        Effect.provide(Chairman.layerTest(new ChairmanError({ reason: "Unavailable", message: "down" }))),
        Effect.catchTag(["LlmBudgetExceeded", "StoreError"], (e) => Effect.die(e)),
        Effect.flip
      )
      assert.strictEqual(scripted.reason, "Unavailable")
      const fn = yield* Chairman.use((c) => c.synthesize({ snapshot, pitches: [pitch("A", "SPY", 1)], abstentions: [], review: null })).pipe(
        Effect.provide(Chairman.layerTest((request) =>
          Effect.succeed({ asOf: request.snapshot.asOf, trades: [], rationale: `${request.pitches.length}`, dissent: [], votes: [], source: "t" })
        ))
      )
      assert.strictEqual(decisionOf(fn).rationale, "1")
      const offline = yield* Chairman.use((c) => c.synthesize({ snapshot, pitches: [], abstentions: [], review: null })).pipe(
        Effect.provide(Chairman.layerTest())
      )
      assert.strictEqual(decisionOf(offline).source, "offline:conviction-vote")
    }))
})

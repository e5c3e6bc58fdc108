import { assert, describe, it } from "@effect/vitest"
import { AccountId, type Pitch, type PeerReviewResult, Ticker, TradingDay } from "@council/domain"
import { hashOf } from "@council/engine"
import { PeerReview } from "@council/llm"
import { chairmanInput, reviewInput } from "../src/InputHash.ts"

const pitch = (pm: string, symbol: string, conviction: number, thesis: ReadonlyArray<string>): Pitch => ({
  pm: AccountId.make(pm),
  asOf: TradingDay.make("2026-06-08"),
  symbol: symbol === "FLAT" ? "FLAT" : Ticker.make(symbol),
  direction: conviction > 0 ? "LONG" : conviction < 0 ? "SHORT" : "FLAT",
  conviction,
  thesis,
  riskProfile: conviction === 2 ? "WIDE" : "BASE",
  horizon: "1W",
  invalidation: `if ${pm} is wrong`,
  source: `offline:${pm.toLowerCase()}`
})

// texts JSON escapes differently from plain ASCII: quotes, backslashes, control characters, lone surrogates, U+2028
const pitches = [
  pitch("CHATGPT", "SPY", 2, ["SPY leads: +3.20% \"strong\"", "back\\slash and\ttab"]),
  pitch("GEMINI", "TLT", -1, ["z = -1.80σ; line\u2028separator", "lone \ud800 surrogate"]),
  pitch("CLAUDE", "FLAT", 0, ["No clean trend.", "émigré ✓ 😀"]),
  pitch("GROQ", "GLD", 1, []),
  pitch("DEEPSEEK", "SPY", -2, ["{\"json\": [1, 2]}", "\u0000\u001f control"])
]
const names = ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "offline:chatgpt"]

describe("the council's input hashes", () => {
  it("are hashOf of the same arguments: each reviewer's, own pitch or none, asked once or again", () => {
    for (const round of [1, 2]) {
      for (const own of pitches) {
        const ballot = PeerReview.ballotFor(`run-${round}`, own.pm, pitches, names)
        assert.strictEqual(reviewInput(ballot.candidates, own), hashOf({ candidates: ballot.candidates, own }))
        assert.strictEqual(reviewInput(ballot.candidates, null), hashOf({ candidates: ballot.candidates, own: null }))
      }
    }
    assert.strictEqual(reviewInput([], null), hashOf({ candidates: [], own: null }))
  })

  it("are hashOf of the same arguments for the chairman, with abstentions and a review", () => {
    const review: PeerReviewResult = {
      asOf: TradingDay.make("2026-06-08"),
      ballots: [{
        reviewer: AccountId.make("GROQ"),
        shown: [{ label: "A", pm: AccountId.make("CHATGPT") }, { label: "B", pm: AccountId.make("GEMINI") }],
        ranking: [AccountId.make("GEMINI"), AccountId.make("CHATGPT")],
        rationale: "Offline reviewer: \"ranks\" by conviction.",
        source: "offline:agreement"
      }],
      abstentions: [{ pm: AccountId.make("CLAUDE"), reason: "timeout ⏱" }],
      aggregate: [{ pm: AccountId.make("GEMINI"), points: 1, ballots: 1 }, { pm: AccountId.make("CHATGPT"), points: 0, ballots: 1 }]
    }
    const abstentions = [{ pm: AccountId.make("DEEPSEEK"), reason: "no \"pitch\"" }]
    for (const some of [pitches, pitches.slice(1, 3), []]) {
      assert.strictEqual(chairmanInput(some, abstentions, review), hashOf({ pitches: some, abstentions, review }))
      assert.strictEqual(chairmanInput(some, [], review), hashOf({ pitches: some, abstentions: [], review }))
    }
  })
})

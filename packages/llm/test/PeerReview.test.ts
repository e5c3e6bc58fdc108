import { assert, describe, it } from "@effect/vitest"
import { AccountId, type Pitch, type ReviewBallot, Ticker, TradingDay } from "@council/domain"
import { PeerReview } from "@council/llm"

const pitch = (pm: string, symbol: string, conviction: number, thesis = `${pm} likes ${symbol}`): Pitch => ({
  pm: AccountId.make(pm),
  asOf: TradingDay.make("2026-06-08"),
  symbol: symbol === "FLAT" ? "FLAT" : Ticker.make(symbol),
  direction: conviction > 0 ? "LONG" : conviction < 0 ? "SHORT" : "FLAT",
  conviction,
  thesis: [thesis],
  riskProfile: "BASE",
  horizon: "1W",
  invalidation: `if ${pm} is wrong (per openai:gpt-5.4)`,
  source: "openai:gpt-5.4"
})

const pitches = [pitch("CHATGPT", "SPY", 2), pitch("GEMINI", "TLT", -1), pitch("CLAUDE", "SPY", 1), pitch("GROQ", "GLD", 1)]

describe("PeerReview", () => {
  it("shuffles deterministically by seed, as a permutation", () => {
    const items = Array.from({ length: 20 }, (_, i) => i)
    const a = PeerReview.seededShuffle(items, "run-1/CLAUDE")
    assert.deepStrictEqual(PeerReview.seededShuffle(items, "run-1/CLAUDE"), a)
    assert.deepStrictEqual([...a].sort((x, y) => x - y), items)
    assert.notDeepEqual(PeerReview.seededShuffle(items, "run-2/CLAUDE"), a)
    assert.notDeepEqual(a, items)
    // the orders recorded runs were reviewed in: a replay must show each reviewer the same one
    const letters = [..."abcdefgh"]
    assert.deepStrictEqual(
      ["run-1/CLAUDE", "2026-06-08-bt/GEMINI", "x/y"].map((seed) => PeerReview.seededShuffle(letters, seed).join("")),
      ["ebcfaghd", "ehfabdcg", "acbfhedg"]
    )
  })

  it("scrubs every pitch of every ballot, whatever was scrubbed before with the same names or others", () => {
    const names = ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "openai:gpt-5.4"]
    for (const round of [1, 2, 3]) {
      const fresh = pitches.map((p) => ({ ...p, thesis: [...p.thesis, `round ${round}: Claude and groq agree`] }))
      for (const reviewer of ["CLAUDE", "GROQ"]) {
        const text = JSON.stringify(PeerReview.ballotFor(`run-${round}`, AccountId.make(reviewer), fresh, names).candidates)
        for (const name of names) assert.notInclude(text.toLowerCase(), name.toLowerCase())
        assert.include(text, `round ${round}: a PM and a PM agree`)
      }
      const unscrubbed = JSON.stringify(PeerReview.ballotFor(`run-${round}`, AccountId.make("CLAUDE"), fresh, []).candidates)
      assert.include(unscrubbed, `round ${round}: Claude and groq agree`)
    }
  })

  it("builds a ballot without the reviewer's own pitch, labelled A.. and scrubbed of names and models", () => {
    const ballot = PeerReview.ballotFor("run-1", AccountId.make("CLAUDE"), pitches, ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "openai:gpt-5.4"])
    assert.deepStrictEqual(ballot.candidates.map((c) => c.label), ["A", "B", "C"])
    assert.sameMembers([...ballot.owners.values()], ["CHATGPT", "GEMINI", "GROQ"])
    const text = JSON.stringify(ballot.candidates)
    for (const name of ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "openai:gpt-5.4"]) assert.notInclude(text, name)
    assert.include(text, "a PM likes SPY")
    for (const c of ballot.candidates) assert.notProperty(c.pitch, "pm")
  })

  it("ranks offline by agreement with the reviewer's own pitch, then by conviction", () => {
    const ballot = PeerReview.ballotFor("run-1", AccountId.make("CLAUDE"), pitches, [])
    const ranking = PeerReview.offlineRanking(pitch("CLAUDE", "SPY", 1), ballot.candidates).map((l): string | undefined => ballot.owners.get(l))
    assert.deepStrictEqual(ranking, ["CHATGPT", "GROQ", "GEMINI"])
  })

  it("counts Borda points over ballots of different sizes", () => {
    const ballot = (reviewer: string, ranking: ReadonlyArray<string>): ReviewBallot => ({
      reviewer: AccountId.make(reviewer),
      shown: [],
      ranking: ranking.map((pm) => AccountId.make(pm)),
      rationale: "",
      source: "test"
    })
    const scores = PeerReview.borda(
      [ballot("A", ["B", "C", "D"]), ballot("B", ["C", "A", "D"]), ballot("E", ["D", "C", "B", "A"])],
      ["A", "B", "C", "D", "E"]
    )
    assert.deepStrictEqual(scores.map((s) => [s.pm, s.points, s.ballots]), [
      ["C", 5, 3],
      ["B", 3, 2],
      ["D", 3, 3],
      ["A", 1, 2]
    ])
  })
})

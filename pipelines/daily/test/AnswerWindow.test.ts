import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import { AnswerWindow } from "@council/daily"

const seconds = (schedule: "close" | "after-close", at: string | undefined) =>
  (["PmPitches", "PeerReview", "CouncilSynthesis"] as const).map((stage) => {
    const window = AnswerWindow.answerWindow({ schedule, at }, stage)
    return window === undefined ? undefined : Duration.toMillis(window) / 1000
  })

describe("the council's answer window", () => {
  it("is the time to the market-on-close cutoff less a minute, shared 45/20/35 between pitches, reviews and the chairman", () => {
    // 15:45 → 15:50 is 300 s; less the 60 s reserve: 240 s
    assert.deepStrictEqual(seconds("close", "2026-06-08T15:45:00-04:00"), [108, 48, 84])
    // an early close: 12:45 → 12:50
    assert.deepStrictEqual(seconds("close", "2026-11-27T12:45:00-05:00"), [108, 48, 84])
    // a run at 15:30 has 20 minutes: 1,140 s to share
    assert.deepStrictEqual(seconds("close", "2026-06-08T15:30:00-04:00"), [513, 228, 399])
    // the same moment written in UTC
    assert.deepStrictEqual(seconds("close", "2026-06-08T19:45:00Z"), [108, 48, 84])
  })

  it("is zero inside the reserve; bounds nothing after the close, at the cutoff (a dry run), or without a moment", () => {
    assert.deepStrictEqual(seconds("close", "2026-06-08T15:49:00-04:00"), [0, 0, 0])
    const none = [undefined, undefined, undefined]
    assert.deepStrictEqual(seconds("after-close", "2026-06-08T16:15:00-04:00"), none)
    assert.deepStrictEqual(seconds("close", "2026-06-08T15:50:00-04:00"), none)
    assert.deepStrictEqual(seconds("close", undefined), none)
  })
})

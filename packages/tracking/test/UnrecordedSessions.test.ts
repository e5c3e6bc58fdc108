import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import { liveBook, Standings, TradeLedger } from "@council/tracking"
import { ledgerHome } from "./fixtures/LedgerHome.ts"
import { simulate } from "./fixtures/SimulatedBook.ts"

const FROM = TradingDay.make("2024-01-02")

/** 30 simulated sessions recorded, but `noRun`'s with no snapshot at all and `unread`'s without `account`'s. */
const recordedWithGaps = (noRun: number, unread: number, account: string) =>
  Effect.gen(function*() {
    const ledger = yield* TradeLedger
    const sim = yield* simulate(yield* MarketData, liveBook, FROM, 30)
    for (const [i, day] of sim.days.entries()) {
      if (i === noRun) continue
      yield* ledger.record(i === unread ? { ...day, snapshots: day.snapshots.filter((s) => s.account !== account) } : day)
    }
    return sim.sessions
  })

describe("the leaderboard's note on sessions it leaves out", () => {
  it.effect("a session whose run could not read one account is said to be that, with the day and the account; a day with no run as before", () =>
    Effect.gen(function*() {
      const sessions = yield* recordedWithGaps(9, 11, "GEMINI")
      const report = yield* Standings.leaderboardReport({ book: liveBook })
      const gap = report.unrecordedSessions!
      assert.strictEqual(gap.missing, 2)
      assert.match(
        gap.note,
        new RegExp(`^2 of the 30 sessions from ${sessions[0]} to ${sessions[29]} are missing from it \\(1 with no run; 1 whose run could not read an account: ${sessions[11]} GEMINI\\); `)
      )
      assert.notInclude(gap.note, "no run those days")
    }).pipe(Effect.provide(ledgerHome("council-unrecorded-"))))

  it.effect("sessions with no snapshot of any account: no run those days", () =>
    Effect.gen(function*() {
      yield* recordedWithGaps(9, 9, "GEMINI")
      const report = yield* Standings.leaderboardReport({ book: liveBook })
      assert.match(report.unrecordedSessions!.note, /^1 of the 30 sessions from \S+ to \S+ has no snapshot \(no run that day\); a return across it spans /)
    }).pipe(Effect.provide(ledgerHome("council-unrecorded-"))))
})

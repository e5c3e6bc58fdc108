import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import { liveBook, Standings, TradeLedger } from "@council/tracking"
import { ledgerHome } from "./fixtures/LedgerHome.ts"
import { simulate } from "./fixtures/SimulatedBook.ts"

describe("the moment the paper baselines are valued at", () => {
  it.effect("a session marked before its close is valued at that moment; one marked after its close, or never, at its close", () =>
    Effect.gen(function*() {
      const market = yield* MarketData
      const ledger = yield* TradeLedger
      const sim = yield* simulate(market, liveBook, TradingDay.make("2024-01-02"), 24)
      // sessions 0–7 marked at 10:00 New York (before the close), 8–15 at 16:30 (after it), 16–23 with no moment
      for (const [i, day] of sim.days.entries()) {
        const session = day.snapshots[0]!.session
        const at = i < 8 ? `${session}T15:00:00.000Z` : i < 16 ? `${session}T21:30:00.000Z` : null
        yield* ledger.record(at === null ? day : {
          ...day,
          snapshots: day.snapshots.map((s) => ({ ...s, markedAt: at })),
          marks: [{ session, markedAt: at, prices: { SPY: 470, QQQ: 400, TLT: 95 } }]
        })
      }
      const report = yield* Standings.equityReport({ book: liveBook })
      const { baselines, valuedAt } = yield* Standings.leaderboardWithBaselines({ book: liveBook }, report)
      assert.deepStrictEqual(baselines.map((b) => b.account), ["RANDOM"])
      assert.strictEqual(sim.sessions.at(-1)! < "2024-03-10", true, "all in EST: the 16:00 close is 21:00Z")
      assert.deepStrictEqual([...valuedAt], sim.sessions.map((d, i) => [d, i < 8 ? `${d}T15:00:00.000Z` : `${d}T21:00:00.000Z`]))
    }).pipe(Effect.provide(ledgerHome("council-baseline-moments-"))))
})

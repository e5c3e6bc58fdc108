import { assert, describe, it } from "@effect/vitest"
import { Effect, Logger } from "effect"
import { TradingDay } from "@council/domain"
import { TestClock } from "effect/testing"
import type { FakeIntraday } from "./providerServers.ts"
import { barsOf } from "./providerServers.ts"
import { alpacaFeed } from "./remoteFeeds.ts"

// The `close` schedule's bar of the session so far comes from the feed's live snapshot: it is checked as a real
// print like the daily bars are (`BarIndex.barProblem`), and one that is not is dropped with a warning naming the
// feed, symbol and date — the run's own day then has no price of that symbol and stops (Unavailable, saying why).

/** 15:45 New York on Friday 2024-11-15. */
const AT_1545 = Date.parse("2024-11-15T20:45:00Z")
const day = TradingDay.make("2024-11-15")

const feedWith = Effect.fnUntraced(function*(today: Readonly<Record<string, FakeIntraday>>) {
  yield* TestClock.setTime(AT_1545)
  const symbols = ["SPY", "XLF"]
  return (yield* alpacaFeed({ bars: Object.fromEntries(symbols.map((s) => [s, barsOf(s)])), symbols, today })).md
})

const SPY: FakeIntraday = { date: "2024-11-15", open: 500, high: 505, low: 498, close: 503, volume: 1000, tradeAt: AT_1545 - 1000, tradePrice: 503.5 }

describe("a remote feed's bar of the session so far that is not a real print", () => {
  it.effect("is dropped with a warning naming the feed, symbol and date; the day's snapshot fails Unavailable saying so", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel === "Warn") warnings.push(String(Array.isArray(message) ? message[0] : message))
      })
      const md = yield* feedWith({ SPY, XLF: { date: "2024-11-15", open: 40, high: 41, low: 39.5, close: 40.2, volume: -5, tradeAt: AT_1545 - 1000, tradePrice: 40.1 } })
      const error = yield* Effect.flip(md.snapshotDuring(day, "2024-11-15T15:45:00-05:00", 3).pipe(Effect.provide(Logger.layer([logger]))))
      assert.deepStrictEqual(warnings, ["alpaca: the XLF bar of 2024-11-15 so far is not a real print (volume -5 is not a count of shares); dropped"])
      assert.deepStrictEqual([error.reason, error.message], ["Unavailable", "alpaca: no real print of XLF on 2024-11-15 so far (dropped)"])
    }))

  it.effect("real prints pass unchanged, without a warning", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel === "Warn") warnings.push(String(message))
      })
      const md = yield* feedWith({ SPY, XLF: { date: "2024-11-15", open: 40, high: 41, low: 39.5, close: 40.2, volume: 500, tradeAt: AT_1545 - 1000, tradePrice: 40.1 } })
      const snapshot = yield* md.snapshotDuring(day, "2024-11-15T15:45:00-05:00", 3).pipe(Effect.provide(Logger.layer([logger])))
      assert.deepStrictEqual(snapshot.history.map((h) => h.bars.at(-1)), [
        { date: day, open: 500, high: 505, low: 498, close: 503.5, volume: 1000 },
        { date: day, open: 40, high: 41, low: 39.5, close: 40.1, volume: 500 }
      ])
      assert.deepStrictEqual(warnings, [])
    }))
})

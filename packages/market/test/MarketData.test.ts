import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { Bar } from "@council/domain"
import { Ticker, TradingDay } from "@council/domain"
import { MarketData } from "@council/market"

const day = TradingDay.make
const bar = (date: string, close: number): Bar => ({
  date: day(date),
  open: close,
  high: close + 1,
  low: close - 1,
  close,
  volume: 100
})
const dates = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"]
const bars = {
  XLF: dates.map((d, i) => bar(d, 40 + i)),
  SPY: dates.map((d, i) => bar(d, 100 + i))
}

describe("MarketData.layerTest", () => {
  it.effect("serves in-memory bars with the same calendar rules", () =>
    Effect.gen(function*() {
      const md = yield* MarketData
      assert.deepStrictEqual<ReadonlyArray<string>>(yield* md.universe, ["SPY", "XLF"])
      assert.strictEqual(yield* md.latestTradingDay, "2024-01-08")
      const snapshot = yield* md.snapshot(day("2024-01-05"), 2)
      assert.deepStrictEqual<ReadonlyArray<unknown>>(snapshot.history.map((h) => [h.symbol, h.bars.map((b) => b.close)]), [
        ["SPY", [102, 103]],
        ["XLF", [42, 43]]
      ])
      const weekend = yield* Effect.flip(md.ensureTradingDay(day("2024-01-06")))
      assert.strictEqual(weekend.message, "2024-01-06 is not a trading session (the nearest earlier session is 2024-01-05)")
      const bars = yield* md.bars({ symbol: Ticker.make("XLF"), asOf: day("2024-01-07"), lookback: 10 })
      assert.deepStrictEqual(bars.map((b) => b.close), [40, 41, 42, 43])
    }).pipe(Effect.provide(MarketData.layerTest(bars))))

  it.effect("a negative lookback is a defect", () =>
    Effect.gen(function*() {
      const md = yield* MarketData
      const exit = yield* Effect.exit(md.snapshot(day("2024-01-05"), -1))
      assert.isTrue(exit._tag === "Failure")
    }).pipe(Effect.provide(MarketData.layerTest(bars))))

  it.effect("bars whose dates disagree fail the layer with InvalidData", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Layer.build(MarketData.layerTest({ SPY: bars.SPY, XLF: bars.XLF.slice(1) }))
      )
      assert.strictEqual(error.reason, "InvalidData")
      assert.strictEqual(error.message, "bars for XLF: 4 bars but bars for SPY has 5; dates disagree")
    }))
})

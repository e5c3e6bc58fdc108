import { assert, describe, it } from "@effect/vitest"
import { type Bar, TradingDay } from "@council/domain"
import { FillModel } from "@council/exchange"

/**
 * Trailing stops on hand-worked daily bars (`FillModel.evaluateTrailing`): each expected price is worked out in the
 * comments from the bar, the trail and the mark — the open first, then the low (a buy: the high) against the stop
 * the open left, and only then the high (a buy: the low) moves the mark.
 */
const day = TradingDay.make("2026-08-04")
const bar = (open: number, high: number, low: number, close: number): Bar => ({ date: day, open, high, low, close, volume: 1 })
const byPrice = (price: number): FillModel.Trail => ({ price, percent: null })
const byPercent = (percent: number): FillModel.Trail => ({ price: null, percent })
const trailing = (side: "buy" | "sell", trail: FillModel.Trail, hwm: number): FillModel.RestingOrder => ({
  side,
  type: "trailing_stop",
  limitPrice: null,
  stopPrice: null,
  triggered: false,
  trail,
  hwm
})

describe("trailing stops on daily bars", () => {
  it("a sell's mark moves with the high only after the low was checked against the stop the open left", () => {
    // mark 100, trail $2: stop 98. Open 100.5 > 98; the open lifts the mark to 100.5, stop 98.5; the low 99 stays
    // above it: no sale. Only then the high 103 lifts the mark: stop 101. (Read high-first, the low 99 would have
    // sold at 101; the bar cannot say which came first, so it does not.)
    assert.deepStrictEqual(FillModel.evaluateOnBar(trailing("sell", byPrice(2), 100), bar(100.5, 103, 99, 102), 0), {
      _tag: "Trailed",
      hwm: 103,
      stop: 101
    })
    // next bar from mark 103 (stop 101): open 102 > 101, the mark stays 103; the low 100.5 reaches 101: sold at the
    // stop, less 5 bps: 101 × 0.9995 = 100.9495 → 100.95
    assert.deepStrictEqual(FillModel.evaluateOnBar(trailing("sell", byPrice(2), 103), bar(102, 102.5, 100.5, 101), 5), { _tag: "Fill", price: 100.95 })
    // a gap through the stop: open 99 ≤ 101 sells at the open, less 5 bps: 99 × 0.9995 = 98.9505 → 98.95
    assert.deepStrictEqual(FillModel.evaluateOnBar(trailing("sell", byPrice(2), 103), bar(99, 100, 97, 98), 5), { _tag: "Fill", price: 98.95 })
  })

  it("trails by percent of the mark, on the tick", () => {
    // mark 100, 5 %: stop 95. Open 101 lifts the mark: stop 101 × 0.95 = 95.95; the low 96 stays above it; the high
    // 110 lifts the mark: stop 110 × 0.95 = 104.5
    assert.deepStrictEqual(FillModel.evaluateOnBar(trailing("sell", byPercent(5), 100), bar(101, 110, 96, 109), 0), {
      _tag: "Trailed",
      hwm: 110,
      stop: 104.5
    })
    // mark 100, 3 %: stop 97; a bar below the mark without reaching the stop moves nothing
    assert.deepStrictEqual(FillModel.evaluateOnBar(trailing("sell", byPercent(3), 100), bar(99, 99.5, 97.5, 98), 0), { _tag: "None" })
    // the open moved the stop up to where the low reaches it: open 104 → stop 104 × 0.97 = 100.88; low 100.8 ≤ 100.88
    assert.deepStrictEqual(FillModel.evaluateOnBar(trailing("sell", byPercent(3), 100), bar(104, 105, 100.8, 101), 0), { _tag: "Fill", price: 100.88 })
  })

  it("a buy (covering a short) mirrors it: a low-water mark, the high checked before the low moves the mark", () => {
    // low-water mark 50, trail $1: stop 51. Open 49.5 < 51 lowers the mark: stop 50.5; the high 50.8 reaches it:
    // bought at 50.5 plus 5 bps: 50.5 × 1.0005 = 50.52525 → 50.53
    assert.deepStrictEqual(FillModel.evaluateOnBar(trailing("buy", byPrice(1), 50), bar(49.5, 50.8, 48, 48.5), 5), { _tag: "Fill", price: 50.53 })
    // open 49.5 (stop 50.5), high 50.2 below it: the low 47 then lowers the mark: stop 48
    assert.deepStrictEqual(FillModel.evaluateOnBar(trailing("buy", byPrice(1), 50), bar(49.5, 50.2, 47, 48), 5), {
      _tag: "Trailed",
      hwm: 47,
      stop: 48
    })
  })

  it("the open alone (what a session's open shows) fills a gap and moves the mark by the open only", () => {
    // mark 103, trail $2 (stop 101), open 104: the opening bar's low is its open, 104 > 102 (stop after the open): no fill
    assert.deepStrictEqual(FillModel.evaluateOnBar(trailing("sell", byPrice(2), 103), FillModel.openingBar(bar(104, 110, 90, 95)), 0), {
      _tag: "Trailed",
      hwm: 104,
      stop: 102
    })
  })
})

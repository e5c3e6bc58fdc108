import { assert, describe, it } from "@effect/vitest"
import { type Bar, TradingDay } from "@council/domain"
import { Calendar, FillModel } from "@council/exchange"

const bar: Bar = { date: TradingDay.make("2026-08-03"), open: 10, high: 11, low: 9, close: 10, volume: 1 }

const resting = (
  side: "buy" | "sell",
  type: "limit" | "stop" | "stop_limit",
  prices: { readonly limit?: number; readonly stop?: number },
  triggered = false
): FillModel.RestingOrder => ({
  side,
  type,
  limitPrice: prices.limit ?? null,
  stopPrice: prices.stop ?? null,
  triggered
})

const fill = (price: number): FillModel.BarOutcome => ({ _tag: "Fill", price })
const none: FillModel.BarOutcome = { _tag: "None" }

describe("FillModel", () => {
  it("slips market prices against the taker and rounds to the tick", () => {
    assert.strictEqual(FillModel.slip(100, "buy", 5), 100.05)
    assert.strictEqual(FillModel.slip(100, "sell", 5), 99.95)
    assert.strictEqual(FillModel.slip(104, "buy", 5), 104.05)
    assert.strictEqual(FillModel.slip(0.5, "buy", 5), 0.5003)
  })

  it("rounds a slipped price that is a tie in decimals half away from zero, whatever its double says", () => {
    // 110 × 1.0005 = 110.055 exactly (the double product is 110.05499999999999): a tie, up to 110.06
    assert.strictEqual(FillModel.slip(110, "buy", 5), 110.06)
    // 110 × 0.9995 = 109.945 exactly (the double is 109.94500000000001): away from zero, 109.95
    assert.strictEqual(FillModel.slip(110, "sell", 5), 109.95)
    // 104 × 1.0005 = 104.052: no tie, 104.05
    assert.strictEqual(FillModel.slip(104, "buy", 5), 104.05)
  })

  it("rejects sub-penny prices at or above $1 and allows four decimals below", () => {
    assert.isTrue(FillModel.isOnTick(1.23))
    assert.isFalse(FillModel.isOnTick(1.234))
    assert.isTrue(FillModel.isOnTick(0.1234))
    assert.isFalse(FillModel.isOnTick(0.12345))
    assert.strictEqual(FillModel.roundCash(1.005), 1.01)
  })

  it("charges the per-share commission with a minimum", () => {
    const options = { slippageBps: 0, commissionPerShare: 0.005, commissionMin: 1 }
    assert.strictEqual(FillModel.commission(10, options), 1)
    assert.strictEqual(FillModel.commission(1000, options), 5)
    assert.strictEqual(FillModel.commission(1000, FillModel.defaultFillModel), 0)
  })

  it("fills limit orders at the limit or a better open", () => {
    assert.deepStrictEqual(FillModel.evaluateOnBar(resting("buy", "limit", { limit: 9.5 }), bar, 5), fill(9.5))
    assert.deepStrictEqual(FillModel.evaluateOnBar(resting("buy", "limit", { limit: 10.5 }), bar, 5), fill(10))
    assert.deepStrictEqual(FillModel.evaluateOnBar(resting("buy", "limit", { limit: 8 }), bar, 5), none)
    assert.deepStrictEqual(FillModel.evaluateOnBar(resting("sell", "limit", { limit: 10.5 }), bar, 5), fill(10.5))
    assert.deepStrictEqual(FillModel.evaluateOnBar(resting("sell", "limit", { limit: 9.5 }), bar, 5), fill(10))
    assert.deepStrictEqual(FillModel.evaluateOnBar(resting("sell", "limit", { limit: 12 }), bar, 5), none)
  })

  it("fills triggered stops at the stop or a worse open, with slippage", () => {
    assert.deepStrictEqual(FillModel.evaluateOnBar(resting("sell", "stop", { stop: 9.5 }), bar, 0), fill(9.5))
    assert.deepStrictEqual(FillModel.evaluateOnBar(resting("sell", "stop", { stop: 10.5 }), bar, 0), fill(10))
    assert.deepStrictEqual(FillModel.evaluateOnBar(resting("sell", "stop", { stop: 8 }), bar, 0), none)
    assert.deepStrictEqual(FillModel.evaluateOnBar(resting("buy", "stop", { stop: 10.5 }), bar, 0), fill(10.5))
    assert.deepStrictEqual(FillModel.evaluateOnBar(resting("buy", "stop", { stop: 9.5 }), bar, 0), fill(10))
    assert.deepStrictEqual(FillModel.evaluateOnBar(resting("buy", "stop", { stop: 10.5 }), bar, 100), fill(10.61))
    assert.deepStrictEqual(FillModel.evaluateOnBar(resting("buy", "stop", { stop: 12 }), bar, 0), none)
  })

  it("fills stop-limits only when the trigger price is within the limit, else keeps them triggered", () => {
    assert.deepStrictEqual(
      FillModel.evaluateOnBar(resting("buy", "stop_limit", { stop: 10.5, limit: 10.6 }), bar, 5),
      fill(10.5)
    )
    assert.deepStrictEqual(
      FillModel.evaluateOnBar(resting("buy", "stop_limit", { stop: 10.5, limit: 10.4 }), bar, 5),
      { _tag: "Triggered" }
    )
    assert.deepStrictEqual(
      FillModel.evaluateOnBar(resting("buy", "stop_limit", { stop: 10.5, limit: 10.4 }, true), bar, 5),
      fill(10)
    )
    assert.deepStrictEqual(
      FillModel.evaluateOnBar(resting("sell", "stop_limit", { stop: 9.5, limit: 9.6 }), bar, 5),
      { _tag: "Triggered" }
    )
    assert.deepStrictEqual(
      FillModel.evaluateOnBar(resting("sell", "stop_limit", { stop: 9.5, limit: 9.4 }), bar, 5),
      fill(9.5)
    )
  })

  it("lets the stop-loss win when both exits of a group would fill", () => {
    const tp = { type: "limit" as const, id: "tp" }
    const sl = { type: "stop" as const, id: "sl" }
    assert.strictEqual(FillModel.pickExit([tp, sl])?.id, "sl")
    assert.strictEqual(FillModel.pickExit([tp])?.id, "tp")
    assert.isUndefined(FillModel.pickExit([]))
  })

  it("stamps a session with its New York close in UTC: 16:00, 13:00 on an early close, on both sides of each switch", () => {
    const at = (day: string) => Calendar.closeTimestamp(TradingDay.make(day))
    assert.deepStrictEqual(
      ["2026-08-03", "2026-01-05", "2026-03-06", "2026-03-09", "2026-10-30", "2026-11-02", "2006-04-03", "2006-10-30", "1985-07-01"].map(at),
      [
        "2026-08-03T20:00:00.000Z",
        "2026-01-05T21:00:00.000Z",
        "2026-03-06T21:00:00.000Z",
        "2026-03-09T20:00:00.000Z",
        "2026-10-30T20:00:00.000Z",
        "2026-11-02T21:00:00.000Z",
        "2006-04-03T20:00:00.000Z",
        "2006-10-30T21:00:00.000Z",
        "1985-07-01T20:00:00.000Z"
      ]
    )
    assert.deepStrictEqual(["2025-11-28", "2025-12-24", "2025-07-03"].map(at), [
      "2025-11-28T18:00:00.000Z",
      "2025-12-24T18:00:00.000Z",
      "2025-07-03T17:00:00.000Z"
    ])
  })
})

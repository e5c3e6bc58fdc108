import { assert, describe, it } from "@effect/vitest"
import { Indicators } from "@council/llm"

describe("Indicators", () => {
  it("change is the simple return over the last n sessions", () => {
    assert.closeTo(Indicators.change([100, 50, 110], 2)!, 0.1, 1e-12)
    assert.closeTo(Indicators.change([100, 50, 110], 1)!, 1.2, 1e-12)
    assert.isUndefined(Indicators.change([100, 110], 2))
  })

  it("sma averages the last n closes", () => {
    assert.strictEqual(Indicators.sma([1, 2, 3, 4], 2), 3.5)
    assert.strictEqual(Indicators.sma([1, 2, 3, 4], 4), 2.5)
    assert.isUndefined(Indicators.sma([1, 2, 3], 4))
  })

  it("volatility is the sample standard deviation of daily returns", () => {
    // returns +10%, -10%, +10% → mean 1/30, sample sd = sqrt(((2/30)^2 * 2 + (4/30)^2) / 2)
    const closes = [100, 110, 99, 108.9]
    const expected = Math.sqrt(((2 / 30) ** 2 * 2 + (4 / 30) ** 2) / 2)
    assert.closeTo(Indicators.dailyVolatility(closes, 3)!, expected, 1e-12)
    assert.closeTo(Indicators.annualisedVolatility(closes, 3)!, expected * Math.sqrt(252), 1e-12)
    assert.isUndefined(Indicators.dailyVolatility(closes, 4))
    assert.closeTo(Indicators.dailyVolatility([100, 101, 102.01], 2)!, 0, 1e-12)
  })

  it("lowest and highest look at the last n closes only", () => {
    assert.strictEqual(Indicators.lowest([1, 5, 3, 4], 3), 3)
    assert.strictEqual(Indicators.highest([9, 5, 3, 4], 3), 5)
    assert.isUndefined(Indicators.lowest([1], 2))
  })
})

/**
 * The README's rule for a statistic that some replicates leave undefined: the interval is taken over the defined
 * ones, and when more than half are undefined there is none ("—").
 */
import { assert, describe, it } from "@effect/vitest"
import { Bootstrap, Metrics } from "@council/tracking"

/** 100 returns, the first and `positive − 1` others (spread evenly) above 0, the rest below. */
const returnsWith = (positive: number) =>
  Array.from({ length: 100 }, (_, i) => (i === 0 || (i * positive) % 100 < positive - 1 ? 0.01 : -0.01))

/** Defined only when a replicate starts on an up session: about `positive` % of the replicates. */
const startsUp = (r: Float64Array) => (r[0]! > 0 ? Metrics.mean(r) : Number.NaN)

describe("Bootstrap: replicates where the statistic is undefined", () => {
  it("counts only the defined replicates while they are most of them", () => {
    const returns = returnsWith(75)
    assert.strictEqual(returns.filter((r) => r > 0).length, 75)
    const estimate = Bootstrap.interval(returns, startsUp)
    assert.strictEqual(estimate._tag, "Interval")
    if (estimate._tag !== "Interval") return
    // 2,000 draws of a start that is up with probability 3/4: 1,500 ± 5 standard deviations (19.4 each)
    assert.isAbove(estimate.replicates, 1400)
    assert.isBelow(estimate.replicates, 1600)
  })

  it("gives no interval when more than half of the replicates leave it undefined", () => {
    const returns = returnsWith(25)
    assert.strictEqual(returns.filter((r) => r > 0).length, 25)
    assert.isTrue(Number.isFinite(startsUp(Float64Array.from(returns))))
    assert.deepStrictEqual(Bootstrap.interval(returns, startsUp), { _tag: "Undefined", sessions: 100, reason: "the statistic is undefined on most resamples" })
  })
})

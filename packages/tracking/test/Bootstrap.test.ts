import { assert, describe, it } from "@effect/vitest"
import { Bootstrap, Metrics, Prng } from "@council/tracking"
import { normalReturns } from "./series.ts"

const meanStatistic: Bootstrap.Statistic = (r) => Metrics.mean(r)

const intervalOf = (estimate: Bootstrap.Estimate): Bootstrap.Interval => {
  if (estimate._tag !== "Interval") throw new Error(`expected an interval, got ${estimate._tag}`)
  return estimate
}

/** An AR(1) series x_t = φ·x_{t−1} + ε_t with standard normal ε. */
const ar1 = (n: number, phi: number, seed: string): Array<number> => {
  const prng = Prng.make(seed)
  const out: Array<number> = []
  let x = 0
  for (let i = 0; i < n; i++) {
    x = phi * x + prng.normal()
    out.push(x)
  }
  return out
}

describe("Bootstrap", () => {
  it("the default mean block length is ⌈n^(1/3)⌉", () => {
    assert.deepStrictEqual([20, 27, 28, 250, 1000, 4821].map(Bootstrap.defaultBlockLength), [3, 3, 4, 7, 10, 17])
  })

  it("resampled blocks have the stated mean length (runs of consecutive indices)", () => {
    const prng = Prng.make("blocks")
    for (const blockLength of [1, 5, 12]) {
      const indices = Bootstrap.resampleIndices(new Int32Array(50_000), blockLength, prng)
      let blocks = 1
      for (let i = 1; i < indices.length; i++) if (indices[i] !== (indices[i - 1]! + 1) % indices.length) blocks++
      assert.closeTo(indices.length / blocks, blockLength, blockLength * 0.05)
    }
  })

  it("the same seed gives the same interval; another seed another one", () => {
    const returns = normalReturns(250, 0.0005, 0.01, "data")
    const a = Bootstrap.interval(returns, Metrics.totalReturnOf, { seed: 42 })
    const b = Bootstrap.interval(returns, Metrics.totalReturnOf, { seed: 42 })
    const c = Bootstrap.interval(returns, Metrics.totalReturnOf, { seed: 43 })
    assert.deepStrictEqual(a, b)
    assert.notStrictEqual(intervalOf(a).lower, intervalOf(c).lower)
    assert.deepStrictEqual(
      { ...intervalOf(a), lower: 0, upper: 0 },
      { _tag: "Interval", estimate: Metrics.totalReturnOf(returns), lower: 0, upper: 0, level: 0.95, sessions: 250, blockLength: 7, replicates: 2000, seed: "42" }
    )
    assert.isBelow(intervalOf(a).lower, intervalOf(a).estimate)
    assert.isAbove(intervalOf(a).upper, intervalOf(a).estimate)
  })

  it("the 95 % interval of the mean of i.i.d. returns covers the true mean in about 95 % of samples", () => {
    const trials = 150
    let covered = 0
    for (let trial = 0; trial < trials; trial++) {
      const returns = normalReturns(250, 0.0005, 0.01, `coverage-${trial}`)
      const ci = intervalOf(Bootstrap.interval(returns, meanStatistic, { seed: trial, replicates: 300 }))
      if (ci.lower <= 0.0005 && 0.0005 <= ci.upper) covered++
    }
    assert.isAtLeast(covered / trials, 0.88)
    assert.isAtMost(covered / trials, 0.99)
  })

  it("blocks keep serial dependence: on AR(1) with φ = 0.5 the i.i.d. bootstrap (L = 1) understates the standard error by √3", () => {
    const n = 2000
    const x = ar1(n, 0.5, "ar1")
    // the long-run standard error of the mean of AR(1): σ_ε / (1 − φ) / √n
    const theory = 1 / 0.5 / Math.sqrt(n)
    const standardError = (blockLength: number) => {
      const [values] = Bootstrap.replicate([x], [([r]) => Metrics.mean(r!)], { seed: "se", replicates: 400, blockLength })
      return Metrics.sampleSd(values!) / theory
    }
    assert.closeTo(standardError(1), 1 / Math.sqrt(3), 0.07)
    assert.closeTo(standardError(Bootstrap.defaultBlockLength(n)), 1, 0.2)
  })

  it("fewer than 20 sessions: no interval, the point estimate and the minimum instead", () => {
    const returns = normalReturns(19, 0.001, 0.01, "short")
    assert.deepStrictEqual(Bootstrap.interval(returns, Metrics.totalReturnOf), {
      _tag: "TooFewSessions",
      estimate: Metrics.totalReturnOf(returns),
      sessions: 19,
      minimum: 20
    })
    assert.strictEqual(Bootstrap.interval(normalReturns(20, 0.001, 0.01, "short"), Metrics.totalReturnOf)._tag, "Interval")
  })

  it("a statistic undefined on the data (Sharpe of a flat series) has no interval", () => {
    assert.strictEqual(Bootstrap.interval(new Array(30).fill(0), (r) => Metrics.sharpeOf(r))._tag, "Undefined")
  })

  it("paired differences resample both series on the same sessions", () => {
    const base = normalReturns(100, 0, 0.01, "paired")
    const shifted = base.map((r) => r + 0.001)
    const same = intervalOf(Bootstrap.pairedDifference(base, base, meanStatistic))
    assert.deepStrictEqual([same.estimate, same.lower, same.upper], [0, 0, 0])
    const shift = intervalOf(Bootstrap.pairedDifference(shifted, base, meanStatistic))
    assert.closeTo(shift.lower, 0.001, 1e-12)
    assert.closeTo(shift.upper, 0.001, 1e-12)
    assert.strictEqual(Bootstrap.pairedDifference(base, base.slice(1), meanStatistic)._tag, "Undefined")
  })

  it("the sums path resamples the same replicates as the index path: total return and Sharpe agree to rounding", () => {
    const a = normalReturns(1000, 0.0004, 0.012, "sums-a")
    const b = normalReturns(1000, 0.0002, 0.009, "sums-b")
    const rf = Metrics.dailyRiskFree(0.03)
    const options = { seed: "same", replicates: 300, blockLength: 10 }
    const byIndex = Bootstrap.replicate(
      [a, b],
      [([x]) => Metrics.totalReturnOf(x!), ([x, y]) => Metrics.sharpeOf(x!, rf) - Metrics.sharpeOf(y!, rf)],
      options
    )
    const bySums = Bootstrap.replicateSums(
      [a, b],
      [([x]) => Metrics.totalReturnOfSums(x!), ([x, y]) => Metrics.sharpeOfSums(x!, rf) - Metrics.sharpeOfSums(y!, rf)],
      options
    )
    for (let k = 0; k < 2; k++) {
      for (let i = 0; i < 300; i++) assert.closeTo(bySums[k]![i]!, byIndex[k]![i]!, 1e-9 * Math.max(1, Math.abs(byIndex[k]![i]!)))
    }
    // the replicates differ from each other: the comparison is not over one repeated value
    assert.isAbove(Metrics.sampleSd(bySums[0]!), 0.01)
  })

  // Pinned from the code before the generator's state became a typed array and the sums loop was tightened
  // (ae3f96c): a published leaderboard's intervals must not move by a digit when the code gets faster.
  it("draws and intervals are those of earlier releases, to the last digit", () => {
    const prng = Prng.make("council")
    assert.deepStrictEqual([prng.uniform(), prng.int(4821), prng.normal(), prng.uniform()], [0.09461705153807998, 4562, 0.1822645580799439, 0.7790097401011735])
    const byState = Prng.make(42)
    assert.deepStrictEqual([Prng.intOf(byState.state, 1000), byState.int(1000), Prng.intOf(byState.state, 1000), byState.int(1000)], [239, 585, 93, 198])
    const source = Prng.make("pins")
    const a = Array.from({ length: 300 }, () => 0.0004 + 0.011 * source.normal())
    const b = Array.from({ length: 300 }, () => 0.0002 + 0.009 * source.normal())
    const estimates = Bootstrap.estimatesOfSums(
      [a, b],
      [([r]) => Metrics.totalReturnOfSums(r!), ([r]) => Metrics.sharpeOfSums(r!, 0), ([r, x]) => Metrics.totalReturnOfSums(r!) - Metrics.totalReturnOfSums(x!)],
      { seed: "council:COUNCIL" }
    )
    assert.deepStrictEqual(estimates.map((e) => [intervalOf(e).estimate, intervalOf(e).lower, intervalOf(e).upper]), [
      [0.18727998096207818, -0.17685112986223106, 0.7423764010601658],
      [0.9266173210577948, -0.900277949163665, 2.779843820132366],
      [-0.19738773173731514, -0.8193186597917799, 0.49973777901963234]
    ])
  })

  it("a Sharpe from sums is undefined without spread, as the two-pass one is", () => {
    for (const flat of [new Array(40).fill(0), new Array(40).fill(0.0013)]) {
      assert.isNaN(Metrics.sharpeOfSums(Bootstrap.sumsOf(flat)))
      assert.isNaN(Metrics.sharpeOf(flat))
    }
    const returns = normalReturns(250, 0.0005, 0.01, "sharpe")
    assert.closeTo(Metrics.sharpeOfSums(Bootstrap.sumsOf(returns), 0.0001), Metrics.sharpeOf(returns, 0.0001), 1e-12)
    assert.strictEqual(Bootstrap.estimatesOfSums([new Array(30).fill(0)], [([r]) => Metrics.sharpeOfSums(r!)])[0]!._tag, "Undefined")
  })
})

import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { TradingDay } from "@council/domain"
import { Metrics } from "@council/tracking"
import { compound, seriesOf, weekdays } from "./series.ts"

const ROOT_252 = 15.874507866387544
const TOLERANCE = 1e-12

const metricsOf = (series: ReadonlyArray<Metrics.EquityPoint>, options?: Metrics.MetricsOptions) => {
  const result = Metrics.computeMetrics(series, options)
  if (Result.isFailure(result)) throw new Error(result.failure.message)
  return result.success
}

const errorOf = (series: ReadonlyArray<Metrics.EquityPoint>, options?: Metrics.MetricsOptions) => {
  const result = Metrics.computeMetrics(series, options)
  if (Result.isSuccess(result)) throw new Error("expected a MetricsError")
  return result.failure.message
}

/** +10 %, −10 %, +10 %, +10 %: mean 0.05, deviations 0.05/−0.15/0.05/0.05, Σ² = 0.03, sample sd √(0.03/3) = 0.1. */
const updown = seriesOf([100, 110, 99, 108.9, 119.79])
const d = weekdays(130)

describe("Metrics.computeMetrics, against values worked out by hand", () => {
  it("returns, volatility, Sharpe, Sortino and win rate of +10/−10/+10/+10 %", () => {
    const m = metricsOf(updown)
    assert.strictEqual(m.sessions, 4)
    assert.strictEqual(m.from, d[0])
    assert.strictEqual(m.to, d[4])
    assert.closeTo(m.totalReturn, 0.1979, TOLERANCE)
    assert.closeTo(m.pnl, 19.79, TOLERANCE)
    assert.closeTo(m.volatility!, 0.1 * ROOT_252, TOLERANCE)
    assert.closeTo(m.sharpe!, 0.5 * ROOT_252, 1e-9)
    // downside deviation √((0.1²) / 4) = 0.05
    assert.closeTo(m.sortino!, 1 * ROOT_252, 1e-9)
    assert.strictEqual(m.winRateDays, 0.75)
  })

  it("its drawdown: 110 → 99 is −10 %, recovered on the session equity is back above 110", () => {
    const m = metricsOf(updown)
    assert.closeTo(m.maxDrawdown.depth, 0.1, TOLERANCE)
    assert.deepStrictEqual([m.maxDrawdown.peak, m.maxDrawdown.trough, m.maxDrawdown.recovery], [d[1], d[2], d[4]])
  })

  it("a risk-free rate of 1 % a session lowers the mean excess return to 0.04", () => {
    const m = metricsOf(updown, { riskFree: 1.01 ** 252 - 1 })
    assert.closeTo(m.sharpe!, 0.4 * ROOT_252, 1e-9)
    // excess returns 0.09, −0.11, 0.09, 0.09: downside deviation √(0.11² / 4) = 0.055
    assert.closeTo(m.sortino!, (0.04 / 0.055) * ROOT_252, 1e-9)
    assert.closeTo(m.volatility!, 0.1 * ROOT_252, TOLERANCE)
  })

  it("alternating +1 % / −0.5 %: Sharpe √756 / 6 (mean 0.0025, sd 0.0075·√(4/3))", () => {
    const m = metricsOf(seriesOf(compound([0.01, -0.005, 0.01, -0.005])))
    assert.closeTo(m.sharpe!, Math.sqrt(756) / 6, 1e-9)
  })

  it("126 sessions from 100 up to 120, down to 90, up to 110: annualized 21 %, drawdown 25 %, Calmar 0.84", () => {
    const path = [
      ...Array.from({ length: 40 }, (_, t) => 100 + (20 * t) / 40),
      ...Array.from({ length: 40 }, (_, t) => 120 - (30 * t) / 40),
      ...Array.from({ length: 47 }, (_, t) => 90 + (20 * t) / 46)
    ]
    assert.strictEqual(path.length, 127)
    const m = metricsOf(seriesOf(path))
    assert.strictEqual(m.sessions, 126)
    assert.closeTo(m.totalReturn, 0.1, TOLERANCE)
    assert.closeTo(m.annualizedReturn, 0.21, 1e-12)
    assert.closeTo(m.maxDrawdown.depth, 0.25, TOLERANCE)
    assert.deepStrictEqual([m.maxDrawdown.peak, m.maxDrawdown.trough, m.maxDrawdown.recovery], [d[40], d[80], null])
    assert.closeTo(m.calmar!, 0.84, 1e-12)
  })

  it("equal drawdowns: the first counts; a flat series has none and no Calmar, Sharpe or Sortino", () => {
    const twice = metricsOf(seriesOf([100, 90, 100, 90]))
    assert.deepStrictEqual([twice.maxDrawdown.peak, twice.maxDrawdown.trough, twice.maxDrawdown.recovery], [d[0], d[1], d[2]])
    const flat = metricsOf(seriesOf([100, 100, 100]))
    assert.deepStrictEqual(flat.maxDrawdown, { depth: 0, peak: d[0]!, trough: d[0]!, recovery: null })
    assert.strictEqual(flat.calmar, null)
    assert.strictEqual(flat.sharpe, null)
    assert.strictEqual(flat.sortino, null)
    assert.strictEqual(flat.winRateDays, null)
  })

  it("win rate over days ignores flat sessions: 0, +1 %, −0.99 %, 0 → 1 of 2", () => {
    assert.strictEqual(metricsOf(seriesOf([100, 100, 101, 100, 100])).winRateDays, 0.5)
  })

  it("turnover, exposure, trades, benchmark and LLM cost (the base session's traded and exposure, the last session's cost are ignored)", () => {
    const [d0, d1, d2] = weekdays(3)
    const series: Array<Metrics.EquityPoint> = [
      { date: d0!, equity: 100, traded: 999, grossExposure: 999, llmCost: 1 },
      { date: d1!, equity: 200, traded: 50, grossExposure: 50, llmCost: 2 },
      { date: d2!, equity: 200, traded: 100, grossExposure: 100, llmCost: 999 }
    ]
    const m = metricsOf(series, {
      trades: [10, -5, 0, 3].map((pnl) => ({ closedOn: d2!, pnl })),
      benchmark: [{ date: d0!, close: 400 }, { date: d1!, close: 420 }, { date: d2!, close: 440 }]
    })
    // traded / equity at the start: 50/100 and 100/200 → 0.5 a session → 126 a year
    assert.closeTo(m.turnover!, 126, TOLERANCE)
    // gross / equity at the close: 50/200 and 100/200
    assert.closeTo(m.averageExposure!, 0.375, TOLERANCE)
    assert.strictEqual(m.winRateTrades, 0.5)
    assert.strictEqual(m.closedTrades, 4)
    assert.closeTo(m.benchmarkReturn!, 0.1, TOLERANCE)
    assert.closeTo(m.excessReturn!, 0.9, TOLERANCE)
    assert.strictEqual(m.llmCost, 3)
    assert.strictEqual(m.pnl, 100)
    assert.strictEqual(m.pnlNetOfCost, 97)
    assert.closeTo(m.returnNetOfCost!, 0.97, TOLERANCE)
  })

  it("inputs that were not given leave their metrics null", () => {
    const m = metricsOf(updown)
    assert.deepStrictEqual(
      [m.turnover, m.averageExposure, m.winRateTrades, m.closedTrades, m.benchmarkReturn, m.excessReturn, m.llmCost, m.pnlNetOfCost, m.returnNetOfCost],
      [null, null, null, null, null, null, null, null, null]
    )
    const partlyCosted = updown.map((p, i) => (i === 2 ? p : { ...p, llmCost: 1 }))
    assert.strictEqual(metricsOf(partlyCosted).llmCost, null)
  })

  it("refuses series it cannot measure, naming the problem", () => {
    assert.strictEqual(errorOf(seriesOf([100])), "the equity series needs at least two sessions (a base and one return), got 1")
    assert.strictEqual(errorOf(seriesOf([100, 0])), `the equity series: equity on ${d[1]} is 0, not a positive amount`)
    const [a, b] = weekdays(2)
    assert.strictEqual(
      errorOf([{ date: b!, equity: 100 }, { date: a!, equity: 101 }]),
      `the equity series: ${a} does not follow ${b}`
    )
    assert.strictEqual(
      errorOf(seriesOf([100, 101]), { benchmark: [{ date: TradingDay.make("2023-12-29"), close: 1 }] }),
      `the benchmark has no close for ${d[0]}`
    )
  })

  it("says P&L, LLM cost and P&L net of it in the cents they are, on a six-figure book too", () => {
    // 100349.93 − 100000 is 349.929999999993 in floating point: 15 digits that look exact
    const series = [
      { date: d[0]!, equity: 100000, llmCost: 0.1 },
      { date: d[1]!, equity: 100120.55, llmCost: 0.2 },
      { date: d[2]!, equity: 100349.93, llmCost: 0 }
    ]
    const m = metricsOf(series)
    assert.strictEqual(String(m.pnl), "349.93")
    assert.strictEqual(String(m.llmCost), "0.3")
    assert.strictEqual(String(m.pnlNetOfCost), "349.63")
    assert.strictEqual(String(metricsOf(seriesOf([100000, 98857.77])).pnl), "-1142.23")
  })
})

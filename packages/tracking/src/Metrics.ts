/**
 * Performance metrics of one account over a window of trading sessions, as pure functions.
 *
 * **When to use**: `computeMetrics(series, options)` for an account's table row; the statistics below
 * (`totalReturnOf`, `sharpeOf`, …) are what `Bootstrap` resamples. The risk-free rate is an argument (the CLI
 * reads `COUNCIL_RISK_FREE`).
 *
 * **Definitions** (the README quotes these; a session is a trading day, a year is 252 sessions)
 * - Input: the account's equity of each session of the window (its snapshot, marked at the session's moment),
 *   oldest first: E_0 … E_n. E_0 is the base; the window has n daily simple returns r_t = E_t / E_{t−1} − 1
 *   (t = 1 … n), and `sessions` = n. The series must be free of deposits and withdrawals. The other inputs of
 *   point 0 (trades, cost) are ignored.
 * - Risk-free rate: rf a year (0 unless given; `COUNCIL_RISK_FREE`), per session rf_d = (1 + rf)^(1/252) − 1;
 *   excess returns e_t = r_t − rf_d.
 * - Total return: E_n / E_0 − 1. Annualized return: (1 + total return)^(252 / n) − 1.
 * - Volatility: sd(r), the sample standard deviation (denominator n − 1), × √252.
 * - Sharpe: mean(e) / sd(e) × √252; undefined when sd = 0 or n < 2 (an sd under 10⁻⁶ of √(Σ e_t² / (n − 1))
 *   counts as 0: the rounding of a constant series).
 * - Sortino: mean(e) / DD × √252, with the downside deviation DD = √(Σ min(e_t, 0)² / n); undefined when no
 *   session is below rf.
 * - Max drawdown: the largest 1 − E_t / max_{s ≤ t} E_s over t = 0 … n (a fraction, 0 when equity never fell);
 *   its trough is that session (the first if tied), its peak the session where that running maximum was first
 *   reached, its recovery the first session after the trough with E_t ≥ the peak's equity (none yet: `null`).
 * - Calmar: annualized return / max drawdown; undefined when the max drawdown is 0.
 * - Win rate (days): sessions with r_t > 0 over sessions with r_t ≠ 0 (flat sessions, e.g. all cash, do not
 *   count). Win rate (trades): closed trades with P&L > 0 over closed trades.
 * - Turnover: mean over t = 1 … n of traded_t / E_{t−1} (dollars bought plus dollars sold during session t, and
 *   during the sessions without a snapshot since t − 1's (`TradedSince`), over the previous snapshot's equity),
 *   × 252: how many times a year the equity changes hands, both sides counted. Under `after-close` E_{t−1} is the
 *   equity session t's trading started from; under `close` a session's fills come after its own snapshot, so
 *   session t's trading moves E_{t+1}, not E_t (session 0's is not counted, session n's is; LLM cost counts
 *   0 … n − 1). Closed trades count the same sessions 1 … n.
 * - Average exposure: mean over t = 1 … n of gross_t / E_t (long plus |short| market value at the snapshot's
 *   moment, over equity).
 * - Excess return: total return − the benchmark's total return over the same sessions (SPY buy-and-hold: its
 *   value of each session, its price at the session's moment, else its close; with a feed's splits and cash
 *   dividends applied as the accounts get them: `Standings`).
 * - LLM cost: Σ cost_t over t = 0 … n − 1, the sessions whose decisions made the P&L: E_t is taken when session
 *   t's run starts, before its orders, so E_n − E_0 is what sessions 0 … n − 1 decided (session n's calls pay for
 *   trades after the window). P&L = E_n − E_0; P&L net of cost = P&L − LLM cost; return net of cost =
 *   (P&L − LLM cost) / E_0.
 * A metric whose input was not given (exposure, trades, benchmark, cost) or that is undefined is `null` ("—").
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { decimalDifference, decimalSum, TradingDay } from "@council/domain"
import type * as Bootstrap from "./Bootstrap.ts"

export const SESSIONS_PER_YEAR = 252

/** One session's point for one account. Optional fields feed the metrics that need them. */
export interface EquityPoint {
  readonly date: TradingDay
  /** Equity at the session's moment (its snapshot's), dollars. */
  readonly equity: number
  /** Long plus |short| market value at the same moment, dollars. */
  readonly grossExposure?: number
  /** Dollar value bought plus sold during the session. */
  readonly traded?: number
  /** Dollars spent on LLM calls for the session. */
  readonly llmCost?: number
}

export interface ClosedTrade {
  readonly closedOn: TradingDay
  readonly pnl: number
}

/** A benchmark's close per session (e.g. SPY), for buy-and-hold. */
export interface BenchmarkPoint {
  readonly date: TradingDay
  readonly close: number
}

const Fraction = Schema.Finite
const Maybe = Schema.NullOr(Schema.Finite)

export const Drawdown = Schema.Struct({
  /** 1 − trough / peak, a fraction ≥ 0. */
  depth: Fraction,
  peak: TradingDay,
  trough: TradingDay,
  recovery: Schema.NullOr(TradingDay)
})
export type Drawdown = typeof Drawdown.Type

export const AccountMetrics = Schema.Struct({
  from: TradingDay,
  to: TradingDay,
  /** Daily returns in the window (n): one fewer than its sessions, `from` … `to` included. */
  sessions: Schema.Int.annotate({ description: "the window's daily returns (n): one fewer than its sessions, `from` … `to` included" }),
  riskFree: Schema.Finite,
  totalReturn: Fraction,
  annualizedReturn: Fraction,
  volatility: Maybe,
  sharpe: Maybe,
  sortino: Maybe,
  maxDrawdown: Drawdown,
  calmar: Maybe,
  winRateDays: Maybe,
  winRateTrades: Maybe,
  closedTrades: Schema.NullOr(Schema.Int),
  turnover: Maybe,
  averageExposure: Maybe,
  benchmarkReturn: Maybe,
  excessReturn: Maybe,
  pnl: Schema.Finite,
  llmCost: Maybe,
  pnlNetOfCost: Maybe,
  returnNetOfCost: Maybe
})
export type AccountMetrics = typeof AccountMetrics.Type

export class MetricsError extends Schema.TaggedError<MetricsError>()("MetricsError", { message: Schema.String }) {}

// ---------------------------------------------------------------------------------------------------------------
// Statistics over daily returns (what the bootstrap resamples)

export const mean = (xs: ArrayLike<number>): number => {
  let sum = 0
  for (let i = 0; i < xs.length; i++) sum += xs[i]!
  return sum / xs.length
}

/** Sample standard deviation (n − 1); NaN below two values. */
export const sampleSd = (xs: ArrayLike<number>): number => {
  if (xs.length < 2) return Number.NaN
  const m = mean(xs)
  let ss = 0
  for (let i = 0; i < xs.length; i++) ss += (xs[i]! - m) ** 2
  return Math.sqrt(ss / (xs.length - 1))
}

/** The per-session rate of an annual risk-free rate. */
export const dailyRiskFree = (annual: number): number => (1 + annual) ** (1 / SESSIONS_PER_YEAR) - 1

/** r_t = E_t / E_{t−1} − 1. */
export const dailyReturns = (equity: ReadonlyArray<number>): Array<number> =>
  equity.slice(1).map((e, i) => e / equity[i]! - 1)

/** Π(1 + r_t) − 1. */
export const totalReturnOf = (returns: ArrayLike<number>): number => {
  let growth = 1
  for (let i = 0; i < returns.length; i++) growth *= 1 + returns[i]!
  return growth - 1
}

export const annualize = (totalReturn: number, sessions: number): number =>
  (1 + totalReturn) ** (SESSIONS_PER_YEAR / sessions) - 1

/**
 * Whether a standard deviation is spread rather than rounding: above 10⁻⁶ of the root mean square of the excess
 * returns. A constant series (0.13 % every day) leaves a sample sd of ~10⁻¹⁹ from rounding its mean, which would
 * otherwise be read as a Sharpe of 10¹⁶.
 */
const isSpread = (variance: number, meanSquare: number): boolean => variance > meanSquare * 1e-12

/** Annualized Sharpe ratio; NaN when undefined (fewer than two sessions, or no spread: see `isSpread`). */
export const sharpeOf = (returns: ArrayLike<number>, riskFreeDaily = 0): number => {
  const sd = sampleSd(returns)
  const m = mean(returns) - riskFreeDaily
  let squares = 0
  for (let i = 0; i < returns.length; i++) squares += (returns[i]! - riskFreeDaily) ** 2
  return isSpread(sd * sd, squares / (returns.length - 1)) ? (m / sd) * Math.sqrt(SESSIONS_PER_YEAR) : Number.NaN
}

/** `totalReturnOf` from a series' sums (`Bootstrap.Sums`): expm1(Σ log(1 + r)). */
export const totalReturnOfSums = (sums: Bootstrap.Sums): number => Math.expm1(sums.sumLog1p)

/**
 * `sharpeOf` from a series' sums (`Bootstrap.Sums`): the excess returns' mean and sample variance from Σe and Σe².
 * NaN when undefined, as `sharpeOf` (`isSpread`).
 */
export const sharpeOfSums = (sums: Bootstrap.Sums, riskFreeDaily = 0): number => {
  const n = sums.n
  if (n < 2) return Number.NaN
  const excess = sums.sum - n * riskFreeDaily
  const excessSquares = sums.sumSquares - 2 * riskFreeDaily * sums.sum + n * riskFreeDaily * riskFreeDaily
  const variance = (excessSquares - (excess * excess) / n) / (n - 1)
  if (!isSpread(variance, excessSquares / (n - 1))) return Number.NaN
  return ((excess / n) / Math.sqrt(variance)) * Math.sqrt(SESSIONS_PER_YEAR)
}

/** Annualized Sortino ratio; NaN when undefined. */
export const sortinoOf = (returns: ArrayLike<number>, riskFreeDaily = 0): number => {
  let downside = 0
  for (let i = 0; i < returns.length; i++) downside += Math.min(returns[i]! - riskFreeDaily, 0) ** 2
  const dd = Math.sqrt(downside / returns.length)
  return dd > 0 ? ((mean(returns) - riskFreeDaily) / dd) * Math.sqrt(SESSIONS_PER_YEAR) : Number.NaN
}

export const maxDrawdownOf = (dates: ReadonlyArray<TradingDay>, equity: ReadonlyArray<number>): Drawdown => {
  let peakIndex = 0
  let worst = { depth: 0, peak: 0, trough: 0 }
  for (let t = 1; t < equity.length; t++) {
    if (equity[t]! > equity[peakIndex]!) peakIndex = t
    const depth = 1 - equity[t]! / equity[peakIndex]!
    if (depth > worst.depth) worst = { depth, peak: peakIndex, trough: t }
  }
  let recovery: TradingDay | null = null
  if (worst.depth > 0) {
    for (let t = worst.trough + 1; t < equity.length; t++) {
      if (equity[t]! >= equity[worst.peak]!) {
        recovery = dates[t]!
        break
      }
    }
  }
  return { depth: worst.depth, peak: dates[worst.peak]!, trough: dates[worst.trough]!, recovery }
}

// ---------------------------------------------------------------------------------------------------------------

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null)

/** The mean of `f(point t, point t−1)` over t = 1 … n, or null when any point lacks the input. */
const meanOver = (
  series: ReadonlyArray<EquityPoint>,
  f: (point: EquityPoint, previous: EquityPoint) => number | undefined
): number | null => {
  const values: Array<number> = []
  for (let t = 1; t < series.length; t++) {
    const value = f(series[t]!, series[t - 1]!)
    if (value === undefined) return null
    values.push(value)
  }
  return orNull(mean(values))
}

/** Checks the series: at least two points, dates strictly increasing, equity positive and finite. */
export const validateSeries = (series: ReadonlyArray<EquityPoint>, name = "the equity series"): string | undefined => {
  if (series.length < 2) return `${name} needs at least two sessions (a base and one return), got ${series.length}`
  for (let t = 0; t < series.length; t++) {
    const point = series[t]!
    if (!Number.isFinite(point.equity) || point.equity <= 0) return `${name}: equity on ${point.date} is ${point.equity}, not a positive amount`
    if (t > 0 && point.date <= series[t - 1]!.date) return `${name}: ${point.date} does not follow ${series[t - 1]!.date}`
  }
  return undefined
}

export interface MetricsOptions {
  /** Annual risk-free rate as a fraction. Default 0. */
  readonly riskFree?: number
  readonly trades?: ReadonlyArray<ClosedTrade>
  /** Closes of the benchmark; every session of the series must have one. */
  readonly benchmark?: ReadonlyArray<BenchmarkPoint>
}

const benchmarkReturnOver = (
  series: ReadonlyArray<EquityPoint>,
  benchmark: ReadonlyArray<BenchmarkPoint>
): Result.Result<number, MetricsError> => {
  const closes = new Map(benchmark.map((b) => [b.date, b.close]))
  const first = closes.get(series[0]!.date)
  const last = closes.get(series[series.length - 1]!.date)
  return first === undefined || last === undefined || !(first > 0)
    ? Result.fail(new MetricsError({ message: `the benchmark has no close for ${first === undefined ? series[0]!.date : series[series.length - 1]!.date}` }))
    : Result.succeed(last / first - 1)
}

/** Every metric of the module's definitions for one account's series (see the module header). */
export const computeMetrics = (
  series: ReadonlyArray<EquityPoint>,
  options: MetricsOptions = {}
): Result.Result<AccountMetrics, MetricsError> => {
  const invalid = validateSeries(series)
  if (invalid !== undefined) return Result.fail(new MetricsError({ message: invalid }))
  const riskFree = options.riskFree ?? 0
  const rf = dailyRiskFree(riskFree)
  const equity = series.map((p) => p.equity)
  const dates = series.map((p) => p.date)
  const returns = dailyReturns(equity)
  const n = returns.length
  const totalReturn = equity[n]! / equity[0]! - 1
  const annualizedReturn = annualize(totalReturn, n)
  const maxDrawdown = maxDrawdownOf(dates, equity)
  const moving = returns.filter((r) => r !== 0)
  const trades = options.trades
  let benchmarkReturn: number | null = null
  if (options.benchmark !== undefined) {
    const benchmark = benchmarkReturnOver(series, options.benchmark)
    if (Result.isFailure(benchmark)) return Result.fail(benchmark.failure)
    benchmarkReturn = benchmark.success
  }
  const costs = series.slice(0, -1).map((p) => p.llmCost)
  // dollars as the decimals they are (100349.93 − 100000 is 349.93, not 349.929999999993)
  const llmCost = costs.every((c) => c !== undefined) ? decimalSum(costs) : null
  const pnl = decimalDifference(equity[n]!, equity[0]!)
  const dailyTurnover = meanOver(series, (p, previous) => (p.traded === undefined ? undefined : p.traded / previous.equity))
  return Result.succeed({
    from: dates[0]!,
    to: dates[n]!,
    sessions: n,
    riskFree,
    totalReturn,
    annualizedReturn,
    volatility: orNull(sampleSd(returns) * Math.sqrt(SESSIONS_PER_YEAR)),
    sharpe: orNull(sharpeOf(returns, rf)),
    sortino: orNull(sortinoOf(returns, rf)),
    maxDrawdown,
    calmar: maxDrawdown.depth > 0 ? annualizedReturn / maxDrawdown.depth : null,
    winRateDays: moving.length > 0 ? moving.filter((r) => r > 0).length / moving.length : null,
    winRateTrades: trades === undefined || trades.length === 0 ? null : trades.filter((t) => t.pnl > 0).length / trades.length,
    closedTrades: trades === undefined ? null : trades.length,
    turnover: dailyTurnover === null ? null : dailyTurnover * SESSIONS_PER_YEAR,
    averageExposure: meanOver(series, (p) => (p.grossExposure === undefined ? undefined : p.grossExposure / p.equity)),
    benchmarkReturn,
    excessReturn: benchmarkReturn === null ? null : totalReturn - benchmarkReturn,
    pnl,
    llmCost,
    pnlNetOfCost: llmCost === null ? null : decimalDifference(pnl, llmCost),
    returnNetOfCost: llmCost === null ? null : (pnl - llmCost) / equity[0]!
  })
}

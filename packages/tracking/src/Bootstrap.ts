/**
 * Confidence intervals for statistics of daily returns by the stationary block bootstrap (Politis & Romano, 1994).
 *
 * **When to use**: `interval(returns, statistic)` for one account (its total return, its Sharpe);
 * `pairedDifference(a, b, statistic)` for the difference between two accounts over the same sessions;
 * `bootstrap` to resample several statistics of several aligned series at once (the leaderboard does).
 *
 * **Method** (the README quotes this)
 * - A replicate of n daily returns is built from indices: the first is uniform in 0 … n − 1; each next one is,
 *   with probability 1/L, a fresh uniform index (a new block starts), otherwise the index after the previous one
 *   (n − 1 wraps to 0). Blocks thus have geometric lengths with mean L (drawn so, one block at a time): runs of
 *   consecutive sessions survive, so serial dependence (volatility clustering, trends) is kept, and the resampled
 *   series is stationary.
 * - Mean block length L = ⌈n^(1/3)⌉ unless given: the rate-optimal order for variance-type statistics
 *   (n = 20 → 3, 250 → 7, 1,000 → 10, 4,821 → 17). Every result states L, n, B and the seed.
 * - B = 2,000 replicates by default; the 95 % interval is the 2.5 % and 97.5 % quantiles of the replicate values
 *   (percentile method, quantiles by linear interpolation, R's type 7). Replicates where the statistic is undefined
 *   (a Sharpe with zero spread) are dropped; `replicates` says how many counted.
 * - Paired differences resample the same indices for both series, keeping their correlation.
 * - Seeded (`Prng`): the same inputs and seed give the same interval on every machine.
 * - Fewer than `MIN_SESSIONS` (20) returns → `TooFewSessions`: no interval, and no ranking built on one.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Prng from "./Prng.ts"

export const MIN_SESSIONS = 20
export const DEFAULT_REPLICATES = 2000
export const DEFAULT_SEED = "council"

/** An estimate's `sessions`: the daily returns it is taken over (n), one fewer than the window's sessions. */
const ReturnsCount = Schema.Int.annotate({ description: "the daily returns resampled (n): one fewer than the window's sessions" })

export const Interval = Schema.TaggedStruct("Interval", {
  /** The statistic on the observed series. */
  estimate: Schema.Finite,
  lower: Schema.Finite,
  upper: Schema.Finite,
  level: Schema.Finite,
  sessions: ReturnsCount,
  blockLength: Schema.Finite,
  replicates: Schema.Int,
  seed: Schema.String
})
export type Interval = typeof Interval.Type

export const TooFewSessions = Schema.TaggedStruct("TooFewSessions", {
  /** The statistic on the observed series, when defined. */
  estimate: Schema.NullOr(Schema.Finite),
  sessions: ReturnsCount,
  minimum: Schema.Int.annotate({ description: "the fewest daily returns an interval is drawn from" })
})
export type TooFewSessions = typeof TooFewSessions.Type

/** An interval, or why there is none. `estimate` is `null` when the statistic is undefined on the data. */
export const Estimate = Schema.Union([
  Interval,
  TooFewSessions,
  Schema.TaggedStruct("Undefined", { sessions: ReturnsCount, reason: Schema.String })
])
export type Estimate = typeof Estimate.Type

export interface BootstrapOptions {
  /** Default `"council"`. */
  readonly seed?: string | number
  /** Default 2,000. */
  readonly replicates?: number
  /** Mean block length L; default ⌈n^(1/3)⌉. */
  readonly blockLength?: number
  /** Default 0.95. */
  readonly level?: number
}

export type Statistic = (returns: Float64Array) => number

export const defaultBlockLength = (sessions: number): number => Math.max(1, Math.ceil(Math.cbrt(sessions) - 1e-9))

/**
 * Draws the blocks of one stationary-bootstrap replicate of a series of `n` values into `starts` and `lengths`
 * (each at least `n` long) and returns how many: each block starts at a uniform index and has a geometric length
 * of mean `blockLength` — the same law as restarting with probability 1/L at every step, with one draw per block.
 * The last block is cut at `n` values in all; a block may wrap from n − 1 to 0.
 */
export const drawBlocks = (n: number, blockLength: number, prng: Prng.Prng, starts: Int32Array, lengths: Int32Array): number => {
  const logStay = blockLength > 1 ? Math.log(1 - 1 / blockLength) : Number.NEGATIVE_INFINITY
  let drawn = 0
  let count = 0
  const state = prng.state
  while (drawn < n) {
    const start = Prng.intOf(state, n)
    // P(length = k) = (1 − 1/L)^(k − 1) · 1/L for k ≥ 1
    const length = Math.min(n - drawn, Math.max(1, Math.ceil(Math.log(1 - Prng.uniformOf(state)) / logStay)))
    starts[count] = start
    lengths[count] = length
    count++
    drawn += length
  }
  return count
}

/** Room for the blocks of one replicate of `n` values (`drawBlocks`), reused across replicates. */
const blocksOf = (n: number) => ({ starts: new Int32Array(n), lengths: new Int32Array(n) })

/**
 * Fills `out` with the indices of one stationary-bootstrap replicate of a series of `out.length` values
 * (`drawBlocks`); `blocks` is scratch room a loop of replicates passes to allocate it once.
 */
export const resampleIndices = (out: Int32Array, blockLength: number, prng: Prng.Prng, blocks = blocksOf(out.length)): Int32Array => {
  const n = out.length
  const { starts, lengths } = blocks
  const count = drawBlocks(n, blockLength, prng, starts, lengths)
  let i = 0
  for (let b = 0; b < count; b++) {
    let index = starts[b]!
    for (let k = 0; k < lengths[b]!; k++, i++) {
      out[i] = index
      index = index + 1 === n ? 0 : index + 1
    }
  }
  return out
}

/** The p-quantile of ascending `sorted` by linear interpolation (R type 7). */
export const quantile = (sorted: ArrayLike<number>, p: number): number => {
  const h = (sorted.length - 1) * p
  const lo = Math.floor(h)
  const hi = Math.min(lo + 1, sorted.length - 1)
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!)
}

/**
 * Replicate values of `statistics` over aligned `series` (equal lengths, same sessions), resampled jointly: each
 * statistic receives the replicates of every series, in order. One array of B values per statistic (NaN where a
 * statistic is undefined).
 */
export const replicate = (
  series: ReadonlyArray<ArrayLike<number>>,
  statistics: ReadonlyArray<(resampled: ReadonlyArray<Float64Array>) => number>,
  options: BootstrapOptions & { readonly replicates: number; readonly blockLength: number; readonly seed: string | number }
): Array<Float64Array> => {
  const n = series[0]?.length ?? 0
  const prng = Prng.make(options.seed)
  const indices = new Int32Array(n)
  const blocks = blocksOf(n)
  const buffers = series.map(() => new Float64Array(n))
  const values = statistics.map(() => new Float64Array(options.replicates))
  for (let b = 0; b < options.replicates; b++) {
    resampleIndices(indices, options.blockLength, prng, blocks)
    for (let s = 0; s < series.length; s++) {
      const source = series[s]!
      const buffer = buffers[s]!
      for (let i = 0; i < n; i++) buffer[i] = source[indices[i]!]!
    }
    for (let k = 0; k < statistics.length; k++) values[k]![b] = statistics[k]!(buffers)
  }
  return values
}

/**
 * Sums over the n daily returns of a series or of one of its resamples: all that its total return, mean and
 * Sharpe need, so a statistic of a replicate costs one addition per block instead of a pass over n values.
 */
export interface Sums {
  readonly n: number
  /** Σ r_t */
  readonly sum: number
  /** Σ r_t² */
  readonly sumSquares: number
  /** Σ log(1 + r_t): the total return is its `expm1`. */
  readonly sumLog1p: number
}

export type SumsStatistic = (sums: ReadonlyArray<Sums>) => number

/** The sums of a whole series. */
export const sumsOf = (returns: ArrayLike<number>): Sums => {
  let sum = 0
  let sumSquares = 0
  let sumLog1p = 0
  for (let i = 0; i < returns.length; i++) {
    const r = returns[i]!
    sum += r
    sumSquares += r * r
    sumLog1p += Math.log1p(r)
  }
  return { n: returns.length, sum, sumSquares, sumLog1p }
}

/** Running totals of a series (index i: the sum of its first i values), for any block's sum in O(1). */
interface Prefix {
  readonly sum: Float64Array
  readonly sumSquares: Float64Array
  readonly sumLog1p: Float64Array
}

const prefixOf = (returns: ArrayLike<number>): Prefix => {
  const n = returns.length
  const prefix = { sum: new Float64Array(n + 1), sumSquares: new Float64Array(n + 1), sumLog1p: new Float64Array(n + 1) }
  for (let i = 0; i < n; i++) {
    const r = returns[i]!
    prefix.sum[i + 1] = prefix.sum[i]! + r
    prefix.sumSquares[i + 1] = prefix.sumSquares[i]! + r * r
    prefix.sumLog1p[i + 1] = prefix.sumLog1p[i]! + Math.log1p(r)
  }
  return prefix
}

/**
 * Replicate values of `statistics` of the sums of aligned `series`, resampled jointly — the same replicates as
 * `replicate` (same seed, same blocks), computed from each block's sums: O(n / L) per replicate instead of O(n).
 * Sums of a block come from running totals (a block [start, end) adds totals[end] − totals[start], or, when it
 * wraps past n, totals[n] − totals[start] + totals[end − n]), so they may differ from a direct sum in the last digits.
 */
export const replicateSums = (
  series: ReadonlyArray<ArrayLike<number>>,
  statistics: ReadonlyArray<SumsStatistic>,
  options: BootstrapOptions & { readonly replicates: number; readonly blockLength: number; readonly seed: string | number }
): Array<Float64Array> => {
  const n = series[0]?.length ?? 0
  const prng = Prng.make(options.seed)
  const prefixes = series.map(prefixOf)
  const { starts, lengths } = blocksOf(n)
  const sums = series.map(() => ({ n, sum: 0, sumSquares: 0, sumLog1p: 0 }))
  const values = statistics.map(() => new Float64Array(options.replicates))
  for (let b = 0; b < options.replicates; b++) {
    const count = drawBlocks(n, options.blockLength, prng, starts, lengths)
    for (let s = 0; s < series.length; s++) {
      const { sum: totals, sumSquares: squares, sumLog1p: logs } = prefixes[s]!
      let sum = 0
      let sumSquares = 0
      let sumLog1p = 0
      for (let k = 0; k < count; k++) {
        const start = starts[k]!
        const end = start + lengths[k]!
        if (end <= n) {
          sum += totals[end]! - totals[start]!
          sumSquares += squares[end]! - squares[start]!
          sumLog1p += logs[end]! - logs[start]!
        } else {
          sum += totals[n]! - totals[start]! + totals[end - n]!
          sumSquares += squares[n]! - squares[start]! + squares[end - n]!
          sumLog1p += logs[n]! - logs[start]! + logs[end - n]!
        }
      }
      const out = sums[s]!
      out.sum = sum
      out.sumSquares = sumSquares
      out.sumLog1p = sumLog1p
    }
    for (let k = 0; k < statistics.length; k++) values[k]![b] = statistics[k]!(sums)
  }
  return values
}

/** The interval of `values` (replicates) around `estimate`, per the module's method. */
export const summarize = (
  estimate: number,
  values: Float64Array,
  context: { readonly sessions: number; readonly blockLength: number; readonly seed: string | number; readonly level: number }
): Estimate => {
  if (!Number.isFinite(estimate)) {
    return { _tag: "Undefined", sessions: context.sessions, reason: "the statistic is undefined on the observed sessions" }
  }
  const defined = values.filter(Number.isFinite).sort()
  if (defined.length < values.length / 2) {
    return { _tag: "Undefined", sessions: context.sessions, reason: "the statistic is undefined on most resamples" }
  }
  const tail = (1 - context.level) / 2
  return {
    _tag: "Interval",
    estimate,
    lower: quantile(defined, tail),
    upper: quantile(defined, 1 - tail),
    level: context.level,
    sessions: context.sessions,
    blockLength: context.blockLength,
    replicates: defined.length,
    seed: String(context.seed)
  }
}

/** The options with their defaults for a series of `sessions` returns. */
export const resolve = (sessions: number, options: BootstrapOptions = {}) => ({
  seed: options.seed ?? DEFAULT_SEED,
  replicates: Math.max(1, Math.floor(options.replicates ?? DEFAULT_REPLICATES)),
  blockLength: options.blockLength ?? defaultBlockLength(sessions),
  level: options.level ?? 0.95
})

/** Why aligned `series` give no interval yet, if they do not: unequal lengths, or fewer than `MIN_SESSIONS`. */
const withoutInterval = (
  series: ReadonlyArray<ArrayLike<number>>,
  points: () => ReadonlyArray<number>
): Array<Estimate> | undefined => {
  const n = series[0]?.length ?? 0
  if (series.some((s) => s.length !== n)) {
    const reason = `the series are not aligned (${series.map((s) => s.length).join(" vs ")} sessions)`
    return points().map(() => ({ _tag: "Undefined", sessions: n, reason }))
  }
  if (n >= MIN_SESSIONS) return undefined
  return points().map((estimate) => ({
    _tag: "TooFewSessions",
    estimate: Number.isFinite(estimate) ? estimate : null,
    sessions: n,
    minimum: MIN_SESSIONS
  }))
}

/**
 * The point estimates and, when the series allow one, each one's interval from the replicates `resample` gives: one
 * array of estimates per level of `levels` (`undefined`: the options' level), all from the same replicates.
 */
const intervals = (
  series: ReadonlyArray<ArrayLike<number>>,
  points: () => ReadonlyArray<number>,
  resample: (resolved: ReturnType<typeof resolve>) => Array<Float64Array>,
  options: BootstrapOptions,
  levels: ReadonlyArray<number | undefined> = [undefined]
): Array<Array<Estimate>> => {
  const early = withoutInterval(series, points)
  if (early !== undefined) return levels.map(() => early)
  const n = series[0]!.length
  const resolved = resolve(n, options)
  const values = resample(resolved)
  const observed = points()
  return levels.map((level) =>
    observed.map((estimate, k) => summarize(estimate, values[k]!, { ...resolved, level: level ?? resolved.level, sessions: n }))
  )
}

/**
 * Point estimates of `statistics` over aligned `series` (equal lengths, same sessions) and, from `MIN_SESSIONS`
 * on, their intervals from one joint resampling (each statistic sees the replicates of every series, in order).
 */
export const estimates = (
  series: ReadonlyArray<ReadonlyArray<number>>,
  statistics: ReadonlyArray<(resampled: ReadonlyArray<Float64Array>) => number>,
  options: BootstrapOptions = {}
): Array<Estimate> => {
  const observed = series.map((s) => Float64Array.from(s))
  return intervals(series, () => statistics.map((statistic) => statistic(observed)), (resolved) => replicate(series, statistics, resolved), options)[0]!
}

/**
 * `estimates` for statistics of the series' sums (total return, mean, Sharpe: see `Metrics.*OfSums`): the same
 * resampling at a cost per replicate of O(n / L) — what a leaderboard over twenty years needs to answer at once.
 */
export const estimatesOfSums = (
  series: ReadonlyArray<ReadonlyArray<number>>,
  statistics: ReadonlyArray<SumsStatistic>,
  options: BootstrapOptions = {}
): Array<Estimate> => {
  return estimatesOfSumsAt(series, statistics, [undefined], options)[0]!
}

/**
 * `estimatesOfSums` at each of `levels` (`undefined`: the options' level) from one resampling: the same replicates,
 * summarized at several levels — e.g. the 95 % interval and a family-wise one (`familyLevel`) at the cost of one.
 */
export const estimatesOfSumsAt = (
  series: ReadonlyArray<ReadonlyArray<number>>,
  statistics: ReadonlyArray<SumsStatistic>,
  levels: ReadonlyArray<number | undefined>,
  options: BootstrapOptions = {}
): Array<Array<Estimate>> => {
  const points = () => {
    const observed = series.map(sumsOf)
    return statistics.map((statistic) => statistic(observed))
  }
  return intervals(series, points, (resolved) => replicateSums(series, statistics, resolved), options, levels)
}

/**
 * The level at which each of `tests` simultaneous intervals must be drawn for all of them to hold together at `level`
 * (Bonferroni): 1 − (1 − level) / tests — 95 % over six accounts is 99.17 % each. Conservative, valid under any
 * dependence between the tests (accounts trading the same market are correlated).
 */
export const familyLevel = (level: number, tests: number): number => 1 - (1 - level) / Math.max(1, tests)

/** A confidence interval for `statistic` of one series of daily returns. */
export const interval = (returns: ReadonlyArray<number>, statistic: Statistic, options: BootstrapOptions = {}): Estimate =>
  estimates([returns], [([r]) => statistic(r!)], options)[0]!

/**
 * A confidence interval for `statistic(a) − statistic(b)`, `a` and `b` being daily returns over the same sessions
 * (same length, same order), resampled with the same indices.
 */
export const pairedDifference = (
  a: ReadonlyArray<number>,
  b: ReadonlyArray<number>,
  statistic: Statistic,
  options: BootstrapOptions = {}
): Estimate => estimates([a, b], [([x, y]) => statistic(x!) - statistic(y!)], options)[0]!

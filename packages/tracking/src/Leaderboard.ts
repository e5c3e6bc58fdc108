/**
 * Who wins, and how sure that is: accounts ranked with their metrics, bootstrap intervals and a one-line verdict
 * (`leaderboard`), and the council against its best PM, its median PM and the mechanical vote (`attribution`).
 *
 * **When to use**: the CLI's `leaderboard` and the monitor API read the ledger into `AccountSeries` and call these
 * pure functions; formatting is theirs.
 *
 * **Rules** (the README quotes these)
 * - Series are aligned on the sessions all of them (and the benchmark) have; returns run between consecutive
 *   common sessions, so every number covers the same days.
 * - Rank: Sharpe (point estimate) descending, then total return, then name; an undefined Sharpe ranks last.
 * - Per account: 95 % intervals (see `Bootstrap`) of its total return, its Sharpe, and its excess return over the
 *   benchmark (paired: the same resampled sessions for both). It *beats* the benchmark at 95 % when that excess
 *   interval lies above 0. With k accounts tested at once, some would "beat" it by chance alone, so each row also says
 *   whether it beats the benchmark *family-wise*: its excess interval at `Bootstrap.familyLevel(0.95, k)` (99.17 % for
 *   six), from the same replicates, lies above 0 — Bonferroni, valid however the accounts correlate. The verdict says
 *   which winners survive that correction.
 * - Counts: a window of N common sessions has n = N − 1 daily returns; `sessions` (here, in `AccountMetrics` and in
 *   an estimate) is n, the sample size of every statistic. Words say both (`Figures.windowCount`: "60 sessions (59
 *   daily returns)").
 * - Fewer than 20 daily returns (n < `Bootstrap.MIN_SESSIONS`, i.e. under 21 sessions): `ranked` is false, no ranks
 *   and no intervals, and the verdict says "too few daily returns".
 * - An account's bootstrap seed is the seed plus its name, so its intervals do not depend on the other accounts.
 * - Attribution compares total return and Sharpe as differences (council − other) with paired intervals (the
 *   other: the best PM, the median PM, the mechanical vote's and the random-entry baseline's paper accounts). Best and
 *   median PM follow the ranking rule (median of an even count: the lower-ranked middle one). Choosing the best PM
 *   after the fact favours it, so "beats its best PM" is a demanding claim. The k comparisons are made at once, so
 *   a verdict that the council beats or trails one also says whether it holds family-wise (`differsFamilyWise`: the
 *   total-return interval at `Bootstrap.familyLevel(0.95, k)`, from the same replicates, excludes 0). When the Sharpe
 *   difference's interval lies on a side of 0 the total-return verdict does not say (a "no difference" in return at
 *   a clearly worse Sharpe), the verdict adds it, with whether that holds family-wise.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { TradingDay } from "@council/domain"
import { fixed, percent, sessionCount, signedPercent, windowCount } from "@council/domain/Figures.js"
import * as Bootstrap from "./Bootstrap.ts"
import type { BenchmarkPoint, ClosedTrade, EquityPoint } from "./Metrics.ts"
import { AccountMetrics, computeMetrics, dailyReturns, dailyRiskFree, MetricsError, sharpeOf, sharpeOfSums, totalReturnOf, totalReturnOfSums } from "./Metrics.ts"

export interface AccountSeries {
  readonly account: string
  readonly series: ReadonlyArray<EquityPoint>
  readonly trades?: ReadonlyArray<ClosedTrade>
}

export interface Benchmark {
  /** E.g. `SPY`. */
  readonly name: string
  readonly closes: ReadonlyArray<BenchmarkPoint>
}

export const LeaderboardRow = Schema.Struct({
  rank: Schema.NullOr(Schema.Int),
  account: Schema.String,
  metrics: AccountMetrics,
  totalReturn: Bootstrap.Estimate,
  sharpe: Bootstrap.Estimate,
  excessReturn: Bootstrap.Estimate,
  beatsBenchmark: Schema.Boolean,
  beatsBenchmarkFamilyWise: Schema.Boolean.annotate({
    description: "whether it still beats the benchmark with every row's excess interval drawn at 1 − 0.05 / k (k rows: Bonferroni), from the same replicates"
  })
})
export type LeaderboardRow = typeof LeaderboardRow.Type

const Method = {
  from: TradingDay,
  to: TradingDay,
  /** The daily returns in the window (n): one fewer than the sessions from `from` to `to`. */
  sessions: Schema.Int.annotate({
    description: "the window's daily returns (n, the sample size of its statistics): one fewer than its sessions, `from` … `to` included"
  }),
  blockLength: Schema.Finite,
  replicates: Schema.Int,
  seed: Schema.String,
  /** The yearly risk-free rate Sharpe and Sortino are taken over (`COUNCIL_RISK_FREE`, else 0). */
  riskFree: Schema.Finite
}

export const Leaderboard = Schema.Struct({
  ...Method,
  ranked: Schema.Boolean,
  benchmark: Schema.Struct({ name: Schema.String, totalReturn: Schema.Finite }),
  rows: Schema.Array(LeaderboardRow),
  verdict: Schema.String
})
export type Leaderboard = typeof Leaderboard.Type

export const Comparison = Schema.Struct({
  against: Schema.Literals(["best PM", "median PM", "mechanical vote", "random entry"]),
  account: Schema.String,
  /** Council minus the other account. */
  totalReturn: Bootstrap.Estimate,
  sharpe: Bootstrap.Estimate,
  differsFamilyWise: Schema.Boolean.annotate({
    description: "whether the total-return difference still excludes 0 with every comparison's interval drawn at 1 − 0.05 / k (k comparisons: Bonferroni), from the same replicates"
  }),
  verdict: Schema.String
})
export type Comparison = typeof Comparison.Type

export const Attribution = Schema.Struct({ ...Method, comparisons: Schema.Array(Comparison) })
export type Attribution = typeof Attribution.Type

interface Options {
  /** Annual risk-free rate, a fraction. Default 0. */
  readonly riskFree?: number
  readonly bootstrap?: Bootstrap.BootstrapOptions
}

// ---------------------------------------------------------------------------------------------------------------

/** The sessions every series has, and each series restricted to them. */
const align = (
  accounts: ReadonlyArray<AccountSeries>,
  benchmark: Benchmark | undefined
): Result.Result<{ readonly accounts: ReadonlyArray<AccountSeries>; readonly benchmark: ReadonlyArray<number> }, MetricsError> => {
  const sets = [
    ...accounts.map((a) => new Set<string>(a.series.map((p) => p.date))),
    ...(benchmark === undefined ? [] : [new Set<string>(benchmark.closes.map((b) => b.date))])
  ]
  const common = new Set([...(sets[0] ?? [])].filter((d) => sets.every((s) => s.has(d))))
  if (common.size < 2) {
    return Result.fail(new MetricsError({ message: `the accounts${benchmark ? ` and ${benchmark.name}` : ""} share ${common.size === 1 ? "1 session" : `${common.size} sessions`}; at least 2 are needed` }))
  }
  const aligned = accounts.map((a) => ({ ...a, series: a.series.filter((p) => common.has(p.date)) }))
  const closes = benchmark === undefined ? [] : benchmark.closes.filter((b) => common.has(b.date)).map((b) => b.close)
  return Result.succeed({ accounts: aligned, benchmark: closes })
}

interface Scored {
  readonly account: string
  readonly sharpe: number | null
  readonly totalReturn: number
}

/** Best first: Sharpe descending, then total return, then name; undefined Sharpe last. */
const byRank = (a: Scored, b: Scored): number =>
  (a.sharpe === null) !== (b.sharpe === null)
    ? a.sharpe === null ? 1 : -1
    : (b.sharpe ?? 0) - (a.sharpe ?? 0) || b.totalReturn - a.totalReturn || (a.account < b.account ? -1 : a.account > b.account ? 1 : 0)


const lowerAbove = (estimate: Bootstrap.Estimate): boolean => estimate._tag === "Interval" && estimate.lower > 0
const upperBelow = (estimate: Bootstrap.Estimate): boolean => estimate._tag === "Interval" && estimate.upper < 0

/** A yearly rate as the tables print it: `4 %`, `4.25 %`, `0 %`. */
/** Whether `board` holds an interval (none under `Bootstrap.MIN_SESSIONS` daily returns): only then are the bootstrap's settings worth saying. */
export const drewIntervals = (board: Leaderboard): boolean =>
  board.rows.some((r) => [r.totalReturn, r.sharpe, r.excessReturn].some((e) => e._tag === "Interval"))

export const percentOfRate = (rate: number): string => `${Number((rate * 100).toFixed(2))} %`

/** `+5.2 % (95 % CI +1.1 % … +9.0 %)`, or `+5.2 %` without an interval. */
export const describeEstimate = (estimate: Bootstrap.Estimate, format: (x: number) => string = signedPercent): string =>
  estimate._tag === "Interval"
    ? `${format(estimate.estimate)} (${Math.round(estimate.level * 100)} % CI ${format(estimate.lower)} … ${format(estimate.upper)})`
    : estimate._tag === "TooFewSessions" && estimate.estimate !== null
    ? format(estimate.estimate)
    : "—"

/**
 * A baseline's figures after its account, as `leaderboard`'s BASELINE table and the backtest report write them:
 * total return, Sharpe and excess over the benchmark (each with its 95 % interval), turnover (×/yr), average
 * exposure, and the number of daily returns. Plain text: an HTML renderer escapes it.
 */
export const baselineCells = (row: LeaderboardRow): ReadonlyArray<string> => [
  describeEstimate(row.totalReturn, signedPercent),
  describeEstimate(row.sharpe, (x) => fixed(x, 2)),
  describeEstimate(row.excessReturn, signedPercent),
  row.metrics.turnover === null ? "—" : fixed(row.metrics.turnover, 1),
  row.metrics.averageExposure === null ? "—" : percent(row.metrics.averageExposure, 0),
  String(row.metrics.sessions)
]

const method = (
  from: TradingDay,
  to: TradingDay,
  sessions: number,
  options: Bootstrap.BootstrapOptions | undefined,
  riskFree: number | undefined
) => {
  const resolved = Bootstrap.resolve(sessions, options)
  return { from, to, sessions, blockLength: resolved.blockLength, replicates: resolved.replicates, seed: String(resolved.seed), riskFree: riskFree ?? 0 }
}

const seedFor = (options: Bootstrap.BootstrapOptions | undefined, account: string) => ({
  ...options,
  seed: `${options?.seed ?? Bootstrap.DEFAULT_SEED}:${account}`
})

// ---------------------------------------------------------------------------------------------------------------

/** The leaderboard of `accounts` against `benchmark` (see the module's rules). */
export const leaderboard = (input: Options & {
  readonly accounts: ReadonlyArray<AccountSeries>
  readonly benchmark: Benchmark
}): Result.Result<Leaderboard, MetricsError> => {
  const aligned = align(input.accounts, input.benchmark)
  if (Result.isFailure(aligned)) return Result.fail(aligned.failure)
  const benchmarkReturns = dailyReturns(aligned.success.benchmark)
  const n = benchmarkReturns.length
  const rf = dailyRiskFree(input.riskFree ?? 0)
  const ranked = n >= Bootstrap.MIN_SESSIONS
  const rows: Array<Omit<LeaderboardRow, "rank">> = []
  const family = Bootstrap.familyLevel(input.bootstrap?.level ?? 0.95, aligned.success.accounts.length)
  for (const account of aligned.success.accounts) {
    const metrics = computeMetrics(account.series, {
      riskFree: input.riskFree ?? 0,
      benchmark: input.benchmark.closes,
      ...(account.trades === undefined ? {} : { trades: inWindow(account.trades, account.series) })
    })
    if (Result.isFailure(metrics)) return Result.fail(new MetricsError({ message: `${account.account}: ${metrics.failure.message}` }))
    const returns = dailyReturns(account.series.map((p) => p.equity))
    const options = seedFor(input.bootstrap, account.account)
    const [atLevel, atFamilyLevel] = Bootstrap.estimatesOfSumsAt(
      [returns, benchmarkReturns],
      [([r]) => totalReturnOfSums(r!), ([r]) => sharpeOfSums(r!, rf), ([r, b]) => totalReturnOfSums(r!) - totalReturnOfSums(b!)],
      [undefined, family],
      options
    )
    const [totalReturn, sharpe, excessReturn] = atLevel!
    rows.push({
      account: account.account,
      metrics: metrics.success,
      totalReturn: totalReturn!,
      sharpe: sharpe!,
      excessReturn: excessReturn!,
      beatsBenchmark: lowerAbove(excessReturn!),
      beatsBenchmarkFamilyWise: lowerAbove(atFamilyLevel![2]!)
    })
  }
  const ordered = rows
    .map((row) => ({ row, score: { account: row.account, sharpe: row.metrics.sharpe, totalReturn: row.metrics.totalReturn } }))
    .sort((a, b) => byRank(a.score, b.score))
    .map(({ row }, i) => ({ rank: ranked ? i + 1 : null, ...row }))
  const first = aligned.success.accounts[0]!.series
  return Result.succeed({
    ...method(first[0]!.date, first[first.length - 1]!.date, n, input.bootstrap, input.riskFree),
    ranked,
    benchmark: { name: input.benchmark.name, totalReturn: totalReturnOf(benchmarkReturns) },
    rows: ordered,
    verdict: verdictOf(ordered, input.benchmark.name, n)
  })
}

const inWindow = (trades: ReadonlyArray<ClosedTrade>, series: ReadonlyArray<EquityPoint>) =>
  trades.filter((t) => t.closedOn > series[0]!.date && t.closedOn <= series[series.length - 1]!.date)

/** `returns`: the window's daily returns (n), what the ranking's threshold compares. */
const verdictOf = (rows: ReadonlyArray<LeaderboardRow>, benchmark: string, returns: number): string => {
  if (returns < Bootstrap.MIN_SESSIONS) {
    return `too few daily returns (${returns} < ${Bootstrap.MIN_SESSIONS}, over ${sessionCount(returns + 1)}) to rank or to say whether any account beats ${benchmark}`
  }
  const winners = rows.filter((row) => row.beatsBenchmark)
  if (winners.length === 0) return `no account beats ${benchmark} at 95 % over ${windowCount(returns)}`
  return `${winners.map((w) => `${w.account} (excess ${describeEstimate(w.excessReturn)})`).join(", ")} ${
    winners.length === 1 ? "beats" : "beat"
  } ${benchmark} at 95 % over ${windowCount(returns)}${rows.length > 1 ? `; ${familyWise(winners, rows.length)}` : ""}`
}

/** What of `winners` survives Bonferroni's correction for `tests` accounts compared with the benchmark at once. */
const familyWise = (winners: ReadonlyArray<LeaderboardRow>, tests: number): string => {
  const held = winners.filter((w) => w.beatsBenchmarkFamilyWise).map((w) => w.account)
  const corrected = `once corrected for ${tests} accounts compared at once (${percent(Bootstrap.familyLevel(0.95, tests), 2)} intervals each)`
  if (held.length === winners.length) return `${winners.length === 1 ? "it still does" : "all still do"} ${corrected}`
  if (held.length === 0) return `${winners.length === 1 ? "it does not" : "none does"} ${corrected}: chance alone could explain it`
  return `only ${held.join(", ")} ${held.length === 1 ? "does" : "do"} ${corrected}`
}

/** Whether a difference found at 95 % survives Bonferroni's correction for `tests` comparisons made at once. */
const comparisonsCorrected = (holds: boolean, tests: number): string =>
  tests <= 1
    ? ""
    : `; ${holds ? "it still holds" : "it does not hold"} once corrected for ${tests} comparisons made at once (${percent(Bootstrap.familyLevel(0.95, tests), 2)} intervals each)${holds ? "" : ": chance alone could explain it"}`

/**
 * The Sharpe difference's word when its interval lies on a side of 0 that the total return's verdict does not say:
 * a council with the same return at more risk (or a better return bought with much more) is not "no difference".
 * `familyWise`: the Sharpe interval at the family level, from the same replicates.
 */
const sharpeSays = (totalReturn: Bootstrap.Estimate, sharpe: Bootstrap.Estimate, familyWise: Bootstrap.Estimate, tests: number): string => {
  const side = lowerAbove(sharpe) ? "higher" : upperBelow(sharpe) ? "lower" : undefined
  if (side === undefined) return ""
  if (side === (lowerAbove(totalReturn) ? "higher" : upperBelow(totalReturn) ? "lower" : undefined)) return ""
  const holds = side === "higher" ? lowerAbove(familyWise) : upperBelow(familyWise)
  const corrected = tests <= 1
    ? ""
    : `, which ${holds ? "still holds" : "does not hold"} once corrected for ${tests} comparisons made at once (${percent(Bootstrap.familyLevel(0.95, tests), 2)} intervals each)`
  return `; its Sharpe is ${side} at 95 %: ${describeEstimate(sharpe, (x) => fixed(x, 2))}${corrected}`
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * The council against its best PM, its median PM and (when given) the mechanical vote and the random-entry
 * baseline (see the module's rules).
 */
export const attribution = (input: Options & {
  readonly council: AccountSeries
  readonly pms: ReadonlyArray<AccountSeries>
  readonly mechanical?: AccountSeries | undefined
  readonly random?: AccountSeries | undefined
}): Result.Result<Attribution, MetricsError> => {
  if (input.pms.length === 0) return Result.fail(new MetricsError({ message: "attribution needs at least one PM account" }))
  const all = [input.council, ...input.pms, ...(input.mechanical ? [input.mechanical] : []), ...(input.random ? [input.random] : [])]
  const aligned = align(all, undefined)
  if (Result.isFailure(aligned)) return Result.fail(aligned.failure)
  const [council, ...rest] = aligned.success.accounts
  const pms = rest.slice(0, input.pms.length)
  const rf = dailyRiskFree(input.riskFree ?? 0)
  const returnsOf = (a: AccountSeries) => dailyReturns(a.series.map((p) => p.equity))
  const councilReturns = returnsOf(council!)
  const ranked = pms
    .map((pm) => {
      const returns = returnsOf(pm)
      const sharpe = sharpeOf(returns, rf)
      return { account: pm.account, returns, sharpe: Number.isFinite(sharpe) ? sharpe : null, totalReturn: totalReturnOf(returns) }
    })
    .sort(byRank)
  const targets: Array<{ readonly against: Comparison["against"]; readonly account: string; readonly returns: ReadonlyArray<number> }> = [
    { against: "best PM", ...ranked[0]! },
    { against: "median PM", ...ranked[Math.floor(ranked.length / 2)]! },
    ...(input.mechanical ? [{ against: "mechanical vote" as const, account: input.mechanical.account, returns: returnsOf(rest[input.pms.length]!) }] : []),
    ...(input.random ? [{ against: "random entry" as const, account: input.random.account, returns: returnsOf(rest[rest.length - 1]!) }] : [])
  ]
  const family = Bootstrap.familyLevel(input.bootstrap?.level ?? 0.95, targets.length)
  const comparisons = targets.map((target): Comparison => {
    const [atLevel, atFamilyLevel] = Bootstrap.estimatesOfSumsAt(
      [councilReturns, target.returns],
      [([c, o]) => totalReturnOfSums(c!) - totalReturnOfSums(o!), ([c, o]) => sharpeOfSums(c!, rf) - sharpeOfSums(o!, rf)],
      [undefined, family],
      seedFor(input.bootstrap, `${council!.account}-${target.account}`)
    )
    const [totalReturn, sharpe] = atLevel!
    const familyWise = atFamilyLevel![0]!
    const sharpeFamilyWise = atFamilyLevel![1]!
    const differsFamilyWise = lowerAbove(familyWise) || upperBelow(familyWise)
    const name = `its ${target.against} (${target.account})`
    const verdict = lowerAbove(totalReturn!)
      ? `${council!.account} beats ${name} at 95 %`
      : upperBelow(totalReturn!)
      ? `${council!.account} trails ${name} at 95 %`
      : totalReturn!._tag === "Interval"
      ? `no difference between ${council!.account} and ${name} at 95 %`
      : `too few daily returns to compare ${council!.account} with ${name}`
    const corrected = lowerAbove(totalReturn!) || upperBelow(totalReturn!) ? comparisonsCorrected(differsFamilyWise, targets.length) : ""
    return {
      against: target.against,
      account: target.account,
      totalReturn: totalReturn!,
      sharpe: sharpe!,
      differsFamilyWise,
      verdict: `${verdict}: total return ${describeEstimate(totalReturn!)}${corrected}${
        sharpeSays(totalReturn!, sharpe!, sharpeFamilyWise, targets.length)
      }`
    }
  })
  const series = council!.series
  return Result.succeed({ ...method(series[0]!.date, series[series.length - 1]!.date, councilReturns.length, input.bootstrap, input.riskFree), comparisons })
}

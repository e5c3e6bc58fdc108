import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { Bootstrap, Leaderboard, Metrics } from "@council/tracking"
import { compound, normalReturns, seriesOf, weekdays } from "./series.ts"

const N = 120
const spyReturns = normalReturns(N, 0.0003, 0.01, "spy")
const spyCloses = compound(spyReturns, 400)
const SPY: Leaderboard.Benchmark = { name: "SPY", closes: weekdays(N + 1).map((date, i) => ({ date, close: spyCloses[i]! })) }

const account = (name: string, returns: ReadonlyArray<number>): Leaderboard.AccountSeries => ({
  account: name,
  series: seriesOf(compound(returns))
})
const ALPHA = account("ALPHA", spyReturns.map((r) => r + 0.003))
const TRACKER = account("TRACKER", spyReturns)
const NOISE = account("NOISE", normalReturns(N, 0, 0.01, "noise"))

const ok = <A>(result: Result.Result<A, Metrics.MetricsError>): A => {
  if (Result.isFailure(result)) throw new Error(result.failure.message)
  return result.success
}

const interval = (estimate: Bootstrap.Estimate): Bootstrap.Interval => {
  if (estimate._tag !== "Interval") throw new Error(`expected an interval, got ${estimate._tag}`)
  return estimate
}

const returnsOf = (a: Leaderboard.AccountSeries) => Metrics.dailyReturns(a.series.map((p) => p.equity))

/** The paired interval, at `level`, of total return `a` − `b` over 500 replicates seeded `seed`. */
const totalReturnDifferenceAt = (a: ReadonlyArray<number>, b: ReadonlyArray<number>, seed: string, level: number) =>
  interval(Bootstrap.estimatesOfSums(
    [a, b],
    [([x, y]) => Metrics.totalReturnOfSums(x!) - Metrics.totalReturnOfSums(y!)],
    { replicates: 500, seed, level }
  )[0]!)

describe("Leaderboard.leaderboard", () => {
  it("ranks by Sharpe, with intervals, n and a verdict naming who beats SPY at 95 %", () => {
    const board = ok(Leaderboard.leaderboard({ accounts: [TRACKER, NOISE, ALPHA], benchmark: SPY, bootstrap: { replicates: 500 } }))
    assert.isTrue(board.ranked)
    assert.strictEqual(board.sessions, N)
    assert.strictEqual(board.blockLength, 5)
    assert.strictEqual(board.replicates, 500)
    assert.deepStrictEqual(board.rows.map((r) => r.rank), [1, 2, 3])
    assert.strictEqual(board.rows[0]!.account, "ALPHA")
    const sharpes = board.rows.map((r) => r.metrics.sharpe!)
    assert.isTrue(sharpes[0]! >= sharpes[1]! && sharpes[1]! >= sharpes[2]!)
    assert.closeTo(board.benchmark.totalReturn, spyCloses[N]! / spyCloses[0]! - 1, 1e-12)

    const alpha = board.rows[0]!
    assert.isTrue(alpha.beatsBenchmark)
    assert.isAbove(interval(alpha.excessReturn).lower, 0)
    assert.strictEqual(interval(alpha.sharpe).sessions, N)
    assert.closeTo(interval(alpha.totalReturn).estimate, alpha.metrics.totalReturn, 1e-12)
    assert.match(
      board.verdict,
      /^ALPHA \(excess \+\d+\.\d % \(95 % CI \+\d+\.\d % … \+\d+\.\d %\)\) beats SPY at 95 % over 121 sessions \(120 daily returns\); it still does once corrected for 3 accounts compared at once \(98\.33 % intervals each\)$/
    )
    assert.isTrue(alpha.beatsBenchmarkFamilyWise)

    const tracker = board.rows.find((r) => r.account === "TRACKER")!
    assert.isFalse(tracker.beatsBenchmark)
    const same = interval(tracker.excessReturn)
    assert.deepStrictEqual([same.estimate, same.lower, same.upper], [0, 0, 0])
    assert.closeTo(tracker.metrics.excessReturn!, 0, 1e-12)
  })

  it("says so when no account beats SPY", () => {
    const board = ok(Leaderboard.leaderboard({ accounts: [TRACKER, NOISE], benchmark: SPY, bootstrap: { replicates: 300 } }))
    assert.strictEqual(board.verdict, "no account beats SPY at 95 % over 121 sessions (120 daily returns)")
  })

  it("fewer than 20 daily returns: no ranking and no intervals, the verdict says too few daily returns over how many sessions", () => {
    const short = (a: Leaderboard.AccountSeries) => ({ ...a, series: a.series.slice(0, 16) })
    assert.strictEqual(short(ALPHA).series.length, 16)
    const board = ok(Leaderboard.leaderboard({ accounts: [short(ALPHA), short(TRACKER)], benchmark: SPY }))
    assert.isFalse(board.ranked)
    assert.strictEqual(board.sessions, 15)
    assert.deepStrictEqual(board.rows.map((r) => r.rank), [null, null])
    assert.isTrue(board.rows.every((r) => r.totalReturn._tag === "TooFewSessions" && r.excessReturn._tag === "TooFewSessions"))
    assert.isTrue(board.rows.every((r) => !r.beatsBenchmark))
    assert.strictEqual(board.verdict, "too few daily returns (15 < 20, over 16 sessions) to rank or to say whether any account beats SPY")
  })

  it("the threshold counts daily returns: 20 sessions (19 returns) are too few, 21 sessions (20 returns) are ranked", () => {
    const first = (k: number) => (a: Leaderboard.AccountSeries) => ({ ...a, series: a.series.slice(0, k) })
    const twenty = ok(Leaderboard.leaderboard({ accounts: [first(20)(ALPHA), first(20)(TRACKER)], benchmark: SPY }))
    assert.isFalse(twenty.ranked)
    assert.strictEqual(twenty.verdict, "too few daily returns (19 < 20, over 20 sessions) to rank or to say whether any account beats SPY")
    const accounts = [first(21)(ALPHA), first(21)(TRACKER)]
    assert.deepStrictEqual(accounts.map((a) => a.series.length), [21, 21])
    const ranked = ok(Leaderboard.leaderboard({ accounts, benchmark: SPY, bootstrap: { replicates: 100 } }))
    assert.isTrue(ranked.ranked)
    assert.strictEqual(ranked.sessions, 20)
    assert.match(ranked.verdict, / at 95 % over 21 sessions \(20 daily returns\); /)
  })

  it("says which winners survive Bonferroni's correction for the accounts compared at once (each excess interval at 1 − 0.05/k)", () => {
    const noise = normalReturns(N, 0, 0.004, "marginal")
    const beating = (name: string, drift: number) => account(name, spyReturns.map((r, i) => r + drift + noise[i]!))
    const excessAt = (a: Leaderboard.AccountSeries, level: number) =>
      totalReturnDifferenceAt(returnsOf(a), Metrics.dailyReturns(SPY.closes.map((c) => c.close)), `council:${a.account}`, level)
    const MARGINAL = beating("MARGINAL", 0.0011)
    const STRONG = beating("STRONG", 0.0013)
    // three accounts: each interval at 1 − 0.05 / 3 = 98.33 %; MARGINAL's excess clears 0 at 95 % only, STRONG's at both
    assert.isAbove(excessAt(MARGINAL, 0.95).lower, 0)
    assert.isBelow(excessAt(MARGINAL, 1 - 0.05 / 3).lower, 0)
    assert.isAbove(excessAt(STRONG, 1 - 0.05 / 3).lower, 0)

    const lone = ok(Leaderboard.leaderboard({ accounts: [TRACKER, NOISE, MARGINAL], benchmark: SPY, bootstrap: { replicates: 500 } }))
    const marginal = lone.rows.find((r) => r.account === "MARGINAL")!
    assert.deepStrictEqual([marginal.beatsBenchmark, marginal.beatsBenchmarkFamilyWise], [true, false])
    assert.match(lone.verdict, /^MARGINAL \(excess .*\) beats SPY at 95 % over 121 sessions \(120 daily returns\); it does not once corrected for 3 accounts compared at once \(98\.33 % intervals each\): chance alone could explain it$/)

    const both = ok(Leaderboard.leaderboard({ accounts: [TRACKER, STRONG, MARGINAL], benchmark: SPY, bootstrap: { replicates: 500 } }))
    assert.match(both.verdict, /\) beat SPY at 95 % over 121 sessions \(120 daily returns\); only STRONG does once corrected for 3 accounts compared at once \(98\.33 % intervals each\)$/)

    // alone, an account is one test: no correction, and nothing said of one
    const alone = ok(Leaderboard.leaderboard({ accounts: [MARGINAL], benchmark: SPY, bootstrap: { replicates: 500 } }))
    assert.deepStrictEqual([alone.rows[0]!.beatsBenchmark, alone.rows[0]!.beatsBenchmarkFamilyWise], [true, true])
    assert.match(alone.verdict, /beats SPY at 95 % over 121 sessions \(120 daily returns\)$/)
  })

  it("aligns accounts on the sessions they all have", () => {
    const gappy = { ...NOISE, series: NOISE.series.filter((_, i) => i !== 50) }
    const board = ok(Leaderboard.leaderboard({ accounts: [ALPHA, gappy], benchmark: SPY, bootstrap: { replicates: 100 } }))
    assert.strictEqual(board.sessions, N - 1)
    assert.isTrue(board.rows.every((r) => r.metrics.sessions === N - 1))
  })

  it("an account's intervals do not depend on the other accounts in the table", () => {
    const alone = ok(Leaderboard.leaderboard({ accounts: [ALPHA], benchmark: SPY, bootstrap: { replicates: 300 } }))
    const crowd = ok(Leaderboard.leaderboard({ accounts: [NOISE, TRACKER, ALPHA], benchmark: SPY, bootstrap: { replicates: 300 } }))
    const pick = (board: Leaderboard.Leaderboard) => {
      const { rank: _rank, ...rest } = board.rows.find((r) => r.account === "ALPHA")!
      return rest
    }
    assert.deepStrictEqual(pick(alone), pick(crowd))
  })

  it("fails with MetricsError when the series share no sessions", () => {
    const elsewhere = { account: "LATE", series: seriesOf([1, 2]).map((p) => ({ ...p, date: "2030-01-02" as typeof p.date })) }
    const result = Leaderboard.leaderboard({ accounts: [ALPHA, elsewhere], benchmark: SPY })
    assert.isTrue(Result.isFailure(result))
  })

  it("says how many sessions the series share when too few, the word by the count (what the live verdict shows)", () => {
    const once = { account: "ONCE", series: ALPHA.series.slice(0, 1) }
    const one = Leaderboard.leaderboard({ accounts: [ALPHA, once], benchmark: SPY })
    assert.isTrue(Result.isFailure(one) && one.failure.message === "the accounts and SPY share 1 session; at least 2 are needed", JSON.stringify(one))
    const elsewhere = { account: "LATE", series: seriesOf([1, 2]).map((p) => ({ ...p, date: "2030-01-02" as typeof p.date })) }
    const none = Leaderboard.leaderboard({ accounts: [ALPHA, elsewhere], benchmark: SPY })
    assert.isTrue(Result.isFailure(none) && none.failure.message === "the accounts and SPY share 0 sessions; at least 2 are needed", JSON.stringify(none))
  })
})

describe("Leaderboard.attribution", () => {
  const pms = [0.004, 0.002, 0, -0.002, -0.004].map((drift, i) =>
    account(["A", "B", "C", "D", "E"][i]!, normalReturns(N, drift, 0.01, `pm-${i}`))
  )
  const councilReturns = Metrics.dailyReturns(pms[0]!.series.map((p) => p.equity))
  const council = account("COUNCIL", councilReturns)
  const mechanical = account("MECH", councilReturns.map((r) => r - 0.002))

  it("compares the council with its best PM, its median PM and the mechanical vote, with paired intervals", () => {
    const result = ok(Leaderboard.attribution({ council, pms, mechanical, bootstrap: { replicates: 500 } }))
    assert.strictEqual(result.sessions, N)
    assert.deepStrictEqual(result.comparisons.map((c) => [c.against, c.account]), [["best PM", "A"], ["median PM", "C"], ["mechanical vote", "MECH"]])
    const [best, median, mech] = result.comparisons

    const tie = interval(best!.totalReturn)
    assert.closeTo(tie.lower, 0, 1e-12)
    assert.closeTo(tie.upper, 0, 1e-12)
    assert.strictEqual(best!.verdict, "no difference between COUNCIL and its best PM (A) at 95 %: total return 0.0 % (95 % CI 0.0 % … 0.0 %)")

    const councilTotal = Metrics.totalReturnOf(councilReturns)
    const medianTotal = Metrics.totalReturnOf(Metrics.dailyReturns(pms[2]!.series.map((p) => p.equity)))
    assert.closeTo(interval(median!.totalReturn).estimate, councilTotal - medianTotal, 1e-12)

    assert.isAbove(interval(mech!.totalReturn).lower, 0)
    assert.isAbove(interval(mech!.sharpe).lower, 0)
    assert.match(mech!.verdict, /^COUNCIL beats its mechanical vote \(MECH\) at 95 %: total return \+/)
  })

  it("says whether a difference found at 95 % holds once corrected for the comparisons made at once (each at 1 − 0.05/k)", () => {
    const noise = normalReturns(N, 0, 0.004, "marginal")
    const behind = (name: string, drift: number) => account(name, councilReturns.map((r, i) => r - drift - noise[i]!))
    const differenceAt = (other: Leaderboard.AccountSeries, level: number) =>
      totalReturnDifferenceAt(councilReturns, returnsOf(other), `council:COUNCIL-${other.account}`, level)
    const MARGINAL = behind("MARGINAL", 0.0011)
    const STRONG = behind("STRONG", 0.0015)
    // three comparisons: each interval at 1 − 0.05 / 3 = 98.33 %; the council's lead over MARGINAL clears 0 at 95 % only
    assert.isAbove(differenceAt(MARGINAL, 0.95).lower, 0)
    assert.isBelow(differenceAt(MARGINAL, 1 - 0.05 / 3).lower, 0)
    assert.isAbove(differenceAt(STRONG, 1 - 0.05 / 3).lower, 0)

    const marginal = ok(Leaderboard.attribution({ council, pms, mechanical: MARGINAL, bootstrap: { replicates: 500 } })).comparisons[2]!
    assert.isFalse(marginal.differsFamilyWise)
    assert.match(marginal.verdict, /^COUNCIL beats its mechanical vote \(MARGINAL\) at 95 %: total return \+.*\); it does not hold once corrected for 3 comparisons made at once \(98\.33 % intervals each\): chance alone could explain it$/)
    const strong = ok(Leaderboard.attribution({ council, pms, mechanical: STRONG, bootstrap: { replicates: 500 } })).comparisons[2]!
    assert.isTrue(strong.differsFamilyWise)
    assert.match(strong.verdict, /\); it still holds once corrected for 3 comparisons made at once \(98\.33 % intervals each\)$/)
  })

  it("a return no different at a clearly worse Sharpe is said: the verdict adds the Sharpe's side, and whether it holds family-wise", () => {
    // the same drift, but the council carries ten times the day-to-day noise of CALM: Sharpe ≈ 0.8 against ≈ 8
    const calmReturns = normalReturns(N, 0.0005, 0.001, "calm")
    const wobble = normalReturns(N, 0, 0.01, "wobble")
    const CALM = account("CALM", calmReturns)
    const noisy = account("COUNCIL", calmReturns.map((r, i) => r + wobble[i]!))
    const result = ok(Leaderboard.attribution({ council: noisy, pms, mechanical: CALM, bootstrap: { replicates: 500 } }))
    const calm = result.comparisons[2]!
    const totalReturn = interval(calm.totalReturn)
    const sharpe = interval(calm.sharpe)
    // by construction: the returns' difference is noise around 0, the Sharpe's far below it
    assert.isBelow(totalReturn.lower, 0)
    assert.isAbove(totalReturn.upper, 0)
    assert.isBelow(sharpe.upper, 0)
    const sharpeDifferenceAt = (level: number) =>
      interval(Bootstrap.estimatesOfSums(
        [returnsOf(noisy), calmReturns],
        [([x, y]) => Metrics.sharpeOfSums(x!, 0) - Metrics.sharpeOfSums(y!, 0)],
        { replicates: 500, seed: "council:COUNCIL-CALM", level }
      )[0]!)
    assert.isBelow(sharpeDifferenceAt(1 - 0.05 / 3).upper, 0, "the Sharpe gap survives the correction for three comparisons")
    const two = (x: number) => x.toFixed(2).replace("-", "−")
    assert.strictEqual(
      calm.verdict,
      `no difference between COUNCIL and its mechanical vote (CALM) at 95 %: total return ${Leaderboard.describeEstimate(calm.totalReturn)}` +
        `; its Sharpe is lower at 95 %: ${two(sharpe.estimate)} (95 % CI ${two(sharpe.lower)} … ${two(sharpe.upper)})` +
        ", which still holds once corrected for 3 comparisons made at once (98.33 % intervals each)"
    )
    // a comparison whose Sharpe interval straddles 0 says nothing more than its return
    for (const c of result.comparisons.slice(0, 2)) {
      const s = interval(c.sharpe)
      if (s.lower < 0 && s.upper > 0) assert.notInclude(c.verdict, "Sharpe")
    }
  })

  it("a verdict whose Sharpe interval lies on the side its return already says adds nothing", () => {
    const mech = ok(Leaderboard.attribution({ council, pms, mechanical, bootstrap: { replicates: 500 } })).comparisons[2]!
    // the mechanical vote trails the council by a constant 0.2 % a day: both intervals lie above 0, on the same side
    assert.isAbove(interval(mech.sharpe).lower, 0)
    assert.notInclude(mech.verdict, "Sharpe")
  })

  it("without a mechanical vote there are two comparisons; a council behind its PM trails it", () => {
    const laggard = account("COUNCIL", Metrics.dailyReturns(pms[0]!.series.map((p) => p.equity)).map((r) => r - 0.003))
    const result = ok(Leaderboard.attribution({ council: laggard, pms, bootstrap: { replicates: 300 } }))
    assert.strictEqual(result.comparisons.length, 2)
    assert.match(result.comparisons[0]!.verdict, /^COUNCIL trails its best PM \(A\) at 95 %.*; it (still holds|does not hold) once corrected for 2 comparisons made at once \(97\.50 % intervals each\)/)
    assert.strictEqual(result.comparisons[0]!.differsFamilyWise, result.comparisons[0]!.verdict.includes("it still holds"))
  })
})

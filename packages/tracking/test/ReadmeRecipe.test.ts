/**
 * The README's "To recompute them" recipe for the leaderboard's 95 % intervals, written again here from the README's
 * words alone (FNV-1a → splitmix32 → sfc32 less 12 draws, blocks of ⌊u · n⌋ and max(1, ⌈ln(1 − u′) / ln(1 − 1/L)⌉),
 * wrapping, the statistic of each replicate from its resampled returns, R's type-7 quantiles of the defined ones), so
 * that a reader who follows the README gets the numbers the leaderboard prints: every interval of every account, and
 * of the attribution's paired differences, to rounding. Nothing here imports the bootstrap's code.
 */
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import type { Bootstrap } from "@council/tracking"
import { Leaderboard } from "@council/tracking"
import { readmeGenerator as generator } from "./ReadmeGenerator.ts"
import { compound, normalReturns, seriesOf, weekdays } from "./series.ts"

/** B replicates of n indices into r_1 … r_n, block by block. */
const replicates = (seed: string, n: number, B = 2000): Array<Array<number>> => {
  const L = Math.ceil(Math.cbrt(n) - 1e-12)
  const u = generator(seed)
  return Array.from({ length: B }, () => {
    const idx: Array<number> = []
    while (idx.length < n) {
      const start = Math.floor(u() * n)
      const length = Math.max(1, Math.ceil(Math.log(1 - u()) / Math.log(1 - 1 / L)))
      for (let k = 0; k < length && idx.length < n; k++) idx.push((start + k) % n)
    }
    return idx
  })
}

const total = (r: ReadonlyArray<number>) => r.reduce((acc, x) => acc * (1 + x), 1) - 1
/** mean / sample sd × √252 (rf 0), undefined without spread (the README's 10⁻⁶ rule). */
const sharpe = (r: ReadonlyArray<number>): number | null => {
  const n = r.length
  const mean = r.reduce((s, x) => s + x, 0) / n
  const sd = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1))
  const scale = Math.sqrt(r.reduce((s, x) => s + x * x, 0) / (n - 1))
  return sd === 0 || sd < 1e-6 * scale ? null : (mean / sd) * Math.sqrt(252)
}
/** R's type 7. */
const quantile = (values: ReadonlyArray<number>, p: number) => {
  const s = [...values].sort((x, y) => x - y)
  const h = (s.length - 1) * p
  const lo = Math.floor(h)
  return s[lo]! + (h - lo) * (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!)
}
const ends = (values: ReadonlyArray<number | null>) => {
  const defined = values.filter((v): v is number => v !== null)
  return [quantile(defined, 0.025), quantile(defined, 0.975)] as const
}

// ---- the series -------------------------------------------------------------------------------------------------

const N = 150
const dates = weekdays(N + 1)
const spyReturns = normalReturns(N, 0.0004, 0.012, "readme-spy")
const spyCloses = compound(spyReturns, 400)
const SPY: Leaderboard.Benchmark = { name: "SPY", closes: dates.map((date, i) => ({ date, close: spyCloses[i]! })) }
const returnsOf: Record<string, Array<number>> = {
  COUNCIL: normalReturns(N, 0.0002, 0.006, "readme-council"),
  ALPHA: spyReturns.map((r, i) => 0.5 * r + 0.002 + 0.004 * Math.sin(i)),
  BETA: normalReturns(N, -0.0015, 0.009, "readme-beta"),
  GAMMA: normalReturns(N, 0.0003, 0.004, "readme-gamma")
}
const accountOf = (name: string): Leaderboard.AccountSeries => ({ account: name, series: seriesOf(compound(returnsOf[name]!, 100_000)) })

const intervalOf = (estimate: Bootstrap.Estimate): readonly [number, number] => {
  if (estimate._tag !== "Interval") throw new Error(`expected an interval, got ${estimate._tag}`)
  return [estimate.lower, estimate.upper]
}
const close = (actual: readonly [number, number], expected: readonly [number, number], what: string) => {
  for (let i = 0; i < 2; i++) assert.approximately(actual[i]!, expected[i]!, 1e-9 * Math.max(1, Math.abs(expected[i]!)), what)
}

describe("the README's recipe for the intervals, followed by a reader", () => {
  it("gives every account's total-return, Sharpe and excess-return interval, seeded council:<ACCOUNT>", () => {
    const board = Leaderboard.leaderboard({ accounts: Object.keys(returnsOf).map(accountOf), benchmark: SPY })
    assert.isTrue(Result.isSuccess(board))
    const rows = Result.getOrThrow(board).rows
    assert.strictEqual(rows.length, 4)
    for (const row of rows) {
      const r = returnsOf[row.account]!
      const reps = replicates(`council:${row.account}`, N)
      const picked = reps.map((idx) => idx.map((i) => r[i]!))
      close(intervalOf(row.totalReturn), ends(picked.map(total)), `${row.account} total return`)
      close(intervalOf(row.sharpe), ends(picked.map(sharpe)), `${row.account} Sharpe`)
      const excess = reps.map((idx) => total(idx.map((i) => r[i]!)) - total(idx.map((i) => spyReturns[i]!)))
      close(intervalOf(row.excessReturn), ends(excess), `${row.account} excess return`)
    }
  }, 60_000)

  it("gives the attribution's paired intervals, seeded council:COUNCIL-<OTHER>, against the PMs ranked by Sharpe", () => {
    const pms = ["ALPHA", "BETA", "GAMMA"]
    const attribution = Result.getOrThrow(Leaderboard.attribution({ council: accountOf("COUNCIL"), pms: pms.map(accountOf) }))
    const byRank = [...pms].sort((a, b) => sharpe(returnsOf[b]!)! - sharpe(returnsOf[a]!)!)
    const c = returnsOf["COUNCIL"]!
    for (const [against, other] of [["best PM", byRank[0]!], ["median PM", byRank[1]!]] as const) {
      const comparison = attribution.comparisons.find((x) => x.against === against)!
      assert.strictEqual(comparison.account, other, against)
      const o = returnsOf[other]!
      const reps = replicates(`council:COUNCIL-${other}`, N)
      const dTotal = reps.map((idx) => total(idx.map((i) => c[i]!)) - total(idx.map((i) => o[i]!)))
      const dSharpe = reps.map((idx) => {
        const a = sharpe(idx.map((i) => c[i]!))
        const b = sharpe(idx.map((i) => o[i]!))
        return a === null || b === null ? null : a - b
      })
      close(intervalOf(comparison.totalReturn), ends(dTotal), `${against} Δ total return`)
      close(intervalOf(comparison.sharpe), ends(dSharpe), `${against} Δ Sharpe`)
    }
  }, 60_000)

  it("ranks an account whose Sharpe is undefined (flat) below one whose Sharpe is negative, ties by name", () => {
    const flat = (name: string): Leaderboard.AccountSeries => ({ account: name, series: seriesOf(Array(N + 1).fill(100_000)) })
    const board = Result.getOrThrow(Leaderboard.leaderboard({
      accounts: [flat("ZULU"), accountOf("BETA"), flat("ECHO"), accountOf("ALPHA")],
      benchmark: SPY,
      bootstrap: { replicates: 200 }
    }))
    assert.isTrue(sharpe(returnsOf["BETA"]!)! < 0)
    assert.deepStrictEqual(board.rows.map((r) => [r.rank, r.account]), [[1, "ALPHA"], [2, "BETA"], [3, "ECHO"], [4, "ZULU"]])
  })
})

import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { parseEquityCsv } from "./EquityCsv.ts"
import { cliInProcess, cliOk } from "./InProcess.ts"

let home = ""

beforeAll(async () => {
  home = tempHome()
  const backtest = await cliInProcess(home, ["backtest", "--from", "2020-01-02", "--to", "2020-02-28", "--json"])
  assert.strictEqual(backtest.code, 0, backtest.stderr)
}, 120_000)

const run = (args: ReadonlyArray<string>) => cliOk(home, args)

/**
 * Total return as the compounded daily returns and the annualized Sharpe (risk-free 0) with the variance by
 * Welford's running update: another route than the product's sums.
 */
const recomputed = (equity: ReadonlyArray<number>) => {
  let growth = 1
  let count = 0
  let mean = 0
  let m2 = 0
  for (let t = 1; t < equity.length; t++) {
    const r = equity[t]! / equity[t - 1]! - 1
    growth *= 1 + r
    count += 1
    const delta = r - mean
    mean += delta / count
    m2 += delta * (r - mean)
  }
  return { totalReturn: growth - 1, sharpe: (mean / Math.sqrt(m2 / (count - 1))) * Math.sqrt(252), sessions: count }
}

describe("equity --baselines: the leaderboard's paper baselines, recomputable", () => {
  it("the RANDOM and MECHANICAL rows and COUNCIL's differences against them agree with ones recomputed from the CSV", async () => {
    const board = JSON.parse(await run(["leaderboard", "--backtest", "latest", "--json"]))
    const csv = parseEquityCsv(await run(["equity", "--backtest", "latest", "--baselines", "--csv"]))
    assert.strictEqual(board.leaderboard.riskFree, 0)
    const council = csv.byAccount.get("COUNCIL")!
    const baselineRows = board.contest.baselines.rows as ReadonlyArray<any>
    assert.deepStrictEqual(baselineRows.map((r) => r.account).sort(), ["MECHANICAL", "RANDOM"])
    for (const row of baselineRows) {
      const series = csv.byAccount.get(row.account)!
      // on COUNCIL's sessions, from its first equity, beside the same SPY; no cash split, cost or broker read of its own
      assert.deepStrictEqual(series.map((r) => r["date"]), council.map((r) => r["date"]))
      assert.deepStrictEqual(series.map((r) => r["spy_benchmark"]), council.map((r) => r["spy_benchmark"]))
      assert.strictEqual(series[0]!["equity"], council[0]!["equity"])
      assert.isTrue(series.every((r) => r["cash"] === "" && r["llm_cost"] === "" && r["spy_mark"] === ""))
      const equity = series.map((r) => Number(r["equity"]))
      assert.isTrue(new Set(equity).size > 1, `${row.account} never moved: nothing to check`)
      const mine = recomputed(equity)
      assert.strictEqual(row.metrics.sessions, mine.sessions)
      assert.closeTo(row.metrics.totalReturn, mine.totalReturn, 1e-9)
      assert.closeTo(row.totalReturn.estimate, mine.totalReturn, 1e-9)
      assert.closeTo(row.metrics.sharpe, mine.sharpe, 1e-6)
      assert.closeTo(row.sharpe.estimate, mine.sharpe, 1e-6)
    }
    // "COUNCIL AGAINST mechanical vote / random entry": its own figure less the baseline's, each from the CSV
    const ours = recomputed(council.map((r) => Number(r["equity"])))
    const against = (board.contest.attribution.comparisons as ReadonlyArray<any>).filter((c) => c.against === "mechanical vote" || c.against === "random entry")
    assert.deepStrictEqual(against.map((c) => c.account).sort(), ["MECHANICAL", "RANDOM"])
    for (const c of against) {
      const theirs = recomputed(csv.byAccount.get(c.account)!.map((r) => Number(r["equity"])))
      assert.closeTo(c.totalReturn.estimate, ours.totalReturn - theirs.totalReturn, 1e-9)
      assert.closeTo(c.sharpe.estimate, ours.sharpe - theirs.sharpe, 1e-6)
    }
  }, 120_000)

  it("over a window: the baselines the window's leaderboard runs afresh from its first session", async () => {
    const window = ["--backtest", "latest", "--from", "2020-01-15", "--to", "2020-02-20"]
    const board = JSON.parse(await run(["leaderboard", ...window, "--json"]))
    const csv = parseEquityCsv(await run(["equity", ...window, "--baselines", "--csv"]))
    for (const row of board.contest.baselines.rows as ReadonlyArray<any>) {
      const series = csv.byAccount.get(row.account)!
      assert.strictEqual(series[0]!["date"], "2020-01-15")
      assert.strictEqual(series[0]!["equity"], csv.byAccount.get("COUNCIL")![0]!["equity"])
      const mine = recomputed(series.map((r) => Number(r["equity"])))
      assert.closeTo(row.metrics.totalReturn, mine.totalReturn, 1e-9)
      assert.closeTo(row.metrics.sharpe, mine.sharpe, 1e-6)
    }
  }, 120_000)

  it("--account RANDOM prints that baseline alone, --account X --baselines X's and the baselines'; without --baselines none", async () => {
    const all = await run(["equity", "--backtest", "latest", "--baselines", "--csv"])
    const random = await run(["equity", "--backtest", "latest", "--account", "random", "--csv"])
    const [header, ...lines] = random.trim().split("\n")
    assert.deepStrictEqual([header, ...lines], [all.split("\n")[0], ...all.trim().split("\n").filter((l) => l.startsWith("RANDOM,"))])
    assert.isAbove(lines.length, 20)
    const plain = await run(["equity", "--backtest", "latest", "--csv"])
    assert.isFalse(/^(RANDOM|MECHANICAL),/m.test(plain))
    assert.strictEqual(plain.trim(), all.trim().split("\n").filter((l) => !/^(RANDOM|MECHANICAL),/.test(l)).join("\n"))
    const claude = await run(["equity", "--backtest", "latest", "--account", "claude", "--baselines", "--csv"])
    assert.deepStrictEqual(claude.trim().split("\n").slice(1), all.trim().split("\n").filter((l) => /^(CLAUDE|RANDOM|MECHANICAL),/.test(l)))
    const table = await run(["equity", "--backtest", "latest", "--account", "MECHANICAL"])
    assert.match(table, /\nMECHANICAL\s+2020-01-02\s+\$/)
  }, 120_000)

  it("the backtest's report.json holds the same series as equity --baselines", async () => {
    const csv = parseEquityCsv(await run(["equity", "--backtest", "latest", "--baselines", "--csv"]))
    const dir = join(home, "backtests")
    const file = readdirSync(dir).find((f) => f.endsWith(".report.json"))!
    const report = JSON.parse(readFileSync(join(dir, file), "utf8"))
    assert.deepStrictEqual(report.baselines.map((b: any) => b.account), report.leaderboard.contest.baselines.rows.map((r: any) => r.account).sort().reverse())
    for (const baseline of report.baselines) {
      assert.deepStrictEqual(
        baseline.points.map((p: any) => [p.date, p.equity, p.grossExposure, p.traded]),
        csv.byAccount.get(baseline.account)!.map((r) => [r["date"], Number(r["equity"]), Number(r["gross_exposure"]), Number(r["traded"])])
      )
    }
  }, 120_000)
})

/**
 * Every number the dashboard shows for a backtest, read off the page in Chromium, against what
 * `leaderboard --backtest <id> --json` prints for it: the window, SPY's return, the verdict, what the figures are net
 * of, each account's rank, intervals, metrics and n, whether it beats SPY (at 95 % and family-wise), the paper
 * baselines and COUNCIL's attribution. One short backtest (four months of the bundled bars), built through the CLI.
 */
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { page, problems, rewriteAnswers, server, useDashboardOf } from "./DashboardPage.ts"

interface Interval {
  readonly _tag: string
  readonly estimate?: number
  readonly lower?: number
  readonly upper?: number
  readonly sessions?: number
}
interface Metrics {
  readonly sessions: number
  readonly maxDrawdown: { readonly depth: number }
  readonly volatility: number
  readonly winRateDays: number | null
  readonly turnover: number
  readonly averageExposure: number
}
interface Row {
  readonly rank: number | null
  readonly account: string
  readonly metrics: Metrics
  readonly totalReturn: Interval
  readonly sharpe: Interval
  readonly excessReturn: Interval
  readonly beatsBenchmark: boolean
  readonly beatsBenchmarkFamilyWise: boolean
}
interface Board {
  readonly from: string
  readonly to: string
  readonly sessions: number
  readonly replicates: number
  readonly blockLength: number
  readonly seed: string
  readonly ranked: boolean
  readonly benchmark: { readonly name: string; readonly totalReturn: number }
  readonly rows: ReadonlyArray<Row>
}
interface Comparison {
  readonly against: string
  readonly account: string
  readonly totalReturn: Interval
  readonly sharpe: Interval
  readonly verdict: string
}
/** What `leaderboard --backtest <id> --json` prints, as far as this test reads it. */
interface Printed {
  readonly book: string
  readonly verdict: string
  readonly costs: string
  readonly leaderboard: Board
  readonly contest: { readonly note: string; readonly baselines: Board; readonly attribution: { readonly comparisons: ReadonlyArray<Comparison> } }
}

let printed: Printed
let id: string

useDashboardOf(async () => {
  const home = tempHome()
  const ran = await cliInProcess(home, ["backtest", "--from", "2024-01-02", "--to", "2024-04-30", "--json"])
  assert.strictEqual(ran.code, 0, ran.stderr)
  id = JSON.parse(ran.stdout).id as string
  const board = await cliInProcess(home, ["leaderboard", "--backtest", id, "--json"])
  assert.strictEqual(board.code, 0, board.stderr)
  printed = JSON.parse(board.stdout) as Printed
  return home
})

beforeAll(async () => {
  await page.goto(`${server.url}/#/?backtest=${encodeURIComponent(id)}`)
  await page.waitForSelector("#leaderboard tbody tr")
  await page.waitForSelector("#attribution tbody tr")
}, 60_000)

/**
 * A figure as the page writes it ("+1.1 %", "−0.25", "12 %", "4.4") read back as a number, with the half unit of its
 * last digit it stands for; percentages as fractions.
 */
const read = (text: string): { readonly value: number; readonly within: number } => {
  const cleaned = text.trim().replace("\u2212", "-").replace("+", "")
  const percent = cleaned.endsWith("%")
  const digits = /\.(\d+)/.exec(cleaned)?.[1]?.length ?? 0
  const value = Number(cleaned.replace(/\s*%$/, ""))
  assert.isFalse(Number.isNaN(value), `not a figure: "${text}"`)
  const scale = percent ? 100 : 1
  return { value: value / scale, within: (0.5 * 10 ** -digits) / scale + 1e-12 }
}

/** Asserts the page's `text` shows `expected` to the digits it prints. */
const shows = (text: string | undefined, expected: number, what: string) => {
  const { value, within } = read(String(text))
  assert.closeTo(value, expected, within, `${what}: "${text}" for ${expected}`)
}

/** An interval cell as the page writes it: the estimate, and its bounds "[lower, upper]" ("" when it drew none). */
interface Cell {
  readonly estimate: string
  readonly range: string
}

/** Asserts an interval cell shows the CLI's estimate and bounds. */
const showsInterval = (cell: Cell, interval: Interval, what: string) => {
  assert.strictEqual(interval._tag, "Interval", what)
  shows(cell.estimate, interval.estimate!, `${what} estimate`)
  const bounds = /^\[(.+), (.+)\]$/.exec(cell.range)
  assert.isNotNull(bounds, `${what}: bounds "${cell.range}"`)
  shows(bounds![1], interval.lower!, `${what} lower`)
  shows(bounds![2], interval.upper!, `${what} upper`)
}

/** The table `id`'s rows: each cell's text, and each interval cell's estimate and bounds, by the column's heading. */
const tableOf = (id: string) =>
  page.$eval(`#${id}`, (table) => {
    const headings = [...table.querySelectorAll("thead th")].map((th) => th.textContent ?? "")
    return [...table.querySelectorAll("tbody tr")].map((tr) =>
      Object.fromEntries([...tr.children].map((td, i) => {
        const ci = td.querySelector(".ci")
        const estimate = ci === null ? null : [...ci.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("")
        return [headings[i]!, { text: td.textContent ?? "", estimate, range: ci?.querySelector(".range")?.textContent ?? "" }]
      }))
    )
  })

describe("a backtest on the dashboard beside `leaderboard --backtest <id> --json`", () => {
  it("shows the window, SPY's return, the bootstrap, the verdict and what the figures are net of, as printed", async () => {
    const board = printed.leaderboard
    assert.isTrue(board.ranked)
    assert.strictEqual(await page.textContent("#verdict"), printed.verdict)
    assert.strictEqual(await page.textContent("#costs"), `${printed.costs}.`)
    const header = await page.$eval("#leaderboard", (t) => t.closest(".card")!.querySelector("p.muted")!.textContent ?? "")
    const parts = /^(\S+) … (\S+) · (\d+) sessions \((\d+) daily returns\) · SPY buy-and-hold (\S+ %) · 95 % intervals by stationary block bootstrap \((\d+) replicates, mean block (\d+), seed “(.+)”\) · /.exec(header)
    assert.isNotNull(parts, header)
    assert.deepStrictEqual(parts!.slice(1, 5), [board.from, board.to, String(board.sessions + 1), String(board.sessions)])
    shows(parts![5], board.benchmark.totalReturn, "SPY's total return")
    assert.deepStrictEqual(parts!.slice(6), [String(board.replicates), String(board.blockLength), board.seed])
    assert.deepStrictEqual(problems, [])
  })

  it("shows each account's rank, intervals, metrics, n and whether it beats SPY (at 95 % and family-wise), as printed", async () => {
    const rows = await tableOf("leaderboard")
    assert.deepStrictEqual(rows.map((r) => r["Account"]!.text), printed.leaderboard.rows.map((r) => r.account))
    printed.leaderboard.rows.forEach((r, i) => {
      const row = rows[i]!
      const what = r.account
      assert.strictEqual(row["#"]!.text, String(r.rank), `${what} rank`)
      showsInterval(row["Total return"]!, r.totalReturn, `${what} total return`)
      showsInterval(row["Sharpe"]!, r.sharpe, `${what} Sharpe`)
      showsInterval(row["Excess vs SPY"]!, r.excessReturn, `${what} excess`)
      shows(row["Max DD"]!.text, r.metrics.maxDrawdown.depth, `${what} max drawdown`)
      shows(row["Vol"]!.text, r.metrics.volatility, `${what} volatility`)
      shows(row["Win days"]!.text, r.metrics.winRateDays!, `${what} win days`)
      shows(row["Turnover (×/yr)"]!.text, r.metrics.turnover, `${what} turnover`)
      assert.strictEqual(row["n (daily returns)"]!.text, String(r.metrics.sessions), `${what} n`)
      assert.strictEqual(r.totalReturn.sessions, r.metrics.sessions, `${what}: the intervals' n is the table's`)
      const beats = row["Beats SPY"]!.text
      assert.strictEqual(beats.startsWith("yes"), r.beatsBenchmark, `${what} beats: ${beats}`)
      assert.strictEqual(beats, !r.beatsBenchmark ? "no" : r.beatsBenchmarkFamilyWise ? "yesfamily-wise too" : "yesnot family-wise", what)
    })
    assert.deepStrictEqual(problems, [])
  })

  it("says a winner that holds family-wise and one that does not apart, as beatsBenchmark and beatsBenchmarkFamilyWise do", async () => {
    // the board's answer with its first row a winner at 95 % only, its second one family-wise too
    const board = (url: URL) => url.pathname === "/api/leaderboard"
    const restore = await rewriteAnswers(board, (body: { leaderboard: { rows: Array<object> } }) => {
      Object.assign(body.leaderboard.rows[0]!, { beatsBenchmark: true, beatsBenchmarkFamilyWise: false })
      Object.assign(body.leaderboard.rows[1]!, { beatsBenchmark: true, beatsBenchmarkFamilyWise: true })
    })
    try {
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/?backtest=${encodeURIComponent(printed.book)}`)
      await page.waitForSelector("#leaderboard tbody tr")
      const cells = await page.$$eval("#leaderboard tbody td.beats", (tds) => tds.map((td) => [td.firstChild?.textContent, td.querySelector(".range")?.textContent ?? null]))
      assert.deepStrictEqual(cells.slice(0, 2), [["yes", "not family-wise"], ["yes", "family-wise too"]])
      assert.deepStrictEqual(cells.slice(2).map(([yes]) => yes), printed.leaderboard.rows.slice(2).map((r) => r.beatsBenchmark ? "yes" : "no"))
    } finally {
      await restore()
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/?backtest=${encodeURIComponent(printed.book)}`)
      await page.waitForSelector("#attribution tbody tr")
    }
    assert.deepStrictEqual(problems, [])
  })

  it("shows the baselines and COUNCIL's attribution (intervals, turnover, exposure, n, verdicts, note), as printed", async () => {
    const contest = printed.contest
    assert.strictEqual(await page.$eval("#baselines", (t) => t.closest(".card")!.querySelector("p.muted")!.textContent), contest.note)
    const baselines = await tableOf("baselines")
    assert.deepStrictEqual(baselines.map((r) => r["Baseline"]!.text), contest.baselines.rows.map((r) => r.account))
    contest.baselines.rows.forEach((r, i) => {
      const row = baselines[i]!
      showsInterval(row["Total return"]!, r.totalReturn, `${r.account} total return`)
      showsInterval(row["Sharpe"]!, r.sharpe, `${r.account} Sharpe`)
      showsInterval(row["Excess vs SPY"]!, r.excessReturn, `${r.account} excess`)
      shows(row["Turnover (×/yr)"]!.text, r.metrics.turnover, `${r.account} turnover`)
      shows(row["Exposure"]!.text, r.metrics.averageExposure, `${r.account} exposure`)
      assert.strictEqual(row["n (daily returns)"]!.text, String(r.metrics.sessions))
    })
    const attribution = await tableOf("attribution")
    assert.deepStrictEqual(attribution.map((r) => [r["COUNCIL against"]!.text, r["Account"]!.text]), contest.attribution.comparisons.map((c) => [c.against, c.account]))
    contest.attribution.comparisons.forEach((c, i) => {
      showsInterval(attribution[i]!["Δ total return"]!, c.totalReturn, `against ${c.against}: Δ total return`)
      showsInterval(attribution[i]!["Δ Sharpe"]!, c.sharpe, `against ${c.against}: Δ Sharpe`)
    })
    assert.deepStrictEqual(await page.$$eval("#attribution-verdicts li", (lis) => lis.map((li) => li.textContent)), contest.attribution.comparisons.map((c) => c.verdict))
    assert.deepStrictEqual(problems, [])
  })
})

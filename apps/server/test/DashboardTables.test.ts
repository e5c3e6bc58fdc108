/**
 * The dashboard's tables, read as a researcher reads them. The leaderboard says what its figures are net of, in the
 * words `leaderboard` prints for the same book. Every table heads each column where its values sit: a column of numbers (right-aligned) is headed
 * on the right, one of text on the left. A header on the left over numbers on the right put each number nearer the
 * next column's header than its own: in a run's execution, the count of orders placed read as orders "at broker
 * already", and so on along the row.
 */
import { assert, describe, it } from "@effect/vitest"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { BACKTEST, fetchFresh } from "./MonitorHome.ts"
import { home, leaderboardOf, page, problems, server, useDashboard } from "./DashboardPage.ts"

useDashboard(30)

/**
 * Each column of each table on the page whose header and values are aligned differently: `table#id: header`. A
 * string evaluated in the page: this test's TypeScript has no DOM library.
 */
const misaligned = () =>
  page.evaluate(`(() => {
    const align = (e) => getComputedStyle(e).textAlign.replace(/^(start|left)$/, "left").replace(/^end$/, "right")
    return [...document.querySelectorAll("#view table")].flatMap((table) => {
      const rows = [...table.querySelectorAll("tbody tr")].filter((tr) => [...tr.children].every((c) => c.colSpan === 1))
      return [...table.querySelectorAll("thead th")].flatMap((th, i) => {
        const cells = rows.map((tr) => tr.children[i]).filter((c) => c !== undefined && c.textContent.trim() !== "")
        const values = new Set(cells.map(align))
        return values.size === 1 && !values.has(align(th)) ? ["table#" + (table.id || table.className) + ": " + th.textContent + " (" + align(th) + " over " + [...values][0] + ")"] : []
      })
    })
  })()`) as Promise<ReadonlyArray<string>>

describe("dashboard tables in Chromium", () => {
  it("head every column where its values sit: the overview of the live book and of a backtest, the runs, a run, the backtests", async () => {
    const pages: ReadonlyArray<readonly [string, string]> = [
      ["#/", "#leaderboard tbody tr"],
      [`#/?backtest=${BACKTEST}`, "#leaderboard tbody tr"],
      ["#/runs", "#runs tbody tr"],
      [`#/runs/${home.runId}`, "#execution tbody tr"],
      [`#/runs/${home.llmRunId}`, "#execution tbody tr"],
      ["#/backtests", "#backtests tbody tr"]
    ]
    const found: Array<string> = []
    for (const [hash, ready] of pages) {
      await page.goto("about:blank")
      await page.goto(`${server.url}/${hash}`)
      await page.waitForSelector(ready)
      found.push(...(await misaligned()).map((m) => `${hash} ${m}`))
    }
    assert.deepStrictEqual(found, [])
    assert.deepStrictEqual(problems, [])
  })

  it("says above the leaderboard what its figures are net of, as the API and leaderboard say it for the same book", async () => {
    for (const [hash, book] of [["#/", "live"], [`#/?backtest=${BACKTEST}`, BACKTEST]] as const) {
      await page.goto("about:blank")
      await page.goto(`${server.url}/${hash}`)
      const shown = await (await page.waitForSelector("#costs")).textContent()
      const api = leaderboardOf(await (await fetchFresh(`${server.url}/api/leaderboard?backtest=${book}`)).json())
      assert.strictEqual(shown, `${api.costs}.`)
      const cli = await cliInProcess(home.home, ["leaderboard", "--backtest", book])
      assert.strictEqual(cli.code, 0, cli.stderr)
      assert.include(cli.stdout.split("\n"), api.costs)
      assert.match(api.costs, /^Total return, Sharpe and excess are after trading costs \(.+\) and before LLM costs, which net P&L alone subtracts$/)
    }
    assert.deepStrictEqual(problems, [])
  })
})

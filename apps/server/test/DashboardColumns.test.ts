/**
 * Every table of the dashboard heads each column where its values sit: a column of numbers (right-aligned) is headed
 * on the right, one of text on the left. A header on the left over numbers on the right put each number nearer the
 * next column's header than its own: in a run's execution, the count of orders placed read as orders "at broker
 * already", and so on along the row.
 */
import { assert, describe, it } from "@effect/vitest"
import { BACKTEST } from "./MonitorHome.ts"
import { home, page, problems, server, useDashboard } from "./DashboardPage.ts"

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
})

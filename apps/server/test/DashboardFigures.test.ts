import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { assert, describe, it } from "@effect/vitest"
import { home, page, problems, server, useDashboard } from "./DashboardPage.ts"
import { fetchFresh } from "./MonitorHome.ts"

useDashboard(3)

describe("the dashboard's figures in Chromium, by the CLI's rule: what rounds to zero has no sign and no loss colour, a negative has −", () => {
  it("a last session 0.001 % down shows 0.00 % uncoloured on the account's card; one 0.5 % down shows −0.50 % as a loss", async () => {
    const db = new DatabaseSync(join(home.home, "council.db"))
    const rows = db.prepare("SELECT session, equity FROM ledger_equity WHERE book = 'live' AND account = 'GROQ' ORDER BY session").all() as Array<{ session: string; equity: number }>
    const prev = rows.at(-2)!, last = rows.at(-1)!
    const set = (equity: number) => db.prepare("UPDATE ledger_equity SET equity = ? WHERE book = 'live' AND account = 'GROQ' AND session = ?").run(equity, last.session)
    const card = async () => {
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/`)
      await page.waitForSelector(`#accounts [data-account="GROQ"]`)
      return page.$eval(`#accounts [data-account="GROQ"]`, (c) => {
        const line = [...c.querySelectorAll(".sub")].find((s) => s.textContent!.startsWith("last session"))!
        return [line.textContent, line.classList.contains("neg"), line.classList.contains("pos")]
      })
    }
    try {
      set(prev.equity * (1 - 0.00001))
      assert.deepStrictEqual(await card(), ["last session 0.00 %", false, false])
      set(prev.equity * (1 - 0.005))
      assert.deepStrictEqual(await card(), ["last session \u22120.50 %", true, false])
    } finally {
      set(last.equity)
      db.close()
    }
    assert.deepStrictEqual(problems, [])
  })

  it("a leaderboard of a few sessions (no interval) names no bootstrap, block length or seed above it", async () => {
    await page.goto("about:blank")
    await page.goto(`${server.url}/#/`)
    await page.waitForSelector("#leaderboard tbody tr")
    const header = await page.$eval("#leaderboard", (table) => table.closest(".card")!.querySelector("p.muted")!.textContent)
    const window = header?.match(/^(\S+) … (\S+) · (\d+) sessions \((\d+) daily returns\) · .* · Sharpe and Sortino/)
    assert.isNotNull(window, header ?? "")
    // one window, one count: the equity chart's sessions over the same book, and n in the table's column
    const equity = await (await fetchFresh(`${server.url}/api/equity`)).json() as { accounts: ReadonlyArray<{ points: ReadonlyArray<{ date: string }> }> }
    const dates = equity.accounts[0]!.points.map((p) => p.date)
    assert.deepStrictEqual(window!.slice(1, 4), [dates[0], dates.at(-1), String(dates.length)])
    assert.strictEqual(Number(window![4]), dates.length - 1)
    const columns = await page.$$eval("#leaderboard thead th", (ths) => ths.map((th) => th.textContent))
    assert.strictEqual(columns.at(-1), "n (daily returns)")
    // turnover in the unit the baselines' note writes it: times the book a year
    assert.include(columns, "Turnover (×/yr)")
    const n = await page.$$eval("#leaderboard tbody tr", (trs) => trs.map((tr) => tr.lastElementChild!.textContent))
    assert.deepStrictEqual([...new Set(n)], [window![4]])
    assert.notMatch(header ?? "", /bootstrap|block|seed/)
  })

  it("money and LLM dollars as the page writes them: −$1,234, $0 for −0.4, −$0.00100 for −0.001, $0.00000 for what rounds to zero", async () => {
    await page.goto(`${server.url}/#/`)
    await page.waitForSelector("#accounts [data-account]")
    // a string, so that the test's transform leaves the page's own dynamic import alone
    const written: unknown = await page.evaluate(`import("${server.url}/dom.js").then((dom) => [
      dom.money(-1234.4), dom.money(-0.4), dom.money(0.4), dom.money(1234.5),
      dom.usd(-0.001), dom.usd(-0.000001), dom.usd(-0.5), dom.usd(-12.345), dom.usd(0.00396),
      dom.tone(-0.0004), dom.tone(-0.0006), dom.tone(0.0004, 2)
    ])`)
    assert.deepStrictEqual(written, ["\u2212$1,234", "$0", "$0", "$1,235", "\u2212$0.00100", "$0.00000", "\u2212$0.5000", "\u2212$12.35", "$0.00396", "", "neg", "pos"])
  })
})

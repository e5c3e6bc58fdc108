import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { assert, describe, it } from "@effect/vitest"
import { ACCOUNTS } from "../../../packages/tracking/test/fixtures/SimulatedBook.ts"
import { BACKTEST, fetchFresh } from "./MonitorHome.ts"
import { home, leaderboardOf, page, problems, requests, rewriteAnswers, SCREENSHOTS, server, useDashboard } from "./DashboardPage.ts"

useDashboard(40)

describe("dashboard in Chromium", () => {
  it("switches to a backtest's book and lists the backtests", async () => {
    await page.goto(`${server.url}/#/backtests`)
    await page.waitForSelector("#backtests tbody tr")
    await page.click("#backtests a")
    await page.waitForSelector("h1:has-text('Backtest')")
    await page.waitForSelector("#leaderboard tbody tr")
    const dates = await page.$eval("#equity-chart", (svg) => svg.getAttribute("data-dates")!.split(","))
    assert.strictEqual(dates[0], "2023-01-03")
    assert.deepStrictEqual(problems, [])
  })

  it("shows whether the council earns its keep: the paper baselines and COUNCIL against its PMs and baselines, as the API gives them", async () => {
    const contest = leaderboardOf(await (await fetchFresh(`${server.url}/api/leaderboard?backtest=${BACKTEST}`)).json()).contest!
    assert.isNotNull(contest.baselines)
    await page.goto("about:blank")
    await page.goto(`${server.url}/#/?backtest=${BACKTEST}`)
    await page.waitForSelector("#baselines tbody tr")
    const baselines = await page.$$eval("#baselines tbody tr", (trs) => trs.map((tr) => [tr.getAttribute("data-account"), tr.children[1]!.textContent]))
    assert.deepStrictEqual(baselines.map(([account]) => account), contest.baselines!.rows.map((r) => r.account))
    baselines.forEach(([account, text], i) => {
      const { totalReturn } = contest.baselines!.rows[i]!
      const estimate = "estimate" in totalReturn ? totalReturn.estimate ?? Number.NaN : Number.NaN
      assert.include(text, `${estimate < 0 ? "−" : "+"}${Math.abs(estimate * 100).toFixed(1)} %`, String(account))
    })
    const against = await page.$$eval("#attribution tbody tr", (trs) => trs.map((tr) => [tr.children[0]!.textContent, tr.children[1]!.textContent]))
    assert.deepStrictEqual(against, contest.attribution!.comparisons.map((c) => [c.against, c.account]))
    const verdicts = await page.$$eval("#attribution-verdicts li", (lis) => lis.map((li) => li.textContent))
    assert.deepStrictEqual(verdicts, contest.attribution!.comparisons.map((c) => c.verdict))
    assert.include(await page.$eval("#baselines", (table) => table.closest(".card")!.textContent), contest.note)
    assert.deepStrictEqual(problems, [])
  })

  it("opens a backtest's report from the list: one self-contained page with every account, loading nothing else", async () => {
    await page.goto(`${server.url}/#/backtests`)
    await page.waitForSelector("#backtests a.report")
    const before = requests.length
    await Promise.all([page.waitForURL(/\/report\.html$/), page.click("#backtests a.report")])
    await page.waitForSelector("#leaderboard table")
    const series = await page.$$eval("#charts figure:first-of-type polyline", (lines) => lines.map((l) => l.getAttribute("data-series")))
    assert.sameMembers(series, [...ACCOUNTS, "SPY buy-and-hold"])
    const rows = await page.$$eval("#leaderboard table.leaderboard tbody tr td:nth-child(2)", (tds) => tds.map((td) => td.textContent))
    assert.sameMembers(rows, [...ACCOUNTS])
    assert.deepStrictEqual(requests.slice(before), [`${server.url}/backtests/${BACKTEST}/report.html`])
    // every axis label whole inside its chart (none cut at the left edge)
    const labels = await page.$$eval("#charts svg text", (ts) => ts.map((t) => [t.textContent, (t as unknown as { getBBox(): { x: number } }).getBBox().x] as const))
    assert.isAbove(labels.length, 0)
    for (const [text, x] of labels) assert.isAtLeast(x, 0, `the label ${text} is cut`)
    assert.match(labels[0]![0]!, /^\$[\d,]+$/)
    await page.screenshot({ path: join(SCREENSHOTS, "backtest-report.png"), fullPage: true })
    assert.deepStrictEqual(problems, [])
  })

  it("keeps the chosen book in the address: a reload, a copied link, the Overview link and the back button show that backtest", async () => {
    await page.goto(`${server.url}/#/backtests`)
    await page.click(`#backtests a:text("${BACKTEST}")`)
    await page.waitForSelector(`h1:text("Backtest ${BACKTEST}")`)
    assert.strictEqual(new URL(page.url()).hash, `#/?backtest=${BACKTEST}`)
    await page.reload()
    await page.waitForSelector("#equity-chart")
    assert.strictEqual(await page.textContent("h1"), `Backtest ${BACKTEST}`)
    assert.strictEqual(await page.inputValue("#book"), BACKTEST)
    await page.click("nav a:text('Runs')")
    await page.waitForSelector("#runs")
    await page.click("nav a:text('Overview')")
    await page.waitForSelector(`h1:text("Backtest ${BACKTEST}")`)
    await page.selectOption("#book", "")
    await page.waitForSelector("h1:text('Live book')")
    assert.strictEqual(new URL(page.url()).hash, "#/")
    await page.goBack()
    await page.waitForSelector(`h1:text("Backtest ${BACKTEST}")`)
    assert.deepStrictEqual(problems, [])
  })

  it("says a backtest the address names that the server does not hold is unknown, and selects nothing else for it", async () => {
    problems.length = 0
    await page.goto("about:blank")
    await page.goto(`${server.url}/#/?backtest=nope`)
    const said = await page.waitForSelector("#unknown-book")
    assert.match((await said.textContent()) ?? "", /^There is no backtest “nope” on this server/)
    assert.strictEqual(await page.textContent("h1"), "Unknown backtest")
    // the selector shows the address's book as itself, marked unknown and not choosable: not blank, not Live
    assert.strictEqual(await page.inputValue("#book"), "nope")
    assert.deepStrictEqual(await page.$eval("#book", (s) => { const o = (s as unknown as { selectedOptions: ArrayLike<{ textContent: string | null; disabled: boolean }> }).selectedOptions[0]; return [o?.textContent, o?.disabled] }), ["nope (unknown)", true])
    // nothing asked of the unknown book (no 404 in the console)
    assert.deepStrictEqual(problems, [])
    // a known book afterwards: the unknown one leaves the selector
    await page.selectOption("#book", BACKTEST)
    await page.waitForSelector(`h1:text("Backtest ${BACKTEST}")`)
    assert.deepStrictEqual(await page.$$eval("#book option[data-unknown]", (os) => os.length), 0)
    assert.deepStrictEqual(problems, [])
  })

  it("stepping through the books with the arrow keys fetches only the book settled on, not each book passed over", async () => {
    const db = new DatabaseSync(join(home.home, "council.db"))
    const extra = ["bt-arrow-1", "bt-arrow-2", "bt-arrow-3"]
    for (const id of extra) db.prepare("INSERT INTO ledger_books SELECT ?, kind, label, from_day, to_day, status, created_at, updated_at, params, ? FROM ledger_books WHERE id = ?").run(id, id, BACKTEST)
    try {
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/`)
      await page.waitForSelector("#leaderboard")
      const books = await page.$$eval("#book option", (options) => options.map((o) => o.getAttribute("value") ?? ""))
      assert.strictEqual(books.length, 1 + 1 + extra.length, books.join(","))
      const asked = (url: string) => {
        const { pathname, searchParams } = new URL(url)
        return pathname.startsWith("/api/") && pathname !== "/api/backtests" ? [`${pathname}?backtest=${searchParams.get("backtest") ?? ""}`] : []
      }
      const before = requests.length
      await page.focus("#book")
      for (let i = 1; i < books.length; i++) await page.keyboard.press("ArrowDown")
      const last = books.at(-1)!
      assert.strictEqual(await page.inputValue("#book"), last)
      await page.waitForSelector(`h1:text("Backtest ${last}")`)
      await page.waitForSelector("#leaderboard, .card .verdict")
      assert.sameMembers(requests.slice(before).flatMap(asked), [`/api/equity/chart?backtest=${last}`, `/api/leaderboard?backtest=${last}`])
      assert.strictEqual(new URL(page.url()).hash, `#/?backtest=${last}`)
      assert.deepStrictEqual(problems, [])
    } finally {
      for (const id of extra) db.prepare("DELETE FROM ledger_books WHERE id = ?").run(id)
      db.close()
    }
  })

  it("shows the page the user went to last, and cancels what the page left still asked for", async () => {
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    const runsList = (url: URL) => url.pathname === "/api/runs" && url.searchParams.get("limit") === "100"
    await page.route(runsList, async (route) => {
      await held
      await route.continue()
    })
    try {
      // every stage bar drawn: the overview asks for nothing more
      const settled = () => page.waitForSelector("#runs tr[data-run] .bar:empty", { state: "detached" })
      await page.goto(`${server.url}/#/`)
      await page.waitForSelector("#runs tr[data-run] .bar")
      await settled()
      const cancelled = page.waitForEvent("requestfailed", (request) => runsList(new URL(request.url())))
      await page.goto(`${server.url}/#/runs`)
      await page.click("nav a:text('Overview')")
      await page.waitForSelector("#runs tr[data-run] .bar")
      await settled()
      // the runs page's request, still unanswered, is cancelled: its answer is neither shown nor acted on
      assert.match((await cancelled).failure()?.errorText ?? "", /ERR_ABORTED|cancel/i)
      release()
      assert.strictEqual(await page.textContent("h1"), "Live book")
      assert.strictEqual(new URL(page.url()).hash, "#/")
    } finally {
      await page.unroute(runsList)
    }
  })

  it("shows the whole leaderboard on a 1024 px laptop, the live book's (LLM cost and net) and a backtest's (intervals): no column scrolled out of view", async () => {
    await page.setViewportSize({ width: 1024, height: 900 })
    try {
      for (const hash of ["#/", `#/?backtest=${BACKTEST}`]) {
        await page.goto("about:blank")
        await page.goto(`${server.url}/${hash}`)
        await page.waitForSelector("#leaderboard tbody tr")
        const [scrolled, shown] = await page.$eval("#leaderboard", (table) => [table.parentElement!.scrollWidth, table.parentElement!.clientWidth])
        assert.isAtMost(scrolled!, shown!, `${hash}: the leaderboard scrolls sideways`)
      }
      assert.deepStrictEqual(problems, [])
    } finally {
      await page.setViewportSize({ width: 1360, height: 1500 })
    }
  })

  it("shows the whole leaderboard on a 1024 px laptop when accounts beat SPY (the column's sub-line, family-wise or not): no sideways scroll", async () => {
    // the backtest's board with every account a winner at 95 %, half of them family-wise too
    const board = (url: URL) => url.pathname === "/api/leaderboard"
    const restore = await rewriteAnswers(board, (body: { llmCostRecorded: boolean; llmCostEstimated: Array<string>; leaderboard: { rows: Array<{ account: string; metrics: Record<string, unknown> }> } }) => {
      // and its LLM cost recorded (a backtest whose PMs called real models): the widest board the dashboard draws
      body.llmCostRecorded = true
      body.llmCostEstimated = body.leaderboard.rows.map((row: { account: string }) => row.account)
      body.leaderboard.rows.forEach((row: { metrics: Record<string, unknown> }, i: number) => {
        Object.assign(row, { beatsBenchmark: true, beatsBenchmarkFamilyWise: i % 2 === 0 })
        Object.assign(row.metrics, { llmCost: 1_234.56, returnNetOfCost: -0.1234 })
    })
    })
    await page.setViewportSize({ width: 1024, height: 900 })
    try {
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/?backtest=${BACKTEST}`)
      await page.waitForSelector("#leaderboard tbody tr")
      const subLines = await page.$$eval("#leaderboard tbody td.beats .range", (spans) => spans.map((s) => s.textContent))
      assert.sameMembers([...new Set(subLines)], ["family-wise too", "not family-wise"])
      const [scrolled, shown] = await page.$eval("#leaderboard", (table) => [table.parentElement!.scrollWidth, table.parentElement!.clientWidth])
      assert.isAtMost(scrolled!, shown!, "the leaderboard scrolls sideways")
      const [pageWidth, viewport] = await page.$eval("html", (root) => [root.scrollWidth, root.clientWidth])
      assert.isAtMost(pageWidth!, viewport!, "the page scrolls sideways")
      await page.screenshot({ path: join(SCREENSHOTS, "leaderboard-winners-1024.png"), fullPage: true })
      assert.deepStrictEqual(problems, [])
    } finally {
      await restore()
      await page.setViewportSize({ width: 1360, height: 1500 })
    }
  })
})

import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { assert, describe, it } from "@effect/vitest"
import type { Page } from "playwright-core"
import { LlmCosts } from "@council/tracking"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { ACCOUNTS } from "../../../packages/tracking/test/fixtures/SimulatedBook.ts"
import { BACKTEST, collectProblems, LLM_DAY, withoutSnapshots, fetchFresh } from "./MonitorHome.ts"
import { stallingProxy } from "./StallingProxy.ts"
import { browser, equityOf, home, leaderboardOf, page, problems, requests, rewriteAnswers, runDetailOf, runsOf, SCREENSHOTS, server, showsDollars, useDashboard } from "./DashboardPage.ts"

useDashboard(40)

interface Drawn {
  readonly date: string
  readonly value: number
  /** The value one pixel stands for: the drawing's resolution. */
  readonly pixelValue: number
}

/** The values a polyline draws, read back through the chart's own scale (see `lineChart` in charts.js). */
const drawnValues = async (page: Page, chart: string, series: string): Promise<ReadonlyArray<Drawn>> => {
  const { attributes, points } = await page.$eval(`#${chart}`, (svg, series: string) => ({
    attributes: Object.fromEntries(["y0", "y1", "top", "bottom", "left", "right", "dates", "scale"].map((k) => [k, svg.getAttribute(`data-${k}`) ?? ""])),
    points: svg.querySelector(`polyline[data-series="${series}"]`)?.getAttribute("points") ?? ""
  }), series)
  const [y0, y1, top, bottom, left, right] = ["y0", "y1", "top", "bottom", "left", "right"].map((k) => Number(attributes[k]))
  const dates = String(attributes["dates"]).split(",")
  return points.trim().split(/\s+/).map((pair: string): Drawn => {
    const [px, py] = pair.split(",").map(Number) as [number, number]
    const scaled = y0! + ((bottom! - py) / (bottom! - top!)) * (y1! - y0!)
    const perPixel = (y1! - y0!) / (bottom! - top!)
    // on a log axis y0/y1 are natural logs: a pixel stands for a ratio, the value times (e^perPixel − 1)
    return attributes["scale"] === "log"
      ? { date: dates[Math.round(((px - left!) / (right! - left!)) * (dates.length - 1))]!, value: Math.exp(scaled), pixelValue: Math.exp(scaled) * Math.expm1(perPixel) }
      : { date: dates[Math.round(((px - left!) / (right! - left!)) * (dates.length - 1))]!, value: scaled, pixelValue: perPixel }
  })
}

/** Resolves after the page's next two frames: what a ResizeObserver drew again in the frame after a layout is drawn. */
const nextFrames = (page: Page) => page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")

describe("dashboard in Chromium", () => {
  it("loads with no console error, shows the six accounts, the leaderboard with intervals, and asks nothing of any other host", async () => {
    await page.goto(server.url)
    await page.waitForSelector("#leaderboard tbody tr")
    await page.waitForSelector("#runs .bar span")
    const accounts = await page.$$eval("#accounts [data-account]", (cards) => cards.map((c) => c.getAttribute("data-account")))
    assert.deepStrictEqual(accounts, [...ACCOUNTS])
    const rows = await page.$$eval("#leaderboard tbody tr", (trs) => trs.map((tr) => tr.getAttribute("data-account")))
    assert.sameMembers(rows, [...ACCOUNTS])
    assert.strictEqual(await page.$$eval("#leaderboard .ci svg", (s) => s.length), 18)
    const verdict = await page.textContent("#verdict")
    assert.match(verdict ?? "", /SPY at 95 % over 40 sessions \(39 daily returns\)$/)
    assert.match(await page.$eval("#leaderboard", (t) => t.closest(".card")!.querySelector("p.muted")!.textContent) ?? "", /95 % intervals by stationary block bootstrap \(\d+ replicates, mean block \d+, seed “/)
    await page.screenshot({ path: join(SCREENSHOTS, "overview.png"), fullPage: true })
    const fit = await page.$eval("#leaderboard", (table) => ({
      card: table.closest(".card")!.getBoundingClientRect().right,
      columns: [...table.querySelectorAll("thead th")].map((th) => [th.textContent, th.getBoundingClientRect().right] as const),
      scrolls: table.parentElement!.scrollWidth > table.parentElement!.clientWidth
    }))
    assert.isFalse(fit.scrolls, "the leaderboard overflows its card")
    for (const [column, right] of fit.columns) assert.isAtMost(right, fit.card, `column ${column} is cut off`)
    assert.deepStrictEqual(problems, [])
    assert.deepStrictEqual(requests.filter((url) => !url.startsWith(server.url)), [])
    // The charts read the columns (/api/equity/chart), not the nine fields a point of /api/equity.
    const series = requests.filter((url) => new URL(url).pathname.startsWith("/api/equity"))
    assert.deepStrictEqual(series.map((url) => new URL(url).pathname), ["/api/equity/chart"])
    // The stage bars need no stage's raw output (a run's market snapshot alone is ~250 KB).
    const details = requests.filter((url) => /\/api\/runs\/[^/?]+/.test(url))
    assert.isAbove(details.length, 0)
    for (const url of details) assert.match(url, /\?outputs=none$/)
  })

  it("draws each account's equity curve through the points of the API's series, and SPY beside them", async () => {
    const api = equityOf(await (await fetchFresh(`${server.url}/api/equity`)).json())
    for (const account of ACCOUNTS) {
      const expected = api.accounts.find((a) => a.account === account)?.points ?? []
      const drawn = await drawnValues(page, "equity-chart", account)
      assert.deepStrictEqual(drawn.map((p) => p.date), expected.map((p) => p.date))
      drawn.forEach((p, i) => assert.closeTo(p.value, expected[i]!.equity, p.pixelValue, `${account} on ${p.date}`))
      const drawdown = await drawnValues(page, "drawdown-chart", account)
      drawdown.forEach((p, i) => assert.closeTo(p.value, -expected[i]!.drawdown, p.pixelValue))
    }
    // equity on a log axis (a long backtest's curves are not squashed by SPY's), drawdowns on a linear one
    const scales = await page.$$eval("#equity-chart, #drawdown-chart", (svgs) => svgs.map((s) => s.getAttribute("data-scale")))
    assert.deepStrictEqual(scales, ["log", "linear"])
    const spy = await drawnValues(page, "equity-chart", "SPY buy-and-hold (scaled)")
    const closes = api.benchmark?.points.map((p) => p.close) ?? []
    assert.lengthOf(closes, spy.length)
    spy.forEach((p, i) => assert.closeTo(p.value / spy[0]!.value, closes[i]! / closes[0]!, 0.002))
  })

  it("draws SPY's drawdown beside the accounts' through the API's marks when comparable, and says its deepest as the report does", async () => {
    const api = equityOf(await (await fetchFresh(`${server.url}/api/equity`)).json())
    const marks = api.benchmark!.points
    await page.goto("about:blank")
    await page.goto(`${server.url}/#/`)
    await page.waitForSelector("#drawdown-chart polyline")
    // the report's note, word for word: SPY's deepest drawdown, its sessions, and whether it is drawn
    const note = await page.textContent("#spy-drawdown")
    await page.goto(`${server.url}/backtests/live/report.html`)
    const reported = await page.$eval("#spy-drawdown", (span) => span.closest("p")!.textContent)
    assert.strictEqual(note, reported)
    assert.match(note ?? "", /^SPY buy-and-hold’s deepest drawdown over these sessions: \d+\.\d % \(\d{4}-\d\d-\d\d → \d{4}-\d\d-\d\d\)/)
    // the accounts' deepest (the API's) against SPY's: drawn when at most twice theirs
    const accountsDeepest = Math.max(...api.accounts.flatMap((a) => a.points.map((p) => p.drawdown)))
    let peak = 0
    const spyDepths = marks.map((p) => (peak = Math.max(peak, p.mark), 1 - p.mark / peak))
    assert.strictEqual(note!.endsWith(", drawn dashed."), Math.max(...spyDepths) <= 2 * accountsDeepest)
    await page.goto(`${server.url}/#/`)
    await page.waitForSelector("#drawdown-chart polyline")
    if (note!.endsWith(", drawn dashed.")) {
      const drawn = await drawnValues(page, "drawdown-chart", "SPY buy-and-hold")
      assert.deepStrictEqual(drawn.map((p) => p.date), marks.map((p) => p.date))
      drawn.forEach((p, i) => assert.closeTo(p.value, -spyDepths[i]!, p.pixelValue, `SPY on ${p.date}`))
      assert.include(await page.$$eval(".card:has(#drawdown-chart) .legend span", (spans) => spans.map((s) => s.textContent)), "SPY buy-and-hold")
    } else {
      assert.isNull(await page.$(`#drawdown-chart polyline[data-series="SPY buy-and-hold"]`))
    }
    assert.deepStrictEqual(problems, [])
  })

  it("leaves SPY's drawdown out when it would flatten the accounts' (deeper than twice theirs), still saying its deepest", async () => {
    // the chart's answer with SPY's marks falling to 60 % halfway: far deeper than twice the accounts' deepest
    const chart = (url: URL) => url.pathname === "/api/equity/chart"
    const restore = await rewriteAnswers(chart, (body: { benchmark: { closes: Array<number | null> } }) => {
      const closes: Array<number | null> = body.benchmark.closes
      body.benchmark.closes = closes.map((c, i) => c === null || i < closes.length / 2 ? c : c * 0.6)
    })
    try {
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/`)
      await page.waitForSelector("#drawdown-chart polyline")
      const note = (await page.textContent("#spy-drawdown")) ?? ""
      assert.match(note, /^SPY buy-and-hold’s deepest drawdown over these sessions: (4\d|5\d)\.\d % \(.*\); not drawn: on its scale the accounts’ curves would be flat lines at the top\.$/)
      assert.isNull(await page.$(`#drawdown-chart polyline[data-series="SPY buy-and-hold"]`))
      assert.strictEqual(await page.$$eval("#drawdown-chart polyline", (lines) => lines.length), ACCOUNTS.length)
    } finally {
      await restore()
    }
    assert.deepStrictEqual(problems, [])
  })

  it("says below the leaderboard when sessions of its span have no snapshot, in the API's words, and nothing when every one has", async () => {
    await page.goto("about:blank")
    await page.goto(`${server.url}/#/`)
    await page.waitForSelector("#leaderboard")
    assert.isNull(await page.$("#unrecorded"))
    await withoutSnapshots(home.home, 10, 2, async () => {
      const unrecorded = leaderboardOf(await (await fetchFresh(`${server.url}/api/leaderboard`)).json()).unrecordedSessions!
      assert.strictEqual(unrecorded.missing, 2)
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/`)
      const note = await page.waitForSelector("#unrecorded")
      assert.strictEqual(await note.textContent(), `Note: ${unrecorded.note}`)
      assert.match((await note.textContent()) ?? "", /^Note: 2 of the \d+ sessions from .* have no snapshot \(no run those days\)/)
      // below the leaderboard's table, in its card
      assert.isTrue(await page.$eval("#unrecorded", (p) => p.closest(".card")?.querySelector("#leaderboard") !== null))
      // and on the book's report page, which carries the same note
      await page.goto(`${server.url}/backtests/live/report.html`)
      const reported = await page.waitForSelector("#unrecorded")
      assert.strictEqual(await reported.textContent(), `Note: ${unrecorded.note}`)
    })
    await page.goto(`${server.url}/backtests/live/report.html`)
    await page.waitForSelector("#leaderboard")
    assert.isNull(await page.$("#unrecorded"))
    await page.goto(`${server.url}/#/`)
    await page.waitForSelector("#leaderboard tbody tr")
  })

  it("shows each account's LLM cost in the leaderboard, as the API charges it", async () => {
    const board = leaderboardOf(await (await fetchFresh(`${server.url}/api/leaderboard`)).json())
    assert.isTrue(board.llmCostRecorded)
    assert.deepStrictEqual(board.llmCostEstimated, [])
    const shown = await page.$$eval("#leaderboard tbody tr", (trs) => trs.map((tr) => [tr.getAttribute("data-account"), tr.querySelector(".llm-cost")!.firstChild!.textContent]))
    for (const [account, text] of shown) {
      const cost = board.leaderboard?.rows.find((r) => r.account === account)?.metrics.llmCost ?? null
      assert.isNotNull(cost, account!)
      assert.isAbove(cost!, 0)
      showsDollars(text, cost!, account!)
    }
    assert.isNull(await page.$("#llm-estimated"))
  })

  it("writes a return that rounds to zero without a sign, on the dashboard as in leaderboard and the report", async () => {
    const db = new DatabaseSync(join(home.home, "council.db"))
    const rows = db.prepare("SELECT session, equity FROM ledger_equity WHERE book = 'live' AND account = 'GROQ' ORDER BY session").all() as Array<{ session: string; equity: number }>
    const first = rows[0]!, last = rows.at(-1)!
    // GROQ ends 0.01 % below where it started: a loss too small for the tables' one decimal
    db.prepare("UPDATE ledger_equity SET equity = ? WHERE book = 'live' AND account = 'GROQ' AND session = ?").run(first.equity * 0.9999, last.session)
    try {
      const board = leaderboardOf(await (await fetchFresh(`${server.url}/api/leaderboard`)).json())
      const groq = board.leaderboard!.rows.find((r) => r.account === "GROQ")!
      assert.isTrue(groq.totalReturn._tag === "Interval" && groq.totalReturn.estimate < 0 && groq.totalReturn.estimate > -0.0005)
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/`)
      await page.waitForSelector("#leaderboard tbody tr")
      const dashboard = await page.$eval(`#leaderboard tr[data-account="GROQ"]`, (tr) => tr.children[2]!.querySelector(".ci")!.childNodes[1]!.textContent)
      const cli = (await cliInProcess(home.home, ["leaderboard"])).stdout.split("\n").find((l) => / GROQ /.test(l))!
      await page.goto(`${server.url}/backtests/live/report.html`)
      const report = await page.$eval("table.metrics tbody", (body) => [...body.querySelectorAll("tr")].find((tr) => tr.children[0]!.textContent === "GROQ")!.children[1]!.textContent)
      assert.deepStrictEqual([dashboard, /GROQ\s+(\S+ %)/.exec(cli)?.[1], report], ["0.0 %", "0.0 %", "0.0 %"], cli)
    } finally {
      db.prepare("UPDATE ledger_equity SET equity = ? WHERE book = 'live' AND account = 'GROQ' AND session = ?").run(last.equity, last.session)
      db.close()
    }
  })

  it("marks ≈ the LLM costs that include a worst case (a call whose usage is unknown), as the API, leaderboard and the report say", async () => {
    const db = new DatabaseSync(join(home.home, "council.db"))
    const { id } = db.prepare("SELECT MIN(id) AS id FROM llm_spend WHERE run_id = ? AND actor = 'CLAUDE'").get(home.llmRunId) as { id: number }
    db.prepare("UPDATE llm_spend SET estimated = 1 WHERE id = ?").run(id)
    try {
      const board = leaderboardOf(await (await fetchFresh(`${server.url}/api/leaderboard`)).json())
      // CLAUDE's own call; COUNCIL trades what every PM and the chairman decided, so it is charged that call too
      assert.deepStrictEqual([...board.llmCostEstimated].sort(), ["CLAUDE", "COUNCIL"])
      const cli = await cliInProcess(home.home, ["leaderboard", "--json"])
      assert.deepStrictEqual(leaderboardOf(JSON.parse(cli.stdout)).llmCostEstimated, board.llmCostEstimated)
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/`)
      await page.waitForSelector("#leaderboard tbody tr")
      const shown = await page.$$eval("#leaderboard tbody tr", (trs) => trs.map((tr) => [tr.getAttribute("data-account"), tr.querySelector(".llm-cost")!.firstChild!.textContent]))
      assert.lengthOf(shown, ACCOUNTS.length)
      for (const [account, text] of shown) {
        const marked = board.llmCostEstimated.includes(account!)
        assert.strictEqual(text!.startsWith("≈"), marked, `${account}: ${text}`)
        showsDollars(text!.replace("≈", ""), board.leaderboard!.rows.find((r) => r.account === account)!.metrics.llmCost!, account!)
      }
      assert.strictEqual(await page.textContent("#llm-estimated"), LlmCosts.ESTIMATE_NOTE)
      await page.goto(`${server.url}/backtests/live/report.html`)
      const metrics = await page.$$eval("table.metrics tbody tr", (trs) => trs.map((tr) => [tr.children[0]!.textContent, tr.children[13]!.textContent]))
      assert.lengthOf(metrics, ACCOUNTS.length)
      for (const [account, cost] of metrics) assert.strictEqual(cost!.startsWith("≈"), board.llmCostEstimated.includes(account!), `report: ${account} ${cost}`)
      assert.strictEqual(await page.textContent("#llm-estimated"), LlmCosts.ESTIMATE_NOTE)
      // the run's own costs: the API says how much of them is the worst case, as show --json does, and the page marks them
      const run = runDetailOf(await (await fetchFresh(`${server.url}/api/runs/${home.llmRunId}`)).json()).llmCosts!
      const { stage } = db.prepare("SELECT stage FROM llm_spend WHERE id = ?").get(id) as { stage: string }
      const show = JSON.parse((await cliInProcess(home.home, ["show", home.llmRunId, "--json"])).stdout) as { llm: { estimatedUsd: number } }
      assert.isAbove(run.estimatedUsd, 0)
      assert.strictEqual(run.estimatedUsd, show.llm.estimatedUsd)
      await page.goto(`${server.url}/#/runs/${home.llmRunId}`)
      await page.waitForSelector("#llm-costs")
      const cells = await page.$$eval("#llm-costs tbody td[data-stage]", (tds) => tds.map((td) => `${td.closest("tr")!.getAttribute("data-actor")} ${td.getAttribute("data-stage")} ${td.firstChild!.textContent}`))
      assert.deepStrictEqual(cells.filter((c) => c.includes("≈")).map((c) => c.split(" ").slice(0, 2).join(" ")), [`CLAUDE ${stage}`])
      const totals = await page.$$eval("#llm-costs tbody tr", (trs) => trs.filter((tr) => tr.querySelector(".total")!.textContent!.startsWith("≈")).map((tr) => tr.getAttribute("data-actor")))
      assert.deepStrictEqual(totals, ["CLAUDE"])
      for (const where of ["#llm-total", "#run-llm-cost"]) assert.match(await page.textContent(where) ?? "", /^≈\$/, where)
      assert.include(await page.textContent("#llm-estimated") ?? "", LlmCosts.ESTIMATE_NOTE)
      // each session's cost of the equity series: the LLM day's is CLAUDE's estimate, in the API and in equity's table
      const series = equityOf(await (await fetchFresh(`${server.url}/api/equity?account=CLAUDE`)).json()).accounts[0]!.points
      assert.deepStrictEqual(series.filter((p) => p.llmCostEstimated).map((p) => p.date), [LLM_DAY])
      const table = (await cliInProcess(home.home, ["equity", "--account", "claude"])).stdout.split("\n")
      assert.deepStrictEqual(table.filter((l) => l.includes("≈$")).map((l) => l.split(/\s+/)[1]), [LLM_DAY])
      assert.include(table, LlmCosts.ESTIMATE_NOTE)
      // and the list of runs: what runs prints, with the same mark
      const listed = (await cliInProcess(home.home, ["runs"])).stdout.split("\n").find((l) => l.startsWith(home.llmRunId))!
      const cost = listed.trim().split(/\s+/).at(-1)!
      assert.match(cost, /^≈\$/)
      const summary = runsOf(await (await fetchFresh(`${server.url}/api/runs`)).json()).find((r) => r.id === home.llmRunId)!
      assert.deepStrictEqual("llmCost" in summary && summary.llmCost, { totalUsd: run.totalUsd, estimatedUsd: run.estimatedUsd })
      await page.goto(`${server.url}/#/runs`)
      const row = await page.waitForSelector(`#runs tr[data-run="${home.llmRunId}"] .llm-cost`)
      showsDollars((await row.textContent())!.replace("≈", ""), run.totalUsd, "runs page")
      assert.match(await row.textContent() ?? "", /^≈\$/)
      assert.deepStrictEqual(await page.textContent(`#runs tr[data-run="${home.runId}"] .llm-cost`), "—")
    } finally {
      db.prepare("UPDATE llm_spend SET estimated = 0 WHERE id = ?").run(id)
      db.close()
    }
    await page.goto(`${server.url}/#/`)
    await page.waitForSelector("#leaderboard tbody tr")
    assert.isNull(await page.$("#llm-estimated"))
  })

  it("writes an LLM cost of $1,000 or more with its thousands separator, as the CLI does: the run's page, the runs, the leaderboard", async () => {
    const db = new DatabaseSync(join(home.home, "council.db"))
    const { id, cost } = db.prepare("SELECT MIN(id) AS id, cost_usd AS cost FROM llm_spend WHERE run_id = ? AND actor = 'CLAUDE'").get(home.llmRunId) as { id: number; cost: number }
    db.prepare("UPDATE llm_spend SET cost_usd = 1234.5 WHERE id = ?").run(id)
    const grouped = /^\$\d{1,3}(,\d{3})+\.\d{2}$/
    try {
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/runs/${home.llmRunId}`)
      await page.waitForSelector("#llm-costs")
      const claude = await page.$eval(`#llm-costs tr[data-actor="CLAUDE"] .total`, (td) => td.textContent ?? "")
      for (const [where, text] of [["CLAUDE", claude], ["#llm-total", await page.textContent("#llm-total")], ["#run-llm-cost", await page.textContent("#run-llm-cost")]] as const) {
        assert.match(text ?? "", grouped, where)
      }
      assert.isAbove(await page.$$eval("#llm-costs td[data-stage]", (tds) => tds.filter((td) => /^\$1,234\.50$/.test(td.firstChild?.textContent ?? "")).length), 0)
      // the runs: the same text as `runs` prints
      const listed = (await cliInProcess(home.home, ["runs"])).stdout.split("\n").find((l) => l.startsWith(home.llmRunId))!.trim().split(/\s+/).at(-1)!
      assert.match(listed, grouped)
      await page.goto(`${server.url}/#/runs`)
      const row = await page.waitForSelector(`#runs tr[data-run="${home.llmRunId}"] .llm-cost`)
      assert.strictEqual(await row.textContent(), listed)
      // the leaderboard: CLAUDE's cost, and COUNCIL's (charged every PM's calls), as `leaderboard` prints them
      await page.goto(`${server.url}/#/`)
      await page.waitForSelector("#leaderboard tbody tr")
      const cli = (await cliInProcess(home.home, ["leaderboard"])).stdout.split("\n")
      for (const account of ["CLAUDE", "COUNCIL"]) {
        const shown = await page.$eval(`#leaderboard tr[data-account="${account}"] .llm-cost`, (td) => td.firstChild!.textContent ?? "")
        assert.match(shown, grouped, account)
        assert.isTrue(cli.some((l) => new RegExp(`\\b${account}\\b`).test(l) && l.includes(shown)), `${account} ${shown}\n${cli.join("\n")}`)
      }
    } finally {
      db.prepare("UPDATE llm_spend SET cost_usd = ? WHERE id = ?").run(cost, id)
      db.close()
    }
  })

  it("writes a negative number with the minus sign (−), as the CLI does, in the dashboard and in the report", async () => {
    // a hyphen before a digit that is not inside a date or an id
    const hyphenated = /(?<![\w-])-\d/
    const texts = async () => [await page.innerText("body"), ...await page.$$eval("svg text", (ts) => ts.map((t) => t.textContent ?? ""))]
    await page.goto(`${server.url}/#/backtests`)
    await page.click("#backtests a")
    await page.waitForSelector("#leaderboard tbody tr")
    await page.waitForSelector("#drawdown-chart polyline")
    const dashboard = await texts()
    await page.goto(`${server.url}/backtests/${BACKTEST}/report.html`)
    const report = await texts()
    for (const [where, shown] of [["dashboard", dashboard], ["report", report]] as const) {
      assert.deepStrictEqual(shown.filter((t) => hyphenated.test(t)).map((t) => t.match(new RegExp(`.{0,30}${hyphenated.source}.{0,10}`))?.[0]), [], where)
      assert.isTrue(shown.some((t) => /−\d/.test(t)), `${where} shows no negative number`)
    }
    assert.deepStrictEqual(problems, [])
  })

  it("draws each account in one colour on the dashboard and in the report, every two told apart (with deuteranopia too)", async () => {
    const strokes = (selector: string) =>
      page.$$eval(selector, (lines) => lines.map((l) => [l.getAttribute("data-series")!, `${l.getAttribute("stroke")}${l.hasAttribute("stroke-dasharray") ? " dashed" : ""}`] as const))
    await page.goto(`${server.url}/#/backtests`)
    await page.click("#backtests a")
    await page.waitForSelector("#equity-chart polyline")
    const dashboard = new Map(await strokes("#equity-chart polyline"))
    await page.goto(`${server.url}/backtests/${BACKTEST}/report.html`)
    const report = new Map(await strokes("#charts figure:first-of-type polyline"))
    const lines = [...ACCOUNTS.map((a) => [a, a] as const), ["SPY buy-and-hold (scaled)", "SPY buy-and-hold"] as const]
    for (const [inDashboard, inReport] of lines) assert.strictEqual(report.get(inReport), dashboard.get(inDashboard), inReport)
    // SPY's line is told by its dashes; every two accounts' solid lines by their colours
    assert.match(dashboard.get("SPY buy-and-hold (scaled)")!, / dashed$/)
    const colors = ACCOUNTS.map((name) => [name, dashboard.get(name)!] as const)
    for (const [i, [a, x]] of colors.entries()) {
      for (const [b, y] of colors.slice(i + 1)) {
        assert.isAtLeast(deltaE(lab(x), lab(y)), 45, `${a} ${x} and ${b} ${y}`)
        assert.isAtLeast(deltaE(lab(deuteranopia(x)), lab(deuteranopia(y))), 25, `${a} ${x} and ${b} ${y}, seen with deuteranopia`)
      }
    }
  })

  it("names each chart and form control for a screen reader, and writes every text at a contrast of at least 4.5:1 (3:1 large)", async () => {
    await page.goto(`${server.url}/#/`)
    await page.waitForSelector("#equity-chart")
    await page.waitForSelector("#close-all")
    const chart = equityOf(await (await fetchFresh(`${server.url}/api/equity`)).json())
    const dates = [...new Set(chart.accounts.flatMap((a) => a.points.map((p) => p.date)))].sort()
    const span = `${dates[0]} to ${dates.at(-1)} (${dates.length} sessions)`
    const equityLabel = await page.getByRole("img", { name: /^Equity of each account, log scale/ }).getAttribute("aria-label") ?? ""
    // the eye is told too: a log axis spaces its dollars unevenly
    assert.strictEqual(await page.$eval("#equity-chart", (svg) => svg.closest(".card")!.querySelector("h2")!.textContent), "Equity (log scale)")
    assert.strictEqual(equityLabel.slice(0, equityLabel.indexOf(": ")), `Equity of each account, log scale, ${span}`)
    assert.include(equityLabel, "COUNCIL")
    const drawdownLabel = await page.getByRole("img", { name: /^Drawdown of each account/ }).getAttribute("aria-label") ?? ""
    assert.include(drawdownLabel, `, ${span}: `)
    // every control has a name: a label, or aria-label
    const unnamed = await page.$$eval("input, select, button", (controls) =>
      controls.filter((c) => (c as unknown as { labels: { length: number } | null }).labels?.length === 0 && !c.getAttribute("aria-label") && (c.textContent ?? "").trim() === "").map((c) => c.outerHTML))
    assert.deepStrictEqual(unnamed, [])
    // the text whose colour is too close to its background's (WCAG 2 contrast), as "tag.class "text" ratio"; a string
    // evaluated in the page: this test's TypeScript has no DOM library
    const lowContrast = () => page.evaluate(`(() => {
      const luminance = (rgb) => {
        const [r, g, b] = (rgb.match(/[\\d.]+/g) ?? []).map(Number).slice(0, 3).map((c) => c / 255).map((c) => c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
      }
      const background = (el) => {
        for (; el; el = el.parentElement) {
          const bg = getComputedStyle(el).backgroundColor
          if (!/rgba\\(.*, 0\\)$|transparent/.test(bg)) return bg
        }
        return "rgb(255, 255, 255)"
      }
      const out = []
      for (const el of document.querySelectorAll("body *")) {
        if (![...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? "").trim() !== "")) continue
        if (el.closest("svg") || el.closest("option")) continue
        const style = getComputedStyle(el)
        const [a, b] = [luminance(style.color), luminance(background(el))]
        const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)
        const large = parseFloat(style.fontSize) >= 24 || (parseFloat(style.fontSize) >= 18.66 && Number(style.fontWeight) >= 700)
        if (ratio < (large ? 3 : 4.5)) out.push(el.tagName + "." + el.className + " " + JSON.stringify(el.textContent.trim().slice(0, 30)) + " " + ratio.toFixed(2))
      }
      return out
    })()`) as Promise<Array<string>>
    for (const [hash, ready] of [["#/", "#close-all"], [`#/runs/${home.llmRunId}`, "#borda"], ["#/runs", "#runs .bar span"], ["#/backtests", "#backtests"]] as const) {
      await page.goto(`${server.url}/${hash}`)
      await page.waitForSelector(ready)
      assert.deepStrictEqual(await lowContrast(), [], hash)
    }
  })

  it("fits a narrow window (400 px): no page scrolls sideways; a wide table scrolls inside its card, a chart is drawn at its width, the book selector wraps", async () => {
    const narrow = await browser.newPage({ viewport: { width: 400, height: 800 } })
    const narrowProblems: Array<string> = []
    collectProblems(narrow, narrowProblems)
    try {
      const pages = [["#/", "#runs .bar span"], ["#/runs", "#runs .bar span"], ["#/backtests", "#backtests"], [`#/runs/${home.llmRunId}`, "#llm-costs"], [`#/?backtest=${BACKTEST}`, "#leaderboard"]] as const
      for (const [hash, ready] of pages) {
        await narrow.goto(`${server.url}/${hash}`)
        await narrow.waitForSelector(ready)
        await narrow.waitForSelector("#equity-chart, #runs, #backtests, #run-title")
        const width = await narrow.$eval("html", (html) => html.scrollWidth)
        assert.isAtMost(width, 400, `${hash} scrolls sideways`)
        const select = await narrow.$eval("#book", (s) => s.getBoundingClientRect().right)
        assert.isAtMost(select, 400, `${hash}: the book selector is cut off`)
      }
      // on the overview (the last page: a backtest's), each chart is drawn at its card's width: its labels at their
      // size (11 px, not a 1000 px drawing scaled down to 6), its latest session on the screen, not scrolled out of it
      // (a chart drawn again for its card's width is drawn in the frame after the one that laid the card out)
      await nextFrames(narrow)
      for (const id of ["equity-chart", "drawdown-chart"]) {
        const chart = await narrow.$eval(`#${id}`, (svg) => {
          const card = svg.closest(".card")!
          const texts = [...svg.querySelectorAll("text")].map((t) => t.getBoundingClientRect())
          return {
            scrolls: card.scrollWidth > card.clientWidth, right: svg.getBoundingClientRect().right,
            smallest: Math.min(...texts.map((t) => t.height)), rightmost: Math.max(...texts.map((t) => t.right)),
            last: svg.getAttribute("data-dates")!.split(",").at(-1), labels: [...svg.querySelectorAll("text")].map((t) => t.textContent)
          }
        })
        assert.isFalse(chart.scrolls, `${id} scrolls inside its card`)
        assert.isAtMost(chart.right, 400, `${id} is cut off`)
        assert.isAtLeast(chart.smallest, 10, `${id}'s labels are too small to read`)
        assert.isAtMost(chart.rightmost, 400, `${id}'s last label is off the screen`)
        assert.include(chart.labels, chart.last, `${id} does not name its latest session`)
      }
      // no two labels of a chart overlap; a window made wider draws the charts again at its width, not scaled up
      const overlaps = () => narrow.$$eval("#equity-chart text, #drawdown-chart text", (texts) => {
        const boxes = texts.map((t) => [t.textContent, t.getBoundingClientRect()] as const)
        return boxes.flatMap(([a, r], i) => boxes.slice(i + 1).filter(([, q]) => r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom).map(([b]) => `${a} × ${b}`))
      })
      assert.deepStrictEqual(await overlaps(), [])
      await narrow.setViewportSize({ width: 900, height: 800 })
      await nextFrames(narrow)
      const wide = await narrow.$eval("#equity-chart", (svg) => [svg.getBoundingClientRect().width, Number(svg.getAttribute("viewBox")!.split(" ")[2])])
      assert.isAbove(wide[0]!, 700)
      assert.closeTo(wide[0]!, wide[1]!, 1, "the chart is scaled, not drawn at its width")
      assert.deepStrictEqual(await overlaps(), [])
      await narrow.screenshot({ path: join(SCREENSHOTS, "narrow.png"), fullPage: true })
      // a run's pitches: each thesis across the card, not squeezed to a word a line beside seven other columns
      await narrow.setViewportSize({ width: 400, height: 800 })
      await narrow.goto(`${server.url}/#/runs/${home.llmRunId}`)
      await narrow.waitForSelector("#pitches ul.thesis li")
      const pitches = await narrow.$eval("#pitches", (table) => {
        const card = table.closest(".card")!
        return { scrolls: card.scrollWidth > card.clientWidth, card: card.clientWidth, theses: [...table.querySelectorAll("ul.thesis")].map((ul) => ul.getBoundingClientRect().width) }
      })
      assert.isFalse(pitches.scrolls, "the pitches scroll sideways")
      assert.isNotEmpty(pitches.theses)
      for (const width of pitches.theses) assert.isAbove(width, pitches.card * 0.8, "a thesis is squeezed into a narrow column")
      await narrow.screenshot({ path: join(SCREENSHOTS, "narrow-run.png"), fullPage: true })
      assert.deepStrictEqual(narrowProblems, [])
    } finally {
      await narrow.close()
    }
  })

  it("leaves a page whose answer was still arriving with no page error: the runs' list cut off mid-body by the next navigation", async () => {
    // what the narrow window's walk met once under load: it went on to the next page while the runs page's answer,
    // its headers in, was still being read; the read cut off by the navigation made a null list of it
    const proxy = await stallingProxy(server.url, (path) => path.startsWith("/api/runs?limit=100"))
    const slow = await browser.newPage()
    const slowProblems: Array<string> = []
    collectProblems(slow, slowProblems)
    try {
      await slow.goto(`${proxy.url}/#/runs/${home.llmRunId}`)
      await slow.waitForSelector("#llm-costs")
      const cut = slow.waitForEvent("requestfailed", (request) => new URL(request.url()).pathname === "/api/runs")
      await slow.evaluate(`location.hash = "#/runs"`)
      await proxy.stalled()
      await slow.evaluate(`location.hash = "#/backtests"`)
      // the list's body was cut off by the navigation, half of it read: the state this test is about
      assert.match((await cut).failure()?.errorText ?? "", /ABORTED/)
      await slow.waitForSelector("#backtests")
      // what the runs page left to do once it was left (a timer) has run by then
      await slow.evaluate("new Promise((done) => setTimeout(done))")
      await nextFrames(slow)
      assert.strictEqual(await slow.textContent("#view h1"), "Backtests")
      assert.deepStrictEqual(slowProblems, [])
    } finally {
      await slow.close()
      await proxy.close()
    }
  })
})

type Rgb = readonly [number, number, number]
const linear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
const rgbOf = (hex: string): Rgb => [1, 3, 5].map((i) => linear(parseInt(hex.slice(i, i + 2), 16) / 255)) as unknown as Rgb
/** CIELAB (D65) of linear RGB. */
const lab = (color: string | Rgb): Rgb => {
  const [r, g, b] = typeof color === "string" ? rgbOf(color) : color
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116)
  const [x, y, z] = [(r * 0.4124 + g * 0.3576 + b * 0.1805) / 0.95047, r * 0.2126 + g * 0.7152 + b * 0.0722, (r * 0.0193 + g * 0.1192 + b * 0.9505) / 1.08883]
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))]
}
/** CIE76 colour difference: ~2.3 is just noticeable; lines a reader must tell apart want tens. */
const deltaE = (p: Rgb, q: Rgb) => Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2])
/** A colour as a reader with deuteranopia sees it (Machado, Oliveira & Fernandes 2009, severity 1), linear RGB. */
const deuteranopia = (hex: string): Rgb => {
  const [r, g, b] = rgbOf(hex)
  const clamp = (v: number) => Math.min(1, Math.max(0, v))
  return [clamp(0.367322 * r + 0.860646 * g - 0.227968 * b), clamp(0.280085 * r + 0.672501 * g + 0.047413 * b), clamp(-0.01182 * r + 0.04294 * g + 0.968881 * b)]
}

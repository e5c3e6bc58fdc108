import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import type { Browser, Page } from "playwright-core"
import { DamagedRunSummary, RunDetail, RunSummary } from "@council/api"
import { LlmCosts, Standings } from "@council/tracking"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { ACCOUNTS } from "../../../packages/tracking/test/fixtures/SimulatedBook.ts"
import { BACKTEST, collectProblems, LLM_DAY, type MonitorHome, openDashboard, prepareHome, type ServerProcess, withoutSnapshots } from "./MonitorHome.ts"

/** Where the test leaves its screenshots, to look at. */
export const SCREENSHOTS = join(tmpdir(), "council-dashboard")


let home: MonitorHome
let server: ServerProcess
let browser: Browser
let page: Page
const problems: Array<string> = []
const requests: Array<string> = []

beforeAll(async () => {
  home = await prepareHome(40)
  ;({ server, browser, page } = await openDashboard(home.home, problems))
  page.on("request", (request) => requests.push(request.url()))
}, 90_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const STAGES = ["Reconcile", "FetchData", "PmPitches", "PeerReview", "CouncilSynthesis", "RiskApproval", "Execution"]

/** "$1,234.56" as a number. */
const dollars = (text: string | null | undefined): number => Number(String(text).replace(/[$,]/g, ""))

/** Asserts that `text` shows `value` to the digits it prints (half a unit of its last digit). */
const showsDollars = (text: string | null | undefined, value: number, what = "") => {
  const digits = /\.(\d+)$/.exec(String(text))?.[1]?.length ?? 0
  assert.closeTo(dollars(text), value, 0.5 * 10 ** -digits + 1e-12, `${what} ${text}`)
}

interface Drawn {
  readonly date: string
  readonly value: number
  /** The value one pixel stands for: the drawing's resolution. */
  readonly pixelValue: number
}

/** The values a polyline draws, read back through the chart's own scale (see `lineChart` in app.js). */
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

/** An answer of `/api/leaderboard`, read as the API declares it. */
const leaderboardOf = Schema.decodeUnknownSync(Standings.LeaderboardReport)
/** An answer of `/api/equity`, read as the API declares it. */
const equityOf = Schema.decodeUnknownSync(Standings.EquityReport)
/** An answer of `/api/runs`, read as the API declares it. */
const runsOf = Schema.decodeUnknownSync(Schema.Array(Schema.Union([RunSummary, DamagedRunSummary])))
/** An answer of `/api/runs/:id`, read as the API declares it. */
const runDetailOf = Schema.decodeUnknownSync(RunDetail)

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
    assert.match(verdict ?? "", /SPY at 95 % over 39 sessions/)
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
    const api = equityOf(await (await fetch(`${server.url}/api/equity`)).json())
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

  it("says below the leaderboard when sessions of its span have no snapshot, in the API's words, and nothing when every one has", async () => {
    await page.goto("about:blank")
    await page.goto(`${server.url}/#/`)
    await page.waitForSelector("#leaderboard")
    assert.isNull(await page.$("#unrecorded"))
    await withoutSnapshots(home.home, 10, 2, async () => {
      const unrecorded = leaderboardOf(await (await fetch(`${server.url}/api/leaderboard`)).json()).unrecordedSessions!
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
    const board = leaderboardOf(await (await fetch(`${server.url}/api/leaderboard`)).json())
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
      const board = leaderboardOf(await (await fetch(`${server.url}/api/leaderboard`)).json())
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
      const board = leaderboardOf(await (await fetch(`${server.url}/api/leaderboard`)).json())
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
      const run = runDetailOf(await (await fetch(`${server.url}/api/runs/${home.llmRunId}`)).json()).llmCosts!
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
      const series = equityOf(await (await fetch(`${server.url}/api/equity?account=CLAUDE`)).json()).accounts[0]!.points
      assert.deepStrictEqual(series.filter((p) => p.llmCostEstimated).map((p) => p.date), [LLM_DAY])
      const table = (await cliInProcess(home.home, ["equity", "--account", "claude"])).stdout.split("\n")
      assert.deepStrictEqual(table.filter((l) => l.includes("≈$")).map((l) => l.split(/\s+/)[1]), [LLM_DAY])
      assert.include(table, LlmCosts.ESTIMATE_NOTE)
      // and the list of runs: what runs prints, with the same mark
      const listed = (await cliInProcess(home.home, ["runs"])).stdout.split("\n").find((l) => l.startsWith(home.llmRunId))!
      const cost = listed.trim().split(/\s+/).at(-1)!
      assert.match(cost, /^≈\$/)
      const summary = runsOf(await (await fetch(`${server.url}/api/runs`)).json()).find((r) => r.id === home.llmRunId)!
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

  it("opens a run's detail from the timeline: stages, pitches, peer review, decision, verdicts and execution", async () => {
    await page.goto(server.url)
    await page.click(`#runs a[href="#/runs/${home.runId}"]`)
    await page.waitForSelector("#stages")
    assert.strictEqual(await page.textContent("#run-title"), `Run ${home.runId}`)
    const stages = await page.$$eval("#stages tbody tr", (trs) => trs.map((tr) => [tr.children[0]!.textContent, tr.children[1]!.textContent]))
    assert.deepStrictEqual(stages, STAGES.map((s) => [s, "completed"]))
    assert.isAbove(await page.$$eval("#pitches tbody tr", (trs) => trs.length), 0)
    assert.strictEqual(await page.$$eval("#ballots tbody tr", (trs) => trs.length), 5)
    assert.match(await page.textContent("#shadow-verdict") ?? "", /^agrees/)
    assert.deepStrictEqual(await page.$$eval("#execution tbody tr", (trs) => trs.map((tr) => tr.children[0]!.textContent)), [...ACCOUNTS])
    await page.screenshot({ path: join(SCREENSHOTS, "run.png"), fullPage: true })
    assert.deepStrictEqual(problems, [])
  })

  it("lists a run that does not read back in the timeline as damaged, saying what is wrong, beside the other runs", async () => {
    const db = new DatabaseSync(join(home.home, "council.db"))
    db.prepare("UPDATE runs SET status = 'bogus' WHERE id = ?").run(home.runId)
    try {
      await page.goto(`${server.url}/#/runs`)
      await page.waitForSelector(`#runs tr[data-run="${home.llmRunId}"] .bar span`)
      const damaged = await page.$eval(`#runs tr.damaged[data-run="${home.runId}"]`, (tr) => tr.textContent ?? "")
      assert.match(damaged, new RegExp(`damagedrun ${home.runId}: stored data does not decode: Expected "running"`))
      assert.deepStrictEqual(problems, [])
    } finally {
      db.prepare("UPDATE runs SET status = 'completed' WHERE id = ?").run(home.runId)
      db.close()
    }
  })

  it("marks a run whose checkpoint's stored output is gone as damaged in the timeline, saying what is wrong, not as completed", async () => {
    const db = new DatabaseSync(join(home.home, "council.db"))
    const stage = "PmPitches"
    const { output_hash: kept } = db.prepare("SELECT output_hash FROM checkpoints WHERE run_id = ? AND stage = ?").get(home.runId, stage) as { output_hash: Uint8Array }
    db.prepare("UPDATE checkpoints SET output_hash = ? WHERE run_id = ? AND stage = ?").run(new Uint8Array(32).fill(7), home.runId, stage)
    const before = problems.length
    try {
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/runs`)
      await page.waitForSelector(`#runs tr[data-run="${home.llmRunId}"] .bar span`)
      const row = await page.waitForSelector(`#runs tr.damaged[data-run="${home.runId}"]`)
      const text = (await row.textContent()) ?? ""
      assert.match(text, new RegExp(`damaged.*run ${home.runId}'s checkpoint of ${stage}: stored blob 0707[0-9a-f]* is missing`))
      assert.notInclude(text, "completed")
      await page.click(`#runs a:text("${home.runId}")`)
      await page.waitForSelector("#error")
      assert.match((await page.textContent("#error")) ?? "", new RegExp(`run ${home.runId}'s checkpoint of ${stage}: stored blob 0707[0-9a-f]* is missing`))
      assert.match((await page.textContent("#error")) ?? "", /^Could not load: damaged: /)
      // the browser's own line for each 500 of that run (the API's documented answer: Damaged), and nothing else
      const seen = problems.splice(before)
      assert.isNotEmpty(seen)
      for (const line of seen) assert.match(line, /status of 500/)
    } finally {
      db.prepare("UPDATE checkpoints SET output_hash = ? WHERE run_id = ? AND stage = ?").run(kept, home.runId, stage)
      db.close()
    }
  })

  it("does not call a run damaged when its detail could not be fetched (the connection failed): the bar says why", async () => {
    const detail = (url: URL) => url.pathname === `/api/runs/${home.llmRunId}` && url.searchParams.get("outputs") === "none"
    await page.route(detail, (route) => route.abort("connectionreset"))
    const before = problems.length
    try {
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/runs`)
      const row = `#runs tr[data-run="${home.llmRunId}"]`
      await page.waitForSelector(`${row}.damaged, ${row} .bar[title]`)
      assert.isFalse(await page.$eval(row, (tr) => tr.classList.contains("damaged")), "a run whose detail did not arrive is called damaged")
      assert.notInclude((await page.textContent(row)) ?? "", "damaged")
      assert.match((await page.getAttribute(`${row} .bar`, "title")) ?? "", /^stages not loaded: /)
      // the browser's own line for the failed request, and nothing else
      const seen = problems.splice(before)
      for (const line of seen) assert.match(line, /ERR_CONNECTION_RESET/)
    } finally {
      await page.unroute(detail)
    }
  })

  it("does not call runs damaged when the store fails (its own error, 503): their bars and the run's page say the store did not answer", async () => {
    const db = new DatabaseSync(join(home.home, "council.db"))
    db.exec("ALTER TABLE stage_recordings RENAME TO stage_recordings_away")
    const before = problems.length
    try {
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/runs`)
      const row = `#runs tr[data-run="${home.runId}"]`
      await page.waitForSelector(`${row}.damaged, ${row} .bar[title]`)
      assert.isFalse(await page.$eval(row, (tr) => tr.classList.contains("damaged")), "a run the store could not read now is called damaged")
      assert.notInclude((await page.textContent("#runs")) ?? "", "damaged")
      assert.strictEqual(await page.getAttribute(`${row} .bar`, "title"), "stages not loaded: the store did not answer (try again): UnknownError: no such table: stage_recordings")
      await page.click(`#runs a:text("${home.runId}")`)
      assert.strictEqual(await (await page.waitForSelector("#error")).textContent(), "Could not load: the store did not answer (try again): UnknownError: no such table: stage_recordings")
      const seen = problems.splice(before)
      assert.isNotEmpty(seen)
      for (const line of seen) assert.match(line, /status of 503/)
    } finally {
      db.exec("ALTER TABLE stage_recordings_away RENAME TO stage_recordings")
      db.close()
    }
  })

  it("says what is wrong with an address it cannot decode (a run id cut in the middle of a %-escape), not 'Loading…' for ever", async () => {
    const before = problems.length
    await page.goto("about:blank")
    await page.goto(`${server.url}/#/runs/run-%E0%A4`)
    assert.strictEqual(await (await page.waitForSelector("#error")).textContent(), "Could not load: URI malformed")
    assert.deepStrictEqual(problems.splice(before), [])
  })

  it("shows the LLM council's run: the Borda count and each ranking, the chairman's decision beside the mechanical vote, and the costs per PM and stage of the API", async () => {
    const api = runDetailOf(await (await fetch(`${server.url}/api/runs/${home.llmRunId}`)).json())
    const reviews = api.reviews!, costs = api.llmCosts!
    await page.goto(`${server.url}/#/runs/${home.llmRunId}`)
    await page.waitForSelector("#llm-costs")
    const borda = await page.$$eval("#borda tbody tr", (trs) => trs.map((tr) => [tr.children[1]!.textContent, Number(tr.children[2]!.textContent)]))
    assert.deepStrictEqual(borda, reviews.aggregate.map((a) => [a.pm, a.points]))
    const ballots = await page.$$eval("#ballots tbody tr", (trs) => trs.map((tr) => [tr.children[0]!.textContent, tr.children[1]!.firstChild!.textContent]))
    assert.deepStrictEqual(ballots, reviews.ballots.map((b) => [b.reviewer, b.ranking.join(" › ")]))
    assert.match(await page.textContent("#decision .trades") ?? "", /^LONG TLT \(conviction 1/)
    assert.match(await page.textContent("#shadow .trades") ?? "", /^LONG QQQ /)
    assert.match(await page.textContent("#shadow-verdict") ?? "", /^differs/)
    const rows = await page.$$eval("#llm-costs tbody tr", (trs) => trs.map((tr) => ({
      actor: tr.getAttribute("data-actor")!,
      cells: [...tr.querySelectorAll("td[data-stage]")].map((td) => [td.getAttribute("data-stage")!, td.firstChild!.textContent!] as const),
      total: tr.querySelector(".total")!.textContent!
    })))
    assert.deepStrictEqual(rows.map((r) => r.actor), ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "CHAIRMAN"])
    for (const row of rows) {
      const lines = costs.lines.filter((l) => l.actor === row.actor)
      assert.deepStrictEqual(row.cells.map(([stage]) => stage), lines.map((l) => l.stage))
      row.cells.forEach(([stage, text]) => showsDollars(text, lines.find((l) => l.stage === stage)!.costUsd, `${row.actor} ${stage}`))
      showsDollars(row.total, costs.byActor.find((a) => a.actor === row.actor)!.costUsd, row.actor)
    }
    showsDollars(await page.textContent("#llm-total"), costs.totalUsd, "total")
    await page.screenshot({ path: join(SCREENSHOTS, "run-llm.png"), fullPage: true })
    assert.deepStrictEqual(problems, [])
  })

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
    const contest = leaderboardOf(await (await fetch(`${server.url}/api/leaderboard?backtest=${BACKTEST}`)).json()).contest!
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

  it("fits a narrow window (400 px): no page scrolls sideways; a wide table or chart scrolls inside its card, the book selector wraps", async () => {
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
      // on the overview (the last page: a backtest's), the chart is wider than its card and scrolls in it, its labels legible
      const chart = await narrow.$eval("#equity-chart", (svg) => ({
        card: svg.closest(".card")!.clientWidth, width: svg.getBoundingClientRect().width,
        label: svg.querySelector("text")!.getBoundingClientRect().height
      }))
      assert.isAbove(chart.width, chart.card)
      assert.isAtLeast(chart.label, 6, "the chart's tick labels are too small to read")
      await narrow.screenshot({ path: join(SCREENSHOTS, "narrow.png"), fullPage: true })
      assert.deepStrictEqual(narrowProblems, [])
    } finally {
      await narrow.close()
    }
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

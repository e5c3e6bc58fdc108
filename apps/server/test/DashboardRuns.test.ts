import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { assert, describe, it } from "@effect/vitest"
import { ACCOUNTS } from "../../../packages/tracking/test/fixtures/SimulatedBook.ts"
import { home, page, problems, rewriteAnswers, runDetailOf, SCREENSHOTS, server, showsDollars, useDashboard } from "./DashboardPage.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { fetchFresh } from "./MonitorHome.ts"

useDashboard(40)

const STAGES = ["Reconcile", "FetchData", "PmPitches", "PeerReview", "CouncilSynthesis", "RiskApproval", "Execution"]

describe("dashboard in Chromium", () => {
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

  it("shows each account's equity in the execution table as `run daily`'s table does: its Reconcile reading, in cents", async () => {
    // the day again: already ran, so `run daily` places nothing and prints the run's table, equity from Reconcile
    const again = await cliInProcess(home.home, ["run", "daily"])
    assert.strictEqual(again.code, 0, again.stderr)
    assert.include(again.stdout, home.runId)
    const lines = again.stdout.split("\n")
    const header = lines.findIndex((l) => /^ACCOUNT\s+STATUS\s+PLACED\s+FAILED\s+EQUITY\s+NOTE/.test(l))
    assert.isAbove(header, -1, again.stdout)
    const at = lines[header]!.indexOf("EQUITY"), to = lines[header]!.indexOf("NOTE")
    const cli = Object.fromEntries(lines.slice(header + 2).filter((l) => /^[A-Z]+\s/.test(l)).map((l): [string, string] => [l.split(/\s+/)[0]!, l.slice(at, to).trim()]))
    assert.sameMembers(Object.keys(cli), [...ACCOUNTS])
    for (const written of Object.values(cli)) assert.match(written, /^\$[\d,]+\.\d\d$/, again.stdout)
    await page.goto(`${server.url}/#/runs/${home.runId}`)
    await page.waitForSelector("#execution tbody tr")
    const columns = await page.$$eval("#execution thead th", (ths) => ths.map((th) => th.textContent))
    const shown = await page.$$eval("#execution tbody tr", (trs, column) => trs.map((tr) => [tr.children[0]!.textContent, tr.children[column]!.textContent]), columns.indexOf("Equity"))
    assert.deepStrictEqual(Object.fromEntries(shown), cli)
    assert.deepStrictEqual(problems, [])
  })

  it("says — for an account whose run read no equity (neither its execution nor its Reconcile stage)", async () => {
    // the run's answer with GROQ's Reconcile reading taken out, as a run whose broker did not answer it has none
    const detail = (url: URL) => url.pathname === `/api/runs/${home.runId}` && url.searchParams.get("outputs") === null
    const restore = await rewriteAnswers(detail, (body: { outputs: { Reconcile: { accounts: Array<{ account: string; equity: number | null }> } } }) => {
      for (const a of body.outputs.Reconcile.accounts) if (a.account === "GROQ") a.equity = null
    })
    try {
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/runs/${home.runId}`)
      await page.waitForSelector("#execution tbody tr")
      const cells = await page.$$eval("#execution tbody tr", (trs) => Object.fromEntries(trs.map((tr) => [tr.children[0]!.textContent, tr.querySelector(".equity")!.textContent])))
      assert.strictEqual(cells["GROQ"], "—")
      assert.match(cells["COUNCIL"]!, /^\$[\d,]+\.\d\d$/)
    } finally {
      await restore()
    }
    assert.deepStrictEqual(problems, [])
  })

  it("keeps a keyboard user's place: a run opened with Enter leaves the focus on its title, and Tab goes on into the run's page", async () => {
    await page.goto("about:blank")
    await page.goto(`${server.url}/#/`)
    await page.waitForSelector(`#runs a[href="#/runs/${home.runId}"]`)
    await page.focus(`#runs a[href="#/runs/${home.runId}"]`)
    await page.keyboard.press("Enter")
    await page.waitForSelector(`#run-title:text-is("Run ${home.runId}")`)
    await page.waitForSelector("#run-title:focus")
    await page.keyboard.press("Tab")
    assert.isNotNull(await page.$("#view :focus"), "Tab went back to the top of the page")
    // back to the overview: its title holds the focus
    await page.goBack()
    await page.waitForSelector("#view h1:text-is('Live book')")
    await page.waitForSelector("#view h1:focus")
    assert.deepStrictEqual(problems, [])
  })

  it("says a run the address names that the server does not hold is unknown, on the page and with no 404 in the console", async () => {
    const before = problems.length
    for (const id of ["nope", "2025-06-02-ffffffff"]) {
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/runs/${id}`)
      const said = await page.waitForSelector("#unknown-run")
      assert.strictEqual(await said.textContent(), `There is no run “${id}” on this server (a mistyped or stale link?). All runs →`)
      assert.strictEqual(await page.textContent("h1"), "Unknown run")
    }
    // a run it holds still opens
    await page.goto(`${server.url}/#/runs/${home.runId}`)
    await page.waitForSelector(`#run-title:text-is("Run ${home.runId}")`)
    assert.deepStrictEqual(problems.slice(before), [])
  })

  it("says the timeline's and the backtests' times are UTC, as runs and backtests head them, each the API's instant", async () => {
    const api = await (await fetchFresh(`${server.url}/api/runs?limit=100`)).json() as ReadonlyArray<{ id: string; startedAt: string }>
    await page.goto("about:blank")
    await page.goto(`${server.url}/#/runs`)
    await page.waitForSelector("#runs tbody tr")
    const heads = await page.$$eval("#runs thead th", (ths) => ths.map((th) => th.textContent))
    const column = heads.indexOf("Started (UTC)")
    assert.isAtLeast(column, 0, heads.join(" | "))
    const shown = await page.$$eval("#runs tbody tr", (trs, i) => trs.map((tr) => [tr.getAttribute("data-run"), tr.children[i]!.textContent]), column)
    for (const [id, text] of shown) {
      const started = api.find((r) => r.id === id)!.startedAt
      assert.strictEqual(new Date(`${text!.replace(" ", "T")}Z`).getTime(), Math.floor(Date.parse(started) / 1000) * 1000, `${id}: ${text} is not ${started} in UTC`)
    }
    await page.goto(`${server.url}/#/backtests`)
    await page.waitForSelector("#backtests tbody tr")
    assert.include(await page.$$eval("#backtests thead th", (ths) => ths.map((th) => th.textContent)), "Created (UTC)")
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
    const api = runDetailOf(await (await fetchFresh(`${server.url}/api/runs/${home.llmRunId}`)).json())
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
})

import { spawn } from "node:child_process"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Browser, Page } from "playwright-core"
import { bin, tempHome } from "../../cli/test/CliHarness.ts"
import { failedAccountRun, keyRefusedFork } from "../../cli/test/FailedAccountRun.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { openDashboard, type ServerProcess } from "./MonitorHome.ts"

/**
 * What a user meets on the dashboard after a day whose accounts failed and a backtest stopped part-way: the run that
 * `run daily` ended with exit 1 is `completed` (every stage ran), so its page and the timeline name the accounts that
 * failed; a backtest that did not complete says so, and how to continue it, where its numbers are shown.
 */

const home = join(tempHome(), "home")
let server: ServerProcess
let browser: Browser
let page: Page
const problems: Array<string> = []
let parent = ""
let failing = ""
let refused = ""
let interrupted = ""
let awaiting = ""
let completed = ""

/** `backtest` in a process of its own, stopped by SIGINT once it reports 25 sessions done; resolves with its book's id. */
const interruptedBacktest = () =>
  new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "backtest", "--from", "2024-01-02", "--to", "2024-12-31"], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home }
    })
    let stderr = ""
    let sent = false
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
      const done = [...stderr.matchAll(/\] (\d+)\/\d+ /g)].map((m) => Number(m[1]))
      if (!sent && done.some((n) => n >= 25)) sent = child.kill("SIGINT")
    })
    child.on("close", (code) => {
      const id = /backtest (bt-\S+) interrupted; continue it with: pnpm pipeline backtest --resume \1/.exec(stderr)?.[1]
      return code === 130 && id !== undefined ? resolve(id) : reject(new Error(`backtest exited ${code}:\n${stderr}`))
    })
  })

beforeAll(async () => {
  ;({ parent, failing } = await failedAccountRun(home))
  refused = await keyRefusedFork(home, parent)
  const waiting = await cliInProcess(home, ["run", "daily", "--date", "2026-06-08", "--require-approval"])
  assert.strictEqual(waiting.code, 0, waiting.stderr)
  awaiting = /^run (\S+) · awaiting approval/m.exec(waiting.stdout)?.[1] ?? ""
  interrupted = await interruptedBacktest()
  const done = await cliInProcess(home, ["backtest", "--from", "2024-01-02", "--to", "2024-01-31"])
  assert.strictEqual(done.code, 0, done.stderr)
  completed = /^(bt-\S+)\s+completed\s/m.exec(done.stdout)?.[1] ?? ""
  ;({ server, browser, page } = await openDashboard(home, problems, { width: 1440, height: 900 }))
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** Opens the overview of backtest `id` (titled by backtest `shown`) and waits until its leaderboard shows. */
const overviewOf = async (id: string, shown = id) => {
  await page.goto(`${server.url}/#/?backtest=${id}`)
  await page.waitForSelector(`h1:text-is("Backtest ${shown}")`)
  await page.waitForSelector("#leaderboard")
}

describe("the dashboard on unfinished work", () => {
  it("names the accounts a run failed, in the timeline and on the run's page; a run without failures says nothing; one awaiting approval says how to approve it", async () => {
    await page.goto(`${server.url}/#/runs`)
    const row = `tr[data-run="${failing}"]`
    await page.waitForSelector(`${row} .failed-accounts`)
    assert.strictEqual(await page.$eval(`${row} .failed-accounts`, (e) => e.textContent?.trim()), "1 of 1 account failed: CLAUDE")
    assert.include(await page.$eval(`${row} .failed-accounts`, (e) => e.getAttribute("title")), "pnpm pipeline run daily --date 2026-06-05")
    await page.waitForSelector(`tr[data-run="${parent}"] .bar span`)
    assert.isNull(await page.$(`tr[data-run="${parent}"] .failed-accounts`))
    // an account whose key the broker refused: running the day again cannot help until the key is fixed
    const refusedTitle = await page.$eval(`tr[data-run="${refused}"] .failed-accounts`, (e) => e.getAttribute("title"))
    assert.strictEqual(
      refusedTitle,
      "the broker refused the key of CLAUDE: fix it (the run's execution message names its variables), then run the day again: pnpm pipeline run daily --date 2026-06-05"
    )
    assert.match(await page.$eval(`${row} .failed-accounts`, (e) => e.getAttribute("title")) ?? "", /^run the day again to retry it: /)

    await page.goto(`${server.url}/#/runs/${failing}`)
    await page.waitForSelector("#run-status")
    assert.include(await page.$eval("#run-status", (e) => e.textContent), "completed 1 of 1 account failed: CLAUDE")
    await page.goto(`${server.url}/#/runs/${parent}`)
    await page.waitForSelector(`#run-title:text-is("Run ${parent}")`)
    assert.strictEqual(await page.$eval("#run-status", (e) => e.textContent?.trim()), "completed")
    await page.goto(`${server.url}/#/runs/${awaiting}`)
    await page.waitForSelector(`#run-title:text-is("Run ${awaiting}")`)
    assert.strictEqual(await page.$eval("#run-status", (e) => e.textContent?.trim()),
      `awaiting-approval — send its orders with: pnpm pipeline approve ${awaiting} (or end the day with --reject)`)
    assert.deepStrictEqual(problems, [])
  })

  it("on a server without COUNCIL_API_TOKEN offers no change it would refuse: the panic button and an approval say why and name the command, with no token field", async () => {
    await page.setViewportSize({ width: 1440, height: 900 })
    await page.goto("about:blank")
    await page.goto(`${server.url}/#/`)
    const panic = await (await page.waitForSelector("#close-all")).textContent()
    assert.match(panic ?? "", /^The panic button is disabled on this server: it was started without COUNCIL_API_TOKEN.*pnpm pipeline close-all/)
    await page.goto(`${server.url}/#/runs/${awaiting}`)
    const approval = await (await page.waitForSelector("#approval")).textContent()
    assert.include(approval, `pnpm pipeline approve ${awaiting}`)
    assert.include(approval, "disabled on this server")
    // nothing to type a token into, no button that can only be refused, and so no refusal in the console
    assert.strictEqual(await page.locator("input[type=password], #close-all button, #approval button").count(), 0)
    await page.goto(`${server.url}/#/`)
    await page.waitForSelector("#close-all")
    assert.strictEqual(await page.locator("input[type=password], #close-all button").count(), 0)
    assert.deepStrictEqual(problems, [])
  })

  it("says on a backtest's overview and in the list that it was interrupted and how to continue it; a completed one says nothing", async () => {
    const resume = `pnpm pipeline backtest --resume ${interrupted}`
    for (const width of [375, 1440]) {
      await page.setViewportSize({ width, height: 900 })
      await page.goto(`${server.url}/#/backtests`)
      await page.waitForSelector("#backtests")
      const rows = await page.$$eval("#backtests tbody tr", (trs) => trs.map((tr) => tr.children[1]?.textContent ?? ""))
      assert.deepStrictEqual(rows, ["completed", `interrupted${`continue it with: ${resume}`}`])
      assert.isAtMost(await page.$eval("html", (html) => html.scrollWidth), width, "the page scrolls sideways")
      // a wide window shows the whole list, its report links included; a narrow one scrolls it inside its card
      const card = await page.$eval("#backtests", (table) => [table.parentElement!.scrollWidth, table.parentElement!.clientWidth])
      if (width === 1440) assert.isAtMost(card[0]!, card[1]!, "the list of backtests overflows its card")

      await overviewOf(interrupted)
      const notice = await page.$eval("#book-status", (e) => e.textContent ?? "")
      assert.match(notice, /^This backtest is interrupted: \d+ of the sessions from 2024-01-02 to 2024-12-31 recorded so far/)
      assert.include(notice, `Continue it with: ${resume}`)
      assert.isAtMost(await page.$eval("html", (html) => html.scrollWidth), width, "the page scrolls sideways")

      // `latest` is titled by the backtest it stands for (the newest), as `leaderboard --backtest latest` names it
      for (const id of [completed, "latest"]) {
        await overviewOf(id, completed)
        assert.isNull(await page.$("#book-status"), id)
      }
    }
    assert.deepStrictEqual(problems, [])
  })

  it("says at the top of an interrupted backtest's report page what it holds and how to continue it; a completed one's says nothing", async () => {
    await page.setViewportSize({ width: 1440, height: 900 })
    await page.goto(`${server.url}/backtests/${interrupted}/report.html`)
    const note = await page.$eval("#book-status", (e) => e.textContent ?? "")
    assert.match(note, /^This backtest is interrupted: \d+ sessions recorded \(2024-01-02 … 2024-\d\d-\d\d\) of 2024-01-02 … 2024-12-31; every figure below covers those alone\./)
    assert.include(note, `Continue it with: pnpm pipeline backtest --resume ${interrupted}`)
    for (const id of [completed, "live"]) {
      await page.goto(`${server.url}/backtests/${id}/report.html`)
      await page.waitForSelector("h1")
      assert.isNull(await page.$("#book-status"), id)
    }
    assert.deepStrictEqual(problems, [])
  })

  it("opens the OpenAPI document from the dashboard's footer with no console error (no icon is no error)", async () => {
    await page.goto(`${server.url}/#/backtests`)
    await page.waitForSelector("#backtests")
    await Promise.all([page.waitForNavigation(), page.click("footer a[href='/openapi.json']")])
    await page.waitForLoadState("networkidle")
    assert.include(await page.content(), "/api/runs")
    assert.deepStrictEqual(problems, [])
  })
})

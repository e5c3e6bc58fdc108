import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Browser, Page } from "playwright-core"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { openDashboard, type ServerProcess, startServer } from "./MonitorHome.ts"

/**
 * A new user's dashboard (a fresh home: no run, no backtest, no equity) and how it gets around: each view says what
 * it has not got yet, an address it has no page for says so, back and forward go through the views visited, and a
 * server stopped and started again under the open page is said as such, then shown again on a click. A real
 * `pnpm pipeline serve` and Chromium.
 */

const home = join(tempHome(), "home")
let server: ServerProcess
let browser: Browser
let page: Page
const problems: Array<string> = []

beforeAll(async () => {
  ;({ server, browser, page } = await openDashboard(home, problems, { width: 1360, height: 900 }))
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const heading = () => page.textContent("#view h1")
/** Resolves once the view's heading is `title`. */
const headed = (title: string) => page.waitForSelector(`#view h1:text-is("${title}")`)

describe("a fresh home's dashboard", () => {
  it("says on each view what is not there yet, with no console error", async () => {
    await page.goto(`${server.url}/#/`)
    await page.waitForSelector("#runs, #view .empty")
    await page.waitForSelector("#view .loading", { state: "detached" })
    assert.strictEqual(await page.textContent("#verdict, #view .verdict"), "no equity recorded in book live yet — record a session's with: pnpm pipeline run daily (or pnpm pipeline reconcile)")
    assert.deepStrictEqual(await page.$$eval("#view .empty", (ps) => ps.map((p) => p.textContent)), [
      "no run yet — start one with: pnpm pipeline run daily", "nothing recorded yet", "nothing recorded yet", "no runs yet — start one with: pnpm pipeline run daily"
    ])
    await page.click("nav >> text=Runs")
    // the overview's own "nothing recorded yet" stays on the page until the runs arrive: the heading says they did
    await headed("Runs")
    assert.strictEqual(await page.textContent("#view .empty"), "no runs yet — start one with: pnpm pipeline run daily")
    await page.click("nav >> text=Backtests")
    await headed("Backtests")
    await page.waitForSelector("#view .empty")
    assert.strictEqual(await page.textContent("#view .empty"), "no backtests yet")
    assert.deepStrictEqual(problems, [])
  })

  it("says an address it has no page for is no page, with links to those it has, and goes back and forward through the views visited", async () => {
    await page.goto(`${server.url}/#/runs`)
    await headed("Runs")
    await page.evaluate(`location.hash = "#/run/2026-06-05-8e7a2d64"`)
    await page.waitForSelector("#not-found")
    assert.strictEqual(await heading(), "No such page")
    assert.include(await page.textContent("#not-found"), "no page “#/run/2026-06-05-8e7a2d64”")
    assert.deepStrictEqual(await page.$$eval("#not-found a", (as) => as.map((a) => a.getAttribute("href"))), ["#/", "#/runs", "#/backtests"])
    await page.click("#not-found >> text=Backtests →")
    await headed("Backtests")
    await page.goBack()
    await page.waitForSelector("#not-found")
    await page.goBack()
    await headed("Runs")
    await page.goForward()
    await page.waitForSelector("#not-found")
    await page.goForward()
    await headed("Backtests")
    assert.deepStrictEqual(problems, [])
  })

  it("says the server did not answer when it stopped under the open page, and shows the view again on a click once it is back", async () => {
    await page.goto(`${server.url}/#/backtests`)
    await page.waitForSelector("#view .empty")
    const port = new URL(server.url).port
    await server.stop()
    await page.click("nav >> text=Runs")
    await page.waitForSelector("#error")
    assert.strictEqual(await page.textContent("#error"), "Could not load: the monitor server did not answer (stopped, or restarting?): try again once pnpm pipeline serve is back")
    server = await startServer(home, {}, ["--port", port])
    await page.click("#view button.retry")
    await headed("Runs")
    assert.strictEqual(await page.textContent("#view .empty"), "no runs yet — start one with: pnpm pipeline run daily")
    // the browser's own line for the request the stopped server did not answer, and nothing else
    for (const line of problems.splice(0)) assert.match(line, /ERR_CONNECTION_REFUSED/)
  }, 60_000)
})

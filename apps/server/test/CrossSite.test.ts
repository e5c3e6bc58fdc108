/**
 * A page of another origin, open in the user's browser, cannot make the monitor close positions: a cross-site form
 * POST (the classic CSRF) and a script's no-cors fetch reach the server without the bearer token, which only the
 * user's own clients hold, and with the page's `Origin`, and are refused (403, `SameOrigin`) before anything moves. Nor
 * can it frame the dashboard under a decoy (clickjacking), nor keep hold of a dashboard tab it opened, to send it to
 * a copy asking for the token (`SecurityHeaders`). Real Chromium, real `pnpm pipeline serve` with
 * `COUNCIL_API_TOKEN` set, the attacking page served from another port of 127.0.0.1 (another origin).
 */
import type { Server } from "node:http"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Browser } from "playwright-core"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { launchChromium, type ServerProcess, startServer, fetchFresh } from "./MonitorHome.ts"

const TOKEN = "cross-site-test-token-0123456789abcdef"

let monitor: ServerProcess
let attacker: Server
let attackerUrl: string
let browser: Browser

const attackPage = (target: string) => `<!doctype html><html><body>
<form id="f" method="POST" action="${target}/api/close-all" enctype="text/plain">
  <input type="hidden" name='{"account":"COUNCIL","pad":"' value='"}'>
</form>
<script>
  fetch("${target}/api/close-all", { method: "POST", mode: "no-cors", credentials: "include", headers: { "content-type": "text/plain" }, body: '{"account":"COUNCIL"}' })
    .catch(() => {})
    .finally(() => document.getElementById("f").submit())
</script></body></html>`

/** The dashboard and its approve button under a page of another origin (clickjacking). */
const framePage = (target: string) => `<!doctype html><html><body>
<iframe id="dashboard" src="${target}/" width="800" height="600"></iframe>
<iframe id="report" src="${target}/backtests/live/report.html" width="800" height="600"></iframe>
</body></html>`

/** A page that opens the dashboard in a tab of its own, keeping hold of it (`window.opened`) to send it elsewhere later. */
const openerPage = (target: string) => `<!doctype html><html><body>
<button id="open">open the monitor</button>
<script>document.getElementById("open").addEventListener("click", () => { window.opened = window.open("${target}/") })</script>
</body></html>`

beforeAll(async () => {
  const home = tempHome()
  const run = await cliInProcess(home, ["run", "daily", "--date", "2025-06-02"])
  if (run.code !== 0) throw new Error(run.stderr)
  ;[monitor, browser] = await Promise.all([startServer(home, { COUNCIL_API_TOKEN: TOKEN }), launchChromium()])
  const pages: Readonly<Record<string, string>> = {
    "/": attackPage(monitor.url),
    "/frame": framePage(monitor.url),
    "/opener": openerPage(monitor.url),
    "/copy": "<!doctype html><title>copy</title><p>Council monitor: enter your API token</p>"
  }
  attacker = testServer((req, res) => res.writeHead(200, { "content-type": "text/html" }).end(pages[req.url ?? "/"] ?? ""))
  await new Promise<void>((listening) => attacker.listen(0, "127.0.0.1", listening))
  const address = attacker.address()
  attackerUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/`
}, 90_000)

afterAll(async () => {
  await browser?.close()
  await monitor?.stop()
  await new Promise((closed) => attacker?.close(closed))
})

const openOrders = async () => {
  const accounts = await (await fetchFresh(`${monitor.url}/api/orders`)).json() as Array<{ readonly orders: ReadonlyArray<{ readonly id: string }> }>
  return accounts.flatMap((a) => a.orders.map((o) => o.id)).sort()
}

describe("a page of another origin", () => {
  it("cannot close positions or cancel orders: its form POST and its fetch are refused, nothing moves", async () => {
    const before = await openOrders()
    assert.isAbove(before.length, 0, "the run left open orders to cancel")
    const page = await browser.newPage()
    const answers: Array<number> = []
    page.on("response", (response) => {
      if (response.url().endsWith("/api/close-all")) answers.push(response.status())
    })
    await Promise.all([page.waitForURL(`${monitor.url}/api/close-all`), page.goto(attackerUrl)])
    assert.include(await page.textContent("body"), "a request from a page of another origin may change nothing here")
    assert.deepStrictEqual(answers.filter((s) => s !== 403), [])
    assert.isAtLeast(answers.length, 1)
    assert.deepStrictEqual(await openOrders(), before)
    assert.notInclude(monitor.output(), "close-all requested")
  })
})

describe("a page of another origin that shows the monitor", () => {
  it("cannot frame the dashboard or a report (clickjacking): Chromium shows neither, the dashboard's script never loads", async () => {
    const page = await browser.newPage()
    const asked: Array<string> = []
    page.on("request", (request) => asked.push(request.url()))
    await page.goto(`${attackerUrl}frame`)
    await page.waitForLoadState("load")
    assert.include(asked, `${monitor.url}/`, "the frame asked for the dashboard")
    assert.notInclude(asked, `${monitor.url}/app.js`, "a refused frame runs nothing")
    for (const frame of page.frames().filter((f) => f !== page.mainFrame())) {
      assert.strictEqual(await frame.evaluate(`document.querySelector("#view, #costs") === null`), true, frame.url())
    }
    await page.close()
  })

  it("that opened the dashboard keeps no hold on its tab: it cannot send it to a copy asking for the token", async () => {
    const page = await browser.newPage()
    await page.goto(`${attackerUrl}opener`)
    const [tab] = await Promise.all([page.context().waitForEvent("page"), page.click("#open")])
    await tab.waitForSelector("#view")
    // whether the opener still sees the tab, then an attempt to send it to the copy (refused or not, asked below)
    const held: unknown = await page.evaluate(`(() => {
      const closed = window.opened.closed
      try { window.opened.location.href = "${attackerUrl}copy" } catch {}
      return closed
    })()`)
    assert.strictEqual(held, true, "the opener sees the tab as closed")
    assert.strictEqual(tab.url(), `${monitor.url}/`)
    assert.notInclude(await tab.textContent("body"), "enter your API token")
    await tab.close()
    await page.close()
  })
})

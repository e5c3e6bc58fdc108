import { assert, describe, it } from "@effect/vitest"
import { runIdOf, tempHome } from "../../cli/test/CliHarness.ts"
import { configWithRefusedKey, readFault, serveExchange } from "../../cli/test/ExchangeProcess.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { fetchFresh, openDashboard } from "./MonitorHome.ts"

type Listed = ReadonlyArray<{ readonly id: string; readonly unread: unknown }>

/**
 * A day whose reconciliation could not read an account though it traded: `runs` says the day has no snapshot of it
 * and how to fill it, then "read again as R" once the day ran again — and so do `runs --json` and `/api/runs` (their
 * summaries' `unread`), the run's detail and the dashboard's run page and timeline.
 */
describe("an account no reconciliation could read, in the run's summary", () => {
  it("/api/runs, runs --json, the run's detail and its page say the day has no snapshot of it, then that it was read again", async () => {
    const served = await serveExchange(tempHome())
    const gemini = served.keys.find((k) => k.account === "GEMINI")!
    const proxy = await readFault(served.url, gemini.keyId)
    try {
      const home = tempHome()
      const env = { TRADING_ACCOUNTS_CONFIG: configWithRefusedKey(served, "none", { GEMINI: proxy.url }) }
      // the day before could not read it either: a later session's read leaves its gap for good
      const thursday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04"], env)
      assert.strictEqual(thursday.code, 0, thursday.stderr)
      const before = runIdOf(thursday.stdout)
      const friday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], env)
      assert.strictEqual(friday.code, 0, friday.stderr)
      const first = runIdOf(friday.stdout)
      const message = "the broker could not be read: GET /v2/account/activities/FILL: 403 fills are not available right now"
      const gap = `the day has no snapshot of GEMINI (${message}): \`equity\` has no point of it on 2026-06-05 and the leaderboard leaves the day out; run the day again to read it alone (nothing is placed again): pnpm pipeline run daily --date 2026-06-05`
      assert.include((await cliInProcess(home, ["runs"], env)).stdout.split("\n"), `run ${first}: ${gap}`)

      const open = [{ account: "GEMINI", message, readAgainAs: null, readLaterBy: null }]
      const cli = await cliInProcess(home, ["runs", "--json"], env)
      assert.strictEqual(cli.code, 0, cli.stderr)
      const items = JSON.parse(cli.stdout) as Listed
      assert.deepStrictEqual(items.map((r) => [r.id, r.unread]), [[first, open], [before, open]])

      const problems: Array<string> = []
      const opened = await openDashboard(home, problems)
      try {
        const { page, server } = opened
        assert.deepStrictEqual(await (await fetchFresh(`${server.url}/api/runs`)).json(), items)
        const detail = (await (await fetchFresh(`${server.url}/api/runs/${first}?outputs=none`)).json()) as { run: { unread: unknown } }
        assert.deepStrictEqual(detail.run.unread, open)
        const openapi = JSON.stringify(await (await fetchFresh(`${server.url}/openapi.json`)).json())
        assert.include(openapi, "the accounts the run's reconciliation could not read though they traded")

        await page.goto(`${server.url}/#/runs/${first}`)
        await page.waitForSelector(`#run-title:text-is("Run ${first}")`)
        await page.waitForSelector("#run-status .unread-accounts")
        assert.deepStrictEqual(await page.$$eval("#run-status .unread-accounts .unread", (es) => es.map((e) => [e.className, e.textContent])), [["neg unread", gap]])
        await page.goto(`${server.url}/#/runs`)
        await page.waitForSelector(`tr[data-run="${first}"] .unread-accounts`)
        assert.strictEqual(await page.$eval(`tr[data-run="${first}"] .unread-accounts`, (e) => e.textContent), gap)

        // the day run again after the close reads GEMINI alone: the first run's summary names that run
        proxy.failing = false
        const again = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--at", "16:30"], env)
        assert.strictEqual(again.code, 0, again.stderr)
        const retry = runIdOf(again.stdout)
        const said = `its reconciliation could not read GEMINI; read again as ${retry}`
        assert.include((await cliInProcess(home, ["runs"], env)).stdout.split("\n"), `run ${first}: ${said}`)
        const after = JSON.parse((await cliInProcess(home, ["runs", "--json"], env)).stdout) as Listed
        assert.deepStrictEqual(after.map((r) => [r.id, r.unread]), [
        [retry, null],
        [first, [{ account: "GEMINI", message, readAgainAs: retry, readLaterBy: null }]],
        [before, [{ account: "GEMINI", message, readAgainAs: null, readLaterBy: retry }]]
      ])
        assert.deepStrictEqual(await (await fetchFresh(`${server.url}/api/runs`)).json(), after)
        await page.goto(`${server.url}/#/runs/${first}`)
        await page.waitForSelector(`#run-title:text-is("Run ${first}")`)
        await page.waitForSelector("#run-status .unread-accounts")
        assert.deepStrictEqual(await page.$$eval("#run-status .unread-accounts .unread", (es) => es.map((e) => [e.className, e.textContent])), [["unread", said]])
        const gone = `the day has no snapshot of GEMINI (${message}): \`equity\` has no point of it on 2026-06-04 and the leaderboard leaves the day out; it can no longer be taken: ${retry} read GEMINI at a later session`
        assert.include((await cliInProcess(home, ["runs"], env)).stdout.split("\n"), `run ${before}: ${gone}`)
        await page.goto(`${server.url}/#/runs`)
        await page.waitForSelector(`tr[data-run="${before}"] .unread-accounts`)
        assert.deepStrictEqual(await page.$$eval(`tr[data-run="${before}"] .unread-accounts .unread`, (es) => es.map((e) => [e.className, e.textContent])), [["neg unread", gone]])
        assert.deepStrictEqual(problems, [])
      } finally {
        await opened.browser.close()
        await opened.server.stop()
      }
    } finally {
      await proxy.close()
      await served.stop()
    }
  }, 120_000)
})

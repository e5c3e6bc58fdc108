import { assert, describe, it } from "@effect/vitest"
import { runIdOf, tempHome } from "../../cli/test/CliHarness.ts"
import { configWithRefusedKey, serveExchange } from "../../cli/test/ExchangeProcess.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { fetchFresh, openDashboard } from "./MonitorHome.ts"

/**
 * A run whose account failed, then the day run again and that account traded: `runs` says "run again as R, which
 * traded X" under the failed run, and so do `runs --json` and `/api/runs` (its summary's `failedAccounts.retried`),
 * the run's detail and the dashboard's run page and timeline — not a failure left with nothing said of its retry.
 */
describe("a failed account retried later, in the run's summary", () => {
  it("/api/runs, runs --json, the run's detail and its page name the run that traded it", async () => {
    const served = await serveExchange(tempHome())
    try {
      const home = tempHome()
      const revoked = await cliInProcess(home, ["run", "daily"], { TRADING_ACCOUNTS_CONFIG: configWithRefusedKey(served, "CHATGPT") })
      assert.strictEqual(revoked.code, 1, revoked.stderr)
      const restored = await cliInProcess(home, ["run", "daily"], { TRADING_ACCOUNTS_CONFIG: configWithRefusedKey(served, "none") })
      assert.strictEqual(restored.code, 0, restored.stderr)
      const [failed, retry] = [runIdOf(revoked.stdout), runIdOf(restored.stdout)]
      const listed = await cliInProcess(home, ["runs"])
      assert.include(listed.stdout.split("\n"), `run ${failed}: 1 of 6 accounts failed (CHATGPT); run again as ${retry}, which traded CHATGPT`)

      const cli = await cliInProcess(home, ["runs", "--json"])
      assert.strictEqual(cli.code, 0, cli.stderr)
      const items = JSON.parse(cli.stdout) as ReadonlyArray<{ readonly id: string; readonly failedAccounts: unknown }>
      const expected = { accounts: ["CHATGPT"], of: 6, keyRefused: ["CHATGPT"], retried: [{ run: retry, accounts: ["CHATGPT"] }] }
      assert.deepStrictEqual(items.map((r) => [r.id, r.failedAccounts]), [[retry, null], [failed, expected]])

      const problems: Array<string> = []
      const { browser, page, server } = await openDashboard(home, problems)
      try {
        const api = await fetchFresh(`${server.url}/api/runs`)
        assert.deepStrictEqual(await api.json(), items)
        const detail = (await (await fetchFresh(`${server.url}/api/runs/${failed}?outputs=none`)).json()) as { run: { failedAccounts: unknown } }
        assert.deepStrictEqual(detail.run.failedAccounts, expected)
        const openapi = JSON.stringify(await (await fetchFresh(`${server.url}/openapi.json`)).json())
        assert.include(openapi, "the later runs of the day that traded some of the failed accounts")

        const said = `1 of 6 accounts failed: CHATGPT; run again as ${retry}, which traded CHATGPT`
        await page.goto(`${server.url}/#/runs/${failed}`)
        await page.waitForSelector(`#run-title:text-is("Run ${failed}")`)
        await page.waitForSelector("#run-status .failed-accounts")
        assert.strictEqual(await page.$eval("#run-status .failed-accounts", (e) => e.textContent?.trim()), said)
        // nothing left to retry: no advice to run the day again or to fix the key
        assert.notMatch(await page.$eval("#run-status .failed-accounts", (e) => e.getAttribute("title")) ?? "", /run the day again|fix/)
        await page.goto(`${server.url}/#/runs`)
        await page.waitForSelector(`tr[data-run="${failed}"] .failed-accounts`)
        assert.strictEqual(await page.$eval(`tr[data-run="${failed}"] .failed-accounts`, (e) => e.textContent?.trim()), said)
        assert.deepStrictEqual(problems, [])
      } finally {
        await browser.close()
        await server.stop()
      }
    } finally {
      await served.stop()
    }
  }, 120_000)
})

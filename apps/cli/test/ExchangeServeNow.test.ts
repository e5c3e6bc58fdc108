import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"
import { accountsConfig, serveExchange } from "./ExchangeProcess.ts"

describe("`exchange serve` has one clock: a client without a session header sees the accounts as the runs left them", () => {
  it("after a run of the next session through the server, `accounts` and `positions` (no header) are served, not refused 422", async () => {
    // the accounts at 2026-06-05 (the server's moment), then a run of 2026-06-08 through it, with its session header
    const exchangeHome = tempHome()
    const served = await serveExchange(exchangeHome, ["--date", "2026-06-05"])
    try {
      const env = { TRADING_ACCOUNTS_CONFIG: accountsConfig(served) }
      const home = tempHome()
      const first = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], env)
      assert.strictEqual(first.code, 0, first.stdout + first.stderr)
      const next = await cliInProcess(home, ["run", "daily", "--date", "2026-06-08"], env)
      assert.strictEqual(next.code, 0, next.stdout + next.stderr)

      const accounts = await cliInProcess(home, ["accounts", "--json"], env)
      assert.strictEqual(accounts.code, 0, accounts.stdout + accounts.stderr)
      assert.notInclude(accounts.stdout + accounts.stderr, "422")
      const positions = await cliInProcess(home, ["positions", "--json"], env)
      assert.strictEqual(positions.code, 0, positions.stdout + positions.stderr)
      assert.notInclude(positions.stdout + positions.stderr, "422")

      // the server's clock followed the run: a header-less clock read answers 2026-06-08, and a day before the
      // accounts' own is still refused
      const council = served.keys.find((k) => k.account === "COUNCIL")!
      const headers = { "APCA-API-KEY-ID": council.keyId, "APCA-API-SECRET-KEY": council.secretKey }
      const clock = await fetch(`${served.url}/v2/clock`, { headers })
      assert.strictEqual(clock.status, 200)
      assert.match(((await clock.json()) as { timestamp: string }).timestamp, /^2026-06-08T15:45:00/)
      const refused = await Promise.all(served.keys.map(async (k) => {
        const keys = { "APCA-API-KEY-ID": k.keyId, "APCA-API-SECRET-KEY": k.secretKey, "X-Council-Session": "2026-06-05" }
        return (await fetch(`${served.url}/v2/account`, { headers: keys })).status
      }))
      assert.include(refused, 422)
    } finally {
      await served.stop()
    }
  })
})

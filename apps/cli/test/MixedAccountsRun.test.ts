import { assert, describe, it } from "@effect/vitest"
import { clockedBroker } from "./BrokerDoubles.ts"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

describe("one configuration with an account on an Alpaca-wire broker and one on the local exchange", () => {
  it("a dry run decides for both and reads each where it lives; accounts shows both", async () => {
    const broker = await clockedBroker("2026-11-23")
    try {
      const home = tempHome()
      const env = {
        TRADING_ACCOUNTS_CONFIG: JSON.stringify([
          { id: "CLAUDE", mode: "PAPER", credentials: { keyId: "PKCLAUDE", secretKey: "sk-CLAUDE" }, baseUrl: broker.url },
          { id: "GEMINI", mode: "PAPER", broker: "local-exchange" }
        ])
      }
      const run = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--dry-run"], env)
      assert.strictEqual(run.code, 0, run.stderr)
      assert.match(run.stdout, /^CLAUDE\s+\S+/m)
      assert.match(run.stdout, /^GEMINI\s+\S+/m)
      assert.deepStrictEqual(broker.posts, [], "a dry run sends nothing")
      const accounts = await cliInProcess(home, ["accounts", "--json"], env)
      assert.strictEqual(accounts.code, 0, accounts.stderr)
      const listed = JSON.parse(accounts.stdout) as ReadonlyArray<{ readonly account: string; readonly error: string | null; readonly snapshot: { readonly equity: number } | null }>
      assert.deepStrictEqual(listed.map((a) => [a.account, a.error, a.snapshot?.equity]), [["CLAUDE", null, 100_000], ["GEMINI", null, 100_000]])
    } finally {
      broker.close()
    }
  }, 120_000)
})

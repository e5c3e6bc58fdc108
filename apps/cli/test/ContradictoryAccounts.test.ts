import { existsSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { countingBroker } from "./BrokerDoubles.ts"
import { cliAsync, tempHome } from "./CliHarness.ts"

const SECRET = "SECRET-CANARY-contradictory-accounts-8d2a"

describe("money-moving commands refuse contradictory account variables before any request", () => {
  it("close-all --yes with COUNCIL_ACCOUNTS beside TRADING_ACCOUNTS_CONFIG closes nothing: exit 2, one line, no home", async () => {
    const broker = await countingBroker()
    const baseUrl = broker.url
    try {
      const accounts = JSON.stringify(["COUNCIL", "CLAUDE"].map((id) => ({
        id,
        mode: "PAPER",
        credentials: { keyId: `PKCONTRA${id}`, secretKey: SECRET },
        baseUrl
      })))
      const home = join(tempHome(), "home")
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, Record<string, string>, string]> = [
        [["close-all", "--yes"], { COUNCIL_ACCOUNTS: "COUNCIL" }, "COUNCIL_ACCOUNTS"],
        [["cancel-all", "--yes"], { ALPACA_CLAUDE_KEY_ID: "PKOTHERKEY", ALPACA_CLAUDE_SECRET_KEY: SECRET }, "ALPACA_CLAUDE_KEY_ID"]
      ]
      for (const [args, extra, variable] of cases) {
        const r = await cliAsync(home, args, { TRADING_ACCOUNTS_CONFIG: accounts, ...extra })
        assert.strictEqual(r.code, 2, r.stderr)
        assert.strictEqual(
          r.stderr,
          `error: ${variable} is set beside TRADING_ACCOUNTS_CONFIG, which configures the accounts (COUNCIL, CLAUDE) and would leave it unused: unset one of them\n`
        )
        assert.strictEqual(r.stdout, "")
      }
      assert.deepStrictEqual(broker.requests, [])
      assert.isFalse(existsSync(home))
    } finally {
      broker.close()
    }
  }, 60_000)

  it("close-all --yes over two accounts that share one key pair (the seed: separate keys per account) closes nothing", async () => {
    const broker = await countingBroker()
    try {
      const home = join(tempHome(), "home")
      const shared = { ALPACA_CLAUDE_KEY_ID: "PKSHAREDKEY", ALPACA_CLAUDE_SECRET_KEY: SECRET, ALPACA_COUNCIL_KEY_ID: "PKSHAREDKEY", ALPACA_COUNCIL_SECRET_KEY: SECRET }
      const r = await cliAsync(home, ["close-all", "--yes"], {
        COUNCIL_ACCOUNTS: "CLAUDE,COUNCIL",
        ...shared,
        ALPACA_CLAUDE_BASE_URL: broker.url,
        ALPACA_COUNCIL_BASE_URL: broker.url
      })
      assert.strictEqual(r.code, 2, r.stderr)
      assert.strictEqual(
        r.stderr,
        "error: per-account variables: accounts CLAUDE and COUNCIL have the same key id: each account needs its own key pair (one broker account each), or their orders and positions mix\n"
      )
      assert.notInclude(r.stderr, "PKSHAREDKEY")
      assert.deepStrictEqual(broker.requests, [])
      assert.isFalse(existsSync(home))
    } finally {
      broker.close()
    }
  }, 60_000)
})

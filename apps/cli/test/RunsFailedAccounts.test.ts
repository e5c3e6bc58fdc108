import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { clockedBroker } from "./BrokerDoubles.ts"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

/**
 * A run whose accounts failed still ran every stage, so it is `completed` although `run daily` exited 1: `runs`
 * says how many accounts failed in its status and, below the table, which ones and the command that retries them.
 */
describe("runs: a completed run with failed accounts", () => {
  it("names the failed accounts and the retry, and leaves a run whose accounts succeeded as it was", async () => {
    const home = join(tempHome(), "home")
    const broker = await clockedBroker("2026-11-23")
    let parent = ""
    let failing = ""
    try {
      const env = {
        TRADING_ACCOUNTS_CONFIG: JSON.stringify([{ id: "CLAUDE", mode: "PAPER", credentials: { keyId: "PKCLAUDE", secretKey: "sk-CLAUDE" }, baseUrl: broker.url }])
      }
      const dry = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--dry-run"], env)
      assert.strictEqual(dry.code, 0, dry.stderr)
      parent = /^run (\S+) · /m.exec(dry.stdout)?.[1] ?? ""
      broker.setUnavailable(true)
      const fork = await cliInProcess(home, ["replay", parent, "--from", "RiskApproval", "--dry-run"], env)
      assert.strictEqual(fork.code, 1, fork.stderr)
      failing = /^forked run (\S+) from /m.exec(fork.stdout)?.[1] ?? ""
    } finally {
      broker.close()
    }
    const runs = await cliInProcess(home, ["runs"])
    assert.strictEqual(runs.code, 0, runs.stderr)
    const row = (id: string) => runs.stdout.split("\n").find((line) => line.startsWith(`${id} `)) ?? ""
    assert.match(row(failing), /\scompleted · 1 failed\s/)
    assert.match(row(parent), /\scompleted\s/)
    assert.notMatch(row(parent), /failed/)
    assert.include(
      runs.stdout,
      `run ${failing}: 1 of 1 account failed (CLAUDE); run the day again to retry it: pnpm pipeline run daily --date 2026-06-05`
    )
  }, 120_000)
})

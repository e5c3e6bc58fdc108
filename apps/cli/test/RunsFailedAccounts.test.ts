import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { failedAccountRun } from "./FailedAccountRun.ts"
import { cliInProcess } from "./InProcess.ts"

/**
 * A run whose accounts failed still ran every stage, so it is `completed` although `run daily` exited 1: `runs`
 * says how many accounts failed in its status and, below the table, which ones and the command that retries them.
 */
describe("runs: a completed run with failed accounts", () => {
  it("names the failed accounts and the retry, and leaves a run whose accounts succeeded as it was", async () => {
    const home = join(tempHome(), "home")
    const { parent, failing } = await failedAccountRun(home)
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

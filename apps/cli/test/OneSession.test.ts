import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

/** A newcomer's second day (README: `run daily --date 2026-06-05`, then `run daily`) leaves a book of two sessions, one return. */
describe("a book of one session", () => {
  it("is '2 sessions (1 daily return)', not '1 daily returns', in the leaderboard's table and the report page", async () => {
    const home = join(tempHome(), "home")
    for (const args of [["run", "daily", "--date", "2026-06-05"], ["run", "daily"]]) {
      const r = await cliInProcess(home, args)
      assert.strictEqual(r.code, 0, r.stderr)
    }
    const live = await cliInProcess(home, ["leaderboard"])
    assert.match(live.stdout.split("\n")[0]!, /^book live · 2026-06-05 … 2026-06-08 · 2 sessions \(1 daily return\) · SPY buy-and-hold /)

    const backtest = await cliInProcess(home, ["backtest", "--from", "2026-06-05", "--to", "2026-06-08"])
    assert.strictEqual(backtest.code, 0, backtest.stderr)
    const board = await cliInProcess(home, ["leaderboard", "--backtest", "latest"])
    assert.match(board.stdout.split("\n")[0]!, /^book bt-\S+ · 2026-06-05 … 2026-06-08 · 2 sessions \(1 daily return\) · SPY buy-and-hold /)
    const page = readFileSync(/^report (\S+\.report\.html)$/m.exec(backtest.stdout)![1]!, "utf8")
    assert.match(page, /<p>2026-06-05 … 2026-06-08 · 2 sessions \(1 daily return\) · SPY buy-and-hold /)
  }, 60_000)
})

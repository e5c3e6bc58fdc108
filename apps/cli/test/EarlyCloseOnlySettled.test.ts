import { assert, describe, it } from "@effect/vitest"
import { join } from "node:path"
import { runIdOf, tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

// The 12:45 cron entry (`--early-close-only`) beside the 15:45 one: on a regular session it has nothing to do,
// whatever the day's run is doing — awaiting approval, rejected or done — and says only that, exit 0.

const freshHome = () => join(tempHome(), "home")
const notEarly = "2025-11-26 closes at 16:00, not early: --early-close-only trades only the sessions that close early (nothing done)"

describe("--early-close-only on a regular session whose day already has a run", () => {
  it("a run awaiting approval: not an early close, nothing to do (not the approval, not its JSON); exit 0", async () => {
    const home = freshHome()
    const stopped = await cliInProcess(home, ["run", "daily", "--date", "2025-11-26", "--require-approval"])
    assert.strictEqual(stopped.code, 0, stopped.stderr)
    const runId = runIdOf(stopped.stdout)
    const half = await cliInProcess(home, ["run", "daily", "--date", "2025-11-26", "--at", "12:45", "--early-close-only"])
    assert.strictEqual(half.code, 0, half.stderr)
    assert.strictEqual(half.stderr.trim(), notEarly)
    assert.strictEqual(half.stdout, "")
    const json = await cliInProcess(home, ["run", "daily", "--date", "2025-11-26", "--at", "12:45", "--early-close-only", "--json"])
    assert.strictEqual(json.code, 0, json.stderr)
    assert.deepStrictEqual(JSON.parse(json.stdout), { tradingDay: "2025-11-26", outcome: "not-early-close", message: notEarly })
    // the run still waits for its decision
    const waiting = await cliInProcess(home, ["run", "daily", "--date", "2025-11-26", "--json"])
    assert.deepInclude(JSON.parse(waiting.stdout) as object, { outcome: "awaiting-approval" })
    assert.notInclude(half.stderr, runId)
  })

  it("a day whose run completed: not an early close, no report of that run; exit 0", async () => {
    const home = freshHome()
    const day = await cliInProcess(home, ["run", "daily", "--date", "2025-11-26"])
    assert.strictEqual(day.code, 0, day.stderr)
    const half = await cliInProcess(home, ["run", "daily", "--date", "2025-11-26", "--at", "12:45", "--early-close-only"])
    assert.strictEqual(half.code, 0, half.stderr)
    assert.strictEqual(half.stderr.trim(), notEarly)
    assert.strictEqual(half.stdout, "")
  })
})

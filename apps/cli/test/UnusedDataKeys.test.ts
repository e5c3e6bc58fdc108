import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

const KEYS = { ALPACA_PERSONAL_KEY_ID: "PKDATAKEYZQ81", ALPACA_PERSONAL_SECRET_KEY: "data-secret-Wx3Ve7Rb1Nt" }

const unusedLines = (stderr: string) => stderr.split("\n").filter((line) => line.includes("ALPACA_PERSONAL"))

describe("ALPACA_PERSONAL_* set without COUNCIL_DATA=alpaca", () => {
  it("a day's run says once on stderr that the keys are not used and how to use them, printing no key; the run is as without them", async () => {
    const home = tempHome()
    const run = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--dry-run"], KEYS)
    assert.strictEqual(run.code, 0, run.stderr)
    assert.deepStrictEqual(unusedLines(run.stderr), [
      "warning: ALPACA_PERSONAL_KEY_ID and ALPACA_PERSONAL_SECRET_KEY are set but not used: market data comes from the bundled bars (COUNCIL_DATA unset or local); set COUNCIL_DATA=alpaca to read it from Alpaca with these keys, or unset them"
    ])
    for (const secret of Object.values(KEYS)) {
      assert.notInclude(run.stderr + run.stdout, secret.slice(0, 12))
    }
    assert.deepStrictEqual(unusedLines(run.stdout), [])
  })

  it("one key alone is named alone; a command reading market data says it, one reading only the run store does not", async () => {
    const home = tempHome()
    const board = await cliInProcess(home, ["leaderboard"], { ALPACA_PERSONAL_KEY_ID: KEYS.ALPACA_PERSONAL_KEY_ID })
    assert.deepStrictEqual(unusedLines(board.stderr).map((l) => l.slice(0, 59)), ["warning: ALPACA_PERSONAL_KEY_ID is set but not used: market"])
    const runs = await cliInProcess(home, ["runs"], KEYS)
    assert.strictEqual(runs.code, 0, runs.stderr)
    assert.deepStrictEqual(unusedLines(runs.stderr), [])
  })

  it("without the keys, no such line", async () => {
    const run = await cliInProcess(tempHome(), ["run", "daily", "--date", "2026-06-05", "--dry-run"], {})
    assert.strictEqual(run.code, 0, run.stderr)
    assert.deepStrictEqual(unusedLines(run.stderr), [])
  })
})

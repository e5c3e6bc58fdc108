/**
 * What a backtest's figures are net of, said above them: total return, Sharpe and excess come from the equity, so
 * after the fills' costs — the fill model the backtest was started with — and before the LLM cost, which only net
 * P&L subtracts. Before, the leaderboard and the report said neither: the fill model sat in the report's settings
 * at the foot of the page, and nothing said whether the returns paid for the LLM calls.
 */
import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

const costs = "Total return, Sharpe and excess are after trading costs (this backtest's fill model: slippage 12 bps, commission $0.01/share and at least $1 a fill, " +
  "100 % of a market order filled at each price) and before LLM costs, which net P&L alone subtracts"

describe("a backtest's costs", () => {
  it("are said by leaderboard and the report, from the fill model the backtest was started with, not today's settings", async () => {
    const home = tempHome()
    const started = await cliInProcess(home, ["backtest", "--from", "2026-05-04", "--to", "2026-05-08", "--accounts", "COUNCIL", "--json"], {
      COUNCIL_SLIPPAGE_BPS: "12",
      COUNCIL_COMMISSION_PER_SHARE: "0.01",
      COUNCIL_COMMISSION_MIN: "1"
    })
    assert.strictEqual(started.code, 0, started.stderr)
    const { report } = JSON.parse(started.stdout) as { report: string }
    const page = readFileSync(report, "utf8")
    assert.include(page, `<p id="costs">${costs.replace(/&/g, "&amp;").replace(/'/g, "&#39;")}.</p>`, /<p id="costs">.*/.exec(page)?.[0])

    // read under today's defaults: the line is the backtest's own
    const board = await cliInProcess(home, ["leaderboard", "--backtest", "latest"])
    assert.strictEqual(board.code, 0, board.stderr)
    assert.include(board.stdout.split("\n"), costs)
  }, 60_000)
})

import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { parseEquityCsv } from "./EquityCsv.ts"
import { cliInProcess } from "./InProcess.ts"

describe("equity --baselines --csv: the baselines' marked_at", () => {
  it("is the moment a backtest's accounts are marked at, session by session: its open, and the last session's close", async () => {
    const home = tempHome()
    const backtest = await cliInProcess(home, ["backtest", "--from", "2020-01-02", "--to", "2020-01-31", "--json"])
    assert.strictEqual(backtest.code, 0, backtest.stderr)
    const csv = await cliInProcess(home, ["equity", "--backtest", "latest", "--baselines", "--csv"])
    assert.strictEqual(csv.code, 0, csv.stderr)
    const { rows } = parseEquityCsv(csv.stdout)
    const council = new Map(rows.filter((r) => r["account"] === "COUNCIL").map((r) => [r["date"], r["marked_at"]]))
    const paper = rows.filter((r) => r["account"] === "RANDOM" || r["account"] === "MECHANICAL")
    assert.deepStrictEqual([...new Set(paper.map((r) => r["account"]))].sort(), ["MECHANICAL", "RANDOM"])
    const last = [...council.keys()].sort().at(-1)
    for (const row of paper) {
      // in January 09:30 New York is 14:30Z and the 16:00 close 21:00Z; the backtest's last session is marked at its close
      assert.strictEqual(row["marked_at"], `${row["date"]}T${row["date"] === last ? "21:00" : "14:30"}:00.000Z`, JSON.stringify(row))
      assert.strictEqual(row["marked_at"], council.get(row["date"]), row["date"])
      assert.strictEqual(row["spy_mark"], "")
    }
  }, 120_000)
})

import { assert, describe, it } from "@effect/vitest"
import { join } from "node:path"
import { runIdOf, tempHome } from "./CliHarness.ts"
import { configWithRefusedKey, serveExchange } from "./ExchangeProcess.ts"
import { cliInProcess } from "./InProcess.ts"

/** The `equity --csv` rows of `account`: `date,equity`. */
const equityRows = (csv: string, account: string) =>
  csv.trim().split("\n").slice(1).map((line) => line.split(",")).filter((cells) => cells[0] === account).map((cells) => `${cells[1]},${cells[2]}`)

describe("a day run again for an account its reconciliation could not read (a refused key)", () => {
  it("gives that account its session in the ledger: equity, leaderboard and the summary have it; the retry replays exactly", async () => {
    const exchangeHome = tempHome()
    const served = await serveExchange(exchangeHome)
    try {
      const home = tempHome()
      const good = { TRADING_ACCOUNTS_CONFIG: configWithRefusedKey(served, "none") }
      const thursday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04"], good)
      assert.strictEqual(thursday.code, 0, thursday.stderr)

      const refused = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], { TRADING_ACCOUNTS_CONFIG: configWithRefusedKey(served, "GEMINI") })
      assert.strictEqual(refused.code, 1, refused.stderr)
      assert.match(refused.stdout, /^GEMINI\s+failed\s.*401 request is not authorized/m)
      assert.deepStrictEqual(equityRows(await cliOkCsv(home), "GEMINI").map((r) => r.split(",")[0]), ["2026-06-04"])

      const retried = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], good)
      assert.strictEqual(retried.code, 0, retried.stderr)
      assert.match(retried.stderr, new RegExp(`already ran as ${runIdOf(refused.stdout)}; retrying GEMINI with the same orders`))
      // the ledger holds GEMINI's session, its equity the one the retry read
      const geminiDays = equityRows(await cliOkCsv(home), "GEMINI")
      assert.deepStrictEqual(geminiDays.map((r) => r.split(",")[0]), ["2026-06-04", "2026-06-05"])
      // the leaderboard no longer leaves the day out
      const board = await cliInProcess(home, ["leaderboard"])
      assert.strictEqual(board.code, 0, board.stderr)
      assert.notInclude(board.stdout, "could not read an account", board.stdout)

      // the retry read GEMINI at its start, as the day's run read the others at theirs
      assert.match(retried.stderr, /✓ Reconcile\s+\d+ ms {2}1 account read/m)
      // the run's table and its summary carry GEMINI's equity (the day's other accounts' too)
      const table = retried.stdout.split("\n")
      for (const id of ["GEMINI", "CLAUDE", "COUNCIL"]) {
        assert.match(table.find((line) => line.startsWith(`${id} `)) ?? "", /^\S+\s+succeeded\s+\d+\s+\d+\s+\$[\d,.]+\s/, retried.stdout)
      }
      const summary = retried.stderr.split("\n").find((line) => line.includes("Run summary 2026-06-05")) ?? ""
      assert.match(summary, /GEMINI \d+ orders? · equity \$[\d,.]+ · day P&L /, retried.stderr)
      assert.match(summary, /CLAUDE \d+ orders? · equity \$[\d,.]+ · day P&L /, retried.stderr)

      // the retry replays from its own recordings, its reconciliation of GEMINI included
      const retry = runIdOf(retried.stdout)
      const replayed = await cliInProcess(home, ["replay", retry])
      assert.strictEqual(replayed.code, 0, replayed.stderr)
      assert.include(replayed.stdout + replayed.stderr, `replay of ${retry}: every stage identical`)
      // and so does its bundle in a home that never saw the day
      const file = join(tempHome(), "retry.json")
      assert.strictEqual((await cliInProcess(home, ["export", retry, "-o", file])).code, 0)
      const elsewhere = await cliInProcess(join(tempHome(), "home"), ["replay", file])
      assert.strictEqual(elsewhere.code, 0, elsewhere.stderr)
      assert.include(elsewhere.stdout + elsewhere.stderr, `replay of ${retry}: every stage identical`)

      // the day is done: running it again places nothing and reads nothing again
      const again = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], good)
      assert.strictEqual(again.code, 0, again.stderr)
      assert.match(again.stderr, /nothing is placed again/)
      assert.match(again.stdout.split("\n").find((line) => line.startsWith("GEMINI ")) ?? "", /\$[\d,.]+/)

      // the next session's P&L runs from the day as the retry completed it: every account's, GEMINI's among them
      const monday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-08"], good)
      assert.strictEqual(monday.code, 0, monday.stderr)
      const next = monday.stderr.split("\n").find((line) => line.includes("Run summary 2026-06-08")) ?? ""
      for (const id of ["GEMINI", "CLAUDE", "COUNCIL"]) assert.match(next, new RegExp(`${id} \\d+ orders? · equity \\$[\\d,.]+ · day P&L [+−]?\\$`), monday.stderr)
    } finally {
      await served.stop()
    }
  }, 120_000)
})

const cliOkCsv = async (home: string) => {
  const r = await cliInProcess(home, ["equity", "--csv"])
  assert.strictEqual(r.code, 0, r.stderr)
  return r.stdout
}

import { existsSync, renameSync } from "node:fs"
import { join, resolve } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Database } from "@council/store"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

/**
 * A backtest's own database is where `Database.backtestLocation` says, for every reader: its runs (`runs
 * --backtest`) and its mechanical votes (the leaderboard's MECHANICAL, `votesByBook`). The file is looked for at
 * that one place: read there, and when it is not there said missing, naming that place, and not created.
 */
describe("a backtest's database: one place for every reader", () => {
  it("reads the leaderboard's mechanical vote where Database.backtestLocation puts the file, for latest and the id; a missing one is said there and not created", async () => {
    const home = tempHome()
    const made = await cliInProcess(home, ["backtest", "--from", "2026-04-01", "--to", "2026-05-01", "--accounts", "COUNCIL,CLAUDE", "--json"])
    assert.strictEqual(made.code, 0, made.stderr)
    const id = (JSON.parse(made.stdout) as { readonly id: string }).id
    // the home as the CLI's settings locate it (`Database.location`: SQLite at $COUNCIL_HOME/council.db)
    const { file } = Database.backtestLocation({ _tag: "Sqlite", home: resolve(home), file: join(resolve(home), "council.db") }, id)
    assert.isTrue(existsSync(file), `the backtest wrote its runs elsewhere than ${file}`)
    const mechanical = async (backtest: string) => {
      const board = await cliInProcess(home, ["leaderboard", "--backtest", backtest, "--json"])
      assert.strictEqual(board.code, 0, board.stderr)
      const report = JSON.parse(board.stdout) as { readonly contest: { readonly baselines: { readonly rows: ReadonlyArray<{ readonly account: string; readonly metrics: { readonly sessions: number } }> } } }
      return { row: report.contest.baselines.rows.find((r) => r.account === "MECHANICAL"), stderr: board.stderr }
    }
    for (const backtest of ["latest", id]) assert.isAbove((await mechanical(backtest)).row?.metrics.sessions ?? 0, 0, backtest)
    // its runs are read from the same file
    const runs = await cliInProcess(home, ["runs", "--backtest", id, "--json", "--limit", "100"])
    assert.strictEqual(runs.code, 0, runs.stderr)
    assert.isAbove((JSON.parse(runs.stdout) as ReadonlyArray<unknown>).length, 0)

    renameSync(file, `${file}.away`)
    try {
      for (const backtest of ["latest", id]) {
        const without = await mechanical(backtest)
        assert.isUndefined(without.row, backtest)
        assert.include(without.stderr, `backtest ${id}: its database ${file} is missing, so its leaderboard has no mechanical vote`)
        assert.isFalse(existsSync(file), `reading ${backtest}'s votes created ${file}`)
      }
      const refused = await cliInProcess(home, ["runs", "--backtest", id])
      assert.strictEqual(refused.code, 2)
      assert.include(refused.stderr, `its database ${file} is missing`)
      assert.isFalse(existsSync(file))
    } finally {
      renameSync(`${file}.away`, file)
    }
  }, 90_000)
})

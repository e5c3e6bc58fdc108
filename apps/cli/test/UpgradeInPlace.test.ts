import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { MigrationsTable } from "@council/store"
import { migrations } from "../../../packages/store/src/migrations/index.ts"
import { restoredHome } from "./FixtureHome.ts"
import { cliInProcess } from "./InProcess.ts"

/**
 * A home the round-20 version made (commit 40fcf92: migrations up to 0022): `run daily` of 2026-05-28, `run daily
 * --require-approval` of 2026-05-29 left awaiting approval, and a backtest of 2026-05-20 … 2026-05-22; as SQL
 * dumps (`sqlite3 … .dump | gzip`) beside the equity CSVs that version printed of it.
 */
const FIXTURE = new URL("fixtures/round20-home/", import.meta.url).pathname
const COMPLETED = "2026-05-28-cbe48069"
const AWAITING = "2026-05-29-d2dfe71a"
const BACKTEST = "bt-2026-05-20-2026-05-22-f9be7f"

/** The fixture's databases written out in a new home, as that version left them. */
const olderHome = (): string => restoredHome(FIXTURE)

const recordedMigrations = (file: string): ReadonlyArray<number> => {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    return db.prepare(`SELECT migration_id AS id FROM ${MigrationsTable.TABLE} ORDER BY migration_id`).all().map((row) => Number(row["id"]))
  } finally {
    db.close()
  }
}

/** What an older version's migrator reads first: the error it meets, or `undefined` when it reads a record. */
const olderVersionMeets = (file: string): string | undefined => {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    db.prepare("SELECT migration_id, name, created_at FROM effect_sql_migrations ORDER BY migration_id DESC").all()
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  } finally {
    db.close()
  }
}

const migrationIds = Object.keys(migrations).map((key) => Number.parseInt(key, 10))

describe("upgrading a home an older version made", () => {
  it("migrates it once; its runs replay exactly, its ledgers read as that version printed them, its pending approval is sent; new runs join them; an older version is then refused", async () => {
    const home = olderHome()
    const runs = await cliInProcess(home, ["runs"])
    assert.strictEqual(runs.code, 0, runs.stderr)
    assert.match(runs.stdout, new RegExp(`${AWAITING}\\s+2026-05-29\\s+awaiting-approval`))
    assert.match(runs.stdout, new RegExp(`${COMPLETED}\\s+2026-05-28\\s+completed`))
    assert.deepStrictEqual(recordedMigrations(join(home, "council.db")), migrationIds)

    const replayed = await cliInProcess(home, ["replay", COMPLETED])
    assert.strictEqual(replayed.code, 0, replayed.stderr)
    assert.include(replayed.stdout + replayed.stderr, `replay of ${COMPLETED}: every stage identical`)
    const stopped = await cliInProcess(home, ["replay", AWAITING])
    assert.strictEqual(stopped.code, 0, stopped.stderr)
    assert.include(stopped.stdout + stopped.stderr, `replay of ${AWAITING}: every stage it ran identical`)

    for (const [args, printed] of [
      [["equity", "--csv"], "equity-live.csv"],
      [["equity", "--backtest", BACKTEST, "--csv"], "equity-backtest.csv"]
    ] as const) {
      const equity = await cliInProcess(home, [...args])
      assert.strictEqual(equity.code, 0, equity.stderr)
      assert.strictEqual(equity.stdout, readFileSync(join(FIXTURE, printed), "utf8"), args.join(" "))
    }
    // the backtest's own file (its runs and mechanical votes) is migrated when its leaderboard reads it
    const board = await cliInProcess(home, ["leaderboard", "--backtest", BACKTEST, "--json"])
    assert.strictEqual(board.code, 0, board.stderr)
    type Rows = ReadonlyArray<{ account: string; metrics: { sessions: number; totalReturn: number | null } }>
    const read = JSON.parse(board.stdout) as { leaderboard: { rows: Rows }; contest: { baselines: { rows: Rows } } }
    assert.deepStrictEqual(read.leaderboard.rows.map((r) => [r.account, r.metrics.sessions]).sort(), ["CHATGPT", "CLAUDE", "COUNCIL", "DEEPSEEK", "GEMINI", "GROQ"].map((a) => [a, 2]))
    // the mechanical vote, read from the older version's council syntheses (0030's digests)
    const mechanical = read.contest.baselines.rows.find((r) => r.account === "MECHANICAL")
    assert.isNumber(mechanical?.metrics.totalReturn, board.stdout)
    assert.deepStrictEqual(recordedMigrations(join(home, "backtests", `${BACKTEST}.db`)), migrationIds)
    const backtests = await cliInProcess(home, ["backtests"])
    assert.strictEqual(backtests.code, 0, backtests.stderr)
    assert.match(backtests.stdout, new RegExp(`${BACKTEST}\\s+completed\\s+2026-05-20 … 2026-05-22\\s+2026-05-20 … 2026-05-22\\s+3 of 3\\s+6`))

    // the approval that version left pending is sent by this one, and the run it completes replays
    const approved = await cliInProcess(home, ["approve", AWAITING])
    assert.strictEqual(approved.code, 0, approved.stderr)
    assert.include(approved.stdout + approved.stderr, `run ${AWAITING} · completed`)
    const replayedApproved = await cliInProcess(home, ["replay", AWAITING])
    assert.strictEqual(replayedApproved.code, 0, replayedApproved.stderr)
    assert.include(replayedApproved.stdout + replayedApproved.stderr, `replay of ${AWAITING}: every stage identical`)

    const next = await cliInProcess(home, ["run", "daily", "--date", "2026-06-01"])
    assert.strictEqual(next.code, 0, next.stderr)
    const after = await cliInProcess(home, ["runs"])
    assert.match(after.stdout, /\n2026-06-01-[0-9a-f]{8}\s+2026-06-01\s+completed/)
    assert.deepStrictEqual(recordedMigrations(join(home, "council.db")), migrationIds)

    for (const file of [join(home, "council.db"), join(home, "backtests", `${BACKTEST}.db`)]) {
      assert.include(olderVersionMeets(file), MigrationsTable.NEWER_DATABASE, file)
    }
  }, 300_000)
})

import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { bin, cliAsync, tempHome } from "./CliHarness.ts"

const BOOK = /bt-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}-[0-9a-f]{6}/g

const dbOf = (home: string) => {
  const files = readdirSync(join(home, "backtests")).filter((f) => f.endsWith(".db"))
  assert.strictEqual(files.length, 1, files.join(", "))
  return join(home, "backtests", files[0]!)
}

/** Reads the backtest's database: the stages committed by each run still under way, its completed runs, and its orders. */
const inspect = (file: string) => {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const running = db.prepare("SELECT id FROM runs WHERE status = 'running' ORDER BY id").all().map((row) => String(row["id"]))
    const stages = running.map((id) =>
      db.prepare("SELECT stage FROM checkpoints WHERE run_id = ? ORDER BY seq").all(id).map((row) => String(row["stage"])).join(",")
    )
    const orders = db.prepare("SELECT account, client_order_id FROM exchange_orders WHERE parent_id IS NULL").all().map((row) => `${row["account"]} ${row["client_order_id"]}`)
    const completed = Number(db.prepare("SELECT count(*) AS n FROM runs WHERE status = 'completed'").get()?.["n"] ?? 0)
    return { stages, completed, orders }
  } finally {
    db.close()
  }
}

/** What `inspect` reads while the backtest writes it: nothing until its tables exist. */
const peek = (home: string) => {
  try {
    return inspect(dbOf(home))
  } catch {
    return undefined
  }
}

/**
 * Starts (or resumes) the backtest and SIGKILLs it as soon as its file holds more completed runs than `before`
 * (read every few milliseconds): its commits are held (`Database.recomputableWrites`), so the process is further
 * on, in the middle of a session. Resolves when the process has ended, with every set of stages a run under way
 * was seen holding (none: the file holds whole sessions).
 */
const killedAfterCommit = (home: string, args: ReadonlyArray<string>, before: number) =>
  new Promise<{ readonly signal: NodeJS.Signals | null; readonly stderr: string; readonly seen: ReadonlySet<string> }>((resolve) => {
    const child = spawn(process.execPath, [bin, "backtest", ...args], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    const seen = new Set<string>()
    child.stderr.setEncoding("utf8").on("data", (d: string) => void (stderr += d))
    const poll = setInterval(() => {
      const now = peek(home)
      for (const s of now?.stages ?? []) seen.add(s)
      if ((now?.completed ?? 0) > before) child.kill("SIGKILL")
    }, 3)
    child.on("exit", (_code, signal) => {
      clearInterval(poll)
      resolve({ signal, stderr, seen })
    })
  })

describe("backtest --resume after SIGKILL, held commits", () => {
  it("killed in the middle of a session, its file holds whole sessions; resumed: the uninterrupted equity series and leaderboard, no order placed twice", async () => {
    const range = ["--from", "2026-02-02", "--to", "2026-04-10", "--accounts", "COUNCIL,GEMINI,GROQ,CLAUDE"]
    const reference = tempHome()
    const uninterrupted = cliAsync(reference, ["backtest", ...range, "--json"])

    const home = tempHome()
    let id: string | undefined
    let kills = 0
    // killed (then resumed) each time its file shows more completed sessions, until it completes
    for (let kill = 0; kill < 3; kill++) {
      const before = peek(home)?.completed ?? 0
      const { seen, signal, stderr } = await killedAfterCommit(home, id === undefined ? range : ["--resume", id], before)
      assert.deepStrictEqual([...seen], [], "a session's run was seen under way in the file")
      if (signal !== "SIGKILL") {
        assert.strictEqual(signal, null, stderr)
        break
      }
      kills++
      if (id === undefined) {
        const listed = JSON.parse((await cliAsync(home, ["backtests", "--json"])).stdout) as ReadonlyArray<{ id: string; status: string }>
        assert.strictEqual(listed[0]?.status, "running")
        id = listed[0]!.id
      }
      assert.deepStrictEqual(inspect(dbOf(home)).stages, [], "a killed session's run left part of itself in the file")
    }
    assert.isAbove(kills, 0, "never killed: the file saw no commit before the end")

    const resumed = await cliAsync(home, ["backtest", "--resume", id!, "--json"])
    assert.strictEqual(resumed.code, 0, resumed.stderr)
    assert.strictEqual((JSON.parse(resumed.stdout) as { status: string }).status, "completed")
    const full = await uninterrupted
    assert.strictEqual(full.code, 0, full.stderr)

    const mine = inspect(dbOf(home)).orders
    const theirs = inspect(dbOf(reference)).orders
    assert.strictEqual(new Set(mine).size, mine.length, "an order was placed twice")
    assert.sameMembers(mine, theirs)
    assert.isAbove(mine.length, 0)
    const series = async (at: string) => (await cliAsync(at, ["equity", "--backtest", "latest", "--csv"])).stdout
    const csv = await series(home)
    assert.isAbove(csv.trim().split("\n").length, 100)
    assert.strictEqual(csv, await series(reference))
    const board = async (at: string) =>
      (await cliAsync(at, ["leaderboard", "--backtest", "latest", "--json"])).stdout.replace(BOOK, "<book>")
    const ranked = await board(home)
    assert.include(ranked, "MECHANICAL")
    assert.strictEqual(ranked, await board(reference))
  }, 180_000)
})

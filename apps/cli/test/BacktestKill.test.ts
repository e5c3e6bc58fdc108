import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { bin, cliAsync, tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

const BOOK = /bt-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}-[0-9a-f]{6}/g

const dbOf = (home: string) => {
  const files = readdirSync(join(home, "backtests")).filter((f) => f.endsWith(".db"))
  assert.strictEqual(files.length, 1, files.join(", "))
  return join(home, "backtests", files[0]!)
}

/** Reads the backtest's database: the stages committed by each run still under way, and its orders. */
const inspect = (file: string) => {
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    const running = db.prepare("SELECT id FROM runs WHERE status = 'running' ORDER BY id").all().map((row) => String(row["id"]))
    const stages = running.map((id) =>
      db.prepare("SELECT stage FROM checkpoints WHERE run_id = ? ORDER BY seq").all(id).map((row) => String(row["stage"])).join(",")
    )
    const orders = db.prepare("SELECT account, client_order_id FROM exchange_orders WHERE parent_id IS NULL").all().map((row) => `${row["account"]} ${row["client_order_id"]}`)
    return { stages, orders }
  } finally {
    db.close()
  }
}

/** What a session's run may have committed when it is killed, under the backtest's batched commits (none of the prefixes between). */
const BATCHED = ["Reconcile", "Reconcile,FetchData,PmPitches,PeerReview,CouncilSynthesis,RiskApproval"]

/** What `inspect` reads while the backtest writes it: nothing until its tables exist. */
const peek = (home: string) => {
  try {
    return inspect(dbOf(home))
  } catch {
    return undefined
  }
}

/**
 * Starts (or resumes) the backtest and SIGKILLs it as soon as a session's run is seen with `stages` committed (read
 * from its database every few milliseconds): in the middle of that session. Resolves when the process has ended,
 * with every set of stages a run under way was seen holding.
 */
const killedAt = (home: string, args: ReadonlyArray<string>, stages: string) =>
  new Promise<{ readonly signal: NodeJS.Signals | null; readonly stderr: string; readonly seen: ReadonlySet<string> }>((resolve) => {
    const child = spawn(process.execPath, [bin, "backtest", ...args], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    const seen = new Set<string>()
    child.stderr.setEncoding("utf8").on("data", (d: string) => void (stderr += d))
    const poll = setInterval(() => {
      const now = peek(home)?.stages ?? []
      for (const s of now) seen.add(s)
      if (now.includes(stages)) child.kill("SIGKILL")
    }, 3)
    child.on("exit", (_code, signal) => {
      clearInterval(poll)
      resolve({ signal, stderr, seen })
    })
  })

describe("backtest --resume after SIGKILL, batched commits", () => {
  it("killed in the middle of sessions, resumed: the uninterrupted equity series and leaderboard, no order placed twice", async () => {
    const range = ["--from", "2026-02-02", "--to", "2026-04-10", "--accounts", "COUNCIL,GEMINI,GROQ,CLAUDE"]
    const reference = tempHome()
    // a process of its own: a backtest in this one would hold up the 3 ms poll that times the kills
    const uninterrupted = cliAsync(reference, ["backtest", ...range, "--json"])

    const home = tempHome()
    let id: string | undefined
    const partial: Array<string> = []
    // killed after a session's first commit, then (resumed) after its second, once more after its first
    for (const stages of [BATCHED[0]!, BATCHED[1]!, BATCHED[0]!]) {
      const { seen, signal, stderr } = await killedAt(home, id === undefined ? range : ["--resume", id], stages)
      // while it ran, a session's run held its first commit (Reconcile) or everything before Execution: never a
      // stage-by-stage prefix
      for (const s of seen) assert.include(BATCHED, s, `a session's run was seen holding ${s || "no checkpoint"}`)
      if (signal !== "SIGKILL") {
        assert.strictEqual(signal, null, stderr)
        break
      }
      if (id === undefined) {
        const listed = JSON.parse((await cliInProcess(home, ["backtests", "--json"])).stdout) as ReadonlyArray<{ id: string; status: string }>
        assert.strictEqual(listed[0]?.status, "running")
        id = listed[0]!.id
        // its process is gone: the table says so, and how to continue it (the book itself still says running)
        const listing = (await cliInProcess(home, ["backtests"])).stdout
        assert.match(listing, new RegExp(`^${id}\\s+stopped\\s`, "m"))
        assert.include(listing, `backtest ${id} stopped (its process is gone): continue it with: pnpm pipeline backtest --resume ${id}`)
      }
      const found = inspect(dbOf(home)).stages
      for (const s of found) assert.include(BATCHED, s, `a killed session's run committed ${s || "no checkpoint"}`)
      partial.push(...found)
    }
    assert.isAbove(partial.length, 0, "no kill landed inside a session")

    const resumed = await cliInProcess(home, ["backtest", "--resume", id!, "--json"])
    assert.strictEqual(resumed.code, 0, resumed.stderr)
    assert.strictEqual((JSON.parse(resumed.stdout) as { status: string }).status, "completed")
    const full = await uninterrupted
    assert.strictEqual(full.code, 0, full.stderr)

    const mine = inspect(dbOf(home)).orders
    const theirs = inspect(dbOf(reference)).orders
    assert.strictEqual(new Set(mine).size, mine.length, "an order was placed twice")
    assert.sameMembers(mine, theirs)
    assert.isAbove(mine.length, 0)
    const series = async (at: string) => (await cliInProcess(at, ["equity", "--backtest", "latest", "--csv"])).stdout
    const csv = await series(home)
    assert.isAbove(csv.trim().split("\n").length, 100)
    assert.strictEqual(csv, await series(reference))
    const board = async (at: string) =>
      (await cliInProcess(at, ["leaderboard", "--backtest", "latest", "--json"])).stdout.replace(BOOK, "<book>")
    const ranked = await board(home)
    assert.include(ranked, "MECHANICAL")
    assert.strictEqual(ranked, await board(reference))
  }, 180_000)
})

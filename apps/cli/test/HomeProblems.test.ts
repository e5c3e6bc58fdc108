import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { chmodSync, chownSync, existsSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as SqlClient from "effect/sql/SqlClient"
import { Database } from "@council/store"
import { outcome } from "../src/Program.ts"
import { bin, cliAsync, cliAsyncOk, tempHome } from "./CliHarness.ts"
import { slackHomes } from "./SlackHome.ts"

/**
 * Runs the CLI so that it cannot write `home` (made read-only). Root writes anywhere, so as root it runs without the
 * capabilities that override file permissions (still root, so it reads a checkout only its owner may enter).
 */
const ROOT_WITHOUT_OVERRIDE = ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]
const asReader = (home: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  cliAsync(home, args, { HOME: home, ...env }, [], process.getuid?.() === 0 ? ROOT_WITHOUT_OVERRIDE : [])

/**
 * Runs the CLI with `COUNCIL_HOME` on a disk with no room: a 64 KiB tmpfs mounted over the home in a mount namespace
 * of its own (`unshare`, as an unprivileged user too), gone when the process ends.
 */
const onFullDisk = (home: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  cliAsync(home, args, env, [], ["unshare", "-rm", "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$COUNCIL_HOME" && exec "$@"', "sh"])

/** The one line the notifier's stand-in got for a failed `run daily`, if any. */
const failedRunTold = (texts: ReadonlyArray<string>) => texts.filter((t) => t.includes("Failed: run daily"))

describe("a COUNCIL_HOME this process cannot write", () => {
  it("still answers the commands that only read; one that writes says the home is not writable and what to do (exit 2)", async () => {
    const home = tempHome()
    const day = await cliAsyncOk(home, ["run", "daily", "--date", "2026-06-05"])
    const runId = /run (2026-06-05-[0-9a-f]{8}) · completed/.exec(day)![1]!
    assert.isFalse(existsSync(join(home, "council.db-wal")), "the last connection folds the WAL back into the file")
    for (const file of readdirSync(home)) chmodSync(join(home, file), 0o444)
    chmodSync(home, 0o555)
    try {
      const runs = await asReader(home, ["runs"])
      assert.strictEqual(runs.code, 0, runs.stderr)
      assert.match(runs.stdout, new RegExp(`^${runId}\\s+2026-06-05\\s+completed\\s`, "m"))
      const shown = await asReader(home, ["show", runId])
      assert.strictEqual(shown.code, 0, shown.stderr)
      const leaderboard = await asReader(home, ["leaderboard"])
      assert.strictEqual(leaderboard.code, 0, leaderboard.stderr)
      assert.match(leaderboard.stdout, /^book live/m)

      const reconcile = await asReader(home, ["reconcile"])
      assert.strictEqual(reconcile.code, 2, reconcile.stderr)
      assert.strictEqual(
        reconcile.stderr.trim(),
        `error: COUNCIL_HOME: ${home} is not writable (EACCES): make it writable, or point COUNCIL_HOME at a writable directory (reading commands such as runs and leaderboard work on it as it is)`
      )
    } finally {
      chmodSync(home, 0o755)
    }
  }, 60_000)
})

describe("a store that cannot be opened on an unattended morning: told to Slack, and the next run goes on by itself", () => {
  const slack = slackHomes()

  it("a home that went read-only: exit 2 with its one line, which Slack hears too; writable again, the day runs", async () => {
    const { home, slack: receiver, env } = await slack.home()
    await cliAsyncOk(home, ["run", "daily", "--date", "2026-06-04"], env)
    receiver.texts.length = 0
    for (const file of readdirSync(home)) chmodSync(join(home, file), 0o444)
    chmodSync(home, 0o555)
    let refused
    try {
      refused = await asReader(home, ["run", "daily", "--date", "2026-06-05"], env)
    } finally {
      chmodSync(home, 0o700)
      for (const file of readdirSync(home)) chmodSync(join(home, file), 0o600)
    }
    assert.strictEqual(refused.code, 2, refused.stderr)
    const line = `COUNCIL_HOME: ${home} is not writable (EACCES): make it writable, or point COUNCIL_HOME at a writable directory (reading commands such as runs and leaderboard work on it as it is)`
    assert.strictEqual(refused.stderr.trim().split("\n").at(-1), `error: ${line}`)
    // nobody reads the log of a cron entry: the home stayed read-only, day after day, and Slack heard nothing
    assert.deepStrictEqual(failedRunTold(receiver.texts), [`:rotating_light: *ERROR* · *Failed: run daily --date 2026-06-05*\n${line}`])

    const next = await cliAsync(home, ["run", "daily", "--date", "2026-06-05"], env)
    assert.strictEqual(next.code, 0, next.stderr)
    assert.match(next.stdout, /run 2026-06-05-[0-9a-f]{8} · completed/)
  }, 60_000)

  it("a full disk is no configuration error: exit 1, told to Slack; with room again, the same command runs the day", async () => {
    const { home, slack: receiver, env } = await slack.home()
    const full = await onFullDisk(home, ["run", "daily"], env)
    assert.strictEqual(full.code, 1, full.stderr)
    const last = full.stderr.trim().split("\n").at(-1) ?? ""
    assert.match(last, new RegExp(`^error: COUNCIL_HOME: cannot open ${home}/council\\.db: database or disk is full — the disk holding ${home} is full: free space there`))
    const told = failedRunTold(receiver.texts)
    assert.strictEqual(told.length, 1, receiver.texts.join("\n---\n"))
    assert.include(told[0], `database or disk is full — the disk holding ${home} is full`)

    const next = await cliAsync(home, ["run", "daily"], env)
    assert.strictEqual(next.code, 0, next.stderr)
    assert.match(next.stdout, /run 2026-06-08-[0-9a-f]{8} · completed/)
  }, 60_000)
})

describe("a home an older version made (0755, its council.db 0644)", () => {
  const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8)
  /** A home that ran a day, and its database. */
  const homeWithDay = async () => {
    const home = tempHome()
    await cliAsyncOk(home, ["run", "daily", "--date", "2026-06-05"])
    return { home, db: join(home, "council.db") }
  }

  it("the databases become their owner's alone, saying so once; the home keeps its mode, with a warning each command", async () => {
    const { home, db } = await homeWithDay()
    chmodSync(home, 0o755)
    chmodSync(db, 0o644)

    const first = await cliAsync(home, ["runs"])
    assert.strictEqual(first.code, 0, first.stderr)
    assert.strictEqual(modeOf(db), "600")
    assert.strictEqual(modeOf(home), "755", "a directory that exists keeps its permissions")
    assert.include(first.stderr, `${db} was open to other users (mode 644): it is now its owner's alone (600)`)
    assert.include(first.stderr, `COUNCIL_HOME ${home} is open to other users (mode 755)`)
    assert.strictEqual(first.stderr.split(`COUNCIL_HOME ${home}`).length, 2, "the home is named once")

    const second = await cliAsync(home, ["runs"])
    assert.notInclude(second.stderr, "was open to other users", "the file was tightened once")
    assert.include(second.stderr, `chmod 700 ${home}`)

    chmodSync(home, 0o700)
    const closed = await cliAsync(home, ["runs"])
    assert.strictEqual(closed.stderr, "", "a private home says nothing")
  }, 60_000)

  it("a database shared with its group alone (0660) stays shared; one its group may write and every user read (0664) becomes 0660", async () => {
    const { home, db } = await homeWithDay()
    chmodSync(home, 0o770)
    chmodSync(db, 0o660)

    chmodSync(home, 0o775)
    const sharedHome = await cliAsync(home, ["runs"])
    assert.include(sharedHome.stderr, `chmod o-rwx ${home} to close it`, "a home its group may write is closed to others alone")
    chmodSync(home, 0o770)

    const shared = await cliAsync(home, ["runs"])
    assert.strictEqual(shared.code, 0, shared.stderr)
    assert.strictEqual(modeOf(db), "660", "its group's other users can still open it")
    assert.strictEqual(shared.stderr, "", "a home and a database shared with a group alone say nothing")

    chmodSync(db, 0o664)
    const open = await cliAsync(home, ["runs"])
    assert.strictEqual(open.code, 0, open.stderr)
    assert.strictEqual(modeOf(db), "660", "closed to other users, its group's members still open it")
    assert.include(open.stderr, `${db} was open to other users (mode 664): it is now its owner's and its group's (660)`)
  }, 60_000)

  it("a backtest's database and report are their owner's alone (600), in a home every user may read", async () => {
    const { home } = await homeWithDay()
    chmodSync(home, 0o755)
    const backtest = await cliAsync(home, ["backtest", "--from", "2026-06-01", "--to", "2026-06-03", "--accounts", "COUNCIL", "--json"])
    assert.strictEqual(backtest.code, 0, backtest.stderr)
    const { id } = JSON.parse(backtest.stdout) as { readonly id: string }
    const dir = join(home, "backtests")
    const written = readdirSync(dir).filter((f) => f.startsWith(id)).sort()
    assert.deepStrictEqual(written, [`${id}.db`, `${id}.report.html`, `${id}.report.json`])
    for (const file of written) assert.strictEqual(modeOf(join(dir, file)), "600", file)
  }, 60_000)

  it.runIf(process.getuid?.() === 0)("a database of another user is left as it is", async () => {
    const { home, db } = await homeWithDay()
    chmodSync(db, 0o644)
    chownSync(db, 65534, 65534)
    const runs = await cliAsync(home, ["runs"])
    assert.strictEqual(runs.code, 0, runs.stderr)
    assert.strictEqual(modeOf(db), "644")
  }, 60_000)
})

describe("a full disk", () => {
  it.effect("the error line names the home and what to do, as SQLite says only \"database or disk is full\"", () =>
    Effect.gen(function*() {
      const home = tempHome()
      // a database that may not grow past a few pages stands in for a disk with no room: SQLite's own SQLITE_FULL
      const full = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`PRAGMA max_page_count = 40`
        yield* sql`CREATE TABLE filler (body BLOB)`
        for (let i = 0; i < 100; i++) yield* sql`INSERT INTO filler VALUES (${"x".repeat(16_384)})`
      }).pipe(Effect.flip, Effect.provide(Database.layerSqlite(join(home, "full.db"))))
      assert.include(full.message, "database or disk is full")
      const previous = process.env["COUNCIL_HOME"]
      process.env["COUNCIL_HOME"] = home
      try {
        const { code, line } = outcome(Exit.fail(full))
        assert.strictEqual(code, 1)
        assert.match(line ?? "", new RegExp(`database or disk is full — the disk holding ${home} is full: free space there \\(or move COUNCIL_HOME to a disk with room\\), then run the command again$`))
      } finally {
        if (previous === undefined) delete process.env["COUNCIL_HOME"]
        else process.env["COUNCIL_HOME"] = previous
      }
    }))
})

describe("a database another process holds locked", () => {
  it("waits for it, saying once on stderr what it waits for, then answers", async () => {
    const home = tempHome()
    const file = join(home, "council.db")
    // another process takes the database's write lock and keeps it until told to let go (its stdin closes)
    const holder = spawn(process.execPath, ["-e", `
      const { DatabaseSync } = require("node:sqlite")
      const db = new DatabaseSync(${JSON.stringify(file)})
      db.exec("BEGIN EXCLUSIVE")
      console.log("holding")
      process.stdin.on("end", () => { db.exec("COMMIT"); db.close() })
      process.stdin.resume()
    `], { stdio: ["pipe", "pipe", "inherit"] })
    await new Promise<void>((held) => holder.stdout.once("data", () => held()))
    // SQLite's busy timeout shortened from its 5 s default (COUNCIL_SQLITE_BUSY_TIMEOUT_MS): the wait is said at the
    // first failed wait past 3 s, which with the default came only at 5 s
    const child = spawn(process.execPath, [bin, "leaderboard"], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, COUNCIL_SQLITE_BUSY_TIMEOUT_MS: "500" }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)))
    // the holder lets go once the command has said what it waits for (or, on a silent wait, after 30 s)
    const said = await new Promise<boolean>((done) => {
      const silent = setTimeout(() => done(false), 30_000)
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d
        if (stderr.includes("waiting for")) {
          clearTimeout(silent)
          done(true)
        }
      })
    })
    holder.stdin.end()
    const code = await exited
    assert.isTrue(said, `nothing said while waiting: ${stderr}`)
    assert.strictEqual(code, 0, stderr)
    assert.strictEqual(stderr.split(`waiting for ${file}: another process holds its write lock`).length, 2, stderr)
    assert.match(stdout, /no equity recorded/)
  }, 90_000)
})

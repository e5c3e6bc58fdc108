import { spawn } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { Database } from "@council/store"
import { PG_TEST_PASSWORD, PgServer } from "../../../packages/store/test/PgServer.ts"
import { bin, cliAsync, tempHome } from "./CliHarness.ts"
import { deploymentBlock, modeOf, runAsWritten } from "./DeploymentDoc.ts"

/**
 * A user's PostgreSQL, end to end through the CLI: a throwaway server with password auth (PgServer), each test its
 * own database.
 */

/** The same backtest window on both databases: 40 sessions (a ranking needs 20). */
const WINDOW = ["--from", "2026-03-02", "--to", "2026-04-27"]

/** Account names whose order differs between byte-wise comparison and a language's collation. */
const ACCOUNTS = ["COUNCIL", "COUNCIL_2", "COUNCIL2", "CLAUDE", "CLAUDE_B"]

const backtestId = (stdout: string) => {
  const id = /^(bt-\S+)\s+completed/m.exec(stdout)?.[1]
  assert.isDefined(id, stdout)
  return id!
}

const databaseName = (url: Redacted.Redacted) => new URL(Redacted.value(url)).pathname.slice(1)

/**
 * A session that holds `mode` on the migrations' table (what another process migrating, or a `pg_dump` under way,
 * holds) until the returned release runs; its client lives as long as the caller's scope.
 */
const holdMigrationsTable = (url: Redacted.Redacted, mode: "ACCESS SHARE" | "ACCESS EXCLUSIVE") =>
  Effect.gen(function*() {
    const context = yield* Layer.build(Database.layerPg(url))
    const connection = yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql.reserve).pipe(Effect.provide(context))
    yield* connection.executeRaw("BEGIN", [])
    yield* connection.executeRaw(`LOCK TABLE council_migrations IN ${mode} MODE`, [])
    return connection.executeRaw("COMMIT", []).pipe(Effect.asVoid)
  })

/**
 * `leaderboard` on `url` while another session holds a lock: lets go once the command has said what it waits for
 * (or after 30 s of silence), and tells whether the command had answered before the lock was let go.
 */
const leaderboardBeside = (url: Redacted.Redacted, release: Effect.Effect<void, unknown>) =>
  Effect.promise(async () => {
    const child = spawn(process.execPath, [bin, "leaderboard"], {
      env: {
        PATH: process.env["PATH"] ?? "",
        HOME: process.env["HOME"] ?? "",
        COUNCIL_HOME: tempHome(),
        DATABASE_URL: Redacted.value(url),
        // a lock wait given up after 0.5 s, not 5: the wait is said at the first one given up past 3 s
        COUNCIL_PG_LOCK_TIMEOUT_MS: "500"
      }
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)))
    const before = await new Promise<"exited" | "said" | "silent">((done) => {
      const silent = setTimeout(() => done("silent"), 30_000)
      void exited.then(() => {
        clearTimeout(silent)
        done("exited")
      })
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d
        if (!stderr.includes("waiting for")) return
        clearTimeout(silent)
        done("said")
      })
    })
    await Effect.runPromise(Effect.ignore(release))
    const code = await exited
    return { before, code, stdout, stderr }
  })

layer(PgServer.layer, { timeout: 120_000, excludeTestServices: true })("Council on PostgreSQL", (it) => {
  it.effect("a backtest gives byte for byte the equity CSV and leaderboard JSON it gives on SQLite (server and process in other time zones, another collation)", () =>
    Effect.gen(function*() {
      // an ICU collation, where COUNCIL_2 sorts before COUNCIL2 (SQLite compares bytes: after)
      const url = yield* (yield* PgServer).createDatabaseWith(`TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`)
      // a server whose sessions print times in UTC+14 and dates day-first, read by a process in UTC-7
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql.unsafe(`ALTER DATABASE ${databaseName(url)} SET timezone TO 'Pacific/Kiritimati'`)
        yield* sql.unsafe(`ALTER DATABASE ${databaseName(url)} SET datestyle TO 'SQL, DMY'`)
      }).pipe(Effect.provide(Database.layerPg(url)))
      const accounts = { TRADING_ACCOUNTS_CONFIG: JSON.stringify(ACCOUNTS.map((id) => ({ id, mode: "PAPER", credentials: { keyId: `PKTEST${id}`, secretKey: "sk-test" } }))) }
      const sqlite = { ...accounts, TZ: "UTC" }
      const pg = { ...accounts, DATABASE_URL: Redacted.value(url), TZ: "America/Los_Angeles" }
      const [onSqlite, onPg] = yield* Effect.promise(() =>
        Promise.all([
          cliAsync(tempHome(), ["backtest", ...WINDOW], sqlite),
          cliAsync(tempHome(), ["backtest", ...WINDOW], pg)
        ])
      )
      assert.strictEqual(onSqlite.code, 0, onSqlite.stderr)
      assert.strictEqual(onPg.code, 0, onPg.stderr)
      const sqliteId = backtestId(onSqlite.stdout)
      const pgId = backtestId(onPg.stdout)
      const sqliteHome = /^database (.+)\/backtests\//m.exec(onSqlite.stdout)![1]!
      const pgHome = /^database (.+)\/backtests\//m.exec(onPg.stdout)![1]!
      const read = (home: string, env: Record<string, string>, args: ReadonlyArray<string>) =>
        Effect.promise(() => cliAsync(home, args, env)).pipe(Effect.tap((r) => Effect.sync(() => assert.strictEqual(r.code, 0, r.stderr))))
      const sqliteCsv = yield* read(sqliteHome, sqlite, ["equity", "--backtest", "latest", "--csv"])
      const pgCsv = yield* read(pgHome, pg, ["equity", "--backtest", "latest", "--csv"])
      assert.match(sqliteCsv.stdout, /^COUNCIL,2026-04-27,/m)
      assert.deepStrictEqual([...new Set(sqliteCsv.stdout.split("\n").slice(1, -1).map((line) => line.split(",")[0]))], [...ACCOUNTS].sort())
      assert.strictEqual(pgCsv.stdout, sqliteCsv.stdout)
      const sqliteBoard = yield* read(sqliteHome, sqlite, ["leaderboard", "--backtest", "latest", "--json"])
      const pgBoard = yield* read(pgHome, pg, ["leaderboard", "--backtest", "latest", "--json"])
      assert.include(sqliteBoard.stdout, `"book": "${sqliteId}"`)
      assert.strictEqual(pgBoard.stdout.split(pgId).join(sqliteId), sqliteBoard.stdout)
      // its sessions' runs, from its own SQLite file beside the PostgreSQL home's ledger
      const sessionsOf = (r: { readonly stdout: string }) => (JSON.parse(r.stdout) as ReadonlyArray<{ readonly id: string }>).map((run) => run.id)
      const listing = ["runs", "--backtest", "latest", "--limit", "100", "--json"]
      const pgSessions = sessionsOf(yield* read(pgHome, pg, listing))
      assert.strictEqual(pgSessions.length, 40)
      assert.deepStrictEqual(pgSessions, sessionsOf(yield* read(sqliteHome, sqlite, listing)))
    }), { timeout: 120_000 })

  it.effect("a reader of the migrations' table (a pg_dump under way) does not hold up a command on an upgraded database", () =>
    Effect.gen(function*() {
      const url = yield* (yield* PgServer).createDatabase
      const release = yield* holdMigrationsTable(url, "ACCESS SHARE")
      const result = yield* leaderboardBeside(url, release)
      assert.strictEqual(result.before, "exited", `it waited for the backup: ${result.stderr}`)
      assert.strictEqual(result.code, 0, result.stderr)
      assert.match(result.stdout, /no equity recorded/)
    }).pipe(Effect.scoped), { timeout: 60_000 })

  it.effect("a command that waits for another session's migration says once on stderr what it waits for, then answers", () =>
    Effect.gen(function*() {
      const url = yield* (yield* PgServer).createDatabase
      const release = yield* holdMigrationsTable(url, "ACCESS EXCLUSIVE")
      const result = yield* leaderboardBeside(url, release)
      assert.strictEqual(result.before, "said", `nothing said while waiting: ${result.stderr}`)
      assert.strictEqual(result.code, 0, result.stderr)
      const shown = Redacted.value(url).replace(`:${PG_TEST_PASSWORD}@`, "@")
      assert.strictEqual(result.stderr.split(`waiting for ${shown}: another session holds a lock`).length, 2, result.stderr)
      assert.notInclude(result.stderr, PG_TEST_PASSWORD)
      assert.match(result.stdout, /no equity recorded/)
    }).pipe(Effect.scoped), { timeout: 60_000 })

  it.effect("the dump of docs/DEPLOYMENT.md, run as written, is readable by its owner alone", () =>
    Effect.gen(function*() {
      const url = yield* (yield* PgServer).createDatabase
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql.unsafe("CREATE TABLE backup_probe (id text PRIMARY KEY)")
      }).pipe(Effect.provide(Database.layerPg(url)))
      const home = tempHome()
      runAsWritten(deploymentBlock("**PostgreSQL** —"), { HOME: home, DATABASE_URL: Redacted.value(url) })
      const backups = join(home, "backups")
      const [dump, ...others] = readdirSync(backups)
      assert.deepStrictEqual(others, [])
      assert.strictEqual(modeOf(backups), "700")
      assert.strictEqual(modeOf(join(backups, dump!)), "600")
      assert.include(runAsWritten(`pg_restore --list "${join(backups, dump!)}"`, {}), "TABLE public backup_probe")
    }), { timeout: 60_000 })

  it.effect("a wrong password or database: one line with the server's reason, exit 2, the password nowhere, no home made", () =>
    Effect.gen(function*() {
      const url = Redacted.value(yield* (yield* PgServer).createDatabase)
      const shown = url.replace(`:${PG_TEST_PASSWORD}@`, "@")
      const cases = [
        { url: url.replace(PG_TEST_PASSWORD, "not-the-Password-99"), reason: `password authentication failed for user "postgres" (28P01)` },
        { url: url.replace(/\/[^/]+$/, "/no_such_db"), reason: `database "no_such_db" does not exist (3D000)` }
      ]
      for (const { url: bad, reason } of cases) {
        for (const args of [["runs"], ["run", "daily"], ["backtest", ...WINDOW]]) {
          const home = join(tempHome(), "fresh")
          const result = yield* Effect.promise(() => cliAsync(home, args, { DATABASE_URL: bad }))
          const display = bad.includes("no_such_db") ? shown.replace(/\/[^/]+$/, "/no_such_db") : shown
          assert.strictEqual(result.code, 2, result.stderr)
          assert.strictEqual(result.stderr, `error: DATABASE_URL: cannot use ${display}: ${reason}\n`)
          assert.strictEqual(result.stdout, "")
          assert.notInclude(result.stderr, "Password-99")
          assert.notInclude(result.stderr, PG_TEST_PASSWORD)
          assert.isFalse(existsSync(home), `${args.join(" ")} made ${home}`)
        }
      }
    }), { timeout: 120_000 })
})

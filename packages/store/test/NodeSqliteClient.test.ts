import { spawn } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs"
import { DatabaseSync } from "node:sqlite"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Exit, Layer, Stream } from "effect"
import { SqlClient, SqlError } from "effect/sql"
import { NodeSqliteClient } from "@council/store"

const tempDirs: Array<string> = []
const tempFile = (...path: Array<string>) => {
  const dir = mkdtempSync(join(tmpdir(), "council-sqlite-"))
  tempDirs.push(dir)
  return join(dir, ...path)
}
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const withClient = <A, E>(
  body: Effect.Effect<A, E, SqlClient.SqlClient>,
  filename = tempFile("test.db"),
  options: Omit<NodeSqliteClient.Config, "filename"> = {}
) => Effect.provide(body, NodeSqliteClient.layer({ ...options, filename }).pipe(Layer.fresh))

const failure = <A>(exit: Exit.Exit<A, unknown>): unknown => {
  if (Exit.isSuccess(exit)) return assert.fail("expected a failure")
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  return reason?._tag === "Fail" ? reason.error : assert.fail("expected a typed failure")
}

describe("NodeSqliteClient", () => {
  it.effect("creates the missing directories for their owner alone: the store holds the local exchange's key secrets", () => {
    const filename = tempFile("home", "backtests", "db.sqlite")
    const home = join(filename, "..", "..")
    return withClient(
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE t (secret TEXT)`
        for (const dir of [home, join(home, "backtests")]) assert.strictEqual(statSync(dir).mode & 0o777, 0o700, dir)
      }),
      filename
    )
  })

  it.effect("creates a database file (and its WAL) for its owner alone, in a directory that was there and others can read", () => {
    // COUNCIL_HOME given as a directory that exists (a home made by an older version, $HOME itself): its
    // permissions are the user's to keep, so the files holding the secrets must not take the umask's 0644
    const filename = tempFile("council.db")
    chmodSync(join(filename, ".."), 0o755)
    return withClient(
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE t (secret TEXT)`
        yield* sql`INSERT INTO t VALUES ('s')`
        for (const file of [filename, `${filename}-wal`, `${filename}-shm`]) assert.strictEqual(statSync(file).mode & 0o777, 0o600, file)
        assert.strictEqual(statSync(join(filename, "..")).mode & 0o777, 0o755, "the directory keeps its permissions")
      }),
      filename
    )
  })

  it.effect("creates the parent directory and sets the pragmas", () => {
    const filename = tempFile("nested", "deeper", "db.sqlite")
    return withClient(
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        assert.deepStrictEqual(yield* sql`PRAGMA journal_mode`.values, [["wal"]])
        assert.deepStrictEqual(yield* sql`PRAGMA foreign_keys`.values, [[1]])
        assert.deepStrictEqual(yield* sql`PRAGMA busy_timeout`.values, [[5000]])
        assert.deepStrictEqual(yield* sql`PRAGMA wal_autocheckpoint`.values, [[10000]])
        assert.isTrue(existsSync(filename))
        assert.strictEqual(sql.driver, "sqlite-node")
      }),
      filename
    )
  })

  it.effect("checkpoints after `walAutocheckpoint` WAL pages (default 10,000): a larger setting keeps a longer WAL", () =>
    Effect.gen(function*() {
      /** The setting, and the WAL pages left after writing ~3,000 pages (12 MB) in commits of ~100 pages. */
      const afterWriting = (walAutocheckpoint: number) =>
        withClient(
          Effect.gen(function*() {
            const sql = yield* SqlClient.SqlClient
            const setting = (yield* sql`PRAGMA wal_autocheckpoint`.values)[0]?.[0]
            yield* sql`CREATE TABLE t (v BLOB)`
            for (let i = 0; i < 30; i++) {
              yield* sql`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) INSERT INTO t SELECT randomblob(4000) FROM n`
            }
            const log = (yield* sql`PRAGMA wal_checkpoint(PASSIVE)`.values)[0]?.[1]
            return { setting, log: Number(log) }
          }),
          tempFile("bulk.db"),
          { walAutocheckpoint }
        )
      const small = yield* afterWriting(1_000)
      const large = yield* afterWriting(4_000)
      assert.deepStrictEqual([small.setting, large.setting], [1_000, 4_000])
      assert.isBelow(small.log, 1_000 + 200, "checkpointed on the way, the WAL started over")
      assert.isAbove(large.log, 3_000, "every page still in the WAL")
    }))

  it.effect("binds parameters and returns rows as objects", () =>
    withClient(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE t (
        id INTEGER PRIMARY KEY, flag BOOLEAN, at TEXT, big INTEGER, blob BLOB, note TEXT, n REAL
      )`
      yield* sql`INSERT INTO t ${
        sql.insert([
          {
            flag: true,
            at: new Date(Date.UTC(2026, 7, 24, 13)),
            big: 42n,
            blob: new Uint8Array([1, 2, 255]),
            note: null,
            n: 0.5
          },
          { flag: false, at: "plain", big: 7, blob: null, note: undefined, n: -1 }
        ])
      }`
      const rows = yield* sql<{
        readonly id: number
        readonly flag: number
        readonly at: string
        readonly big: number
        readonly blob: Uint8Array | null
        readonly note: string | null
        readonly n: number
      }>`SELECT * FROM t ORDER BY id`
      assert.deepStrictEqual(rows.map((r) => ({ ...r, blob: r.blob && [...r.blob] })), [
        { id: 1, flag: 1, at: "2026-08-24T13:00:00.000Z", big: 42, blob: [1, 2, 255], note: null, n: 0.5 },
        { id: 2, flag: 0, at: "plain", big: 7, blob: null, note: null, n: -1 }
      ])
      assert.deepStrictEqual(yield* sql`SELECT id, flag FROM t WHERE flag = ${true}`.values, [[1, 1]])
      assert.deepStrictEqual(yield* sql`SELECT a.id, b.id FROM t a JOIN t b ON b.id = a.id + 1`.values, [[1, 2]])
      const ids = yield* Stream.runCollect(sql`SELECT id FROM t ORDER BY id`.stream)
      assert.deepStrictEqual(ids.map((r) => r["id"]), [1, 2])
      const raw = yield* sql`UPDATE t SET note = ${"x"}`.raw
      assert.deepStrictEqual(raw, { changes: 2, lastInsertRowid: 2 })
    })))

  it.effect("reads integers beyond 2^53 only as bigints", () =>
    withClient(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const big = sql`SELECT 9007199254740993 AS big`
      assert.deepStrictEqual(
        yield* big.pipe(Effect.provideService(SqlClient.SafeIntegers, true)),
        [Object.assign(Object.create(null), { big: 9007199254740993n })]
      )
      const error = failure(yield* Effect.exit(big))
      assert.isTrue(SqlError.isSqlError(error))
    })))

  it.effect("reads a cached statement's integers as each run's SafeIntegers says, switching back and forth", () =>
    withClient(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const seven = (safe: boolean) => sql`SELECT 7 AS n`.pipe(Effect.provideService(SqlClient.SafeIntegers, safe))
      const read = (safe: boolean) => Effect.map(seven(safe), (rows) => rows[0]!["n"])
      assert.deepStrictEqual(
        [yield* read(false), yield* read(true), yield* read(true), yield* read(false), yield* read(true)],
        [7, 7n, 7n, 7, 7n]
      )
    })))

  it.effect("maps SQLite failures to SqlError reasons", () =>
    withClient(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE parent (id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL)`
      yield* sql`CREATE TABLE child (parent_id TEXT NOT NULL REFERENCES parent (id))`
      yield* sql`INSERT INTO parent VALUES ('p', 'n')`
      const reason = (effect: Effect.Effect<unknown, SqlError.SqlError>) =>
        Effect.map(Effect.flip(effect), (error) => error.reason)
      const primary = yield* reason(sql`INSERT INTO parent VALUES ('p', 'other')`)
      assert.strictEqual(primary._tag, "UniqueViolation")
      assert.include(primary.message, "parent.id")
      assert.strictEqual((yield* reason(sql`INSERT INTO parent VALUES ('q', 'n')`))._tag, "UniqueViolation")
      assert.strictEqual((yield* reason(sql`INSERT INTO parent VALUES ('r', NULL)`))._tag, "ConstraintError")
      assert.strictEqual((yield* reason(sql`INSERT INTO child VALUES ('missing')`))._tag, "ConstraintError")
      const syntax = yield* reason(sql`SELEKT 1`)
      assert.include(syntax.message, "syntax error")
    })))

  it.effect("commits and rolls back transactions, with savepoints", () =>
    withClient(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE t (v TEXT)`
      const insert = (v: string) => sql`INSERT INTO t (v) VALUES (${v})`
      const values = Effect.map(
        sql<{ readonly v: string }>`SELECT v FROM t ORDER BY rowid`,
        (rows) => rows.map((r) => r.v)
      )

      yield* sql.withTransaction(Effect.andThen(insert("committed"), insert("also")))
      const exit = yield* Effect.exit(sql.withTransaction(Effect.andThen(insert("rolled back"), Effect.fail("boom"))))
      assert.strictEqual(failure(exit), "boom")
      yield* sql.withTransaction(
        Effect.gen(function*() {
          yield* insert("outer")
          yield* Effect.exit(sql.withTransaction(Effect.andThen(insert("inner"), Effect.fail("inner boom"))))
          yield* sql.withTransaction(insert("inner kept"))
        })
      )
      assert.deepStrictEqual(yield* values, ["committed", "also", "outer", "inner kept"])
      assert.deepStrictEqual(yield* sql`SELECT 1 AS ok`.values, [[1]])
    })))

  it.effect("serializes concurrent fibers on the one connection", () =>
    withClient(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE counter (n INTEGER NOT NULL)`
      yield* sql`INSERT INTO counter VALUES (0)`
      const increment = sql.withTransaction(
        Effect.gen(function*() {
          const [row] = yield* sql<{ readonly n: number }>`SELECT n FROM counter`
          yield* Effect.yieldNow
          yield* sql`UPDATE counter SET n = ${(row?.n ?? 0) + 1}`
        })
      )
      yield* Effect.all(Array.from({ length: 25 }, () => increment), { concurrency: "unbounded", discard: true })
      yield* Effect.all(
        Array.from({ length: 25 }, (_, i) => sql`SELECT ${i} AS i`),
        { concurrency: "unbounded", discard: true }
      )
      assert.deepStrictEqual(yield* sql`SELECT n FROM counter`.values, [[25]])
    })))

  it.effect("two clients on one file see each other's committed writes", () => {
    const filename = tempFile("shared.db")
    return Effect.gen(function*() {
      yield* withClient(Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE t (v TEXT)`
        yield* sql`INSERT INTO t VALUES ('first')`
      }), filename)
      const seen = yield* withClient(Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql.withTransaction(sql`INSERT INTO t VALUES ('second')`)
        return yield* sql`SELECT v FROM t ORDER BY rowid`.values
      }), filename)
      assert.deepStrictEqual(seen, [["first"], ["second"]])
    })
  })
  it.effect("transactions take the write lock up front", () => {
    const filename = tempFile("immediate.db")
    return withClient(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE t (v TEXT)`
      const other = new DatabaseSync(filename, { timeout: 0 })
      const otherWrite = () => Effect.try(() => other.exec("INSERT INTO t VALUES ('other')"))
      const during = yield* sql.withTransaction(Effect.andThen(sql`SELECT count(*) FROM t`, Effect.exit(otherWrite())))
      assert.isTrue(Exit.isFailure(during))
      assert.isTrue(Exit.isSuccess(yield* Effect.exit(otherWrite())))
      other.close()
    }), filename)
  })

  it.live("waits for another process's write lock instead of failing", () => {
    const filename = tempFile("busy.db")
    const holder = `
      const { DatabaseSync } = require("node:sqlite")
      const db = new DatabaseSync(process.argv[1])
      db.exec("PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS t (v TEXT)")
      db.exec("BEGIN IMMEDIATE; INSERT INTO t VALUES ('holder')")
      console.log("locked " + Date.now())
      setTimeout(() => { db.exec("COMMIT"); db.close() }, 400)
    `
    return Effect.gen(function*() {
      // when the holder took the lock, by its own clock: the test may read its line late on a loaded machine
      const started = yield* Effect.callback<number>((resume) => {
        const child = spawn(process.execPath, ["-e", holder, filename], { stdio: ["ignore", "pipe", "inherit"] })
        child.stdout.once("data", (line: Buffer) => resume(Effect.succeed(Number(/locked (\d+)/.exec(line.toString())?.[1]))))
      })
      const rows = yield* withClient(Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`INSERT INTO t VALUES ('client')`
        return yield* sql`SELECT v FROM t ORDER BY rowid`.values
      }), filename)
      assert.deepStrictEqual(rows, [["holder"], ["client"]])
      // the client's write ended after the holder's commit, 400 ms after it took the lock
      assert.isAtLeast((yield* Clock.currentTimeMillis) - started, 390)
    })
  }, 20_000)
})

import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { DatabaseSync } from "node:sqlite"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { CommitPoints } from "@council/engine"
import { NodeSqliteClient } from "@council/store"

const tempDirs: Array<string> = []
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), "council-held-"))
  tempDirs.push(dir)
  return join(dir, "held.db")
}
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

/** What another connection (another process's view) reads from `t`: its values in order, or none before it exists. */
const committed = (filename: string): ReadonlyArray<string> => {
  const db = new DatabaseSync(filename, { readOnly: true })
  try {
    return db.prepare("SELECT v FROM t ORDER BY rowid").all().map((row) => String(row["v"]))
  } catch {
    return []
  } finally {
    db.close()
  }
}

const held = (filename: string, commitEvery: NodeSqliteClient.CommitEvery) =>
  NodeSqliteClient.layerHeld({ filename, commitEvery }).pipe(Layer.fresh)

/** A transaction inserting `v`, then a commit point. */
const insert = (v: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql.withTransaction(sql`INSERT INTO t VALUES (${v})`)
    yield* CommitPoints.use((points) => points.reached)
  })

describe("NodeSqliteClient, held commits (commitEvery)", () => {
  it.effect("the file sees transactions at the first commit point once `transactions` are held, in order, and the rest when the client closes", () => {
    const filename = tempFile()
    return Effect.gen(function*() {
      const seen = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE t (v TEXT)`
        const seen: Array<ReadonlyArray<string>> = []
        for (const v of ["a", "b", "c", "d", "e"]) {
          yield* insert(v)
          // this connection reads its own writes at once
          assert.strictEqual((yield* sql<{ v: string }>`SELECT v FROM t ORDER BY rowid`).at(-1)?.v, v)
          seen.push(committed(filename))
        }
        // without a commit point nothing is committed, however many are held
        for (const v of ["f", "g", "h", "i"]) yield* sql.withTransaction(sql`INSERT INTO t VALUES (${v})`)
        seen.push(committed(filename))
        return seen
      }).pipe(Effect.provide(held(filename, { transactions: 3, ms: 3_600_000 })))
      // the table's creation and a, b held; committed at the point after c (the third transaction); d, e held
      const abc = ["a", "b", "c"]
      assert.deepStrictEqual(seen, [[], [], abc, abc, abc, abc])
      assert.deepStrictEqual(committed(filename), ["a", "b", "c", "d", "e", "f", "g", "h", "i"], "closing commits what was held")
    })
  })

  it.effect("`ms: 0`: every commit point commits", () => {
    const filename = tempFile()
    return Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE t (v TEXT)`
      for (const v of ["a", "b"]) {
        yield* insert(v)
        assert.strictEqual(committed(filename).at(-1), v)
      }
    }).pipe(Effect.provide(held(filename, { transactions: 1_000, ms: 0 })))
  })

  it.effect("without `commitEvery` (and through `layer`, which ignores it) every transaction commits when it ends", () =>
    Effect.gen(function*() {
      for (const layer of [NodeSqliteClient.layerHeld({ filename: tempFile() }), NodeSqliteClient.layer({ filename: tempFile(), commitEvery: { transactions: 100, ms: 3_600_000 } })]) {
        const filename = yield* Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const [row] = yield* sql<{ file: string }>`SELECT file FROM pragma_database_list WHERE name = 'main'`
          yield* sql`CREATE TABLE t (v TEXT)`
          yield* sql.withTransaction(sql`INSERT INTO t VALUES ('a')`)
          assert.deepStrictEqual(committed(row!.file), ["a"])
          return row!.file
        }).pipe(Effect.provide(Layer.mergeAll(layer, Layer.succeed(CommitPoints, CommitPoints.of({ reached: Effect.void }))).pipe(Layer.fresh)))
        assert.deepStrictEqual(committed(filename), ["a"])
      }
    }))

  it.effect("a failed transaction undoes only itself (nested ones too); the held ones around it reach the file", () => {
    const filename = tempFile()
    return Effect.gen(function*() {
      yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE t (v TEXT)`
        yield* sql.withTransaction(sql`INSERT INTO t VALUES ('a')`)
        const failed = yield* Effect.exit(sql.withTransaction(Effect.andThen(sql`INSERT INTO t VALUES ('b')`, Effect.fail("no"))))
        assert.isTrue(Exit.isFailure(failed))
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO t VALUES ('c')`
          yield* Effect.exit(sql.withTransaction(Effect.andThen(sql`INSERT INTO t VALUES ('d')`, Effect.fail("inner"))))
          yield* sql.withTransaction(sql`INSERT INTO t VALUES ('e')`)
        }))
        yield* sql`INSERT INTO t VALUES ('f')`
        assert.deepStrictEqual((yield* sql<{ v: string }>`SELECT v FROM t ORDER BY rowid`).map((r) => r.v), ["a", "c", "e", "f"])
        assert.deepStrictEqual(committed(filename), [], "all held")
      }).pipe(Effect.provide(held(filename, { transactions: 100, ms: 3_600_000 })))
      assert.deepStrictEqual(committed(filename), ["a", "c", "e", "f"])
    })
  })

  it("SIGKILL loses only the held transactions: the file holds transactions 1 … n whole, n a multiple of `transactions`", async () => {
    const filename = tempFile()
    const child = spawn(process.execPath, [join(import.meta.dirname, "fixtures", "held-writer.ts"), filename, "7"], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)))
    // nothing before the file and its table exist
    const rows = () => {
      try {
        const db = new DatabaseSync(filename, { readOnly: true })
        try {
          return db.prepare("SELECT n, part FROM t ORDER BY rowid").all().map((row) => [Number(row["n"]), Number(row["part"])])
        } finally {
          db.close()
        }
      } catch {
        return []
      }
    }
    // killed once the file has seen a few commits of held transactions
    while (rows().length < 40 && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 5))
    child.kill("SIGKILL")
    assert.strictEqual(await exited, "SIGKILL")
    const found = rows()
    const n = found.length / 2
    assert.isAtLeast(n, 20)
    // commit points after every transaction: the file sees 7, 14, … of them
    assert.strictEqual(n % 7, 0, `${n} transactions`)
    assert.deepStrictEqual(found, Array.from({ length: n }, (_, i) => [[i + 1, 1], [i + 1, 2]]).flat())
  }, 60_000)
})

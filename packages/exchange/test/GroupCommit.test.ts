import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Data, Deferred, Effect, Exit, Fiber } from "effect"
import { SqlClient } from "effect/sql"
import { Database } from "@council/store"
import * as GroupCommit from "../src/GroupCommit.ts"

class Refused extends Data.TaggedError("Refused")<{ readonly n: number }> {}

const setup = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE items (n INTEGER PRIMARY KEY)`
  const commits = yield* GroupCommit.make(sql)
  const insert = (n: number) => Effect.asVoid(sql`INSERT INTO items (n) VALUES (${n})`)
  const items = Effect.map(sql<{ readonly n: number }>`SELECT n FROM items ORDER BY n`, (rows): Array<number> => rows.map((r) => r.n))
  /** Holds the batch fiber on a first call, so that the calls queued meanwhile form one batch. */
  const held = Effect.gen(function*() {
    const gate = yield* Deferred.make<void>()
    const started = yield* Deferred.make<void>()
    const first = yield* Effect.forkChild(commits.run(Effect.andThen(Deferred.succeed(started, undefined), Deferred.await(gate))))
    yield* Deferred.await(started)
    return Effect.andThen(Deferred.succeed(gate, undefined), Fiber.join(first))
  })
  return { commits, insert, items, held }
})

/** Queues `calls` while the batch fiber is held, releases it, and returns each call's exit. */
const asOneBatch = <const Calls extends ReadonlyArray<Effect.Effect<unknown, unknown>>>(
  held: Effect.Effect<Effect.Effect<void, unknown>, never, never>,
  calls: Calls
) =>
  Effect.gen(function*() {
    const release = yield* held
    const fiber = yield* Effect.forkChild(Effect.forEach(calls, (call) => Effect.exit(call), { concurrency: "unbounded" }))
    yield* Effect.yieldNow
    yield* release
    return yield* Fiber.join(fiber)
  })

const tempDirs: Array<string> = []
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), "council-group-commit-"))
  tempDirs.push(dir)
  return join(dir, "council.db")
}

describe("GroupCommit", () => {
  it.effect("commits a batch once; each call sees the ones before it; a call that fails before writing fails alone", () =>
    Effect.gen(function*() {
      const { commits, held, insert, items } = yield* setup
      const exits = yield* asOneBatch(held, [
        commits.run(insert(1)),
        commits.run(Effect.flatMap(items, (seen) => Effect.fail(new Refused({ n: seen.length })))),
        commits.run(Effect.andThen(insert(2), items))
      ])
      assert.deepStrictEqual(exits.map((exit) => Exit.isSuccess(exit)), [true, false, true])
      assert.deepStrictEqual(exits[1], Exit.fail(new Refused({ n: 1 })))
      assert.deepStrictEqual(exits[2], Exit.succeed([1, 2]))
      assert.deepStrictEqual(yield* items, [1, 2])
    }).pipe(Effect.provide(Database.layerSqlite(":memory:"))))

  it.effect("queued calls share one transaction: another connection sees none of their writes until the batch commits", () => {
    const file = tempFile()
    return Effect.gen(function*() {
      const { commits, held, insert, items } = yield* setup
      const observer = new DatabaseSync(file, { readOnly: true })
      const committed = () => observer.prepare("SELECT count(*) AS n FROM items").get()?.["n"]
      const exits = yield* asOneBatch(held, [
        commits.run(insert(1)),
        commits.run(Effect.andThen(insert(2), Effect.sync(committed)))
      ])
      assert.deepStrictEqual(exits[1], Exit.succeed(0))
      assert.strictEqual(committed(), 2)
      assert.deepStrictEqual(yield* items, [1, 2])
      observer.close()
    }).pipe(Effect.provide(Database.layerSqlite(file)))
  })

  it.effect("an isolated call that fails after writing leaves nothing behind", () =>
    Effect.gen(function*() {
      const { commits, held, insert, items } = yield* setup
      const exits = yield* asOneBatch(held, [
        commits.run(insert(1)),
        commits.runIsolated(Effect.andThen(insert(5), Effect.fail(new Refused({ n: 5 })))),
        commits.run(insert(2))
      ])
      assert.deepStrictEqual(exits.map((exit) => Exit.isSuccess(exit)), [true, false, true])
      assert.deepStrictEqual(yield* items, [1, 2])
    }).pipe(Effect.provide(Database.layerSqlite(":memory:"))))

  it.effect("a database error after writing rolls the batch back and reruns its calls one by one: only the culprit fails", () =>
    Effect.gen(function*() {
      const { commits, held, insert, items } = yield* setup
      const exits = yield* asOneBatch(held, [
        commits.run(insert(1)),
        commits.run(Effect.andThen(insert(7), insert(1))),
        commits.run(insert(2))
      ])
      assert.deepStrictEqual(exits.map((exit) => Exit.isSuccess(exit)), [true, false, true])
      const culprit = exits[1]!
      assert.isTrue(Exit.isFailure(culprit) && String(culprit.cause).includes("UniqueViolation"))
      assert.deepStrictEqual(yield* items, [1, 2])
    }).pipe(Effect.provide(Database.layerSqlite(":memory:"))))
})

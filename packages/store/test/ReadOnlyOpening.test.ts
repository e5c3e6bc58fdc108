import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { SqlClient } from "effect/sql"
import * as Reactivity from "effect/reactivity/Reactivity"
import { NodeSqliteClient } from "@council/store"

// A database read by a process that cannot write its directory (another user's home): its owner writes and
// checkpoints it meanwhile, in a process of its own (fixtures/sqlite-writer.ts). The reader must see a consistent
// state — what was committed — or say in one line that it cannot; never rows of a state that never was.

const tempDirs: Array<string> = []
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))
const tempDb = () => {
  const dir = mkdtempSync(join(tmpdir(), "council-readonly-"))
  tempDirs.push(dir)
  return join(dir, "council.db")
}

interface Writer {
  readonly send: (command: string) => Promise<string>
}

/** The owner's process on `file`, killed when the scope closes if still alive. */
const writerOn = (file: string) =>
  Effect.acquireRelease(
    Effect.sync(() => spawn(process.execPath, [join(import.meta.dirname, "fixtures", "sqlite-writer.ts"), file], { stdio: ["pipe", "pipe", "inherit"] })),
    (child: ChildProcess) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  ).pipe(Effect.map((child): Writer => {
    let buffered = ""
    const waiting: Array<(line: string) => void> = []
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString()
      for (let at = buffered.indexOf("\n"); at >= 0; at = buffered.indexOf("\n")) {
        const line = buffered.slice(0, at)
        buffered = buffered.slice(at + 1)
        waiting.shift()?.(line)
      }
    })
    return {
      send: (command) =>
        new Promise((resolve) => {
          waiting.push(resolve)
          child.stdin!.write(`${command}\n`)
        })
    }
  }))

const send = (writer: Writer, command: string) =>
  Effect.promise(() => writer.send(command)).pipe(Effect.tap((answer) => Effect.sync(() => assert.strictEqual(answer, "ok", command))))

/** What the reader sees: the rows, and those whose payload is not the 4,000 characters every row was written with. */
const survey = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const [row] = yield* sql<{ n: number; torn: number }>`SELECT count(*) AS n, count(*) FILTER (WHERE length(payload) <> 4000) AS torn FROM t`
  return { n: row!.n, torn: row!.torn }
})

const readOnly = (file: string) => NodeSqliteClient.make({ filename: file, readOnly: true }).pipe(Effect.provide(Reactivity.layer))

describe("a database opened read-only while its owner writes it (two processes)", () => {
  it.live("opened while the owner has it open (its WAL just emptied by a checkpoint): sees each commit, checkpointed or not", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = tempDb()
      const writer = yield* writerOn(file)
      yield* send(writer, "insert 50")
      yield* send(writer, "checkpoint")
      const sql = yield* readOnly(file)
      const read = Effect.provideService(survey, SqlClient.SqlClient, sql)
      assert.deepStrictEqual(yield* read, { n: 50, torn: 0 })
      yield* send(writer, "insert 50")
      assert.deepStrictEqual(yield* read, { n: 100, torn: 0 }, "a commit in the WAL")
      yield* send(writer, "checkpoint")
      assert.deepStrictEqual(yield* read, { n: 100, torn: 0 }, "the same, written back into the file")
      for (let round = 0; round < 5; round++) {
        yield* send(writer, "insert 40")
        yield* send(writer, "checkpoint")
        assert.deepStrictEqual(yield* read, { n: 140 + 40 * round, torn: 0 }, `round ${round}`)
      }
    })))

  it.live("opened with no connection on it (no -wal, no -shm): when the owner then writes, the reader moves to its commits or says so", () =>
    Effect.scoped(Effect.gen(function*() {
      const file = tempDb()
      const first = yield* writerOn(file)
      yield* send(first, "insert 50")
      yield* send(first, "close")
      assert.isFalse(existsSync(`${file}-wal`) || existsSync(`${file}-shm`))
      const sql = yield* readOnly(file)
      const read = Effect.exit(Effect.provideService(survey, SqlClient.SqlClient, sql))
      assert.deepStrictEqual(yield* read, Exit.succeed({ n: 50, torn: 0 }))
      const owner = yield* writerOn(file)
      for (let round = 0; round < 5; round++) {
        yield* send(owner, "insert 30")
        yield* send(owner, "checkpoint")
        const seen = yield* read
        if (Exit.isSuccess(seen)) {
          assert.deepStrictEqual(seen.value, { n: 80 + 30 * round, torn: 0 }, `round ${round}: a state that was committed, the latest`)
        } else {
          const message = String(seen.cause)
          assert.match(message, /changed while it was read/, `round ${round}`)
        }
      }
    })))

  it.live("read over and over while the owner commits and checkpoints back to back: every read a committed state, or the one-line error", () =>
    Effect.scoped(Effect.gen(function*() {
      for (const connected of [true, false]) {
        const file = tempDb()
        const writer = yield* writerOn(file)
        yield* send(writer, "insert 20")
        if (!connected) yield* send(writer, "close")
        const sql = yield* readOnly(file)
        const read = Effect.exit(Effect.provideService(survey, SqlClient.SqlClient, sql))
        const owner = connected ? writer : yield* writerOn(file)
        let done = false
        const churn = owner.send("churn 60").then((answer) => {
          done = true
          return answer
        })
        const seen: Array<number> = []
        let refused = 0
        while (!done) {
          const exit = yield* read
          if (Exit.isSuccess(exit)) {
            assert.strictEqual(exit.value.torn, 0, "a row read half from before a checkpoint")
            assert.strictEqual(exit.value.n % 20, 0, `${exit.value.n} rows: not a committed state`)
            seen.push(exit.value.n)
          } else {
            assert.match(String(exit.cause), /changed while it was read \(its owner is writing it\): run the command again/)
            refused++
          }
        }
        assert.strictEqual(yield* Effect.promise(() => churn), "ok")
        // never back in time, and it kept up: the last read after the churn sees all of it
        assert.deepStrictEqual(seen, [...seen].sort((a, b) => a - b), `connected ${connected}`)
        const last = yield* read
        assert.deepStrictEqual(last, Exit.succeed({ n: 20 + 60 * 20, torn: 0 }), `connected ${connected}, ${seen.length} reads, ${refused} refused`)
      }
    })))
})

import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readlinkSync, rmSync } from "node:fs"
import { hostname, tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it, layer } from "@effect/vitest"
import { Deferred, Effect, Exit, Layer, Redacted, Schedule, Scope } from "effect"
import { SqlClient } from "effect/sql"
import { Database, type LockHolder, RunLock } from "@council/store"
import { PgServer } from "./PgServer.ts"

const dirs: Array<string> = []
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), "council-lock-"))
  dirs.push(dir)
  return join(dir, "council.db")
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

/** A client of a database with the run lock, open for the rest of the test's scope (another process's view of it). */
const open = (database: Layer.Layer<SqlClient.SqlClient, unknown>) => Layer.build(RunLock.layer.pipe(Layer.provideMerge(Layer.fresh(database))))

/** A scope the test closes when it wants a holder gone; it closes with the test's scope anyway (a failed test never hangs on a held connection). */
const heldScope = Effect.flatMap(Effect.scope, (parent) => Scope.fork(parent))

/** Acquires `key` in a scope of its own that the test closes when it wants the holder gone. */
const holdIn = (scope: Scope.Closeable, key: string, ttlMillis = 60_000) =>
  RunLock.use((lock) => lock.acquire(key, { command: `run daily ${key}`, ttlMillis })).pipe(Scope.provide(scope))

const refusal = (key: string) =>
  Effect.flip(Effect.scoped(RunLock.use((lock) => lock.acquire(key, { command: "second", ttlMillis: 60_000 }))))

/** A lease row written as another holder would have: on `host`, as `pid`, expiring at `expiresAtMs`. */
const foreignLease = (key: string, host: string, pid: number, expiresAtMs: number) =>
  SqlClient.SqlClient.use((sql) =>
    sql`INSERT INTO run_leases ${sql.insert({
      lock_key: key,
      owner: "someone-else",
      run_id: "2026-06-08-abcdef01",
      host,
      pid,
      command: "run daily 2026-06-08",
      acquired_at_ms: expiresAtMs - 60_000,
      heartbeat_at_ms: expiresAtMs - 60_000,
      expires_at_ms: expiresAtMs
    })}`)

const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid!

interface Holder {
  readonly child: ChildProcess
  /** Everything it printed so far. */
  readonly output: () => string
  readonly exited: Promise<number | null>
}

/** Another process holding `key` (fixtures/hold-lock.ts), killed when the test's scope closes if still alive. */
const holderProcess = (target: string, key: string, ttlMillis: number, env: Record<string, string> = {}) =>
  Effect.acquireRelease(
    Effect.promise(() => {
      const child = spawn(process.execPath, [join(import.meta.dirname, "fixtures", "hold-lock.ts"), target, key, String(ttlMillis)], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "inherit"]
      })
      let output = ""
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
      return new Promise<Holder>((resolve, reject) => {
        child.stdout!.on("data", (chunk: Buffer) => {
          output += chunk.toString()
          if (/^(held|refused)/m.test(output)) resolve({ child, output: () => output, exited })
        })
        void exited.then((code) => reject(new Error(`hold-lock exited ${code} before holding: ${output}`)))
      })
    }),
    ({ child }) => Effect.sync(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"))
  )

/** Acquires `key` in `scope`, retrying a refusal every 100 ms for up to 10 s (a holder being presumed gone). */
const holdEventually = (scope: Scope.Closeable, key: string) =>
  holdIn(scope, key).pipe(Effect.retry({ while: (e) => e._tag === "LockHeld", schedule: Schedule.spaced("100 millis"), times: 100 }))

/**
 * Two real processes contend for a day: the other process holds it and this one is refused (naming its pid);
 * SIGKILL frees it; a SIGSTOPped holder keeps it until its lease expires, then loses it and learns so when resumed.
 */
const twoProcessCases = (target: Effect.Effect<{ readonly arg: string; readonly env: Record<string, string> }>) => {
  const killed = Effect.gen(function*() {
    const { arg, env } = yield* target
    const holder = yield* holderProcess(arg, "daily:2026-06-08", 60_000, env)
    assert.match(holder.output(), /^held \d+/)
    const held = yield* refusal("daily:2026-06-08")
    assert.strictEqual(held._tag, "LockHeld")
    if (held._tag === "LockHeld") assert.deepStrictEqual([held.holder?.pid, held.holder?.host], [holder.child.pid, hostname()])
    const third = yield* holderProcess(arg, "daily:2026-06-08", 60_000, env)
    assert.strictEqual(third.output().trim(), "refused")
    assert.strictEqual(yield* Effect.promise(() => third.exited), 2)
    holder.child.kill("SIGKILL")
    yield* Effect.promise(() => holder.exited)
    const scope = yield* heldScope
    const lease = yield* holdEventually(scope, "daily:2026-06-08")
    assert.strictEqual(lease.tookOver?.pid, holder.child.pid)
    yield* Scope.close(scope, Exit.void)
  })
  const hung = Effect.gen(function*() {
    const { arg, env } = yield* target
    // a lease of 3 s (renewed each second): held for at least 2 s after the holder stops, time enough for the
    // refusal on a loaded machine (900 ms left a stall of ~600 ms to expire it first); taken over within 10 s
    const holder = yield* holderProcess(arg, "daily:2026-06-09", 3_000, env)
    holder.child.kill("SIGSTOP")
    const held = yield* refusal("daily:2026-06-09")
    assert.strictEqual(held._tag, "LockHeld")
    const scope = yield* heldScope
    const lease = yield* holdEventually(scope, "daily:2026-06-09")
    assert.strictEqual(lease.tookOver?.pid, holder.child.pid)
    holder.child.kill("SIGCONT")
    assert.strictEqual(yield* Effect.promise(() => holder.exited), 3)
    assert.match(holder.output(), /\nlost\n$/)
    yield* Scope.close(scope, Exit.void)
  })
  return { killed, hung }
}

describe("RunLock on SQLite", () => {
  it.effect("one holder at a time: a second one is told who holds the key; after release it is taken", () =>
    Effect.gen(function*() {
      const file = tempFile()
      const first = yield* open(Database.layerSqlite(file))
      const second = yield* open(Database.layerSqlite(file))
      const scope = yield* heldScope
      const lease = yield* holdIn(scope, "daily:2026-06-08").pipe(Effect.provide(first))
      yield* lease.setRunId("2026-06-08-12345678").pipe(Effect.provide(first))
      const held = yield* refusal("daily:2026-06-08").pipe(Effect.provide(second))
      assert.strictEqual(held._tag, "LockHeld")
      if (held._tag === "LockHeld") {
        assert.deepStrictEqual(
          [held.holder?.command, held.holder?.pid, held.holder?.host, held.holder?.runId],
          ["run daily daily:2026-06-08", process.pid, hostname(), "2026-06-08-12345678"]
        )
        assert.match(held.message, /^daily:2026-06-08 is being run by run daily daily:2026-06-08 \(pid \d+ on .+, run 2026-06-08-12345678; last heartbeat \d+ s ago\)$/)
      }
      const other = yield* Effect.scoped(RunLock.use((lock) => lock.acquire("daily:2026-06-09", { command: "x", ttlMillis: 60_000 }))).pipe(Effect.provide(second))
      assert.isUndefined(other.tookOver)
      yield* Scope.close(scope, Exit.void)
      const after = yield* Effect.scoped(RunLock.use((lock) => lock.acquire("daily:2026-06-08", { command: "x", ttlMillis: 60_000 }))).pipe(Effect.provide(second))
      assert.isUndefined(after.tookOver)
    }).pipe(Effect.scoped))

  it.live("takes over a lease that expired (a hung holder elsewhere) or whose holder died on this host; a live one stays held", () =>
    Effect.gen(function*() {
      const now = Date.now()
      yield* foreignLease("daily:a", "another-host", 4242, now - 1)
      yield* foreignLease("daily:b", hostname(), deadPid(), now + 60_000)
      yield* foreignLease("daily:c", "another-host", 4242, now + 60_000)
      const hung = yield* Effect.scoped(RunLock.use((lock) => lock.acquire("daily:a", { command: "x", ttlMillis: 60_000 })))
      assert.strictEqual(hung.tookOver?.host, "another-host")
      const dead = yield* Effect.scoped(RunLock.use((lock) => lock.acquire("daily:b", { command: "x", ttlMillis: 60_000 })))
      assert.strictEqual(dead.tookOver?.host, hostname())
      const live = yield* refusal("daily:c")
      assert.strictEqual(live._tag, "LockHeld")
    }).pipe(Effect.provide(RunLock.layer.pipe(Layer.provideMerge(Database.layerSqlite(tempFile()))))))

  it.live("a holder on this host name but in another PID namespace (a container sharing the home) is not judged dead by its pid", () =>
    Effect.gen(function*() {
      const now = Date.now()
      // what a `run daily` in another container with the same host name wrote: its pid means nothing here
      yield* foreignLease("daily:a", hostname(), deadPid(), now + 60_000)
      yield* SqlClient.SqlClient.use((sql) => sql`UPDATE run_leases SET pid_namespace = 'pid:[4026532999]' WHERE lock_key = 'daily:a'`)
      const held = yield* refusal("daily:a")
      assert.strictEqual(held._tag, "LockHeld")
      // a holder in this process's own namespace whose pid is gone is dead, as before
      yield* foreignLease("daily:b", hostname(), deadPid(), now + 60_000)
      const mine = readlinkSync("/proc/self/ns/pid")
      yield* SqlClient.SqlClient.use((sql) => sql`UPDATE run_leases SET pid_namespace = ${mine} WHERE lock_key = 'daily:b'`)
      yield* Effect.scoped(Effect.gen(function*() {
        const dead = yield* RunLock.use((lock) => lock.acquire("daily:b", { command: "x", ttlMillis: 60_000 }))
        assert.strictEqual(dead.tookOver?.pidNamespace, mine)
        // this process's own lease names its namespace
        const own = yield* SqlClient.SqlClient.use((sql) => sql<{ readonly ns: string; readonly pid: number }>`SELECT pid_namespace AS ns, pid FROM run_leases WHERE lock_key = 'daily:b'`)
        assert.deepStrictEqual(own.map((r) => [r.ns, Number(r.pid)]), [[mine, process.pid]])
      }))
    }).pipe(Effect.provide(RunLock.layer.pipe(Layer.provideMerge(Database.layerSqlite(tempFile()))))))

  it.live("a holder whose lease was taken over learns it at its next heartbeat", () =>
    Effect.gen(function*() {
      const lease = yield* RunLock.use((lock) => lock.acquire("daily:2026-06-08", { command: "slow", ttlMillis: 300 }))
      yield* SqlClient.SqlClient.use((sql) => sql`UPDATE run_leases SET owner = 'the-taker', pid = 1 WHERE lock_key = 'daily:2026-06-08'`)
      const taker: LockHolder | null = yield* Deferred.await(lease.lost).pipe(Effect.timeout("5 seconds"))
      assert.deepStrictEqual([taker?.owner, taker?.pid], ["the-taker", 1])
    }).pipe(Effect.scoped, Effect.provide(RunLock.layer.pipe(Layer.provideMerge(Database.layerSqlite(tempFile()))))))
})

describe("RunLock on SQLite, two processes", () => {
  const file = tempFile()
  const cases = twoProcessCases(Effect.succeed({ arg: file, env: {} }))
  const store = RunLock.layer.pipe(Layer.provideMerge(Database.layerSqlite(file)))
  it.live("SIGKILL: the day is held, then taken over at once", () => cases.killed.pipe(Effect.scoped, Effect.provide(store)), 30_000)
  it.live("SIGSTOP: the day is held until the lease expires, then taken over; the holder stops", () =>
    cases.hung.pipe(Effect.scoped, Effect.provide(store)), 30_000)
})

layer(PgServer.layer, { timeout: 60_000, excludeTestServices: true })("RunLock on PostgreSQL (an advisory lock, the lease row beside it)", (it) => {
  const database = PgServer.use((server) => server.createDatabase)
  const inProcesses = (name: string, pick: (cases: ReturnType<typeof twoProcessCases>) => Effect.Effect<void, unknown, RunLock | SqlClient.SqlClient | Scope.Scope>) =>
    it.effect(name, () =>
      Effect.gen(function*() {
        const url = yield* database
        const cases = twoProcessCases(Effect.succeed({ arg: "pg", env: { DATABASE_URL: Redacted.value(url) } }))
        yield* pick(cases).pipe(Effect.scoped, Effect.provide(RunLock.layer.pipe(Layer.provideMerge(Database.layerPg(url)))))
      }), 30_000)
  inProcesses("two processes, SIGKILL: the day is held, then taken over once the server ends the dead session", (c) => c.killed)
  inProcesses("two processes, SIGSTOP: the expired lease's hung session is ended and the day taken over; the holder stops", (c) => c.hung)

  it.effect("one session holds a key; another is told who; when the holder's connection dies the key is taken over", () =>
    Effect.gen(function*() {
      const url = yield* (yield* PgServer).createDatabase
      const first = yield* open(Database.layerPg(url))
      const second = yield* open(Database.layerPg(url))
      const scope = yield* heldScope
      yield* holdIn(scope, "daily:2026-06-08").pipe(Effect.provide(first))
      const held = yield* refusal("daily:2026-06-08").pipe(Effect.provide(second))
      assert.strictEqual(held._tag, "LockHeld")
      if (held._tag === "LockHeld") assert.strictEqual(held.holder?.command, "run daily daily:2026-06-08")
      // the holder's process dies: its session ends, the server frees its advisory lock (the row stays, stale)
      const killed = yield* SqlClient.SqlClient.use((sql) =>
        sql`SELECT pg_terminate_backend(pid) AS done FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`
      ).pipe(Effect.provide(second))
      assert.deepStrictEqual(killed.map((r) => r["done"]), [true])
      // the server frees the lock once it has ended the session: take it as soon as it is free
      const taker = yield* heldScope
      const taken = yield* holdEventually(taker, "daily:2026-06-08").pipe(Effect.provide(second))
      assert.strictEqual(taken.tookOver?.command, "run daily daily:2026-06-08")
      yield* Scope.close(taker, Exit.void)
      yield* Scope.close(scope, Exit.void)
    }).pipe(Effect.scoped), 30_000)
})

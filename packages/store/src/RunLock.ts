/**
 * One run of a day at a time: a lock per key (`daily:<day>`) in the database, held as a lease — the holder's
 * token, host, pid and command, renewed by a heartbeat, taken over once it expires.
 *
 * **When to use**: `RunLock.layer` over the app's `SqlClient`; `acquire(key, options)` inside a scope before
 * anything that would trade (a run, a retry, a fork that sends, an approval). It fails `LockHeld` (saying who holds
 * it) while a live holder has the key; the lease is released when the scope closes.
 *
 * **How**
 * - SQLite: the lease row is the lock. Taking it is one `BEGIN IMMEDIATE` transaction: a lease that expired (its
 *   holder stopped renewing it — hung, killed, or its machine gone) or whose holder is a dead process on this host
 *   (in this PID namespace: a container of the same host name numbers its processes alike) is taken over; anything
 *   else is held. The heartbeat renews the expiry every third of the time to live.
 * - PostgreSQL: a session advisory lock on a connection reserved for the scope is the lock (the server frees it
 *   when the holder's connection dies); the lease row beside it, written on that connection, says who holds it.
 *   A lease that expired while its session still holds the lock (a hung holder) is taken by ending that session.
 * - A heartbeat that finds the lease taken over (its holder was presumed dead), or cannot renew it (for a whole
 *   time to live; on PostgreSQL at once: the lock's connection is gone), completes `lost`: stop work.
 *
 * @since 0.1.0
 */
import { hostname } from "node:os"
import { randomUUID } from "node:crypto"
import { readlinkSync } from "node:fs"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"

export const LockHolder = Schema.Struct({
  owner: Schema.String,
  runId: Schema.NullOr(Schema.String),
  host: Schema.String,
  pid: Schema.Number,
  command: Schema.String,
  acquiredAtMs: Schema.Number,
  heartbeatAtMs: Schema.Number,
  expiresAtMs: Schema.Number,
  /** The holder's PID namespace (`pid:[…]`), `null` where it has none or an older version wrote the lease. */
  pidNamespace: Schema.NullOr(Schema.String)
})
export type LockHolder = typeof LockHolder.Type

/** The key is held by someone alive. */
export class LockHeld extends Schema.TaggedError<LockHeld>()("LockHeld", {
  key: Schema.String,
  holder: Schema.NullOr(LockHolder),
  message: Schema.String
}) {}

export class RunLockError extends Schema.TaggedError<RunLockError>()("RunLockError", {
  message: Schema.String
}) {}

export interface AcquireOptions {
  /** What the holder does, for whoever is refused (`run daily 2026-06-08`). */
  readonly command: string
  /** How long a lease lives without a heartbeat. */
  readonly ttlMillis: number
}

export interface Lease {
  readonly key: string
  readonly owner: string
  /** The expired lease this one replaced (its holder died or hung), if any. */
  readonly tookOver: LockHolder | undefined
  /** Names the run the holder works on (shown to whoever is refused). */
  readonly setRunId: (runId: string) => Effect.Effect<void, RunLockError>
  /** Completes when a heartbeat finds the lease taken over: stop. */
  readonly lost: Deferred.Deferred<LockHolder | null>
}

export class RunLock extends Context.Service<RunLock, {
  readonly acquire: (key: string, options: AcquireOptions) => Effect.Effect<Lease, LockHeld | RunLockError, Scope.Scope>
}>()("@council/store/RunLock") {
  static readonly layer: Layer.Layer<RunLock, never, SqlClient.SqlClient> = Layer.effect(
    RunLock,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      return RunLock.of({ acquire: (key, options) => acquire(sql, key, options) })
    })
  )
}

/** An integer column: a number on SQLite, a `bigint` (BIGINT) on PostgreSQL. */
const DbInteger = Schema.Union([Schema.Number, Schema.BigInt, Schema.NumberFromString])

const LeaseRow = Schema.Struct({
  owner: Schema.String,
  run_id: Schema.NullOr(Schema.String),
  host: Schema.String,
  pid: DbInteger,
  command: Schema.String,
  acquired_at_ms: DbInteger,
  heartbeat_at_ms: DbInteger,
  expires_at_ms: DbInteger,
  pid_namespace: Schema.NullOr(Schema.String)
})
const decodeRows = Schema.decodeUnknownEffect(Schema.Array(LeaseRow))
const decodeKeyedRows = Schema.decodeUnknownEffect(Schema.Array(Schema.Struct({ ...LeaseRow.fields, lock_key: Schema.String })))

const holderOf = (row: typeof LeaseRow.Type): LockHolder => ({
  owner: row.owner,
  runId: row.run_id,
  host: row.host,
  pid: Number(row.pid),
  command: row.command,
  acquiredAtMs: Number(row.acquired_at_ms),
  heartbeatAtMs: Number(row.heartbeat_at_ms),
  expiresAtMs: Number(row.expires_at_ms),
  pidNamespace: row.pid_namespace
})

/** Whether `pid` is a live process here (a signal 0 probe: ESRCH means gone). */
const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return !(error instanceof Error && "code" in error && error.code === "ESRCH")
  }
}

/**
 * This process's PID namespace (`pid:[4026531836]`), `null` where there is none to read (not Linux). Two containers
 * given the same host name number their processes alike: a pid means something only within its namespace.
 */
const PID_NAMESPACE: string | null = (() => {
  try {
    return readlinkSync("/proc/self/ns/pid")
  } catch {
    return null
  }
})()

/**
 * Whether the holder of a lease can no longer be holding it: the lease expired, or its process died here — on this
 * host and in this PID namespace (a lease without one, an older version's, is judged by host alone as it was).
 */
export const isStale = (holder: LockHolder, nowMs: number, host = hostname(), namespace = PID_NAMESPACE): boolean =>
  holder.expiresAtMs <= nowMs ||
  (holder.host === host && (holder.pidNamespace === null || holder.pidNamespace === namespace) && holder.pid !== process.pid &&
    !processAlive(holder.pid))

/** One line saying who holds a key. */
export const describeHolder = (holder: LockHolder, nowMs: number): string => {
  const ago = Math.max(0, Math.round((nowMs - holder.heartbeatAtMs) / 1000))
  return `${holder.command} (pid ${holder.pid} on ${holder.host}${holder.runId === null ? "" : `, run ${holder.runId}`}; last heartbeat ${ago} s ago)`
}

/** A release that may not hang a process on its way out (a dead connection): bounded, and its failure ignored. */
const settle = <A, E, R>(release: Effect.Effect<A, E, R>) => release.pipe(Effect.timeout("2 seconds"), Effect.ignore)

const lockError = (what: string) => (error: SqlError.SqlError | Schema.SchemaError) =>
  new RunLockError({ message: `run lock: ${what}: ${error.message}` })

/** Two 32-bit halves of a key, for PostgreSQL's two-argument advisory lock. */
const advisoryKey = (key: string): readonly [number, number] => {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return [0x436f756e, hash | 0]
}

/** Runs a statement with `?` placeholders: on PostgreSQL on the lock's own connection, on SQLite through the client. */
type Exec = (text: string, params: ReadonlyArray<unknown>) => Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>

const numbered = (text: string) => {
  let n = 0
  return text.replace(/\?/g, () => `$${++n}`)
}

const COLUMNS = "owner, run_id, host, pid, command, acquired_at_ms, heartbeat_at_ms, expires_at_ms, pid_namespace"

/**
 * Every lease that is not stale (`isStale`), with its key: which runs a live process is working on right now — a
 * run still marked `running` that no live holder names was left by a process that is gone.
 */
export const liveHolders: Effect.Effect<
  ReadonlyArray<{ readonly key: string; readonly holder: LockHolder }>,
  SqlError.SqlError | Schema.SchemaError,
  SqlClient.SqlClient
> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* Effect.flatMap(sql.unsafe(`SELECT lock_key, ${COLUMNS} FROM run_leases`), decodeKeyedRows)
  const now = yield* Clock.currentTimeMillis
  return rows.map((row) => ({ key: row.lock_key, holder: holderOf(row) })).filter(({ holder }) => !isStale(holder, now))
})

/** The lease statements of one key over `exec`. */
const statements = (exec: Exec, key: string, owner: string, options: AcquireOptions) => ({
  read: Effect.flatMap(exec(`SELECT ${COLUMNS} FROM run_leases WHERE lock_key = ?`, [key]), decodeRows).pipe(
    Effect.map((rows) => (rows[0] === undefined ? undefined : holderOf(rows[0])))
  ),
  /** Writes this holder's lease over whatever row there is. */
  write: (now: number, existing: LockHolder | undefined) => {
    const values = [owner, null, hostname(), process.pid, options.command, now, now, now + options.ttlMillis, PID_NAMESPACE]
    return existing === undefined
      ? exec(`INSERT INTO run_leases (lock_key, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [key, ...values])
      : exec(
        `UPDATE run_leases SET owner = ?, run_id = ?, host = ?, pid = ?, command = ?, acquired_at_ms = ?, heartbeat_at_ms = ?,
          expires_at_ms = ?, pid_namespace = ? WHERE lock_key = ?`,
        [...values, key]
      )
  },
  renew: (now: number) =>
    exec(`UPDATE run_leases SET heartbeat_at_ms = ?, expires_at_ms = ? WHERE lock_key = ? AND owner = ? RETURNING owner`, [
      now,
      now + options.ttlMillis,
      key,
      owner
    ]),
  name: (runId: string) => exec(`UPDATE run_leases SET run_id = ? WHERE lock_key = ? AND owner = ?`, [runId, key, owner]),
  release: exec(`DELETE FROM run_leases WHERE lock_key = ? AND owner = ?`, [key, owner])
})

type Statements = ReturnType<typeof statements>

/**
 * PostgreSQL: the advisory lock on a connection reserved for the scope, then the lease row on the same connection.
 * A key whose lease expired while its session still holds the lock (a hung holder: stopped, or its machine cut off
 * without the connection closing) is taken by ending that session (`pg_terminate_backend`, waiting for it to go).
 */
const takePg = (sql: SqlClient.SqlClient, key: string, owner: string, options: AcquireOptions) =>
  Effect.gen(function*() {
    const connection = yield* sql.reserve.pipe(Effect.mapError(lockError("reserving a connection")))
    const exec: Exec = (text, params) => connection.execute(numbered(text), params, undefined)
    const lease = statements(exec, key, owner, options)
    const [classId, objectId] = advisoryKey(key)
    const tryLock = exec("SELECT pg_try_advisory_lock(?, ?) AS locked", [classId, objectId]).pipe(
      Effect.map((rows) => (rows[0] as { readonly locked?: unknown } | undefined)?.locked === true),
      Effect.mapError(lockError("taking the advisory lock"))
    )
    const endHungSession = exec(
      `SELECT pg_terminate_backend(pid, 5000) FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND classid = ?::bigint::oid AND objid = ?::bigint::oid AND objsubid = 2`,
      [classId >>> 0, objectId >>> 0]
    ).pipe(Effect.mapError(lockError("ending the session of an expired lease")))
    let locked = yield* tryLock
    const now = yield* Clock.currentTimeMillis
    const existing = yield* lease.read.pipe(Effect.mapError(lockError("reading the lease")))
    if (!locked && existing !== undefined && existing.expiresAtMs <= now) {
      yield* endHungSession
      locked = yield* tryLock
    }
    if (!locked) return { _tag: "Held" as const, existing, now, lease }
    yield* Effect.addFinalizer(() => exec("SELECT pg_advisory_unlock(?, ?)", [classId, objectId]).pipe(settle))
    yield* lease.write(now, existing).pipe(Effect.mapError(lockError("writing the lease")))
    return { _tag: "Taken" as const, existing, now, lease, connectionIsLock: true }
  })

/** SQLite: the lease row is the lock, taken in one `BEGIN IMMEDIATE` transaction unless a live holder has it. */
const takeSqlite = (sql: SqlClient.SqlClient, key: string, owner: string, options: AcquireOptions) => {
  const lease = statements((text, params) => sql.unsafe(text, params), key, owner, options)
  return sql.withTransaction(Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const existing = yield* lease.read
    if (existing !== undefined && !isStale(existing, now)) return { _tag: "Held" as const, existing, now, lease }
    yield* lease.write(now, existing)
    return { _tag: "Taken" as const, existing, now, lease, connectionIsLock: false }
  })).pipe(Effect.mapError(lockError("taking the lease")))
}

/**
 * Renews the lease every third of its time to live. `lost` completes when a renewal finds the lease taken over, when
 * renewals failed for a whole time to live (others may take it by now), or at once when the connection that holds
 * the lock failed (on PostgreSQL the lock went with it).
 */
const heartbeat = (
  lease: Statements,
  key: string,
  options: AcquireOptions,
  lost: Deferred.Deferred<LockHolder | null>,
  connectionIsLock: boolean
) =>
  Effect.gen(function*() {
    const every = Math.max(50, Math.floor(options.ttlMillis / 3))
    let renewedAt = yield* Clock.currentTimeMillis
    const renew = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const updated = yield* lease.renew(now)
      if (updated.length > 0) {
        renewedAt = now
        return
      }
      yield* Deferred.succeed(lost, (yield* lease.read) ?? null)
    }).pipe(Effect.catch((error) =>
      Effect.gen(function*() {
        yield* Effect.logWarning(`run lock: heartbeat of ${key} failed: ${error.message}`)
        const now = yield* Clock.currentTimeMillis
        if (connectionIsLock || now - renewedAt >= options.ttlMillis) yield* Deferred.succeed(lost, null)
      })
    ))
    return yield* Effect.forkScoped(Effect.repeat(renew, Schedule.spaced(every)).pipe(Effect.delay(every)))
  })

const acquire = (sql: SqlClient.SqlClient, key: string, options: AcquireOptions) =>
  Effect.gen(function*() {
    const owner = randomUUID()
    const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
    // the attempt's own scope: a refusal hands its connection back at once, a lease keeps it for the caller's scope
    const attempt = yield* Scope.fork(yield* Effect.scope)
    const taken = yield* (pg ? takePg(sql, key, owner, options) : takeSqlite(sql, key, owner, options)).pipe(
      Scope.provide(attempt),
      Effect.onExit((exit) => Exit.isSuccess(exit) && exit.value._tag === "Taken" ? Effect.void : Scope.close(attempt, exit))
    )
    if (taken._tag === "Held") {
      const holder = taken.existing
      return yield* new LockHeld({
        key,
        holder: holder ?? null,
        message: `${key} is being run by ${holder === undefined ? "another session of the database" : describeHolder(holder, taken.now)}`
      })
    }
    const { lease } = taken
    yield* Effect.addFinalizer(() => lease.release.pipe(settle))
    const lost = yield* Deferred.make<LockHolder | null>()
    yield* heartbeat(lease, key, options, lost, taken.connectionIsLock)
    return {
      key,
      owner,
      tookOver: taken.existing,
      lost,
      setRunId: (runId: string) => lease.name(runId).pipe(Effect.asVoid, Effect.mapError(lockError("naming the run")))
    } satisfies Lease
  })

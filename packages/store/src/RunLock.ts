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
 *   is taken over; anything else is held. The heartbeat renews the expiry every third of the time to live.
 * - PostgreSQL: a session advisory lock on a connection reserved for the scope is the lock (the server frees it
 *   when the holder's connection dies); the lease row beside it says who holds it.
 * - A heartbeat that finds the lease taken over (its holder was presumed dead) completes `lost`: stop work.
 *
 * @since 0.1.0
 */
import { hostname } from "node:os"
import { randomUUID } from "node:crypto"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
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
  expiresAtMs: Schema.Number
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

const LeaseRow = Schema.Struct({
  owner: Schema.String,
  run_id: Schema.NullOr(Schema.String),
  host: Schema.String,
  pid: Schema.Union([Schema.Number, Schema.NumberFromString]),
  command: Schema.String,
  acquired_at_ms: Schema.Union([Schema.Number, Schema.NumberFromString]),
  heartbeat_at_ms: Schema.Union([Schema.Number, Schema.NumberFromString]),
  expires_at_ms: Schema.Union([Schema.Number, Schema.NumberFromString])
})
const decodeRows = Schema.decodeUnknownEffect(Schema.Array(LeaseRow))

const holderOf = (row: typeof LeaseRow.Type): LockHolder => ({
  owner: row.owner,
  runId: row.run_id,
  host: row.host,
  pid: row.pid,
  command: row.command,
  acquiredAtMs: row.acquired_at_ms,
  heartbeatAtMs: row.heartbeat_at_ms,
  expiresAtMs: row.expires_at_ms
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

/** Whether the holder of `lease` can no longer be holding it: the lease expired, or its process died here. */
export const isStale = (holder: LockHolder, nowMs: number, host = hostname()): boolean =>
  holder.expiresAtMs <= nowMs || (holder.host === host && holder.pid !== process.pid && !processAlive(holder.pid))

/** One line saying who holds a key. */
export const describeHolder = (holder: LockHolder, nowMs: number): string => {
  const ago = Math.max(0, Math.round((nowMs - holder.heartbeatAtMs) / 1000))
  return `${holder.command} (pid ${holder.pid} on ${holder.host}${holder.runId === null ? "" : `, run ${holder.runId}`}; last heartbeat ${ago} s ago)`
}

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

const acquire = (sql: SqlClient.SqlClient, key: string, options: AcquireOptions) =>
  Effect.gen(function*() {
    const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
    const owner = randomUUID()
    const host = hostname()
    const lost = yield* Deferred.make<LockHolder | null>()
    const read = Effect.flatMap(sql`SELECT * FROM run_leases WHERE lock_key = ${key}`, decodeRows).pipe(
      Effect.map((rows) => (rows[0] === undefined ? undefined : holderOf(rows[0])))
    )
    const held = (holder: LockHolder | undefined, now: number) =>
      new LockHeld({
        key,
        holder: holder ?? null,
        message: `${key} is being run by ${holder === undefined ? "another session of the database" : describeHolder(holder, now)}`
      })

    /** Writes this process's lease over whatever row there is. */
    const write = (now: number, existing: LockHolder | undefined) => {
      const row = {
        owner,
        run_id: null,
        host,
        pid: process.pid,
        command: options.command,
        acquired_at_ms: now,
        heartbeat_at_ms: now,
        expires_at_ms: now + options.ttlMillis
      }
      return existing === undefined
        ? sql`INSERT INTO run_leases ${sql.insert({ lock_key: key, ...row })}`
        : sql`UPDATE run_leases SET ${sql.update(row)} WHERE lock_key = ${key}`
    }

    if (pg) {
      const connection = yield* sql.reserve.pipe(Effect.mapError(lockError("reserving a connection")))
      const [classId, objectId] = advisoryKey(key)
      const rows = yield* connection.execute("SELECT pg_try_advisory_lock($1, $2) AS locked", [classId, objectId], undefined).pipe(
        Effect.mapError(lockError("taking the advisory lock"))
      )
      const now = yield* Clock.currentTimeMillis
      const existing = yield* read.pipe(Effect.mapError(lockError("reading the lease")))
      if (rows[0]?.locked !== true) return yield* held(existing, now)
      yield* Effect.addFinalizer(() =>
        connection.execute("SELECT pg_advisory_unlock($1, $2)", [classId, objectId], undefined).pipe(Effect.ignore)
      )
      yield* write(now, existing).pipe(Effect.mapError(lockError("writing the lease")))
      yield* Effect.addFinalizer(() => sql`DELETE FROM run_leases WHERE lock_key = ${key} AND owner = ${owner}`.pipe(Effect.ignore))
      return { existing, owner, lost }
    }

    const taken = yield* sql.withTransaction(Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const existing = yield* read
      if (existing !== undefined && !isStale(existing, now, host)) return { _tag: "Held" as const, existing, now }
      yield* write(now, existing)
      return { _tag: "Taken" as const, existing, now }
    })).pipe(Effect.mapError(lockError("taking the lease")))
    if (taken._tag === "Held") return yield* held(taken.existing, taken.now)
    yield* Effect.addFinalizer(() => sql`DELETE FROM run_leases WHERE lock_key = ${key} AND owner = ${owner}`.pipe(Effect.ignore))
    return { existing: taken.existing, owner, lost }
  }).pipe(Effect.flatMap(({ existing, lost, owner }) =>
    Effect.gen(function*() {
      const renew = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const updated = yield* sql`UPDATE run_leases SET heartbeat_at_ms = ${now}, expires_at_ms = ${now + options.ttlMillis}
          WHERE lock_key = ${key} AND owner = ${owner} RETURNING owner`
        if (updated.length > 0) return
        const holder = yield* Effect.flatMap(sql`SELECT * FROM run_leases WHERE lock_key = ${key}`, decodeRows)
        yield* Deferred.succeed(lost, holder[0] === undefined ? null : holderOf(holder[0]))
      }).pipe(Effect.catch((error) => Effect.logWarning(`run lock: heartbeat of ${key} failed: ${error.message}`)))
      yield* Effect.forkScoped(Effect.repeat(renew, Schedule.spaced(Math.max(50, Math.floor(options.ttlMillis / 3)))).pipe(
        Effect.delay(Math.max(50, Math.floor(options.ttlMillis / 3)))
      ))
      return {
        key,
        owner,
        tookOver: existing,
        lost,
        setRunId: (runId: string) =>
          sql`UPDATE run_leases SET run_id = ${runId} WHERE lock_key = ${key} AND owner = ${owner}`.pipe(
            Effect.asVoid,
            Effect.mapError(lockError("naming the run"))
          )
      } satisfies Lease
    })
  ))

/**
 * An `effect/sql` `SqlClient` over Node's built-in `node:sqlite` (`DatabaseSync`).
 *
 * **When to use**: local runs keep their data in one SQLite file; `Database.layer` picks this client when no
 * `DATABASE_URL` is set. It stands in for `@effect/sql-sqlite-node`, whose 4.x betas do not load with effect 4.1;
 * when a stable release appears this module should become a layer swap.
 *
 * **Details**
 * - One connection, shared through a semaphore: statements from concurrent fibers run one at a time, and a
 *   transaction holds the connection until it ends.
 * - A database file (with its `-wal` and `-shm`) is its owner's alone: created 0600, and one an older version left
 *   open to every user is closed to them when opened to write (0644 → 0600; 0664 → 0660, a group share), with a
 *   warning (`tightenPrivateFile`); one shared with its group alone (0660) is left so.
 * - Opens with `journal_mode=WAL`, `foreign_keys=ON` and a busy timeout (default 5 s), so several processes
 *   (the CLI, a local exchange server) can share the file. `synchronous=NORMAL`: with WAL a commit survives a
 *   process crash (SIGKILL) and the file never corrupts; only a power loss can drop the last commits.
 *   `temp_store=MEMORY`: savepoints' statement journals stay in memory instead of temporary files (they cost
 *   more than the statements themselves). `wal_autocheckpoint=10000` (`walAutocheckpoint`): the WAL is written back
 *   every ~40 MB instead of every ~4 MB (each checkpoint writes pages and syncs; a busy exchange server spent ~8 % of
 *   an order on them), and closing the last connection still checkpoints it.
 * - Transactions start with `BEGIN IMMEDIATE`: the write lock is taken up front, so two processes that both
 *   read-then-write wait for each other (busy timeout) instead of failing with `SQLITE_BUSY`.
 * - Prepared statements are cached per connection, keyed by their SQL text (`prepareCacheSize`). A statement's
 *   integer mode (`SafeIntegers`) is set on it only when a run asks for the other one.
 * - Parameters: booleans bind as `0`/`1`, `Date`s as ISO strings, `undefined` as `NULL`, bigints as integers,
 *   other objects as JSON text.
 *   Integers beyond `Number.MAX_SAFE_INTEGER` fail to read unless `SqlClient.SafeIntegers` is `true`
 *   (then every integer comes back as a `bigint`).
 *
 * **Gotchas**
 * - `DatabaseSync` is synchronous: a busy wait blocks the whole process. Two clients on the same file in ONE
 *   process must not hold overlapping transactions; across processes this is what the busy timeout is for.
 * - Rows are null-prototype objects, as `node:sqlite` returns them.
 *
 * @since 0.1.0
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs"
import { dirname } from "node:path"
import { pathToFileURL } from "node:url"
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import * as Reactivity from "effect/reactivity/Reactivity"
import * as SqlClient from "effect/sql/SqlClient"
import type * as SqlConnection from "effect/sql/SqlConnection"
import * as SqlError from "effect/sql/SqlError"
import * as Statement from "effect/sql/Statement"

export interface Config {
  /** A file path (its parent directory is created) or `:memory:`. */
  readonly filename: string
  /** How long a statement waits for another process's lock. Default 5 seconds. */
  readonly busyTimeout?: Duration.Input | undefined
  /** Prepared statements kept per connection and row shape (the first prepared is dropped first). Default 200. */
  readonly prepareCacheSize?: number | undefined
  /** Only read the file, whose directory this process cannot write (see `openReadOnly`). */
  readonly readOnly?: boolean | undefined
  /**
   * WAL pages after which a commit checkpoints (`PRAGMA wal_autocheckpoint`). Default 10,000 (~40 MB). More for a
   * file written in bulk by one process: fewer checkpoints (each syncs twice), each writing back a page changed by
   * several commits once; the WAL file grows to that size on disk until the last connection closes.
   */
  readonly walAutocheckpoint?: number | undefined
}

/** A connection, and the file's state when it was opened read-only `immutable` (`undefined`: any other way). */
interface Opening {
  readonly db: DatabaseSync
  readonly immutableAt: string | undefined
}

/**
 * The database file's identity, size and times, and whether a connection is on it (its `-shm`) or commits wait in
 * its `-wal`: what must stay as it was for an `immutable` opening to read true.
 */
const fileState = (filename: string): string => {
  const file = statSync(filename, { throwIfNoEntry: false })
  const wal = statSync(`${filename}-wal`, { throwIfNoEntry: false })?.size ?? 0
  const shm = existsSync(`${filename}-shm`)
  return file === undefined ? "missing" : `${file.ino}:${file.size}:${file.mtimeMs}:${file.ctimeMs}:${wal}:${shm}`
}

/**
 * Opens `filename` to read on a directory this process cannot write, where a WAL database cannot be opened the
 * usual way (SQLite creates its `-shm` beside it even to read).
 * - A connection on it (its `-shm` is there) or commits waiting in its `-wal`: read-only through them, SQLite's own
 *   locking giving each read a consistent snapshot of what was committed (`readonly_shm`: this process never writes
 *   the owner's `-shm`, as it could not if another user's). Refused if the `-shm` is missing.
 * - Neither: the file holds everything committed, and no one is writing it: opened `immutable` (no `-shm` needed).
 *   But its owner may start writing it while this reads: `immutable` then reads stale pages, or a mix of pages from
 *   before and after a checkpoint; so the client checks the file is as it was around each statement (`immutableAt`)
 *   and, when not, opens it again (see `make`).
 */
const openReadOnly = (filename: string, timeout: number): Opening => {
  const state = fileState(filename)
  const url = pathToFileURL(filename)
  if (/:0:false$/.test(state)) {
    url.searchParams.set("immutable", "1")
    return { db: new DatabaseSync(url, { readOnly: true, timeout }), immutableAt: state }
  }
  url.searchParams.set("readonly_shm", "1")
  return { db: new DatabaseSync(url, { readOnly: true, timeout }), immutableAt: undefined }
}

/**
 * Creates `dir` and its missing parents one level at a time: bounded by the path's depth, unlike
 * `mkdirSync(…, { recursive: true })`, which spins forever where a directory cannot be made (under `/proc`).
 * Each is made for its owner alone (0700): the databases in it hold the local exchange's key secrets, the runs'
 * prompts and answers, and the accounts' books. A directory that exists keeps its permissions.
 * Throws the first `mkdir` error.
 */
export const ensureDirectory = (dir: string): void => {
  const missing: Array<string> = []
  for (let at = dir; !existsSync(at) && dirname(at) !== at; at = dirname(at)) missing.unshift(at)
  for (const level of missing) mkdirSync(level, { mode: 0o700 })
}

/**
 * Creates a missing database file for its owner alone (0600), whatever the directory's permissions (a home that
 * existed keeps them): SQLite gives the file's `-wal` and `-shm` the same mode. A file that exists is left as it
 * is; one that cannot be made is left to SQLite to report.
 */
const ensurePrivateFile = (filename: string): void => {
  try {
    closeSync(openSync(filename, "wx", 0o600))
  } catch {
    // there already, or SQLite says why it cannot open it
  }
}

/**
 * Closes `filename` and its `-wal` and `-shm` to other users where every user may use them (an "other" bit: the
 * 0644 or 0664 an older version left, holding the same secrets) and this process's user owns them. The group keeps
 * its permissions where it may write (0664 → 0660: a home shared with a group, a setgid directory under umask 002:
 * its other members must still open it); a group that may only read loses them too (0644 → 0600: no one shares a
 * WAL database by reading it alone, and the group may be everyone's, as `staff` is on macOS). A file no other user
 * may use but its group (0640, 0660) and a file of another owner are left as they are. Returns the database file's
 * modes before and after when it was closed, so the caller can say so.
 */
const tightenPrivateFile = (filename: string): { readonly before: number; readonly after: number } | undefined => {
  let changed: { readonly before: number; readonly after: number } | undefined
  for (const path of [filename, `${filename}-wal`, `${filename}-shm`]) {
    const stat = statSync(path, { throwIfNoEntry: false })
    if (stat === undefined || (stat.mode & 0o007) === 0 || stat.uid !== process.getuid?.()) continue
    const after = stat.mode & ((stat.mode & 0o020) === 0 ? 0o700 : 0o770)
    try {
      chmodSync(path, after)
      if (path === filename) changed = { before: stat.mode & 0o777, after }
    } catch {
      // a file system without permissions (or read-only): the file stays as it is
    }
  }
  return changed
}

const toSqlError = (operation: string) => (cause: unknown): SqlError.SqlError => {
  const message = cause instanceof Error ? cause.message : String(cause)
  // node:sqlite reports SQLite's extended result code as `errcode`; the classifier reads `errno` and only knows
  // SQLITE_CONSTRAINT_UNIQUE (2067) as a unique violation, so a PRIMARY KEY conflict (1555) is reported as one.
  const errcode = typeof cause === "object" && cause !== null && "errcode" in cause ? cause.errcode : undefined
  const errno = errcode === 1555 ? 2067 : errcode
  const error = Object.assign(new Error(message, { cause }), { errno })
  return new SqlError.SqlError({ reason: SqlError.classifySqliteError(error, { message, operation }) })
}

const bind = (value: unknown): SQLInputValue => {
  switch (typeof value) {
    case "boolean":
      return value ? 1 : 0
    case "undefined":
      return null
    case "number":
    case "bigint":
    case "string":
      return value
  }
  if (value === null || value instanceof Uint8Array) return value
  if (value instanceof Date) return value.toISOString()
  return JSON.stringify(value)
}

/** A prepared statement, and whether it reads integers as bigints now (`setReadBigInts`). */
interface Prepared {
  readonly statement: StatementSync
  bigInts: boolean
}

/** Builds the client; the database closes when the scope does. */
export const make = Effect.fnUntraced(function*(config: Config) {
  const timeout = Duration.toMillis(config.busyTimeout ?? "5 seconds")
  const openToRead = (): Opening => {
    const opening = openReadOnly(config.filename, timeout)
    opening.db.exec("PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;")
    return opening
  }
  const opened: Opening = yield* Effect.acquireRelease(
    Effect.try({
      try: (): Opening => {
        if (config.readOnly === true) return openToRead()
        if (config.filename !== ":memory:") {
          ensureDirectory(dirname(config.filename))
          ensurePrivateFile(config.filename)
        }
        const db = new DatabaseSync(config.filename, { timeout })
        db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = ${Math.max(0, Math.floor(config.walAutocheckpoint ?? 10_000))};`)
        return { db, immutableAt: undefined }
      },
      catch: toSqlError("open")
    }),
    (): Effect.Effect<void> => Effect.sync(() => db.close())
  )
  /** The connection: another one when an `immutable` opening's file changed (`reopenIfChanged`). */
  let db: DatabaseSync = opened.db
  let immutableAt: string | undefined = opened.immutableAt
  const openedUp = config.readOnly === true || config.filename === ":memory:"
    ? undefined
    : yield* Effect.sync(() => tightenPrivateFile(config.filename))
  if (openedUp !== undefined) {
    yield* Effect.logWarning(
      `${config.filename} was open to other users (mode ${openedUp.before.toString(8)}): it is now ${
        (openedUp.after & 0o070) === 0 ? "its owner's alone" : "its owner's and its group's"
      } (${openedUp.after.toString(8)})`
    )
  }

  const cacheSize = config.prepareCacheSize ?? 200
  // one cache per row shape, keyed by the SQL text itself: a hit builds no key and moves nothing
  const caches = { objects: new Map<string, Prepared>(), arrays: new Map<string, Prepared>() }
  const prepare = (sql: string, arrays: boolean, cached: boolean): Prepared => {
    const cache = arrays ? caches.arrays : caches.objects
    const hit = cache.get(sql)
    if (hit) return hit
    const statement = db.prepare(sql)
    statement.setReturnArrays(arrays)
    const prepared: Prepared = { statement, bigInts: false }
    if (cached) {
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value ?? sql)
      cache.set(sql, prepared)
    }
    return prepared
  }

  const toExecuteError = toSqlError("execute")
  // one step a statement: the fiber's `SafeIntegers` read in place, and the statement's integer mode set only when
  // it changes (each call into `node:sqlite` costs about as much as a cached statement's run)
  const run = (sql: string, params: ReadonlyArray<unknown>, arrays: boolean, cached: boolean, safeIntegers: boolean) => {
    const prepared = prepare(sql, arrays, cached)
    if (prepared.bigInts !== safeIntegers) {
      prepared.statement.setReadBigInts(safeIntegers)
      prepared.bigInts = safeIntegers
    }
    return prepared.statement.all(...params.map(bind))
  }
  const plainQuery = (sql: string, params: ReadonlyArray<unknown>, arrays: boolean, cached: boolean) =>
    Effect.withFiber((fiber) => {
      try {
        return Effect.succeed(run(sql, params, arrays, cached, fiber.getRef(SqlClient.SafeIntegers)))
      } catch (cause) {
        return Effect.fail(toExecuteError(cause))
      }
    })

  const changedWhileRead = () =>
    toExecuteError(new Error(`${config.filename} changed while it was read (its owner is writing it): run the command again`))
  /**
   * An `immutable` opening whose file is no longer as it was opened (its owner opened it, committed, checkpointed)
   * is closed and the file opened again, through its WAL now if a connection is on it; outside a transaction only
   * (one inside would read the rest of it from another state). Returns whether it may read.
   */
  const reopenIfChanged = (): boolean => {
    if (immutableAt === undefined || fileState(config.filename) === immutableAt) return true
    if (db.isTransaction) return false
    db.close()
    caches.objects.clear()
    caches.arrays.clear()
    const again = openToRead()
    db = again.db
    immutableAt = again.immutableAt
    return true
  }
  // an `immutable` opening's statement is run again when the file changed while it ran (its rows may mix pages
  // from before and after a checkpoint), on the file opened again; changed three times in a row, it fails saying so
  const guardedQuery = (sql: string, params: ReadonlyArray<unknown>, arrays: boolean, cached: boolean) =>
    Effect.withFiber((fiber) => {
      const safeIntegers = fiber.getRef(SqlClient.SafeIntegers)
      try {
        for (let attempt = 0; attempt < 3; attempt++) {
          if (!reopenIfChanged()) return Effect.fail(changedWhileRead())
          const before = immutableAt
          let rows: ReturnType<typeof run> | undefined
          let failure: unknown
          try {
            rows = run(sql, params, arrays, cached, safeIntegers)
          } catch (cause) {
            failure = cause
          }
          if (before === undefined || fileState(config.filename) === before) {
            return rows === undefined ? Effect.fail(toExecuteError(failure)) : Effect.succeed(rows)
          }
        }
        return Effect.fail(changedWhileRead())
      } catch (cause) {
        return Effect.fail(toExecuteError(cause))
      }
    })
  const query = config.readOnly === true ? guardedQuery : plainQuery

  const values = (sql: string, params: ReadonlyArray<unknown>, cached: boolean) =>
    Effect.map(
      query(sql, params, true, cached),
      (rows) => rows.map((row) => Array.isArray(row) ? row : Object.values(row))
    )

  const execute = (
    sql: string,
    params: ReadonlyArray<unknown>,
    transformRows: (<A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined,
    cached = true
  ) => {
    const rows = query(sql, params, false, cached)
    return transformRows ? Effect.map(rows, transformRows) : rows
  }

  const connection: SqlConnection.Connection = {
    execute: (sql, params, transformRows) => execute(sql, params, transformRows),
    executeUnprepared: (sql, params, transformRows) => execute(sql, params, transformRows, false),
    executeValues: (sql, params) => values(sql, params, true),
    executeValuesUnprepared: (sql, params) => values(sql, params, false),
    executeRaw: (sql, params) =>
      Effect.try({ try: () => prepare(sql, false, true).statement.run(...params.map(bind)), catch: toSqlError("executeRaw") }),
    executeStream: (sql, params, transformRows) =>
      Stream.unwrap(Effect.map(execute(sql, params, transformRows), (rows) => Stream.fromIterable(rows)))
  }

  const acquirers = SqlClient.makeSqliteAcquirers({
    connection: Effect.succeed(connection),
    semaphore: yield* Semaphore.make(1),
    isTransaction: () => db.isTransaction
  })

  return yield* SqlClient.make({
    ...acquirers,
    compiler: Statement.makeCompilerSqlite(),
    driver: "sqlite-node",
    spanAttributes: [["db.system.name", "sqlite"]],
    beginTransaction: "BEGIN IMMEDIATE",
    prepareTransactionControls: true
  })
})

/** Provides `SqlClient` over the given SQLite file. */
export const layer = (config: Config): Layer.Layer<SqlClient.SqlClient, SqlError.SqlError> =>
  Layer.effect(SqlClient.SqlClient, make(config)).pipe(Layer.provide(Reactivity.layer))

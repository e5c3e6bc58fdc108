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
 * - Opens with `journal_mode=WAL`, `foreign_keys=ON` and a busy timeout (default 5 s), so several processes
 *   (the CLI, a local exchange server) can share the file. `synchronous=NORMAL`: with WAL a commit survives a
 *   process crash (SIGKILL) and the file never corrupts; only a power loss can drop the last commits.
 *   `temp_store=MEMORY`: savepoints' statement journals stay in memory instead of temporary files (they cost
 *   more than the statements themselves). `wal_autocheckpoint=10000` (`walAutocheckpoint`): the WAL is written back
 *   every ~40 MB instead of every ~4 MB (each checkpoint writes pages and syncs; a busy exchange server spent ~8 % of
 *   an order on them), and closing the last connection still checkpoints it.
 * - Transactions start with `BEGIN IMMEDIATE`: the write lock is taken up front, so two processes that both
 *   read-then-write wait for each other (busy timeout) instead of failing with `SQLITE_BUSY`.
 * - Prepared statements are cached per connection, keyed by their SQL text (`prepareCacheSize`).
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
import { existsSync, mkdirSync } from "node:fs"
import { dirname } from "node:path"
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
  /**
   * WAL pages after which a commit checkpoints (`PRAGMA wal_autocheckpoint`). Default 10,000 (~40 MB). More for a
   * file written in bulk by one process: fewer checkpoints (each syncs twice), each writing back a page changed by
   * several commits once; the WAL file grows to that size on disk until the last connection closes.
   */
  readonly walAutocheckpoint?: number | undefined
}

/**
 * Creates `dir` and its missing parents one level at a time: bounded by the path's depth, unlike
 * `mkdirSync(…, { recursive: true })`, which spins forever where a directory cannot be made (under `/proc`).
 * Throws the first `mkdir` error.
 */
export const ensureDirectory = (dir: string): void => {
  const missing: Array<string> = []
  for (let at = dir; !existsSync(at) && dirname(at) !== at; at = dirname(at)) missing.unshift(at)
  for (const level of missing) mkdirSync(level)
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

/** Builds the client; the database closes when the scope does. */
export const make = Effect.fnUntraced(function*(config: Config) {
  const db = yield* Effect.acquireRelease(
    Effect.try({
      try: () => {
        if (config.filename !== ":memory:") ensureDirectory(dirname(config.filename))
        const db = new DatabaseSync(config.filename, {
          timeout: Duration.toMillis(config.busyTimeout ?? "5 seconds")
        })
        db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = ${Math.max(0, Math.floor(config.walAutocheckpoint ?? 10_000))};`)
        return db
      },
      catch: toSqlError("open")
    }),
    (db) => Effect.sync(() => db.close())
  )

  const cacheSize = config.prepareCacheSize ?? 200
  // one cache per row shape, keyed by the SQL text itself: a hit builds no key and moves nothing
  const caches = { objects: new Map<string, StatementSync>(), arrays: new Map<string, StatementSync>() }
  const prepare = (sql: string, arrays: boolean, cached: boolean): StatementSync => {
    const cache = arrays ? caches.arrays : caches.objects
    const hit = cache.get(sql)
    if (hit) return hit
    const statement = db.prepare(sql)
    statement.setReturnArrays(arrays)
    if (cached) {
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value ?? sql)
      cache.set(sql, statement)
    }
    return statement
  }

  const query = (sql: string, params: ReadonlyArray<unknown>, arrays: boolean, cached: boolean) =>
    Effect.flatMap(SqlClient.SafeIntegers, (safeIntegers) =>
      Effect.try({
        try: () => {
          const statement = prepare(sql, arrays, cached)
          statement.setReadBigInts(safeIntegers)
          return statement.all(...params.map(bind))
        },
        catch: toSqlError("execute")
      }))

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
      Effect.try({ try: () => prepare(sql, false, true).run(...params.map(bind)), catch: toSqlError("executeRaw") }),
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

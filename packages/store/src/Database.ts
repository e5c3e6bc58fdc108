/**
 * The application database: a migrated `SqlClient` over PostgreSQL or SQLite.
 *
 * **When to use**: provide `Database.layer` once at the edge of an app; everything that persists (`RunStore`,
 * the local exchange ledger) asks for `SqlClient.SqlClient`. Tests use `layerSqlite` / `layerPg` directly.
 *
 * **Details**
 * - `location` reads and checks the configuration without writing anything: PostgreSQL when `DATABASE_URL` is
 *   set, else SQLite at `$COUNCIL_HOME/council.db` (`COUNCIL_HOME` defaults to `.council` in the working
 *   directory). A bad value fails with `DatabaseConfigError`, one line naming the variable (never a password).
 * - `layerAt(location, "create")` creates the directory (one level at a time, never a recursive `mkdir`, which
 *   spins forever under `/proc`) and the file; `layerAt(location, "empty")` opens an existing file but stands in
 *   an empty in-memory database for a missing one, so a command that only reads never creates a home. A home
 *   other users may enter gets a warning, once per process; its permissions are the user's to change.
 * - Every layer runs the migrations of `migrations/index.ts` before the client is handed out, recorded in
 *   `council_migrations`; a database a newer version upgraded is refused, and one this version opened refuses
 *   older versions (`MigrationsTable`). Concurrent
 *   processes are safe: SQLite migrations run in a `BEGIN IMMEDIATE` transaction (the second process waits on
 *   the busy timeout, then finds nothing to do); on PostgreSQL the migrator locks its table, and only when a
 *   migration is pending (so a `pg_dump` reading it holds nothing up).
 * - A wait on another process's lock while opening says so once on stderr after `SAY_WAITING_AFTER_MS`
 *   ("waiting for <database>: …"), on SQLite (busy timeout) and on PostgreSQL (`lock_timeout` of the migration step).
 *
 * **Gotchas**
 * - Each call of `layerSqlite` / `layerPg` is a new client: share one layer value to share the connection.
 *
 * @since 0.1.0
 */
import { accessSync, constants, existsSync, statSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Reactivity from "effect/reactivity/Reactivity"
import * as Migrator from "effect/sql/Migrator"
import * as SqlClient from "effect/sql/SqlClient"
import * as SqlError from "effect/sql/SqlError"
import { migrations } from "./migrations/index.ts"
import * as MigrationsTable from "./MigrationsTable.ts"
import * as NodeSqliteClient from "./NodeSqliteClient.ts"
import { quotedValue } from "@council/domain"

export type DatabaseError = SqlError.SqlError | Migrator.MigrationError | MigrationsTable.NewerDatabaseError

/** A database setting that cannot work: `variable` is the one to fix. */
export class DatabaseConfigError extends Schema.TaggedError<DatabaseConfigError>()("DatabaseConfigError", {
  variable: Schema.String,
  message: Schema.String
}) {}

const runMigrations = Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: MigrationsTable.TABLE })

/** The latest migration's number (`0021_…` → 21). */
const latestMigration = Math.max(...Object.keys(migrations).map((id) => Number.parseInt(id, 10)))

/**
 * An older version's record of migrations handed over (`MigrationsTable`), a database a newer version upgraded
 * refused, then the pending migrations.
 */
const migrateSqlite = (filename: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* MigrationsTable.handOver(sql)
    yield* MigrationsTable.refuseNewer(filename, yield* MigrationsTable.recorded(sql), latestMigration)
    yield* runMigrations
  })

/** Runs every pending migration; a new layer per call, so it runs once per client. */
const migrate = (filename: string, waiting: LockWait): Layer.Layer<never, DatabaseError, SqlClient.SqlClient> =>
  Layer.effectDiscard(waiting(migrateSqlite(filename)).pipe(Effect.mapError(withReason)))

/**
 * How long a PostgreSQL statement of the migration step waits for another session's lock before it gives up and is
 * tried again (milliseconds): SQLite's busy timeout, so `whileLocked` says what it waits for at the same moment on
 * both. `COUNCIL_PG_LOCK_TIMEOUT_MS` (`Location.lockTimeoutMs`) overrides it as `COUNCIL_SQLITE_BUSY_TIMEOUT_MS` does
 * SQLite's.
 */
export const PG_LOCK_TIMEOUT_MS = 5_000


/**
 * PostgreSQL, on a client of its own whose lock waits time out: nothing when every migration is recorded (the
 * migrator's `LOCK TABLE … ACCESS EXCLUSIVE` would wait behind any reader of its table, such as a `pg_dump` under
 * way), else the migrations; a wait behind another session (another process migrating, a backup) is said and
 * retried rather than silent.
 */
const migratePg = (url: Redacted.Redacted, waiting: LockWait, lockTimeoutMs: number): Effect.Effect<void, DatabaseError> =>
  Effect.gen(function*() {
    const sql = yield* pgClient(url, { lock_timeout: `${lockTimeoutMs}ms` })
    yield* waiting(Effect.gen(function*() {
      yield* MigrationsTable.handOver(sql)
      const recorded = yield* MigrationsTable.recorded(sql)
      yield* MigrationsTable.refuseNewer(displayOf(Redacted.value(url)) ?? "the database", recorded, latestMigration)
      if (recorded === latestMigration) return
      yield* Effect.provideService(runMigrations, SqlClient.SqlClient, sql)
    }))
  }).pipe(Effect.mapError(withReason), Effect.scoped, Effect.provide(Reactivity.layer))

/** A PostgreSQL client; the driver is loaded only here, so a run on SQLite never loads it. */
const pgClient = (url: Redacted.Redacted, startupParameters: Record<string, string> = {}) =>
  Effect.flatMap(
    Effect.promise(() => import("@effect/sql-pg/PgClient")),
    (PgClient) => PgClient.make({ url, connectTimeout: "10 seconds", startupParameters })
  )

/**
 * A failed migration's message with the database's reason (`Migration "21_llm_spend_book" failed: duplicate column
 * name: book`, a database whose record of its migrations was damaged), not its name alone.
 */
const withReason = (error: DatabaseError): DatabaseError => {
  if (error._tag !== "MigrationError" || error.kind !== "Failed" || !SqlError.isSqlError(error.cause)) return error
  const cause = error.cause.reason.cause
  const reason = cause instanceof Error && cause.message !== "" ? cause.message : error.cause.message
  return new Migrator.MigrationError({ kind: error.kind, cause: error.cause, message: `${error.message}: ${reason.split("\n")[0]}` })
}

/**
 * Another session's lock: SQLite's busy timeout ran out, or it answered "database is locked" without waiting it out
 * (e.g. while another process switches a new file to WAL); PostgreSQL's `lock_timeout` ran out. Opening and
 * migrating retry it.
 */
const isLocked = (error: DatabaseError): boolean =>
  error._tag === "SqlError"
    ? error.reason._tag === "LockTimeoutError"
    : error._tag === "MigrationError" && error.kind === "Failed" && SqlError.isSqlError(error.cause) && error.cause.reason._tag === "LockTimeoutError"
const lockedPolicy = { while: isLocked, schedule: Schedule.spaced("50 millis"), times: 100 }

/** How long opening a database waits on another process's lock before it says so. */
export const SAY_WAITING_AFTER_MS = 3_000

const WRITE_LOCK_HOLDER = "another process holds its write lock (a run, a backtest, exchange serve or a migration)"
const MIGRATION_LOCK_HOLDER =
  "another session holds a lock its upgrade needs (another process upgrading it, or a backup such as pg_dump under way)"

type LockWait = <A, R>(effect: Effect.Effect<A, DatabaseError, R>) => Effect.Effect<A, DatabaseError, R>

/**
 * Retries `effect` while the database is locked (`lockedPolicy`) and, once that has gone on for
 * `SAY_WAITING_AFTER_MS` (SQLite's busy timeout blocks the process, so at the first failed wait after it), says
 * once, as a warning on stderr, what it waits for: a run otherwise sits silent for as long as another process
 * holds the file. One value per database opened: opening and migrating share the clock and the "once".
 */
const whileLocked = (what: string, holder = WRITE_LOCK_HOLDER): LockWait => {
  let started: number | undefined
  let said = false
  return (effect) =>
    Effect.suspend(() => {
      started ??= Date.now()
      return effect.pipe(
        Effect.tapError((error) => {
          if (said || !isLocked(error) || Date.now() - started! < SAY_WAITING_AFTER_MS) return Effect.void
          said = true
          return Effect.logWarning(
            `waiting for ${what}: ${holder}; this goes on when it lets go`
          )
        }),
        Effect.retry(lockedPolicy)
      )
    })
}

/** How a SQLite file is used, beyond its name: see `NodeSqliteClient.Config`. */
export type SqliteOptions = Pick<NodeSqliteClient.Config, "walAutocheckpoint" | "busyTimeout">

/**
 * A file one process writes in bulk, read after (a backtest's own database): checkpoints every ~160 MB of WAL
 * instead of ~40 MB. On a 1,000-session backtest, 16–26 commits took over 15 ms (1.0–1.1 s in all) instead of 58–71
 * (2.7–3.1 s); the WAL file is removed when the backtest closes the database.
 */
export const bulkWrites: SqliteOptions = { walAutocheckpoint: 40_000 }

/** A migrated SQLite database in `filename` (its directory is created). */
export const layerSqlite = (filename: string, options: SqliteOptions = {}): Layer.Layer<SqlClient.SqlClient, DatabaseError> =>
  Layer.unwrap(Effect.sync(() => {
    const waiting = whileLocked(filename)
    return migrate(filename, waiting).pipe(
      Layer.provideMerge(Layer.effect(SqlClient.SqlClient, waiting(NodeSqliteClient.make({ ...options, filename })))),
      Layer.provide(Reactivity.layer)
    )
  }))

/**
 * The SQLite database in `filename` opened only to read, its directory not writable: no migration can run, so one
 * an older version wrote is refused (`DatabaseConfigError`) rather than misread.
 */
const layerSqliteReadOnly = (filename: string, home: string): Layer.Layer<SqlClient.SqlClient, DatabaseError | DatabaseConfigError> =>
  Layer.effectDiscard(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const recorded = yield* MigrationsTable.recorded(sql)
    yield* MigrationsTable.refuseNewer(filename, recorded, latestMigration)
    if (recorded < latestMigration) {
      return yield* configError("COUNCIL_HOME", `${home} is not writable and ${filename} needs an upgrade, which writes; make it writable once`)
    }
  })).pipe(
    Layer.provideMerge(Layer.effect(SqlClient.SqlClient, NodeSqliteClient.make({ filename, readOnly: true }))),
    Layer.provide(Reactivity.layer)
  )

/**
 * A migrated PostgreSQL database at `url` (`postgres://user@host:port/db`); `lockTimeoutMs`: how long a migration
 * statement waits for another session's lock before it is tried again (`PG_LOCK_TIMEOUT_MS` unless given).
 */
export const layerPg = (url: Redacted.Redacted, options: { readonly lockTimeoutMs?: number } = {}): Layer.Layer<SqlClient.SqlClient, DatabaseError> =>
  Layer.effect(
    SqlClient.SqlClient,
    Effect.andThen(
      migratePg(url, whileLocked(displayOf(Redacted.value(url)) ?? "the database", MIGRATION_LOCK_HOLDER), options.lockTimeoutMs ?? PG_LOCK_TIMEOUT_MS),
      pgClient(url)
    )
  ).pipe(Layer.provide(Reactivity.layer))

/** Where the data lives, as checked by `location`. */
export type Location =
  /** `busyTimeoutMs`: `COUNCIL_SQLITE_BUSY_TIMEOUT_MS` when set (else the client's 5 s). */
  | { readonly _tag: "Sqlite"; readonly home: string; readonly file: string; readonly busyTimeoutMs?: number }
  /**
   * `home`: `COUNCIL_HOME`, checked, for the files that live beside the database (a backtest's own SQLite file);
   * `lockTimeoutMs`: `COUNCIL_PG_LOCK_TIMEOUT_MS` when set (else `PG_LOCK_TIMEOUT_MS`, 5 s).
   */
  | { readonly _tag: "Postgres"; readonly url: Redacted.Redacted; readonly display: string; readonly home: string; readonly lockTimeoutMs?: number }

/** The directory of backtests' own databases: `backtests` beside the home's database (also when that is PostgreSQL). */
export const backtestsDir = (home: Location): string => join(home.home, "backtests")

/**
 * Backtest `id`'s own SQLite database (`<home>/backtests/<id>.db`), with the home's busy timeout: where `backtest`
 * writes its session runs, and where `runs --backtest` and `/api/runs?backtest=` read them. Open it with
 * `layerAt(…, "empty")` to read (check that the file exists first: a missing one reads as an empty store).
 */
export const backtestLocation = (home: Location, id: string): Location & { readonly _tag: "Sqlite" } => {
  const dir = backtestsDir(home)
  const file = join(dir, `${id}.db`)
  return home._tag === "Sqlite" && home.busyTimeoutMs !== undefined
    ? { _tag: "Sqlite", home: dir, file, busyTimeoutMs: home.busyTimeoutMs }
    : { _tag: "Sqlite", home: dir, file }
}

const configError = (variable: string, message: string) => new DatabaseConfigError({ variable, message: `${variable}: ${message}` })

const isDirectory = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() === true

/** The deepest existing directory on the way to `path` (the filesystem root at worst). */
const nearestExisting = (path: string): string => {
  let at = path
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at)
  return at
}

const checkHome = (raw: string): Effect.Effect<Location & { readonly _tag: "Sqlite" }, DatabaseConfigError> => {
  const fail = (message: string) => Effect.fail(configError("COUNCIL_HOME", message))
  if (raw.trim() === "") return fail("is set but blank; unset it (default .council) or give a directory")
  if (raw.startsWith("~")) return fail(`starts with "~", which only a shell expands; give the directory without it (e.g. $HOME/…)`)
  const home = resolve(raw)
  const file = join(home, "council.db")
  const existing = nearestExisting(home)
  if (!isDirectory(existing)) return fail(`${existing} is not a directory`)
  const db = statSync(file, { throwIfNoEntry: false })
  if (db !== undefined && !db.isFile()) return fail(`${file} exists and is not a file`)
  return Effect.succeed({ _tag: "Sqlite", home, file })
}

const checkUrl = (url: Redacted.Redacted): Effect.Effect<Omit<Location & { readonly _tag: "Postgres" }, "home">, DatabaseConfigError> => {
  const text = Redacted.value(url).trim()
  const parsed = URL.parse(text)
  if (text === "") return Effect.fail(configError("DATABASE_URL", "is set but blank; unset it (SQLite) or give postgres://…"))
  if (parsed === null || !/^postgres(ql)?:$/.test(parsed.protocol) || parsed.hostname === "") {
    return Effect.fail(configError("DATABASE_URL", "expected postgres://user[:password]@host[:port]/database"))
  }
  // `user:123/456@host`: an unencoded `/` (or `?`, `#`) ends the authority early, so the URL parses as host `user`,
  // port 123 and the rest as its path — the driver would connect there, and the password would be shown as a port
  if (parsed.username === "" && /@/.test(parsed.pathname + parsed.search + parsed.hash)) {
    return Effect.fail(configError(
      "DATABASE_URL",
      "its user or password holds an unencoded /, ? or # (the URL ends its host there): percent-encode them (/ as %2F, ? as %3F, # as %23)"
    ))
  }
  return Effect.succeed({ _tag: "Postgres", url: Redacted.make(text), display: displayOf(text) ?? "DATABASE_URL" })
}

/** A PostgreSQL URL as it may be shown: without its password (and query), `undefined` when it is no URL. */
const displayOf = (url: string): string | undefined => {
  const parsed = URL.parse(url.trim())
  if (parsed === null) return undefined
  const user = parsed.username === "" ? "" : `${parsed.username}@`
  return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`
}

/**
 * Reads `DATABASE_URL`, `COUNCIL_HOME`, `COUNCIL_SQLITE_BUSY_TIMEOUT_MS` (how long a SQLite statement waits for
 * another process's write lock before it fails "database is locked"; default 5 s) and `COUNCIL_PG_LOCK_TIMEOUT_MS`
 * (how long a PostgreSQL migration statement waits for another session's lock before it is tried again; default 5 s)
 * and checks them; writes nothing.
 */
export const location: Effect.Effect<Location, DatabaseConfigError> = Effect.gen(function*() {
  const read = <A>(variable: string, config: Config.Config<A>) =>
    config.pipe(Effect.mapError((e) => configError(variable, e.message.split("\n")[0] ?? "unreadable")))
  const url = yield* read("DATABASE_URL", Config.option(Config.Redacted("DATABASE_URL")))
  const postgres = Option.isSome(url) ? yield* checkUrl(url.value) : undefined
  const home = yield* checkHome(yield* read("COUNCIL_HOME", Config.String("COUNCIL_HOME").pipe(Config.withDefault(".council"))))
  const busy = yield* read("COUNCIL_SQLITE_BUSY_TIMEOUT_MS", Config.option(Config.String("COUNCIL_SQLITE_BUSY_TIMEOUT_MS")))
  if (Option.isSome(busy) && !/^\d{1,9}$/.test(busy.value.trim())) {
    return yield* Effect.fail(configError("COUNCIL_SQLITE_BUSY_TIMEOUT_MS", `expected a whole number of milliseconds, 0 or more, got ${quotedValue(busy.value)}`))
  }
  const pgLock = yield* read("COUNCIL_PG_LOCK_TIMEOUT_MS", Config.option(Config.String("COUNCIL_PG_LOCK_TIMEOUT_MS")))
  // 0 would be PostgreSQL's "no timeout": the migration step would wait behind a backup without saying so
  if (Option.isSome(pgLock) && !/^0*[1-9]\d{0,8}$/.test(pgLock.value.trim())) {
    return yield* Effect.fail(configError("COUNCIL_PG_LOCK_TIMEOUT_MS", `expected a whole number of milliseconds, 1 or more, got ${quotedValue(pgLock.value)}`))
  }
  if (postgres !== undefined) {
    return Option.isSome(pgLock) ? { ...postgres, home: home.home, lockTimeoutMs: Number(pgLock.value.trim()) } : { ...postgres, home: home.home }
  }
  return Option.isSome(busy) ? { ...home, busyTimeoutMs: Number(busy.value.trim()) } : home
})

/** Creates `dir` one level at a time (bounded by its depth); fails naming COUNCIL_HOME. */
const createHome = (dir: string) =>
  Effect.try({
    try: () => NodeSqliteClient.ensureDirectory(dir),
    catch: (e) =>
      configError("COUNCIL_HOME", `cannot create ${dir}: ${e instanceof Error && "code" in e ? String(e.code) : String(e)}`)
  })

/** Why this process cannot write in `dir` (`EROFS`, `EACCES`), or `undefined` when it can (or `dir` is missing). */
const notWritable = (dir: string): string | undefined => {
  try {
    accessSync(dir, constants.W_OK)
    return undefined
  } catch (e) {
    return e instanceof Error && "code" in e && e.code !== "ENOENT" ? String(e.code) : undefined
  }
}

/** What to do about a home this process cannot write (SQLite writes beside its file even to read it). */
const homeProblem = (home: string): string | undefined => {
  const readOnly = notWritable(home)
  return readOnly === undefined
    ? undefined
    : `${home} is not writable (${readOnly}): make it writable, or point COUNCIL_HOME at a writable directory (reading commands such as runs and leaderboard work on it as it is)`
}

/**
 * The driver's message for an open/migrate failure, without the SQL or the URL: a system error's code
 * (`ECONNREFUSED`), a PostgreSQL server's message with its SQLSTATE (`password authentication failed for user
 * "council" (28P01)`; the code alone says nothing to most users).
 */
const reasonOf = (error: DatabaseError): string => {
  const cause: unknown = error._tag === "SqlError" ? error.reason.cause : undefined
  if (typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string") {
    const sqlState = /^[0-9A-Z]{5}$/.test(cause.code)
    return sqlState && cause instanceof Error && cause.message !== "" ? `${cause.message.split("\n")[0]} (${cause.code})` : cause.code
  }
  return cause instanceof Error && cause.message !== "" ? cause.message : error.message
}

/** `message` without the URL's password or any of its query values (a driver quotes the one it cannot read). */
const withoutUrlValues = (message: string, url: Redacted.Redacted): string => {
  const parsed = URL.parse(Redacted.value(url).trim())
  if (parsed === null) return message
  const values = [parsed.password, ...[...parsed.searchParams.values()]].flatMap((v) => [v, safeDecode(v)])
  // the longest first: a value holding another is replaced whole
  return values.filter((v) => v.length >= 4).sort((a, b) => b.length - a.length)
    .reduce((out, v) => out.split(v).join("[REDACTED]"), message)
}

const safeDecode = (text: string): string => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

const homesWarnedAbout = new Set<string>()

/**
 * Says once per process when other users may enter or list `home`. Its databases are closed to them (0600, or 0660
 * shared with a group) whatever the directory, and so are the reports and logs written since (`PrivateFile`), but
 * not the names in it, nor a report an older version wrote (0644) or a file put there by hand; Council never changes
 * the permissions of a directory that exists (it may be the user's own, shared on purpose). The advice keeps a group
 * that may write the home (a share) in: `chmod o-rwx`, not `chmod 700`.
 */
const warnIfOpenHome = (home: string) =>
  Effect.suspend(() => {
    const mode = statSync(home, { throwIfNoEntry: false })?.mode
    if (mode === undefined || (mode & 0o007) === 0 || homesWarnedAbout.has(home)) return Effect.void
    homesWarnedAbout.add(home)
    // a group that may write shares the home on purpose: closing it to the group would lock its members out
    const close = (mode & 0o020) === 0 ? "chmod 700" : "chmod o-rwx"
    return Effect.logWarning(
      `COUNCIL_HOME ${home} is open to other users (mode ${(mode & 0o777).toString(8)}): they may list it and read what in it is not closed to them (its databases and reports are); ${close} ${home} to close it`
    )
  })

const failWith = (error: DatabaseConfigError) => Layer.effect(SqlClient.SqlClient, Effect.fail(error))

/**
 * The database at `location`. A missing SQLite file is created with its directory (`"create"`), or stood in for
 * by an empty in-memory database (`"empty"`: nothing is written to disk). Opening failures name the variable.
 */
export const layerAt = (
  location: Location,
  missing: "create" | "empty"
): Layer.Layer<SqlClient.SqlClient, DatabaseError | DatabaseConfigError> => {
  if (location._tag === "Postgres") {
    return layerPg(location.url, location.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: location.lockTimeoutMs }).pipe(
      Layer.catchTag("SqlError", (error) =>
        failWith(configError("DATABASE_URL", `cannot use ${location.display}: ${withoutUrlValues(reasonOf(error), location.url)}`)))
    )
  }
  if (missing === "empty" && !existsSync(location.file)) return layerSqlite(":memory:")
  return Layer.tap(layerAtHome(location, missing), () => warnIfOpenHome(location.home))
}

const layerAtHome = (location: Location & { readonly _tag: "Sqlite" }, missing: "create" | "empty") => {
  const cannotOpen = (error: SqlError.SqlError) => {
    const reason = reasonOf(error)
    return failWith(configError("COUNCIL_HOME", homeProblem(location.home) ?? `cannot open ${location.file}: ${reason}`))
  }
  // a command that only reads can read a home it cannot write (a read-only mount, another user's files)
  if (missing === "empty" && notWritable(location.home) !== undefined) {
    return layerSqliteReadOnly(location.file, location.home).pipe(
      Layer.catchTag("SqlError", (error) =>
        failWith(configError("COUNCIL_HOME", `${location.home} is not writable and ${location.file} cannot be read without writing beside it: ${reasonOf(error)}`)))
    )
  }
  const options = location.busyTimeoutMs === undefined ? {} : { busyTimeout: location.busyTimeoutMs }
  return Layer.unwrap(Effect.as(createHome(location.home), layerSqlite(location.file, options))).pipe(Layer.catchTag("SqlError", cannotOpen))
}

/** PostgreSQL when `DATABASE_URL` is set, else SQLite at `$COUNCIL_HOME/council.db` (created if missing). */
export const layer: Layer.Layer<SqlClient.SqlClient, DatabaseError | DatabaseConfigError> = Layer.unwrap(
  Effect.map(location, (at) => layerAt(at, "create"))
)

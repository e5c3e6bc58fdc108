/**
 * The application database: a migrated `SqlClient` over PostgreSQL or SQLite.
 *
 * **When to use**: provide `Database.layer` once at the edge of an app; everything that persists (`RunStore`,
 * the local exchange ledger) asks for `SqlClient.SqlClient`. Tests use `layerSqlite` / `layerPg` directly.
 *
 * **Details**
 * - `layer` reads its configuration once: PostgreSQL when `DATABASE_URL` is set, else SQLite at
 *   `$COUNCIL_HOME/council.db` (`COUNCIL_HOME` defaults to `.council` in the working directory).
 * - Every layer runs the migrations of `migrations/index.ts` before the client is handed out. Concurrent
 *   processes are safe: SQLite migrations run in a `BEGIN IMMEDIATE` transaction (the second process waits on
 *   the busy timeout, then finds nothing to do); on PostgreSQL the migrator locks its table.
 *
 * **Gotchas**
 * - Each call of `layerSqlite` / `layerPg` is a new client: share one layer value to share the connection.
 *
 * @since 0.1.0
 */
import { join, resolve } from "node:path"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Reactivity from "effect/reactivity/Reactivity"
import * as Migrator from "effect/sql/Migrator"
import * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"
import { migrations } from "./migrations/index.ts"
import * as NodeSqliteClient from "./NodeSqliteClient.ts"

export type DatabaseError = SqlError.SqlError | Migrator.MigrationError

/** Runs every pending migration; a new layer per call, so it runs once per client. */
const migrate = (): Layer.Layer<never, DatabaseError, SqlClient.SqlClient> =>
  Layer.effectDiscard(Migrator.make({})({ loader: Migrator.fromRecord(migrations) }).pipe(Effect.retry(lockedPolicy)))

/**
 * SQLite can answer "database is locked" without waiting out the busy timeout (e.g. while another process
 * switches a new file to WAL), so opening and migrating retry that for a few seconds.
 */
const lockedPolicy = {
  while: (error: DatabaseError) => error._tag === "SqlError" && error.reason._tag === "LockTimeoutError",
  schedule: Schedule.spaced("50 millis"),
  times: 100
}

/** A migrated SQLite database in `filename` (its directory is created). */
export const layerSqlite = (filename: string): Layer.Layer<SqlClient.SqlClient, DatabaseError> =>
  migrate().pipe(
    Layer.provideMerge(Layer.effect(SqlClient.SqlClient, NodeSqliteClient.make({ filename }).pipe(Effect.retry(lockedPolicy)))),
    Layer.provide(Reactivity.layer)
  )

/**
 * A migrated PostgreSQL database at `url` (`postgres://user@host:port/db`). The PostgreSQL client is loaded only
 * here, so a run on SQLite never loads it.
 */
export const layerPg = (url: Redacted.Redacted): Layer.Layer<SqlClient.SqlClient, DatabaseError> =>
  migrate().pipe(
    Layer.provideMerge(
      Layer.effect(
        SqlClient.SqlClient,
        Effect.flatMap(Effect.promise(() => import("@effect/sql-pg/PgClient")), (PgClient) => PgClient.make({ url }))
      ).pipe(Layer.provide(Reactivity.layer))
    )
  )

/** Where `layer` keeps its data, as read from the environment. */
export const config = Config.all({
  url: Config.option(Config.Redacted("DATABASE_URL")),
  home: Config.String("COUNCIL_HOME").pipe(Config.withDefault(".council"))
}).pipe(
  Config.map(({ home, url }) => ({
    url: Option.filter(url, (u) => Redacted.value(u).trim() !== ""),
    sqliteFile: join(resolve(home), "council.db")
  }))
)

/** PostgreSQL when `DATABASE_URL` is set, else SQLite at `$COUNCIL_HOME/council.db`. */
export const layer: Layer.Layer<SqlClient.SqlClient, DatabaseError | Config.ConfigError> = Layer.unwrap(
  Effect.map(config, ({ sqliteFile, url }) =>
    Option.match(url, {
      onNone: () => layerSqlite(sqliteFile),
      onSome: layerPg
    }))
)

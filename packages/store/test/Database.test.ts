import { existsSync, readdirSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { assert, describe, it, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { RunStore } from "@council/engine"
import { Database, SqlRunStore } from "@council/store"
import { PgServer } from "./PgServer.ts"
import { dialectOf, refusingPort, tempFile } from "./StoreFixture.ts"

const locate = (env: Record<string, string>) =>
  Database.location.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))))

describe("Database configuration", () => {
  layer(PgServer.layer, { timeout: 60_000 })("PostgreSQL", (it) => {
    it.effect("Database.layer uses PostgreSQL when DATABASE_URL is set", () =>
      Effect.gen(function*() {
        const url = yield* (yield* PgServer).createDatabase
        const env = ConfigProvider.fromEnvRecord({
          DATABASE_URL: Redacted.value(url),
          COUNCIL_HOME: tempFile("unused")
        })
        const dialect = yield* dialectOf.pipe(
          Effect.provide(Database.layer.pipe(Layer.provide(ConfigProvider.layer(env))))
        )
        assert.strictEqual(dialect, "pg")
      }))
  })

  it.effect("defaults to SQLite in .council under the working directory", () =>
    Effect.gen(function*() {
      const at = yield* locate({})
      assert.deepStrictEqual(at, { _tag: "Sqlite", home: resolve(".council"), file: resolve(".council", "council.db") })
    }))

  it.effect("COUNCIL_SQLITE_BUSY_TIMEOUT_MS sets how long SQLite waits for another process's lock", () =>
    Effect.gen(function*() {
      const at = yield* locate({ COUNCIL_SQLITE_BUSY_TIMEOUT_MS: "250" })
      assert.deepStrictEqual(at, { _tag: "Sqlite", home: resolve(".council"), file: resolve(".council", "council.db"), busyTimeoutMs: 250 })
    }))

  it.effect("opens SQLite at $COUNCIL_HOME/council.db when DATABASE_URL is unset", () =>
    Effect.gen(function*() {
      const home = join(dirname(tempFile("x")), "home")
      const dialect = yield* dialectOf.pipe(
        Effect.provide(
          Database.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({ COUNCIL_HOME: home }))))
        )
      )
      assert.strictEqual(dialect, "sqlite")
      assert.isTrue(existsSync(join(home, "council.db")))
    }))

  it.effect("refuses a COUNCIL_HOME or DATABASE_URL that cannot work, one line naming it, writing nothing", () =>
    Effect.gen(function*() {
      const parent = dirname(tempFile("x"))
      const aFile = join(parent, "a-file")
      writeFileSync(aFile, "not a directory")
      const cases: ReadonlyArray<readonly [Record<string, string>, RegExp]> = [
        [{ COUNCIL_HOME: "   " }, /^COUNCIL_HOME: is set but blank/],
        [{ COUNCIL_HOME: "~/council" }, /^COUNCIL_HOME: starts with "~"/],
        [{ COUNCIL_HOME: aFile }, /^COUNCIL_HOME: \S+a-file is not a directory$/],
        [{ COUNCIL_HOME: join(aFile, "below") }, /^COUNCIL_HOME: \S+a-file is not a directory$/],
        [{ DATABASE_URL: "garbage" }, /^DATABASE_URL: expected postgres:\/\/user\[:password\]@host\[:port\]\/database$/],
        [{ DATABASE_URL: "mysql://u:hunter2@127.0.0.1/db" }, /^DATABASE_URL: expected postgres:/],
        [{ DATABASE_URL: " \t" }, /^DATABASE_URL: is set but blank/],
        [{ COUNCIL_SQLITE_BUSY_TIMEOUT_MS: "-1" }, /^COUNCIL_SQLITE_BUSY_TIMEOUT_MS: expected a whole number of milliseconds, 0 or more, got "-1"$/],
        [{ COUNCIL_SQLITE_BUSY_TIMEOUT_MS: "soon" }, /^COUNCIL_SQLITE_BUSY_TIMEOUT_MS: expected a whole number of milliseconds, 0 or more, got "soon"$/],
        // 0 is PostgreSQL's "no timeout": refused, as are words
        [{ COUNCIL_PG_LOCK_TIMEOUT_MS: "0" }, /^COUNCIL_PG_LOCK_TIMEOUT_MS: expected a whole number of milliseconds, 1 or more, got "0"$/],
        [{ COUNCIL_PG_LOCK_TIMEOUT_MS: "5s" }, /^COUNCIL_PG_LOCK_TIMEOUT_MS: expected a whole number of milliseconds, 1 or more, got "5s"$/],
        // a password of digits and an unencoded `/` parses as a port and a path: it was shown whole
        [{ DATABASE_URL: "postgres://council:1234/hunter2@127.0.0.1:1/council" }, /^DATABASE_URL: its user or password holds an unencoded \/, \? or # \(the URL ends its host there\): percent-encode them/]
      ]
      for (const [env, expected] of cases) {
        const error = yield* Effect.flip(locate(env))
        assert.strictEqual(error._tag, "DatabaseConfigError")
        assert.match(error.message, expected)
        assert.notInclude(error.message, "hunter2")
      }
      assert.deepStrictEqual(readdirSync(parent), ["a-file"])
    }))

  it.effect("COUNCIL_PG_LOCK_TIMEOUT_MS sets a PostgreSQL location's lock wait; unset, the 5 s default applies", () =>
    Effect.gen(function*() {
      const url = "postgres://council@127.0.0.1:5432/council"
      const set = yield* locate({ DATABASE_URL: url, COUNCIL_PG_LOCK_TIMEOUT_MS: "750" })
      assert.deepStrictEqual(set._tag === "Postgres" ? set.lockTimeoutMs : "sqlite", 750)
      const unset = yield* locate({ DATABASE_URL: url })
      assert.deepStrictEqual(unset._tag === "Postgres" ? unset.lockTimeoutMs : "sqlite", undefined)
      assert.strictEqual(Database.PG_LOCK_TIMEOUT_MS, 5_000)
    }))

  it.effect("a COUNCIL_HOME under /proc fails at once instead of spinning in mkdir", () =>
    Effect.gen(function*() {
      const at = yield* locate({ COUNCIL_HOME: "/proc/1/council/home" })
      const error = yield* Effect.flip(dialectOf.pipe(Effect.provide(Database.layerAt(at, "create"))))
      assert.strictEqual(error._tag, "DatabaseConfigError")
      assert.match(error.message, /^COUNCIL_HOME: cannot create \/proc\/1\/council\/home: E[A-Z]+$/)
    }), 5_000)

  it.effect("an unreachable PostgreSQL is named by DATABASE_URL, without its password", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(refusingPort)
      const at = yield* locate({ DATABASE_URL: `postgres://council:hunter2@127.0.0.1:${port}/council` })
      const error = yield* Effect.flip(dialectOf.pipe(Effect.provide(Database.layerAt(at, "create"))))
      assert.strictEqual(error.message, `DATABASE_URL: cannot use postgres://council@127.0.0.1:${port}/council: ECONNREFUSED`)
    }))

  it.effect("a driver's message quoting a value of the URL's query does not repeat it", () =>
    Effect.gen(function*() {
      const at = yield* locate({ DATABASE_URL: "postgres://council:hunter2@127.0.0.1:1/council?sslmode=hunter2%2Fx" })
      const error = yield* Effect.flip(dialectOf.pipe(Effect.provide(Database.layerAt(at, "create"))))
      assert.strictEqual(error.message, `DATABASE_URL: cannot use postgres://council@127.0.0.1:1/council: Unrecognized sslmode in URL: "[REDACTED]"`)
    }))

  it.effect("a read-only opening of a home without a database creates nothing and reads an empty store", () =>
    Effect.gen(function*() {
      const home = join(dirname(tempFile("x")), "never-created")
      const at = yield* locate({ COUNCIL_HOME: home })
      const runs = yield* RunStore.use((s) => s.listRuns({ limit: 10 })).pipe(
        Effect.provide(SqlRunStore.layer.pipe(Layer.provide(Database.layerAt(at, "empty"))))
      )
      assert.deepStrictEqual(runs, [])
      assert.isFalse(existsSync(home))
    }))
})

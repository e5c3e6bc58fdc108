/**
 * A throwaway PostgreSQL server for tests: `initdb` into a temp directory, `pg_ctl start` on a free 127.0.0.1
 * port with fsync off, password auth over TCP (user `postgres`, password `PG_TEST_PASSWORD`, as a user's server
 * asks: a wrong password is refused); stopped and deleted when the layer's scope closes.
 *
 * Postgres refuses to run as root, so as root every command runs as `nobody` (through `setpriv`) in a
 * directory chown'ed to it. Missing binaries fail loudly: a banner on stderr and a failed layer.
 */
import { execFile } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { chown, mkdtemp, rm, writeFile } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"
import { promisify } from "node:util"
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Redacted, Schema } from "effect"
import { Reactivity } from "effect/reactivity"

const run = promisify(execFile)

/** The test server's password for `postgres`: in every URL `createDatabase` returns. */
export const PG_TEST_PASSWORD = "pg-test-Secret-4271"

export class PgServerError extends Schema.TaggedError<PgServerError>()("PgServerError", {
  message: Schema.String
}) {}

export class PgServer extends Context.Service<PgServer, {
  /** Creates an empty database and returns its URL (with the password). */
  readonly createDatabase: Effect.Effect<Redacted.Redacted>
  /** The same with `CREATE DATABASE`'s options (`TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' …`). */
  readonly createDatabaseWith: (options: string) => Effect.Effect<Redacted.Redacted>
}>()("@council/store/test/PgServer") {
  static readonly layer = Layer.effect(PgServer, Effect.suspend(() => start()))
}

const binaries = ["initdb", "pg_ctl", "postgres"] as const

const findBinDir = (): string | undefined => {
  const candidates = (process.env["PATH"] ?? "").split(delimiter).filter((dir) => dir !== "")
  const versions = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a))
    : []
  candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`))
  return candidates.find((dir) => binaries.every((bin) => existsSync(join(dir, bin))))
}

const missingBanner = () =>
  console.error(
    [
      "",
      "=".repeat(78),
      "  PostgreSQL NOT FOUND: the store tests need `initdb`, `pg_ctl` and `postgres`",
      "  (looked on the PATH and in /usr/lib/postgresql/*/bin).",
      "  Install them with:  apt-get update && apt-get install -y postgresql",
      "=".repeat(78),
      ""
    ].join("\n")
  )

const freePort = () =>
  Effect.callback<number, PgServerError>((resume) => {
    const server = createServer()
    server.once("error", (e) => resume(Effect.fail(new PgServerError({ message: `no free port: ${e.message}` }))))
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resume(Effect.succeed(port)))
    })
  })

const attempt = <A>(what: string, f: () => Promise<A>) =>
  Effect.tryPromise({
    try: f,
    catch: (e) => {
      const detail = typeof e === "object" && e !== null && "stderr" in e ? String(e.stderr) : String(e)
      return new PgServerError({ message: `${what} failed: ${detail}` })
    }
  })

const start = Effect.fnUntraced(function*() {
  const binDir = findBinDir()
  if (binDir === undefined) {
    missingBanner()
    return yield* new PgServerError({ message: "PostgreSQL binaries (initdb, pg_ctl, postgres) not found" })
  }
  const asRoot = process.getuid?.() === 0
  const ids = asRoot
    ? yield* attempt("id nobody", async () => ({
      uid: Number((await run("id", ["-u", "nobody"])).stdout.trim()),
      gid: Number((await run("id", ["-g", "nobody"])).stdout.trim())
    }))
    : undefined
  const exec = (bin: string, args: ReadonlyArray<string>) =>
    attempt(bin, () =>
      ids
        ? run("setpriv", [
          `--reuid=${ids.uid}`,
          `--regid=${ids.gid}`,
          "--clear-groups",
          "--",
          join(binDir, bin),
          ...args
        ])
        : run(join(binDir, bin), [...args]))

  const dir = yield* Effect.acquireRelease(
    attempt("mkdtemp", async () => {
      const dir = await mkdtemp(join(tmpdir(), "council-pg-"))
      if (ids) await chown(dir, ids.uid, ids.gid)
      return dir
    }),
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  )
  const data = join(dir, "data")
  const passwordFile = join(dir, "password")
  yield* attempt("writing the password file", async () => {
    await writeFile(passwordFile, PG_TEST_PASSWORD, { mode: 0o600 })
    if (ids) await chown(passwordFile, ids.uid, ids.gid)
  })
  yield* exec("initdb", [
    "-D",
    data,
    "-U",
    "postgres",
    `--pwfile=${passwordFile}`,
    "--auth-host=scram-sha-256",
    "--auth-local=trust",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync"
  ])
  const port = yield* freePort()
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -F -c full_page_writes=off`
  yield* Effect.acquireRelease(
    exec("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-o", options, "-w", "-t", "30", "start"]),
    () => Effect.ignore(exec("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]))
  )

  const urlFor = (database: string) => Redacted.make(`postgres://postgres:${PG_TEST_PASSWORD}@127.0.0.1:${port}/${database}`)
  const admin = yield* PgClient.make({ url: urlFor("postgres"), maxConnections: 1 }).pipe(
    Effect.provide(Reactivity.layer),
    Effect.mapError((e) => new PgServerError({ message: `connecting to the test server failed: ${e.message}` }))
  )
  let databases = 0
  const createDatabaseWith = (options: string) =>
    Effect.suspend(() => {
      const name = `test_${++databases}`
      return admin.unsafe(`CREATE DATABASE ${name} ${options}`).pipe(Effect.orDie, Effect.as(urlFor(name)))
    })
  return PgServer.of({ createDatabase: createDatabaseWith(""), createDatabaseWith })
})

import { execFile } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { promisify } from "node:util"
import { afterAll, assert, describe, it, layer, type Vitest } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Option, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { RunId, TradingDay } from "@council/domain"
import { type Checkpoint, type Recording, type RunBundle, type RunRecord, RunStore } from "@council/engine"
import { Database, SqlRunStore } from "@council/store"
import { migrations } from "../src/migrations/index.ts"
import { PgServer } from "./PgServer.ts"

const dialectOf = SqlClient.SqlClient.useSync((sql) =>
  sql.onDialectOrElse({ pg: () => "pg", sqlite: () => "sqlite", orElse: () => "other" })
)

const migrationIds = Object.keys(migrations).map((key) => Number(key.slice(0, key.indexOf("_"))))

const tempDirs: Array<string> = []
const tempFile = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), "council-store-"))
  tempDirs.push(dir)
  return join(dir, name)
}
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const id = (value: string) => RunId.make(value)
const day = (value: string) => TradingDay.make(value)

const mkRun = (runId: string, overrides: Partial<RunRecord> = {}): RunRecord => ({
  id: id(runId),
  pipeline: "daily",
  tradingDay: day("2026-08-24"),
  asOf: day("2026-08-21"),
  mode: "record",
  dryRun: true,
  codeVersion: "abc123",
  parentRunId: null,
  forkFrom: null,
  status: "running",
  startedAt: "2026-08-24T13:00:00.000Z",
  finishedAt: null,
  error: null,
  params: { accounts: ["CHATGPT", "COUNCIL"], limits: { maxOrders: 5 } },
  ...overrides
})

const mkCheckpoint = (runId: string, stage: string, overrides: Partial<Checkpoint> = {}): Checkpoint => ({
  runId: id(runId),
  stage,
  output: { stage },
  inputHash: `hash-${stage}`,
  attempt: 1,
  startedAt: "2026-08-24T13:00:01.000Z",
  finishedAt: "2026-08-24T13:00:02.000Z",
  durationMs: 1000.5,
  reusedFrom: null,
  ...overrides
})

const mkRecording = (runId: string, stage: string, seq: number): Recording => ({
  runId: id(runId),
  stage,
  key: `Market.bars(["SPY"])#${seq}`,
  seq,
  value: { _tag: "Success", value: [{ close: 100 + seq }] }
})

const mkBundle = (runId: string): RunBundle => ({
  run: mkRun(runId, { status: "completed", finishedAt: "2026-08-24T13:05:00.000Z" }),
  checkpoints: [mkCheckpoint(runId, "fetch"), mkCheckpoint(runId, "pitch")],
  recordings: [mkRecording(runId, "fetch", 0), mkRecording(runId, "fetch", 1), mkRecording(runId, "pitch", 0)]
})

const trickyJson = {
  nested: { deeper: { deepest: [1, [2, [3, { four: 4 }]], []] }, empty: {} },
  unicode: "日本語 · émoji 🚀 · \u0000 nul · \"quotes\" \\ backslash \n newline · \u2028",
  numbers: [0.1 + 0.2, 1e21, 1e-7, -1.5, 2 ** 53 - 1, 2 ** 53 + 2, 12345678901234567890, 0, -42],
  literals: [true, false, null, "", "0", "null"],
  "key with spaces": 1,
  z: "keys keep their order",
  a: "after z"
}

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) return assert.fail("expected a failure")
  const error = exit.cause.reasons.find((reason) => reason._tag === "Fail")
  return error?._tag === "Fail" ? error.error : assert.fail(`expected a typed failure, got ${exit.cause}`)
}

/** The `RunStore` contract, run against a fresh, empty store per test. */
const contract = <R>(
  it: Vitest.MethodsNonLive<R>,
  freshStore: Effect.Effect<Layer.Layer<RunStore, unknown>, never, R>
) => {
  const test = (name: string, body: Effect.Effect<void, unknown, RunStore>) =>
    it.effect(name, () => Effect.flatMap(freshStore, (store) => Effect.provide(body, store)))

  test("creates, reads and updates a run", Effect.gen(function*() {
    const store = yield* RunStore
    const run = mkRun("r1")
    yield* store.createRun(run)
    assert.deepStrictEqual(yield* store.getRun(run.id), Option.some(run))
    assert.isTrue(Option.isNone(yield* store.getRun(id("missing"))))
    yield* store.updateRun(run.id, { status: "failed", finishedAt: "2026-08-24T14:00:00.000Z", error: "boom" })
    assert.deepStrictEqual(
      yield* store.getRun(run.id),
      Option.some({ ...run, status: "failed" as const, finishedAt: "2026-08-24T14:00:00.000Z", error: "boom" })
    )
    yield* store.updateRun(run.id, { status: "running", finishedAt: null, error: null })
    assert.deepStrictEqual(yield* store.getRun(run.id), Option.some(run))
  }))

  test("keeps every run field, including a fork's parent and flags", Effect.gen(function*() {
    const store = yield* RunStore
    const parent = mkRun("parent", { dryRun: false, mode: "live" })
    const fork = mkRun("fork", { parentRunId: parent.id, forkFrom: "pitch", mode: "replay", params: [] })
    yield* store.createRun(parent)
    yield* store.createRun(fork)
    assert.deepStrictEqual(yield* store.getRun(parent.id), Option.some(parent))
    assert.deepStrictEqual(yield* store.getRun(fork.id), Option.some(fork))
  }))

  test("refuses a duplicate run id and keeps the original", Effect.gen(function*() {
    const store = yield* RunStore
    const run = mkRun("dup")
    yield* store.createRun(run)
    const error = failureOf(yield* Effect.exit(store.createRun(mkRun("dup", { pipeline: "other" }))))
    assert.strictEqual(error._tag, "StoreError")
    assert.strictEqual(error.operation, "createRun")
    assert.include(error.message, "dup")
    assert.deepStrictEqual(yield* store.getRun(run.id), Option.some(run))
  }))

  test("fails to update a missing run", Effect.gen(function*() {
    const store = yield* RunStore
    const error = failureOf(
      yield* Effect.exit(store.updateRun(id("ghost"), { status: "completed", finishedAt: null, error: null }))
    )
    assert.strictEqual(error.operation, "updateRun")
    assert.include(error.message, "ghost")
  }))

  test("lists runs newest first, then by id, with limit and filters", Effect.gen(function*() {
    const store = yield* RunStore
    const runs = [
      mkRun("run-a", { startedAt: "2026-08-24T10:00:00.000Z" }),
      mkRun("run-c", { startedAt: "2026-08-25T10:00:00.000Z", tradingDay: day("2026-08-25") }),
      mkRun("run-b", { startedAt: "2026-08-25T10:00:00.000Z", tradingDay: day("2026-08-25") }),
      mkRun("run-d", { startedAt: "2026-08-23T10:00:00.000Z", pipeline: "weekly" }),
      mkRun("run-e", { startedAt: "2026-08-26T10:00:00.000Z", pipeline: "weekly", tradingDay: day("2026-08-25") })
    ]
    yield* Effect.forEach(runs, store.createRun, { discard: true })
    const ids = (list: ReadonlyArray<RunRecord>) => list.map((r) => r.id)
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 10 })), ["run-e", "run-c", "run-b", "run-a", "run-d"])
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 2 })), ["run-e", "run-c"])
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 0 })), [])
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 10, pipeline: "weekly" })), ["run-e", "run-d"])
    assert.deepStrictEqual(
      ids(yield* store.listRuns({ limit: 10, tradingDay: day("2026-08-25") })),
      ["run-e", "run-c", "run-b"]
    )
    assert.deepStrictEqual(
      ids(yield* store.listRuns({ limit: 10, pipeline: "daily", tradingDay: day("2026-08-25") })),
      ["run-c", "run-b"]
    )
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 10, pipeline: "nope" })), [])
    assert.deepStrictEqual((yield* store.listRuns({ limit: 1 }))[0], runs[4])
  }))

  test("upserts checkpoints and keeps their first-write order", Effect.gen(function*() {
    const store = yield* RunStore
    yield* store.createRun(mkRun("r1"))
    yield* store.createRun(mkRun("r2"))
    yield* store.putCheckpoint(mkCheckpoint("r1", "fetch"))
    yield* store.putCheckpoint(mkCheckpoint("r2", "other"))
    yield* store.putCheckpoint(mkCheckpoint("r1", "pitch"))
    yield* store.putCheckpoint(mkCheckpoint("r1", "council"))
    const retried = mkCheckpoint("r1", "fetch", {
      output: { retried: true },
      attempt: 2,
      durationMs: 3,
      reusedFrom: id("r0"),
      inputHash: "new-hash"
    })
    yield* store.putCheckpoint(retried)
    const checkpoints = yield* store.getCheckpoints(id("r1"))
    assert.deepStrictEqual(checkpoints.map((c) => c.stage), ["fetch", "pitch", "council"])
    assert.deepStrictEqual(checkpoints[0], retried)
    assert.deepStrictEqual(checkpoints[1], mkCheckpoint("r1", "pitch"))
    assert.deepStrictEqual(yield* store.getCheckpoints(id("r2")), [mkCheckpoint("r2", "other")])
    assert.deepStrictEqual(yield* store.getCheckpoints(id("none")), [])
  }))

  test("returns recordings in write order and clears them per stage", Effect.gen(function*() {
    const store = yield* RunStore
    yield* store.createRun(mkRun("r1"))
    yield* store.createRun(mkRun("r2"))
    const first = [mkRecording("r1", "fetch", 0), mkRecording("r1", "fetch", 1), mkRecording("r1", "pitch", 0)]
    yield* Effect.forEach(first, store.putRecording, { discard: true })
    yield* store.putRecording(mkRecording("r2", "fetch", 0))
    yield* store.putRecording(mkRecording("r1", "pitch", 1))
    assert.deepStrictEqual(yield* store.getRecordings(id("r1")), [...first, mkRecording("r1", "pitch", 1)])

    yield* store.clearRecordings(id("r1"), "fetch")
    assert.deepStrictEqual(
      yield* store.getRecordings(id("r1")),
      [mkRecording("r1", "pitch", 0), mkRecording("r1", "pitch", 1)]
    )
    assert.deepStrictEqual(yield* store.getRecordings(id("r2")), [mkRecording("r2", "fetch", 0)])

    const retry = { ...mkRecording("r1", "fetch", 0), value: { _tag: "Failure", error: { reason: "timeout" } } }
    yield* store.putRecording(retry)
    assert.deepStrictEqual(
      yield* store.getRecordings(id("r1")),
      [mkRecording("r1", "pitch", 0), mkRecording("r1", "pitch", 1), retry]
    )
    yield* store.clearRecordings(id("r1"), "no-such-stage")
    assert.strictEqual((yield* store.getRecordings(id("r1"))).length, 3)
    assert.deepStrictEqual(yield* store.getRecordings(id("none")), [])
  }))

  test("imports a bundle", Effect.gen(function*() {
    const store = yield* RunStore
    const bundle = mkBundle("imported")
    yield* store.importBundle(bundle)
    assert.deepStrictEqual(yield* store.getRun(bundle.run.id), Option.some(bundle.run))
    assert.deepStrictEqual(yield* store.getCheckpoints(bundle.run.id), bundle.checkpoints)
    assert.deepStrictEqual(yield* store.getRecordings(bundle.run.id), bundle.recordings)
  }))

  test("tells imported runs from local ones (a fork written as a bundle is local)", Effect.gen(function*() {
    const store = yield* RunStore
    yield* store.createRun(mkRun("made-here"))
    yield* store.importBundle(mkBundle("from-elsewhere"))
    yield* store.importBundle(mkBundle("forked-here"), "local")
    const ids = (runs: ReadonlyArray<RunRecord>) => runs.map((r) => r.id).sort()
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 10, origin: "imported" })), ["from-elsewhere"])
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 10, origin: "local" })), ["forked-here", "made-here"])
    assert.deepStrictEqual(ids(yield* store.listRuns({ limit: 10 })), ["forked-here", "from-elsewhere", "made-here"])
  }))

  test("imports a large bundle and an empty one", Effect.gen(function*() {
    const store = yield* RunStore
    const big: RunBundle = {
      ...mkBundle("big"),
      checkpoints: Array.from({ length: 250 }, (_, i) => mkCheckpoint("big", `stage-${i}`)),
      recordings: Array.from({ length: 450 }, (_, i) => mkRecording("big", `stage-${i % 7}`, i))
    }
    yield* store.importBundle(big)
    assert.deepStrictEqual(yield* store.getCheckpoints(big.run.id), big.checkpoints)
    assert.deepStrictEqual(yield* store.getRecordings(big.run.id), big.recordings)
    const empty: RunBundle = { ...mkBundle("empty"), checkpoints: [], recordings: [] }
    yield* store.importBundle(empty)
    assert.deepStrictEqual(yield* store.getRun(empty.run.id), Option.some(empty.run))
    assert.deepStrictEqual(yield* store.getCheckpoints(empty.run.id), [])
  }))

  test("refuses to import over an existing run and changes nothing", Effect.gen(function*() {
    const store = yield* RunStore
    const existing = mkRun("taken")
    yield* store.createRun(existing)
    yield* store.putCheckpoint(mkCheckpoint("taken", "fetch"))
    const error = failureOf(yield* Effect.exit(store.importBundle(mkBundle("taken"))))
    assert.strictEqual(error.operation, "importBundle")
    assert.include(error.message, "taken")
    assert.deepStrictEqual(yield* store.getRun(existing.id), Option.some(existing))
    assert.deepStrictEqual(yield* store.getCheckpoints(existing.id), [mkCheckpoint("taken", "fetch")])
    assert.deepStrictEqual(yield* store.getRecordings(existing.id), [])
  }))

  test("round-trips JSON payloads exactly", Effect.gen(function*() {
    const store = yield* RunStore
    const run = mkRun("json", { params: trickyJson })
    yield* store.createRun(run)
    yield* store.putCheckpoint(mkCheckpoint("json", "fetch", { output: trickyJson }))
    yield* store.putCheckpoint(mkCheckpoint("json", "scalar", { output: 0.1 + 0.2 }))
    yield* store.putCheckpoint(mkCheckpoint("json", "null", { output: null }))
    yield* store.putCheckpoint(mkCheckpoint("json", "string", { output: "just a string" }))
    yield* store.putRecording({ ...mkRecording("json", "fetch", 0), value: { _tag: "Success", value: trickyJson } })

    const stored = yield* store.getRun(run.id)
    assert.deepStrictEqual(stored, Option.some(run))
    assert.strictEqual(JSON.stringify(Option.getOrThrow(stored).params), JSON.stringify(trickyJson))
    const checkpoints = yield* store.getCheckpoints(run.id)
    assert.deepStrictEqual(checkpoints.map((c) => c.output), [trickyJson, 0.1 + 0.2, null, "just a string"])
    assert.strictEqual(JSON.stringify(checkpoints[0]?.output), JSON.stringify(trickyJson))
    assert.strictEqual(checkpoints[1]?.output, 0.30000000000000004)
    const [recording] = yield* store.getRecordings(run.id)
    assert.strictEqual(JSON.stringify(recording?.value), JSON.stringify({ _tag: "Success", value: trickyJson }))
  }))
}

const sqlOnly = <R>(
  it: Vitest.MethodsNonLive<R>,
  freshStore: Effect.Effect<Layer.Layer<RunStore | SqlClient.SqlClient, unknown>, never, R>
) => {
  const test = (name: string, body: Effect.Effect<void, unknown, RunStore | SqlClient.SqlClient>) =>
    it.effect(name, () => Effect.flatMap(freshStore, (store) => Effect.provide(body, store)))

  test("a bundle that fails half way leaves nothing behind", Effect.gen(function*() {
    const store = yield* RunStore
    const bundle = mkBundle("half")
    const broken: RunBundle = { ...bundle, checkpoints: [...bundle.checkpoints, mkCheckpoint("half", "fetch")] }
    const error = failureOf(yield* Effect.exit(store.importBundle(broken)))
    assert.strictEqual(error.operation, "importBundle")
    assert.isTrue(Option.isNone(yield* store.getRun(bundle.run.id)))
    assert.deepStrictEqual(yield* store.getCheckpoints(bundle.run.id), [])
    assert.deepStrictEqual(yield* store.getRecordings(bundle.run.id), [])
    yield* store.importBundle(bundle)
    assert.deepStrictEqual(yield* store.getCheckpoints(bundle.run.id), bundle.checkpoints)
  }))

  test("refuses a bundle carrying another run's data", Effect.gen(function*() {
    const store = yield* RunStore
    const bundle = mkBundle("mine")
    const error = failureOf(
      yield* Effect.exit(store.importBundle({ ...bundle, recordings: [mkRecording("theirs", "fetch", 0)] }))
    )
    assert.include(error.message, "theirs")
    assert.isTrue(Option.isNone(yield* store.getRun(bundle.run.id)))
  }))

  test("reports undecodable stored data as a StoreError", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    yield* store.createRun(mkRun("corrupt"))
    yield* sql`UPDATE runs SET params = ${"{not json"} WHERE id = ${"corrupt"}`
    const error = failureOf(yield* Effect.exit(store.getRun(id("corrupt"))))
    assert.strictEqual(error._tag, "StoreError")
    assert.strictEqual(error.operation, "getRun")
  }))

  test("a checkpoint needs its run", Effect.gen(function*() {
    const store = yield* RunStore
    const error = failureOf(yield* Effect.exit(store.putCheckpoint(mkCheckpoint("orphan", "fetch"))))
    assert.strictEqual(error.operation, "putCheckpoint")
  }))
}

const sqliteStore = (filename: string) => SqlRunStore.layer.pipe(Layer.provideMerge(Database.layerSqlite(filename)))

describe("RunStore contract", () => {
  describe("memory", () => contract(it, Effect.sync(() => RunStore.layerMemory.pipe(Layer.fresh))))

  describe("SQLite", () => {
    const fresh = Effect.sync(() => sqliteStore(tempFile("council.db")))
    contract(it, fresh)
    sqlOnly(it, fresh)
  })

  layer(PgServer.layer, { timeout: 60_000 })("PostgreSQL", (it) => {
    const fresh = Effect.map(
      PgServer,
      (server) =>
        Layer.unwrap(Effect.map(server.createDatabase, (url) =>
          SqlRunStore.layer.pipe(Layer.provideMerge(Database.layerPg(url)))))
    )
    contract(it, fresh)
    sqlOnly(it, fresh)

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

    it.effect("migrations are idempotent on one database", () =>
      Effect.gen(function*() {
        const url = yield* (yield* PgServer).createDatabase
        const open = SqlRunStore.layer.pipe(Layer.provideMerge(Database.layerPg(url)))
        yield* RunStore.use((store) => store.createRun(mkRun("kept"))).pipe(Effect.provide(open))
        const [runs, applied] = yield* Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          return [
            yield* RunStore.use((store) => store.listRuns({ limit: 10 })),
            yield* sql`SELECT migration_id FROM effect_sql_migrations ORDER BY migration_id`
          ] as const
        }).pipe(Effect.provide(SqlRunStore.layer.pipe(Layer.provideMerge(Database.layerPg(url)))))
        assert.deepStrictEqual(runs.map((r) => r.id), ["kept"])
        assert.deepStrictEqual(applied.map((m) => m["migration_id"]), migrationIds)
      }))
  })
})

describe("SQLite file shared by several openers", () => {
  it.effect("opening the same file twice migrates once and sees the same data", () =>
    Effect.gen(function*() {
      const file = tempFile("twice.db")
      yield* RunStore.use((store) => store.createRun(mkRun("first"))).pipe(Effect.provide(sqliteStore(file)))
      const applied = yield* Effect.gen(function*() {
        const store = yield* RunStore
        yield* store.createRun(mkRun("second"))
        assert.deepStrictEqual((yield* store.listRuns({ limit: 10 })).map((r) => r.id), ["second", "first"])
        return yield* (yield* SqlClient.SqlClient)`SELECT migration_id FROM effect_sql_migrations ORDER BY migration_id`
      }).pipe(Effect.provide(sqliteStore(file)))
      assert.deepStrictEqual(applied.map((m) => m["migration_id"]), migrationIds)
    }))

  it.live("several processes opening a new file at once all succeed", () =>
    Effect.gen(function*() {
      const file = tempFile("concurrent.db")
      const script = join(import.meta.dirname, "fixtures", "open-store.ts")
      const startAt = String(Date.now() + 1500)
      const outputs = yield* Effect.forEach(
        ["p1", "p2", "p3", "p4"],
        (name) =>
          Effect.promise(() =>
            promisify(execFile)(process.execPath, [script, file, name, startAt]).then(
              ({ stdout }) => stdout.trim(),
              (error: unknown) => `failed: ${String(error)}`
            )
          ),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(outputs, ["ok p1", "ok p2", "ok p3", "ok p4"])
      const [runs, applied] = yield* Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        return [
          yield* RunStore.use((store) => store.listRuns({ limit: 10 })),
          yield* sql`SELECT migration_id FROM effect_sql_migrations ORDER BY migration_id`
        ] as const
      }).pipe(Effect.provide(sqliteStore(file)))
      assert.deepStrictEqual(runs.map((r) => r.id).sort(), ["p1", "p2", "p3", "p4"])
      assert.deepStrictEqual(applied.map((m) => m["migration_id"]), migrationIds)
    }), 30_000)
})

const locate = (env: Record<string, string>) =>
  Database.location.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))))

describe("Database configuration", () => {
  it.effect("defaults to SQLite in .council under the working directory", () =>
    Effect.gen(function*() {
      const at = yield* locate({})
      assert.deepStrictEqual(at, { _tag: "Sqlite", home: resolve(".council"), file: resolve(".council", "council.db") })
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
        [{ DATABASE_URL: " \t" }, /^DATABASE_URL: is set but blank/]
      ]
      for (const [env, expected] of cases) {
        const error = yield* Effect.flip(locate(env))
        assert.strictEqual(error._tag, "DatabaseConfigError")
        assert.match(error.message, expected)
        assert.notInclude(error.message, "hunter2")
      }
      assert.deepStrictEqual(readdirSync(parent), ["a-file"])
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
      const at = yield* locate({ DATABASE_URL: "postgres://council:hunter2@127.0.0.1:1/council" })
      const error = yield* Effect.flip(dialectOf.pipe(Effect.provide(Database.layerAt(at, "create"))))
      assert.strictEqual(error.message, "DATABASE_URL: cannot use postgres://council@127.0.0.1:1/council: ECONNREFUSED")
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

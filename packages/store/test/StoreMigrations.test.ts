import { execFile } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"
import { deflateRawSync } from "node:zlib"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import { Reactivity } from "effect/reactivity"
import { PgClient } from "@effect/sql-pg"
import type { RunId } from "@council/domain"
import { type Recording, RunStore, textHash } from "@council/engine"
import { Database, NodeSqliteClient, SqlRunStore, TextDelta } from "@council/store"
import * as RecordingEntries from "../src/RecordingEntries.ts"
import { migrations } from "../src/migrations/index.ts"
import { PgServer } from "./PgServer.ts"
import { failureOf, id, mkCheckpoint, mkRecording, mkRun, sqliteStore, tempFile, trickyJson } from "./StoreFixture.ts"

const migrationIds = Object.keys(migrations).map((key) => Number(key.slice(0, key.indexOf("_"))))

/** The store's runs (ten at the most) and the migrations the database records as run. */
const runsAndMigrations = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  return [
    yield* RunStore.use((store) => store.listRuns({ limit: 10 })),
    yield* sql`SELECT migration_id FROM council_migrations ORDER BY migration_id`
  ] as const
})

/** `check` with a bare client (no migration run) of a new PostgreSQL database. */
const onFreshPg = <A, E>(check: (raw: Layer.Layer<SqlClient.SqlClient, unknown>) => Effect.Effect<A, E>) =>
  Effect.flatMap(PgServer.use((server) => server.createDatabase), (url) =>
    check(Layer.effect(SqlClient.SqlClient, PgClient.make({ url })).pipe(Layer.provide(Reactivity.layer))))

const migratesInPlace = (raw: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const before = Object.fromEntries(Object.entries(migrations).filter(([key]) => key < "0008"))
    yield* Migrator.make({})({ loader: Migrator.fromRecord(before) })
    const big = { asOf: "2026-08-21", rows: Array.from({ length: 200 }, (_, i) => ({ symbol: `S${i}`, close: 100 + i / 7 })) }
    const run = mkRun("old", { params: trickyJson, status: "completed" })
    const checkpoints = [mkCheckpoint("old", "fetch", { output: big }), mkCheckpoint("old", "pitch", { output: trickyJson })]
    const recordings: ReadonlyArray<Recording> = [
      { ...mkRecording("old", "fetch", 0), value: { _tag: "Success", value: big } },
      { ...mkRecording("old", "fetch", 1), value: { reusedFrom: "older", _tag: "Success", value: big } },
      { ...mkRecording("old", "pitch", 0), value: { _tag: "Failure", error: trickyJson } }
    ]
    yield* sql`INSERT INTO runs (id, pipeline, trading_day, as_of, mode, dry_run, code_version, parent_run_id, fork_from,
      status, started_at, finished_at, error, params) VALUES (${run.id}, ${run.pipeline}, ${run.tradingDay}, ${run.asOf},
      ${run.mode}, ${run.dryRun}, ${run.codeVersion}, ${null}, ${null}, ${run.status}, ${run.startedAt}, ${null}, ${null},
      ${JSON.stringify(run.params)})`
    for (const c of checkpoints) {
      yield* sql`INSERT INTO checkpoints (run_id, stage, output, input_hash, attempt, started_at, finished_at, duration_ms,
        reused_from) VALUES (${c.runId}, ${c.stage}, ${JSON.stringify(c.output)}, ${c.inputHash}, ${c.attempt},
        ${c.startedAt}, ${c.finishedAt}, ${c.durationMs}, ${null})`
    }
    for (const r of recordings) {
      yield* sql`INSERT INTO recordings (run_id, stage, key, seq, value)
        VALUES (${r.runId}, ${r.stage}, ${r.key}, ${r.seq}, ${JSON.stringify(r.value)})`
    }
    yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations) })
    const store = yield* SqlRunStore.make
    assert.deepStrictEqual(yield* store.getRun(run.id), Option.some(run))
    assert.strictEqual(JSON.stringify(yield* store.getCheckpoints(run.id)), JSON.stringify(checkpoints))
    assert.strictEqual(JSON.stringify(yield* store.getRecordings(run.id)), JSON.stringify(recordings))
    const counted = yield* sql<{ readonly n: number | bigint }>`SELECT COUNT(*) AS n FROM blobs`
    // parameters (= the pitch output), the large value (= the fetch output), and two stages' entries
    assert.strictEqual(Number(counted[0]?.n), 4)
  }).pipe(Effect.provide(raw))

/** Blobs as `0008_content_addressed` wrote them (plain, deflated, `TextDelta` deltas), then `0009`: they read back. */
const readsBlobsOf0008 = (raw: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const before = Object.fromEntries(Object.entries(migrations).filter(([key]) => key < "0009"))
    yield* Migrator.make({})({ loader: Migrator.fromRecord(before) })
    const window = (end: number) => JSON.stringify({ bars: Array.from({ length: 100 }, (_, k) => ({ day: end - 99 + k, close: Math.sin(end + k) })) })
    const run = mkRun("old0008", { params: trickyJson, status: "completed" })
    const params = JSON.stringify(run.params)
    yield* sql`INSERT INTO blobs (hash, body) VALUES (${textHash(params)}, ${params})`
    yield* sql`INSERT INTO runs (id, pipeline, trading_day, as_of, mode, dry_run, code_version, parent_run_id, fork_from,
      status, started_at, finished_at, error, params_hash) VALUES (${run.id}, ${run.pipeline}, ${run.tradingDay}, ${run.asOf},
      ${run.mode}, ${run.dryRun}, ${run.codeVersion}, ${null}, ${null}, ${run.status}, ${run.startedAt}, ${null}, ${null},
      ${textHash(params)})`
    const texts = [window(300), window(301), window(302)]
    const deflated = (text: string) => deflateRawSync(text).toString("base64")
    const delta = (i: number) => JSON.stringify(TextDelta.diff(TextDelta.base(texts[i - 1]!), texts[i]!))
    const rows = [
      { body: deflated(texts[0]!), base: null, z: 1 },
      { body: deflated(delta(1)), base: textHash(texts[0]!), z: 1 },
      { body: delta(2), base: textHash(texts[1]!), z: 0 }
    ]
    const checkpoints = texts.map((text, i) => mkCheckpoint("old0008", `stage${i}`, { output: JSON.parse(text) }))
    for (const [i, row] of rows.entries()) {
      yield* sql`INSERT INTO blobs (hash, body, base, z) VALUES (${textHash(texts[i]!)}, ${row.body}, ${row.base}, ${row.z})`
      const c = checkpoints[i]!
      yield* sql`INSERT INTO checkpoints (run_id, stage, output_hash, input_hash, attempt, started_at, finished_at, duration_ms,
        reused_from) VALUES (${c.runId}, ${c.stage}, ${textHash(texts[i]!)}, ${c.inputHash}, ${c.attempt}, ${c.startedAt},
        ${c.finishedAt}, ${c.durationMs}, ${null})`
    }
    yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations) })
    const store = yield* SqlRunStore.make
    assert.deepStrictEqual(yield* store.getRun(run.id), Option.some(run))
    assert.strictEqual(JSON.stringify(yield* store.getCheckpoints(run.id)), JSON.stringify(checkpoints))
    // a new text in a slot whose texts are old rows: stored anew, read back by a fresh store
    const next = mkCheckpoint("old0008", "stage3", { output: JSON.parse(window(303)) })
    yield* store.putCheckpoint(next)
    assert.strictEqual(JSON.stringify((yield* (yield* SqlRunStore.make).getCheckpoints(run.id, "stage3"))[0]), JSON.stringify(next))
  }).pipe(Effect.provide(raw))

/**
 * Runs as the store wrote them before `0011_run_store_lean` (hex hashes, one global `seq`, runs interleaved, an
 * imported run's input hash that is no hash, a finish that is not start + duration), then that migration: they read
 * back as they were, in their order, and a resumed run's next checkpoint and recordings come after them.
 */
const readsRunsOf0010 = (raw: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
    yield* Migrator.make({})({ loader: Migrator.fromRecord(Object.fromEntries(Object.entries(migrations).filter(([key]) => key < "0011"))) })
    const runs = [mkRun("r1"), mkRun("r2")]
    const checkpoints = [
      mkCheckpoint("r1", "fetch", { inputHash: textHash("in-1"), durationMs: 12 }),
      mkCheckpoint("r2", "fetch", { inputHash: "imported:not-a-hash" }),
      mkCheckpoint("r1", "pitch", { inputHash: textHash("in-2"), output: trickyJson, reusedFrom: id("r0") }),
      mkCheckpoint("r2", "pitch")
    ]
    const recordings = [mkRecording("r2", "fetch", 0), mkRecording("r1", "pitch", 0), mkRecording("r1", "fetch", 0)]
    const blob = (text: string) =>
      sql`INSERT INTO blobs (hash, body, z) VALUES (${pg ? textHash(text) : Buffer.from(textHash(text), "hex")}, ${text}, 0)
        ON CONFLICT (hash) DO NOTHING`
    for (const run of runs) {
      const params = JSON.stringify(run.params)
      yield* blob(params)
      yield* sql`INSERT INTO runs (id, pipeline, trading_day, as_of, mode, dry_run, code_version, parent_run_id, fork_from,
        status, started_at, finished_at, error, params_hash) VALUES (${run.id}, ${run.pipeline}, ${run.tradingDay}, ${run.asOf},
        ${run.mode}, ${run.dryRun}, ${run.codeVersion}, ${null}, ${null}, ${run.status}, ${run.startedAt}, ${null}, ${null},
        ${textHash(params)})`
    }
    for (const c of checkpoints) {
      const output = JSON.stringify(c.output)
      yield* blob(output)
      yield* sql`INSERT INTO checkpoints (run_id, stage, output_hash, input_hash, attempt, started_at, finished_at, duration_ms,
        reused_from) VALUES (${c.runId}, ${c.stage}, ${textHash(output)}, ${c.inputHash}, ${c.attempt}, ${c.startedAt},
        ${c.finishedAt}, ${c.durationMs}, ${c.reusedFrom})`
    }
    for (const r of recordings) {
      const packed = RecordingEntries.pack([r])
      for (const text of [...packed.values, packed.entries]) yield* blob(text.text)
      yield* sql`INSERT INTO stage_recordings (run_id, stage, entries_hash) VALUES (${r.runId}, ${r.stage}, ${packed.entries.hash})`
    }
    yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations) })
    const store = yield* SqlRunStore.make
    const of = (runId: string) => <A extends { readonly runId: RunId }>(items: ReadonlyArray<A>) => items.filter((item) => item.runId === runId)
    for (const runId of ["r1", "r2"]) {
      assert.strictEqual(JSON.stringify(yield* store.getCheckpoints(id(runId))), JSON.stringify(of(runId)(checkpoints)))
      assert.strictEqual(JSON.stringify(yield* store.getRecordings(id(runId))), JSON.stringify(of(runId)(recordings)))
    }
    // r1 resumes: a new stage comes last, a rewritten one keeps its place
    const risk = mkCheckpoint("r1", "risk", { startedAt: "2026-08-24T13:00:05.000Z", finishedAt: "2026-08-24T13:00:05.250Z", durationMs: 250 })
    const refetched = mkCheckpoint("r1", "fetch", { attempt: 2 })
    yield* store.commitStage({ runId: id("r1"), stage: "risk", checkpoint: risk, recordings: [mkRecording("r1", "risk", 0)] })
    yield* store.putCheckpoint(refetched)
    const fresh = yield* SqlRunStore.make
    assert.strictEqual(JSON.stringify(yield* fresh.getCheckpoints(id("r1"))), JSON.stringify([refetched, checkpoints[2], risk]))
    assert.deepStrictEqual((yield* fresh.getRecordings(id("r1"))).map((r) => r.stage), ["pitch", "fetch", "risk"])
  }).pipe(Effect.provide(raw))

describe("RunStore migrations", () => {
  describe("SQLite", () => {
    it.effect("0008 moves runs, checkpoints and recordings to content-addressed blobs in place", () =>
      migratesInPlace(NodeSqliteClient.layer({ filename: tempFile("old.db") })))
    it.effect("0009 keeps the blobs 0008 wrote (deflated, deltas) readable", () =>
      readsBlobsOf0008(NodeSqliteClient.layer({ filename: tempFile("old0008.db") })))
    it.effect("0011 keeps the checkpoints and recordings of 0010's layout, in their order", () =>
      readsRunsOf0010(NodeSqliteClient.layer({ filename: tempFile("old0010.db") })))
  })

  layer(PgServer.layer, { timeout: 60_000 })("PostgreSQL", (it) => {
    it.effect("0008 moves runs, checkpoints and recordings to content-addressed blobs in place", () => onFreshPg(migratesInPlace))

    it.effect("0009 keeps the blobs 0008 wrote (deflated, deltas) readable", () => onFreshPg(readsBlobsOf0008))

    it.effect("0011 keeps the checkpoints and recordings of 0010's layout, in their order", () => onFreshPg(readsRunsOf0010))

    it.effect("migrations are idempotent on one database", () =>
      Effect.gen(function*() {
        const url = yield* (yield* PgServer).createDatabase
        const open = SqlRunStore.layer.pipe(Layer.provideMerge(Database.layerPg(url)))
        yield* RunStore.use((store) => store.createRun(mkRun("kept"))).pipe(Effect.provide(open))
        const [runs, applied] = yield* runsAndMigrations.pipe(Effect.provide(SqlRunStore.layer.pipe(Layer.provideMerge(Database.layerPg(url)))))
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
        return yield* (yield* SqlClient.SqlClient)`SELECT migration_id FROM council_migrations ORDER BY migration_id`
      }).pipe(Effect.provide(sqliteStore(file)))
      assert.deepStrictEqual(applied.map((m) => m["migration_id"]), migrationIds)
    }))

  it.effect("a migration that fails on a damaged record of the migrations says why, not its name alone", () =>
    Effect.gen(function*() {
      const file = tempFile("half.db")
      yield* RunStore.use((store) => store.createRun(mkRun("kept"))).pipe(Effect.provide(sqliteStore(file)))
      // 0021 adds a column: recorded as not run, it is run again on a table that has it
      yield* Effect.gen(function*() {
        yield* (yield* SqlClient.SqlClient)`DELETE FROM council_migrations WHERE migration_id >= 21`
      }).pipe(Effect.provide(NodeSqliteClient.layer({ filename: file })))
      const error = failureOf(yield* Effect.exit(RunStore.use((store) => store.listRuns({ limit: 1 })).pipe(Effect.provide(sqliteStore(file)))))
      assert.match(error.message, /^Migration "21_llm_spend_book" failed: duplicate column name: book$/)
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
      const [runs, applied] = yield* runsAndMigrations.pipe(Effect.provide(sqliteStore(file)))
      assert.deepStrictEqual(runs.map((r) => r.id).sort(), ["p1", "p2", "p3", "p4"])
      assert.deepStrictEqual(applied.map((m) => m["migration_id"]), migrationIds)
    }), 30_000)
})

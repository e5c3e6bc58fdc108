/**
 * The SQL stores' part of the `RunStore` contract (SQLite and PostgreSQL): content-addressed blobs and their deltas,
 * damaged data named as such, bundles written in one transaction. `RunStore.test.ts` runs it over both.
 */
import { zstdCompressSync, zstdDecompressSync } from "node:zlib"
import { assert, type Vitest } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { type Checkpoint, isDamagedRun, type Recording, rememberJsonText, type RunBundle, RunStore, type StoreError, textHash } from "@council/engine"
import { Blobs, SqlRunStore } from "@council/store"
import { day, dialectOf, failureOf, id, mkBundle, mkCheckpoint, mkRecording, mkRun } from "./StoreFixture.ts"

/** The bar of day `i` as a market window holds it. */
const windowBar = (i: number) => ({ date: `day-${i}`, open: 100 + i / 3, high: 101 + i / 7, low: 99 - i / 11, close: 100 + Math.sin(i), volume: 1_000 + i })

/**
 * What reads keep decoded in the tests of texts leaving it: 1 MB (`Blobs.RecentTextBytes`), 1/16 of the store's own
 * 16 MB, so the texts that pass it are 1/16 as long.
 */
const KEPT = 1024 * 1024

/**
 * Two completed runs' `fetch` outputs of `bars` bars each, the second (`a-dep`) stored as a delta of the first
 * (`b-base`), then the base's stored text edited in place (one bar's volume) so it no longer matches its hash.
 */
const editedBaseOfDelta = (store: RunStore["Service"], sql: SqlClient.SqlClient, bars: number) =>
  Effect.gen(function*() {
    const output = (from: number) => ({ asOf: `day-${from}`, bars: Array.from({ length: bars }, (_, k) => windowBar(from + k)) })
    yield* Effect.forEach([mkRun("a-dep", { status: "completed" }), mkRun("b-base", { status: "completed" })], store.createRun, { discard: true })
    yield* store.putCheckpoint(mkCheckpoint("b-base", "fetch", { output: output(0) }))
    yield* store.putCheckpoint(mkCheckpoint("a-dep", "fetch", { output: output(50) }))
    const hashes = yield* sql<{ readonly run_id: string; readonly hash: string | Uint8Array }>`SELECT run_id, output_hash AS hash FROM checkpoints ORDER BY run_id`
    const bases = yield* Effect.forEach(hashes, (row) => sql<{ readonly base: unknown }>`SELECT base FROM blobs WHERE hash = ${row.hash}`)
    assert.deepStrictEqual(bases.map(([row]) => row!.base === null), [false, true], "the second compressed against the first, the first alone")
    // the base's first bar, which the slid window no longer holds: the dependent still rebuilds
    const [base] = yield* sql<{ readonly data: Uint8Array }>`SELECT data FROM blobs WHERE hash = ${hashes[1]!.hash}`
    const original = zstdDecompressSync(base!.data)
    const edited = Buffer.from(original.toString("utf8").replace(`"volume":1000}`, `"volume":1001}`))
    assert.isFalse(edited.equals(original))
    yield* sql`UPDATE blobs SET data = ${zstdCompressSync(edited)} WHERE hash = ${hashes[1]!.hash}`
  })

/** Creates run `runId` and commits its `fetch` stage: a checkpoint of `output` and one recorded call answering `value`. */
const commitFetch = (runId: string, output: Checkpoint["output"], value: Recording["value"]) =>
  Effect.gen(function*() {
    const store = yield* RunStore
    yield* store.createRun(mkRun(runId))
    yield* store.commitStage({
      runId: id(runId),
      stage: "fetch",
      checkpoint: mkCheckpoint(runId, "fetch", { output }),
      recordings: [{ ...mkRecording(runId, "fetch", 0), value: { _tag: "Success", value } }]
    })
  })

/** What the SQL stores do beyond the contract (blobs, deltas, damage, bundles' transactions), each test on a fresh store. */
export const sqlContract = <R>(
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

  test("a refused run leaves nothing behind, not even its parameters", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const blobs = () => Effect.map(sql<{ readonly n: number | bigint }>`SELECT COUNT(*) AS n FROM blobs`, (rows) => Number(rows[0]?.n))
    yield* store.createRun(mkRun("taken"))
    const before = yield* blobs()
    const error = failureOf(yield* Effect.exit(store.createRun(mkRun("taken", { params: { never: "stored" } }))))
    assert.include(error.message, "already exists")
    assert.strictEqual(yield* blobs(), before)
    // the parameters are written when a run that is not refused brings them
    yield* store.createRun(mkRun("other", { params: { never: "stored" } }))
    assert.strictEqual(yield* blobs(), before + 1)
    assert.deepStrictEqual(Option.map(yield* store.getRun(id("other")), (run) => run.params), Option.some({ never: "stored" }))
  }))

  test("reports undecodable stored data as a StoreError", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    yield* store.createRun(mkRun("corrupt"))
    yield* sql`UPDATE blobs SET body = ${"{not json"}`
    const error = failureOf(yield* Effect.exit(store.getRun(id("corrupt"))))
    assert.strictEqual(error._tag, "StoreError")
    assert.strictEqual(error.operation, "getRun")
    assert.strictEqual(error.kind, "damaged")
    // a failure that is not damage has no kind: a run that already exists
    const twice = failureOf(yield* Effect.exit(store.createRun(mkRun("corrupt"))))
    assert.deepStrictEqual([twice._tag, twice.kind], ["StoreError", undefined])
  }))

  test("stored data that is missing or damaged is named by what it holds: a run, its parameters, checkpoint or recordings", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const sqlite = (yield* dialectOf) === "sqlite"
    const named = id("named")
    yield* store.createRun(mkRun("named", { params: { only: "named" } }))
    yield* store.commitStage({ runId: named, stage: "fetch", checkpoint: mkCheckpoint("named", "fetch", { output: { only: "named" } }), recordings: [mkRecording("named", "fetch", 0)] })
    // each read by a store that remembers no text, as a process opening the database does
    // each of kind `damaged`: what the monitor answers 500 for, whatever the wording
    const fresh = <A>(read: (s: RunStore["Service"]) => Effect.Effect<A, StoreError>) =>
      Effect.map(Effect.exit(Effect.flatMap(SqlRunStore.make, read)), (exit) => {
        const error = failureOf(exit)
        assert.strictEqual(error.kind, "damaged", error.message)
        return error.message
      })
    yield* sql`UPDATE runs SET status = 'bogus' WHERE id = ${named}`
    assert.match(yield* fresh((s) => s.listRuns({ limit: 5 })), /^run named: stored data does not decode: Expected "running"/)
    yield* sql`UPDATE runs SET status = 'completed' WHERE id = ${named}`
    if (sqlite) {
      yield* sql`UPDATE checkpoints SET duration_ms = 'abc' WHERE run_id = ${named}`
      assert.match(yield* fresh((s) => s.getCheckpoints(named)), /^run named's checkpoint of fetch: stored data does not decode: /)
      yield* sql`UPDATE checkpoints SET duration_ms = 5 WHERE run_id = ${named}`
    }
    const [checkpoint] = yield* sql<{ readonly hash: string | Uint8Array }>`SELECT output_hash AS hash FROM checkpoints WHERE run_id = ${named}`
    yield* sql`UPDATE blobs SET body = ${"{not json"}, data = NULL, base = NULL, z = 0 WHERE hash = ${checkpoint!.hash}`
    assert.match(yield* fresh((s) => s.getCheckpoints(named)), /^run named's checkpoint of fetch: stored blob [0-9a-f]{32} is not JSON$/)
    yield* sql`DELETE FROM blobs WHERE hash = ${checkpoint!.hash}`
    assert.match(yield* fresh((s) => s.getCheckpoints(named)), /^run named's checkpoint of fetch: stored blob [0-9a-f]{32} is missing$/)
    const [entries] = yield* sql<{ readonly hash: string | Uint8Array }>`SELECT entries_hash AS hash FROM stage_recordings WHERE run_id = ${named}`
    yield* sql`DELETE FROM blobs WHERE hash = ${entries!.hash}`
    assert.match(yield* fresh((s) => s.getRecordings(named)), /^run named's recordings of fetch: stored blob [0-9a-f]{32} is missing$/)
    const [params] = yield* sql<{ readonly hash: string }>`SELECT params_hash AS hash FROM runs WHERE id = ${named}`
    yield* sqlite ? sql`DELETE FROM blobs WHERE hash = unhex(${params!.hash})` : sql`DELETE FROM blobs WHERE hash = ${params!.hash}`
    assert.match(yield* fresh((s) => s.getRun(named)), /^run named's parameters: stored blob [0-9a-f]{32} is missing$/)
  }))

  test("a blob stored as it is (or compressed alone) whose text was edited or rotted is named as damaged, not read back edited", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const rot = id("rot")
    yield* store.createRun(mkRun("rot", { params: { only: "rot" } }))
    const window = { asOf: "day-9", bars: Array.from({ length: 50 }, (_, k) => windowBar(k)) }
    yield* store.commitStage({ runId: rot, stage: "fetch", checkpoint: mkCheckpoint("rot", "fetch", { output: { small: 1 } }), recordings: [{ ...mkRecording("rot", "fetch", 0), value: { _tag: "Success", value: window } }] })
    // each of kind `damaged`: what the monitor answers 500 for, whatever the wording
    const fresh = <A>(read: (s: RunStore["Service"]) => Effect.Effect<A, StoreError>) =>
      Effect.map(Effect.exit(Effect.flatMap(SqlRunStore.make, read)), (exit) => {
        const error = failureOf(exit)
        assert.strictEqual(error.kind, "damaged", error.message)
        return error.message
      })
    const [checkpoint] = yield* sql<{ readonly hash: string | Uint8Array }>`SELECT output_hash AS hash FROM checkpoints WHERE run_id = ${rot}`
    const [entries] = yield* sql<{ readonly hash: string | Uint8Array }>`SELECT entries_hash AS hash FROM stage_recordings WHERE run_id = ${rot}`
    const zs = yield* sql<{ readonly z: number }>`SELECT z FROM blobs WHERE hash = ${checkpoint!.hash} OR hash = ${entries!.hash} ORDER BY z`
    assert.deepStrictEqual(zs.map((row) => Number(row.z)), [0, 2], "one stored as it is, one compressed alone")
    // valid JSON still, and what a replay would read as recorded: one digit changed, or a byte added
    yield* sql`UPDATE blobs SET body = ${JSON.stringify({ small: 2 })} WHERE hash = ${checkpoint!.hash}`
    assert.match(yield* fresh((s) => s.getCheckpoints(rot)), /^run rot's checkpoint of fetch: stored blob [0-9a-f]{32} does not match its hash \(edited or damaged\)$/)
    const [list] = yield* sql<{ readonly data: Uint8Array }>`SELECT data FROM blobs WHERE hash = ${entries!.hash}`
    const edited = zstdCompressSync(Buffer.concat([zstdDecompressSync(list!.data), Buffer.from(" ")]))
    yield* sql`UPDATE blobs SET data = ${edited} WHERE hash = ${entries!.hash}`
    assert.match(yield* fresh((s) => s.getRecordings(rot)), /^run rot's recordings of fetch: stored blob [0-9a-f]{32} does not match its hash \(edited or damaged\)$/)
    // what is whole still reads
    assert.deepStrictEqual(Option.map(yield* (yield* SqlRunStore.make).getRun(rot), (run) => run.params), Option.some({ only: "rot" }))
  }))

  test("a text read in the same call as one rebuilt from it is checked, even once its decoded text left what reads keep", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    // two runs' outputs of a stage, ~0.6 MB each (over the 1 MB reads keep decoded here, `KEPT`, together), the
    // second stored as a delta of the first; listed (and read) the dependent first
    yield* editedBaseOfDelta(store, sql, 5_500)
    const exit = yield* Effect.exit(Effect.flatMap(SqlRunStore.make, (s) => s.stageOutputs({ pipeline: "daily", stage: "fetch", from: day("2026-08-24"), to: day("2026-08-24") })))
    assert.match(failureOf(exit).message, /^run b-base's checkpoint of fetch: stored blob [0-9a-f]{32} does not match its hash \(edited or damaged\)$/)
  }).pipe(Effect.provideService(Blobs.RecentTextBytes, KEPT)))

  test("a plain text first read as another's base, then read itself, is named as not matching its hash, not as not rebuilding", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    yield* editedBaseOfDelta(store, sql, 2_000)
    // one store, two reads: the dependent alone (its base decoded, not read), then the base itself
    const reader = yield* SqlRunStore.make
    assert.strictEqual((yield* reader.getCheckpoints(id("a-dep"))).length, 1)
    const exit = yield* Effect.exit(reader.getCheckpoints(id("b-base")))
    assert.match(failureOf(exit).message, /^run b-base's checkpoint of fetch: stored blob [0-9a-f]{32} does not match its hash \(edited or damaged\)$/)
  }))

  test("surveyRuns lists every readable run and a damaged one in its place, named by what is wrong", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const sqlite = (yield* dialectOf) === "sqlite"
    const runs = ["old", "hurt", "new"].map((name, i) => mkRun(name, { startedAt: `2026-08-2${4 + i}T10:00:00.000Z`, params: { only: name } }))
    yield* Effect.forEach(runs, store.createRun, { discard: true })
    const survey = Effect.map(Effect.flatMap(SqlRunStore.make, (s) => s.surveyRuns({ limit: 10 })), (list) =>
      list.map((entry) => (isDamagedRun(entry) ? `${entry.id} ${entry.tradingDay} ${entry.startedAt} damaged: ${entry.damage}` : entry.id)))
    assert.deepStrictEqual(yield* survey, ["new", "hurt", "old"])
    yield* sql`UPDATE runs SET status = 'bogus' WHERE id = ${"hurt"}`
    const [newest, hurt, oldest] = yield* survey
    assert.deepStrictEqual([newest, oldest], ["new", "old"])
    assert.match(hurt!, /^hurt 2026-08-24 2026-08-25T10:00:00.000Z damaged: run hurt: stored data does not decode: Expected "running"/)
    assert.notInclude(hurt!, "\n", "what is wrong fits on the line `runs` prints under its table")
    // what acts on runs still refuses to go on past one it cannot read
    assert.match(failureOf(yield* Effect.exit(Effect.flatMap(SqlRunStore.make, (s) => s.listRuns({ limit: 10 })))).message, /^run hurt: /)
    yield* sql`UPDATE runs SET status = 'completed' WHERE id = ${"hurt"}`
    const [params] = yield* sql<{ readonly hash: string }>`SELECT params_hash AS hash FROM runs WHERE id = ${"hurt"}`
    yield* sqlite ? sql`DELETE FROM blobs WHERE hash = unhex(${params!.hash})` : sql`DELETE FROM blobs WHERE hash = ${params!.hash}`
    assert.match((yield* survey)[1]!, /^hurt .* damaged: run hurt's parameters: stored blob [0-9a-f]{32} is missing$/)
    assert.deepStrictEqual((yield* survey).filter((entry) => !entry.includes("damaged")), ["new", "old"])
  }))

  test("a run row with an impossible day or moment does not read back: listed as damaged, naming what is wrong", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const runs = ["old", "hurt", "new"].map((name, i) => mkRun(name, { startedAt: `2026-08-2${4 + i}T10:00:00.000Z` }))
    yield* Effect.forEach(runs, store.createRun, { discard: true })
    const survey = Effect.map(Effect.flatMap(SqlRunStore.make, (s) => s.surveyRuns({ limit: 10 })), (list) =>
      list.map((entry) => (isDamagedRun(entry) ? `${entry.id} ${entry.tradingDay} damaged: ${entry.damage}` : entry.id)))
    const hurtWith = (change: Effect.Effect<unknown, unknown>) =>
      Effect.gen(function*() {
        yield* change
        const [newest, hurt, oldest] = yield* survey
        assert.deepStrictEqual([newest, oldest], ["new", "old"])
        assert.match(failureOf(yield* Effect.exit(Effect.flatMap(SqlRunStore.make, (s) => s.getRun(id("hurt"))))).message, /^run hurt: /)
        return hurt!
      })
    assert.match(yield* hurtWith(sql`UPDATE runs SET trading_day = ${"2026-13-45"} WHERE id = ${"hurt"}`), /^hurt 2026-13-45 damaged: run hurt: .*expected a day of the calendar/)
    yield* sql`UPDATE runs SET trading_day = ${"2026-02-29"} WHERE id = ${"hurt"}`
    assert.match((yield* survey)[1]!, /^hurt 2026-02-29 damaged: .*expected a day of the calendar/, "2026 is no leap year")
    yield* sql`UPDATE runs SET trading_day = ${"2024-02-29"} WHERE id = ${"hurt"}`
    assert.deepStrictEqual(yield* survey, ["new", "hurt", "old"], "2024 is one")
    assert.match(yield* hurtWith(sql`UPDATE runs SET as_of = ${"2026-04-31"} WHERE id = ${"hurt"}`), /expected a day of the calendar/)
    yield* sql`UPDATE runs SET as_of = trading_day WHERE id = ${"hurt"}`
    assert.match(yield* hurtWith(sql`UPDATE runs SET finished_at = ${"2026-08-25T25:00:00.000Z"} WHERE id = ${"hurt"}`), /expected a moment/)
    yield* sql`UPDATE runs SET finished_at = ${"2026-08-25T10:01:00.000Z"} WHERE id = ${"hurt"}`
    assert.deepStrictEqual(yield* survey, ["new", "hurt", "old"])
  }))

  test("stores a window that slid compressed against the one before: read back exactly, in a fraction of the bytes", Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const window = (end: number) => ({ asOf: `day-${end}`, bars: Array.from({ length: 200 }, (_, k) => windowBar(end - 199 + k)) })
    const days = Array.from({ length: 40 }, (_, d) => d + 300)
    for (const end of days) yield* commitFetch(`w${end}`, window(end), window(end))
    const rows = yield* sql<{ readonly n: number | bigint; readonly bytes: number | bigint }>`
      SELECT COUNT(*) AS n, SUM(LENGTH(data)) AS bytes FROM blobs WHERE base IS NOT NULL`
    const whole = JSON.stringify(window(300)).length
    // the windows and the stage's entries lists: each but the first compressed against the one before
    assert.strictEqual(Number(rows[0]?.n), 2 * (days.length - 1))
    assert.isBelow(Number(rows[0]?.bytes), whole / 4, "39 windows and their entries take less than a quarter of one window")
    // a fresh store (no text remembered) rebuilds every one from the chain
    const reader = yield* SqlRunStore.make
    for (const end of days) {
      const [checkpoint] = yield* reader.getCheckpoints(id(`w${end}`))
      assert.strictEqual(JSON.stringify(checkpoint?.output), JSON.stringify(window(end)))
      const [recording] = yield* reader.getRecordings(id(`w${end}`))
      assert.deepStrictEqual(recording?.value, { _tag: "Success", value: window(end) })
    }
    yield* sql`UPDATE blobs SET body = ${"[0, 5, \"edited\"]"}, z = 0 WHERE base IS NOT NULL`
    const error = failureOf(yield* Effect.exit((yield* SqlRunStore.make).getCheckpoints(id(`w${days[5]}`))))
    assert.match(error.message, /does not rebuild/)
  }))

  test("stores a large window that slid as a byte delta of the one before (z = 3): read back exactly, in a fraction of the bytes", Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const bars = (from: number) => Array.from({ length: 150 }, (_, k) => windowBar(from + k))
    const window = (end: number) => ({ asOf: `day-${end}`, symbols: ["A", "B", "C"].map((symbol, s) => ({ symbol, bars: bars(end - 149 + s * 1_000) })) })
    const days = Array.from({ length: 20 }, (_, d) => d + 300)
    for (const end of days) yield* commitFetch(`bd${end}`, { end }, window(end))
    const whole = JSON.stringify(window(300)).length
    assert.isAbove(whole, 32 * 1024, "past the size a delta is tried at")
    const rows = yield* sql<{ readonly n: number | bigint; readonly bytes: number | bigint }>`
      SELECT COUNT(*) AS n, SUM(LENGTH(data)) AS bytes FROM blobs WHERE z = 3`
    assert.strictEqual(Number(rows[0]?.n), days.length - 1, "every window but the first")
    assert.isBelow(Number(rows[0]?.bytes), whole / 8, "19 windows take less than an eighth of one")
    const reader = yield* SqlRunStore.make
    for (const end of days.toReversed()) {
      const [recording] = yield* reader.getRecordings(id(`bd${end}`))
      assert.deepStrictEqual(recording?.value, { _tag: "Success", value: window(end) })
    }
    // a delta rebuilt against an edited base no longer has its hash
    yield* sql`UPDATE blobs SET data = ${zstdCompressSync(Buffer.from(JSON.stringify(window(1))))} WHERE z = 2 AND base IS NULL AND LENGTH(data) > 1000`
    const error = failureOf(yield* Effect.exit((yield* SqlRunStore.make).getRecordings(id(`bd${days[3]}`))))
    assert.match(error.message, /does not rebuild|does not decode/)
  }))

  test("a read that decodes more than the store keeps of recent texts still finds the ones it counted on (not \"missing\")", Effect.gen(function*() {
    const store = yield* RunStore
    // two slots, each text compressed against the run before: a large window (~37 KB) and a small note
    const large = (n: number) => ({ run: n, rows: Array.from({ length: 1_000 }, (_, k) => ({ k, v: Math.sin(n * 7919 + k) })) })
    const small = (n: number) => ({ run: n, note: `the note of run ${n} `.repeat(5) })
    const runs = Array.from({ length: 32 }, (_, i) => i + 1)
    for (const n of runs) {
      yield* store.createRun(mkRun(`big${n}`))
      for (const [stage, output] of [["large", large(n)], ["small", small(n)]] as const) {
        yield* store.commitStage({ runId: id(`big${n}`), stage, checkpoint: mkCheckpoint(`big${n}`, stage, { output }), recordings: [] })
      }
    }
    const reader = yield* SqlRunStore.make
    yield* reader.getCheckpoints(id("big1"))
    // the last run's large chain (31 texts, past the 1 MB kept here) is decoded first and pushes run 1's texts out;
    // its small chain, found to end at run 1's small text, reads on
    const last = yield* reader.getCheckpoints(id("big32"))
    assert.strictEqual(JSON.stringify(last.map((c) => c.output)), JSON.stringify([large(32), small(32)]))
  }).pipe(Effect.provideService(Blobs.RecentTextBytes, KEPT)))

  test("runs read in order cost each text's own row: the chain behind it was decoded by the reads before", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const window = (end: number) => ({ asOf: `day-${end}`, closes: Array.from({ length: 300 }, (_, k) => 100 + Math.sin(end - 299 + k)) })
    const days = Array.from({ length: 30 }, (_, d) => d + 500)
    for (const end of days) {
      yield* store.createRun(mkRun(`o${end}`))
      yield* store.commitStage({
        runId: id(`o${end}`),
        stage: "fetch",
        checkpoint: mkCheckpoint(`o${end}`, "fetch", { output: window(end) }),
        recordings: [{ ...mkRecording(`o${end}`, "fetch", 0), value: { _tag: "Success", value: window(end) } }]
      })
    }
    const reader = yield* SqlRunStore.make
    const [early, late] = [days.slice(0, 15), days.slice(15)]
    for (const end of early) {
      const [checkpoint] = yield* reader.getCheckpoints(id(`o${end}`))
      assert.strictEqual(JSON.stringify(checkpoint?.output), JSON.stringify(window(end)))
    }
    // the earlier links of every later chain are gone from the table: only a reader that walks no chain again reads on
    // (each hash as stored: bytes on SQLite, hex on PostgreSQL, as in the blobs' own key)
    const gone = yield* sql<{ readonly hash: string | Uint8Array }>`
      SELECT output_hash AS hash FROM checkpoints WHERE run_id IN ${sql.in(early.map((end) => `o${end}`))}
      UNION SELECT entries_hash AS hash FROM stage_recordings WHERE run_id IN ${sql.in(early.map((end) => `o${end}`))}`
    assert.strictEqual(gone.length, 2 * early.length)
    for (const { hash } of gone) yield* sql`DELETE FROM blobs WHERE hash = ${hash}`
    for (const end of late) {
      const [checkpoint] = yield* reader.getCheckpoints(id(`o${end}`))
      assert.strictEqual(JSON.stringify(checkpoint?.output), JSON.stringify(window(end)))
    }
    // a store that decoded nothing before walks the chain, finds a link missing and says so (it used to ask forever)
    const fresh = failureOf(yield* Effect.exit((yield* SqlRunStore.make).getCheckpoints(id(`o${late.at(-1)!}`))))
    assert.match(fresh.message, /is missing/)
  }))

  test("compresses a checkpoint's output against its stage's recordings of the same commit: read back exactly", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const bars = (end: number) => Array.from({ length: 20 }, (_, k) => ({ day: end - 19 + k, close: 100 + Math.sin(end + k) }))
    const days = [300, 301, 302]
    for (const end of days) {
      yield* store.createRun(mkRun(`s${end}`))
      yield* store.commitStage({
        runId: id(`s${end}`),
        stage: "fetch",
        checkpoint: mkCheckpoint(`s${end}`, "fetch", { output: { asOf: end, bars: bars(end) } }),
        recordings: [{ ...mkRecording(`s${end}`, "fetch", 0), value: { _tag: "Success", value: bars(end) } }]
      })
    }
    const first = textHash(JSON.stringify({ asOf: 300, bars: bars(300) }))
    const pg = (yield* dialectOf) === "pg"
    const rows = yield* sql<{ readonly n: number | bigint }>`SELECT LENGTH(data) AS n FROM blobs WHERE hash = ${pg ? first : Buffer.from(first, "hex")}`
    assert.isBelow(Number(rows[0]?.n), 60, "the first output costs a few bytes: its bars are in the recordings")
    const reader = yield* SqlRunStore.make
    for (const end of days) {
      assert.strictEqual(JSON.stringify((yield* reader.getCheckpoints(id(`s${end}`)))[0]?.output), JSON.stringify({ asOf: end, bars: bars(end) }))
      assert.deepStrictEqual((yield* reader.getRecordings(id(`s${end}`)))[0]?.value, { _tag: "Success", value: bars(end) })
    }
  }))

  test("a large value known by its bytes (a market snapshot) is stored from them, its text never built: read back exactly", Effect.gen(function*() {
    const store = yield* RunStore
    const texts: Array<string> = []
    for (const end of [400, 401, 402]) {
      const value = { asOf: end, bars: Array.from({ length: 800 }, (_, k) => ({ day: end - 799 + k, close: 100 + Math.sin(end + k), note: "é" })) }
      const text = JSON.stringify(value)
      texts.push(text)
      const bytes = Buffer.from(text)
      // its maker has the bytes alone: a text asked for would fail the commit
      rememberJsonText(value, {
        get text(): string {
          throw new Error("the text of a value known by its bytes was built")
        },
        hash: textHash(text),
        bytes
      })
      yield* store.createRun(mkRun(`b${end}`))
      yield* store.commitStage({
        runId: id(`b${end}`),
        stage: "fetch",
        checkpoint: mkCheckpoint(`b${end}`, "fetch", { output: value }),
        recordings: [{ ...mkRecording(`b${end}`, "fetch", 0), value: { _tag: "Success", value } }]
      })
    }
    const reader = yield* SqlRunStore.make
    for (const [i, end] of [400, 401, 402].entries()) {
      assert.strictEqual(JSON.stringify((yield* reader.getCheckpoints(id(`b${end}`)))[0]?.output), texts[i])
      assert.strictEqual(JSON.stringify((yield* reader.getRecordings(id(`b${end}`)))[0]?.value), `{"_tag":"Success","value":${texts[i]}}`)
    }
  }))

  test("stores what does not change once: the parameters, outputs and large values of many runs", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const blobs = () => Effect.map(sql<{ readonly n: number | bigint }>`SELECT COUNT(*) AS n FROM blobs`, (rows) => Number(rows[0]?.n))
    const snapshot = { asOf: "2026-08-21", rows: Array.from({ length: 200 }, (_, i) => ({ symbol: `S${i}`, close: 100 + i / 7 })) }
    for (const runId of ["r1", "r2", "r3"]) {
      yield* store.createRun(mkRun(runId))
      yield* store.commitStage({
        runId: id(runId),
        stage: "fetch",
        checkpoint: mkCheckpoint(runId, "fetch", { output: snapshot }),
        recordings: [{ ...mkRecording(runId, "fetch", 0), value: { _tag: "Success", value: snapshot } }]
      })
    }
    // the parameters, the snapshot (output and recorded value alike) and the stage's recordings
    assert.strictEqual(yield* blobs(), 3)
    yield* store.importBundle({ ...mkBundle("copy"), checkpoints: [mkCheckpoint("copy", "fetch", { output: snapshot })], recordings: [] })
    assert.strictEqual(yield* blobs(), 3)
    yield* store.putCheckpoint(mkCheckpoint("copy", "pitch", { output: { changed: true } }))
    assert.strictEqual(yield* blobs(), 4)
  }))

  test("a run's parameters that repeat the last run's but for its moment are stored as a delta in a frame of their own (z = 3), read back exactly", Effect.gen(function*() {
    const store = yield* RunStore
    const sql = yield* SqlClient.SqlClient
    const sqlite = (yield* dialectOf) === "sqlite"
    // a backtest session's parameters: the same accounts and choices, another run moment each
    const params = (moment: string, pms = "offline") => ({
      accounts: ["CHATGPT", "CLAUDE", "GEMINI"].map((account) => ({ id: account, mode: "PAPER", settings: { maxPositionPct: 0.2, stopLossPct: 0.08 } })),
      pms,
      schedule: "close",
      asOfTime: moment
    })
    const runs = [
      mkRun("p1", { params: params("2026-08-24T15:59:00-04:00") }),
      mkRun("p2", { params: params("2026-08-25T15:59:00-04:00") }),
      // a text that differs more: compressed as before
      mkRun("p3", { params: { ...params("2026-08-26T15:59:00-04:00", "replay"), note: "another run altogether, whose parameters repeat little of the last" } })
    ]
    yield* store.createRun(runs[0]!)
    // the second with a stage commit that writes its row (as a backtest's batched commits do), the third alone
    yield* store.commitStages({ create: runs[1]!, commits: [{ runId: id("p2"), stage: "fetch", checkpoint: mkCheckpoint("p2", "fetch"), recordings: [] }] })
    yield* store.createRun(runs[2]!)
    const stored = yield* Effect.forEach(runs, (run) =>
      Effect.map(
        sql<{ readonly z: number; readonly data: Uint8Array; readonly base: unknown }>`SELECT z, data, base FROM blobs WHERE hash = ${
          sqlite ? Buffer.from(textHash(JSON.stringify(run.params)), "hex") : textHash(JSON.stringify(run.params))
        }`,
        ([row]) => row!
      ))
    assert.deepStrictEqual(stored.map((row) => Number(row.z)), [2, 3, 2], "the first alone, the second a delta of the first, the third compressed")
    assert.isAtMost(stored[1]!.data.length, 9 + 48, "a few bytes: the moment that changed")
    const base = stored[1]!.base
    assert.strictEqual(base instanceof Uint8Array ? Buffer.from(base).toString("hex") : String(base), textHash(JSON.stringify(runs[0]!.params)))
    // a zstd frame as any other: what zstd gives back is the delta
    assert.isAbove(zstdDecompressSync(stored[1]!.data).length, 0)
    const reader = yield* SqlRunStore.make
    for (const run of runs) assert.deepStrictEqual(Option.map(yield* reader.getRun(run.id), (read) => read.params), Option.some(run.params))
  }))

  test("a checkpoint needs its run", Effect.gen(function*() {
    const store = yield* RunStore
    const error = failureOf(yield* Effect.exit(store.putCheckpoint(mkCheckpoint("orphan", "fetch"))))
    assert.strictEqual(error.operation, "putCheckpoint")
  }))
}


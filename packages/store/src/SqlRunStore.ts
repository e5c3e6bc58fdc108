/**
 * The SQL implementation of the engine's `RunStore`, on any `SqlClient` migrated by `Database`.
 *
 * **When to use**: `SqlRunStore.layer` needs a `SqlClient` (tests: `Database.layerSqlite` / `layerPg`);
 * `SqlRunStore.layerConfig` brings its own `Database.layer` and also exposes that client.
 *
 * **Details**
 * - Behaves like `RunStore.makeMemory` (the shared test suite pins both): checkpoints come back in first-write
 *   order (an upsert keeps its place), recordings by their stages' first commit then as recorded, runs newest
 *   first by `startedAt` then id (binary string order).
 * - Payloads are stored by content (`Blobs`, migrations `0008_content_addressed`, `0009_binary_blobs`): a run's
 *   parameters, each checkpoint's output and each stage's recordings (`RecordingEntries`, large values apart) are
 *   JSON texts keyed by their hash, so what does not change from run to run — the parameters of a backtest's every
 *   session, the snapshot a stage recorded and checkpointed — is stored once. They read back as the same JSON text.
 *   A stage commit writes its blobs in one statement; the output is compressed against the commit's recordings.
 * - SQLite (`0011_run_store_lean`): checkpoints and stage recordings are keyed by (run, stage) alone, numbered
 *   within their run, their hashes stored as bytes; a checkpoint's `finished_at` is left out when it is
 *   `started_at` + `duration_ms`. They read back as written.
 * - `createRun`, `commitStage`, `commitStages` and `importBundle` are one transaction each (a run and its
 *   parameters' blob commit together: one commit, and a refused run leaves nothing; a batch's blobs go in one
 *   statement); the hot statements are compiled once
 *   (`FixedStatements`). `importBundle` also rejects a bundle whose checkpoints or recordings name another run.
 * - Every SQL or decoding failure becomes a `StoreError` naming the operation. The rows' schemas, columns and
 *   decoders are `RunStoreRows`.
 *
 * **Gotchas**
 * - Checkpoints and recordings reference their run (foreign key): write the run first.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SqlClient from "effect/sql/SqlClient"
import * as SqlError from "effect/sql/SqlError"
import { RunId } from "@council/domain"
import {
  type Checkpoint,
  type DamagedRun,
  type JsonText,
  jsonText,
  type ListRunsQuery,
  type Recording,
  type RunBundle,
  type RunOrigin,
  type RunPatch,
  RunRecord,
  RunStore,
  type StageBatch,
  type StageCommit,
  type StageOutput,
  type StageOutputsQuery,
  byDayThenStart,
  StoreError
} from "@council/engine"
import * as Blobs from "./Blobs.ts"
import * as Database from "./Database.ts"
import * as FixedStatements from "./FixedStatements.ts"
import * as RecordingEntries from "./RecordingEntries.ts"
import {
  checkpointColumns,
  checkpointValues,
  damagedRun,
  decodeCheckpoint,
  decodeCheckpointRows,
  decodeNamed,
  decodeRun,
  decodeRunRows,
  decodeStageOutputs,
  parseDigest,
  readCheckpointRow,
  runColumns
} from "./RunStoreRows.ts"

/** The driver's own message (PostgreSQL's `SqlError.message` is only "Query failed"). */
const describeError = (error: SqlError.SqlError | Schema.SchemaError): string => {
  if (error._tag === "SchemaError") return `stored data does not decode: ${error.message}`
  const cause = error.reason.cause
  return cause instanceof Error && cause.message !== "" ? `${error.reason._tag}: ${cause.message}` : error.message
}

const storeError = (operation: string) => (error: SqlError.SqlError | Schema.SchemaError | StoreError) =>
  error._tag === "StoreError"
    ? error
    : new StoreError({ operation, message: describeError(error), ...(error._tag === "SchemaError" ? { kind: "damaged" as const } : {}) })

const isUniqueViolation = (error: unknown): error is SqlError.SqlError =>
  SqlError.isSqlError(error) && error.reason._tag === "UniqueViolation"

/** Rows to write and the blobs they refer to. */
interface Write {
  readonly blobs: ReadonlyArray<Blobs.Put>
  readonly row: Effect.Effect<unknown, SqlError.SqlError | StoreError>
}

/** The store's fixed statements (`FixedStatements`), compiled once. */
const runStatements = ({ pg, prepare }: ReturnType<typeof FixedStatements.make>) => {
  const insertRunRow = prepare(`INSERT INTO runs (${runColumns}, origin) VALUES (${Array(15).fill("?").join(", ")})`)
  const updateRunRow = prepare(`UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE id = ? RETURNING id`)
  // SQLite numbers a run's rows itself (`0011_run_store_lean`): `seq`, after the run's last; an update keeps it
  const seq = (table: string) => (pg ? { column: "", value: "" } : {
    column: "seq, ",
    value: `(SELECT COALESCE(MAX(seq), 0) + 1 FROM ${table} WHERE run_id = ?), `
  })
  const checkpointSeq = seq("checkpoints")
  const upsertCheckpoint = prepare(
    `INSERT INTO checkpoints (${checkpointColumns.replace("stage, ", `stage, ${checkpointSeq.column}`)})
      VALUES (?, ?, ${checkpointSeq.value}?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (run_id, stage) DO UPDATE SET output_hash = excluded.output_hash, input_hash = excluded.input_hash,
      attempt = excluded.attempt, started_at = excluded.started_at, finished_at = excluded.finished_at,
      duration_ms = excluded.duration_ms, reused_from = excluded.reused_from`
  )
  const recordingsSeq = seq("stage_recordings")
  const upsertRecordings = prepare(
    `INSERT INTO stage_recordings (run_id, stage, ${recordingsSeq.column}entries_hash) VALUES (?, ?, ${recordingsSeq.value}?)
      ON CONFLICT (run_id, stage) DO UPDATE SET entries_hash = excluded.entries_hash`
  )
  const upsertDigest = prepare(
    `INSERT INTO stage_digests (run_id, stage, digest) VALUES (?, ?, ?) ON CONFLICT (run_id, stage) DO UPDATE SET digest = excluded.digest`
  )
  const deleteDigest = prepare(`DELETE FROM stage_digests WHERE run_id = ? AND stage = ?`)
  const selectCheckpoints = prepare(`SELECT ${checkpointColumns} FROM checkpoints WHERE run_id = ? ORDER BY seq`)
  const selectRecordings = prepare(`SELECT stage, entries_hash FROM stage_recordings WHERE run_id = ? ORDER BY seq`)
  return { insertRunRow, updateRunRow, upsertCheckpoint, upsertRecordings, upsertDigest, deleteDigest, selectCheckpoints, selectRecordings }
}
type RunStatements = ReturnType<typeof runStatements>

/** What a blob holds (`run R's checkpoint of S`), asked only to name a damaged one. */
const holderQuery = ({ pg, prepare }: ReturnType<typeof FixedStatements.make>) => {
  // no index serves these: a failure's cost alone
  const selectHolder = prepare(
    `SELECT run_id AS run, stage, 'recordings' AS kind FROM stage_recordings WHERE entries_hash = ?
      UNION ALL SELECT run_id, stage, 'checkpoint' FROM checkpoints WHERE output_hash = ?
      UNION ALL SELECT id, '', 'parameters' FROM runs WHERE params_hash = ? LIMIT 1`
  )
  return (hash: string) =>
    Effect.map(selectHolder(Blobs.storedHash(pg, hash), Blobs.storedHash(pg, hash), hash), ([row]) =>
      row === undefined
        ? undefined
        : row["kind"] === "parameters"
        ? `run ${row["run"]}'s parameters`
        : `run ${row["run"]}'s ${row["kind"] === "recordings" ? "recordings" : "checkpoint"} of ${row["stage"]}`)
}

/** How the store writes: transactions that confirm their blobs, and the rows and blobs of runs and stage commits. */
const runWrites = (sql: SqlClient.SqlClient, pg: boolean, st: RunStatements, blobs: Blobs.Blobs) => {
  const { deleteDigest, insertRunRow, updateRunRow, upsertCheckpoint, upsertDigest, upsertRecordings } = st
  /** Runs `body` in a transaction, then confirms the blobs it wrote. */
  const transaction = <A, E, R>(body: Effect.Effect<readonly [A, ReadonlyArray<string>], E, R>) =>
    sql.withTransaction(body).pipe(
      Effect.map(([result, written]) => {
        blobs.confirm(written)
        return result
      }),
      Effect.onError(() => Effect.sync(blobs.abandon))
    )

  /** A run's row and its parameters' blob; a taken id fails with "run <id> already exists". */
  const runWrite = (operation: string, run: RunRecord, origin: RunOrigin): Write => {
    const params = jsonText(run.params)
    return {
      // a backtest's sessions differ in their moment alone (`Blobs.Put.repeats`)
      blobs: [{ text: params, slot: "params", repeats: true }],
      row: Effect.catchIf(
        insertRunRow(
          run.id,
          run.pipeline,
          run.tradingDay,
          run.asOf,
          run.mode,
          run.dryRun,
          run.codeVersion,
          run.parentRunId,
          run.forkFrom,
          run.status,
          run.startedAt,
          run.finishedAt,
          run.error,
          params.hash,
          origin
        ),
        isUniqueViolation,
        () => Effect.fail(new StoreError({ operation, message: `run ${run.id} already exists` }))
      )
    }
  }

  /** A stage's recordings (replacing the stage's) as the blobs they need and their row; `entries`, their list. */
  const recordingsWrite = (
    runId: RunId,
    stage: string,
    recordings: ReadonlyArray<Pick<Recording, "key" | "seq" | "value">>
  ): Write & { readonly entries: JsonText } => {
    const { entries, values } = RecordingEntries.pack(recordings)
    return {
      blobs: [...values.map((text, i) => ({ text, slot: `value:${stage}:${i}` })), { text: entries, slot: `recordings:${stage}` }],
      row: pg ? upsertRecordings(runId, stage, entries.hash) : upsertRecordings(runId, stage, runId, Blobs.storedHash(false, entries.hash)),
      entries
    }
  }

  /**
   * A checkpoint's blob and rows: its output is compressed against `entries` too (its stage's recordings); its
   * `digest` is kept beside it, or the one kept before dropped.
   */
  const checkpointWrite = (checkpoint: Checkpoint, entries: JsonText | undefined, digest?: Schema.Json): Write => {
    const output = jsonText(checkpoint.output)
    const blob = { text: output, slot: `output:${checkpoint.stage}`, ...(entries === undefined ? {} : { sibling: entries }) }
    const kept = digest === undefined
      ? deleteDigest(checkpoint.runId, checkpoint.stage)
      : upsertDigest(checkpoint.runId, checkpoint.stage, JSON.stringify(digest))
    return { blobs: [blob], row: Effect.andThen(upsertCheckpoint(...checkpointValues(pg, checkpoint, output)), kept) }
  }

  /** The blobs of `writes` in one statement, then their rows; the blobs written. */
  const write = (writes: ReadonlyArray<Write>) =>
    Effect.gen(function*() {
      const written = yield* blobs.put(writes.flatMap((w) => w.blobs))
      for (const w of writes) yield* w.row
      return written
    })

  /** A stage commit's writes: its recordings, then its checkpoint (compressed against them). */
  const stageWrites = (commit: StageCommit): ReadonlyArray<Write> => {
    const recordings = recordingsWrite(commit.runId, commit.stage, commit.recordings)
    return commit.checkpoint === null ? [recordings] : [recordings, checkpointWrite(commit.checkpoint, recordings.entries, commit.digest)]
  }

  /** Inserts a run (its parameters' blob first); a taken id fails with "run <id> already exists". */
  const insertRun = (operation: string, run: RunRecord, origin: RunOrigin) => write([runWrite(operation, run, origin)])

  /**
   * The stage commits' blobs (and `first`'s: a run they belong to) in one statement, their rows in order, then the
   * runs they complete; the blobs written.
   */
  const writeCommits = (commits: ReadonlyArray<StageCommit>, first: ReadonlyArray<Write> = []) =>
    Effect.gen(function*() {
      const written = yield* write([...first, ...commits.flatMap(stageWrites)])
      for (const commit of commits) {
        if (commit.completes !== undefined) yield* updateRunRow("completed", commit.completes, null, commit.runId)
      }
      return written
    })

  return { transaction, runWrite, insertRun, recordingsWrite, checkpointWrite, write, writeCommits }
}
type RunWrites = ReturnType<typeof runWrites>

/** The runs' operations: create, update, read, list and survey. */
const runOperations = (sql: SqlClient.SqlClient, st: RunStatements, blobs: Blobs.Blobs, { insertRun, transaction }: RunWrites) => {
  const { updateRunRow } = st
  const withParams = (operation: string, rows: ReadonlyArray<Record<string, unknown>>) =>
    Effect.gen(function*() {
      const params = yield* blobs.get(
        operation,
        rows.map((row) => String(row["params_hash"])),
        (hash) => `run ${rows.find((row) => String(row["params_hash"]) === hash)?.["id"]}'s parameters`
      )
      const complete = rows.map((row) => ({ ...row, params: params.get(String(row["params_hash"])) }))
      return yield* decodeNamed(operation, complete, decodeRunRows, decodeRun, (row) => `run ${row["id"]}`)
    })

  const createRun = Effect.fn("SqlRunStore.createRun")(
    function*(run: RunRecord) {
      yield* transaction(Effect.map(insertRun("createRun", run, "local"), (written) => [undefined, written] as const))
    },
    Effect.mapError(storeError("createRun"))
  )

  const updateRun = Effect.fn("SqlRunStore.updateRun")(
    function*(id: RunId, patch: RunPatch) {
      const updated = yield* updateRunRow(patch.status, patch.finishedAt, patch.error, id)
      if (updated.length === 0) return yield* new StoreError({ operation: "updateRun", message: `no run ${id}` })
    },
    Effect.mapError(storeError("updateRun"))
  )

  const getRun = Effect.fn("SqlRunStore.getRun")(
    function*(id: RunId) {
      const rows = yield* sql<Record<string, unknown>>`SELECT ${sql.literal(runColumns)} FROM runs WHERE id = ${id}`
      return Option.fromNullishOr((yield* withParams("getRun", rows))[0])
    },
    Effect.mapError(storeError("getRun"))
  )

  /** The rows of the runs `query` lists, newest first. */
  const selectRuns = (query: ListRunsQuery) => {
    const filters = [
      ...(query.pipeline === undefined ? [] : [sql`pipeline = ${query.pipeline}`]),
      ...(query.tradingDay === undefined ? [] : [sql`trading_day = ${query.tradingDay}`]),
      ...(query.origin === undefined ? [] : [sql`origin = ${query.origin}`]),
      ...(query.before === undefined ? [] : [
        sql`(started_at < ${query.before.startedAt} OR (started_at = ${query.before.startedAt} AND id < ${query.before.id}))`
      ]),
      ...(query.days === undefined ? [] : [sql`trading_day BETWEEN ${query.days.from} AND ${query.days.to}`])
    ]
    return sql<Record<string, unknown>>`SELECT ${sql.literal(runColumns)} FROM runs WHERE ${sql.and(filters)}
        ORDER BY started_at DESC, id DESC LIMIT ${Math.max(0, query.limit)}`
  }

  const listRuns = Effect.fn("SqlRunStore.listRuns")(
    function*(query: ListRunsQuery) {
      return yield* withParams("listRuns", yield* selectRuns(query))
    },
    Effect.mapError(storeError("listRuns"))
  )

  const surveyRuns = Effect.fn("SqlRunStore.surveyRuns")(
    function*(query: ListRunsQuery) {
      const rows = yield* selectRuns(query)
      // all at once; when that fails, run by run, so that what is damaged is named in its place
      return yield* withParams("surveyRuns", rows).pipe(Effect.catchTag("StoreError", () =>
        Effect.forEach(rows, (row) =>
          withParams("surveyRuns", [row]).pipe(
            Effect.map((runs): RunRecord | DamagedRun => runs[0]!),
            Effect.catchTag("StoreError", (error) => Effect.succeed(damagedRun(row, error.message)))
          ))))
    },
    Effect.mapError(storeError("surveyRuns"))
  )

  return { createRun, updateRun, getRun, listRuns, surveyRuns }
}

/** The stages' operations: write checkpoints and stage commits, read checkpoints, stage outputs and recordings. */
const stageOperations = (sql: SqlClient.SqlClient, st: RunStatements, blobs: Blobs.Blobs, w: RunWrites) => {
  const { checkpointWrite, runWrite, transaction, write, writeCommits } = w
  const { selectCheckpoints, selectRecordings } = st
  const putCheckpoint = Effect.fn("SqlRunStore.putCheckpoint")(
    function*(checkpoint: Checkpoint) {
      yield* transaction(Effect.map(write([checkpointWrite(checkpoint, undefined)]), (written) => [undefined, written] as const))
    },
    Effect.mapError(storeError("putCheckpoint"))
  )

  const commitStage = Effect.fn("SqlRunStore.commitStage")(
    function*(commit: StageCommit) {
      yield* transaction(Effect.map(writeCommits([commit]), (written) => [undefined, written] as const))
    },
    Effect.mapError(storeError("commitStage"))
  )

  const commitStages = Effect.fn("SqlRunStore.commitStages")(
    function*({ create, commits }: StageBatch) {
      // the run's row, and its parameters' blob in the same statement as the commits' blobs
      const created = create === undefined ? [] : [runWrite("commitStages", create, "local")]
      yield* transaction(Effect.map(writeCommits(commits, created), (written) => [undefined, written] as const))
    },
    Effect.mapError(storeError("commitStages"))
  )

  const getCheckpoints = Effect.fn("SqlRunStore.getCheckpoints")(
    function*(runId: RunId, stage?: string) {
      const stored = (yield* selectCheckpoints(runId)).map(readCheckpointRow)
      const rows = (yield* decodeNamed("getCheckpoints", stored, decodeCheckpointRows, decodeCheckpoint, (row) => `run ${runId}'s checkpoint of ${row["stage"]}`))
        .filter((row) => stage === undefined || row.stage === stage)
      const outputs = yield* blobs.get(
        "getCheckpoints",
        rows.map((row) => row.outputHash),
        (hash) => `run ${runId}'s checkpoint of ${rows.find((row) => row.outputHash === hash)?.stage}`
      )
      return rows.map((row): Checkpoint => ({
        runId: row.runId,
        stage: row.stage,
        output: outputs.get(row.outputHash)!,
        inputHash: row.inputHash,
        attempt: row.attempt,
        startedAt: row.startedAt,
        finishedAt: row.finishedAt,
        durationMs: row.durationMs,
        reusedFrom: row.reusedFrom
      }))
    },
    Effect.mapError(storeError("getCheckpoints"))
  )

  const stageOutputs = Effect.fn("SqlRunStore.stageOutputs")(
    function*(query: StageOutputsQuery) {
      const filters = [
        sql`r.pipeline = ${query.pipeline}`,
        sql`r.status = 'completed'`,
        sql`r.trading_day >= ${query.from}`,
        sql`r.trading_day <= ${query.to}`,
        ...(query.origin === undefined ? [] : [sql`r.origin = ${query.origin}`])
      ]
      const stored = query.digests === true
        ? yield* sql<Record<string, unknown>>`SELECT r.id, r.trading_day, r.dry_run, r.started_at, c.output_hash, d.digest
          FROM runs r LEFT JOIN checkpoints c ON c.run_id = r.id AND c.stage = ${query.stage}
          LEFT JOIN stage_digests d ON d.run_id = r.id AND d.stage = ${query.stage} WHERE ${sql.and(filters)}`
        : yield* sql<Record<string, unknown>>`SELECT r.id, r.trading_day, r.dry_run, r.started_at, c.output_hash
          FROM runs r LEFT JOIN checkpoints c ON c.run_id = r.id AND c.stage = ${query.stage} WHERE ${sql.and(filters)}`
      const rows = yield* decodeStageOutputs(stored.map((row) => ({ ...row, output_hash: row["output_hash"] === null ? null : Blobs.hexOf(row["output_hash"]) })))
      const digests = new Map<RunId, Schema.Json>()
      for (const [i, row] of stored.entries()) {
        const digest = row["digest"]
        if (typeof digest !== "string" || rows[i]!.outputHash === null) continue
        const parsed = parseDigest(digest)
        if (parsed !== undefined) digests.set(rows[i]!.runId, parsed)
      }
      const outputs = yield* blobs.get(
        "stageOutputs",
        rows.flatMap((row) => (row.outputHash === null || digests.has(row.runId) ? [] : [row.outputHash])),
        (hash) => `run ${rows.find((row) => row.outputHash === hash)?.runId}'s checkpoint of ${query.stage}`
      )
      return rows
        .map((row): StageOutput => {
          const run = { runId: row.runId, tradingDay: row.tradingDay, dryRun: row.dryRun, startedAt: row.startedAt }
          const digest = digests.get(row.runId)
          return row.outputHash === null ? run : digest !== undefined ? { ...run, digest } : { ...run, output: outputs.get(row.outputHash)! }
        })
        .sort(byDayThenStart)
    },
    Effect.mapError(storeError("stageOutputs"))
  )

  const getRecordings = Effect.fn("SqlRunStore.getRecordings")(
    function*(runId: RunId) {
      const rows = yield* selectRecordings(runId)
      const recordingsOf = (hash: string) =>
        `run ${runId}'s recordings of ${rows.find((row) => Blobs.hexOf(row["entries_hash"]) === hash)?.["stage"]}`
      const lists = yield* blobs.get("getRecordings", rows.map((row) => Blobs.hexOf(row["entries_hash"])), recordingsOf)
      const entries = new Map<string, ReadonlyArray<RecordingEntries.Entry>>()
      const refs: Array<string> = []
      const listOf = new Map<string, string>()
      for (const [hash, list] of lists) {
        const read = RecordingEntries.read(list)
        if (typeof read === "string") return yield* new StoreError({ operation: "getRecordings", message: `${recordingsOf(hash)}: stored ${read}`, kind: "damaged" })
        entries.set(hash, read.entries)
        refs.push(...read.references)
        for (const ref of read.references) listOf.set(ref, hash)
      }
      const values = yield* blobs.get("getRecordings", refs, (ref) => recordingsOf(listOf.get(ref) ?? ""))
      return rows.flatMap((row) =>
        RecordingEntries.unpack(runId, String(row["stage"]), entries.get(Blobs.hexOf(row["entries_hash"]))!, (hash) => values.get(hash)!)
      )
    },
    Effect.mapError(storeError("getRecordings"))
  )

  return { putCheckpoint, commitStage, commitStages, getCheckpoints, stageOutputs, getRecordings }
}

/** `importBundle`: a run, its checkpoints and its recordings, in one transaction. */
const importOperation = ({ checkpointWrite, insertRun, recordingsWrite, transaction, write }: RunWrites) =>
  Effect.fn("SqlRunStore.importBundle")(
    function*(bundle: RunBundle, origin: RunOrigin = "imported") {
      const id = bundle.run.id
      const foreign = [...bundle.checkpoints, ...bundle.recordings].find((item) => item.runId !== id)
      if (foreign) {
        return yield* new StoreError({
          operation: "importBundle",
          message: `bundle of run ${id} contains data of run ${foreign.runId} (stage ${foreign.stage})`
        })
      }
      const stages = new Map<string, Array<Recording>>()
      for (const recording of bundle.recordings) stages.set(recording.stage, [...(stages.get(recording.stage) ?? []), recording])
      yield* transaction(Effect.gen(function*() {
        const written = [...yield* insertRun("importBundle", bundle.run, origin)]
        const recorded = new Map([...stages].map(([stage, recordings]) => [stage, recordingsWrite(id, stage, recordings)] as const))
        const writes: Array<Write> = []
        const seen = new Set<string>()
        for (const checkpoint of bundle.checkpoints) {
          if (seen.has(checkpoint.stage)) {
            return yield* new StoreError({ operation: "importBundle", message: `bundle of run ${id} has two checkpoints of stage ${checkpoint.stage}` })
          }
          seen.add(checkpoint.stage)
          writes.push(checkpointWrite(checkpoint, recorded.get(checkpoint.stage)?.entries))
        }
        written.push(...yield* write([...writes, ...recorded.values()]))
        return [undefined, written] as const
      }))
    },
    Effect.mapError(storeError("importBundle"))
  )

/** Builds the store over the current `SqlClient`. */
export const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const statements = FixedStatements.make(sql)
  const st = runStatements(statements)
  const blobs = Blobs.make(statements, holderQuery(statements), yield* Blobs.RecentTextBytes)
  const writes = runWrites(sql, statements.pg, st, blobs)
  return RunStore.of({
    ...runOperations(sql, st, blobs, writes),
    ...stageOperations(sql, st, blobs, writes),
    importBundle: importOperation(writes)
  })
})

/** `RunStore` over the `SqlClient` in context (already migrated, e.g. by `Database.layerSqlite`). */
export const layer: Layer.Layer<RunStore, never, SqlClient.SqlClient> = Layer.effect(RunStore, make)

/** `RunStore` over `Database.layer` (configured from the environment); also provides that `SqlClient`. */
export const layerConfig = layer.pipe(Layer.provideMerge(Database.layer))

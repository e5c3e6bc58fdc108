/**
 * Payloads by content: a `blobs` table of JSON texts keyed by the hash of the text (`textHash`), each stored
 * once, referenced by the rows that held them inline — `runs.params` becomes `params_hash`, `checkpoints.output`
 * becomes `output_hash`, and the `recordings` rows (one per call) become one `stage_recordings` row per stage
 * whose entries blob (`RecordingEntries`) lists the stage's calls, large values as blobs of their own. Existing
 * rows are moved over as they are: the stored texts keep their bytes, so they read back as before. Also indexes
 * the exchange's and the ledger's tables for what reconciling each session of a long backtest queries.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlClient from "effect/sql/SqlClient"
import { type JsonText, textHash } from "@council/engine"
import * as RecordingEntries from "../RecordingEntries.ts"

/** Rows moved per statement round. */
const BATCH = 200

export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  const autoId = pg ? "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT"
  const key = pg ? `TEXT COLLATE "C"` : "TEXT"

  // `base`: when set, `body` is a delta (`TextDelta`) of that blob's text; `z` = 1: `body` is base64 of its raw deflate
  yield* sql.unsafe(`CREATE TABLE blobs (hash ${key} PRIMARY KEY, body TEXT NOT NULL, base TEXT, z SMALLINT NOT NULL DEFAULT 0)`)
  const put = (blobs: ReadonlyArray<JsonText>) =>
    Effect.forEach(blobs, ({ hash, text }) => sql`INSERT INTO blobs (hash, body) VALUES (${hash}, ${text}) ON CONFLICT (hash) DO NOTHING`, {
      discard: true
    })
  const blobOf = (text: string): JsonText => ({ text, hash: textHash(text) })

  /** Replaces `table.column` (JSON text) by `table.hashColumn`, paging by `id`. */
  const moveColumn = (table: string, id: string, column: string, hashColumn: string) =>
    Effect.gen(function*() {
      yield* sql.unsafe(`ALTER TABLE ${table} ADD COLUMN ${hashColumn} TEXT`)
      let after: string | number | null = null
      while (true) {
        const rows: ReadonlyArray<Record<string, unknown>> = yield* sql.unsafe<Record<string, unknown>>(
          `SELECT ${id} AS id, ${column} AS text FROM ${table} ${after === null ? "" : `WHERE ${id} > ${pg ? "$1" : "?"}`} ORDER BY ${id} LIMIT ${BATCH}`,
          after === null ? [] : [after]
        )
        for (const row of rows) {
          const blob = blobOf(String(row["text"]))
          yield* put([blob])
          yield* sql.unsafe(`UPDATE ${table} SET ${hashColumn} = ${pg ? "$1" : "?"} WHERE ${id} = ${pg ? "$2" : "?"}`, [blob.hash, row["id"]])
        }
        if (rows.length < BATCH) break
        after = rows[rows.length - 1]!["id"] as string | number
      }
      if (pg) yield* sql.unsafe(`ALTER TABLE ${table} ALTER COLUMN ${hashColumn} SET NOT NULL`)
      yield* sql.unsafe(`ALTER TABLE ${table} DROP COLUMN ${column}`)
    })

  yield* moveColumn("runs", "id", "params", "params_hash")
  yield* moveColumn("checkpoints", "seq", "output", "output_hash")

  yield* sql.unsafe(`CREATE TABLE stage_recordings (
    seq ${autoId},
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    stage TEXT NOT NULL,
    entries_hash TEXT NOT NULL,
    UNIQUE (run_id, stage)
  )`)
  const stages = yield* sql<{ readonly run_id: string; readonly stage: string }>`
    SELECT run_id, stage FROM recordings GROUP BY run_id, stage ORDER BY MIN(id)`
  for (const { run_id, stage } of stages) {
    const rows = yield* sql<{ readonly key: string; readonly seq: number | bigint; readonly value: string }>`
      SELECT key, seq, value FROM recordings WHERE run_id = ${run_id} AND stage = ${stage} ORDER BY id`
    const { entries, values } = RecordingEntries.pack(
      rows.map((row) => ({ key: row.key, seq: Number(row.seq), value: JSON.parse(row.value) }))
    )
    yield* put([...values, entries])
    yield* sql`INSERT INTO stage_recordings (run_id, stage, entries_hash) VALUES (${run_id}, ${stage}, ${entries.hash})`
  }
  yield* sql.unsafe(`DROP TABLE recordings`)

  // what reconciling every session of a long backtest asks of the exchange's and the ledger's tables: without
  // these, each session scans every order and fill an account ever had (a backtest slows down as it goes)
  yield* sql.unsafe(`CREATE INDEX exchange_orders_submitted ON exchange_orders (account, submitted_at, seq)`)
  yield* sql.unsafe(`CREATE INDEX exchange_fills_filled ON exchange_fills (account, filled_at)`)
  yield* sql.unsafe(`CREATE INDEX ledger_orders_status ON ledger_orders (book, account, status)`)
  yield* sql.unsafe(`CREATE INDEX ledger_fills_at ON ledger_fills (book, account, at)`)
})

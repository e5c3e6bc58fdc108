/**
 * What the store's tests share: runs, checkpoints, recordings and bundles to write (`mkRun`, …), JSON that is hard to
 * keep (`trickyJson`), temporary database files removed after the file's tests (`tempFile`), and a SQLite store.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { type AddressInfo, createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert } from "@effect/vitest"
import { Exit, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { RunId, TradingDay } from "@council/domain"
import type { Checkpoint, Recording, RunBundle, RunRecord } from "@council/engine"
import { Database, SqlRunStore } from "@council/store"

/**
 * A 127.0.0.1 port that refuses connections: one the system just gave a listener and took back. Not a fixed port
 * (port 1 was): a process of someone else's bound there would answer, and a test expecting ECONNREFUSED would fail.
 */
export const refusingPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })

export const dialectOf = SqlClient.SqlClient.useSync((sql) =>
  sql.onDialectOrElse({ pg: () => "pg", sqlite: () => "sqlite", orElse: () => "other" })
)

const tempDirs: Array<string> = []
export const tempFile = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), "council-store-"))
  tempDirs.push(dir)
  return join(dir, name)
}

/**
 * Removes what `tempFile` made so far. The project's setup file (`test/CleanUp.ts`) runs it after each test file: an
 * `afterAll` of this module's own would run after the first file only, as a worker keeps its modules from file to file.
 */
export const removeTempDirs = (): void => tempDirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }))

export const id = (value: string) => RunId.make(value)
export const day = (value: string) => TradingDay.make(value)

export const mkRun = (runId: string, overrides: Partial<RunRecord> = {}): RunRecord => ({
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

export const mkCheckpoint = (runId: string, stage: string, overrides: Partial<Checkpoint> = {}): Checkpoint => ({
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

export const mkRecording = (runId: string, stage: string, seq: number): Recording => ({
  runId: id(runId),
  stage,
  key: `Market.bars(["SPY"])#${seq}`,
  seq,
  value: { _tag: "Success", value: [{ close: 100 + seq }] }
})

export const mkBundle = (runId: string): RunBundle => ({
  run: mkRun(runId, { status: "completed", finishedAt: "2026-08-24T13:05:00.000Z" }),
  checkpoints: [mkCheckpoint(runId, "fetch"), mkCheckpoint(runId, "pitch")],
  recordings: [mkRecording(runId, "fetch", 0), mkRecording(runId, "fetch", 1), mkRecording(runId, "pitch", 0)]
})

export const trickyJson = {
  nested: { deeper: { deepest: [1, [2, [3, { four: 4 }]], []] }, empty: {} },
  unicode: "日本語 · émoji 🚀 · \u0000 nul · \"quotes\" \\ backslash \n newline · \u2028",
  numbers: [0.1 + 0.2, 1e21, 1e-7, -1.5, 2 ** 53 - 1, 2 ** 53 + 2, 12345678901234567890, 0, -42],
  literals: [true, false, null, "", "0", "null"],
  "key with spaces": 1,
  z: "keys keep their order",
  a: "after z"
}

export const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) return assert.fail("expected a failure")
  const error = exit.cause.reasons.find((reason) => reason._tag === "Fail")
  return error?._tag === "Fail" ? error.error : assert.fail(`expected a typed failure, got ${exit.cause}`)
}


export const sqliteStore = (filename: string) => SqlRunStore.layer.pipe(Layer.provideMerge(Database.layerSqlite(filename)))

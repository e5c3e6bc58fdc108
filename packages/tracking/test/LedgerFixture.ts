/**
 * What the ledger's tests share: temporary databases removed after the file's tests (`tempDb`), a ledger on a
 * database (`ledgerOn`), the simulated book's start (`FROM`), the market's bars (`withMarket`), and a fingerprint of
 * every ledger row.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as SqlClient from "effect/sql/SqlClient"
import { TradingDay } from "@council/domain"
import { LocalBars } from "@council/market"
import { TradeLedger } from "@council/tracking"

const dirs: Array<string> = []
export const tempDb = (prefix = "council-ledger-") => {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  dirs.push(dir)
  return join(dir, "council.db")
}

/**
 * Removes what `tempDb` made so far. The project's setup file (`test/CleanUp.ts`) runs it after each test file: an
 * `afterAll` of this module's own would run after the first file only, as a worker keeps its modules from file to file.
 */
export const removeTempDirs = (): void => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }))

export const FROM = TradingDay.make("2024-01-02")

/** Every ledger row of every table, in a fixed order: equal fingerprints mean an unchanged ledger. */
export const fingerprint = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const tables = {
    ledger_books: "id",
    ledger_orders: "book, account, order_id",
    ledger_order_events: "book, account, order_id, status, filled_qty",
    ledger_fills: "book, account, fill_id",
    ledger_equity: "book, account, session",
    ledger_marks: "book, session, marked_at"
  }
  const out: Array<unknown> = []
  for (const [table, order] of Object.entries(tables)) {
    out.push(yield* sql.unsafe(`SELECT * FROM ${table} ORDER BY ${order}`))
  }
  return JSON.stringify(out)
})

export const withMarket = <A, E, R>(f: (market: Effect.Success<ReturnType<typeof LocalBars.load>>) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(LocalBars.load(), f)

/** The ledger on `db` (migrated by the layer), with `db` beside it. */
export const ledgerOn = (db: Layer.Layer<SqlClient.SqlClient, unknown>) => TradeLedger.layer.pipe(Layer.provideMerge(db), Layer.orDie)

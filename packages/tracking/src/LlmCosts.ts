/**
 * What each account's decisions cost in LLM calls, per session: the one place where the ledger meets the LLM
 * spend table (`llm_spend`, written by `@council/llm`'s `SpendLedger`, migration `0004_llm_spend`).
 *
 * **Attribution** (the README quotes this): a PM's account is charged its PM's calls (pitches, peer reviews);
 * every other account (COUNCIL, …) trades the council's decision, which needs every PM and the chairman, so it is
 * charged every call of the runs. Calls count for the trading day of their run (local runs only: an imported run
 * was paid for elsewhere).
 *
 * **Absent**: where the table does not exist (a store without the LLM council) or for a backtest's book (its runs'
 * spend is not attributed yet), the result is `None` and every cost column shows "—".
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"
import { PM_NAMES } from "@council/domain"
import { LIVE_BOOK } from "./TradeLedger.ts"

/** session → account → dollars. */
export type DailyCosts = ReadonlyMap<string, ReadonlyMap<string, number>>

const SpendRow = Schema.Struct({
  session: Schema.String,
  actor: Schema.String,
  cost: Schema.Union([Schema.Finite, Schema.NumberFromString])
})

const PMS: ReadonlySet<string> = new Set(PM_NAMES)

const tableExists = (sql: SqlClient.SqlClient, table: string): Effect.Effect<boolean, SqlError.SqlError> =>
  sql.onDialectOrElse({
    pg: () => sql<{ found: unknown }>`SELECT to_regclass(${table}) AS found`,
    orElse: () => sql<{ found: unknown }>`SELECT name AS found FROM sqlite_master WHERE type = 'table' AND name = ${table}`
  }).pipe(Effect.map((rows) => rows.some((r) => r.found !== null && r.found !== undefined)))

/** Each account's LLM cost per session of `book`, or `None` where no spend is recorded (see the module). */
export const dailyCosts = (book: string, accounts: ReadonlyArray<string>): Effect.Effect<Option.Option<DailyCosts>, SqlError.SqlError | Schema.SchemaError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    if (book !== LIVE_BOOK || !(yield* tableExists(sql, "llm_spend"))) return Option.none()
    const rows = yield* Schema.decodeUnknownEffect(Schema.Array(SpendRow))(
      yield* sql`SELECT r.trading_day AS session, s.actor AS actor, SUM(s.cost_usd) AS cost
        FROM llm_spend s JOIN runs r ON r.id = s.run_id
        WHERE r.origin = 'local'
        GROUP BY r.trading_day, s.actor`
    )
    const out = new Map<string, Map<string, number>>()
    for (const row of rows) {
      const day = out.get(row.session) ?? new Map<string, number>()
      for (const account of accounts) {
        if (PMS.has(account) && account !== row.actor) continue
        day.set(account, (day.get(account) ?? 0) + row.cost)
      }
      out.set(row.session, day)
    }
    return Option.some(out)
  })

const RunCostRow = Schema.Struct({
  stage: Schema.String,
  actor: Schema.String,
  model: Schema.String,
  calls: Schema.Union([Schema.Int, Schema.NumberFromString]),
  costUsd: Schema.Union([Schema.Finite, Schema.NumberFromString])
})
export type RunCost = typeof RunCostRow.Type

/** A run's LLM spend by stage, actor and model, or `None` where the store records no spend. */
export const runCosts = (runId: string): Effect.Effect<Option.Option<ReadonlyArray<RunCost>>, SqlError.SqlError | Schema.SchemaError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    if (!(yield* tableExists(sql, "llm_spend"))) return Option.none()
    const rows = yield* sql`SELECT stage, actor, model, CAST(COUNT(*) AS INTEGER) AS calls, SUM(cost_usd) AS "costUsd"
      FROM llm_spend WHERE run_id = ${runId} GROUP BY stage, actor, model ORDER BY stage, actor, model`
    return Option.some(yield* Schema.decodeUnknownEffect(Schema.Array(RunCostRow))(rows))
  })

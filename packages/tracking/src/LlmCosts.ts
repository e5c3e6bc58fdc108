/**
 * What LLM calls cost, read from the spend table `llm_spend` that `@council/llm`'s `SpendLedger` writes (one row
 * per model turn as it settles, migration `0004_llm_spend`: run id, stage, actor, purpose, model, cost, whether
 * the cost is the worst case because usage was unknown, time). The one place where the ledger meets LLM spend.
 *
 * **When to use**: `dailyCosts` for the leaderboard and the equity series (per account and session), `runCosts`
 * for a run's detail (per stage, per PM or the chairman, per model).
 *
 * **Attribution** (the README quotes this): the `actor` of a row is the PM (`CHATGPT` … `DEEPSEEK`) for its pitch
 * and review turns, `CHAIRMAN` for the council's synthesis. A PM's account is charged its PM's calls; every other
 * account (COUNCIL, …) trades the council's decision, which needs every PM and the chairman, so it is charged
 * every call. A call counts for the trading day of its run, local runs only (an imported run was paid for
 * elsewhere); calls outside a run (`verify`) count for no session.
 *
 * A backtest's book is charged the calls its runs made with `--pms live` (the rows carrying its book id, migration
 * `0021_llm_spend_book`), attributed the same way.
 *
 * **Absent**: offline PMs record no spend, so a book in which no run ever asked a model has no LLM cost (`None`:
 * every cost column shows "—"), and so does a backtest's book whose PMs were offline or replayed. A book that
 * recorded spend on some session has a cost on every session, 0 where none was spent, whatever the window: a
 * session's cost never reads "—" in one window and 0 in a wider one.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"
import { decimalSum, PM_NAMES, type TradingDay } from "@council/domain"
import { LIVE_BOOK } from "./TradeLedger.ts"

/** The mark of an LLM cost that is (partly) an estimate (`≈$0.0123`) and its note: `Figures`', for the CLI, the dashboard, the report. */
export { ESTIMATE_MARK, ESTIMATE_NOTE } from "@council/domain/Figures.js"

/** session → account → dollars. */
export type DailyCosts = ReadonlyMap<string, ReadonlyMap<string, number>>

/** A sum of dollars as the database returns it (PostgreSQL's `numeric` comes back as text). */
const Dollars = Schema.Union([Schema.Finite, Schema.NumberFromString])

const SpendRow = Schema.Struct({ session: Schema.String, actor: Schema.String, cost: Dollars })

const PMS: ReadonlySet<string> = new Set(PM_NAMES)

type Failure = SqlError.SqlError | Schema.SchemaError

/** Whether `book` recorded any LLM spend at all, on any session (see the module's **Absent**). */
const spentAny = (sql: SqlClient.SqlClient, book: string) =>
  Effect.map(
    book === LIVE_BOOK
      ? sql`SELECT 1 AS spent FROM llm_spend s JOIN runs r ON r.id = s.run_id WHERE r.origin = 'local' AND s.book IS NULL LIMIT 1`
      : sql`SELECT 1 AS spent FROM llm_spend WHERE book = ${book} LIMIT 1`,
    (rows) => rows.length > 0
  )

type Window = { readonly from?: TradingDay | undefined; readonly to?: TradingDay | undefined }

/** Spend rows per session and actor of `book` in `window`; `estimated`: only the calls charged their worst case. */
const spendRows = (sql: SqlClient.SqlClient, book: string, window: Window, estimated: boolean) => {
  const from = window.from ?? "0000-00-00"
  const to = window.to ?? "9999-99-99"
  const only = estimated ? sql` AND estimated` : sql``
  return Effect.flatMap(
    book === LIVE_BOOK
      ? sql`SELECT r.trading_day AS session, s.actor AS actor, SUM(s.cost_usd) AS cost
        FROM llm_spend s JOIN runs r ON r.id = s.run_id
        WHERE r.origin = 'local' AND s.book IS NULL
          AND r.trading_day >= ${from} AND r.trading_day <= ${to}${only}
        GROUP BY r.trading_day, s.actor`
      // a backtest's runs are in its own database: its rows carry the book and the session
      : sql`SELECT trading_day AS session, actor, SUM(cost_usd) AS cost FROM llm_spend
        WHERE book = ${book} AND trading_day >= ${from} AND trading_day <= ${to}${only}
        GROUP BY trading_day, actor`,
    Schema.decodeUnknownEffect(Schema.Array(SpendRow))
  )
}

/** `rows` charged to `accounts` (see the module's **Attribution**). */
const attributed = (rows: ReadonlyArray<typeof SpendRow.Type>, accounts: ReadonlyArray<string>): Map<string, Map<string, number>> => {
  const out = new Map<string, Map<string, number>>()
  for (const row of rows) {
    const day = out.get(row.session) ?? new Map<string, number>()
    for (const account of accounts) {
      if (PMS.has(account) && account !== row.actor) continue
      day.set(account, (day.get(account) ?? 0) + row.cost)
    }
    out.set(row.session, day)
  }
  return out
}

/**
 * Each account's LLM cost per session of `book` from `from` to `to` (inclusive, either open; a session without
 * spend is absent: 0), or `None` when the book recorded no spend on any session (see the module).
 */
export const dailyCosts = (
  book: string,
  accounts: ReadonlyArray<string>,
  window: Window = {}
): Effect.Effect<Option.Option<DailyCosts>, Failure, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* spendRows(sql, book, window, false)
    if (rows.length === 0) return (yield* spentAny(sql, book)) ? Option.some(new Map()) : Option.none()
    return Option.some(attributed(rows, accounts))
  })

/**
 * Of `dailyCosts`, what is an estimate: the worst cases charged for calls whose usage is unknown (timed out,
 * dropped, answered without usage), per session and account, attributed the same way (absent: none).
 */
export const estimatedDailyCosts = (
  book: string,
  accounts: ReadonlyArray<string>,
  window: Window = {}
): Effect.Effect<DailyCosts, Failure, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => Effect.map(spendRows(sql, book, window, true), (rows) => attributed(rows, accounts)))

export const RunCostLine = Schema.Struct({
  stage: Schema.String,
  /** The PM, or `CHAIRMAN`. */
  actor: Schema.String,
  /** `provider:model-id`. */
  model: Schema.String,
  /** Model turns (a corrective retry is a turn of its own). */
  calls: Schema.Int,
  /** Turns charged at their worst case because the provider reported no usage. */
  estimatedCalls: Schema.Int,
  costUsd: Schema.Finite,
  /** Of `costUsd`, the worst cases charged for those calls: shown `≈` (`ESTIMATE_MARK`) when above 0. */
  estimatedUsd: Schema.Finite
})
export type RunCostLine = typeof RunCostLine.Type

/** `estimatedUsd`: of `costUsd`, the worst cases charged for calls whose usage is unknown (an estimate). */
const CostSum = { calls: Schema.Int, costUsd: Schema.Finite, estimatedUsd: Schema.Finite }

/** A run's LLM spend: every stage × actor × model line, and the sums per stage, per actor and in all. */
export const RunCosts = Schema.Struct({
  totalUsd: Schema.Finite,
  calls: Schema.Int,
  /** Of `totalUsd`, the worst cases charged for calls whose usage is unknown: the total is shown `≈` when above 0. */
  estimatedUsd: Schema.Finite,
  /** In the order the stages first spent. */
  byStage: Schema.Array(Schema.Struct({ stage: Schema.String, ...CostSum })),
  /** The PMs in the council's order, then the chairman. */
  byActor: Schema.Array(Schema.Struct({ actor: Schema.String, ...CostSum })),
  lines: Schema.Array(RunCostLine)
})
export type RunCosts = typeof RunCosts.Type

const RunCostRow = Schema.Struct({
  stage: Schema.String,
  actor: Schema.String,
  model: Schema.String,
  calls: Schema.Int,
  estimatedCalls: Schema.Int,
  costUsd: Dollars,
  estimatedUsd: Dollars,
  firstAt: Schema.String
})

const actorRank = (actor: string) => {
  const i = (PM_NAMES as ReadonlyArray<string>).indexOf(actor)
  return i < 0 ? PM_NAMES.length : i
}

/** Sums `lines` by `key`, keeping the order in which keys first appear. */
const sumBy = <K extends "stage" | "actor">(lines: ReadonlyArray<RunCostLine>, key: K) => {
  const sums = new Map<string, { calls: number; costUsd: number; estimatedUsd: number }>()
  for (const line of lines) {
    const sum = sums.get(line[key]) ?? { calls: 0, costUsd: 0, estimatedUsd: 0 }
    sums.set(line[key], {
      calls: sum.calls + line.calls,
      costUsd: decimalSum([sum.costUsd, line.costUsd]),
      estimatedUsd: decimalSum([sum.estimatedUsd, line.estimatedUsd])
    })
  }
  return [...sums].map(([name, sum]) => ({ [key]: name, ...sum }) as { readonly [P in K]: string } & typeof sum)
}

/**
 * What run `runId` spent on LLM calls, or `None` when it recorded no spend (offline PMs, an imported run); `book`:
 * of that backtest's session of that id alone (a backtest's run ids repeat from one backtest to the next).
 */
export const runCosts = (runId: string, book?: string): Effect.Effect<Option.Option<RunCosts>, Failure, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* Schema.decodeUnknownEffect(Schema.Array(RunCostRow))(
      yield* sql`SELECT stage, actor, model, CAST(COUNT(*) AS INTEGER) AS calls,
          CAST(SUM(CASE WHEN estimated THEN 1 ELSE 0 END) AS INTEGER) AS "estimatedCalls",
          SUM(cost_usd) AS "costUsd", SUM(CASE WHEN estimated THEN cost_usd ELSE 0 END) AS "estimatedUsd", MIN(at) AS "firstAt"
        FROM llm_spend WHERE run_id = ${runId}${book === undefined ? sql`` : sql` AND book = ${book}`} GROUP BY stage, actor, model`
    )
    if (rows.length === 0) return Option.none()
    const stageStart = new Map<string, string>()
    for (const row of rows) {
      const seen = stageStart.get(row.stage)
      if (seen === undefined || row.firstAt < seen) stageStart.set(row.stage, row.firstAt)
    }
    const lines: Array<RunCostLine> = rows
      .map(({ firstAt: _, ...line }) => line)
      .sort((a, b) =>
        stageStart.get(a.stage)!.localeCompare(stageStart.get(b.stage)!) || a.stage.localeCompare(b.stage) ||
        actorRank(a.actor) - actorRank(b.actor) || a.actor.localeCompare(b.actor) || a.model.localeCompare(b.model)
      )
    const byActor = sumBy(lines, "actor").sort((a, b) => actorRank(a.actor) - actorRank(b.actor) || a.actor.localeCompare(b.actor))
    return Option.some({
      totalUsd: decimalSum(lines.map((l) => l.costUsd)),
      calls: lines.reduce((sum, l) => sum + l.calls, 0),
      estimatedUsd: decimalSum(lines.map((l) => l.estimatedUsd)),
      byStage: sumBy(lines, "stage"),
      byActor,
      lines
    })
  })

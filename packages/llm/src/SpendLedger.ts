/**
 * What LLM calls actually cost, one row per call, never cleared: the source of the monthly budget.
 *
 * **When to use**: `Budget` writes a row when it reserves a call (its worst case, marked estimated), revises it to
 * what the call cost when it settles, and sums rows for the run and the calendar month. A process that dies
 * while a call is under way leaves the worst case charged, marked estimated: the provider may have billed it (an
 * interrupted process settles its calls first, see `Budget`). `layerSql` needs a `SqlClient` migrated by `@council/store` (migration `0004_llm_spend`); `layerMemory` is for
 * tests and for runs that keep no store.
 *
 * **Why a ledger beside the recordings**: a stage attempt's recordings are cleared when it is retried or
 * resumed, and a fork copies its parent's; money spent is neither undone nor copied. Rows are keyed by run id
 * without a foreign key, so calls made outside a run (`verify`) and runs deleted later still count.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as SqlClient from "effect/sql/SqlClient"
import * as SqlError from "effect/sql/SqlError"
import { decimalNumber } from "@council/domain"
import { StoreError } from "@council/engine"

export const SpendEntry = Schema.Struct({
  runId: Schema.String,
  stage: Schema.String,
  actor: Schema.String,
  purpose: Schema.String,
  model: Schema.String,
  costUsd: Schema.Finite,
  /** The worst case was charged because usage was unknown. */
  estimated: Schema.Boolean,
  /** ISO-8601 time of the call. */
  at: Schema.String,
  /** The backtest's book the run belongs to; absent for the live book (and outside a run). */
  book: Schema.optionalKey(Schema.String),
  /** The session of the run; absent outside a run. */
  tradingDay: Schema.optionalKey(Schema.String)
})
export type SpendEntry = typeof SpendEntry.Type

/** What a run was charged: `totalUsd`, and of it `estimatedUsd`, the worst cases of calls whose usage was unknown. */
export interface RunSpend {
  readonly totalUsd: number
  readonly estimatedUsd: number
}

/** The PostgreSQL advisory lock key of the ledger's check-and-reserve (`exclusively`): "llm spend" in digits. */
const SPEND_LOCK = "1112130516"

/**
 * How long a check-and-reserve waits for another process's on PostgreSQL (a peer holds it for a few statements):
 * past it the call fails naming the lock, as a peer that holds it longer is hung.
 */
export const SpendLockWait = Context.Reference<Duration.Duration>("@council/llm/SpendLockWait", { defaultValue: () => Duration.seconds(30) })

/**
 * Takes the spend lock inside the caller's transaction, trying every 50 ms: the wait can be interrupted (Ctrl-C,
 * even under `Budget`'s uninterruptible step — nothing is written before the lock), and a blocking
 * `pg_advisory_xact_lock` could not be (its statement would hold the connection, and the rollback behind it, until
 * the peer let go). Fails once it has waited `SpendLockWait`.
 */
const takeSpendLock = (sql: SqlClient.SqlClient) =>
  Effect.gen(function*() {
    const wait = yield* SpendLockWait
    const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(wait)
    while (true) {
      const rows = yield* sql<{ readonly locked: unknown }>`SELECT pg_try_advisory_xact_lock(${sql.literal(SPEND_LOCK)}) AS locked`
      if (rows[0]?.locked === true) return
      if ((yield* Clock.currentTimeMillis) >= deadline) {
        return yield* new StoreError({
          operation: "llm_spend.exclusively",
          message: `another process has held the LLM spend ledger's lock (PostgreSQL advisory lock ${SPEND_LOCK}) for over ${
            Duration.format(wait)
          }: it is hung; end its session (pg_locks, pg_terminate_backend) or that process, then try again`
        })
      }
      yield* Effect.interruptible(Effect.sleep("50 millis"))
    }
  })

/**
 * The backtest whose runs are making calls (its book id), or `undefined` for the live book. A backtest's run ids
 * repeat from one backtest to the next, so the ledger keeps each row's book: per-run sums are per book and run.
 */
export const SpendBook = Context.Reference<string | undefined>("@council/llm/SpendBook", { defaultValue: () => undefined })

export class SpendLedger extends Context.Service<SpendLedger, {
  /** Appends `entry`; returns its row's id (for `revise`). */
  readonly record: (entry: SpendEntry) => Effect.Effect<number, StoreError>
  /** Sets what the call of row `id` cost, once it is known. */
  readonly revise: (id: number, cost: { readonly costUsd: number; readonly estimated: boolean }) => Effect.Effect<void, StoreError>
  /** Sum of run `runId`'s calls (of backtest `book`'s run, when given). */
  readonly runTotal: (runId: string, book?: string) => Effect.Effect<number, StoreError>
  /**
   * What each of the live book's `runIds` (backtest `book`'s, when given) was charged in all and, of it, the worst
   * cases of calls whose usage was unknown (`estimated`), in one query; a run with no row is absent.
   */
  readonly runCharges: (runIds: ReadonlyArray<string>, book?: string) => Effect.Effect<ReadonlyMap<string, RunSpend>, StoreError>
  /** Sum of calls with `from <= at < to` (ISO-8601 text). */
  readonly totalBetween: (from: string, to: string) => Effect.Effect<number, StoreError>
  /**
   * Runs `effect` (sums read, then a row written) as one step no other process's `exclusively` interleaves with:
   * the budget's check and its reservation. On SQLite one `BEGIN IMMEDIATE` transaction (the write lock first: a
   * second process waits, then reads the first one's row); on PostgreSQL a transaction holding an advisory lock,
   * waited for interruptibly and at most `SpendLockWait`.
   * In memory it runs `effect` as it is (one process: the budget's own lock serializes it).
   */
  readonly exclusively: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E | StoreError, R>
}>()("@council/llm/SpendLedger") {
  /** In memory; `entries` are visible to tests through `makeMemory`. */
  static readonly layerMemory: Layer.Layer<SpendLedger> = Layer.sync(SpendLedger, () => makeMemory([]))

  /** The `llm_spend` table of the store's database. */
  static readonly layerSql: Layer.Layer<SpendLedger, never, SqlClient.SqlClient> = Layer.effect(
    SpendLedger,
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const fail = (operation: string) => (error: SqlError.SqlError) =>
        new StoreError({ operation, message: error.message })
      const sum = (rows: ReadonlyArray<{ readonly total?: unknown }>) => Number(rows[0]?.total ?? 0) || 0
      return SpendLedger.of({
        record: (entry) =>
          sql`INSERT INTO llm_spend ${
            sql.insert({
              run_id: entry.runId,
              stage: entry.stage,
              actor: entry.actor,
              purpose: entry.purpose,
              model: entry.model,
              cost_usd: entry.costUsd,
              estimated: entry.estimated,
              at: entry.at,
              book: entry.book ?? null,
              trading_day: entry.tradingDay ?? null
            })
          } RETURNING id`.pipe(
            Effect.map((rows) => Number((rows[0] as { readonly id?: unknown } | undefined)?.id)),
            Effect.mapError(fail("llm_spend.record"))
          ),
        revise: (id, cost) =>
          sql`UPDATE llm_spend SET cost_usd = ${cost.costUsd}, estimated = ${cost.estimated} WHERE id = ${id}`.pipe(
            Effect.asVoid,
            Effect.mapError(fail("llm_spend.revise"))
          ),
        runTotal: (runId, book) =>
          (book === undefined
            ? sql<{ total: unknown }>`SELECT SUM(cost_usd) AS total FROM llm_spend WHERE run_id = ${runId} AND book IS NULL`
            : sql<{ total: unknown }>`SELECT SUM(cost_usd) AS total FROM llm_spend WHERE run_id = ${runId} AND book = ${book}`).pipe(
            Effect.map(sum),
            Effect.mapError(fail("llm_spend.runTotal"))
          ),
        runCharges: (runIds, book) =>
          runIds.length === 0 ? Effect.succeed(new Map()) : sql<{ runId: string; totalUsd: unknown; estimatedUsd: unknown }>`SELECT run_id AS "runId",
              SUM(cost_usd) AS "totalUsd", SUM(CASE WHEN estimated THEN cost_usd ELSE 0 END) AS "estimatedUsd"
            FROM llm_spend WHERE run_id IN ${sql.in(runIds)} AND ${book === undefined ? sql`book IS NULL` : sql`book = ${book}`} GROUP BY run_id`.pipe(
            // PostgreSQL's numeric sums come back as text; a sum's binary noise is not kept (`decimalNumber`)
            Effect.map((rows) =>
              new Map(rows.map((r) => [r.runId, { totalUsd: decimalNumber(sum([{ total: r.totalUsd }])), estimatedUsd: decimalNumber(sum([{ total: r.estimatedUsd }])) }]))
            ),
            Effect.mapError(fail("llm_spend.runCharges"))
          ),
        totalBetween: (from, to) =>
          sql<{ total: unknown }>`SELECT SUM(cost_usd) AS total FROM llm_spend WHERE at >= ${from} AND at < ${to}`.pipe(
            Effect.map(sum),
            Effect.mapError(fail("llm_spend.totalBetween"))
          ),
        exclusively: (effect) =>
          sql.withTransaction(sql.onDialectOrElse({
            pg: () => Effect.andThen(takeSpendLock(sql), effect),
            orElse: () => effect
          })).pipe(Effect.mapError((error) => SqlError.isSqlError(error) ? fail("llm_spend.exclusively")(error) : error))
      })
    })
  )
}

/** An in-memory ledger over `entries` (which it appends to; a row's id is its position + 1). */
export const makeMemory = (entries: Array<SpendEntry>): SpendLedger["Service"] =>
  SpendLedger.of({
    record: (entry) => Effect.sync(() => entries.push(entry)),
    revise: (id, cost) =>
      Effect.sync(() => {
        const entry = entries[id - 1]
        if (entry !== undefined) entries[id - 1] = { ...entry, ...cost }
      }),
    runTotal: (runId, book) =>
      Effect.sync(() => entries.filter((e) => e.runId === runId && e.book === book).reduce((a, e) => a + e.costUsd, 0)),
    runCharges: (runIds, book) =>
      Effect.sync(() => {
        const charged = new Map<string, RunSpend>()
        for (const e of entries) {
          if (e.book !== book || !runIds.includes(e.runId)) continue
          const sum = charged.get(e.runId) ?? { totalUsd: 0, estimatedUsd: 0 }
          charged.set(e.runId, { totalUsd: sum.totalUsd + e.costUsd, estimatedUsd: sum.estimatedUsd + (e.estimated ? e.costUsd : 0) })
        }
        return charged
      }),
    totalBetween: (from, to) =>
      Effect.sync(() => entries.filter((e) => e.at >= from && e.at < to).reduce((a, e) => a + e.costUsd, 0)),
    exclusively: (effect) => effect
  })

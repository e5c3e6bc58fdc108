/**
 * The answers the monitor computes from a whole book — its equity report, chart, leaderboard and report data — named
 * by a plain `BookQuery`, so that they can be computed in another thread (an `OffThread`) as well as in the server's.
 *
 * **Why**: on a cold full-range book these take seconds of synchronous work in steps of up to ~1 s each (the ledger's
 * ~29,000 snapshot rows, its ~18,000 fills, 2,000 bootstrap replicates per interval, the baselines). In the
 * server's thread every other request waits behind each step; in a worker thread they do not.
 *
 * **Rules**: `answer(query)` is the one definition of what a query answers, wherever it runs. A query and its answer
 * are plain data (structured-clone safe). An `OffThread` is optional (`CompletedBooks.make`): without one, or when it
 * cannot answer, the server computes in its own thread, as before.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as SqlClient from "effect/sql/SqlClient"
import type { TradingDay } from "@council/domain"
import type { MarketData } from "@council/market"
import { BacktestReport, type BookId, type LedgerError, Standings, type TradeLedger } from "@council/tracking"

interface Window {
  readonly book: BookId
  readonly from?: TradingDay | undefined
  readonly to?: TradingDay | undefined
}

/** What is asked of a book (one window of it); `riskFree`: the yearly rate of Sharpe and Sortino. */
export type BookQuery =
  | Window & { readonly kind: "equity" }
  | Window & { readonly kind: "equity chart" }
  | Window & { readonly kind: "leaderboard"; readonly riskFree: number }
  | { readonly kind: "report"; readonly book: BookId; readonly riskFree: number }

export interface Answers {
  readonly equity: Standings.EquityReport
  readonly "equity chart": Standings.EquityChart
  readonly leaderboard: Standings.LeaderboardReport
  readonly report: BacktestReport.ReportData
}

export type Requirements = TradeLedger | MarketData | SqlClient.SqlClient

const windowOf = (q: Window): Standings.Query => ({ book: q.book, from: q.from, to: q.to })

/**
 * What `query` answers, computed here; the window's equity report (which the chart and the leaderboard start from)
 * from `equityOf` (`Standings.equityReport`, or a memo of it).
 */
export const answer = <Q extends BookQuery, R>(
  query: Q,
  equityOf: (window: Standings.Query) => Effect.Effect<Standings.EquityReport, LedgerError, R>
): Effect.Effect<Answers[Q["kind"]], LedgerError, Requirements | R> => {
  const computed: Effect.Effect<Answers[BookQuery["kind"]], LedgerError, Requirements | R> = query.kind === "equity"
    ? equityOf(windowOf(query))
    : query.kind === "equity chart"
    ? Effect.map(equityOf(windowOf(query)), Standings.chartOf)
    : query.kind === "leaderboard"
    ? Effect.flatMap(equityOf(windowOf(query)), (report) => Standings.leaderboardOf({ ...windowOf(query), riskFree: query.riskFree }, report))
    : BacktestReport.reportData(query.book, { riskFree: query.riskFree })
  return computed as Effect.Effect<Answers[Q["kind"]], LedgerError, Requirements | R>
}

/**
 * Computes a query's `answer` in another thread over the same services: `None` when it could not (the caller then
 * computes it in its own thread).
 */
export type OffThread = (query: BookQuery) => Effect.Effect<Option.Option<unknown>>

/**
 * The shapes the standings are reported in: an account's daily series beside SPY's (`EquityReport`, and
 * `EquityChart` for a chart), the leaderboard with its contest (`LeaderboardReport`), and the window asked (`Query`).
 * Re-exported by `Standings`, which computes them; the CLI, the API and the dashboard decode and format them.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type * as SqlClient from "effect/sql/SqlClient"
import { type AccountId, TradingDay } from "@council/domain"
import type { MarketData } from "@council/market"
import { ContestReport } from "./Contest.ts"
import * as Leaderboard from "./Leaderboard.ts"
import { BookId, type TradeLedger } from "./TradeLedger.ts"
import { UnrecordedSessions } from "./UnrecordedSessions.ts"

export const BENCHMARK = "SPY"

export const SeriesPoint = Schema.Struct({
  date: TradingDay,
  equity: Schema.Finite,
  cash: Schema.Finite,
  longMarketValue: Schema.Finite,
  shortMarketValue: Schema.Finite,
  /** Long plus |short| market value. */
  grossExposure: Schema.Finite,
  /** Dollars bought plus sold during the session. */
  traded: Schema.Finite,
  /** `null` where no LLM spend is recorded ("—"). */
  llmCost: Schema.NullOr(Schema.Finite),
  /** `llmCost` includes the worst case charged for a call whose usage is unknown: shown `≈` (`LlmCosts.ESTIMATE_MARK`). */
  llmCostEstimated: Schema.Boolean,
  /** 1 − equity / its running maximum, a fraction ≥ 0. */
  drawdown: Schema.Finite,
  /** The moment the snapshot is marked at; `null` when none was recorded. */
  markedAt: Schema.NullOr(Schema.String),
  /** SPY's price at that moment from the same broker read; `null` when no moment (or no SPY price) was recorded. */
  spyMark: Schema.NullOr(Schema.Finite)
})
export type SeriesPoint = typeof SeriesPoint.Type

export const BenchmarkPoint = Schema.Struct({
  date: TradingDay,
  /**
   * SPY's close of the session (the market data's); `null` when the data has no bar of it yet (a live book's latest
   * session between its run and the day's complete bar: a remote feed completes a day at 20:00 New York).
   */
  close: Schema.NullOr(Schema.Finite),
  /** The moment the session's accounts are marked at (COUNCIL's snapshot's, else another's); `null`: none recorded. */
  markedAt: Schema.NullOr(Schema.String),
  /** SPY's price at `markedAt`, the benchmark's value of the session; its close where no moment was recorded. */
  mark: Schema.Finite
})
export type BenchmarkPoint = typeof BenchmarkPoint.Type

/** The window a report was asked for: its first and last day, `null` where it is open (the book's first or latest session). */
export const AskedWindow = Schema.Struct({ from: Schema.NullOr(TradingDay), to: Schema.NullOr(TradingDay) })
export type AskedWindow = typeof AskedWindow.Type

export const EquityReport = Schema.Struct({
  book: BookId,
  /** The window asked (`?from=`/`?to=`, `--from`/`--to`), whether or not the book has sessions in it. */
  window: AskedWindow,
  /** The first session of the report; `null` when the window holds none (then `accounts` is empty). */
  from: Schema.NullOr(TradingDay),
  /** The last session of the report; `null` when the window holds none. */
  to: Schema.NullOr(TradingDay),
  llmCostRecorded: Schema.Boolean,
  accounts: Schema.Array(Schema.Struct({ account: Schema.String, points: Schema.Array(SeriesPoint) })),
  /** SPY on the sessions of the report (its close and its mark); `null` when the market data has no SPY. */
  benchmark: Schema.NullOr(Schema.Struct({ name: Schema.String, points: Schema.Array(BenchmarkPoint) }))
})
export type EquityReport = typeof EquityReport.Type

/**
 * An `EquityReport` as a chart draws it, column by column: the sessions once, then each account's equity and SPY's
 * close on each of them. Over twenty years that is ~14 times smaller than the report's ten fields a point: what a
 * chart needs is the day and the equity (its drawdown follows: 1 − equity / its running maximum).
 */
export const EquityChart = Schema.Struct({
  book: BookId,
  /** The window asked, as `EquityReport`'s. */
  window: AskedWindow,
  /** The first and last of `dates`; `null` when the window holds no session. */
  from: Schema.NullOr(TradingDay),
  to: Schema.NullOr(TradingDay),
  /** The report's sessions, ascending: the x of every column below. */
  dates: Schema.Array(TradingDay),
  /** Each account's equity of each of `dates` (its snapshot's, at the session's moment); `null` where it has no snapshot. */
  accounts: Schema.Array(Schema.Struct({ account: Schema.String, equity: Schema.Array(Schema.NullOr(Schema.Finite)) })),
  /** SPY's mark on each of `dates` (its close where no moment was recorded; `null` where it has none); `null` when the market data has no SPY. */
  benchmark: Schema.NullOr(Schema.Struct({ name: Schema.String, closes: Schema.Array(Schema.NullOr(Schema.Finite)) }))
})
export type EquityChart = typeof EquityChart.Type

export const LeaderboardReport = Schema.Struct({
  book: BookId,
  llmCostRecorded: Schema.Boolean,
  /**
   * The accounts whose LLM cost on the leaderboard (and so their net P&L) includes the worst case charged for a call
   * whose usage is unknown (timed out, dropped, answered without usage): shown `≈` (`LlmCosts.ESTIMATE_MARK`).
   */
  llmCostEstimated: Schema.Array(Schema.String),
  /** `null` when there is nothing to rank (no snapshot, fewer than two common sessions, no benchmark). */
  leaderboard: Schema.NullOr(Leaderboard.Leaderboard),
  verdict: Schema.String,
  /** The paper baselines and the council's attribution (`Contest`); `null` when there is no leaderboard. */
  contest: Schema.NullOr(ContestReport),
  /** The sessions of the ranking's span without a snapshot (`UnrecordedSessions`); `null` when there are none. */
  unrecordedSessions: Schema.NullOr(UnrecordedSessions),
  /**
   * What the figures are net of, in one sentence (`Contest.costsLine`): after trading costs (a backtest's recorded
   * fill model, named), before LLM costs (which only net P&L subtracts).
   */
  costs: Schema.String
})
export type LeaderboardReport = typeof LeaderboardReport.Type

export interface Query {
  readonly book: BookId
  readonly account?: AccountId | undefined
  readonly from?: TradingDay | undefined
  readonly to?: TradingDay | undefined
}

/** What computing a report needs. */
export type Requirements = TradeLedger | MarketData | SqlClient.SqlClient

/**
 * The ledger read as a contest: each account's daily equity series beside SPY buy-and-hold (`equityReport`) and
 * the leaderboard with its intervals and verdict (`leaderboardReport`), for one book and window.
 *
 * **When to use**: the CLI's `leaderboard` and `equity`, and the monitor API, call these and only format the
 * result. They need the `TradeLedger`, the `SqlClient` under it (for the LLM spend) and `MarketData` (SPY).
 *
 * **Details**
 * - SPY's closes come from the market data for the sessions the ledger holds; SPY buy-and-hold is the benchmark
 *   of every excess return. Its value, and every symbol's for the baselines, is one share's bought on the first
 *   session with the feed's splits and cash dividends applied as the exchange applies them to the accounts
 *   (`CorporateAction.holdings`: dividends kept as cash), so accounts and benchmark earn by one convention. The
 *   bundled bars are dividend-adjusted and report no actions: their closes are used as they are.
 * - Closed trades (win rate over trades) are derived from the book's fills (`Trades`), LLM costs from `LlmCosts`.
 * - A window with no snapshot, or too few common sessions, gives no leaderboard and a verdict saying why; fewer
 *   than 20 daily returns (21 sessions) gives an unranked one whose verdict says "too few daily returns".
 *
 * **Pieces** (each imports none of the ones above it): this module (the leaderboard and its contest) →
 * `EquitySeries` (the daily series) → `MarketCloses` (SPY's and the universe's closes as one share held) and
 * `RecordedMarks` (the ledger's marks and each session's moment) → `StandingsModel` (the report shapes) →
 * `UnrecordedSessions` (the span's missing sessions). This module re-exports what the others export to callers.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type { TradingDay } from "@council/domain"
import { closeTimestamp } from "@council/exchange/Calendar"
import { defaultFillModel, type FillModelOptions } from "@council/exchange/FillModel"
import { MarketData } from "@council/market"
import { contestWithSeries, costsLine, type MechanicalVoteDay, randomSeed, recordedFillModel } from "./Contest.ts"
import { equityReport } from "./EquitySeries.ts"
import * as Leaderboard from "./Leaderboard.ts"
import * as LlmCosts from "./LlmCosts.ts"
import { closesOn } from "./MarketCloses.ts"
import type { EquityPoint } from "./Metrics.ts"
import { marksOf, marksOver, pricesBeforeClose, sessionMoments } from "./RecordedMarks.ts"
import { BENCHMARK, type EquityReport, type LeaderboardReport, type Query, type Requirements, type SeriesPoint } from "./StandingsModel.ts"
import { closedTrades } from "./Trades.ts"
import { BookId, type BookSummary, failWith, type LedgerError, liveBook, TradeLedger } from "./TradeLedger.ts"
import { unrecordedOf } from "./UnrecordedSessions.ts"

export { chartOf, equityReport } from "./EquitySeries.ts"
export { sessionMoments } from "./RecordedMarks.ts"
export * from "./StandingsModel.ts"
export { UnrecordedSessions } from "./UnrecordedSessions.ts"

/**
 * Where the mechanical votes of a book's sessions come from (the runs' council synthesis). Optional: without it,
 * or when it answers `undefined`, the mechanical-vote baseline shows "—".
 */
export class MechanicalVotes extends Context.Service<MechanicalVotes, {
  readonly between: (book: BookId, from: TradingDay, to: TradingDay) => Effect.Effect<ReadonlyArray<MechanicalVoteDay> | undefined>
}>()("@council/tracking/MechanicalVotes") {}

/** `--backtest X` / `?backtest=X` names no book (or `latest` when there is no backtest yet). */
export class BookNotFound extends Schema.TaggedError<BookNotFound>()("BookNotFound", { message: Schema.String }) {}

/**
 * The book a `backtest` option names: the live book when absent or `live` (as the report page's id), the newest
 * backtest for `latest`. The CLI's `--backtest` and the API's `?backtest=` both resolve through here.
 */
export const bookFor = (backtest: string | undefined): Effect.Effect<BookId, BookNotFound | LedgerError, TradeLedger> =>
  Effect.gen(function*() {
    if (backtest === undefined || backtest === liveBook) return liveBook
    const ledger = yield* TradeLedger
    // from the books' rows alone: `books` and `book` count every book's sessions (~120 ms over a full-range one)
    if (backtest === "latest") {
      const latest = yield* ledger.latestBacktest
      if (Option.isNone(latest)) return yield* new BookNotFound({ message: "there is no backtest yet (start one with: pnpm pipeline backtest)" })
      return latest.value
    }
    const id = Schema.decodeUnknownOption(BookId)(backtest)
    const found = Option.isSome(id) && id.value !== liveBook ? yield* ledger.bookState(id.value) : Option.none()
    if (Option.isNone(found) || Option.isNone(id)) {
      return yield* new BookNotFound({ message: `no backtest "${backtest.slice(0, 64)}" (list them with: pnpm pipeline backtests)` })
    }
    return id.value
  })

const toEquityPoint = (p: SeriesPoint): EquityPoint => ({
  date: p.date,
  equity: p.equity,
  grossExposure: p.grossExposure,
  traded: p.traded,
  ...(p.llmCost === null ? {} : { llmCost: p.llmCost })
})

/** The first and last sessions of a backtest's range (`undefined`: the live book, or the market data has none there). */
const sessionSpan = (book: { readonly kind: string; readonly from: TradingDay | null; readonly to: TradingDay | null }) =>
  book.kind !== "backtest" || book.from === null || book.to === null || book.from > book.to
    ? Effect.succeed(undefined)
    : MarketData.use((m) => m.sessions(book.from!, book.to!)).pipe(
      Effect.map((sessions) => sessions.length === 0 ? undefined : { first: sessions[0]!, last: sessions.at(-1)! }),
      Effect.orElseSucceed(() => undefined)
    )

/** `book`'s definition (kind, range, parameters); a book the ledger does not hold reads as a bare one of its kind. */
const definitionOf = (book: BookId) =>
  Effect.gen(function*() {
    const definition = yield* (yield* TradeLedger).book(book)
    return Option.getOrElse(definition, () => ({ id: book, kind: book === liveBook ? "live" as const : "backtest" as const, from: null, to: null, params: null }))
  })

const contestOf = (
  query: Omit<Query, "account"> & { readonly riskFree?: number | undefined; readonly fillModel?: FillModelOptions | undefined },
  accounts: ReadonlyArray<Leaderboard.AccountSeries>,
  benchmark: Leaderboard.Benchmark,
  board: Leaderboard.Leaderboard,
  report: EquityReport
) =>
  Effect.gen(function*() {
    const council = board.rows.find((r) => r.account === "COUNCIL")
    const sessions = [...new Set(accounts.flatMap((a) => a.series.map((p) => p.date)))].sort()
    const votes = yield* Effect.serviceOption(MechanicalVotes).pipe(Effect.flatMap(Option.match({
      onNone: () => Effect.succeed(undefined),
      onSome: (source) => source.between(query.book, board.from, board.to)
    })))
    const book = yield* definitionOf(query.book)
    const seed = randomSeed(book, yield* sessionSpan(book))
    // the report's sessions are these: the marks it read are the ones of this window
    const marks = marksOf(report) ?? (yield* marksOver(query.book, sessions))
    const moments = sessionMoments(report.accounts.flatMap((a) => a.points.map((p) => ({ account: a.account, session: p.date, markedAt: p.markedAt }))))
    const sessionCloses = yield* closesOn(sessions, pricesBeforeClose(moments, marks))
    // the contest's baselines and attribution take a while over a long book: let other requests in first
    yield* Effect.yieldNow
    const contest = contestWithSeries({
      seed,
      accounts,
      benchmark,
      turnover: council?.metrics.turnover ?? null,
      exposure: council?.metrics.averageExposure ?? null,
      sessions: sessionCloses,
      votes,
      fillModel: query.fillModel ?? recordedFillModel(book) ?? defaultFillModel,
      riskFree: query.riskFree
    })
    // a session with prices of its moment before the close is valued at that moment (`PaperSession.marks`), else at its close
    const valuedAt = new Map(sessionCloses.map((s) => [s.date, s.marks === undefined ? closeTimestamp(s.date) : moments.get(s.date)!]))
    return { ...contest, valuedAt }
  })

type LeaderboardQuery = Omit<Query, "account"> & { readonly riskFree?: number; readonly fillModel?: FillModelOptions }

/**
 * The accounts of `board` whose LLM cost includes an estimate (`LeaderboardReport.llmCostEstimated`): over its
 * sessions but the last, as the metrics sum the cost.
 */
const estimatedOf = (book: BookId, board: Leaderboard.Leaderboard, llmCostRecorded: boolean) =>
  Effect.gen(function*() {
    if (!llmCostRecorded) return []
    const accounts = board.rows.map((r) => r.account)
    const costs = yield* LlmCosts.estimatedDailyCosts(book, accounts, { from: board.from, to: board.to }).pipe(Effect.mapError(failWith("llm costs")))
    const marked = new Set<string>()
    for (const [session, byAccount] of costs) {
      if (session >= board.to) continue
      for (const [account, usd] of byAccount) if (usd > 0) marked.add(account)
    }
    return accounts.filter((a) => marked.has(a))
  })

/** A window asked, in words for a sentence: ` from 2030-01-02 to 2030-01-31`, ` from 2030-01-02 on`, ` up to …`; "" when open. */
export const windowPhrase = (window: { readonly from?: string | null | undefined; readonly to?: string | null | undefined }): string =>
  window.from != null && window.to != null
    ? ` from ${window.from} to ${window.to}`
    : window.from != null
    ? ` from ${window.from} on`
    : window.to != null
    ? ` up to ${window.to}`
    : ""

/** What `noEquityYet` reads of the book, when the ledger holds it: whether its backtest is over, and what it recorded. */
export type RecordedSpan = Pick<BookSummary, "status" | "firstSession" | "lastSession">

/**
 * What a book with no equity (in the window asked, for `account` when named) says, with what records some: a live
 * book's sessions by each daily run (its Reconcile stage) or `reconcile` alone, a backtest's by the backtest as it
 * runs — or, for a backtest that completed (`recorded`), that it is over and which sessions it holds, so a window
 * outside them (a weekend, past its range) does not read as one still to come. The CLI's `equity` and
 * `leaderboard`, the API's verdict and the dashboard all say this one sentence.
 */
export const noEquityYet = (book: string, window: Parameters<typeof windowPhrase>[0], account?: string, recorded?: RecordedSpan): string => {
  const what = `no equity recorded in book ${book}${account === undefined ? "" : ` for ${account}`}${windowPhrase(window)}`
  if (book === liveBook) return `${what} yet — record a session's with: pnpm pipeline run daily (or pnpm pipeline reconcile)`
  if (recorded?.status === "completed") {
    return recorded.firstSession === null || recorded.lastSession === null
      ? `${what} — its backtest is complete and recorded no session`
      : `${what} — its backtest is complete: its sessions span ${recorded.firstSession} … ${recorded.lastSession}, and the window holds none of them`
  }
  return `${what} yet — its backtest records each session's as it runs: pnpm pipeline backtests shows where it stands (and how to --resume one that stopped)`
}

/** `noEquityYet` for `book` as the ledger holds it (a book it does not hold reads as one not recorded yet). */
export const noEquityOf = (book: BookId, window: Parameters<typeof windowPhrase>[0], account?: string): Effect.Effect<string, LedgerError, TradeLedger> =>
  Effect.map(TradeLedger.use((l) => l.book(book)), (summary) => noEquityYet(book, window, account, Option.getOrUndefined(summary)))

/** The leaderboard of the window, with its baselines and attribution (see the module's details). */
export const leaderboardReport = (query: LeaderboardQuery): Effect.Effect<LeaderboardReport, LedgerError, Requirements> =>
  Effect.flatMap(equityReport(query), (report) => leaderboardOf(query, report))

/** `leaderboardReport` from the window's `equityReport` already read (a report page needs both). */
export const leaderboardOf = (query: LeaderboardQuery, report: EquityReport): Effect.Effect<LeaderboardReport, LedgerError, Requirements> =>
  Effect.map(leaderboardWithBaselines(query, report), (r) => r.leaderboard)

/** A leaderboard with the daily series of the paper baselines its contest ranked (`Contest.contestWithSeries`). */
export interface WithBaselines {
  readonly leaderboard: LeaderboardReport
  /** `RANDOM`, then `MECHANICAL` when votes were read; empty when the report has no contest. */
  readonly baselines: ReadonlyArray<Leaderboard.AccountSeries>
  /**
   * The moment the baselines' equity of each session is valued at: the accounts' moment of the session where it
   * comes before the close and its prices were recorded (as the accounts are marked then), else the session's close.
   */
  readonly valuedAt: ReadonlyMap<TradingDay, string>
}

/**
 * `leaderboardOf` with its baselines' series: the very series its `contest.baselines` ranks (one computation), which
 * `equity --baselines` and the backtest report's JSON export.
 */
export const leaderboardWithBaselines = (query: LeaderboardQuery, report: EquityReport): Effect.Effect<WithBaselines, LedgerError, Requirements> =>
  Effect.gen(function*() {
    yield* Effect.yieldNow
    const costs = costsLine(yield* definitionOf(query.book))
    const base = { book: query.book, llmCostRecorded: report.llmCostRecorded, llmCostEstimated: [], contest: null, unrecordedSessions: null, costs }
    const without = (verdict: string): WithBaselines => ({ leaderboard: { ...base, leaderboard: null, verdict }, baselines: [], valuedAt: new Map() })
    if (report.accounts.length === 0) return without(yield* noEquityOf(query.book, query))
    if (report.benchmark === null) return without(`the market data has no ${BENCHMARK} to benchmark against`)
    // every fill up to the window's end: a trade the window closes may have opened before it (its entry price and
    // its side come from those earlier fills); the leaderboard counts the trades closed in the window
    const fills = yield* (yield* TradeLedger).fills({ book: query.book, to: query.to })
    yield* Effect.yieldNow
    const trades = closedTrades(fills)
    const accounts = report.accounts.map(({ account, points }) => ({ account, series: points.map(toEquityPoint), trades: trades.get(account) ?? [] }))
    const benchmark = { name: BENCHMARK, closes: report.benchmark.points.map((p) => ({ date: p.date, close: p.mark })) }
    const result = Leaderboard.leaderboard({ accounts, benchmark, ...(query.riskFree === undefined ? {} : { riskFree: query.riskFree }) })
    if (Result.isFailure(result)) return without(result.failure.message)
    const board = result.success
    yield* Effect.yieldNow
    const llmCostEstimated = yield* estimatedOf(query.book, board, report.llmCostRecorded)
    const contest = yield* contestOf(query, accounts, benchmark, board, report)
    const leaderboard = { ...base, llmCostEstimated, leaderboard: board, verdict: board.verdict, contest: contest.report, unrecordedSessions: yield* unrecordedOf(board, { accounts, benchmark }) }
    return { leaderboard, baselines: contest.series, valuedAt: contest.valuedAt }
  }).pipe(Effect.withSpan("Standings.leaderboardReport", { attributes: { book: query.book } }))

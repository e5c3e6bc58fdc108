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
 *   than 20 sessions gives an unranked one whose verdict says "too few sessions".
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import type * as SqlClient from "effect/sql/SqlClient"
import { type AccountId, decimalNumber, decimalSum, Ticker, TradingDay } from "@council/domain"
import { closeTimestamp } from "@council/exchange/Calendar"
import { defaultFillModel, type FillModelOptions } from "@council/exchange/FillModel"
import { CorporateAction, MarketData } from "@council/market"
import type { PaperSession } from "./Baselines.ts"
import { ContestReport, contestWithSeries, type MechanicalVoteDay, randomSeed, recordedFillModel } from "./Contest.ts"
import * as Leaderboard from "./Leaderboard.ts"
import * as LlmCosts from "./LlmCosts.ts"
import type { EquityPoint } from "./Metrics.ts"
import { closedTrades } from "./Trades.ts"
import { BookId, failWith, type LedgerError, liveBook, type SeriesRow, TradeLedger } from "./TradeLedger.ts"

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

/**
 * The sessions of a leaderboard's span (`from` … `to`) it leaves out: no run those days (the machine was off, the
 * runs were refused), a run that could not read some accounts (the note names the day and the accounts), or no
 * benchmark close; each return across them spans several sessions, which the annualized figures count as one.
 * `note` says so in a sentence (the CLI prints it below the table, the dashboard below its leaderboard).
 */
export const UnrecordedSessions = Schema.Struct({
  missing: Schema.Finite,
  sessions: Schema.Finite,
  from: Schema.String,
  to: Schema.String,
  note: Schema.String
})
export type UnrecordedSessions = typeof UnrecordedSessions.Type

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
  unrecordedSessions: Schema.NullOr(UnrecordedSessions)
})
export type LeaderboardReport = typeof LeaderboardReport.Type

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

export interface Query {
  readonly book: BookId
  readonly account?: AccountId | undefined
  readonly from?: TradingDay | undefined
  readonly to?: TradingDay | undefined
}

type Requirements = TradeLedger | MarketData | SqlClient.SqlClient

/** The prices recorded at each (session, moment). */
type MarksAt = ReadonlyMap<string, Readonly<Record<string, number>>>
const marksKey = (session: string, markedAt: string) => `${session} ${markedAt}`

/**
 * The marks an `equityReport` read, kept with the report it made: a leaderboard computed from that report (its
 * baselines need every symbol's marks, which the report keeps of SPY alone) takes them instead of reading the
 * ledger's marks again. A report that did not come from `equityReport` in this thread (decoded, built) has none.
 */
const marksRead = new WeakMap<EquityReport, MarksAt>()

/** The book's recorded marks over `sessions` (sorted), by session and moment. */
const marksOver = (book: BookId, sessions: ReadonlyArray<TradingDay>) =>
  Effect.gen(function*() {
    const recorded = yield* (yield* TradeLedger).marks({ book, from: sessions[0], to: sessions.at(-1) })
    return new Map(recorded.map((m) => [marksKey(m.session, m.markedAt), m.prices])) as MarksAt
  })

const pointsOf = (
  rows: ReadonlyArray<SeriesRow>,
  costs: Option.Option<LlmCosts.DailyCosts>,
  estimated: LlmCosts.DailyCosts,
  marks: MarksAt
): Array<SeriesPoint> => {
  let peak = 0
  return rows.map((row) => {
    const equity = decimalNumber(row.equity)
    peak = Math.max(peak, equity)
    // every number as the decimal it stands for (a sum of fills is 9980.3, not 9980.300000000001), as the CSV prints it
    return {
      date: row.session,
      equity,
      cash: decimalNumber(row.cash),
      longMarketValue: decimalNumber(row.longMarketValue),
      shortMarketValue: decimalNumber(row.shortMarketValue),
      grossExposure: decimalSum([row.longMarketValue, Math.abs(row.shortMarketValue)]),
      traded: decimalNumber(row.traded),
      llmCost: Option.match(costs, { onNone: () => null, onSome: (c) => decimalNumber(c.get(row.session)?.get(row.account) ?? 0) }),
      llmCostEstimated: (estimated.get(row.session)?.get(row.account) ?? 0) > 0,
      drawdown: peak > 0 ? 1 - equity / peak : 0,
      markedAt: row.markedAt,
      spyMark: row.markedAt === null ? null : marks.get(marksKey(row.session, row.markedAt))?.[BENCHMARK] ?? null
    }
  })
}

/**
 * The moment each session is marked at: COUNCIL's snapshot's, else the latest any account's snapshot recorded;
 * sessions without one are absent.
 */
export const sessionMoments = (rows: ReadonlyArray<{ readonly account: string; readonly session: TradingDay; readonly markedAt: string | null }>): ReadonlyMap<TradingDay, string> => {
  const moments = new Map<TradingDay, string>()
  const fromCouncil = new Set<TradingDay>()
  for (const row of rows) {
    if (row.markedAt === null || fromCouncil.has(row.session)) continue
    const known = moments.get(row.session)
    if (row.account === "COUNCIL") fromCouncil.add(row.session)
    if (row.account === "COUNCIL" || known === undefined || row.markedAt > known) moments.set(row.session, row.markedAt)
  }
  return moments
}

/**
 * The prices at each session's moment (`sessionMoments`) when that moment comes before the session's close (a run
 * under `close`): what the paper baselines are marked at on those sessions, before the session's trades.
 */
const pricesBeforeClose = (moments: ReadonlyMap<TradingDay, string>, marks: MarksAt): ReadonlyMap<TradingDay, ReadonlyMap<Ticker, number>> =>
  new Map([...moments].flatMap(([session, at]) => {
    const prices = marks.get(marksKey(session, at))
    if (prices === undefined || !(Date.parse(at) < Date.parse(closeTimestamp(session)))) return []
    return [[session, new Map(Object.entries(prices).map(([symbol, price]) => [Ticker.make(symbol), price]))] as const]
  }))

/**
 * The span of `sessions` (ascending) the market data has bars of: from the first to the last, or to the data's latest
 * session when the book goes past it (a live book's latest session before the day's bar is complete); `undefined`
 * when it has none of them.
 */
const spanInData = (market: MarketData["Service"], sessions: ReadonlyArray<TradingDay>) =>
  Effect.gen(function*() {
    const first = sessions[0]
    const last = sessions.at(-1)
    if (first === undefined || last === undefined) return undefined
    const latest = yield* market.latestTradingDay
    const end = last <= latest ? last : latest
    if (end < first) return undefined
    return { end, length: (yield* market.sessions(first, end)).length }
  })

/**
 * SPY's close on each of `sessions` the market data has a bar of, with one share's holding there (its splits and
 * dividends since the first), or `None` when the market data cannot give them.
 */
const benchmarkOn = (sessions: ReadonlyArray<TradingDay>) =>
  Effect.gen(function*() {
    const market = yield* MarketData
    const span = yield* spanInData(market, sessions)
    if (span === undefined) return Option.some(new Map<string, { readonly close: number; readonly holding: CorporateAction.Holding }>())
    const symbol = Ticker.make(BENCHMARK)
    const bars = yield* market.bars({ symbol, asOf: span.end, lookback: span.length })
    const held = yield* holdingsOver(market, symbol, bars.map((b) => b.date))
    return Option.some(new Map(bars.map((b, i) => [b.date, { close: b.close, holding: held[i]! }])))
  }).pipe(Effect.catchTag("MarketDataError", () => Effect.succeed(Option.none())))

/**
 * One share of `symbol` held from the first of `dates` on each of them (`CorporateAction.holdings`): the splits and
 * dividends of the feed, as the exchange applies them to the accounts. The bundled bars have none: one share, no cash.
 */
const holdingsOver = (market: MarketData["Service"], symbol: Ticker, dates: ReadonlyArray<TradingDay>) =>
  dates.length === 0
    ? Effect.succeed([])
    : Effect.map(market.corporateActions(dates[0]!, dates.at(-1)!), (actions) => CorporateAction.holdings(dates, actions, symbol))

/** Every account's daily series in the window, with SPY's closes on the same sessions. */
export const equityReport = (query: Query): Effect.Effect<EquityReport, LedgerError, Requirements> =>
  Effect.gen(function*() {
    const ledger = yield* TradeLedger
    const rows = yield* ledger.series(query)
    const accounts = [...new Set(rows.map((r) => r.account))]
    const sessions = [...new Set(rows.map((r) => r.session))].sort()
    const spent = { from: sessions[0], to: sessions.at(-1) }
    const costs = yield* LlmCosts.dailyCosts(query.book, accounts, spent).pipe(Effect.mapError(failWith("llm costs")))
    const estimated = Option.isNone(costs)
      ? new Map()
      : yield* LlmCosts.estimatedDailyCosts(query.book, accounts, spent).pipe(Effect.mapError(failWith("llm costs")))
    const marks = yield* marksOver(query.book, sessions)
    const moments = sessionMoments(rows)
    // SPY's value of each session: its mark at the session's moment, else its close; a session with neither is left out
    // (with the splits and dividends since the first session: a holding's value, `CorporateAction.holdings`)
    const benchmark = Option.map(yield* benchmarkOn(sessions), (closes) => {
      // a session without a bar yet (a live one before its complete bar) keeps the holding of the one before
      let held: CorporateAction.Holding = NO_ACTION
      return sessions.flatMap((date): Array<BenchmarkPoint> => {
        const known = closes.get(date)
        if (known !== undefined) held = known.holding
        const close = known === undefined ? undefined : CorporateAction.valueAt(known.holding, known.close)
        const at = moments.get(date) ?? null
        const price = at === null ? undefined : marks.get(marksKey(date, at))?.[BENCHMARK]
        const mark = price === undefined ? undefined : CorporateAction.valueAt(held, price)
        const value = mark ?? close
        return value === undefined ? [] : [{ date, close: close ?? null, markedAt: mark === undefined ? null : at, mark: value }]
      })
    })
    const report: EquityReport = {
      book: query.book,
      window: { from: query.from ?? null, to: query.to ?? null },
      from: sessions[0] ?? null,
      to: sessions[sessions.length - 1] ?? null,
      llmCostRecorded: Option.isSome(costs),
      accounts: accounts.map((account) => ({ account, points: pointsOf(rows.filter((r) => r.account === account), costs, estimated, marks) })),
      benchmark: Option.match(benchmark, { onNone: () => null, onSome: (points) => ({ name: BENCHMARK, points }) })
    }
    marksRead.set(report, marks)
    return report
  }).pipe(Effect.withSpan("Standings.equityReport", { attributes: { book: query.book } }))

/** `report` as columns (`EquityChart`): the same numbers, each date written once. */
export const chartOf = (report: EquityReport): EquityChart => {
  const dates = [...new Set(report.accounts.flatMap((a) => a.points.map((p) => p.date)))].sort()
  const at = new Map(dates.map((date, i) => [date, i]))
  const column = <P extends { readonly date: TradingDay }>(points: ReadonlyArray<P>, value: (point: P) => number) => {
    const out: Array<number | null> = new Array(dates.length).fill(null)
    for (const point of points) {
      const i = at.get(point.date)
      if (i !== undefined) out[i] = value(point)
    }
    return out
  }
  return {
    book: report.book,
    window: report.window,
    from: report.from,
    to: report.to,
    dates,
    accounts: report.accounts.map(({ account, points }) => ({ account, equity: column(points, (p) => p.equity) })),
    benchmark: report.benchmark === null ? null : { name: report.benchmark.name, closes: column(report.benchmark.points, (p) => p.mark) }
  }
}

const toEquityPoint = (p: SeriesPoint): EquityPoint => ({
  date: p.date,
  equity: p.equity,
  grossExposure: p.grossExposure,
  traded: p.traded,
  ...(p.llmCost === null ? {} : { llmCost: p.llmCost })
})

/**
 * Every universe symbol's close on each of `sessions` (ascending) the market data has, with the prices of the
 * session's moment where it comes before the close (`marks`); symbols the feed cannot give are left out.
 */
const closesOn = (sessions: ReadonlyArray<TradingDay>, marks: ReadonlyMap<TradingDay, ReadonlyMap<Ticker, number>>) =>
  Effect.gen(function*() {
    const market = yield* MarketData
    if (sessions.length === 0) return []
    const span = yield* spanInData(market, sessions)
    const closes = new Map<TradingDay, Map<Ticker, number>>(sessions.map((d) => [d, new Map()]))
    const heldOn = new Map<TradingDay, Map<Ticker, CorporateAction.Holding>>(sessions.map((d) => [d, new Map()]))
    // a session past the data's latest (a live one before its complete bar) has no closes: nothing trades on it
    if (span !== undefined) {
      for (const symbol of yield* market.universe) {
        const bars = yield* market.bars({ symbol, asOf: span.end, lookback: span.length }).pipe(Effect.orElseSucceed(() => []))
        const held = yield* holdingsOver(market, symbol, bars.map((b) => b.date))
        bars.forEach((bar, i) => {
          closes.get(bar.date)?.set(symbol, CorporateAction.valueAt(held[i]!, bar.close))
          heldOn.get(bar.date)?.set(symbol, held[i]!)
        })
      }
    }
    // the baselines trade a share held from the first session: its value with the splits and dividends since
    return sessions.map((date): PaperSession => {
      const during = marks.get(date)
      const held = heldOn.get(date)!
      const valued = during === undefined
        ? undefined
        : new Map([...during].map(([symbol, price]) => [symbol, CorporateAction.valueAt(held.get(symbol) ?? NO_ACTION, price)] as const))
      return { date, closes: closes.get(date)!, ...(valued === undefined ? {} : { marks: valued }) }
    })
  }).pipe(Effect.orElseSucceed((): ReadonlyArray<PaperSession> => []))

const NO_ACTION: CorporateAction.Holding = { shares: 1, cash: 0 }

/** The first and last sessions of a backtest's range (`undefined`: the live book, or the market data has none there). */
const sessionSpan = (book: { readonly kind: string; readonly from: TradingDay | null; readonly to: TradingDay | null }) =>
  book.kind !== "backtest" || book.from === null || book.to === null || book.from > book.to
    ? Effect.succeed(undefined)
    : MarketData.use((m) => m.sessions(book.from!, book.to!)).pipe(
      Effect.map((sessions) => sessions.length === 0 ? undefined : { first: sessions[0]!, last: sessions.at(-1)! }),
      Effect.orElseSucceed(() => undefined)
    )

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
    const ledger = yield* TradeLedger
    const definition = yield* ledger.book(query.book)
    const book = Option.getOrElse(definition, () => ({ id: query.book, kind: query.book === liveBook ? "live" as const : "backtest" as const, from: null, to: null, params: null }))
    const seed = randomSeed(book, yield* sessionSpan(book))
    // the report's sessions are these: the marks it read are the ones of this window
    const marks = marksRead.get(report) ?? (yield* marksOver(query.book, sessions))
    const moments = sessionMoments(report.accounts.flatMap((a) => a.points.map((p) => ({ account: a.account, session: p.date, markedAt: p.markedAt }))))
    const sessionCloses = yield* closesOn(sessions, pricesBeforeClose(moments, marks))
    // the contest's baselines and attribution take a while over a long book: let other requests in first
    yield* Effect.yieldNow
    return contestWithSeries({
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
  })

type LeaderboardQuery = Omit<Query, "account"> & { readonly riskFree?: number; readonly fillModel?: FillModelOptions }

/** Who has a value on which session: each account's snapshots and the benchmark's closes. */
interface Coverage {
  readonly accounts: ReadonlyArray<{ readonly account: string; readonly series: ReadonlyArray<{ readonly date: string }> }>
  readonly benchmark: { readonly name: string; readonly closes: ReadonlyArray<{ readonly date: string }> }
}

/**
 * Why `missing` sessions of the span are not the leaderboard's: no account has a snapshot (no run those days), some
 * have one and others not (that day's run could not read those accounts), or every account has one and the
 * benchmark no close. `null` when no session is missing.
 */
const whyMissing = (sessions: ReadonlyArray<string>, coverage: Coverage): string | null => {
  const dated = coverage.accounts.map((a) => ({ account: a.account, dates: new Set(a.series.map((p) => p.date)) }))
  const closes = new Set(coverage.benchmark.closes.map((c) => c.date))
  const unread: Array<string> = []
  let noRun = 0
  let noClose = 0
  for (const day of sessions) {
    const absent = dated.filter((a) => !a.dates.has(day)).map((a) => a.account)
    if (absent.length === dated.length) noRun++
    else if (absent.length > 0) unread.push(`${day} ${absent.join(", ")}`)
    else if (!closes.has(day)) noClose++
  }
  if (noRun + unread.length + noClose === 0) return null
  if (unread.length === 0 && noClose === 0) return "have no snapshot (no run those days)"
  const shown = unread.slice(0, 3).join("; ") + (unread.length > 3 ? `; ${unread.length - 3} more` : "")
  const parts = [
    noRun > 0 ? `${noRun} with no run` : "",
    unread.length > 0 ? `${unread.length} whose run could not read an account: ${shown}` : "",
    noClose > 0 ? `${noClose} without a ${coverage.benchmark.name} close` : ""
  ]
  return `are missing from it (${parts.filter((part) => part !== "").join("; ")})`
}

/** What `UnrecordedSessions` says of `board`'s span; `null` when every session has a snapshot or the market data cannot say (it only informs). */
const unrecordedOf = (board: Leaderboard.Leaderboard, coverage: Coverage): Effect.Effect<UnrecordedSessions | null, never, MarketData> =>
  Effect.gen(function*() {
    const sessions = yield* MarketData.use((m) => m.sessions(board.from, board.to))
    const missing = sessions.length - (board.sessions + 1)
    if (missing <= 0) return null
    const why = whyMissing(sessions, coverage) ?? "have no snapshot"
    return {
      missing,
      sessions: sessions.length,
      from: board.from,
      to: board.to,
      note: `${missing} of the ${sessions.length} sessions from ${board.from} to ${board.to} ${why}; a return across them spans several sessions and counts as one (N), so annualized return, volatility and Sharpe are not those of ${sessions.length - 1} daily returns`
    }
  }).pipe(Effect.orElseSucceed(() => null))

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
}

/**
 * `leaderboardOf` with its baselines' series: the very series its `contest.baselines` ranks (one computation), which
 * `equity --baselines` and the backtest report's JSON export.
 */
export const leaderboardWithBaselines = (query: LeaderboardQuery, report: EquityReport): Effect.Effect<WithBaselines, LedgerError, Requirements> =>
  Effect.gen(function*() {
    yield* Effect.yieldNow
    const base = { book: query.book, llmCostRecorded: report.llmCostRecorded, llmCostEstimated: [], contest: null, unrecordedSessions: null }
    const without = (verdict: string): WithBaselines => ({ leaderboard: { ...base, leaderboard: null, verdict }, baselines: [] })
    if (report.accounts.length === 0) return without(`no equity recorded in book ${query.book}${windowPhrase(query)} yet`)
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
    return { leaderboard, baselines: contest.series }
  }).pipe(Effect.withSpan("Standings.leaderboardReport", { attributes: { book: query.book } }))

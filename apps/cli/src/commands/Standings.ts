import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { AccountId } from "@council/domain"
import { backtestActivities, resumeCommand } from "@council/daily/BacktestActivity"
import * as Prices from "@council/llm/Prices"
import { type BookId, type Bootstrap, BookSummary, Contest, Figures, Leaderboard, Standings, TradeLedger } from "@council/tracking"
import { AppSettings } from "../AppConfig.ts"
import { votesByBook } from "../BacktestFiles.ts"
import { dataChangedNote } from "../BacktestData.ts"
import { market } from "../Market.ts"
import { configured, storage } from "../Storage.ts"
import { CliFailure } from "../CliFailure.ts"
import { dayOfFlag } from "../DayFlag.ts"
import { decimal, ESTIMATE_MARK, ESTIMATE_NOTE, money, table } from "../Table.ts"

export interface WindowOptions {
  readonly from: Option.Option<string>
  readonly to: Option.Option<string>
  readonly backtest: Option.Option<string>
}

const day = (flag: string, value: Option.Option<string>) =>
  Option.match(value, {
    onNone: () => Effect.succeed(undefined),
    onSome: (raw) =>
      dayOfFlag(flag, raw)
  })

/** `--from`/`--to` as sessions, checked before anything is opened. */
const checkWindow = (options: WindowOptions) =>
  Effect.gen(function*() {
    const from = yield* day("from", options.from)
    const to = yield* day("to", options.to)
    if (from !== undefined && to !== undefined && from > to) return yield* CliFailure.usage(`--from ${from} is after --to ${to}`)
    if (Option.isSome(options.backtest) && options.backtest.value.trim() === "") {
      return yield* CliFailure.usage("--backtest: give a backtest id, latest, or live (list them with: pnpm pipeline backtests)")
    }
    return { from, to }
  })

/** The book `--backtest` names (the live book without it); an unknown one is a usage error. */
const bookOf = (backtest: Option.Option<string>) =>
  Standings.bookFor(Option.getOrUndefined(backtest)).pipe(
    Effect.catchTag("BookNotFound", (e) => Effect.fail(CliFailure.usage(`--backtest: ${e.message}`)))
  )

const ledgerFailure = (e: { readonly message: string }) => CliFailure.failed(`the ledger could not be read: ${e.message}`)

const pct = (x: number | null | undefined, digits = 1) => (x === null || x === undefined ? "—" : Figures.percent(x, digits))
const signed = (x: number | null | undefined) => (x === null || x === undefined ? "—" : Figures.signedPercent(x))
const num = (x: number | null | undefined, digits = 2) => (x === null || x === undefined ? "—" : Figures.fixed(x, digits))
const ratio = (x: number) => Figures.fixed(x, 2)
const estimate = (e: Bootstrap.Estimate, format: (x: number) => string) => Leaderboard.describeEstimate(e, format)

const leaderboardTable = (report: Standings.LeaderboardReport): string => {
  const board = report.leaderboard
  const estimated = new Set(report.llmCostEstimated)
  // a verdict that names the book already is not prefixed with it again ("book live: no equity recorded in book live yet")
  if (board === null) return report.verdict.includes(`book ${report.book}`) ? report.verdict : `book ${report.book}: ${report.verdict}`
  const rows = board.rows.map((r) => {
    const m = r.metrics
    const mark = estimated.has(r.account) ? ESTIMATE_MARK : ""
    return [
      r.rank === null ? "—" : String(r.rank),
      r.account,
      estimate(r.totalReturn, signed),
      estimate(r.sharpe, ratio),
      estimate(r.excessReturn, signed),
      pct(m.maxDrawdown.depth),
      pct(m.volatility),
      pct(m.winRateDays, 0),
      m.closedTrades === null || m.closedTrades === 0 ? "—" : `${pct(m.winRateTrades, 0)} of ${m.closedTrades}`,
      num(m.turnover, 1),
      pct(m.averageExposure, 0),
      m.llmCost === null ? "—" : `${mark}${Prices.formatUsd(m.llmCost)}`,
      m.pnlNetOfCost === null ? "—" : `${mark}${money(m.pnlNetOfCost)}`,
      String(m.sessions)
    ]
  })
  return [
    `book ${report.book} · ${board.from} … ${board.to} · ${Figures.windowCount(board.sessions)} · ${board.benchmark.name} buy-and-hold ${signed(board.benchmark.totalReturn)}`,
    // the bootstrap's settings only above intervals it drew (none under Bootstrap.MIN_SESSIONS daily returns)
    ...(Leaderboard.drewIntervals(board)
      ? [`95 % intervals: stationary block bootstrap, ${board.replicates} replicates, mean block length ${board.blockLength}, seed "${board.seed}"`]
      : []),
    `Sharpe and Sortino over a risk-free rate of ${Leaderboard.percentOfRate(board.riskFree)} a year (COUNCIL_RISK_FREE)`,
    // what the figures are net of
    report.costs,
    "",
    table(
      ["RANK", "ACCOUNT", "TOTAL RETURN", "SHARPE", `EXCESS vs ${board.benchmark.name}`, "MAX DD", "VOL", "WIN DAYS", "WIN TRADES", "TURNOVER (×/yr)", "EXPOSURE", "LLM COST", "NET P&L", "N RETURNS"],
      rows
    ),
    ...(board.rows.some((r) => estimated.has(r.account) && r.metrics.llmCost !== null) ? [ESTIMATE_NOTE] : []),
    "",
    `verdict: ${board.verdict}`,
    ...contestLines(report)
  ].join("\n")
}

/** The paper baselines and the council's attribution, each difference with its interval. */
const contestLines = (report: Standings.LeaderboardReport): ReadonlyArray<string> => {
  const contest = report.contest
  if (contest === null) return []
  return [
    "",
    `baselines and attribution: ${contest.note}`,
    ...(contest.baselines === null ? [] : [
      "",
      table(
        ["BASELINE", "TOTAL RETURN", "SHARPE", `EXCESS vs ${contest.baselines.benchmark.name}`, "TURNOVER (×/yr)", "EXPOSURE", "N RETURNS"],
        contest.baselines.rows.map((r) => [r.account, ...Leaderboard.baselineCells(r)])
      )
    ]),
    ...(contest.attribution === null ? [] : [
      "",
      table(
        ["COUNCIL AGAINST", "ACCOUNT", "Δ TOTAL RETURN", "Δ SHARPE"],
        contest.attribution.comparisons.map((c) => [c.against, c.account, estimate(c.totalReturn, signed), estimate(c.sharpe, ratio)])
      ),
      ...contest.attribution.comparisons.map((c) => `  ${c.verdict}`)
    ])
  ]
}

type Window = Effect.Success<ReturnType<typeof checkWindow>>

/** The trade ledger over the store; a missing home is read as an empty one, never created. */
const ledger = Layer.mergeAll(TradeLedger.layer, votesByBook).pipe(Layer.provideMerge(storage("empty")))

/**
 * Checks every setting, then the window, then reads the ledger (and the market data, for SPY's closes); a missing
 * home is read as an empty one, never created.
 */
const reading = <A, E, R>(options: WindowOptions, read: (window: Window) => Effect.Effect<A, E, R>) =>
  Effect.provide(
    Effect.flatMap(checkWindow(options), (window) => read(window).pipe(Effect.provide(ledger), Effect.provide(market))),
    configured
  )

/** `leaderboard`: the ranking of the book's accounts over the window. */
export const leaderboard = (options: WindowOptions & { readonly json: boolean }) =>
  reading(options, (window) =>
    Effect.gen(function*() {
      const book = yield* bookOf(options.backtest)
      yield* warnDataChanged(book)
      const { riskFree } = (yield* AppSettings).monitor
      const report = yield* Standings.leaderboardReport({ book, ...window, riskFree }).pipe(Effect.mapError(ledgerFailure))
      if (options.json) return yield* Console.log(JSON.stringify(Schema.encodeSync(Standings.LeaderboardReport)(report), null, 2))
      const unrecorded = report.unrecordedSessions
      const partial = yield* partialNote(book)
      yield* Console.log([
        ...(partial === undefined ? [] : [`note: ${partial}`, ""]),
        leaderboardTable(report),
        ...(unrecorded === null ? [] : ["", `note: ${unrecorded.note}`])
      ].join("\n"))
    }))

/**
 * A backtest that did not complete (interrupted, or `running`: under way, or its process gone), said above its
 * leaderboard as its report says it: its figures cover the sessions recorded so far, not the range asked, and how it
 * is continued. Nothing for a completed backtest or the live book.
 */
const partialNote = (id: BookId) =>
  Effect.gen(function*() {
    const found = yield* TradeLedger.use((l) => l.book(id)).pipe(Effect.mapError(ledgerFailure))
    if (Option.isNone(found) || found.value.kind !== "backtest" || found.value.status === "completed") return undefined
    const b = found.value
    const activity = (yield* activitiesOf([b])).get(b.id)
    const state = activity?.state === "in-progress" ? "still running" : activity?.state === "stopped" ? "stopped (its process is gone)" : b.status
    const asked = askedSessions(b)
    return `backtest ${b.id} is ${state}: ${asked === undefined ? b.sessions : `${b.sessions} of ${asked}`} sessions recorded (${b.firstSession ?? "—"} … ${
      b.lastSession ?? "—"}) of ${b.from ?? "?"} … ${b.to ?? "?"}; every figure below covers those alone${
      activity?.state === "in-progress" ? "" : `; continue it with: ${resumeCommand(b.id)}`}`
  })

/** A warning on stderr when the backtest's recorded market data is not the data here (`dataChangedNote`). */
const warnDataChanged = (id: BookId) =>
  Effect.gen(function*() {
    const found = yield* TradeLedger.use((l) => l.book(id)).pipe(Effect.mapError(ledgerFailure))
    if (Option.isNone(found) || found.value.kind !== "backtest") return
    const note = dataChangedNote(id, found.value.params, (yield* AppSettings).feed)
    if (note !== undefined) yield* Console.error(`warning: ${note}`)
  })

const CSV_HEADER = ["account", "date", "equity", "cash", "long_market_value", "short_market_value", "gross_exposure", "traded", "llm_cost", "spy_close", "marked_at", "spy_mark", "spy_benchmark"]

type EquityOptions = WindowOptions & { readonly account: Option.Option<string>; readonly csv: boolean; readonly baselines: boolean }

/** The paper baselines' names (`Contest`): `--account` takes them too, and then reads the baselines. */
const BASELINES: ReadonlyArray<string> = [Contest.RANDOM, Contest.MECHANICAL]

/**
 * The series of the leaderboard's paper baselines over the same window (`Standings.leaderboardWithBaselines`: the
 * very series it ranks, and the moment each session of them is valued at), from the whole book's report (they follow
 * COUNCIL's series).
 */
const baselinesOf = (book: BookId, window: Window, report: Standings.EquityReport) =>
  Effect.gen(function*() {
    const { riskFree } = (yield* AppSettings).monitor
    return yield* Standings.leaderboardWithBaselines({ book, ...window, riskFree }, report).pipe(Effect.mapError(ledgerFailure))
  })

const optional = (x: number | undefined) => (x === undefined ? "" : decimal(x))

const equityOf = (options: EquityOptions, window: Window) =>
  Effect.gen(function*() {
    const named = yield* Option.match(options.account, {
      onNone: () => Effect.succeed(undefined),
      onSome: (raw) =>
        Effect.mapError(Schema.decodeUnknownEffect(AccountId)(raw.trim().toUpperCase()), () => CliFailure.usage(`--account: "${raw.slice(0, 40)}" is not an account name`))
    })
    const baseline = named !== undefined && BASELINES.includes(named)
    const withBaselines = options.baselines || baseline
    // the baselines follow COUNCIL's series: they need the whole book's report, whichever account is printed
    const account = withBaselines ? undefined : named
    const book = yield* bookOf(options.backtest)
    yield* warnDataChanged(book)
    const report = yield* Standings.equityReport({ book, account, ...window }).pipe(Effect.mapError(ledgerFailure))
    if (account !== undefined && report.accounts.length === 0) yield* knownAccount(book, account)
    // `--account RANDOM`: that baseline alone; `--account X --baselines`: X's series and the baselines'
    const { baselines, valuedAt } = withBaselines ? yield* baselinesOf(book, window, report) : { baselines: [], valuedAt: new Map<string, string>() }
    const paper = baselines.filter((b) => !baseline || b.account === named)
    if (named !== undefined && !baseline && withBaselines && !report.accounts.some((a) => a.account === named)) yield* knownAccount(book, named)
    const accounts = report.accounts.filter((a) => named === undefined || a.account === named)
    const spy = new Map((report.benchmark?.points ?? []).map((p) => [p.date, p]))
    const rows = accounts.flatMap(({ account, points }) =>
      points.map((p) => [
        account, p.date, decimal(p.equity), decimal(p.cash), decimal(p.longMarketValue), decimal(p.shortMarketValue), decimal(p.grossExposure), decimal(p.traded),
        p.llmCost === null ? "" : decimal(p.llmCost), String(spy.get(p.date)?.close ?? ""), p.markedAt ?? "", p.spyMark === null ? "" : String(p.spyMark),
        String(spy.get(p.date)?.mark ?? "")
      ])
    )
    // a paper account has no cash split, no LLM cost and no broker read of its own: those columns are left empty;
    // marked_at is the moment its equity is valued at (the accounts' moment before the close, else the close)
    const paperRows = paper.flatMap(({ account, series }) =>
      series.map((p) => [
        account, p.date, decimal(p.equity), "", "", "", optional(p.grossExposure), optional(p.traded), "",
        String(spy.get(p.date)?.close ?? ""), valuedAt.get(p.date) ?? "", "", String(spy.get(p.date)?.mark ?? "")
      ])
    )
    if (options.csv) return yield* Console.log([CSV_HEADER, ...rows, ...paperRows].map((r) => r.join(",")).join("\n"))
    if (rows.length + paperRows.length === 0) {
      return yield* Console.log(yield* Standings.noEquityOf(book, window, named).pipe(Effect.mapError(ledgerFailure)))
    }
    yield* Console.log(table(
      ["ACCOUNT", "DATE", "EQUITY", "CASH", "GROSS EXPOSURE", "TRADED", "DRAWDOWN", "LLM COST", "SPY"],
      [
        ...accounts.flatMap(({ account, points }) =>
          points.map((p) => [account, p.date, money(p.equity), money(p.cash), money(p.grossExposure), money(p.traded), pct(p.drawdown, 2), p.llmCost === null ? "—" : `${p.llmCostEstimated ? ESTIMATE_MARK : ""}${Prices.formatUsd(p.llmCost)}`, num(spy.get(p.date)?.mark)])
        ),
        ...paper.flatMap(({ account, series }) =>
          series.map((p) => [account, p.date, money(p.equity), "—", money(p.grossExposure), money(p.traded), "—", "—", num(spy.get(p.date)?.mark)])
        )
      ]
    ))
    if (accounts.some((a) => a.points.some((p) => p.llmCostEstimated && p.llmCost !== null))) yield* Console.log(ESTIMATE_NOTE)
  })

/**
 * An `--account` whose series came back empty must be one the book holds (or, for the live book, a configured
 * account): a misspelt name is a usage error naming the book's accounts, not an empty series.
 */
const knownAccount = (book: BookId, account: AccountId) =>
  Effect.gen(function*() {
    const inBook = new Set((yield* TradeLedger.use((l) => l.equity({ book })).pipe(Effect.mapError(ledgerFailure))).map((r) => r.account))
    const configured = book === "live" ? (yield* AppSettings).accounts.accounts.map((a) => a.id) : []
    const known = [...new Set([...inBook, ...configured])]
    if (!known.includes(account)) {
      return yield* CliFailure.usage(`--account: no account ${account} in book ${book} (${known.length === 0 ? "it holds none yet" : `its accounts: ${known.join(", ")}`})`)
    }
  })

/** `equity`: each account's daily series (a table, or CSV with SPY's close, its mark and the benchmark of each session). */
export const equity = (options: EquityOptions) =>
  reading(options, (window) => equityOf(options, window))

/** Which `running` backtests of `books` a live process runs, and how the others (their process gone) are continued. */
const activitiesOf = (books: ReadonlyArray<BookSummary>) =>
  backtestActivities(books).pipe(Effect.mapError((e) => CliFailure.failed(`cannot read which backtests are being run: ${e.message}`)))

/** What `backtests` lists: a page of at most `limit` (1–1000), after `before` (a backtest's id) when given. */
export interface BacktestsPage {
  readonly json: boolean
  readonly limit: number
  readonly before: Option.Option<string>
}

/** The most backtests one `backtests` lists, as `/api/backtests?limit=` takes. */
const MAX_LISTED = 1000

/** The cursor `--before` names, as the ledger's id; one it does not hold is a usage error. */
const cursorBook = (before: string) =>
  (before.trim() === "" || before === "latest" || before === "live" ? Effect.fail(new Standings.BookNotFound({ message: "" })) : Standings.bookFor(before)).pipe(
    Effect.catchTag("BookNotFound", () => Effect.fail(CliFailure.usage(`--before: no backtest "${before.slice(0, 64)}" (give an id the list showed: pnpm pipeline backtests)`))),
    Effect.catchTag("LedgerError", (e) => Effect.fail(ledgerFailure(e)))
  )

/** The sessions a backtest's range holds, as its book recorded when it began (`undefined` for a book that did not). */
const askedSessions = (b: BookSummary): number | undefined =>
  Option.getOrUndefined(Schema.decodeUnknownOption(Schema.Struct({ sessions: Schema.Int }))(b.params))?.sessions

/** `backtests`' SESSIONS: those recorded, "of" those asked when the book says (a stopped backtest's "10 of 252"). */
const sessionsOf = (b: BookSummary) => {
  const asked = askedSessions(b)
  return asked === undefined ? String(b.sessions) : `${b.sessions} of ${asked}`
}

const listBacktests = ({ before, json, limit }: BacktestsPage) =>
  Effect.gen(function*() {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LISTED) {
      return yield* CliFailure.usage(`--limit ${limit}: expected a whole number from 1 to ${MAX_LISTED}`)
    }
    const after = Option.isSome(before) ? yield* cursorBook(before.value) : undefined
    const books = yield* TradeLedger.use((l) => l.backtests({ limit, before: after })).pipe(Effect.mapError(ledgerFailure))
    const more = books.length === limit ? `more: pnpm pipeline backtests --before ${books.at(-1)!.id}${limit === DEFAULT_LISTED ? "" : ` --limit ${limit}`}` : undefined
    const activity = yield* activitiesOf(books)
    if (json) {
      const encoded = Schema.encodeSync(Schema.Array(BookSummary))(books)
      yield* Console.log(JSON.stringify(encoded.map((b) => ({ ...b, activity: activity.get(b.id) ?? null })), null, 2))
      if (more !== undefined) yield* Console.error(more)
      return
    }
    if (books.length === 0) return yield* Console.log(Option.isSome(before) ? `no backtests after ${before.value}` : "no backtests yet — start one with: pnpm pipeline backtest --from YYYY-MM-DD --to YYYY-MM-DD")
    const stopped = new Set([...activity].filter(([, a]) => a.state === "stopped").map(([id]) => id))
    yield* Console.log(table(
      ["BACKTEST", "STATUS", "ASKED", "RECORDED", "SESSIONS", "ACCOUNTS", "LABEL", "CREATED (UTC)"],
      books.map((b: BookSummary) => [
        b.id,
        stopped.has(b.id) ? "stopped" : b.status,
        `${b.from ?? "?"} … ${b.to ?? "?"}`,
        b.firstSession === null ? "-" : `${b.firstSession} … ${b.lastSession ?? "?"}`,
        sessionsOf(b),
        String(b.accounts),
        b.label,
        b.createdAt.replace("T", " ").slice(0, 19)
      ])
    ))
    const notes = books.flatMap((b) =>
      stopped.has(b.id) ? [`backtest ${b.id} stopped (its process is gone): continue it with: ${resumeCommand(b.id)}`]
      : b.status === "interrupted" ? [`backtest ${b.id} interrupted: continue it with: ${resumeCommand(b.id)}`]
      : []
    )
    if (notes.length > 0) yield* Console.log(`\n${notes.join("\n")}`)
    if (more !== undefined) yield* Console.log(`\n${more}`)
  })

/** How many backtests `backtests` lists when `--limit` is not given. */
export const DEFAULT_LISTED = 50

/** `backtests`: a page of the backtests' books, newest first. */
export const backtests = (page: BacktestsPage) => Effect.provide(listBacktests(page).pipe(Effect.provide(ledger)), configured)

import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { AccountId, type TradingDay } from "@council/domain"
import { BadRequest, Damaged, MonitorApi, NotFound, PAGE, Unavailable } from "@council/api"
import { TradingAccounts } from "@council/broker"
import { BarIndex } from "@council/market"
import { type BookId, type BookSummary, isDamagedLedger, type LedgerError, liveBook, Standings, TradeLedger } from "@council/tracking"
import { backtestActivities } from "@council/daily/BacktestActivity"
import { dataChangedOf } from "./BacktestDataNote.ts"
import type { CompletedBooks } from "./CompletedBooks.ts"
import { storeFailure } from "./RunsHandlers.ts"

const failures = {
  BookNotFound: (e: Standings.BookNotFound) => Effect.fail(new NotFound({ message: e.message })),
  /** A ledger row that does not decode is `Damaged` (500: the same next time); a store that did not answer `Unavailable` (503). */
  LedgerError: (e: LedgerError) => Effect.fail(isDamagedLedger(e) ? new Damaged({ message: e.message }) : new Unavailable({ message: e.message }))
}

/** `?id=`: that backtest alone (`latest`: the newest), or none when there is no such backtest (not a 404). */
const backtestAlone = (id: string) =>
  Effect.gen(function*() {
    if (id === liveBook) return []
    const book = yield* Standings.bookFor(id).pipe(Effect.map(Option.some), Effect.catchTag("BookNotFound", () => Effect.succeed(Option.none())))
    if (Option.isNone(book)) return []
    const found = yield* TradeLedger.use((ledger) => ledger.book(book.value))
    return Option.isSome(found) && found.value.kind === "backtest" ? [found.value] : []
  })

/** `books` with the activity of those marked `running` (in progress, or stopped: their process is gone). */
const listed = (books: ReadonlyArray<BookSummary>) =>
  Effect.map(
    Effect.mapError(backtestActivities(books), storeFailure),
    (activity) => books.map((b) => ({ ...b, activity: activity.get(b.id) ?? null }))
  )

/** The book `?backtest=` names (the live book without it); a blank one is bad input, as `--backtest ""` is. */
const bookOf = (backtest: string | undefined) =>
  backtest !== undefined && backtest.trim() === ""
    ? Effect.fail(new BadRequest({ message: "query parameter backtest: give a backtest id or latest (list them at /api/backtests)" }))
    : Standings.bookFor(backtest)

interface WindowQuery {
  readonly backtest?: string | undefined
  readonly from?: TradingDay | undefined
  readonly to?: TradingDay | undefined
}

/**
 * The book and the window a query names: `from`/`to` must be dates that exist (`2025-02-30` is refused, not read as
 * an empty window) and `from` must not come after `to`.
 */
const windowOf = (query: WindowQuery) =>
  Effect.gen(function*() {
    for (const [name, day] of [["from", query.from], ["to", query.to]] as const) {
      if (day !== undefined && !BarIndex.isCalendarDate(day)) return yield* new BadRequest({ message: `query parameter ${name}: ${day} is not a calendar date` })
    }
    if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
      return yield* new BadRequest({ message: `query parameters from ${query.from} and to ${query.to}: from comes after to` })
    }
    const book = yield* bookOf(query.backtest)
    return { book, from: query.from, to: query.to }
  })

/** The backtest `?before=` names: the last of the page before; one the ledger does not hold is bad input. */
const cursorBook = (before: string) =>
  (before.trim() === "" || before === "latest" || before === liveBook
    ? Effect.fail(new Standings.BookNotFound({ message: "not a backtest's id" }))
    : Standings.bookFor(before)).pipe(
    Effect.catchTag("BookNotFound", () =>
      Effect.fail(new BadRequest({ message: `query parameter before: no backtest "${before.slice(0, 64)}" (give the last id of the previous page)` })))
  )

const noAccount = (account: string, book: BookId, known: ReadonlyArray<string>) =>
  new NotFound({ message: `no account ${account} in book ${book} (${known.length === 0 ? "it holds none yet" : `its accounts: ${known.join(", ")}`})` })

/**
 * One account's series. An empty answer is checked as `equity --account` checks it: the account must be one the
 * book holds or, for the live book, a configured one (`TradingAccounts`) — else `NotFound` naming the accounts it
 * knows, as `/api/positions` refuses one no broker serves, even on a live book with no equity yet. A known account
 * with no sessions in the window is an empty series. A name that is no account name at all is `BadRequest`.
 */
const accountEquity = (window: Standings.Query, raw: string) =>
  Effect.gen(function*() {
    const account = Schema.decodeUnknownOption(AccountId)(raw.trim().toUpperCase())
    if (account._tag === "None") return yield* new BadRequest({ message: `query parameter account: "${raw.slice(0, 40)}" is not an account name` })
    const report = yield* Standings.equityReport({ ...window, account: account.value })
    if (report.accounts.length > 0) return report
    const held = yield* TradeLedger.use((ledger) => ledger.equity({ book: window.book })).pipe(Effect.map((rows) => rows.map((r) => r.account)))
    const configured = window.book === liveBook ? (yield* TradingAccounts).all.map((a) => a.id) : []
    const known = [...new Set([...held, ...configured])]
    return known.includes(account.value) ? report : yield* noAccount(account.value, window.book, known)
  })

/**
 * The leaderboard, equity and backtests from the ledger; `riskFree` is the yearly rate of Sharpe and Sortino. A
 * completed backtest's leaderboard, equity series and report are computed once (`completed`), and its leaderboard
 * and chart from its equity report, read once: the dashboard asks for both at once.
 */
export const standingsHandlers = (riskFree: number, completed: CompletedBooks) => {
  const equityOf = (window: Standings.Query) => completed.through("equity *", window.book, window, Standings.equityReport(window))
  return HttpApiBuilder.group(MonitorApi, "standings", (handlers) =>
    handlers
      .handle("leaderboard", ({ query }) =>
        Effect.gen(function*() {
          const window = yield* windowOf(query)
          const board = yield* completed.answer({ kind: "leaderboard", ...window, riskFree }, equityOf)
          return { ...board, ...(yield* dataChangedOf(window.book)) }
        }).pipe(Effect.catchTags(failures)))
      .handle("equity", ({ query }) =>
        Effect.gen(function*() {
          const window = yield* windowOf(query)
          return yield* (query.account === undefined
            ? completed.answer({ kind: "equity", ...window }, equityOf)
            : completed.through(`equity ${query.account.trim().toUpperCase()}`, window.book, window, accountEquity(window, query.account)))
        }).pipe(Effect.catchTags(failures)))
      .handle("equityChart", ({ query }) =>
        Effect.gen(function*() {
          const window = yield* windowOf(query)
          return yield* completed.answer({ kind: "equity chart", ...window }, equityOf)
        }).pipe(Effect.catchTags(failures)))
      .handle("report", ({ params }) =>
        Effect.gen(function*() {
          const book = params.id === "live" ? liveBook : yield* Standings.bookFor(params.id)
          const report = yield* completed.answer({ kind: "report", book, riskFree }, equityOf)
          return { ...report, ...(yield* dataChangedOf(book)) }
        }).pipe(Effect.catchTags(failures)))
      .handle("backtests", ({ query }) =>
        Effect.gen(function*() {
          if (query.id !== undefined) return yield* listed(yield* backtestAlone(query.id))
          const before = query.before === undefined ? undefined : yield* cursorBook(query.before)
          return yield* listed(yield* TradeLedger.use((ledger) => ledger.backtests({ limit: query.limit ?? PAGE.default, before })))
        }).pipe(Effect.catchTags({ LedgerError: failures.LedgerError })))
      .handle("backtest", ({ params }) =>
        Effect.gen(function*() {
          const notFound = new NotFound({ message: `no backtest "${params.id.slice(0, 64)}" (list them at /api/backtests)` })
          if (params.id === liveBook) return yield* notFound
          const book = yield* Standings.bookFor(params.id)
          const found = yield* TradeLedger.use((ledger) => ledger.book(book))
          if (Option.isNone(found) || found.value.kind !== "backtest") return yield* notFound
          return (yield* listed([found.value]))[0]!
        }).pipe(Effect.catchTags(failures))))
}

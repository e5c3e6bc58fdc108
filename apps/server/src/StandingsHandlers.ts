import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { AccountId } from "@council/domain"
import { MonitorApi, NotFound, Unavailable } from "@council/api"
import { BacktestReport, liveBook, Standings, TradeLedger } from "@council/tracking"

const failures = {
  BookNotFound: (e: Standings.BookNotFound) => Effect.fail(new NotFound({ message: e.message })),
  LedgerError: (e: { readonly message: string }) => Effect.fail(new Unavailable({ message: e.message }))
}

/** The leaderboard, equity and backtests from the ledger; `riskFree` is the yearly rate of Sharpe and Sortino. */
export const standingsHandlers = (riskFree: number) => HttpApiBuilder.group(MonitorApi, "standings", (handlers) =>
  handlers
    .handle("leaderboard", ({ query }) =>
      Effect.gen(function*() {
        const book = yield* Standings.bookFor(query.backtest)
        return yield* Standings.leaderboardReport({ book, from: query.from, to: query.to, riskFree })
      }).pipe(Effect.catchTags(failures)))
    .handle("equity", ({ query }) =>
      Effect.gen(function*() {
        const book = yield* Standings.bookFor(query.backtest)
        const account = query.account === undefined ? undefined : Schema.decodeUnknownOption(AccountId)(query.account.trim().toUpperCase())
        if (account !== undefined && account._tag === "None") return yield* new NotFound({ message: `no account "${query.account?.slice(0, 40)}"` })
        return yield* Standings.equityReport({ book, account: account?.value, from: query.from, to: query.to })
      }).pipe(Effect.catchTags(failures)))
    .handle("report", ({ params }) =>
      Effect.gen(function*() {
        const book = params.id === "live" ? liveBook : yield* Standings.bookFor(params.id)
        return yield* BacktestReport.reportData(book, { riskFree })
      }).pipe(Effect.catchTags(failures)))
    .handle("backtests", () =>
      TradeLedger.use((ledger) => ledger.books).pipe(
        Effect.map((books) => books.filter((b) => b.kind === "backtest")),
        Effect.catchTags({ LedgerError: failures.LedgerError })
      )))

import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { AccountId } from "@council/domain"
import { MonitorApi, NotFound, Unavailable } from "@council/api"
import { Metrics, Standings, TradeLedger } from "@council/tracking"

const failures = {
  BookNotFound: (e: Standings.BookNotFound) => Effect.fail(new NotFound({ message: e.message })),
  LedgerError: (e: { readonly message: string }) => Effect.fail(new Unavailable({ message: e.message }))
}

export const StandingsHandlers = HttpApiBuilder.group(MonitorApi, "standings", (handlers) =>
  handlers
    .handle("leaderboard", ({ query }) =>
      Effect.gen(function*() {
        const book = yield* Standings.bookFor(query.backtest)
        const riskFree = yield* Metrics.riskFreeConfig.pipe(Effect.orElseSucceed(() => 0))
        return yield* Standings.leaderboardReport({ book, from: query.from, to: query.to, riskFree })
      }).pipe(Effect.catchTags(failures)))
    .handle("equity", ({ query }) =>
      Effect.gen(function*() {
        const book = yield* Standings.bookFor(query.backtest)
        const account = query.account === undefined ? undefined : Schema.decodeUnknownOption(AccountId)(query.account.trim().toUpperCase())
        if (account !== undefined && account._tag === "None") return yield* new NotFound({ message: `no account "${query.account?.slice(0, 40)}"` })
        return yield* Standings.equityReport({ book, account: account?.value, from: query.from, to: query.to })
      }).pipe(Effect.catchTags(failures)))
    .handle("backtests", () =>
      TradeLedger.use((ledger) => ledger.books).pipe(
        Effect.map((books) => books.filter((b) => b.kind === "backtest")),
        Effect.catchTags({ LedgerError: failures.LedgerError })
      )))

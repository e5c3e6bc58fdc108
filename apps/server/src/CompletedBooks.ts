/**
 * What the server computes from a completed backtest's book — its leaderboard, equity series, report — kept in memory after
 * the first request, so that opening it again answers at once.
 *
 * **Why**: over the full data range (4,821 sessions) a leaderboard or a report takes seconds to compute (every
 * session's mechanical vote read back from the backtest's run store, 2,000 bootstrap replicates per interval). A
 * completed book never changes, so its answers can be kept.
 *
 * **Rules**: only books whose status is `completed` are kept (the live book and running or interrupted backtests
 * are computed on each request); the key holds the book's `updatedAt`, so a book written again is computed again;
 * failures are not kept; at most `capacity` answers, the least recently used dropped first.
 * A completed book's answer is computed off the request: in a fiber of its own, which requests asking for the same
 * answer meanwhile wait for (it is computed once, not once per request) and which goes on when they go away (a
 * dashboard closed, a reload), so the next request finds it kept. Given an `OffThread` (`make`), `answer` computes
 * in that other thread, the live book's and running backtests' answers too: the server's thread only waits.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import { type BookId, type LedgerError, type Standings, TradeLedger } from "@council/tracking"
import * as BookAnswers from "./BookAnswers.ts"

export interface Window {
  readonly from?: string | undefined
  readonly to?: string | undefined
}

export interface CompletedBooks {
  /** `compute`'s answer for `book` over `window`, from memory when the book is completed and it was asked before. */
  readonly through: <A, E, R>(
    kind: string,
    book: BookId,
    window: Window,
    compute: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | LedgerError, R | TradeLedger>
  /**
   * `query`'s answer (`BookAnswers.answer`), kept as `through` keeps it: computed by `offThread` when `make` was given
   * one, so the server's own requests go on meanwhile; else (or when it cannot answer) here, from `equityOf`.
   */
  readonly answer: <Q extends BookAnswers.BookQuery, R>(
    query: Q,
    equityOf: (window: Standings.Query) => Effect.Effect<Standings.EquityReport, LedgerError, R>
  ) => Effect.Effect<BookAnswers.Answers[Q["kind"]], LedgerError, R | BookAnswers.Requirements>
}

export const make = (capacity = 16, offThread?: BookAnswers.OffThread): CompletedBooks => {
  const kept = new Map<string, unknown>()
  const computing = new Map<string, Fiber.Fiber<unknown, unknown>>()
  const keep = (key: string, answer: unknown) => {
    kept.set(key, answer)
    if (kept.size > capacity) kept.delete(kept.keys().next().value!)
  }
  const through = <A, E, R>(kind: string, book: BookId, window: Window, compute: Effect.Effect<A, E, R>) =>
    Effect.gen(function*() {
      const state = yield* TradeLedger.use((ledger) => ledger.bookState(book))
      if (Option.isNone(state) || state.value.status !== "completed") return yield* compute
      const key = JSON.stringify([kind, book, state.value.updatedAt, window.from ?? null, window.to ?? null])
      if (kept.has(key)) {
        const answer = kept.get(key) as A
        kept.delete(key)
        kept.set(key, answer)
        return answer
      }
      let fiber = computing.get(key) as Fiber.Fiber<A, E> | undefined
      if (fiber === undefined) {
        fiber = yield* Effect.forkDetach(compute.pipe(Effect.onExit((exit) =>
          Effect.sync(() => {
            computing.delete(key)
            if (Exit.isSuccess(exit)) keep(key, exit.value)
          })
        )))
        computing.set(key, fiber)
      }
      return yield* Fiber.join(fiber)
    })
  return {
    through,
    answer: <Q extends BookAnswers.BookQuery, R>(
      query: Q,
      equityOf: (window: Standings.Query) => Effect.Effect<Standings.EquityReport, LedgerError, R>
    ) => {
      const here = BookAnswers.answer(query, equityOf)
      const window = "from" in query ? { from: query.from, to: query.to } : {}
      return through(query.kind, query.book, window, offThread === undefined ? here : Effect.flatMap(offThread(query), Option.match({
        onNone: () => here,
        // the other thread ran `BookAnswers.answer(query)` over the same services
        onSome: (answer) => Effect.succeed(answer as BookAnswers.Answers[Q["kind"]])
      })))
    }
  }
}

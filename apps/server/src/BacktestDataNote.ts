/**
 * What a backtest's figures say when the market data here no longer reads as the data it ran on: the book records
 * its bars' fingerprint through its last session (`params.data`), and its SPY closes and its RANDOM and MECHANICAL
 * baselines are worked out from the data at hand, never stored. `/api/leaderboard?backtest=` and
 * `/api/backtests/{id}/report` carry it as `dataChanged`, as `leaderboard`/`equity --backtest` warn on stderr.
 *
 * **When to use**: provided by the composition root (`serve`), which knows the market feed the server reads and
 * how the CLI fingerprints it (one formula, the CLI's); without it (a server built elsewhere) no note is given.
 *
 * **Gotchas**: `of` reads the bars on each call (a completed book's answers are kept, the data under them is not).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type BookId, liveBook, TradeLedger } from "@council/tracking"

export class BacktestDataNote extends Context.Service<BacktestDataNote, {
  /** The note for backtest `book` whose recorded params are `params`; undefined when its data reads the same. */
  readonly of: (book: string, params: unknown) => string | undefined
}>()("@council/server/BacktestDataNote") {}

/**
 * `{ dataChanged }` of `book` (a backtest's; nothing for the live book, a book not found, or a server without the
 * service), to spread into an answer.
 */
export const dataChangedOf = (book: BookId) =>
  Effect.gen(function*() {
    const notes = yield* Effect.serviceOption(BacktestDataNote)
    if (Option.isNone(notes) || book === liveBook) return {}
    const found = yield* TradeLedger.use((ledger) => ledger.book(book))
    if (Option.isNone(found) || found.value.kind !== "backtest") return {}
    const note = notes.value.of(book, found.value.params)
    return note === undefined ? {} : { dataChanged: note }
  })

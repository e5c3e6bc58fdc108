/**
 * Where `/api/runs` and `/api/runs/{id}` read runs (`?backtest=`): the home's run store (no parameter, or `live`), or
 * a backtest's own database (`<home>/backtests/<id>.db`, `Database.backtestLocation`, as `runs --backtest` reads it),
 * whose runs are its sessions.
 *
 * **When to use**: `pnpm pipeline serve` provides `BacktestRuns` (the home's database location); a handler runs its
 * reads `within(query.backtest, …)`, which hands it the backtest (its book and activity) and the `RunStore` to read.
 *
 * **Gotchas**
 * - Read-only: the backtest's database is opened for the request and closed after it, never created or migrated
 *   into being — one the home does not hold is `NotFound`, as is an id no book of the ledger has.
 * - A backtest's run ids repeat from one backtest to the next (`<day>-bt`): its LLM charges are read with its book.
 * - Only the run store is the backtest's: the spend ledger, the leases and the ledger stay the home's (`SqlClient`).
 */
import { existsSync } from "node:fs"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as SqlClient from "effect/sql/SqlClient"
import { BadRequest, Damaged, NotFound, Unavailable } from "@council/api"
import { type BookId, isDamagedLedger, Standings, TradeLedger } from "@council/tracking"
import { type BacktestActivity, backtestActivities } from "@council/daily/BacktestActivity"
import { Database, SqlRunStore } from "@council/store"
import { storeFailure } from "./RunsHandlers.ts"

export class BacktestRuns extends Context.Service<BacktestRuns, {
  /** The home's database: the backtests' own databases live beside it. */
  readonly home: Database.Location
}>()("@council/server/BacktestRuns") {}

/** The backtest a request reads the sessions of. */
export interface Backtest {
  readonly book: BookId
  /** Whether a live process runs it (its book says `running`); `undefined` when its book says otherwise. */
  readonly activity: BacktestActivity | undefined
}

/** The backtest `raw` names (`latest`: the newest), as `/api/leaderboard?backtest=` resolves it. */
const resolve = (raw: string) =>
  Effect.gen(function*() {
    if (raw.trim() === "") return yield* new BadRequest({ message: "query parameter backtest: give a backtest id, latest or live (list them at /api/backtests)" })
    const book = yield* Standings.bookFor(raw)
    const state = yield* TradeLedger.use((ledger) => ledger.bookState(book))
    const status = Option.match(state, { onNone: () => "completed", onSome: (s) => s.status })
    const activity = (yield* Effect.mapError(backtestActivities([{ id: book, status }]), storeFailure)).get(book)
    return { book, activity }
  }).pipe(Effect.catchTags({
    BookNotFound: (e) => Effect.fail(new NotFound({ message: e.message })),
    LedgerError: (e) => Effect.fail(isDamagedLedger(e) ? new Damaged({ message: e.message }) : new Unavailable({ message: e.message }))
  }))

/**
 * `f` over the runs `backtest` names: the home's store as provided (no parameter, or `live`), else the backtest's
 * own database, opened for this request alone.
 */
export const within = <A, E, R>(
  backtest: string | undefined,
  f: (backtest: Backtest | undefined) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | BadRequest | NotFound | Damaged | Unavailable, R | BacktestRuns | TradeLedger | SqlClient.SqlClient> =>
  backtest === undefined || backtest === "live"
    ? f(undefined)
    : Effect.gen(function*() {
      const found = yield* resolve(backtest)
      const location = Database.backtestLocation((yield* BacktestRuns).home, found.book)
      if (!existsSync(location.file)) {
        return yield* new NotFound({
          message: `backtest ${found.book}: its database backtests/${found.book}.db is missing beside the home's database (restore it, or serve the home that ran it)`
        })
      }
      // fresh: the home's store is built from the same layer value, and layers are shared by reference
      const store = Layer.fresh(SqlRunStore.layer).pipe(Layer.provide(Database.layerAt(location, "empty")))
      const context = yield* Layer.build(store).pipe(
        Effect.mapError((e) => new Unavailable({ message: `backtest ${found.book}: its database cannot be read: ${e.message}` }))
      )
      return yield* Effect.provideContext(f(found), context)
    }).pipe(Effect.scoped)

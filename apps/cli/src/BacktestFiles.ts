/**
 * Where a backtest's own database lives, and what reads it: the mechanical votes of a backtest's book come from
 * the backtest's runs, not the home's.
 *
 * Gotcha: the directory is `$COUNCIL_HOME/backtests` also when the main store is PostgreSQL (`Database.location`
 * checks `COUNCIL_HOME` in both cases); where a backtest's file is in it is `Database.backtestLocation`'s to say.
 */
import { existsSync } from "node:fs"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { TradingDay } from "@council/domain"
import { RunStore } from "@council/engine"
import { Database, SqlRunStore } from "@council/store"
import { liveBook, MechanicalVotes, Standings } from "@council/tracking"
import { AppSettings } from "./AppConfig.ts"

/** The directory of backtest databases: `$COUNCIL_HOME/backtests` (`Database.backtestsDir`). */
export const backtestsDir = Effect.map(AppSettings, ({ database }) => Database.backtestsDir(database))

/**
 * The mechanical votes of any book: the live book's from the home's run store, a backtest's from its own database
 * where `Database.backtestLocation` puts it — the one rule `runs --backtest` and `/api/runs?backtest=` read by —
 * opened for the read as they open it (`layerAt(…, "empty")`: the home's busy timeout, read-only in a home it cannot
 * write, never created). None when the file is gone, said once per file on stderr: a database restored without
 * `$COUNCIL_HOME/backtests`, or shared by another home. Provide it wherever a leaderboard is computed.
 *
 * Gotcha: `book` is a book id as the ledger resolved it (`Standings.bookFor`: `latest` is the newest backtest's id
 * by then, `live` the live book's); no other name reaches a file path.
 */
export const votesByBook: Layer.Layer<Standings.MechanicalVotes, never, RunStore | AppSettings> = Layer.effect(
  Standings.MechanicalVotes,
  Effect.gen(function*() {
    const home = yield* RunStore
    const { database } = yield* AppSettings
    const missing = new Set<string>()
    const ofBacktest = (location: Database.Location, from: TradingDay, to: TradingDay) =>
      Effect.gen(function*() {
        return yield* MechanicalVotes.votesIn(yield* RunStore, from, to)
      }).pipe(
        // fresh: the home's run store is built from the same layer value, and layers are shared by reference
        Effect.provide(Layer.fresh(SqlRunStore.layer).pipe(Layer.provide(Database.layerAt(location, "empty")))),
        Effect.orElseSucceed(() => undefined)
      )
    return Standings.MechanicalVotes.of({
      between: (book, from, to) => {
        if (book === liveBook) return MechanicalVotes.votesIn(home, from, to)
        const location = Database.backtestLocation(database, book)
        const file = location.file
        // checked first: `layerAt(…, "empty")` reads a missing file as an empty store, which holds no vote at all
        if (existsSync(file)) return ofBacktest(location, from, to)
        if (missing.has(file)) return Effect.succeed(undefined)
        missing.add(file)
        return Effect.as(
          Effect.logWarning(
            `backtest ${book}: its database ${file} is missing, so its leaderboard has no mechanical vote (MECHANICAL); restore ${Database.backtestsDir(database)} beside the database, or point COUNCIL_HOME at the home that ran it`
          ),
          undefined
        )
      }
    })
  })
)

/**
 * Where a backtest's own database lives, and what reads it: the mechanical votes of a backtest's book come from
 * the backtest's runs, not the home's.
 *
 * Gotcha: the directory is `$COUNCIL_HOME/backtests` also when the main store is PostgreSQL (`Database.location`
 * checks `COUNCIL_HOME` in both cases).
 */
import { existsSync } from "node:fs"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { TradingDay } from "@council/domain"
import { RunStore } from "@council/engine"
import { Database, SqlRunStore } from "@council/store"
import { liveBook, MechanicalVotes, Standings } from "@council/tracking"
import { AppSettings } from "./AppConfig.ts"

/** The directory of backtest databases: `$COUNCIL_HOME/backtests`. */
export const backtestsDir = Effect.map(AppSettings, ({ database }) => join(database.home, "backtests"))

/**
 * The mechanical votes of any book: the live book's from the home's run store, a backtest's from its own
 * database (opened for the read; none when the file is gone, said once per file on stderr: a database restored
 * without `$COUNCIL_HOME/backtests`, or shared by another home). Provide it wherever a leaderboard is computed.
 */
export const votesByBook: Layer.Layer<Standings.MechanicalVotes, never, RunStore | AppSettings> = Layer.effect(
  Standings.MechanicalVotes,
  Effect.gen(function*() {
    const home = yield* RunStore
    const dir = yield* backtestsDir
    const missing = new Set<string>()
    const ofBacktest = (file: string, from: TradingDay, to: TradingDay) =>
      Effect.gen(function*() {
        return yield* MechanicalVotes.votesIn(yield* RunStore, from, to)
      }).pipe(
        // fresh: the home's run store is built from the same layer value, and layers are shared by reference
        Effect.provide(Layer.fresh(SqlRunStore.layer).pipe(Layer.provide(Database.layerSqlite(file)))),
        Effect.orElseSucceed(() => undefined)
      )
    return Standings.MechanicalVotes.of({
      between: (book, from, to) => {
        if (book === liveBook) return MechanicalVotes.votesIn(home, from, to)
        const file = join(dir, `${book}.db`)
        if (existsSync(file)) return ofBacktest(file, from, to)
        if (missing.has(file)) return Effect.succeed(undefined)
        missing.add(file)
        return Effect.as(
          Effect.logWarning(
            `backtest ${book}: its database ${file} is missing, so its leaderboard has no mechanical vote (MECHANICAL); restore ${dir} beside the database, or point COUNCIL_HOME at the home that ran it`
          ),
          undefined
        )
      }
    })
  })
)

/**
 * Where a backtest's own database lives, and what reads it: the mechanical votes of a backtest's book come from
 * the backtest's runs, not the home's.
 *
 * Gotcha: the directory is `$COUNCIL_HOME/backtests` also when the main store is PostgreSQL.
 */
import { existsSync } from "node:fs"
import { join, resolve } from "node:path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Database, SqlRunStore } from "@council/store"
import { type BookId, liveBook, MechanicalVotes, Standings } from "@council/tracking"
import { AppSettings } from "./AppConfig.ts"

/** The directory of backtest databases: `$COUNCIL_HOME/backtests`. */
export const backtestsDir = Effect.map(AppSettings, ({ database }) =>
  join(database._tag === "Sqlite" ? database.home : resolve(process.env["COUNCIL_HOME"] ?? ".council"), "backtests"))

/** A backtest's database file. */
export const backtestDatabase = (id: string) => Effect.map(backtestsDir, (dir) => join(dir, `${id}.db`))

const noVotes = Layer.succeed(Standings.MechanicalVotes, Standings.MechanicalVotes.of({ between: () => Effect.succeed(undefined) }))

/**
 * The mechanical votes of `book`'s sessions: for a backtest, read from its own database (none when the file is
 * gone); for the live book, `Layer.empty` (the home's run store, provided by the caller, holds them).
 */
export const mechanicalVotesOf = (book: BookId) =>
  Effect.gen(function*() {
    if (book === liveBook) return Layer.empty
    const file = yield* backtestDatabase(book)
    if (!existsSync(file)) return noVotes
    // fresh: the home's votes and run store are built from the same layer values, and layers are shared by reference
    return Layer.fresh(MechanicalVotes.layerFromRuns).pipe(Layer.provide(Layer.fresh(SqlRunStore.layer)), Layer.provide(Database.layerSqlite(file)), Layer.catch(() => noVotes))
  })

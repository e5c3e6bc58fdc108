/**
 * Where work that holds its commits back may commit: a backtest between two sessions.
 *
 * **When to use**: `Backtest.runBacktest` says `reached` after each session when a `CommitPoints` is in context
 * (a backtest's own database with held commits, `Database.layerSqliteHeld`); without one there is nothing to say.
 * What is held reaches the file there, when enough is (so many transactions, or time), and when the database
 * closes; so the file holds whole sessions only, and a crash (SIGKILL) loses at most the sessions since the last
 * point that committed, which `--resume` runs again.
 *
 * **Gotchas**: say it only where no transaction of the database is under way.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

export class CommitPoints extends Context.Service<CommitPoints, {
  /** A point where the work is whole: commits what is held if it is due. A failed commit is a defect. */
  readonly reached: Effect.Effect<void>
}>()("@council/engine/CommitPoints") {}

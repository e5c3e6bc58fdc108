/**
 * What `POST /api/backtests` calls: the composition root provides `BacktestLauncher`, which starts
 * `pnpm pipeline backtest` (the CLI's, which the server cannot import) and answers once the backtest's book exists;
 * without it the endpoint answers 501. The backtest goes on in the background; its book's status says when it ends.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { StartBacktest } from "@council/api"
import type { BookSummary } from "@council/tracking"

/** Why a backtest did not start: a bad request (`--from` after `--to`, an unknown account, …) in one line. */
export class BacktestLaunchFailure extends Schema.TaggedError<BacktestLaunchFailure>()("BacktestLaunchFailure", {
  message: Schema.String
}) {}

export class BacktestLauncher extends Context.Service<BacktestLauncher, {
  /** Starts a backtest; its book (status `running`) once it is registered. */
  readonly start: (request: typeof StartBacktest.Type) => Effect.Effect<BookSummary, BacktestLaunchFailure>
}>()("@council/server/BacktestLauncher") {}

/**
 * What a stage may know about the run it belongs to.
 *
 * **When to use**: `yield* RunContext` inside a stage to read the trading day, the as-of day, dry-run and the
 * parameters. The `Runner` provides it; tests provide it with `RunContext.layerTest`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Layer from "effect/Layer"
import type { RunId, TradingDay } from "@council/domain"
import type { RecorderMode } from "./RunStore.ts"

export interface RunContextShape {
  /** The run that computes this stage: in a replay of a fork, a stage the fork reused replays as its maker. */
  readonly runId: RunId
  readonly pipeline: string
  readonly tradingDay: TradingDay
  readonly asOf: TradingDay
  readonly mode: RecorderMode
  /** Side-effecting stages must not change the outside world when this is true. */
  readonly dryRun: boolean
  readonly stage: string
  readonly attempt: number
  readonly params: unknown
}

export class RunContext extends Context.Service<RunContext, RunContextShape>()("@council/engine/RunContext") {
  static readonly layerTest = (context: Partial<RunContextShape> & Pick<RunContextShape, "tradingDay">) =>
    Layer.succeed(RunContext, {
      runId: "test-run" as RunId,
      pipeline: "test",
      asOf: context.tradingDay,
      mode: "live",
      dryRun: false,
      stage: "test",
      attempt: 1,
      params: {},
      ...context
    })
}

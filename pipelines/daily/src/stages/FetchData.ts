import * as Effect from "effect/Effect"
import { MarketSnapshot } from "@council/domain"
import { Recorder, RunContext, Stage } from "@council/engine"
import { PM_LOOKBACK_SESSIONS } from "@council/llm"
import { MarketData, MarketDataError } from "@council/market"
import { runTiming } from "../DailyParams.ts"

export const FetchData = Stage.make({
  name: "FetchData",
  description: "market snapshot of what the run's schedule may know",
  dependsOn: [],
  output: MarketSnapshot,
  timeout: "1 minute",
  retry: { times: 2, backoff: "2 seconds" },
  run: () =>
    Effect.gen(function*() {
      const { asOf } = yield* RunContext
      const { at, schedule } = yield* runTiming
      const market = yield* MarketData
      const schemas = { success: MarketSnapshot, failure: MarketDataError }
      if (schedule === "close" && at !== undefined) {
        return yield* Recorder.call(
          "market.snapshotDuring",
          { asOf, at, lookback: PM_LOOKBACK_SESSIONS },
          schemas,
          market.snapshotDuring(asOf, at, PM_LOOKBACK_SESSIONS)
        )
      }
      return yield* Recorder.call(
        "market.snapshot",
        { asOf, lookback: PM_LOOKBACK_SESSIONS },
        schemas,
        market.snapshot(asOf, PM_LOOKBACK_SESSIONS)
      )
    })
})

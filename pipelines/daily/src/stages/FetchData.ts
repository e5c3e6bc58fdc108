import * as Effect from "effect/Effect"
import { MarketSnapshot } from "@council/domain"
import { Recorder, RunContext, Stage } from "@council/engine"
import { PM_LOOKBACK_SESSIONS } from "@council/llm"
import { MarketData, MarketDataError } from "@council/market"

export const FetchData = Stage.make({
  name: "FetchData",
  description: "market snapshot as of the trading day",
  dependsOn: [],
  output: MarketSnapshot,
  timeout: "1 minute",
  retry: { times: 2, backoff: "2 seconds" },
  run: () =>
    Effect.gen(function*() {
      const { asOf } = yield* RunContext
      const market = yield* MarketData
      return yield* Recorder.call(
        "market.snapshot",
        { asOf, lookback: PM_LOOKBACK_SESSIONS },
        { success: MarketSnapshot, failure: MarketDataError },
        market.snapshot(asOf, PM_LOOKBACK_SESSIONS)
      )
    })
})

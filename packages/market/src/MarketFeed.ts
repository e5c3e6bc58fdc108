/**
 * Chooses the `MarketData` feed from the environment: `COUNCIL_DATA=local|alpaca|polygon` (default `local`).
 *
 * **When to use**: the composition root provides `MarketFeed.layerConfig`; `readConfig` + `layer` split the same
 * thing when the selection should be shown or checked first.
 *
 * | `COUNCIL_DATA` | needs | optional |
 * |---|---|---|
 * | `local` | — | `COUNCIL_BARS_DIR` (default: the repository's `data/bars/daily/`) |
 * | `alpaca` | `ALPACA_PERSONAL_KEY_ID`, `ALPACA_PERSONAL_SECRET_KEY` | `COUNCIL_DATA_URL` |
 * | `polygon` | `POLYGON_API_KEY` | `COUNCIL_DATA_URL` |
 *
 * **Gotchas**
 * - Market data uses its own personal key pair, not the trading accounts' paper keys: paper accounts cannot read
 *   history.
 * - A missing key, a variable set to blanks only, an unknown `COUNCIL_DATA` or a `COUNCIL_DATA_URL` that is not an
 *   http(s) URL fails with `MarketFeedConfigError`, whose one-line `message` names the variable (never a value: a
 *   URL may carry a password). An empty variable counts as unset.
 * - `COUNCIL_DATA_URL` replaces the provider's base URL (tests, proxies); the keys are sent to it.
 * - Every feed is as-of safe: nothing dated after the as-of day ever comes back.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as LocalBars from "./LocalBars.ts"
import { MarketData, type MarketDataError } from "./MarketData.ts"
import { MarketFeedConfigError, readConfig, type Selection } from "./MarketFeedConfig.ts"

export { MarketFeedConfigError, readConfig, type Selection, type Source, sources } from "./MarketFeedConfig.ts"

/** The feed for a selection; a remote feed's module (and `effect/http`) is loaded only when it is chosen. */
export const layer = (selection: Selection): Layer.Layer<MarketData, MarketDataError | MarketFeedConfigError> => {
  switch (selection.source) {
    case "local":
      return selection.directory === undefined
        ? LocalBars.layer()
        : LocalBars.layer({ directory: selection.directory }).pipe(
          // a directory given that does not hold bars is the setting's fault (exit 2), not a feed that did not answer
          Layer.catchTag("MarketDataError", (error) =>
            Layer.effect(
              MarketData,
              Effect.fail(new MarketFeedConfigError({ variable: "COUNCIL_BARS_DIR", message: `COUNCIL_BARS_DIR: ${error.message}` }))
            ))
        )
    case "alpaca":
      return Layer.unwrap(Effect.map(
        Effect.promise(() => import("./AlpacaBars.ts")),
        (AlpacaBars) => AlpacaBars.layer({ keyId: selection.keyId, secretKey: selection.secretKey, baseUrl: selection.baseUrl })
      ))
    case "polygon":
      return Layer.unwrap(Effect.map(
        Effect.promise(() => import("./PolygonBars.ts")),
        (PolygonBars) => PolygonBars.layer({ apiKey: selection.apiKey, baseUrl: selection.baseUrl })
      ))
  }
}

/** `MarketData` chosen by `COUNCIL_DATA` and configured from the environment. */
export const layerConfig: Layer.Layer<MarketData, MarketDataError | MarketFeedConfigError> = Layer.unwrap(
  Effect.map(readConfig, layer)
)

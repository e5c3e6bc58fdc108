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
 * - A missing or empty variable, an unknown `COUNCIL_DATA` or a `COUNCIL_DATA_URL` that is not an http(s) URL fails with
 *   `MarketFeedConfigError`, whose one-line `message` names the variable (never a secret's value).
 * - `COUNCIL_DATA_URL` replaces the provider's base URL (tests, proxies); the keys are sent to it.
 * - Every feed is as-of safe: nothing dated after the as-of day ever comes back.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as AlpacaBars from "./AlpacaBars.ts"
import * as LocalBars from "./LocalBars.ts"
import type { MarketData, MarketDataError } from "./MarketData.ts"
import * as PolygonBars from "./PolygonBars.ts"

export class MarketFeedConfigError extends Schema.TaggedError<MarketFeedConfigError>()("MarketFeedConfigError", {
  variable: Schema.String,
  message: Schema.String
}) {}

export const sources = ["local", "alpaca", "polygon"] as const
export type Source = (typeof sources)[number]

/** What `readConfig` found: the feed and its settings. */
export type Selection =
  | { readonly source: "local"; readonly directory: string | undefined }
  | {
    readonly source: "alpaca"
    readonly keyId: Redacted.Redacted<string>
    readonly secretKey: Redacted.Redacted<string>
    readonly baseUrl: string | undefined
  }
  | { readonly source: "polygon"; readonly apiKey: Redacted.Redacted<string>; readonly baseUrl: string | undefined }

const unreadable = (variable: string) => (error: Config.ConfigError) =>
  new MarketFeedConfigError({
    variable,
    message: `cannot read ${variable}: ${error.message.replace(/\s+/g, " ").trim()}`
  })

const optionalString = (variable: string): Effect.Effect<string | undefined, MarketFeedConfigError> =>
  Config.option(Config.String(variable)).pipe(
    Effect.mapError(unreadable(variable)),
    Effect.map((value) => Option.getOrUndefined(Option.filter(Option.map(value, (s) => s.trim()), (s) => s !== "")))
  )

const requiredSecret = (variable: string, source: Source): Effect.Effect<Redacted.Redacted<string>, MarketFeedConfigError> =>
  Config.option(Config.Redacted(variable)).pipe(
    Effect.mapError(unreadable(variable)),
    Effect.flatMap((value) =>
      Option.isSome(value) && Redacted.value(value.value).trim() !== ""
        ? Effect.succeed(value.value)
        : Effect.fail(
          new MarketFeedConfigError({ variable, message: `${variable} is not set (COUNCIL_DATA=${source} needs it)` })
        )
    )
  )

const baseUrl: Effect.Effect<string | undefined, MarketFeedConfigError> = Effect.flatMap(
  optionalString("COUNCIL_DATA_URL"),
  (url) =>
    url === undefined || /^https?:$/.test(URL.parse(url)?.protocol ?? "")
      ? Effect.succeed(url)
      : Effect.fail(
        new MarketFeedConfigError({
          variable: "COUNCIL_DATA_URL",
          message: `COUNCIL_DATA_URL is not an http(s) URL: "${url}"`
        })
      )
)

const isSource = (value: string): value is Source => (sources as ReadonlyArray<string>).includes(value)

/** Reads the feed selection from the `ConfigProvider` (the environment by default). */
export const readConfig: Effect.Effect<Selection, MarketFeedConfigError> = Effect.gen(function*() {
  const raw = (yield* optionalString("COUNCIL_DATA")) ?? "local"
  if (!isSource(raw)) {
    return yield* new MarketFeedConfigError({
      variable: "COUNCIL_DATA",
      message: `COUNCIL_DATA must be one of ${sources.join(", ")} (got "${raw}")`
    })
  }
  switch (raw) {
    case "local":
      return { source: "local", directory: yield* optionalString("COUNCIL_BARS_DIR") }
    case "alpaca":
      return {
        source: "alpaca",
        keyId: yield* requiredSecret("ALPACA_PERSONAL_KEY_ID", raw),
        secretKey: yield* requiredSecret("ALPACA_PERSONAL_SECRET_KEY", raw),
        baseUrl: yield* baseUrl
      }
    case "polygon":
      return { source: "polygon", apiKey: yield* requiredSecret("POLYGON_API_KEY", raw), baseUrl: yield* baseUrl }
  }
})

/** The feed for a selection. */
export const layer = (selection: Selection): Layer.Layer<MarketData, MarketDataError> => {
  switch (selection.source) {
    case "local":
      return LocalBars.layer(selection.directory === undefined ? undefined : { directory: selection.directory })
    case "alpaca":
      return AlpacaBars.layer({ keyId: selection.keyId, secretKey: selection.secretKey, baseUrl: selection.baseUrl })
    case "polygon":
      return PolygonBars.layer({ apiKey: selection.apiKey, baseUrl: selection.baseUrl })
  }
}

/** `MarketData` chosen by `COUNCIL_DATA` and configured from the environment. */
export const layerConfig: Layer.Layer<MarketData, MarketDataError | MarketFeedConfigError> = Layer.unwrap(
  Effect.map(readConfig, layer)
)

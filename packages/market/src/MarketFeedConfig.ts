/**
 * Reads which market data feed the environment chose (`COUNCIL_DATA`, its keys, `COUNCIL_DATA_URL`,
 * `COUNCIL_BARS_DIR`) and checks it, without loading any feed: the CLI checks the whole configuration of every
 * command with it, `runs` and `show` included. `MarketFeed.layer` turns a `Selection` into `MarketData`.
 *
 * **Gotchas**: a missing key, a variable set to blanks only, an unknown `COUNCIL_DATA` or a `COUNCIL_DATA_URL`
 * that is not an http(s) URL fails with `MarketFeedConfigError`, whose one-line `message` names the variable
 * (never a value: a URL may carry a password). An empty variable counts as unset.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as HeaderKey from "@council/io/HeaderKey"
import { quotedValue } from "@council/domain"

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

/** Unset (or empty) is `undefined`; set to blanks only is an error naming the variable. */
const optionalString = (variable: string): Effect.Effect<string | undefined, MarketFeedConfigError> =>
  Config.option(Config.String(variable)).pipe(
    Effect.mapError(unreadable(variable)),
    Effect.flatMap((value) => {
      const text = Option.getOrUndefined(Option.map(value, (s) => s.trim()))
      return text === ""
        ? Effect.fail(new MarketFeedConfigError({ variable, message: `${variable} is set but blank; unset it or give it a value` }))
        : Effect.succeed(text)
    })
  )

const requiredSecret = (variable: string, source: Source): Effect.Effect<Redacted.Redacted<string>, MarketFeedConfigError> =>
  Config.option(Config.Redacted(variable)).pipe(
    Effect.mapError(unreadable(variable)),
    Effect.flatMap((value) => {
      if (Option.isNone(value) || Redacted.value(value.value).trim() === "") {
        return Effect.fail(new MarketFeedConfigError({ variable, message: `${variable} is not set (COUNCIL_DATA=${source} needs it)` }))
      }
      const unsendable = HeaderKey.problem(variable, Redacted.value(value.value))
      return unsendable === undefined ? Effect.succeed(value.value) : Effect.fail(new MarketFeedConfigError({ variable, message: unsendable }))
    })
  )

const baseUrl: Effect.Effect<string | undefined, MarketFeedConfigError> = Effect.flatMap(
  optionalString("COUNCIL_DATA_URL"),
  (url) => {
    const parsed = url === undefined ? undefined : URL.parse(url)
    const problem = url === undefined
      ? undefined
      : !/^https?:$/.test(parsed?.protocol ?? "")
      ? "is not an http(s) URL"
      : parsed?.username !== "" || parsed.password !== ""
      ? "must not contain user:password@ (the keys go in their own variables)"
      : undefined
    return problem === undefined
      ? Effect.succeed(url)
      : Effect.fail(new MarketFeedConfigError({ variable: "COUNCIL_DATA_URL", message: `COUNCIL_DATA_URL ${problem}` }))
  }
)

const isSource = (value: string): value is Source => (sources as ReadonlyArray<string>).includes(value)

/** Reads the feed selection from the `ConfigProvider` (the environment by default). */
export const readConfig: Effect.Effect<Selection, MarketFeedConfigError> = Effect.gen(function*() {
  const raw = (yield* optionalString("COUNCIL_DATA")) ?? "local"
  if (!isSource(raw)) {
    return yield* new MarketFeedConfigError({
      variable: "COUNCIL_DATA",
      message: `COUNCIL_DATA must be one of ${sources.join(", ")} (got ${quotedValue(raw)})`
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

/**
 * Every setting the app reads from the environment, read and checked once — before any database, file or
 * socket is opened. A bad value is one line naming the variable (exit 2) and nothing is written. Imports only the
 * configuration readers (not the brokers, feeds or exchange), so `runs` and `show` check everything and load little.
 */
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { plainDecimal, quotedValue } from "@council/domain"
import { DEFAULT_SCHEDULE, type RunSchedule } from "@council/domain/Schedule"
import * as AccountsConfig from "@council/broker/AccountsConfig"
import * as LiveGuard from "@council/broker/LiveGuard"
import * as LlmSettings from "@council/llm/LlmSettings"
import type * as Prices from "@council/llm/Prices"
import * as MarketFeed from "@council/market/MarketFeedConfig"
import { type ColourEnv, colourEnv } from "@council/notify/ConsoleColour"
import { Database } from "@council/store"
import * as MonitorConfig from "./MonitorConfig.ts"

export { codeVersion } from "./Version.ts"

export class FillModelConfigError extends Schema.TaggedError<FillModelConfigError>()("FillModelConfigError", {
  variable: Schema.String,
  message: Schema.String
}) {}

/** A plain decimal read from `variable` (`fallback` when unset) that `accepts`; anything else is refused as `expected`. */
const numberFrom = (variable: string, fallback: number, accepts: (n: number) => boolean, expected: string): Effect.Effect<number, FillModelConfigError> =>
  Config.option(Config.String(variable)).pipe(
    Effect.orElseSucceed(() => Option.none<string>()),
    Effect.flatMap(Option.match({
      onNone: () => Effect.succeed(fallback),
      onSome: (raw) => {
        const value = plainDecimal(raw)
        return Number.isFinite(value) && accepts(value)
          ? Effect.succeed(value)
          : Effect.fail(new FillModelConfigError({ variable, message: `${variable}: expected ${expected}, got ${quotedValue(raw)}` }))
      }
    }))
  )

const nonNegative = (variable: string, fallback: number) => numberFrom(variable, fallback, (n) => n >= 0, "a number ≥ 0")

const percent = (variable: string, fallback: number) =>
  numberFrom(variable, fallback, (n) => n > 0 && n <= 100, "a percentage above 0 and at most 100")

/**
 * The local exchange's fill model: slippage in basis points, commission per share and minimum per order, and the
 * share of a market order that fills at each open or close (`COUNCIL_PARTIAL_FILL_PCT`, default 100: whole fills).
 */
export const exchangeFillModel = Effect.all({
  slippageBps: nonNegative("COUNCIL_SLIPPAGE_BPS", 5),
  commissionPerShare: nonNegative("COUNCIL_COMMISSION_PER_SHARE", 0),
  commissionMin: nonNegative("COUNCIL_COMMISSION_MIN", 0),
  partialFillPct: percent("COUNCIL_PARTIAL_FILL_PCT", 100)
})

export type FillModel = Effect.Success<typeof exchangeFillModel>

export class SlackConfigError extends Schema.TaggedError<SlackConfigError>()("SlackConfigError", {
  message: Schema.String
}) {}

/** Where notifications go: the console's colour variables, and Slack's webhook when set (checked, never echoed). */
export interface NotifySettings {
  readonly colour: ColourEnv
  readonly slackWebhookUrl: Option.Option<Redacted.Redacted<string>>
}

/** `SLACK_WEBHOOK_URL`, checked by Slack's own rules (their module loaded only when it is set); blanks are refused. */
const notify: Effect.Effect<NotifySettings, SlackConfigError> = Effect.gen(function*() {
  const unreadable = (e: Config.ConfigError) => new SlackConfigError({ message: `cannot read the notifier configuration: ${e.message.split("\n")[0]}` })
  const colour = yield* Effect.mapError(colourEnv, unreadable)
  const url = yield* Config.option(Config.Redacted("SLACK_WEBHOOK_URL")).pipe(Effect.mapError(unreadable))
  if (Option.isSome(url)) {
    if (Redacted.value(url.value).trim() === "") {
      return yield* new SlackConfigError({ message: "SLACK_WEBHOOK_URL is set but blank; unset it or give it a value" })
    }
    const { parseWebhook } = yield* Effect.promise(() => import("@council/notify/SlackWebhook"))
    const parsed = parseWebhook(url.value)
    if (Result.isFailure(parsed)) return yield* new SlackConfigError({ message: parsed.failure })
  }
  return { colour, slackWebhookUrl: url }
})

export class ScheduleConfigError extends Schema.TaggedError<ScheduleConfigError>()("ScheduleConfigError", {
  variable: Schema.String,
  message: Schema.String
}) {}

/** A variable that names one of `values` (`fallback` when unset); any other value is `refused` with its message. */
const oneOf = <const V extends string, E>(
  variable: string,
  values: readonly [V, V, ...Array<V>],
  fallback: V,
  refused: (message: string) => E
): Effect.Effect<V, E> =>
  Config.option(Config.String(variable)).pipe(
    Effect.orElseSucceed(() => Option.none<string>()),
    Effect.flatMap(Option.match({
      onNone: () => Effect.succeed(fallback),
      onSome: (raw) => {
        const value = values.find((v) => v === raw.trim())
        return value !== undefined
          ? Effect.succeed(value)
          : Effect.fail(refused(`${variable}: expected ${values.slice(0, -1).join(", ")} or ${values.at(-1)}, got ${quotedValue(raw)}`))
      }
    }))
  )

/** `COUNCIL_SCHEDULE`: when a day's run decides (`close`, the default, or `after-close`). */
export const runSchedule: Effect.Effect<RunSchedule, ScheduleConfigError> = oneOf(
  "COUNCIL_SCHEDULE",
  ["close", "after-close"],
  DEFAULT_SCHEDULE,
  (message) => new ScheduleConfigError({ variable: "COUNCIL_SCHEDULE", message })
)

/**
 * `COUNCIL_BARS_CACHE`: `off` turns the parsed-bars cache off (`BarsCache` reads the variable as it loads); checked
 * here with the rest, so a typo (`of`, `false`) is refused instead of leaving the cache on.
 */
const barsCache = oneOf(
  "COUNCIL_BARS_CACHE",
  ["on", "off"],
  "on",
  (message) => new MarketFeed.MarketFeedConfigError({ variable: "COUNCIL_BARS_CACHE", message })
)

/** `COUNCIL_LOCK_TTL_SECONDS`: how long a run's lock outlives its last heartbeat (default 60). */
const lockTtlSeconds = numberFrom("COUNCIL_LOCK_TTL_SECONDS", 60, (n) => n >= 1, "a number of seconds ≥ 1")

export interface Settings {
  readonly accounts: AccountsConfig.LoadedAccounts
  readonly feed: MarketFeed.Selection
  readonly fillModel: FillModel
  readonly database: Database.Location
  readonly llm: { readonly settings: LlmSettings.LlmSettings; readonly prices: Prices.PriceTable }
  readonly monitor: MonitorConfig.MonitorSettings
  readonly notify: NotifySettings
  readonly schedule: RunSchedule
  readonly lockTtlSeconds: number
  readonly barsCache: "on" | "off"
  /** `ALPACA_PERSONAL_*` variables set while the feed is not `alpaca`: unused, which the market data's loading says (`Market.ts`). */
  readonly unusedDataKeys: ReadonlyArray<string>
}

/** The checked settings of this invocation. */
export class AppSettings extends Context.Service<AppSettings, Settings>()("@council/cli/AppSettings") {}

/** Alpaca's market data host: the one Alpaca host a feed may be pointed at. */
const ALPACA_DATA_HOST = "data.alpaca.markets"

/**
 * A feed pointed at a live trading host would send keys where real money trades: refused like a LIVE account; so is
 * plain http to an Alpaca host (the keys in clear text), as the LIVE guard refuses it for accounts.
 */
const feed = Effect.flatMap(MarketFeed.readConfig, (selection) =>
  selection.source !== "local" && selection.baseUrl !== undefined && LiveGuard.isAlpacaUrl(selection.baseUrl) &&
    URL.parse(selection.baseUrl.trim())?.protocol === "http:"
    ? Effect.fail(
      new MarketFeed.MarketFeedConfigError({
        variable: "COUNCIL_DATA_URL",
        message: `COUNCIL_DATA_URL is Alpaca's host (${LiveGuard.hostOf(selection.baseUrl)}) over plain http: its keys would cross the network in clear text; use https://`
      })
    )
    : selection.source !== "local" && selection.baseUrl !== undefined && LiveGuard.isLiveUrl(selection.baseUrl) &&
        LiveGuard.hostOf(selection.baseUrl) !== ALPACA_DATA_HOST
    ? Effect.fail(
      new MarketFeed.MarketFeedConfigError({
        variable: "COUNCIL_DATA_URL",
        message: `COUNCIL_DATA_URL points at an Alpaca trading host (${LiveGuard.hostOf(selection.baseUrl)}); market data comes from ${ALPACA_DATA_HOST} (unset COUNCIL_DATA_URL)`
      })
    )
    : Effect.succeed(selection))

/** The seed's market-data keys: read only by `COUNCIL_DATA=alpaca`. */
const DATA_KEYS = ["ALPACA_PERSONAL_KEY_ID", "ALPACA_PERSONAL_SECRET_KEY"] as const

/** Which of `DATA_KEYS` are set (not empty) while `feed` is another source: a user who set them expects them used. */
const unusedDataKeys = (selection: MarketFeed.Selection) =>
  selection.source === "alpaca"
    ? Effect.succeed([])
    : Effect.filter(DATA_KEYS, (name) =>
      Config.option(Config.Redacted(name)).pipe(
        Effect.map((value) => Option.isSome(value) && Redacted.value(value.value).trim() !== ""),
        Effect.orElseSucceed(() => false)
      ))

/** The LLM settings and the price table they name. */
const llm = Effect.flatMap(LlmSettings.read, (settings) => Effect.map(LlmSettings.prices(settings), (prices) => ({ settings, prices })))

/** Reads and checks every variable (accounts and the LIVE rule, market feed, fill model, database, LLMs, monitor, notifier, schedule). */
export const load = Effect.all({
  accounts: AccountsConfig.load,
  feed,
  fillModel: exchangeFillModel,
  database: Database.location,
  llm,
  monitor: MonitorConfig.read,
  notify,
  schedule: runSchedule,
  lockTtlSeconds,
  barsCache
}).pipe(Effect.flatMap((settings) => Effect.map(unusedDataKeys(settings.feed), (unused) => ({ ...settings, unusedDataKeys: unused }))))

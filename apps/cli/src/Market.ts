/**
 * The market data feed the settings chose: a module of its own so the commands that read the ledger (and SPY's
 * closes) load it without the trading stack of `AppLayer` (brokers, exchange, council).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { MarketFeed } from "@council/market"
import { AppSettings } from "./AppConfig.ts"

/** The feed alone (the monitor's book worker: the process that started it has said what it had to). */
export const marketFeed = Layer.unwrap(AppSettings.use((s) => Effect.succeed(MarketFeed.layer(s.feed))))

/**
 * The feed, and one line on stderr when `ALPACA_PERSONAL_*` are set but another feed was chosen: the keys are not
 * used, and the user is told how to use them (no key is printed).
 */
export const market = Layer.unwrap(AppSettings.use((s) =>
  s.unusedDataKeys.length === 0 ? Effect.succeed(marketFeed) : Effect.as(Console.error(unusedKeysLine(s.unusedDataKeys, s.feed.source)), marketFeed)
))

export const unusedKeysLine = (variables: ReadonlyArray<string>, source: string) =>
  `warning: ${variables.join(" and ")} ${variables.length === 1 ? "is" : "are"} set but not used: market data comes from ${
    source === "local" ? "the bundled bars (COUNCIL_DATA unset or local)" : `COUNCIL_DATA=${source}`
  }; set COUNCIL_DATA=alpaca to read it from Alpaca with these keys, or unset them`

/**
 * The market data feed the settings chose: a module of its own so the commands that read the ledger (and SPY's
 * closes) load it without the trading stack of `AppLayer` (brokers, exchange, council).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { MarketFeed } from "@council/market"
import { AppSettings } from "./AppConfig.ts"

export const market = Layer.unwrap(AppSettings.use((s) => Effect.succeed(MarketFeed.layer(s.feed))))

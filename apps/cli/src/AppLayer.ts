/**
 * The composition root: which layer provides each service, chosen from configuration. Nothing else here.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import { type AccountId, TradingDay } from "@council/domain"
import { AccountManager, AccountsConfig, RoutedBrokers, TradingAccounts } from "@council/broker"
import { ExchangeSession, LocalExchange } from "@council/exchange"
import { Chairman, PortfolioManagers } from "@council/llm"
import { MarketData, MarketFeed } from "@council/market"
import { Notifier } from "@council/notify"
import { exchangeFillModel } from "./AppConfig.ts"
import { storage } from "./Storage.ts"

/** What running, replaying and trading need: the run store, the market feed, the configured accounts. */
export const setup = Layer.mergeAll(storage, MarketFeed.layerConfig, AccountsConfig.layer)

/** How the services of a run were chosen, remembered in the run's parameters. */
export const describe = Effect.gen(function*() {
  const feed = yield* MarketFeed.readConfig
  const { all } = yield* TradingAccounts
  const keyed = all.filter((a) => a.credentials !== undefined).length
  const broker = keyed === 0 ? "local-exchange" : keyed === all.length ? "alpaca" : "alpaca+local-exchange"
  return { broker, data: feed.source, pms: "offline" }
})

/** The in-process exchange, with the fill model from the environment and each account's shorting permission. */
const localExchange = Layer.unwrap(Effect.gen(function*() {
  const fillModel = yield* exchangeFillModel
  const { all } = yield* TradingAccounts
  const allowShorting = (id: AccountId) => all.find((a) => a.id === id)?.settings.allowShorting ?? true
  return LocalExchange.layer({ ...fillModel, allowShorting })
}))

const brokers = (day: TradingDay | undefined) =>
  AccountManager.layer.pipe(
    Layer.provideMerge(RoutedBrokers.layer(day)),
    Layer.provideMerge(LocalExchange.layerVenue),
    Layer.provideMerge(localExchange),
    Layer.provide(FetchHttpClient.layer)
  )

const council = Layer.mergeAll(PortfolioManagers.layerOffline, Chairman.layerOffline, Notifier.layerConsole)

/** Everything a run of the trading day `day` needs beyond `setup`. */
export const trading = (day: TradingDay) =>
  Layer.mergeAll(council, brokers(day).pipe(Layer.provide(ExchangeSession.layer(day))))

/**
 * Brokers for reading and managing accounts outside a run: the local exchange stays at the latest session any
 * account reached (so looking never moves the ledger past a day that has not been run).
 */
export const inspecting = Layer.unwrap(Effect.gen(function*() {
  const latest = yield* MarketData.use((m) => m.latestTradingDay)
  const session = yield* Ref.make(latest)
  const settle = Layer.effectDiscard(Effect.gen(function*() {
    const exchange = yield* LocalExchange
    const keys = yield* exchange.keys.pipe(Effect.orElseSucceed(() => []))
    const reached = keys.flatMap((k) => (k.lastSession === null ? [] : [k.lastSession])).sort().at(-1)
    if (reached !== undefined) yield* Ref.set(session, TradingDay.make(reached))
  }))
  const inspected = brokers(undefined)
  return Layer.mergeAll(inspected, settle.pipe(Layer.provide(inspected))).pipe(
    Layer.provide(ExchangeSession.layerRef(session))
  )
})).pipe(Layer.orDie)


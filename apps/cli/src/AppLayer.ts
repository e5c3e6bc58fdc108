/**
 * The composition root: which layer provides each service, chosen from the checked settings. Nothing else here.
 * The settings and the store (`configured`, `storage`) live in `Storage.ts`, the market feed (`market`) in
 * `Market.ts`, for the commands that need no more.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import type * as SqlClient from "effect/sql/SqlClient"
import { type AccountId, TradingDay } from "@council/domain"
import { AccountManager, RoutedBrokers, TradingAccounts } from "@council/broker"
import { ExchangeSession, LocalExchange } from "@council/exchange"
import { Chairman, LlmBudget, PortfolioManagers } from "@council/llm"
import { MarketData } from "@council/market"
import { Notifier } from "@council/notify/Notifier"
import { TradeLedger } from "@council/tracking"
import { AppSettings } from "./AppConfig.ts"
import { storage } from "./Storage.ts"

export { market } from "./Market.ts"
export { configured, storage } from "./Storage.ts"

/** How the services of a run were chosen, remembered in the run's parameters. */
export const describe = Effect.gen(function*() {
  const { feed } = yield* AppSettings
  const { all } = yield* TradingAccounts
  const keyed = all.filter((a) => a.credentials !== undefined).length
  const broker = keyed === 0 ? "local-exchange" : keyed === all.length ? "alpaca" : "alpaca+local-exchange"
  return { broker, data: feed.source, pms: "offline" }
})

/** The in-process exchange, with the checked fill model and each account's shorting permission. */
const localExchange = Layer.unwrap(Effect.gen(function*() {
  const { fillModel } = yield* AppSettings
  const { all } = yield* TradingAccounts
  const allowShorting = (id: AccountId) => all.find((a) => a.id === id)?.settings.allowShorting ?? true
  return LocalExchange.layer({ ...fillModel, allowShorting })
}))

/** `fetch` for the Alpaca adapter: loaded only when an account has credentials (see `RoutedBrokers`). */
const http = Layer.unwrap(Effect.promise(() => import("effect/http/FetchHttpClient")).pipe(Effect.map((m) => m.layer)))

const brokers = (day: TradingDay | undefined) =>
  AccountManager.layer.pipe(
    Layer.provideMerge(RoutedBrokers.layer(day, http)),
    Layer.provideMerge(LocalExchange.layerVenue),
    Layer.provideMerge(localExchange)
  )

/** The PMs and the chairman of a run, with their budget; the spend ledger needs the store's database. */
export type CouncilLayer = Layer.Layer<PortfolioManagers | Chairman | LlmBudget, never, SqlClient.SqlClient>

/** The offline stand-ins: no model asked, nothing spent. */
export const offlineCouncil: CouncilLayer = Layer.mergeAll(PortfolioManagers.layerOffline, Chairman.layerOffline, LlmBudget.layerUnlimited)

/**
 * Everything a run of the trading day `day` needs beyond the settings, the market and the store; `council` seats
 * the PMs and the chairman (default: the offline stand-ins, enough for checks that ask no model).
 */
export const trading = (day: TradingDay, council: CouncilLayer = offlineCouncil) =>
  Layer.mergeAll(council, Notifier.layerConsole, TradeLedger.layer, brokers(day).pipe(Layer.provide(ExchangeSession.layer(day))))

/** `trading(day, council)` over the store: `"empty"` to check before acting (a fresh home stays untouched), `"create"` to act. */
export const tradingWith = (day: TradingDay, missing: "create" | "empty", council?: CouncilLayer) =>
  trading(day, council).pipe(Layer.provideMerge(storage(missing)))

/** Whether every configured account trades through an Alpaca-compatible API (no local ledger needed). */
export const allRemote = TradingAccounts.use(({ all }) => Effect.succeed(all.every((a) => a.credentials !== undefined)))

/**
 * Brokers for reading and managing accounts outside a run: the local exchange stays at the latest session any
 * account reached (so looking never moves the ledger past a day that has not been run). By default its store is
 * created only when some account lives on the local exchange.
 */
export const inspecting = (missing?: "create" | "empty") => Layer.unwrap(Effect.gen(function*() {
  const latest = yield* MarketData.use((m) => m.latestTradingDay)
  const session = yield* Ref.make(latest)
  const settle = Layer.effectDiscard(Effect.gen(function*() {
    const exchange = yield* LocalExchange
    const keys = yield* exchange.keys.pipe(Effect.orElseSucceed(() => []))
    const reached = keys.flatMap((k) => (k.lastSession === null ? [] : [k.lastSession])).sort().at(-1)
    if (reached !== undefined) yield* Ref.set(session, TradingDay.make(reached))
  }))
  const inspected = brokers(undefined)
  const store = missing ?? ((yield* allRemote) ? "empty" : "create")
  return Layer.mergeAll(inspected, settle.pipe(Layer.provide(inspected))).pipe(
    Layer.provide(ExchangeSession.layerRef(session)),
    Layer.provideMerge(storage(store))
  )
}))

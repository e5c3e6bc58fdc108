/**
 * The composition root: which layer provides each service, chosen from the checked settings. Nothing else here.
 * The settings and the store (`configured`, `storage`) live in `Storage.ts`, the market feed (`market`) in
 * `Market.ts`, for the commands that need no more.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as SqlClient from "effect/sql/SqlClient"
import {
  type AccountId,
  closeOf,
  formatMoment,
  type MarketSnapshot,
  momentAt,
  type NewYorkMoment,
  REGULAR_OPEN,
  secondsOf,
  TradingDay
} from "@council/domain"
import { AccountManager, ReferencePrices, RoutedBrokers, TradingAccounts } from "@council/broker"
import { Calendar, ExchangeSession, LocalExchange } from "@council/exchange"
import { Chairman, LlmBudget, PortfolioManagers } from "@council/llm"
import { MarketData } from "@council/market"
import { colourEnabled } from "@council/notify/ConsoleColour"
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

/**
 * The safety broker's prices: the latest the market data knows at the exchange's present (a run's moment) — during
 * a session what a \`close\` run's snapshot knows of it (from recorded bars the open, from a live feed the latest
 * trade; never the close), otherwise the close of the last complete session. One snapshot per moment, shared by
 * every account's safety broker (a live feed is asked once).
 */
export const referencePrices = Layer.effect(
  ReferencePrices,
  Effect.gen(function*() {
    const market = yield* MarketData
    const exchange = yield* LocalExchange
    const complete = Effect.flatMap(exchange.point, (point) => market.snapshot(point.session, 1))
    const snapshotAt = (now: NewYorkMoment) => {
      const day = TradingDay.make(now.day)
      const during = now.seconds >= secondsOf(REGULAR_OPEN)! && now.seconds < Calendar.closeSecondsOf(day)
      return during ? Effect.catch(market.snapshotDuring(day, formatMoment(now), 1), () => complete) : complete
    }
    const known = new Map<string, MarketSnapshot>()
    const snapshotNow = Effect.gen(function*() {
      const now = yield* exchange.now
      const key = formatMoment(now)
      const cached = known.get(key)
      if (cached !== undefined) return cached
      const snapshot = yield* snapshotAt(now)
      known.set(key, snapshot)
      return snapshot
    })
    return ReferencePrices.of({
      of: (symbols) =>
        snapshotNow.pipe(
          Effect.map((snapshot) =>
            new Map(snapshot.history.filter((h) => symbols.includes(h.symbol)).flatMap((h) => {
              const price = closeOf(snapshot, h.symbol)
              return price === undefined ? [] : [[h.symbol as string, price] as const]
            }))
          ),
          Effect.orElseSucceed(() => new Map<string, number>())
        )
    })
  })
)

/** The brokers, each through its safety broker; `moment` (a run's) is sent to local exchange servers as the session header. */
const brokers = (moment: NewYorkMoment | undefined) =>
  AccountManager.layer.pipe(
    Layer.provideMerge(RoutedBrokers.layer(moment === undefined ? undefined : formatMoment(moment), http)),
    Layer.provide(referencePrices),
    Layer.provideMerge(LocalExchange.layerVenue),
    Layer.provideMerge(localExchange)
  )

/** The PMs and the chairman of a run, with their budget; the spend ledger needs the store's database. */
export type CouncilLayer = Layer.Layer<PortfolioManagers | Chairman | LlmBudget, never, SqlClient.SqlClient>

/** The offline stand-ins: no model asked, nothing spent. */
export const offlineCouncil: CouncilLayer = Layer.mergeAll(PortfolioManagers.layerOffline, Chairman.layerOffline, LlmBudget.layerUnlimited)

/**
 * The notifier: the console on stderr (coloured on a colour terminal unless `NO_COLOR`), and Slack in the background
 * when `SLACK_WEBHOOK_URL` is set — its module is loaded only then.
 */
export const notifier = Layer.unwrap(AppSettings.use(({ notify }) => {
  const colour = colourEnabled(notify.colour, process.stderr)
  if (Option.isNone(notify.slackWebhookUrl)) return Effect.succeed(Notifier.layerConsoleWith({ colour }))
  const slackWebhookUrl = notify.slackWebhookUrl.value
  return Effect.map(Effect.promise(() => import("@council/notify/NotifierConfig")), (NotifierConfig) =>
    NotifierConfig.layerRun({ colour, slackWebhookUrl }).pipe(Layer.orDie))
}))

/** The notifier's console alone (stderr, coloured as `notifier`'s): for what Slack heard once already. */
export const consoleNotifier = Layer.unwrap(AppSettings.use(({ notify }) =>
  Effect.succeed(Notifier.layerConsoleWith({ colour: colourEnabled(notify.colour, process.stderr) }))))

/**
 * Slack alone (`None` without `SLACK_WEBHOOK_URL`): for a failure whose one line stderr carries already — bad input
 * is said in one line there — but which an unattended run's operator, who reads Slack, must hear of.
 */
export const slackAlone = AppSettings.use(({ notify }) =>
  Effect.succeed(Option.map(notify.slackWebhookUrl, (slackWebhookUrl) =>
    Layer.unwrap(Effect.map(Effect.promise(() => import("@council/notify/NotifierConfig")), (NotifierConfig) =>
      NotifierConfig.layerRun({ colour: false, slackWebhookUrl, console: false }).pipe(Layer.orDie))))))

/**
 * Everything a run at `moment` (its as-of moment: the local exchange's present) needs beyond the settings, the
 * market and the store; `council` seats the PMs and the chairman (default: the offline stand-ins, enough for
 * checks that ask no model).
 */
export const trading = (moment: NewYorkMoment, council: CouncilLayer = offlineCouncil) =>
  Layer.mergeAll(council, notifier, TradeLedger.layer, brokers(moment).pipe(Layer.provide(ExchangeSession.layer(moment))))

/** `trading(moment, council)` over the store: `"empty"` to check before acting (a fresh home stays untouched), `"create"` to act. */
export const tradingWith = (moment: NewYorkMoment, missing: "create" | "empty", council?: CouncilLayer) =>
  trading(moment, council).pipe(Layer.provideMerge(storage(missing)))

/** Brokers and a store that writes nothing, to read a real clock before a run's moment is known. */
export const probing = Layer.unwrap(
  MarketData.use((m) => m.latestTradingDay).pipe(
    Effect.map((day) => tradingWith(Calendar.momentOfPoint({ session: day, phase: "closed" }), "empty"))
  )
)

/** Whether every configured account trades through an Alpaca-compatible API (no local ledger needed). */
export const allRemote = TradingAccounts.use(({ all }) => Effect.succeed(all.every((a) => a.credentials !== undefined)))

/**
 * Brokers for reading and managing accounts outside a run: the local exchange stays at the latest point in time
 * any account reached (so looking never moves the ledger past a moment that has not been run; before any run,
 * before the open of the latest session). That point is read again at every call, so a long-lived process (the
 * monitor) follows the days other processes run. By default its store is created only when some account lives on
 * the local exchange.
 */
export const inspecting = (missing?: "create" | "empty") => Layer.unwrap(Effect.gen(function*() {
  const latest = yield* MarketData.use((m) => m.latestTradingDay)
  // before the latest session's open: accounts created by looking can still run that day at any moment
  const session = yield* Ref.make(momentAt(latest, "09:00"))
  // set once the exchange is built (it reads its present through the session below)
  const catchUp = yield* Ref.make<Effect.Effect<void>>(Effect.void)
  const settle = Layer.effectDiscard(Effect.gen(function*() {
    const exchange = yield* LocalExchange
    const toReached = Effect.gen(function*() {
      const keys = yield* exchange.keys.pipe(Effect.orElseSucceed(() => []))
      const reached = keys.map((k) => k.point).reduce<Calendar.SessionPoint | undefined>(
        (latest, point) => (latest === undefined || Calendar.pointBefore(latest, point) ? point : latest),
        undefined
      )
      if (reached !== undefined) yield* Ref.set(session, Calendar.momentOfPoint(reached))
    })
    yield* toReached
    yield* Ref.set(catchUp, toReached)
  }))
  const present = Layer.succeed(ExchangeSession, { current: Effect.flatten(Ref.get(catchUp)).pipe(Effect.andThen(Ref.get(session))) })
  const inspected = brokers(undefined)
  const store = missing ?? ((yield* allRemote) ? "empty" : "create")
  return Layer.mergeAll(inspected, settle.pipe(Layer.provide(inspected))).pipe(
    Layer.provide(present),
    Layer.provideMerge(storage(store))
  )
}))

/**
 * `Brokers` for the configured accounts, each routed to the venue its configuration names: an account with
 * credentials trades through the Alpaca adapter (Alpaca's paper or live host, or any Alpaca-compatible base URL such
 * as `pnpm pipeline exchange serve`); an account without trades on the local exchange in-process.
 *
 * **When to use**: the composition root provides `RoutedBrokers.layer(session, http)` with `TradingAccounts` and
 * `LocalVenue` (the in-process exchange, `@council/exchange`); `http` is built only when an account has credentials.
 *
 * **Gotchas**
 * - This is the one router, and both routes take only `GuardedAccount`s (`TradingAccounts` holds nothing else): the
 *   Alpaca client checks the guard again, and the venue is handed keyless accounts only.
 * - Every broker it hands out — through `Brokers` and through the `AlpacaBroker` it provides — is the account's
 *   broker decorated by the safety broker (`SafetyBroker.decorate`, one per account, kept for the layer's life),
 *   so an order that breaks the account's rules never reaches a venue, whoever sends it. Prices for those checks
 *   come from `ReferencePrices`.
 * - The Alpaca adapter (and `http`) is loaded only when some account has credentials, so a run on the local exchange
 *   loads neither. When it is, the context also holds `AlpacaBroker` (`@council/broker/Alpaca`), for what only
 *   Alpaca has (its clock): read it with `Effect.serviceOption`. Its brokers are the decorated ones, without the
 *   raw HTTP client.
 * - `session` (the run's moment, RFC 3339 with the New York offset) is sent as the `X-Council-Session` header to
 *   Alpaca-compatible servers that are not Alpaca's own hosts, so a local exchange server trades at the run's
 *   moment; Alpaca itself never sees the header (its clock is real).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as HttpClient from "effect/http/HttpClient"
import type { AccountConfig, AccountId } from "@council/domain"
import type { AlpacaAccountBroker, AlpacaBrokerOptions } from "./alpaca/AlpacaBroker.ts"
import { type BrokerError, Brokers, unknownAccount } from "./Broker.ts"
import * as LiveGuard from "./LiveGuard.ts"
import { LocalVenue, SESSION_HEADER } from "./LocalVenue.ts"
import * as SafetyBroker from "./SafetyBroker.ts"
import { TradingAccounts } from "./TradingAccounts.ts"

/** Each account's client options: its own rate limit, and the session header for a non-Alpaca server. */
export const clientOptions = (accounts: ReadonlyArray<AccountConfig>, session: string | undefined): AlpacaBrokerOptions => ({
  perAccount: Object.fromEntries(accounts.map((a) => [a.id, {
    ...(a.rateLimitPerMinute === undefined ? {} : { rateLimit: { limit: a.rateLimitPerMinute } }),
    ...(session !== undefined && a.baseUrl !== undefined && !LiveGuard.isAlpacaUrl(a.baseUrl)
      ? { headers: { [SESSION_HEADER]: session } }
      : {})
  }]))
})

type AlpacaRoute = (account: AccountId) => Effect.Effect<AlpacaAccountBroker, BrokerError>

/** One safety broker per account, made on first use: the only brokers this module hands out. */
const safeRoutes = (
  all: ReadonlyArray<LiveGuard.GuardedAccount>,
  venue: LocalVenue["Service"],
  alpaca: AlpacaRoute,
  prices: SafetyBroker.ReferencePrices["Service"]
) => {
  const ids = all.map((a) => a.id)
  const made = new Map<AccountId, SafetyBroker.SafeBroker>()
  const madeAlpaca = new Map<AccountId, SafetyBroker.SafeBroker<AlpacaAccountBroker>>()
  const remote = (config: LiveGuard.GuardedAccount) =>
    Effect.suspend(() => {
      const done = madeAlpaca.get(config.id)
      if (done !== undefined) return Effect.succeed(done)
      return Effect.map(alpaca(config.id), ({ client: _client, ...raw }) => {
        const safe = SafetyBroker.decorate(config, raw, prices)
        madeAlpaca.set(config.id, safe)
        return safe
      })
    })
  const get = (id: AccountId): Effect.Effect<SafetyBroker.SafeBroker, BrokerError> =>
    Effect.suspend(() => {
      const config = all.find((a) => a.id === id)
      if (config === undefined) return Effect.fail(unknownAccount(id, ids))
      if (config.credentials !== undefined) return remote(config)
      const done = made.get(id) ?? SafetyBroker.decorate(config, venue.broker(config), prices)
      made.set(id, done)
      return Effect.succeed(done)
    })
  const getAlpaca = (id: AccountId) => {
    const config = all.find((a) => a.id === id && a.credentials !== undefined)
    return config === undefined ? Effect.fail(unknownAccount(id, [])) : remote(config)
  }
  return { brokers: Brokers.of({ accounts: ids, get }), getAlpaca }
}

export const layer = (
  session: string | undefined,
  http: Layer.Layer<HttpClient.HttpClient>
): Layer.Layer<Brokers, never, TradingAccounts | LocalVenue | SafetyBroker.ReferencePrices> =>
  Layer.unwrap(Effect.gen(function*() {
    const { all } = yield* TradingAccounts
    const venue = yield* LocalVenue
    const prices = yield* SafetyBroker.ReferencePrices
    if (all.every((a) => a.credentials === undefined)) {
      return Layer.succeed(Brokers, safeRoutes(all, venue, (id) => Effect.fail(unknownAccount(id, [])), prices).brokers)
    }
    const { AlpacaBroker } = yield* Effect.promise(() => import("./alpaca/AlpacaBroker.ts"))
    const routes = AlpacaBroker.use((alpaca) => Effect.succeed(safeRoutes(all, venue, alpaca.get, prices)))
    const raw = AlpacaBroker.layer(all, clientOptions(all, session)).pipe(Layer.provide(http))
    return Layer.unwrap(Effect.map(routes, ({ brokers, getAlpaca }) =>
      Layer.mergeAll(
        Layer.succeed(Brokers, brokers),
        Layer.succeed(AlpacaBroker, AlpacaBroker.of({ accounts: all.filter((a) => a.credentials !== undefined).map((a) => a.id), get: getAlpaca }))
      ))).pipe(Layer.provide(raw))
  }))

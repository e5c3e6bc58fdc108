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
 * - The Alpaca adapter (and `http`) is loaded only when some account has credentials, so a run on the local exchange
 *   loads neither. When it is, the context also holds `AlpacaBroker` (`@council/broker/Alpaca`), for what only
 *   Alpaca has (its clock): read it with `Effect.serviceOption`.
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
import type { AlpacaBrokerOptions } from "./alpaca/AlpacaBroker.ts"
import { type Broker, type BrokerError, Brokers, unknownAccount } from "./Broker.ts"
import * as LiveGuard from "./LiveGuard.ts"
import { LocalVenue, SESSION_HEADER } from "./LocalVenue.ts"
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

type AlpacaRoute = (account: AccountId) => Effect.Effect<Broker, BrokerError>

const route = (all: ReadonlyArray<LiveGuard.GuardedAccount>, venue: LocalVenue["Service"], alpaca: AlpacaRoute) => {
  const ids = all.map((a) => a.id)
  return Brokers.of({
    accounts: ids,
    get: (id) => {
      const config = all.find((a) => a.id === id)
      if (config === undefined) return Effect.fail(unknownAccount(id, ids))
      return config.credentials === undefined ? Effect.succeed(venue.broker(config)) : alpaca(id)
    }
  })
}

export const layer = (
  session: string | undefined,
  http: Layer.Layer<HttpClient.HttpClient>
): Layer.Layer<Brokers, never, TradingAccounts | LocalVenue> =>
  Layer.unwrap(Effect.gen(function*() {
    const { all } = yield* TradingAccounts
    const venue = yield* LocalVenue
    if (all.every((a) => a.credentials === undefined)) {
      return Layer.succeed(Brokers, route(all, venue, (id) => Effect.fail(unknownAccount(id, []))))
    }
    const { AlpacaBroker } = yield* Effect.promise(() => import("./alpaca/AlpacaBroker.ts"))
    return Layer.effect(Brokers, AlpacaBroker.use((alpaca) => Effect.succeed(route(all, venue, alpaca.get)))).pipe(
      Layer.provideMerge(AlpacaBroker.layer(all, clientOptions(all, session))),
      Layer.provide(http)
    )
  }))

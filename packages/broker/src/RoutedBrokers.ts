/**
 * `Brokers` for the configured accounts, each routed to the venue its configuration names: an account with
 * credentials trades through the Alpaca adapter (Alpaca's paper or live host, or any Alpaca-compatible base URL such
 * as `pnpm pipeline exchange serve`); an account without trades on the local exchange in-process.
 *
 * **When to use**: the composition root provides `RoutedBrokers.layer(session)` with `TradingAccounts`,
 * `LocalVenue` (the in-process exchange, `@council/exchange`) and an `HttpClient`.
 *
 * **Gotchas**: `session` is sent as the `X-Council-Session` header to Alpaca-compatible servers that are not
 * Alpaca's own hosts, so a local exchange server trades the run's day; Alpaca itself never sees the header.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as HttpClient from "effect/http/HttpClient"
import type { AccountConfig, TradingDay } from "@council/domain"
import { AlpacaBroker, type AlpacaBrokerOptions } from "./alpaca/AlpacaBroker.ts"
import { Brokers, unknownAccount } from "./Broker.ts"
import { LocalVenue, SESSION_HEADER } from "./LocalVenue.ts"
import * as LiveGuard from "./LiveGuard.ts"
import { TradingAccounts } from "./TradingAccounts.ts"

/** Each account's client options: its own rate limit, and the session header for a non-Alpaca server. */
export const clientOptions = (accounts: ReadonlyArray<AccountConfig>, session: TradingDay | undefined): AlpacaBrokerOptions => ({
  perAccount: Object.fromEntries(accounts.map((a) => [a.id, {
    ...(a.rateLimitPerMinute === undefined ? {} : { rateLimit: { limit: a.rateLimitPerMinute } }),
    ...(session !== undefined && a.baseUrl !== undefined && !LiveGuard.isAlpacaUrl(a.baseUrl)
      ? { headers: { [SESSION_HEADER]: session } }
      : {})
  }]))
})

export const layer = (
  session: TradingDay | undefined
): Layer.Layer<Brokers | AlpacaBroker, never, TradingAccounts | LocalVenue | HttpClient.HttpClient> =>
  Layer.effect(
    Brokers,
    Effect.gen(function*() {
      const { all } = yield* TradingAccounts
      const alpaca = yield* AlpacaBroker
      const venue = yield* LocalVenue
      const ids = all.map((a) => a.id)
      return Brokers.of({
        accounts: ids,
        get: (id) => {
          const config = all.find((a) => a.id === id)
          if (config === undefined) return Effect.fail(unknownAccount(id, ids))
          return config.credentials === undefined ? Effect.succeed(venue.broker(config)) : alpaca.get(id)
        }
      })
    })
  ).pipe(
    Layer.provideMerge(Layer.unwrap(TradingAccounts.use(({ all }) => Effect.succeed(AlpacaBroker.layer(all, clientOptions(all, session))))))
  )

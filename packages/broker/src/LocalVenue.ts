/**
 * How this package reaches the local paper exchange (`@council/exchange`) without depending on it: in-process
 * through the `LocalVenue` service, over HTTP through Alpaca's API plus the `X-Council-Session` header.
 *
 * **When to use**: `RoutedBrokers` asks `LocalVenue` for the broker of every account without credentials; the
 * composition root provides it with `LocalExchange.layerVenue` from `@council/exchange`.
 *
 * **Gotchas**: the venue is handed only accounts that passed the LIVE guard (`GuardedAccount`, the same type an
 * Alpaca client demands), and only keyless ones: `RoutedBrokers` is the one router, and an account with
 * credentials never reaches the venue.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type { Broker } from "./Broker.ts"
import type { GuardedAccount } from "./LiveGuard.ts"

/** The in-process venue of accounts without credentials. */
export class LocalVenue extends Context.Service<LocalVenue, {
  /** The broker of one guarded, keyless account on the venue (created on first use). */
  readonly broker: (account: GuardedAccount) => Broker
}>()("@council/broker/LocalVenue") {}

/**
 * The request header with which a client tells a local exchange server the moment it trades at: an RFC 3339
 * timestamp (`2026-06-08T15:45:00-04:00`), or a session day alone (`YYYY-MM-DD`: 15:45 of it).
 */
export const SESSION_HEADER = "X-Council-Session"

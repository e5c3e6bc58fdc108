/**
 * Which simulated trading session the local exchange is at, and the clock of a session.
 *
 * **When to use**: the composition root provides `ExchangeSession.layer(tradingDay)` for a run; a long-lived
 * exchange server can use `layerRef` (advance the `Ref` between days) or `layerLatest` (the feed's last session).
 *
 * **Gotchas**
 * - The session is read on every exchange call, so a `Ref`-backed session moves the exchange forward without
 *   rebuilding it. Moving it backwards fails the calls with `InvalidRequest` (the ledger never rewinds).
 * - Orders are placed "at the close" of the session: market orders fill at its close, timestamps are the
 *   session's 16:00 New York time (`closeTimestamp`).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import type { TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import { BrokerError } from "@council/broker"
import { newYorkOffset } from "./NewYorkTime.ts"

export class ExchangeSession extends Context.Service<ExchangeSession, {
  readonly current: Effect.Effect<TradingDay, BrokerError>
}>()("@council/exchange/ExchangeSession") {
  /** A fixed session: the run's trading day. */
  static readonly layer = (day: TradingDay): Layer.Layer<ExchangeSession> =>
    Layer.succeed(ExchangeSession, { current: Effect.succeed(day) })

  /** The session in a `Ref`, for a long-lived exchange (or a test) that moves from day to day. */
  static readonly layerRef = (ref: Ref.Ref<TradingDay>): Layer.Layer<ExchangeSession> =>
    Layer.succeed(ExchangeSession, { current: Ref.get(ref) })

  /** The latest session the market data has. */
  static readonly layerLatest: Layer.Layer<ExchangeSession, never, MarketData> = Layer.effect(
    ExchangeSession,
    Effect.gen(function*() {
      const market = yield* MarketData
      return {
        current: market.latestTradingDay.pipe(
          Effect.mapError((error) =>
            new BrokerError({ account: "", reason: "Unavailable", message: error.message, retryable: false })
          )
        )
      }
    })
  )
}

/**
 * 16:00 New York time on `day` as an ISO-8601 UTC timestamp (`…T20:00:00.000Z` in summer, `…T21:00:00.000Z` in
 * winter): the time of every order event of that session.
 */
export const closeTimestamp = (day: TradingDay): string =>
  `${day}T${newYorkOffset(day) === "-04:00" ? "20" : "21"}:00:00.000Z`

export { SESSION_HEADER } from "@council/broker"

/**
 * The present of the simulated market: the New York moment the local exchange is at. What it knows (prices), how it
 * fills (see `FillModel`) and what its clock says all follow from where this moment falls among the sessions
 * (`Calendar.pointOf`).
 *
 * **When to use**: the composition root provides `ExchangeSession.layer(moment)` for a run (its as-of moment);
 * a long-lived exchange can use `layerRef` (move the `Ref` along), `layerLatest` (after the close of the feed's
 * last session) or `layerClock` (the present is `Clock`'s now: a local exchange in real time, or under `TestClock`).
 *
 * **Gotchas**
 * - The moment is read on every exchange call, so a `Ref`-backed moment moves the exchange forward without
 *   rebuilding it. Moving it backwards fails the calls with `InvalidRequest` (the ledger never rewinds).
 * - `moment(day, "15:45")` builds a moment; `momentOfHeader` reads `X-Council-Session` (a day alone is 15:45 of it,
 *   the clock the header always meant; a timestamp is that moment).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import { momentAt, momentOfEpoch, type NewYorkMoment, parseMoment, type TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import { BrokerError } from "@council/broker"
import { closeTimeOf } from "./Calendar.ts"

export class ExchangeSession extends Context.Service<ExchangeSession, {
  readonly current: Effect.Effect<NewYorkMoment, BrokerError>
}>()("@council/exchange/ExchangeSession") {
  /** A fixed moment: a run's as-of moment. */
  static readonly layer = (moment: NewYorkMoment): Layer.Layer<ExchangeSession> =>
    Layer.succeed(ExchangeSession, { current: Effect.succeed(moment) })

  /** The moment in a `Ref`, for a long-lived exchange (or a test) that moves through time. */
  static readonly layerRef = (ref: Ref.Ref<NewYorkMoment>): Layer.Layer<ExchangeSession> =>
    Layer.succeed(ExchangeSession, { current: Ref.get(ref) })

  /** `Clock`'s now, in New York time, on every call. */
  static readonly layerClock: Layer.Layer<ExchangeSession> = Layer.succeed(ExchangeSession, {
    current: Effect.map(Clock.currentTimeMillis, momentOfEpoch)
  })

  /** The close of the latest session the market data has. */
  static readonly layerLatest: Layer.Layer<ExchangeSession, never, MarketData> = Layer.effect(
    ExchangeSession,
    Effect.gen(function*() {
      const market = yield* MarketData
      return {
        current: market.latestTradingDay.pipe(
          Effect.map((day) => momentAt(day, closeTimeOf(day))),
          Effect.mapError((error) =>
            new BrokerError({ account: "", reason: "Unavailable", message: error.message, retryable: false })
          )
        )
      }
    })
  )
}

/** `day` at New York wall-clock `time` (`HH:MM` or `HH:MM:SS`). */
export const moment = (day: TradingDay, time: string): NewYorkMoment => momentAt(day, time)

/** The wall-clock time a day-only session header stands for (the clock it always answered with). */
export const DAY_ONLY_TIME = "15:45"

/** A session header's moment: `YYYY-MM-DD` (15:45 of that day) or an RFC 3339 timestamp; `undefined` if neither. */
export const momentOfHeader = (value: string): NewYorkMoment | undefined =>
  /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ? undefined : momentAt(value, DAY_ONLY_TIME)
    : parseMoment(value)

export { SESSION_HEADER } from "@council/broker"

/**
 * The market schedule check before any order: the broker's clock and calendar (through the `Broker` port) and
 * what they say about a run of a schedule (`checkSchedule`: closed, too early, past the cutoff, in time).
 *
 * **When to use**: the CLI checks before a run starts (a holiday exits 0, a missed cutoff exits 1, early warns);
 * `Execution` checks again before sending under `close` (a run that took too long sends nothing), through the
 * recorder so replays see the same answer.
 *
 * **Gotchas**: the clock is the broker's — Alpaca's real one, or the local exchange's simulated present; a clock
 * whose timestamp is not RFC 3339 fails `InvalidRequest`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import {
  checkSchedule,
  type MarketCalendarDay,
  type MarketClock,
  type NewYorkMoment,
  parseMoment,
  type RunSchedule,
  type ScheduleCheck
} from "@council/domain"
import { BrokerError } from "@council/broker"

/** What the check reads of a broker (a `Broker`, or a recorded view of one in a stage). */
export interface MarketTimes<E = BrokerError, R = never> {
  readonly account: string
  readonly getClock: Effect.Effect<MarketClock, E, R>
  readonly getCalendar: (range: { readonly start: string; readonly end: string }) => Effect.Effect<ReadonlyArray<MarketCalendarDay>, E, R>
}

export interface ScheduleStatus {
  readonly now: NewYorkMoment
  readonly clock: MarketClock
  /** The calendar's session of `now`'s day, if it has one. */
  readonly session: MarketCalendarDay | undefined
  readonly check: ScheduleCheck
}

/**
 * The broker's clock and today's session, and the check of a run of `schedule` at that clock.
 *
 * `expectedDay` (the run's trading day, when known) reads that day's calendar concurrently with the clock: one
 * round trip instead of two. When the clock says another day, that day's calendar is read after all, so the
 * check is always made against the session of the clock's own day.
 */
export const statusOf = <E, R>(
  broker: MarketTimes<E, R>,
  schedule: RunSchedule,
  expectedDay?: string
): Effect.Effect<ScheduleStatus, E | BrokerError, R> =>
  Effect.gen(function*() {
    const dayOf = (day: string) => broker.getCalendar({ start: day, end: day })
    const [clock, expected] = expectedDay === undefined
      ? [yield* broker.getClock, undefined]
      : yield* Effect.all([broker.getClock, dayOf(expectedDay)], { concurrency: 2 })
    const now = parseMoment(clock.timestamp)
    if (now === undefined) {
      return yield* new BrokerError({
        account: broker.account,
        reason: "InvalidRequest",
        message: `the market clock's timestamp "${clock.timestamp}" is not RFC 3339`,
        retryable: false
      })
    }
    const calendar = expected !== undefined && now.day === expectedDay ? expected : yield* dayOf(now.day)
    const session = calendar.find((day) => day.date === now.day)
    return { now, clock, session, check: checkSchedule(schedule, now, session) }
  })

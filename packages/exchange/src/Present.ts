/**
 * The local exchange's present: where a moment falls among the market data's sessions (its point, whether its day
 * has a session), the clock and the calendar at it. Sessions never change once in the data, so each day's lookups
 * are cached (bounded), and so are the last clock and calendar answered; the next session is asked until it is found
 * (the data may grow).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { isoOf, type MarketCalendarDay, type MarketClock, type NewYorkMoment, TradingDay } from "@council/domain"
import type { MarketData, MarketDataError } from "@council/market"
import { calendarDay, clockAt, pointOf } from "./Calendar.ts"
import { type Failure, invalid } from "./ExchangeErrors.ts"
import type * as Placement from "./Placement.ts"

// a date formatted by `toISOString` is a valid `YYYY-MM-DD`: the brand's checks would only repeat that
const addDays = (day: string, days: number): TradingDay =>
  TradingDay.make(new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10), { disableChecks: true })

/**
 * Where moments fall among the market data's sessions: each day's session and the one before it are asked once
 * (they never change), the next one until it is found (the data may grow; a session found stays the next one, as
 * a day's own session does).
 */
export const makePresent = (market: MarketData["Service"]) => {
  const days = new Map<string, { readonly isSession: boolean; readonly previous: TradingDay | undefined }>()
  const around = (day: string) => {
    const known = days.get(day)
    if (known !== undefined) return Effect.succeed(known)
    return Effect.map(market.sessions(addDays(day, -14), TradingDay.make(day)), (sessions) => {
      const isSession = sessions.at(-1) === day
      const value = { isSession, previous: isSession ? sessions.at(-2) : sessions.at(-1) }
      if (days.size < 10_000) days.set(day, value)
      return value
    })
  }
  const nextOf = new Map<string, TradingDay>()
  const next = (day: string): Effect.Effect<TradingDay | undefined, MarketDataError> => {
    const known = nextOf.get(day)
    if (known !== undefined) return Effect.succeed(known)
    return Effect.map(market.sessions(addDays(day, 1), addDays(day, 14)), (sessions) => {
      const found = sessions[0]
      if (found !== undefined && nextOf.size < 10_000) nextOf.set(day, found)
      return found
    })
  }

  /** The last present found: every call of a run asks at the same moment. */
  let last: Placement.PlacedAt | undefined

  /** The present at `moment` when it is the last one found (what `at` answers without a step); else `undefined`. */
  const knownAt = (moment: NewYorkMoment): Placement.PlacedAt | undefined =>
    last !== undefined && last.moment.day === moment.day && last.moment.seconds === moment.seconds ? last : undefined

  /** The present at `moment`: its point, whether its day has a session, its ledger timestamp. */
  const at = (moment: NewYorkMoment): Effect.Effect<Placement.PlacedAt, Failure> => {
    const known = knownAt(moment)
    if (known !== undefined) return Effect.succeed(known)
    return Effect.flatMap(around(moment.day), ({ isSession, previous }) => {
      const point = pointOf(moment, isSession, previous)
      if (point === undefined) return Effect.fail(invalid(`${moment.day} is before the first session of the market data`))
      last = { moment, point, isSessionDay: isSession, at: isoOf(moment) }
      return Effect.succeed(last)
    })
  }

  /**
   * The last clock and calendar answered, when final: every account of a run asks for the same ones. Answers that
   * lacked the next session (the data may grow) are not kept. Shared values: callers must not mutate them.
   */
  let lastClock: { readonly moment: NewYorkMoment; readonly clock: MarketClock } | undefined
  let lastCalendar: { readonly start: string; readonly end: string; readonly days: ReadonlyArray<MarketCalendarDay> } | undefined

  const clock = (moment: NewYorkMoment): Effect.Effect<MarketClock, MarketDataError> => {
    if (lastClock !== undefined && lastClock.moment.day === moment.day && lastClock.moment.seconds === moment.seconds) {
      return Effect.succeed(lastClock.clock)
    }
    return Effect.flatMap(around(moment.day), ({ isSession }) =>
      Effect.map(next(moment.day), (nextSession) => {
        const answer = clockAt(moment, isSession, nextSession)
        if (nextSession !== undefined) lastClock = { moment, clock: answer }
        return answer
      }))
  }

  const calendar = (start: TradingDay, end: TradingDay): Effect.Effect<ReadonlyArray<MarketCalendarDay>, MarketDataError> => {
    if (lastCalendar !== undefined && lastCalendar.start === start && lastCalendar.end === end) return Effect.succeed(lastCalendar.days)
    return Effect.flatMap(market.sessions(start, end), (sessions) => {
      const last = sessions.at(-1)
      return Effect.map(last === undefined ? Effect.succeed(undefined) : next(last), (after) => {
        const days = sessions.map((day, i) => calendarDay(day, sessions[i + 1] ?? after))
        if (after !== undefined) lastCalendar = { start, end, days }
        return days
      })
    })
  }

  return { at, knownAt, clock, calendar }
}

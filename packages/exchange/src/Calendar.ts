/**
 * The local exchange's market calendar and clock: the sessions are the days of the market data, each open
 * 09:30–16:00 New York time, or 09:30–13:00 on NYSE's early-close days (`EARLY_CLOSES`); and where a moment falls
 * among them (`pointOf`), which decides what the exchange knows and how it fills.
 *
 * **Gotchas**
 * - `EARLY_CLOSES` is NYSE's published list of 13:00 closes from 2007 to 2026: the day after Thanksgiving,
 *   Christmas Eve and July 3 (the day before Independence Day), each when it is a weekday session. A test checks
 *   that every listed day inside the bundled data is one of its sessions. Extend it when the data grows.
 * - Session timestamps are New York wall-clock times written in UTC (`toISOString`), like every ledger timestamp.
 *
 * @since 0.1.0
 */
import {
  EARLY_CLOSE,
  formatMoment,
  isoOf,
  type MarketCalendarDay,
  type MarketClock,
  momentAt,
  type NewYorkMoment,
  REGULAR_CLOSE,
  REGULAR_OPEN,
  runTime,
  type RunSchedule,
  secondsOf,
  type TradingDay
} from "@council/domain"

/** NYSE's 13:00 closes, 2007–2026. */
export const EARLY_CLOSES: ReadonlySet<string> = new Set([
  "2007-07-03", "2007-11-23", "2007-12-24",
  "2008-07-03", "2008-11-28", "2008-12-24",
  "2009-11-27", "2009-12-24",
  "2010-11-26",
  "2011-11-25",
  "2012-07-03", "2012-11-23", "2012-12-24",
  "2013-07-03", "2013-11-29", "2013-12-24",
  "2014-07-03", "2014-11-28", "2014-12-24",
  "2015-11-27", "2015-12-24",
  "2016-11-25",
  "2017-07-03", "2017-11-24",
  "2018-07-03", "2018-11-23", "2018-12-24",
  "2019-07-03", "2019-11-29", "2019-12-24",
  "2020-11-27", "2020-12-24",
  "2021-11-26",
  "2022-11-25",
  "2023-07-03", "2023-11-24",
  "2024-07-03", "2024-11-29", "2024-12-24",
  "2025-07-03", "2025-11-28", "2025-12-24",
  "2026-11-27", "2026-12-24"
])

/** The close of a session as New York `HH:MM`. */
export const closeTimeOf = (day: string): string => (EARLY_CLOSES.has(day) ? EARLY_CLOSE : REGULAR_CLOSE)

const OPEN_SECONDS = secondsOf(REGULAR_OPEN)!

/** Seconds after midnight of the session's close. */
export const closeSecondsOf = (day: string): number => secondsOf(closeTimeOf(day))!

/**
 * `stamp` of a day, remembered for the last days asked: every account's advance through a session stamps its open
 * and close again (a time-zone conversion each).
 */
const rememberedByDay = (stamp: (day: TradingDay) => string) => {
  const known = new Map<string, string>()
  return (day: TradingDay): string => {
    const hit = known.get(day)
    if (hit !== undefined) return hit
    const value = stamp(day)
    if (known.size >= 64) known.clear()
    known.set(day, value)
    return value
  }
}

/** The session's open, as ledger timestamp text (UTC). */
export const openTimestamp = rememberedByDay((day) => isoOf(momentAt(day, REGULAR_OPEN)))

/** The session's close (16:00, or 13:00 on an early close), as ledger timestamp text (UTC). */
export const closeTimestamp = rememberedByDay((day) => isoOf(momentAt(day, closeTimeOf(day))))

/** The weekday after `day` (Saturday and Sunday skipped): the stand-in for a session after the data. */
export const nextWeekday = (day: string): string => {
  const date = new Date(`${day}T12:00:00Z`)
  do date.setUTCDate(date.getUTCDate() + 1)
  while (date.getUTCDay() === 0 || date.getUTCDay() === 6)
  return date.toISOString().slice(0, 10)
}

/** A session of the calendar; `nextSession` (T+1) is its settlement date. */
export const calendarDay = (date: TradingDay, nextSession: string | undefined): MarketCalendarDay => ({
  date,
  open: REGULAR_OPEN,
  close: closeTimeOf(date),
  sessionOpen: "0400",
  sessionClose: "2000",
  settlementDate: nextSession ?? nextWeekday(date)
})

/**
 * When a run of `schedule` happens on session `day` (`runTime` on the day's calendar: early closes too) and the
 * moment an `after-close` run would, past the close: a backtest's clock.
 */
export const sessionMoments = (schedule: RunSchedule, day: TradingDay): { readonly run: NewYorkMoment; readonly afterClose: NewYorkMoment } => {
  const session = calendarDay(day, undefined)
  return { run: momentAt(day, runTime(schedule, session)), afterClose: momentAt(day, runTime("after-close", session)) }
}

/**
 * Where the exchange stands in time: the last session whose open (`phase: "open"`) or whose close
 * (`phase: "closed"`) has passed. Every moment maps to one; the exchange processes the opens and closes between
 * an account's point and the present's.
 */
export interface SessionPoint {
  readonly session: TradingDay
  readonly phase: "open" | "closed"
}

/** Whether point `a` comes before point `b`. */
export const pointBefore = (a: SessionPoint, b: SessionPoint): boolean =>
  a.session < b.session || (a.session === b.session && a.phase === "open" && b.phase === "closed")

/** The moment of a point: its session's open, or its close (13:00 on an early close). */
export const momentOfPoint = (point: SessionPoint): NewYorkMoment =>
  momentAt(point.session, point.phase === "open" ? REGULAR_OPEN : closeTimeOf(point.session))

/**
 * The point of `moment`: during a session its open has passed; from its close on, its close; before the open of
 * the day (or on a day without a session) the close of the session before (`previous`; `undefined` before the
 * first session of the data).
 */
export const pointOf = (
  moment: NewYorkMoment,
  isSession: boolean,
  previous: TradingDay | undefined
): SessionPoint | undefined => {
  const day = moment.day as TradingDay
  if (isSession && moment.seconds >= closeSecondsOf(day)) return { session: day, phase: "closed" }
  if (isSession && moment.seconds >= OPEN_SECONDS) return { session: day, phase: "open" }
  return previous === undefined ? undefined : { session: previous, phase: "closed" }
}

/** The market clock at `moment`; `nextSession` is the first session after its day, if the data has one. */
export const clockAt = (moment: NewYorkMoment, isSession: boolean, nextSession: string | undefined): MarketClock => {
  const day = moment.day
  const beforeClose = isSession && moment.seconds < closeSecondsOf(day)
  const openToday = isSession && moment.seconds < OPEN_SECONDS
  const next = nextSession ?? nextWeekday(day)
  return {
    timestamp: formatMoment(moment),
    isOpen: beforeClose && !openToday,
    nextOpen: formatMoment(momentAt(openToday ? day : next, REGULAR_OPEN)),
    nextClose: formatMoment(momentAt(beforeClose ? day : next, closeTimeOf(beforeClose ? day : next)))
  }
}

/** The market-on-close window: `cls` orders are refused from 10 minutes before the close until 19:00 (Alpaca). */
export const CLS_REFUSED_UNTIL = secondsOf("19:00")!

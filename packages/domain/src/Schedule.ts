/**
 * When a trading day's run happens, and what the market's clock and calendar say about it.
 *
 * **The two schedules** (`COUNCIL_SCHEDULE`)
 * - `close`: the run's moment is 15 minutes before the close (15:45 New York time, 12:45 on a 13:00 early close).
 *   It knows the bars up to the day before and the day's session so far; its entries are market-on-close orders
 *   (`time_in_force: cls`), which must reach the broker before the cutoff 10 minutes before the close (15:50,
 *   12:50 on an early close). A run at or after the cutoff sends nothing.
 * - `after-close`: the run's moment is 15 minutes after the close (16:15), with the day's complete bar; its market
 *   orders queue for the next session and fill at its open.
 *
 * **The check before any order** (`checkSchedule`): the market closed that day (a weekend or a holiday) → nothing
 * to do; under `close`, before the open or at/after the cutoff → nothing is sent, and more than 20 minutes before
 * the close → a warning; under `after-close`, before the close → nothing is sent.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { TradingDay } from "./Ids.ts"
import { type NewYorkMoment, secondsOf, wallClock } from "./NewYorkTime.ts"

export const RunSchedule = Schema.Literals(["close", "after-close"])
export type RunSchedule = typeof RunSchedule.Type

/** The schedule of a run that does not say (`COUNCIL_SCHEDULE` unset): the seed's market-on-close plan. */
export const DEFAULT_SCHEDULE: RunSchedule = "close"

/** Runs recorded before schedules existed decided on the day's complete bar: they are `after-close`. */
export const LEGACY_SCHEDULE: RunSchedule = "after-close"

/** The market clock (Alpaca's `/v2/clock`): timestamps are RFC 3339 with the New York offset. */
export const MarketClock = Schema.Struct({
  timestamp: Schema.String,
  isOpen: Schema.Boolean,
  nextOpen: Schema.String,
  nextClose: Schema.String
})
export type MarketClock = typeof MarketClock.Type

/** A session of the market calendar (Alpaca's `/v2/calendar`): `open`/`close` are New York wall-clock `HH:MM`. */
export const MarketCalendarDay = Schema.Struct({
  date: TradingDay,
  open: Schema.String,
  close: Schema.String,
  sessionOpen: Schema.optionalKey(Schema.String),
  sessionClose: Schema.optionalKey(Schema.String),
  settlementDate: Schema.optionalKey(Schema.String)
})
export type MarketCalendarDay = typeof MarketCalendarDay.Type

/** The regular close; early-close days close at 13:00. */
export const REGULAR_CLOSE = "16:00"
export const EARLY_CLOSE = "13:00"
export const REGULAR_OPEN = "09:30"

/** How long before the close a `close` run happens. */
export const CLOSE_RUN_LEAD_MINUTES = 15
/** How long before the close market-on-close orders stop being accepted (Alpaca: 15:50). */
export const CLOSE_CUTOFF_LEAD_MINUTES = 10
/** A `close` run earlier than this before the close gets a warning (the strategy trades the close). */
export const EARLY_WARNING_MINUTES = 20
/** How long after the close an `after-close` run happens. */
export const AFTER_CLOSE_LAG_MINUTES = 15

const secondsOrThrow = (time: string): number => {
  const seconds = secondsOf(time)
  if (seconds === undefined) throw new RangeError(`not a wall-clock time: ${time}`)
  return seconds
}

/** Seconds after midnight of the session's close. */
export const closeSeconds = (session: MarketCalendarDay): number => secondsOrThrow(session.close)

/** Seconds after midnight of the session's open. */
export const openSeconds = (session: MarketCalendarDay): number => secondsOrThrow(session.open)

/** Whether a session closes before the regular close (a 13:00 early close); an unreadable close counts as regular. */
export const closesEarly = (session: MarketCalendarDay): boolean =>
  (secondsOf(session.close) ?? Number.POSITIVE_INFINITY) < secondsOrThrow(REGULAR_CLOSE)

/** The last moment (exclusive) market-on-close orders are accepted on `session`: 10 minutes before its close. */
export const cutoffSeconds = (session: MarketCalendarDay): number => closeSeconds(session) - CLOSE_CUTOFF_LEAD_MINUTES * 60

/** Wall-clock time of a run of `schedule` on `session` (15:45 / 12:45, or 16:15 / 13:15). */
export const runTime = (schedule: RunSchedule, session: MarketCalendarDay): string =>
  wallClock(
    schedule === "close"
      ? closeSeconds(session) - CLOSE_RUN_LEAD_MINUTES * 60
      : closeSeconds(session) + AFTER_CLOSE_LAG_MINUTES * 60
  )

/** What the market schedule says about a run of `schedule` at a moment. */
export type ScheduleCheck =
  /** No session that day (a weekend or a holiday): nothing to trade. */
  | { readonly _tag: "Closed"; readonly day: string }
  /** Under `close`, before the session opened: its open is not known yet. */
  | { readonly _tag: "BeforeOpen"; readonly open: string }
  /** Under `close`, at or after the market-on-close cutoff: nothing may be sent. */
  | { readonly _tag: "MissedCutoff"; readonly cutoff: string; readonly close: string }
  /** Under `after-close`, before the close: the day's bar is not complete. */
  | { readonly _tag: "BeforeClose"; readonly close: string }
  /** In time; `early` under `close` when more than 20 minutes before the close. */
  | { readonly _tag: "InTime"; readonly session: MarketCalendarDay; readonly minutesToClose: number; readonly early: boolean }

/**
 * The schedule check of a run of `schedule` at `now`, given the calendar's session of `now.day` (`undefined`:
 * none, the market is closed that day).
 */
export const checkSchedule = (
  schedule: RunSchedule,
  now: NewYorkMoment,
  session: MarketCalendarDay | undefined
): ScheduleCheck => {
  if (session === undefined) return { _tag: "Closed", day: now.day }
  const close = closeSeconds(session)
  const minutesToClose = (close - now.seconds) / 60
  if (schedule === "after-close") {
    return now.seconds < close
      ? { _tag: "BeforeClose", close: session.close }
      : { _tag: "InTime", session, minutesToClose, early: false }
  }
  if (now.seconds < openSeconds(session)) return { _tag: "BeforeOpen", open: session.open }
  if (now.seconds >= cutoffSeconds(session)) {
    return { _tag: "MissedCutoff", cutoff: wallClock(cutoffSeconds(session)), close: session.close }
  }
  return { _tag: "InTime", session, minutesToClose, early: minutesToClose > EARLY_WARNING_MINUTES }
}

/** One line for a check that stops the run (or warns), naming the times. */
export const describeCheck = (schedule: RunSchedule, check: ScheduleCheck, now: NewYorkMoment): string => {
  const at = `${now.day} ${wallClock(now.seconds)} New York time`
  switch (check._tag) {
    case "Closed":
      return `the market is closed on ${check.day} (no session that day): nothing to trade`
    case "BeforeOpen":
      return `it is ${at}, before the open (${check.open}): a close run needs the day's session (run it at ${CLOSE_RUN_LEAD_MINUTES} minutes before the close)`
    case "MissedCutoff":
      return `it is ${at}: the market-on-close cutoff (${check.cutoff}, ${CLOSE_CUTOFF_LEAD_MINUTES} minutes before the ${check.close} close) has passed, so nothing is sent`
    case "BeforeClose":
      return `it is ${at}, before the ${check.close} close: an after-close run needs the day's complete bar`
    case "InTime":
      return check.early
        ? `warning: it is ${at}, ${Math.round(check.minutesToClose)} minutes before the ${check.session.close} close; the ${schedule} schedule trades the close (run it ${CLOSE_RUN_LEAD_MINUTES} minutes before)`
        : `${at}: in time for the ${schedule} schedule`
  }
}

/**
 * Identifiers shared by every package.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/** An account name: UPPERCASE letters and digits, as used in env vars (`ALPACA_{NAME}_KEY_ID`). */
export const AccountId = Schema.String.check(
  Schema.isPattern(/^[A-Z][A-Z0-9_]*$/, {
    message: "account names are UPPERCASE letters, digits and underscores, starting with a letter"
  })
).pipe(Schema.brand("AccountId"))
export type AccountId = typeof AccountId.Type

/** Whether `year`-`month`-`day` is a day of the (proleptic Gregorian) calendar: month 1–12, day within the month. */
const isCalendarDay = (year: number, month: number, day: number): boolean => {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31
  return month >= 1 && month <= 12 && day >= 1 && day <= days
}

/** Whether the `YYYY-MM-DD` that `text` starts with is a real day (2026-13-45 is not). */
const startsWithCalendarDay = (text: string): boolean =>
  isCalendarDay(Number(text.slice(0, 4)), Number(text.slice(5, 7)), Number(text.slice(8, 10)))

/** A calendar date `YYYY-MM-DD` naming a trading session. */
export const TradingDay = Schema.String.check(
  Schema.isPattern(/^\d{4}-\d{2}-\d{2}$/, { message: "expected a date as YYYY-MM-DD" })
).pipe(Schema.brand("TradingDay"))

/**
 * A `TradingDay` that is a real day (not 2026-13-45, not 2026-02-30): what a stored record's days must be to read
 * back. Inputs say more of a wrong day where they are read (`--date`, query parameters), so `TradingDay` stays lax.
 */
export const CalendarDay = TradingDay.check(
  Schema.makeFilter(startsWithCalendarDay, { message: "expected a day of the calendar (month 01–12, a day the month has)" })
)
export type TradingDay = typeof TradingDay.Type

const MOMENT = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/

/**
 * A moment as ISO 8601 with its offset (`Date.prototype.toISOString`'s `2026-06-08T19:45:00.000Z`): a real day
 * and a real time of day. What a stored record's moments must be to read back.
 */
export const IsoMoment = Schema.String.check(
  Schema.makeFilter((text: string) => MOMENT.test(text) && startsWithCalendarDay(text), {
    message: "expected a moment as YYYY-MM-DDTHH:MM:SS(.sss)Z on a day of the calendar"
  })
)

/** A ticker symbol such as `SPY`. */
export const Ticker = Schema.String.check(
  Schema.isPattern(/^[A-Z][A-Z0-9.]{0,9}$/, { message: "expected an UPPERCASE ticker" })
).pipe(Schema.brand("Ticker"))
export type Ticker = typeof Ticker.Type

export const RunId = Schema.String.check(Schema.isMinLength(1)).pipe(Schema.brand("RunId"))
export type RunId = typeof RunId.Type

/** The five portfolio managers and the council, in their canonical order. */
export const PM_NAMES = ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK"] as const
export const COUNCIL = "COUNCIL"
export const DEFAULT_ACCOUNTS = [...PM_NAMES, COUNCIL] as const

/**
 * New York calendar dates of instants, as the remote feeds need them: a daily bar is stamped at midnight New York,
 * and a day's bars are final at 20:00 New York (the end of extended hours).
 *
 * @since 0.1.0
 */
import type { TradingDay } from "@council/domain"

const DAY_MS = 86_400_000
/** The New York hour from which a day's bars are final. */
export const COMPLETE_HOUR = 20

const nyFormat = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/New_York",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  hourCycle: "h23"
})

const nyParts = (epochMillis: number): { readonly date: string; readonly hour: number } => {
  const parts: Record<string, string> = {}
  for (const part of nyFormat.formatToParts(epochMillis)) parts[part.type] = part.value
  return { date: `${parts["year"]}-${parts["month"]}-${parts["day"]}`, hour: Number(parts["hour"]) }
}

/** The New York calendar date of an instant. */
export const nyDate = (epochMillis: number): TradingDay => nyParts(epochMillis).date as TradingDay

/** The instant of midnight New York at the start of `day` (04:00Z in summer time, 05:00Z in winter). */
export const nyMidnight = (day: TradingDay): number => {
  const winter = Date.parse(`${day}T05:00:00Z`)
  return nyParts(winter).hour === 0 ? winter : winter - 3_600_000
}

/** `day` shifted by `days` calendar days. */
export const addDays = (day: TradingDay, days: number): TradingDay =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10) as TradingDay

/** The last New York date whose bars are final at `epochMillis`: today from 20:00 New York, yesterday before. */
export const lastCompleteDay = (epochMillis: number): TradingDay => {
  const { date, hour } = nyParts(epochMillis)
  return hour >= COMPLETE_HOUR ? (date as TradingDay) : addDays(date as TradingDay, -1)
}

/**
 * New York time: the UTC offset of a trading day by the US daylight-saving rules, and moments in New York
 * wall-clock time (a day and the seconds after its midnight) — how schedules, cutoffs, the exchange's clock and
 * its order events are written.
 *
 * **Why not `Intl`**: the first `Intl.DateTimeFormat` with a time zone loads the zone data (15–35 ms at start-up),
 * which every run on the local exchange paid. The rules are arithmetic: since 2007 daylight time runs from the
 * second Sunday of March to the first Sunday of November; from 1987 to 2006 from the first Sunday of April to the
 * last Sunday of October (both switch at 02:00, so a whole trading day is on one side). Days before 1987 ask
 * `Intl`. A test compares the rules with `Intl` for every day from 1987 to 2099.
 *
 * @since 0.1.0
 */

const weekday = (year: number, month: number, date: number): number => new Date(Date.UTC(year, month, date)).getUTCDay()

/** The date (1–31) of the `n`th Sunday of `month` (0-based). */
const nthSunday = (year: number, month: number, n: number): number => 1 + ((7 - weekday(year, month, 1)) % 7) + 7 * (n - 1)

/** The date of the last Sunday of `month` (0-based). */
const lastSunday = (year: number, month: number): number => {
  const days = new Date(Date.UTC(year, month + 1, 0)).getUTCDate()
  return days - weekday(year, month, days)
}

let zoneFormat: Intl.DateTimeFormat | undefined

const offsetByIntl = (day: string): string => {
  zoneFormat ??= new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", timeZoneName: "longOffset" })
  const zone = zoneFormat.formatToParts(new Date(`${day}T16:00:00Z`)).find((p) => p.type === "timeZoneName")
  return /GMT([+-]\d{2}:\d{2})/.exec(zone?.value ?? "")?.[1] ?? "-05:00"
}

/** Offsets already computed (a session's is asked for on every order event). */
const offsets = new Map<string, string>()

/** New York's UTC offset (`-04:00` or `-05:00`) during the trading hours of `day` (`YYYY-MM-DD`). */
export const newYorkOffset = (day: string): string => {
  let offset = offsets.get(day)
  if (offset === undefined) {
    offset = offsetByRules(day)
    if (offsets.size < 100_000) offsets.set(day, offset)
  }
  return offset
}

const offsetByRules = (day: string): string => {
  const year = Number(day.slice(0, 4))
  const month = Number(day.slice(5, 7)) - 1
  const date = Number(day.slice(8, 10))
  if (year < 1987) return offsetByIntl(day)
  const [start, end] = year >= 2007
    ? [[2, nthSunday(year, 2, 2)], [10, nthSunday(year, 10, 1)]] as const
    : [[3, nthSunday(year, 3, 1)], [9, lastSunday(year, 9)]] as const
  const at = month * 100 + date
  return at >= start[0] * 100 + start[1] && at < end[0] * 100 + end[1] ? "-04:00" : "-05:00"
}

/** The offset as computed by `Intl` (the zone database), for tests and days before 1987. */
export const newYorkOffsetByIntl = offsetByIntl

/** The offset in minutes (`-240` or `-300`). */
const offsetMinutes = (day: string): number => (newYorkOffset(day) === "-04:00" ? -240 : -300)

const DAY_SECONDS = 86_400

const pad = (n: number) => String(n).padStart(2, "0")

/** `HH:MM` (or `HH:MM:SS`) as seconds after midnight; `undefined` when it is not a wall-clock time. */
export const secondsOf = (time: string): number | undefined => {
  const match = /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(time)
  if (match === null) return undefined
  const [h, m, s] = [Number(match[1]), Number(match[2]), Number(match[3] ?? "0")]
  return h < 24 && m < 60 && s < 60 ? h * 3600 + m * 60 + s : undefined
}

/** Seconds after midnight as `HH:MM`, with `:SS` when they are not whole minutes. */
export const wallClock = (seconds: number): string => {
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return s === 0 ? `${pad(h)}:${pad(m)}` : `${pad(h)}:${pad(m)}:${pad(s)}`
}

/**
 * A moment in New York wall-clock time: a calendar day and the seconds after its midnight. The moments that matter
 * here (sessions, cutoffs, runs) are all on weekdays between 04:00 and 20:00, far from the 02:00 switches of
 * daylight time, so a day has one offset (`newYorkOffset`).
 */
export interface NewYorkMoment {
  readonly day: string
  readonly seconds: number
}

/** `day` at wall-clock `time` (`HH:MM` or `HH:MM:SS`, which must be valid). */
export const momentAt = (day: string, time: string): NewYorkMoment => {
  const seconds = secondsOf(time)
  if (seconds === undefined) throw new RangeError(`not a wall-clock time: ${time}`)
  return { day, seconds }
}

/** The moment as RFC 3339 with the New York offset, e.g. `2026-06-08T15:45:00-04:00` (Alpaca's clock format). */
export const formatMoment = (moment: NewYorkMoment): string => {
  const h = Math.floor(moment.seconds / 3600)
  const m = Math.floor((moment.seconds % 3600) / 60)
  return `${moment.day}T${pad(h)}:${pad(m)}:${pad(moment.seconds % 60)}${newYorkOffset(moment.day)}`
}

/** The instant of a moment, in epoch milliseconds. */
export const epochOf = (moment: NewYorkMoment): number =>
  Date.parse(`${moment.day}T00:00:00Z`) + (moment.seconds - offsetMinutes(moment.day) * 60) * 1000

/** The instant of a moment as `toISOString` text in UTC (how the exchange's ledger stamps events). */
export const isoOf = (moment: NewYorkMoment): string => new Date(epochOf(moment)).toISOString()

const DAY_MILLIS = DAY_SECONDS * 1000

/**
 * `YYYY-MM-DD` of the day `days` after 1970-01-01, by arithmetic (H. Hinnant's `civil_from_days`, the calendar
 * `Date` counts in): what `new Date(days * DAY_MILLIS).toISOString().slice(0, 10)` writes, without a `Date` and
 * its formatting (a backtest stamps every fill). Years outside 1000–9999 are left to `Date`.
 */
const dayText = (days: number): string => {
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365)
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const shifted = Math.floor((5 * dayOfYear + 2) / 153)
  const date = dayOfYear - Math.floor((153 * shifted + 2) / 5) + 1
  const month = shifted < 10 ? shifted + 3 : shifted - 9
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  return year >= 1000 && year <= 9999 ? `${year}-${pad(month)}-${pad(date)}` : new Date(days * DAY_MILLIS).toISOString().slice(0, 10)
}

/** The most `Date` holds, in milliseconds either side of the epoch. */
const DATE_RANGE = 8.64e15

/** The New York moment of an instant (epoch milliseconds), to the second. */
export const momentOfEpoch = (epochMillis: number): NewYorkMoment => {
  // the New York date is the UTC date shifted by the offset; the offset of that date decides (never near a switch)
  const shifted = epochMillis - 5 * 3600_000
  // `Date` truncates an instant to whole milliseconds, and refuses (RangeError) what is not one
  const guess = Math.abs(shifted) <= DATE_RANGE ? dayText(Math.floor(Math.trunc(shifted) / DAY_MILLIS)) : new Date(shifted).toISOString().slice(0, 10)
  const local = Math.floor(epochMillis / 1000) + offsetMinutes(guess) * 60
  const days = Math.floor(local / DAY_SECONDS)
  return { day: dayText(days), seconds: local - days * DAY_SECONDS }
}

/** Any RFC 3339 timestamp as a New York moment; `undefined` when it is not one. */
export const parseMoment = (text: string): NewYorkMoment | undefined => {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(text)) return undefined
  const epoch = Date.parse(text)
  return Number.isNaN(epoch) ? undefined : momentOfEpoch(epoch)
}

/** Whether `a` comes before `b`. */
export const isBefore = (a: NewYorkMoment, b: NewYorkMoment): boolean =>
  a.day < b.day || (a.day === b.day && a.seconds < b.seconds)

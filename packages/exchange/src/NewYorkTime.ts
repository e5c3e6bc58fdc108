/**
 * New York's UTC offset on a trading day, by the US daylight-saving rules: the exchange stamps every order event
 * with the session's 16:00 New York time, and serves its clock in New York time.
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

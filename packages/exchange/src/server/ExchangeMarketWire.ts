/**
 * The market side of the exchange server in Alpaca's wire shapes: clock and calendar relative to a simulated
 * session, assets of the universe, and daily bars with Alpaca's symbol-major `next_page_token` pagination.
 * Pure functions over sessions and bars; `ExchangeServer` feeds them from `MarketData`.
 *
 * **Gotchas**
 * - The clock of a session is frozen at 15:45 New York time of that day (market open, 15 minutes before the
 *   close at which the local exchange fills market orders). Times carry the New York offset, like Alpaca's.
 * - Calendar days are the sessions in the bars (regular hours 09:30–16:00, no early closes); after the last
 *   session the next weekday stands in for the next session.
 * - Asset ids are stable name-based UUIDs (v5-style, SHA-1 of the symbol), so positions and assets agree across
 *   restarts. Every asset of the universe is an active, tradable, shortable, fractionable `us_equity`.
 * - Bars carry `n: 0` and `vw` = (h + l + c) / 3 (a typical-price stand-in: the CSV bars have neither), because
 *   Alpaca's clients require both fields.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import type { Bar } from "@council/domain"
import * as AlpacaWire from "@council/broker/AlpacaWire"
import { newYorkOffset } from "../NewYorkTime.ts"

type WireAsset = AlpacaWire.WireAsset
type WireBar = AlpacaWire.WireBar
type WireCalendarDay = AlpacaWire.WireCalendarDay
type WireClock = AlpacaWire.WireClock
const { newYorkMidnight } = AlpacaWire

/** `day` at New York wall-clock `hhmm` (`"15:45"`), RFC 3339 with the New York offset. */
export const newYorkTime = (day: string, hhmm: string): string => `${day}T${hhmm}:00${newYorkOffset(day)}`

/** The weekday after `day` (Saturday and Sunday skipped). */
export const nextWeekday = (day: string): string => {
  const date = new Date(`${day}T12:00:00Z`)
  do date.setUTCDate(date.getUTCDate() + 1)
  while (date.getUTCDay() === 0 || date.getUTCDay() === 6)
  return date.toISOString().slice(0, 10)
}

/** The clock during `session` (15:45 New York time); `nextSession` is the session after it, if the data has one. */
export const clockAt = (session: string, nextSession: string | undefined): WireClock => ({
  timestamp: newYorkTime(session, "15:45"),
  is_open: true,
  next_open: newYorkTime(nextSession ?? nextWeekday(session), "09:30"),
  next_close: newYorkTime(session, "16:00")
})

/** A calendar day; `nextSession` (T+1) is its settlement date. */
export const calendarDay = (date: string, nextSession: string | undefined): WireCalendarDay => ({
  date,
  open: "09:30",
  close: "16:00",
  session_open: "0400",
  session_close: "2000",
  settlement_date: nextSession ?? nextWeekday(date)
})

/** The stable asset id of a symbol (hashed once per symbol). */
export const assetId = (symbol: string): string => {
  const known = assetIds.get(symbol)
  if (known !== undefined) return known
  const hex = createHash("sha1").update(`council-asset:${symbol}`).digest("hex")
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
  assetIds.set(symbol, id)
  return id
}

const assetIds = new Map<string, string>()

export const assetOf = (symbol: string): WireAsset => ({
  id: assetId(symbol),
  class: "us_equity",
  exchange: "ARCA",
  symbol,
  name: symbol,
  status: "active",
  tradable: true,
  marginable: true,
  shortable: true,
  easy_to_borrow: true,
  fractionable: true,
  attributes: []
})

/** A daily bar as the market-data API sends it. */
export const stockBar = (bar: Bar): WireBar => ({
  t: newYorkMidnight(bar.date),
  o: bar.open,
  h: bar.high,
  l: bar.low,
  c: bar.close,
  v: bar.volume,
  n: 0,
  vw: Math.round(((bar.high + bar.low + bar.close) / 3) * 10_000) / 10_000
})

// ---------------------------------------------------------------------------------------------------------------
// Bars queries

/** A `start`/`end` bound: a whole day (`YYYY-MM-DD`, inclusive) or an instant (RFC 3339, inclusive). */
export type TimeBound =
  | { readonly _tag: "Day"; readonly day: string }
  | { readonly _tag: "Instant"; readonly ms: number; readonly day: string }

const DAY = /^\d{4}-\d{2}-\d{2}$/

/** Parses a bound; `undefined` when the text is neither a date nor an RFC 3339 timestamp. */
export const parseTimeBound = (text: string): TimeBound | undefined => {
  if (DAY.test(text)) return Number.isNaN(Date.parse(`${text}T00:00:00Z`)) ? undefined : { _tag: "Day", day: text }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return undefined
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : { _tag: "Instant", ms, day: new Date(ms).toISOString().slice(0, 10) }
}

/** Whether the daily bar of `day` (stamped at midnight New York) lies within the bounds. */
export const barWithin = (day: string, start: TimeBound, end: TimeBound): boolean => {
  const t = Date.parse(newYorkMidnight(day))
  const afterStart = start._tag === "Day" ? day >= start.day : t >= start.ms
  const beforeEnd = end._tag === "Day" ? day <= end.day : t <= end.ms
  return afterStart && beforeEnd
}

export interface SymbolBars {
  readonly symbol: string
  /** Ascending. */
  readonly bars: ReadonlyArray<Bar>
}

export interface BarsPage {
  /** Symbol-major; symbols without bars on this page are absent. */
  readonly bars: Record<string, Array<WireBar>>
  readonly nextPageToken: string | null
}

const encodeToken = (symbol: string, day: string): string =>
  Buffer.from(`${symbol}|D|${newYorkMidnight(day)}`, "utf8").toString("base64")

const decodeToken = (token: string): { readonly symbol: string; readonly day: string } | undefined => {
  const match = /^([^|]+)\|D\|(\d{4}-\d{2}-\d{2})T/.exec(Buffer.from(token, "base64").toString("utf8"))
  return match ? { symbol: match[1]!, day: match[2]! } : undefined
}

/**
 * One page of bars: symbols in alphabetical order, each symbol's bars in `sort` order, at most `limit` bars in
 * all, starting at `pageToken`. Fails with a message for a token that names no bar of the query.
 */
export const barsPage = (
  series: ReadonlyArray<SymbolBars>,
  options: { readonly limit: number; readonly sort: "asc" | "desc"; readonly pageToken?: string | undefined }
): BarsPage | { readonly error: string } => {
  const items = [...series]
    .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0))
    .flatMap(({ bars, symbol }) => (options.sort === "desc" ? [...bars].reverse() : bars).map((bar) => ({ symbol, bar })))
  let from = 0
  if (options.pageToken !== undefined) {
    const position = decodeToken(options.pageToken)
    from = position === undefined
      ? -1
      : items.findIndex((item) => item.symbol === position.symbol && item.bar.date === position.day)
    if (from < 0) return { error: "invalid page_token" }
  }
  const page = items.slice(from, from + options.limit)
  const next = items[from + options.limit]
  const bars: Record<string, Array<WireBar>> = {}
  for (const { bar, symbol } of page) (bars[symbol] ??= []).push(stockBar(bar))
  return { bars, nextPageToken: next === undefined ? null : encodeToken(next.symbol, next.bar.date) }
}

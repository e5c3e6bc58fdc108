/**
 * The market side of the exchange server in Alpaca's wire shapes: assets of the universe, and daily bars as known
 * at the request's moment with Alpaca's symbol-major `next_page_token` pagination. Pure functions over bars;
 * `ExchangeServer` feeds them from `MarketData` (clock and calendar come from `LocalExchange`, see `Calendar`).
 *
 * **Gotchas**
 * - A request's moment hides what it could not know: no bar of a later day, only the open of a session still
 *   running (`barKnownAt`).
 * - Asset ids are stable name-based UUIDs (v5-style, SHA-1 of the symbol), so positions and assets agree across
 *   restarts. Every asset of the universe is an active, tradable, shortable, fractionable `us_equity`.
 * - Bars carry `n: 0` and `vw` = (h + l + c) / 3 (a typical-price stand-in: the CSV bars have neither), because
 *   Alpaca's clients require both fields.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { type Bar, type NewYorkMoment, REGULAR_OPEN, secondsOf } from "@council/domain"
import * as AlpacaBarsWire from "@council/broker/AlpacaBarsWire"
import * as AlpacaWire from "@council/broker/AlpacaWire"
import { closeSecondsOf } from "../Calendar.ts"

type WireAsset = AlpacaWire.WireAsset
type WireBar = AlpacaBarsWire.WireBar
const { newYorkMidnight } = AlpacaBarsWire

const OPEN_SECONDS = secondsOf(REGULAR_OPEN)!

/**
 * `bar` as known at `moment`: whole once its session closed, only its open during the session (open, high, low
 * and close at the open, volume 0: the one price of the day a daily bar can vouch for by then), nothing before the
 * open.
 */
export const barKnownAt = (bar: Bar, moment: NewYorkMoment): Bar | undefined => {
  if (bar.date < moment.day || moment.seconds >= closeSecondsOf(bar.date)) return bar.date <= moment.day ? bar : undefined
  if (bar.date > moment.day || moment.seconds < OPEN_SECONDS) return undefined
  return { date: bar.date, open: bar.open, high: bar.open, low: bar.open, close: bar.open, volume: 0 }
}

/** A hash's hex digits (32 or more) shaped as an RFC 4122 UUID of `version`: the stable id of what was hashed. */
export const hashUuid = (hex: string, version: 4 | 5): string => {
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/** The stable asset id of a symbol (hashed once per symbol). */
export const assetId = (symbol: string): string => {
  const known = assetIds.get(symbol)
  if (known !== undefined) return known
  const id = hashUuid(createHash("sha1").update(`council-asset:${symbol}`).digest("hex"), 5)
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

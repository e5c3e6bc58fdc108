/**
 * Alpaca's market-data wire format for daily bars (`/v2/stocks/bars`, `/v2/stocks/{symbol}/bars`) and the
 * conversions to and from the domain's `Bar`, and its latest trades (`/v2/stocks/trades/latest`). The trading API's formats are in `AlpacaWire`.
 *
 * **Gotcha**: a daily bar's `t` is midnight New York in UTC (`…T04:00:00Z` in summer, `…T05:00:00Z` in winter);
 * `toDomainBar` turns it into the New York trading day.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { type Bar, TradingDay } from "@council/domain"
import { Num } from "./AlpacaWire.ts"

const opt = <S extends Schema.Top>(schema: S) => Schema.optionalKey(schema)
const optNull = <S extends Schema.Top>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))


/** A bar of the market-data API: `t` RFC 3339 (bar start), numbers as JSON numbers. */
export const WireBar = Schema.Struct({
  t: Schema.String,
  o: Num,
  h: Num,
  l: Num,
  c: Num,
  v: Num,
  n: opt(Num),
  vw: opt(Num)
})
export type WireBar = typeof WireBar.Type

/** `GET /v2/stocks/bars`: symbol-major pages. A symbol without bars may be missing or `null`. */
export const WireBarsResponse = Schema.Struct({
  bars: Schema.NullOr(Schema.Record(Schema.String, Schema.NullOr(Schema.Array(WireBar)))),
  next_page_token: optNull(Schema.String),
  currency: opt(Schema.String)
})
export type WireBarsResponse = typeof WireBarsResponse.Type

/** A trade of the market-data API (`t` RFC 3339, `p` the price); the other fields are not read. */
export const WireTrade = Schema.Struct({ t: Schema.String, p: Num })
export type WireTrade = typeof WireTrade.Type

/** `GET /v2/stocks/trades/latest`: each symbol's latest trade; a symbol without one is absent (or `null`). */
export const WireLatestTrades = Schema.Struct({ trades: Schema.NullOr(Schema.Record(Schema.String, Schema.NullOr(WireTrade))) })
export type WireLatestTrades = typeof WireLatestTrades.Type

/** `GET /v2/stocks/{symbol}/bars`: `bars` is `null` when there are none. */
export const WireSymbolBarsResponse = Schema.Struct({
  symbol: Schema.String,
  bars: Schema.NullOr(Schema.Array(WireBar)),
  next_page_token: optNull(Schema.String),
  currency: opt(Schema.String)
})
export type WireSymbolBarsResponse = typeof WireSymbolBarsResponse.Type

// made on first use: the first time-zone format of a process loads the zone data (tens of milliseconds)
let newYorkDateFormat: Intl.DateTimeFormat | undefined
let newYorkHourFormat: Intl.DateTimeFormat | undefined
const newYorkDate = () =>
  newYorkDateFormat ??= new Intl.DateTimeFormat("en-CA", { timeZone: "America/New_York", year: "numeric", month: "2-digit", day: "2-digit" })
const newYorkHour = () =>
  newYorkHourFormat ??= new Intl.DateTimeFormat("en-US", { timeZone: "America/New_York", hour: "2-digit", hourCycle: "h23" })

/** A daily bar: its `t` (midnight New York, in UTC) becomes the New York trading day. */
export const toDomainBar = (wire: WireBar): Result.Result<Bar, string> => {
  const at = new Date(wire.t)
  if (Number.isNaN(at.getTime())) return Result.fail(`invalid bar timestamp ${wire.t}`)
  const date = newYorkDate().format(at)
  if (!Schema.is(TradingDay)(date)) return Result.fail(`invalid bar date ${date}`)
  return Result.succeed({ date, open: wire.o, high: wire.h, low: wire.l, close: wire.c, volume: wire.v })
}

/** Midnight New York of a `YYYY-MM-DD` day, as Alpaca stamps daily bars (`…T04:00:00Z` or `…T05:00:00Z`). */
export const newYorkMidnight = (day: string): string => {
  const edt = new Date(`${day}T04:00:00Z`)
  return newYorkHour().format(edt) === "00" ? edt.toISOString().replace(".000Z", "Z") : `${day}T05:00:00Z`
}

export const toWireBar = (bar: Bar): WireBar => ({
  t: newYorkMidnight(bar.date),
  o: bar.open,
  h: bar.high,
  l: bar.low,
  c: bar.close,
  v: bar.volume
})

/**
 * Alpaca's wire formats (trading API v2; market-data bars are in `AlpacaBarsWire`) as tolerant schemas, with the
 * clock, calendar and asset conversions. Orders, fills, positions, accounts and errors convert to and from the
 * domain in `WireConversions`; import both through `AlpacaWire`.
 *
 * **Gotchas**
 * - Decimals are JSON strings (`"qty": "2"`); `Decimal` also accepts JSON numbers (SDK fixtures) and always
 *   encodes to a string.
 * - Every account field is optional: the PDT/DTBP fields vanished on 2026-07-06, and Alpaca's field set drifts.
 *   Unknown fields are ignored on decode. Enumerations (order status, type, …) are plain strings on the wire and
 *   are checked only when converting to the domain, so a new Alpaca status fails one conversion, not a decode.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"
import { CalendarDay, type MarketCalendarDay, type MarketClock, type TradingDay } from "@council/domain"

// ---------------------------------------------------------------------------------------------------------------
// Decimals

const isDecimalString = (s: string): boolean => s.trim() !== "" && Number.isFinite(Number(s))

/** A decimal as Alpaca sends it: a JSON string, or a JSON number in some SDK fixtures. Always encodes as a string. */
export const Decimal = Schema.Union([Schema.String, Schema.Number]).pipe(
  Schema.decodeTo(
    Schema.String.check(Schema.makeFilter(isDecimalString, { expected: "a decimal string" })),
    SchemaTransformation.transform<string, string | number>({
      decode: (value) => typeof value === "number" ? String(value) : value,
      encode: (value: string) => value
    })
  )
)

/** A number as the market-data API sends it (JSON number), tolerating numeric strings. */
export const Num = Schema.Union([Schema.Number, Schema.String]).pipe(
  Schema.decodeTo(
    Schema.Finite,
    SchemaTransformation.transform<number, string | number>({
      decode: (value) => typeof value === "number" ? value : Number(value),
      encode: (value: number) => value
    })
  )
)

/** Formats a number as an Alpaca decimal string: at most 9 decimals, no exponent, no trailing zeros. */
export const formatDecimal = (value: number): string => {
  const text = value.toFixed(9).replace(/0+$/, "").replace(/\.$/, "")
  return text === "-0" ? "0" : text
}

/** Parses a wire decimal; `undefined` for a missing, null or non-numeric value. */
export const parseDecimal = (value: string | null | undefined): number | undefined => {
  if (value === null || value === undefined || !isDecimalString(value)) return undefined
  return Number(value)
}

const opt = <S extends Schema.Top>(schema: S) => Schema.optionalKey(schema)
const optNull = <S extends Schema.Top>(schema: S) => Schema.optionalKey(Schema.NullOr(schema))

// ---------------------------------------------------------------------------------------------------------------
// Account

/** `GET /v2/account`. Every field optional (see module notes). */
export const WireAccount = Schema.Struct({
  id: opt(Schema.String),
  account_number: opt(Schema.String),
  /** ONBOARDING, SUBMISSION_FAILED, SUBMITTED, ACCOUNT_UPDATED, APPROVAL_PENDING, ACTIVE, REJECTED */
  status: opt(Schema.String),
  crypto_status: opt(Schema.String),
  currency: opt(Schema.String),
  cash: opt(Decimal),
  portfolio_value: opt(Decimal),
  equity: opt(Decimal),
  last_equity: opt(Decimal),
  buying_power: opt(Decimal),
  regt_buying_power: opt(Decimal),
  non_marginable_buying_power: opt(Decimal),
  options_buying_power: opt(Decimal),
  long_market_value: opt(Decimal),
  short_market_value: opt(Decimal),
  initial_margin: opt(Decimal),
  maintenance_margin: opt(Decimal),
  last_maintenance_margin: opt(Decimal),
  sma: opt(Decimal),
  multiplier: opt(Decimal),
  shorting_enabled: opt(Schema.Boolean),
  trading_blocked: opt(Schema.Boolean),
  transfers_blocked: opt(Schema.Boolean),
  account_blocked: opt(Schema.Boolean),
  trade_suspended_by_user: opt(Schema.Boolean),
  created_at: opt(Schema.String),
  balance_asof: opt(Schema.String),
  accrued_fees: opt(Decimal),
  pending_transfer_in: opt(Decimal),
  pending_transfer_out: opt(Decimal),
  intraday_adjustments: opt(Decimal),
  pending_reg_taf_fees: opt(Decimal),
  options_approved_level: opt(Schema.Number),
  options_trading_level: opt(Schema.Number),
  /** Removed 2026-07-06; still accepted from old fixtures, never produced. */
  pattern_day_trader: opt(Schema.Boolean),
  /** Removed 2026-07-06. */
  daytrade_count: opt(Schema.Number),
  /** Removed 2026-07-06. */
  daytrading_buying_power: opt(Decimal)
})
export type WireAccount = typeof WireAccount.Type

// ---------------------------------------------------------------------------------------------------------------
// Position

/** An element of `GET /v2/positions`. `qty` and `market_value` are negative for shorts. */
export const WirePosition = Schema.Struct({
  asset_id: opt(Schema.String),
  symbol: Schema.String,
  exchange: opt(Schema.String),
  asset_class: opt(Schema.String),
  asset_marginable: opt(Schema.Boolean),
  qty: Decimal,
  qty_available: opt(Decimal),
  avg_entry_price: opt(Decimal),
  /** long | short */
  side: opt(Schema.String),
  market_value: optNull(Decimal),
  cost_basis: opt(Decimal),
  unrealized_pl: optNull(Decimal),
  unrealized_plpc: optNull(Decimal),
  unrealized_intraday_pl: optNull(Decimal),
  unrealized_intraday_plpc: optNull(Decimal),
  current_price: optNull(Decimal),
  lastday_price: optNull(Decimal),
  change_today: optNull(Decimal)
})
export type WirePosition = typeof WirePosition.Type

// ---------------------------------------------------------------------------------------------------------------
// Orders

const orderFields = {
  id: Schema.String,
  client_order_id: Schema.String,
  created_at: opt(Schema.String),
  updated_at: optNull(Schema.String),
  submitted_at: optNull(Schema.String),
  filled_at: optNull(Schema.String),
  expired_at: optNull(Schema.String),
  expires_at: optNull(Schema.String),
  canceled_at: optNull(Schema.String),
  failed_at: optNull(Schema.String),
  replaced_at: optNull(Schema.String),
  replaced_by: optNull(Schema.String),
  replaces: optNull(Schema.String),
  asset_id: opt(Schema.String),
  symbol: Schema.String,
  asset_class: opt(Schema.String),
  notional: optNull(Decimal),
  qty: optNull(Decimal),
  filled_qty: opt(Decimal),
  filled_avg_price: optNull(Decimal),
  /** "" (≡ simple), simple, bracket, oco, oto, mleg */
  order_class: opt(Schema.String),
  /** Deprecated alias of `type`. */
  order_type: opt(Schema.String),
  /** market, limit, stop, stop_limit, trailing_stop ("" in mleg legs) */
  type: opt(Schema.String),
  /** buy, sell ("" at the top of mleg orders) */
  side: Schema.String,
  position_intent: optNull(Schema.String),
  /** day, gtc, opg, cls, ioc, fok */
  time_in_force: Schema.String,
  limit_price: optNull(Decimal),
  stop_price: optNull(Decimal),
  /** new, accepted, pending_new, partially_filled, filled, canceled, … (see `OrderStatus`) */
  status: Schema.String,
  extended_hours: opt(Schema.Boolean),
  trail_percent: optNull(Decimal),
  trail_price: optNull(Decimal),
  hwm: optNull(Decimal),
  ratio_qty: optNull(Decimal),
  subtag: optNull(Schema.String),
  source: optNull(Schema.String)
}

/** A leg of a bracket/OCO/OTO order (its own `legs` is `null`). */
export const WireOrderLeg = Schema.Struct({ ...orderFields, legs: optNull(Schema.Array(Schema.Unknown)) })
export type WireOrderLeg = typeof WireOrderLeg.Type

/** An order (`POST /v2/orders`, `GET /v2/orders/{id}`, …) with its legs when nested. */
export const WireOrder = Schema.Struct({ ...orderFields, legs: optNull(Schema.Array(WireOrderLeg)) })
export type WireOrder = typeof WireOrder.Type

/** The body of `PATCH /v2/orders/{order_id}` (replace an order): what changes; every field may be absent or `null`. */
export const WireReplaceRequest = Schema.Struct({
  qty: optNull(Decimal),
  time_in_force: optNull(Schema.String),
  limit_price: optNull(Decimal),
  stop_price: optNull(Decimal),
  trail: optNull(Decimal),
  client_order_id: optNull(Schema.String)
})
export type WireReplaceRequest = typeof WireReplaceRequest.Type

/** The body of `POST /v2/orders`. Every field may be absent or `null` (the Go SDK sends `null`s). */
export const WireOrderRequest = Schema.Struct({
  symbol: optNull(Schema.String),
  qty: optNull(Decimal),
  notional: optNull(Decimal),
  side: optNull(Schema.String),
  type: optNull(Schema.String),
  time_in_force: optNull(Schema.String),
  limit_price: optNull(Decimal),
  stop_price: optNull(Decimal),
  trail_price: optNull(Decimal),
  trail_percent: optNull(Decimal),
  extended_hours: optNull(Schema.Boolean),
  client_order_id: optNull(Schema.String),
  order_class: optNull(Schema.String),
  take_profit: optNull(Schema.Struct({ limit_price: Decimal })),
  stop_loss: optNull(Schema.Struct({ stop_price: Decimal, limit_price: optNull(Decimal) })),
  position_intent: optNull(Schema.String)
})
export type WireOrderRequest = typeof WireOrderRequest.Type

/** Query parameters of `GET /v2/orders`. */
export interface WireOrderQuery {
  readonly status?: "open" | "closed" | "all"
  readonly limit?: number
  readonly after?: string
  readonly until?: string
  readonly direction?: "asc" | "desc"
  readonly nested?: boolean
  /** Comma-separated on the wire. */
  readonly symbols?: ReadonlyArray<string>
}

// ---------------------------------------------------------------------------------------------------------------
// Errors and bulk (207) results

/**
 * Alpaca's error body `{code, message}`; both optional (`{"message":"forbidden."}` has no code). An insufficient-qty
 * refusal (403) adds the position's `symbol`, `existing_qty`, `held_for_orders` and `available` (decimals as text).
 */
export const WireError = Schema.Struct({
  code: opt(Schema.Number),
  message: opt(Schema.String),
  symbol: opt(Schema.String),
  existing_qty: opt(Schema.String),
  held_for_orders: opt(Schema.String),
  available: opt(Schema.String)
})
export type WireError = typeof WireError.Type

/** An item of `DELETE /v2/orders` (207 Multi-Status). */
export const WireCancelResult = Schema.Struct({
  id: Schema.String,
  status: Schema.Number,
  body: optNull(WireError)
})
export type WireCancelResult = typeof WireCancelResult.Type

/** An item of `DELETE /v2/positions` (207): `body` is the liquidating order on success, an error otherwise. */
export const WireClosePositionResult = Schema.Struct({
  symbol: Schema.String,
  status: Schema.Number,
  body: optNull(Schema.Union([WireOrder, WireError]))
})
export type WireClosePositionResult = typeof WireClosePositionResult.Type

export const isWireOrder = (body: WireOrder | WireError): body is WireOrder => "client_order_id" in body

// ---------------------------------------------------------------------------------------------------------------
// Account activities

/** A `FILL` account activity (`GET /v2/account/activities/FILL`): one execution, partial or complete. */
export const WireFillActivity = Schema.Struct({
  id: Schema.String,
  activity_type: Schema.String,
  transaction_time: Schema.String,
  /** fill, partial_fill */
  type: opt(Schema.String),
  price: Decimal,
  qty: Decimal,
  side: Schema.String,
  symbol: Schema.String,
  leaves_qty: opt(Decimal),
  order_id: Schema.String,
  cum_qty: opt(Decimal),
  order_status: opt(Schema.String)
})
export type WireFillActivity = typeof WireFillActivity.Type

// ---------------------------------------------------------------------------------------------------------------
// Clock, calendar, asset

/** `GET /v2/clock`. Timestamps carry the New York offset. */
export const WireClock = Schema.Struct({
  timestamp: Schema.String,
  is_open: Schema.Boolean,
  next_open: Schema.String,
  next_close: Schema.String
})
export type WireClock = typeof WireClock.Type

/** A New York wall-clock time as the calendar writes it: `HH:MM`, 00:00–23:59 (`"9:30"` is not one). */
const WallClockTime = Schema.String.check(
  Schema.isPattern(/^([01]\d|2[0-3]):[0-5]\d$/, { message: "expected a New York time as HH:MM (00:00–23:59)" })
)

const isCalendarDay = Schema.is(CalendarDay)

/** A day as the calendar writes it: `YYYY-MM-DD`, a day the calendar has (kept a plain string on the wire). */
const WireDay = Schema.String.check(Schema.makeFilter(isCalendarDay, { message: "expected a day as YYYY-MM-DD" }))

/**
 * An element of `GET /v2/calendar`. `open`/`close` are New York `HH:MM` (checked here: the schedule computes with
 * them, and a malformed one is the broker's answer to report, not a defect), the date `YYYY-MM-DD` of a real day,
 * and the open before the close; sessions `HHMM`, passed through unchecked (nothing computes with them).
 */
export const WireCalendarDay = Schema.Struct({
  date: WireDay,
  open: WallClockTime,
  close: WallClockTime,
  session_open: opt(Schema.String),
  session_close: opt(Schema.String),
  settlement_date: opt(Schema.String)
}).check(
  Schema.makeFilter((day) =>
    day.open < day.close ? undefined : `expected the open before the close, got open "${day.open}", close "${day.close}" on ${day.date}`
  )
)
export type WireCalendarDay = typeof WireCalendarDay.Type

/** `GET /v2/assets/{symbol}`. */
export const WireAsset = Schema.Struct({
  id: Schema.String,
  /** us_equity, us_option, crypto */
  class: opt(Schema.String),
  exchange: opt(Schema.String),
  symbol: Schema.String,
  name: opt(Schema.String),
  /** active, inactive */
  status: opt(Schema.String),
  tradable: opt(Schema.Boolean),
  marginable: opt(Schema.Boolean),
  shortable: opt(Schema.Boolean),
  easy_to_borrow: opt(Schema.Boolean),
  fractionable: opt(Schema.Boolean),
  cusip: optNull(Schema.String),
  maintenance_margin_requirement: optNull(Schema.Number),
  margin_requirement_long: optNull(Schema.String),
  margin_requirement_short: optNull(Schema.String),
  attributes: optNull(Schema.Array(Schema.String)),
  min_order_size: optNull(Schema.String),
  min_trade_increment: optNull(Schema.String),
  price_increment: optNull(Schema.String)
})
export type WireAsset = typeof WireAsset.Type

export type { MarketCalendarDay, MarketClock } from "@council/domain"

export interface AssetInfo {
  readonly id: string
  readonly symbol: string
  readonly assetClass: string
  readonly exchange: string
  readonly name: string
  readonly status: string
  readonly tradable: boolean
  readonly marginable: boolean
  readonly shortable: boolean
  readonly easyToBorrow: boolean
  readonly fractionable: boolean
}

export const toMarketClock = (wire: WireClock): MarketClock => ({
  timestamp: wire.timestamp,
  isOpen: wire.is_open,
  nextOpen: wire.next_open,
  nextClose: wire.next_close
})

export const toWireClock = (clock: MarketClock): WireClock => ({
  timestamp: clock.timestamp,
  is_open: clock.isOpen,
  next_open: clock.nextOpen,
  next_close: clock.nextClose
})

export const toCalendarDay = (wire: WireCalendarDay): MarketCalendarDay => ({
  date: wire.date as TradingDay,
  open: wire.open,
  close: wire.close,
  ...(wire.session_open !== undefined ? { sessionOpen: wire.session_open } : {}),
  ...(wire.session_close !== undefined ? { sessionClose: wire.session_close } : {}),
  ...(wire.settlement_date !== undefined ? { settlementDate: wire.settlement_date } : {})
})

export const toWireCalendarDay = (day: MarketCalendarDay): WireCalendarDay => ({
  date: day.date,
  open: day.open,
  close: day.close,
  ...(day.sessionOpen !== undefined ? { session_open: day.sessionOpen } : {}),
  ...(day.sessionClose !== undefined ? { session_close: day.sessionClose } : {}),
  ...(day.settlementDate !== undefined ? { settlement_date: day.settlementDate } : {})
})

export const toAssetInfo = (wire: WireAsset): AssetInfo => ({
  id: wire.id,
  symbol: wire.symbol,
  assetClass: wire.class ?? "us_equity",
  exchange: wire.exchange ?? "",
  name: wire.name ?? wire.symbol,
  status: wire.status ?? "active",
  tradable: wire.tradable ?? false,
  marginable: wire.marginable ?? false,
  shortable: wire.shortable ?? false,
  easyToBorrow: wire.easy_to_borrow ?? false,
  fractionable: wire.fractionable ?? false
})

export const toWireAsset = (asset: AssetInfo): WireAsset => ({
  id: asset.id,
  class: asset.assetClass,
  exchange: asset.exchange,
  symbol: asset.symbol,
  name: asset.name,
  status: asset.status,
  tradable: asset.tradable,
  marginable: asset.marginable,
  shortable: asset.shortable,
  easy_to_borrow: asset.easyToBorrow,
  fractionable: asset.fractionable
})

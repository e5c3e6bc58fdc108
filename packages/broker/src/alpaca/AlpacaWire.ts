/**
 * Alpaca's wire formats (trading API v2; market-data bars are in `AlpacaBarsWire`) as tolerant schemas, and pure conversions between
 * them and the domain, in both directions: a client decodes responses and encodes requests, an Alpaca-compatible
 * server decodes requests and encodes responses with the same schemas.
 *
 * **When to use**: the Alpaca adapter (`AlpacaClient`, `AlpacaBroker`) and any HTTP face of the local exchange.
 * Decode with `Schema.decodeUnknownEffect(Schema.fromJsonString(WireOrder))`, encode with
 * `Schema.encodeSync(WireOrder)(toWireOrder(order))`.
 *
 * **Gotchas**
 * - Decimals are JSON strings (`"qty": "2"`); `Decimal` also accepts JSON numbers (SDK fixtures) and always
 *   encodes to a string. Conversions to the domain parse them to `number`.
 * - Every account field is optional: the PDT/DTBP fields vanished on 2026-07-06, and Alpaca's field set drifts.
 *   Unknown fields are ignored on decode. Enumerations (order status, type, …) are plain strings on the wire and
 *   are checked only when converting to the domain, so a new Alpaca status fails one conversion, not a decode.
 * - `order_class: ""` means `simple`. Simple orders are encoded as `"simple"`.
 * - `toDomainOrder`/`toDomainPosition` return a `Result`: orders the domain cannot represent (notional, trailing
 *   stops, options legs, non-ticker symbols such as `BTC/USD`) are failures with a reason, not defects.
 * - Error classification (`errorReason`) and its inverse (`toWireError`) are kept together so that a server's
 *   error round-trips to the same `BrokerError` reason in the client (except `UnknownAccount`, sent as 401, and
 *   `Unavailable`, sent as 503, which come back as `Unauthorized` and `ServerError`).
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"
import {
  type AccountId,
  type AccountSnapshot,
  Fill,
  type MarketCalendarDay,
  type MarketClock,
  Order,
  OrderIntent,
  type OrderLeg,
  Position,
  TradingDay
} from "@council/domain"
import type { BrokerError, BrokerErrorReason } from "../Broker.ts"

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

const decimalOrNull = (value: number | null | undefined): string | null =>
  value === null || value === undefined ? null : formatDecimal(value)

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

/** Alpaca's error body `{code, message}`; both optional (`{"message":"forbidden."}` has no code). */
export const WireError = Schema.Struct({
  code: opt(Schema.Number),
  message: opt(Schema.String)
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
// Clock, calendar, asset

/** `GET /v2/clock`. Timestamps carry the New York offset. */
export const WireClock = Schema.Struct({
  timestamp: Schema.String,
  is_open: Schema.Boolean,
  next_open: Schema.String,
  next_close: Schema.String
})
export type WireClock = typeof WireClock.Type

/** An element of `GET /v2/calendar`. `open`/`close` are New York `HH:MM`, sessions `HHMM`. */
export const WireCalendarDay = Schema.Struct({
  date: Schema.String,
  open: Schema.String,
  close: Schema.String,
  session_open: opt(Schema.String),
  session_close: opt(Schema.String),
  settlement_date: opt(Schema.String)
})
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

// ---------------------------------------------------------------------------------------------------------------
// Orders ↔ domain

const describeFailure = <A>(what: string, result: Result.Result<A, Schema.SchemaError>): Result.Result<A, string> =>
  Result.mapError(result, (error) => `${what}: ${error.message}`)

const toDomainLegFields = (wire: WireOrderLeg | WireOrder): Result.Result<Record<string, unknown>, string> => {
  if (wire.notional !== undefined && wire.notional !== null && (wire.qty === undefined || wire.qty === null)) {
    return Result.fail(`order ${wire.id} is a notional order (unsupported)`)
  }
  const qty = parseDecimal(wire.qty)
  if (qty === undefined) return Result.fail(`order ${wire.id} has no qty`)
  const orderClass = wire.order_class === undefined || wire.order_class === "" ? "simple" : wire.order_class
  return Result.succeed({
    id: wire.id,
    clientOrderId: wire.client_order_id,
    symbol: wire.symbol,
    side: wire.side,
    qty,
    type: wire.type !== undefined && wire.type !== "" ? wire.type : wire.order_type,
    timeInForce: wire.time_in_force,
    limitPrice: parseDecimal(wire.limit_price) ?? null,
    stopPrice: parseDecimal(wire.stop_price) ?? null,
    orderClass,
    status: wire.status,
    filledQty: parseDecimal(wire.filled_qty) ?? 0,
    filledAvgPrice: parseDecimal(wire.filled_avg_price) ?? null,
    submittedAt: wire.submitted_at ?? wire.created_at ?? "",
    filledAt: wire.filled_at ?? null,
    ...(wire.updated_at ? { updatedAt: wire.updated_at } : {})
  })
}

const decodeOrder = Schema.decodeUnknownResult(Order)

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

const decodeFill = Schema.decodeUnknownResult(Fill)

/**
 * A fill activity as a domain `Fill`. Activities name no client order id (`""`) and no commission (Alpaca charges
 * none on equities: 0); a short sale's side `sell_short` is a sell.
 */
export const toDomainFill = (account: AccountId, wire: WireFillActivity): Result.Result<Fill, string> =>
  describeFailure(`unsupported fill ${wire.id}`, decodeFill({
    id: wire.id,
    orderId: wire.order_id,
    clientOrderId: "",
    account,
    symbol: wire.symbol,
    side: wire.side === "sell_short" ? "sell" : wire.side,
    qty: parseDecimal(wire.qty),
    price: parseDecimal(wire.price),
    commission: 0,
    at: wire.transaction_time
  }))

/** A domain fill as a complete `FILL` activity (what a server face sends). */
export const toWireFillActivity = (fill: Fill): WireFillActivity => ({
  id: fill.id,
  activity_type: "FILL",
  transaction_time: fill.at,
  type: "fill",
  price: formatDecimal(fill.price),
  qty: formatDecimal(fill.qty),
  side: fill.side,
  symbol: fill.symbol,
  leaves_qty: "0",
  order_id: fill.orderId,
  cum_qty: formatDecimal(fill.qty),
  order_status: "filled"
})

/** A wire order (with nested legs) as a domain `Order`; fails for orders the domain cannot represent. */
export const toDomainOrder = (wire: WireOrder): Result.Result<Order, string> => {
  const fields = toDomainLegFields(wire)
  if (Result.isFailure(fields)) return Result.fail(fields.failure)
  const legs: Array<Record<string, unknown>> = []
  for (const leg of wire.legs ?? []) {
    const converted = toDomainLegFields(leg)
    if (Result.isFailure(converted)) return Result.fail(converted.failure)
    legs.push(converted.success)
  }
  return describeFailure(`unsupported order ${wire.id}`, decodeOrder({ ...fields.success, legs }))
}

/** What a server knows about an order: the domain fields plus, optionally, Alpaca's bookkeeping fields. */
export interface WireOrderSource extends Omit<OrderLeg, "legs"> {
  readonly createdAt?: string
  readonly updatedAt?: string
  readonly canceledAt?: string | null
  readonly expiredAt?: string | null
  readonly extendedHours?: boolean
  readonly assetId?: string
  readonly assetClass?: string
  readonly legs?: ReadonlyArray<WireOrderSource>
}

const toWireLegFields = (order: WireOrderSource) => ({
  id: order.id,
  client_order_id: order.clientOrderId,
  created_at: order.createdAt ?? order.submittedAt,
  updated_at: order.updatedAt ?? order.submittedAt,
  submitted_at: order.submittedAt,
  filled_at: order.filledAt,
  expired_at: order.expiredAt ?? null,
  canceled_at: order.canceledAt ?? null,
  failed_at: null,
  replaced_at: null,
  replaced_by: null,
  replaces: null,
  asset_id: order.assetId ?? "",
  symbol: order.symbol,
  asset_class: order.assetClass ?? "us_equity",
  notional: null,
  qty: formatDecimal(order.qty),
  filled_qty: formatDecimal(order.filledQty),
  filled_avg_price: decimalOrNull(order.filledAvgPrice),
  order_class: order.orderClass,
  order_type: order.type,
  type: order.type,
  side: order.side,
  time_in_force: order.timeInForce,
  limit_price: decimalOrNull(order.limitPrice),
  stop_price: decimalOrNull(order.stopPrice),
  status: order.status,
  extended_hours: order.extendedHours ?? false,
  trail_percent: null,
  trail_price: null,
  hwm: null,
  subtag: null,
  source: null
})

/** A domain (or exchange) order as Alpaca's wire order; `legs` is `null` when there are none. */
export const toWireOrder = (order: WireOrderSource): WireOrder => ({
  ...toWireLegFields(order),
  legs: order.legs !== undefined && order.legs.length > 0
    ? order.legs.map((leg) => ({ ...toWireLegFields(leg), legs: null }))
    : null
})

/** The `POST /v2/orders` body for an intent; always carries the intent's `client_order_id`. */
export const toWireOrderRequest = (intent: OrderIntent): WireOrderRequest => ({
  symbol: intent.symbol,
  qty: formatDecimal(intent.qty),
  side: intent.side,
  type: intent.type,
  time_in_force: intent.timeInForce,
  ...(intent.limitPrice !== undefined ? { limit_price: formatDecimal(intent.limitPrice) } : {}),
  ...(intent.stopPrice !== undefined ? { stop_price: formatDecimal(intent.stopPrice) } : {}),
  ...(intent.extendedHours !== undefined ? { extended_hours: intent.extendedHours } : {}),
  client_order_id: intent.clientOrderId,
  order_class: intent.orderClass,
  ...(intent.takeProfit !== undefined ? { take_profit: { limit_price: formatDecimal(intent.takeProfit.limitPrice) } } : {}),
  ...(intent.stopLoss !== undefined
    ? {
      stop_loss: {
        stop_price: formatDecimal(intent.stopLoss.stopPrice),
        ...(intent.stopLoss.limitPrice !== undefined ? { limit_price: formatDecimal(intent.stopLoss.limitPrice) } : {})
      }
    }
    : {})
})

const decodeIntent = Schema.decodeUnknownResult(OrderIntent)

/**
 * A `POST /v2/orders` body as a domain intent (for a server). A missing or empty `client_order_id` gets
 * `newClientOrderId()`, like Alpaca. Fails with an Alpaca-style 422 message.
 */
export const fromWireOrderRequest = (
  account: AccountId,
  body: WireOrderRequest,
  newClientOrderId: () => string
): Result.Result<OrderIntent, string> => {
  if (body.notional !== undefined && body.notional !== null) return Result.fail("notional orders are not supported")
  if (body.trail_price != null || body.trail_percent != null || body.type === "trailing_stop") {
    return Result.fail("trailing_stop orders are not supported")
  }
  if (body.symbol == null || body.symbol === "") return Result.fail("symbol is required")
  if (body.qty == null) return Result.fail("qty is required")
  if (body.side == null) return Result.fail("side is required")
  if (body.type == null) return Result.fail("type is required")
  if (body.time_in_force == null) return Result.fail("time_in_force is required")
  const candidate = {
    account,
    symbol: body.symbol,
    side: body.side,
    qty: Number(body.qty),
    type: body.type,
    timeInForce: body.time_in_force,
    ...(body.limit_price != null ? { limitPrice: Number(body.limit_price) } : {}),
    ...(body.stop_price != null ? { stopPrice: Number(body.stop_price) } : {}),
    orderClass: body.order_class == null || body.order_class === "" ? "simple" : body.order_class,
    ...(body.take_profit != null ? { takeProfit: { limitPrice: Number(body.take_profit.limit_price) } } : {}),
    ...(body.stop_loss != null
      ? {
        stopLoss: {
          stopPrice: Number(body.stop_loss.stop_price),
          ...(body.stop_loss.limit_price != null ? { limitPrice: Number(body.stop_loss.limit_price) } : {})
        }
      }
      : {}),
    ...(body.extended_hours != null ? { extendedHours: body.extended_hours } : {}),
    clientOrderId: body.client_order_id == null || body.client_order_id === "" ? newClientOrderId() : body.client_order_id,
    reason: "alpaca api"
  }
  return describeFailure("invalid order", decodeIntent(candidate))
}

// ---------------------------------------------------------------------------------------------------------------
// Positions and account ↔ domain

const decodePosition = Schema.decodeUnknownResult(Position)

export const toDomainPosition = (wire: WirePosition): Result.Result<Position, string> => {
  const rawQty = Number(wire.qty)
  const side = wire.side === "short" || (wire.side === undefined && rawQty < 0) ? "short" : "long"
  const qty = side === "short" ? -Math.abs(rawQty) : Math.abs(rawQty)
  const avgEntryPrice = parseDecimal(wire.avg_entry_price) ?? 0
  const marketValueWire = parseDecimal(wire.market_value)
  const currentPrice = parseDecimal(wire.current_price) ??
    (marketValueWire !== undefined && qty !== 0 ? marketValueWire / qty : avgEntryPrice)
  const marketValue = marketValueWire ?? qty * currentPrice
  const unrealizedPl = parseDecimal(wire.unrealized_pl) ?? (currentPrice - avgEntryPrice) * qty
  return describeFailure(`unsupported position ${wire.symbol}`, decodePosition({
    symbol: wire.symbol,
    qty,
    side,
    avgEntryPrice,
    marketValue,
    currentPrice,
    unrealizedPl
  }))
}

/** What a server knows about a position beyond the domain fields. */
export interface WirePositionSource extends Position {
  readonly qtyAvailable?: number
  readonly costBasis?: number
  readonly lastdayPrice?: number
  readonly assetId?: string
  readonly exchange?: string
  readonly assetClass?: string
}

export const toWirePosition = (position: WirePositionSource): WirePosition => {
  const costBasis = position.costBasis ?? position.avgEntryPrice * position.qty
  const plpc = costBasis !== 0 ? position.unrealizedPl / Math.abs(costBasis) : 0
  return {
    asset_id: position.assetId ?? "",
    symbol: position.symbol,
    exchange: position.exchange ?? "",
    asset_class: position.assetClass ?? "us_equity",
    asset_marginable: true,
    qty: formatDecimal(position.qty),
    qty_available: formatDecimal(position.qtyAvailable ?? position.qty),
    avg_entry_price: formatDecimal(position.avgEntryPrice),
    side: position.side,
    market_value: formatDecimal(position.marketValue),
    cost_basis: formatDecimal(costBasis),
    unrealized_pl: formatDecimal(position.unrealizedPl),
    unrealized_plpc: formatDecimal(plpc),
    current_price: formatDecimal(position.currentPrice),
    ...(position.lastdayPrice !== undefined
      ? {
        lastday_price: formatDecimal(position.lastdayPrice),
        change_today: formatDecimal(position.lastdayPrice !== 0 ? position.currentPrice / position.lastdayPrice - 1 : 0),
        unrealized_intraday_pl: formatDecimal((position.currentPrice - position.lastdayPrice) * position.qty)
      }
      : {})
  }
}

/**
 * The account snapshot from `GET /v2/account` and the (already converted) positions. Missing fields fall back:
 * market values to the positions' sums, equity to cash + market values, buying power to cash.
 */
export const toAccountSnapshot = (
  account: AccountId,
  wire: WireAccount,
  positions: ReadonlyArray<Position>
): AccountSnapshot => {
  const cash = parseDecimal(wire.cash) ?? 0
  const longMarketValue = parseDecimal(wire.long_market_value) ??
    positions.filter((p) => p.qty > 0).reduce((sum, p) => sum + p.marketValue, 0)
  const shortMarketValue = parseDecimal(wire.short_market_value) ??
    positions.filter((p) => p.qty < 0).reduce((sum, p) => sum + p.marketValue, 0)
  const equity = parseDecimal(wire.equity) ?? parseDecimal(wire.portfolio_value) ??
    cash + longMarketValue + shortMarketValue
  return {
    account,
    cash,
    equity,
    buyingPower: parseDecimal(wire.buying_power) ?? cash,
    longMarketValue,
    shortMarketValue,
    positions
  }
}

/** Alpaca bookkeeping a server adds to a snapshot. */
export interface WireAccountExtras {
  /** Alpaca-style account id (UUID). */
  readonly id: string
  readonly accountNumber?: string
  readonly createdAt?: string
  readonly shortingEnabled?: boolean
  readonly lastEquity?: number
  /** `YYYY-MM-DD` of `last_equity`. */
  readonly balanceAsOf?: string
}

/** A snapshot as `GET /v2/account` (post-2026-07 shape: no PDT fields; no leverage: multiplier 1). */
export const toWireAccount = (snapshot: AccountSnapshot, extras: WireAccountExtras): WireAccount => ({
  id: extras.id,
  account_number: extras.accountNumber ?? snapshot.account,
  status: "ACTIVE",
  crypto_status: "INACTIVE",
  currency: "USD",
  cash: formatDecimal(snapshot.cash),
  portfolio_value: formatDecimal(snapshot.equity),
  equity: formatDecimal(snapshot.equity),
  last_equity: formatDecimal(extras.lastEquity ?? snapshot.equity),
  buying_power: formatDecimal(snapshot.buyingPower),
  regt_buying_power: formatDecimal(snapshot.buyingPower),
  non_marginable_buying_power: formatDecimal(snapshot.buyingPower),
  options_buying_power: "0",
  long_market_value: formatDecimal(snapshot.longMarketValue),
  short_market_value: formatDecimal(snapshot.shortMarketValue),
  initial_margin: "0",
  maintenance_margin: "0",
  last_maintenance_margin: "0",
  sma: "0",
  multiplier: "1",
  shorting_enabled: extras.shortingEnabled ?? true,
  trading_blocked: false,
  transfers_blocked: false,
  account_blocked: false,
  trade_suspended_by_user: false,
  ...(extras.createdAt !== undefined ? { created_at: extras.createdAt } : {}),
  ...(extras.balanceAsOf !== undefined ? { balance_asof: extras.balanceAsOf } : {}),
  accrued_fees: "0",
  pending_transfer_in: "0",
  pending_transfer_out: "0",
  intraday_adjustments: "0",
  pending_reg_taf_fees: "0"
})

// ---------------------------------------------------------------------------------------------------------------
// Errors ↔ BrokerError reasons

/** The `BrokerError` reason for an Alpaca error response (classified by status, then by message). */
export const errorReason = (status: number, message: string): BrokerErrorReason => {
  const text = message.toLowerCase()
  if (status >= 400 && status < 500 && text.includes("client_order_id must be unique")) return "DuplicateClientOrderId"
  if (status === 429) return "RateLimited"
  if (status >= 500) return "ServerError"
  if (status === 401) return "Unauthorized"
  if (status === 404) return "NotFound"
  if (status === 403 || status === 422) {
    if (text.includes("insufficient buying power")) return "InsufficientBuyingPower"
    if (text.includes("insufficient qty")) return "InsufficientQty"
    if (text.includes("not allowed to short")) return "ShortingNotAllowed"
    if (text.includes("market is closed")) return "MarketClosed"
  }
  if (status === 403) return /^\s*(forbidden\.?|request is not authorized\.?)?\s*$/.test(text) || text.startsWith("<")
    ? "Unauthorized"
    : "InvalidRequest"
  return "InvalidRequest"
}

/** Whether sending the same request again may succeed. */
export const isRetryableReason = (reason: BrokerErrorReason): boolean =>
  reason === "RateLimited" || reason === "ServerError" || reason === "Unavailable"

const canonicalMessages: Partial<Record<BrokerErrorReason, string>> = {
  InsufficientBuyingPower: "insufficient buying power",
  InsufficientQty: "insufficient qty",
  ShortingNotAllowed: "account is not allowed to short",
  DuplicateClientOrderId: "client_order_id must be unique",
  MarketClosed: "market is closed"
}

/** The HTTP status and Alpaca error body a server answers a `BrokerError` with (round-trips via `errorReason`). */
export const toWireError = (error: BrokerError): {
  readonly status: number
  readonly body: WireError
  readonly headers: Readonly<Record<string, string>>
} => {
  const [status, code] = wireStatus[error.reason]
  const canonical = canonicalMessages[error.reason]
  const message = canonical === undefined || error.message.toLowerCase().includes(canonical)
    ? error.message
    : `${canonical}: ${error.message}`
  const headers: Record<string, string> = error.reason === "RateLimited" && error.resetAt !== undefined
    ? { "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": String(Math.ceil(error.resetAt)) }
    : {}
  return { status, body: { code, message }, headers }
}

const wireStatus: Record<BrokerErrorReason, readonly [number, number]> = {
  InsufficientBuyingPower: [403, 40310000],
  InsufficientQty: [403, 40310000],
  ShortingNotAllowed: [403, 40310000],
  InvalidRequest: [422, 40010001],
  NotFound: [404, 40410000],
  DuplicateClientOrderId: [422, 40010001],
  RateLimited: [429, 42910000],
  ServerError: [500, 50010000],
  Unauthorized: [401, 40110000],
  Unavailable: [503, 50310000],
  UnknownAccount: [401, 40110000],
  MarketClosed: [422, 42210000],
  // never sent by Alpaca: the safety broker refuses before any request; a server answering it says 403
  SafetyRefused: [403, 40310000]
}

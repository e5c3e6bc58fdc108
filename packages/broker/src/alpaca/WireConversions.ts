/**
 * Pure conversions between Alpaca's wire orders, fills, positions, accounts and errors (`WireFormats`) and the
 * domain, in both directions: a client decodes responses and encodes requests, an Alpaca-compatible server decodes
 * requests and encodes responses. Import through `AlpacaWire`.
 *
 * **Gotchas**
 * - Conversions to the domain parse decimal strings to `number`; `order_class: ""` means `simple`. Simple orders
 *   are encoded as `""` in orders (as Alpaca answers) and as `"simple"` in order requests (Alpaca reads both).
 * - `toDomainOrder`/`toDomainPosition` return a `Result`: orders the domain cannot represent (options legs,
 *   non-ticker symbols such as `BTC/USD`, a status new to Council: `unknownStatus`) are failures with a reason, not
 *   defects. Trailing stops carry their trail
 *   and `hwm`. A notional order
 *   (`qty: null`, `notional` set) is an `Order` with `notional` and the shares filled so far as its `qty`.
 * - Errors convert in `WireErrors` (`errorReason`, `toWireError`).
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import {
  type AccountId,
  type AccountSnapshot,
  decimalDifference,
  Fill,
  NotionalIntent,
  Order,
  OrderIntent,
  type OrderLeg,
  OrderStatus,
  Position,
  PositionIntent
} from "@council/domain"
import {
  WireAccount,
  WireFillActivity,
  WireOrder,
  WireOrderLeg,
  WireOrderRequest,
  WirePosition,
  formatDecimal,
  parseDecimal
} from "./WireFormats.ts"

const decimalOrNull = (value: number | null | undefined): string | null =>
  value === null || value === undefined ? null : formatDecimal(value)

// ---------------------------------------------------------------------------------------------------------------
// Orders ↔ domain

const standardIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/**
 * A schema failure's first issue as wire names: the field (`take_profit.limit_price`, snake case as on the wire;
 * `""` for the whole value) and what is wrong with it, on one line (a schema's own message spans lines).
 */
export const firstIssue = (error: Schema.SchemaError): { readonly field: string; readonly problem: string } => {
  const [issue] = standardIssues(error.issue).issues
  const field = (issue?.path ?? [])
    .map((key) => String(key).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
    .join(".")
  const text = (issue?.message ?? error.message).replace(/\s+/g, " ").trim()
  return { field, problem: text.charAt(0).toLowerCase() + text.slice(1) }
}

/** One plain line naming the field, as Alpaca's messages do: `invalid qty: expected a value greater than 0`. */
export const issueLine = (what: string, error: Schema.SchemaError): string => {
  const { field, problem } = firstIssue(error)
  return field === "" ? `${what}: ${problem}` : `invalid ${field}: ${problem}`
}

const describeFailure = <A>(what: string, result: Result.Result<A, Schema.SchemaError>): Result.Result<A, string> =>
  Result.mapError(result, (error) => {
    const { field, problem } = firstIssue(error)
    return field === "" ? `${what}: ${problem}` : `${what}: ${field}: ${problem}`
  })

/** `{ [key]: n }` for a decimal that is there, `{}` otherwise. */
const optionalDecimal = (key: string, value: string | null | undefined): Readonly<Record<string, number>> => {
  const n = parseDecimal(value)
  return n === undefined ? {} : { [key]: n }
}

const toDomainLegFields = (wire: WireOrderLeg | WireOrder): Result.Result<Record<string, unknown>, string> => {
  // a notional order names dollars, not shares (`qty: null`): its shares are those filled so far
  const notional = wire.qty === undefined || wire.qty === null ? parseDecimal(wire.notional) : undefined
  const filledQty = parseDecimal(wire.filled_qty) ?? 0
  const qty = notional !== undefined ? filledQty : parseDecimal(wire.qty)
  if (qty === undefined) return Result.fail(`order ${wire.id} has no qty`)
  const orderClass = wire.order_class === undefined || wire.order_class === "" ? "simple" : wire.order_class
  return Result.succeed({
    id: wire.id,
    clientOrderId: wire.client_order_id,
    symbol: wire.symbol,
    side: wire.side,
    qty,
    ...(notional !== undefined ? { notional } : {}),
    type: wire.type !== undefined && wire.type !== "" ? wire.type : wire.order_type,
    timeInForce: wire.time_in_force,
    limitPrice: parseDecimal(wire.limit_price) ?? null,
    stopPrice: parseDecimal(wire.stop_price) ?? null,
    ...optionalDecimal("trailPrice", wire.trail_price),
    ...optionalDecimal("trailPercent", wire.trail_percent),
    ...optionalDecimal("hwm", wire.hwm),
    orderClass,
    status: wire.status,
    filledQty,
    filledAvgPrice: parseDecimal(wire.filled_avg_price) ?? null,
    submittedAt: wire.submitted_at ?? wire.created_at ?? "",
    filledAt: wire.filled_at ?? null,
    ...(wire.updated_at ? { updatedAt: wire.updated_at } : {})
  })
}

const decodeOrder = Schema.decodeUnknownResult(Order)
const isKnownStatus = Schema.is(OrderStatus)

/** Whether `status` is one the domain knows (`OrderStatus`); Alpaca's wire may carry one new to Council. */
export const knowsStatus = (status: string): status is OrderStatus => isKnownStatus(status)

/**
 * One line naming the order (or its leg) whose status the domain does not know, and the status as Alpaca answered
 * it; `undefined` when every status is known. Such an order cannot be converted (`toDomainOrder` fails with this line).
 */
export const unknownStatus = (wire: WireOrder): string | undefined => {
  const what = `order ${wire.id} (${wire.side} ${wire.qty ?? `$${wire.notional ?? "?"}`} ${wire.symbol})`
  if (!isKnownStatus(wire.status)) return `${what}: status ${JSON.stringify(wire.status)} is new to Council`
  const leg = (wire.legs ?? []).find((l) => !isKnownStatus(l.status))
  return leg === undefined ? undefined : `${what}: its leg ${leg.id}'s status ${JSON.stringify(leg.status)} is new to Council`
}


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

/** Where a fill left its order: the order's shares filled with it (`cumQty`) and the order's quantity. */
export interface FillProgress {
  readonly cumQty: number
  readonly orderQty: number
}

/**
 * A domain fill as a `FILL` activity (what a server face sends): `partial_fill` with the shares still open
 * (`leaves_qty`) while the order is not complete after it, `fill` when it completes the order.
 */
export const toWireFillActivity = (fill: Fill, progress: FillProgress): WireFillActivity => {
  const leaves = Math.max(0, decimalDifference(progress.orderQty, progress.cumQty))
  return {
    id: fill.id,
    activity_type: "FILL",
    transaction_time: fill.at,
    type: leaves > 0 ? "partial_fill" : "fill",
    price: formatDecimal(fill.price),
    qty: formatDecimal(fill.qty),
    side: fill.side,
    symbol: fill.symbol,
    leaves_qty: formatDecimal(leaves),
    order_id: fill.orderId,
    cum_qty: formatDecimal(progress.cumQty),
    order_status: leaves > 0 ? "partially_filled" : "filled"
  }
}

/** A wire order (with nested legs) as a domain `Order`; fails for orders the domain cannot represent. */
export const toDomainOrder = (wire: WireOrder): Result.Result<Order, string> => {
  const unknown = unknownStatus(wire)
  if (unknown !== undefined) return Result.fail(unknown)
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
  /** Alpaca's `position_intent` of the order (a server knows it; Alpaca answers it, stated or inferred). */
  readonly positionIntent?: PositionIntent
  /** The replacement links of a replaced order (`replacedBy`, `replacedAt`) or of a replacement (`replaces`). */
  readonly replacedAt?: string | null
  readonly replacedBy?: string | null
  readonly replaces?: string | null
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
  replaced_at: order.replacedAt ?? null,
  replaced_by: order.replacedBy ?? null,
  replaces: order.replaces ?? null,
  asset_id: order.assetId ?? "",
  symbol: order.symbol,
  asset_class: order.assetClass ?? "us_equity",
  // Alpaca: "If [notional is] entered, `qty` will be null", filled or not
  notional: decimalOrNull(order.notional),
  qty: order.notional === undefined ? formatDecimal(order.qty) : null,
  filled_qty: formatDecimal(order.filledQty),
  filled_avg_price: decimalOrNull(order.filledAvgPrice),
  // Alpaca answers "" for simple equity orders (and reads "" or "simple" in requests)
  order_class: order.orderClass === "simple" ? "" : order.orderClass,
  order_type: order.type,
  type: order.type,
  side: order.side,
  ...(order.positionIntent !== undefined ? { position_intent: order.positionIntent } : {}),
  time_in_force: order.timeInForce,
  limit_price: decimalOrNull(order.limitPrice),
  stop_price: decimalOrNull(order.stopPrice),
  status: order.status,
  extended_hours: order.extendedHours ?? false,
  trail_percent: decimalOrNull(order.trailPercent),
  trail_price: decimalOrNull(order.trailPrice),
  hwm: decimalOrNull(order.hwm),
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
  ...(intent.trailPrice !== undefined ? { trail_price: formatDecimal(intent.trailPrice) } : {}),
  ...(intent.trailPercent !== undefined ? { trail_percent: formatDecimal(intent.trailPercent) } : {}),
  ...(intent.extendedHours !== undefined ? { extended_hours: intent.extendedHours } : {}),
  client_order_id: intent.clientOrderId,
  order_class: intent.orderClass,
  ...(intent.positionIntent !== undefined ? { position_intent: intent.positionIntent } : {}),
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
const isPositionIntent = Schema.is(PositionIntent)

const decodeNotionalIntent = Schema.decodeUnknownResult(NotionalIntent)

/**
 * A notional `POST /v2/orders` body (`notional`, no `qty`) as a `NotionalIntent`: a simple market `day` order
 * (Alpaca's fractional-trading rules), else refused with a 422 message naming what is wrong.
 */
const notionalIntent = (account: AccountId, body: WireOrderRequest, clientOrderId: string): Result.Result<NotionalIntent, string> => {
  if (body.type !== "market") return Result.fail("notional orders must be market orders on the local exchange")
  if (body.time_in_force !== "day") return Result.fail("notional orders must be DAY orders")
  const orderClass = body.order_class == null || body.order_class === "" ? "simple" : body.order_class
  if (orderClass !== "simple" || body.take_profit != null || body.stop_loss != null) {
    return Result.fail("notional orders must be simple orders")
  }
  if (body.limit_price != null || body.stop_price != null) return Result.fail("notional orders must be market orders on the local exchange")
  if (body.extended_hours === true) return Result.fail("extended hours order must be DAY limit orders")
  return Result.mapError(decodeNotionalIntent({
    account,
    symbol: body.symbol,
    side: body.side,
    notional: Number(body.notional),
    type: "market",
    timeInForce: "day",
    orderClass: "simple",
    ...(body.position_intent != null ? { positionIntent: body.position_intent } : {}),
    clientOrderId,
    reason: "alpaca api"
  }), (error) => issueLine("invalid order", error))
}

/**
 * A `POST /v2/orders` body as a domain intent (for a server): an `OrderIntent`, or with `notional` (and no `qty`) a
 * `NotionalIntent`. A missing or empty `client_order_id` gets `newClientOrderId()`, like Alpaca. Fails with an
 * Alpaca-style 422 message (both `qty` and `notional`: refused).
 */
export const fromWireOrderRequest = (
  account: AccountId,
  body: WireOrderRequest,
  newClientOrderId: () => string
): Result.Result<OrderIntent | NotionalIntent, string> => {
  const trailed = body.trail_price != null || body.trail_percent != null
  if (body.type === "trailing_stop" && body.trail_price != null && body.trail_percent != null) {
    return Result.fail("only one of trail_price or trail_percent may be specified")
  }
  if (body.type === "trailing_stop" && !trailed) return Result.fail("trail_price or trail_percent is required for trailing_stop orders")
  if (body.type != null && body.type !== "trailing_stop" && trailed) {
    return Result.fail(`trail_price and trail_percent are only allowed for trailing_stop orders`)
  }
  if (body.symbol == null || body.symbol === "") return Result.fail("symbol is required")
  if (body.qty != null && body.notional != null) return Result.fail("only one of qty or notional may be specified")
  if (body.qty == null && body.notional == null) return Result.fail("qty is required")
  if (body.side == null) return Result.fail("side is required")
  if (body.type == null) return Result.fail("type is required")
  if (body.time_in_force == null) return Result.fail("time_in_force is required")
  if (body.position_intent != null && !isPositionIntent(body.position_intent)) return Result.fail("invalid position_intent specified")
  const clientOrderId = body.client_order_id == null || body.client_order_id === "" ? newClientOrderId() : body.client_order_id
  if (body.notional != null) return notionalIntent(account, body, clientOrderId)
  const candidate = {
    account,
    symbol: body.symbol,
    side: body.side,
    qty: Number(body.qty),
    type: body.type,
    timeInForce: body.time_in_force,
    ...(body.limit_price != null ? { limitPrice: Number(body.limit_price) } : {}),
    ...(body.stop_price != null ? { stopPrice: Number(body.stop_price) } : {}),
    ...(body.trail_price != null ? { trailPrice: Number(body.trail_price) } : {}),
    ...(body.trail_percent != null ? { trailPercent: Number(body.trail_percent) } : {}),
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
    ...(body.position_intent != null ? { positionIntent: body.position_intent } : {}),
    clientOrderId,
    reason: "alpaca api"
  }
  return Result.mapError(decodeIntent(candidate), (error) => issueLine("invalid order", error))
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

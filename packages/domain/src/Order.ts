/**
 * Orders: what the risk gate approves (intents), what the broker holds (orders), and what filled.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { AccountId, Ticker } from "./Ids.ts"

export const Side = Schema.Literals(["buy", "sell"])
export type Side = typeof Side.Type

/**
 * `trailing_stop`: a stop that follows the market by `trailPrice` dollars or `trailPercent` percent from the best
 * price seen since it was placed (`hwm`: the highest for a sell, the lowest for a buy). Council's pipeline does not
 * place them; a user's own ones are read from the broker, and the local exchange serves them.
 */
export const OrderType = Schema.Literals(["market", "limit", "stop", "stop_limit", "trailing_stop"])
export type OrderType = typeof OrderType.Type

export const TimeInForce = Schema.Literals(["day", "gtc", "opg", "cls", "ioc", "fok"])
export type TimeInForce = typeof TimeInForce.Type

export const OrderClass = Schema.Literals(["simple", "bracket", "oco", "oto"])
export type OrderClass = typeof OrderClass.Type

/**
 * Alpaca's `position_intent`: what an order does to the position. Alpaca infers it from the position (a sell with
 * a long position closes, without one opens a short) and refuses an order whose stated intent differs, so a
 * `sell_to_close` that would open a short is refused by the broker itself.
 */
export const PositionIntent = Schema.Literals(["buy_to_open", "buy_to_close", "sell_to_open", "sell_to_close"])
export type PositionIntent = typeof PositionIntent.Type

/** The intent of a `side` order that opens (or adds to) a position, or closes (or reduces) one. */
export const positionIntentOf = (side: Side, effect: "open" | "close"): PositionIntent =>
  side === "buy" ? (effect === "open" ? "buy_to_open" : "buy_to_close") : effect === "open" ? "sell_to_open" : "sell_to_close"

const Price = Schema.Finite.check(Schema.isGreaterThan(0))
const Qty = Schema.Finite.check(Schema.isGreaterThan(0))

export const TakeProfit = Schema.Struct({ limitPrice: Price })
export const StopLoss = Schema.Struct({ stopPrice: Price, limitPrice: Schema.optionalKey(Price) })

/** Alpaca's limit for `client_order_id`. */
export const CLIENT_ORDER_ID_MAX = 128

export const ClientOrderId = Schema.String.check(
  Schema.isMinLength(1),
  Schema.isMaxLength(CLIENT_ORDER_ID_MAX)
)

/** An order the risk gate approved, not yet sent. Its client order id makes sending it idempotent. */
export const OrderIntent = Schema.Struct({
  account: AccountId,
  symbol: Ticker,
  side: Side,
  qty: Qty,
  type: OrderType,
  timeInForce: TimeInForce,
  limitPrice: Schema.optionalKey(Price),
  stopPrice: Schema.optionalKey(Price),
  /** A `trailing_stop`'s trail in dollars (Alpaca's `trail_price`); exactly one of it and `trailPercent`. */
  trailPrice: Schema.optionalKey(Price),
  /** A `trailing_stop`'s trail in percent of the high-water mark (Alpaca's `trail_percent`, 1 = 1 %). */
  trailPercent: Schema.optionalKey(Price),
  orderClass: OrderClass,
  takeProfit: Schema.optionalKey(TakeProfit),
  stopLoss: Schema.optionalKey(StopLoss),
  extendedHours: Schema.optionalKey(Schema.Boolean),
  clientOrderId: ClientOrderId,
  /**
   * What the order does to the position (a bracket's or OCO's: its entry's, or its exits'), sent as Alpaca's
   * `position_intent`. Not part of the client order id (runs recorded before it keep their ids); absent in intents
   * of runs that do not record `positionIntent: sent` and in orders placed over the API without one.
   */
  positionIntent: Schema.optionalKey(PositionIntent),
  /** Why the gate produced it, for the audit trail. */
  reason: Schema.String
})
export type OrderIntent = typeof OrderIntent.Type

/**
 * A notional order as a client sends it (Alpaca's `notional` with no `qty`): `notional` dollars of `symbol`, the
 * shares set at the fill (the dollars over the fill price, at most 9 decimals). Alpaca takes such orders as simple
 * market `day` orders only (fractional trading); a sell by notional sells shares of a long position, never opens a
 * short. Council's pipeline orders shares (`OrderIntent`); notional intents reach only the local exchange, from its
 * server's clients.
 */
export const NotionalIntent = Schema.Struct({
  account: AccountId,
  symbol: Ticker,
  side: Side,
  notional: Price,
  type: Schema.Literal("market"),
  timeInForce: Schema.Literal("day"),
  orderClass: Schema.Literal("simple"),
  clientOrderId: ClientOrderId,
  positionIntent: Schema.optionalKey(PositionIntent),
  reason: Schema.String
})
export type NotionalIntent = typeof NotionalIntent.Type

/** Whether `intent` orders dollars (`NotionalIntent`) rather than shares. */
export const isNotionalIntent = (intent: OrderIntent | NotionalIntent): intent is NotionalIntent => "notional" in intent

export const OrderStatus = Schema.Literals([
  "new",
  "accepted",
  "pending_new",
  "partially_filled",
  "filled",
  "done_for_day",
  "canceled",
  "expired",
  "replaced",
  "pending_cancel",
  "pending_replace",
  "rejected",
  "held",
  "stopped",
  "suspended",
  "calculated",
  "accepted_for_bidding",
  "pending_review"
])
export type OrderStatus = typeof OrderStatus.Type

export const OPEN_STATUSES: ReadonlySet<OrderStatus> = new Set([
  "new",
  "accepted",
  "pending_new",
  "partially_filled",
  "held",
  "pending_cancel",
  "pending_replace",
  "accepted_for_bidding",
  "calculated",
  "stopped",
  "suspended",
  "pending_review",
  // a GTC order done for the session (a bracket's stop): it works again at the next one, still fills or cancels
  "done_for_day"
])

const OrderFields = {
  id: Schema.String,
  clientOrderId: Schema.String,
  symbol: Ticker,
  side: Side,
  /**
   * The shares ordered. A notional order (`notional` set) orders dollars: its shares are known only as it fills, so
   * its `qty` is the shares filled so far (`filledQty`; 0 until it fills).
   */
  qty: Schema.Finite,
  /**
   * A notional order's dollars (Alpaca's `notional`, with `qty: null` on the wire); absent for orders of shares.
   * Such an order is a simple market `day` order; what it bought or sold is `filledQty` at `filledAvgPrice`.
   */
  notional: Schema.optionalKey(Schema.Finite),
  type: OrderType,
  timeInForce: TimeInForce,
  limitPrice: Schema.NullOr(Schema.Finite),
  /** A `trailing_stop`'s stop where its trail has brought it so far. */
  stopPrice: Schema.NullOr(Schema.Finite),
  /** A `trailing_stop`'s trail (Alpaca's `trail_price`, dollars, or `trail_percent`); absent for other orders. */
  trailPrice: Schema.optionalKey(Schema.Finite),
  trailPercent: Schema.optionalKey(Schema.Finite),
  /** A `trailing_stop`'s high-water mark (a buy's: its low-water mark), as the broker reports it. */
  hwm: Schema.optionalKey(Schema.Finite),
  orderClass: OrderClass,
  status: OrderStatus,
  filledQty: Schema.Finite,
  filledAvgPrice: Schema.NullOr(Schema.Finite),
  submittedAt: Schema.String,
  filledAt: Schema.NullOr(Schema.String),
  /** The broker's last change of the order (Alpaca's `updated_at`), when it says. */
  updatedAt: Schema.optionalKey(Schema.String)
}

export const OrderLeg = Schema.Struct(OrderFields)
export type OrderLeg = typeof OrderLeg.Type

/** An order as the broker reports it. */
export const Order = Schema.Struct({
  ...OrderFields,
  legs: Schema.Array(OrderLeg)
})
export type Order = typeof Order.Type

export const Fill = Schema.Struct({
  /** The broker's id of the fill (Alpaca's activity id). */
  id: Schema.String,
  orderId: Schema.String,
  clientOrderId: Schema.String,
  account: AccountId,
  symbol: Ticker,
  side: Side,
  qty: Schema.Finite,
  price: Schema.Finite,
  commission: Schema.Finite,
  at: Schema.String
})
export type Fill = typeof Fill.Type

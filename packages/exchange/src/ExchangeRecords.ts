/**
 * What the local exchange hands out: accounts with their key pairs, orders with every field the ledger keeps,
 * positions with Alpaca's extra fields — and their domain views (`toOrder`, `toPosition`) for the `Broker` port.
 *
 * @since 0.1.0
 */
import type * as Redacted from "effect/Redacted"
import type {
  AccountId,
  Order,
  OrderClass,
  OrderLeg,
  OrderStatus,
  OrderType,
  Position,
  PositionIntent,
  Side,
  Ticker,
  TimeInForce,
  TradingDay
} from "@council/domain"
import type { OrderQuery } from "@council/broker"
import type { SessionPoint } from "./Calendar.ts"
import { withOrderExtras } from "./LedgerRows.ts"

/** An exchange account and its API key pair. */
export interface ExchangeAccount {
  readonly account: AccountId
  /** Alpaca-style account id (UUID). */
  readonly uuid: string
  readonly keyId: string
  readonly secretKey: Redacted.Redacted<string>
  readonly createdAt: string
  readonly lastSession: TradingDay
  /** How far in time the account's orders were processed: `lastSession`'s open or its close. */
  readonly point: SessionPoint
  /**
   * Whether the account has had an order. Until it has, `point` holds nothing: its cash is its initial cash and it
   * has no position, so any moment, earlier ones too, may move it (looking at a fresh account never pins it).
   */
  readonly traded: boolean
  readonly shortingEnabled: boolean
}

/** An order with every field the ledger keeps (the Alpaca order fields the exchange supports). */
export interface ExchangeOrder {
  readonly id: string
  readonly clientOrderId: string
  readonly account: AccountId
  readonly parentId: string | null
  readonly symbol: Ticker
  readonly side: Side
  /** The shares ordered; a notional order's: the shares filled so far. */
  readonly qty: number
  /** A notional order's dollars (its shares are set at the fill); absent for orders of shares. */
  readonly notional?: number
  readonly type: OrderType
  readonly timeInForce: TimeInForce
  readonly limitPrice: number | null
  readonly stopPrice: number | null
  /** A trailing stop's trail (one of them) and its high-water mark (a buy's: low-water mark). */
  readonly trailPrice?: number
  readonly trailPercent?: number
  readonly hwm?: number
  readonly orderClass: OrderClass
  /**
   * What the order does to the position (Alpaca's `position_intent`): the one stated, or the one the position made
   * it when it was placed (a stated one must match that); a bracket's or OTO's exits close, an OCO's both legs too.
   */
  readonly positionIntent: PositionIntent
  readonly status: OrderStatus
  readonly filledQty: number
  readonly filledAvgPrice: number | null
  readonly extendedHours: boolean
  /** The session it was submitted in. */
  readonly session: TradingDay
  readonly createdAt: string
  readonly updatedAt: string
  readonly submittedAt: string
  readonly filledAt: string | null
  readonly canceledAt: string | null
  readonly expiredAt: string | null
  readonly legs: ReadonlyArray<ExchangeOrder>
}

/** A position with the extra Alpaca fields. */
export interface ExchangePosition extends Position {
  /** Shares not held by open closing orders (signed like `qty`). */
  readonly qtyAvailable: number
  readonly costBasis: number
  /** The previous session's close. */
  readonly lastdayPrice: number
}

export interface ExchangeOrderQuery extends OrderQuery {
  /** Default true: top-level orders with legs nested; false lists legs as orders of their own. */
  readonly nested?: boolean
}

const toOrderLeg = (order: ExchangeOrder): OrderLeg => {
  const leg: OrderLeg = {
    id: order.id,
    clientOrderId: order.clientOrderId,
    symbol: order.symbol,
    side: order.side,
    qty: order.qty,
    type: order.type,
    timeInForce: order.timeInForce,
    limitPrice: order.limitPrice,
    stopPrice: order.stopPrice,
    orderClass: order.orderClass,
    status: order.status,
    filledQty: order.filledQty,
    filledAvgPrice: order.filledAvgPrice,
    submittedAt: order.submittedAt,
    filledAt: order.filledAt,
    updatedAt: order.updatedAt
  }
  return withOrderExtras(leg, order)
}

/** The domain `Order` of an exchange order. */
export const toOrder = (order: ExchangeOrder): Order => ({ ...toOrderLeg(order), legs: order.legs.map(toOrderLeg) })

/** The domain `Position` of an exchange position. */
export const toPosition = (position: ExchangePosition): Position => ({
  symbol: position.symbol,
  qty: position.qty,
  side: position.side,
  avgEntryPrice: position.avgEntryPrice,
  marketValue: position.marketValue,
  currentPrice: position.currentPrice,
  unrealizedPl: position.unrealizedPl
})

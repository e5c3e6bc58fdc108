/**
 * The exchange ledger's rows (`Ledger`): their schemas, how rows read back are checked, and what an account's or an
 * order's row becomes for callers (`ExchangeAccount`, `ExchangeOrder`).
 *
 * **Gotchas**: a row that passes its schema's guard is used as it is, not copied (`rowsOf`); `toAccount` wraps the
 * key's secret in `Redacted` — keep it so.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import {
  AccountId,
  OrderClass,
  OrderStatus as OrderStatusSchema,
  OrderType,
  positionIntentOf,
  Side,
  Ticker,
  TimeInForce,
  TradingDay
} from "@council/domain"
import type { ExchangeAccount, ExchangeOrder } from "./ExchangeRecords.ts"
import * as RowGuard from "./RowGuard.ts"

const Float = Schema.Number

export const AccountRow = Schema.Struct({
  id: AccountId,
  uuid: Schema.String,
  api_key_id: Schema.String,
  api_secret: Schema.String,
  cash: Float,
  created_at: Schema.String,
  /** With `phase`, the account's point in time (`Calendar.SessionPoint`): every open and close up to it is processed. */
  last_session: TradingDay,
  phase: Schema.Literals(["open", "closed"])
})
export type AccountRow = typeof AccountRow.Type

/** Whether an order opens (or adds to) a position or closes (part of) one. */
export const PositionEffect = Schema.Literals(["open", "close"])
export type PositionEffect = typeof PositionEffect.Type

export const OrderRow = Schema.Struct({
  id: Schema.String,
  account: AccountId,
  client_order_id: Schema.String,
  parent_id: Schema.NullOr(Schema.String),
  /** Orders of one group (a bracket's two exits, an OCO pair) share it; a fill cancels the rest of the group. */
  exit_group: Schema.String,
  position_effect: PositionEffect,
  symbol: Ticker,
  side: Side,
  /**
   * The shares ordered. A notional order's shares are its `filled_qty`; while it waits, a buy's `qty` is 0 and a
   * sell's the shares it holds (what its dollars sold at placement), so that other exits cannot take them.
   */
  qty: Float,
  /** A notional order's dollars (migration 0050); null for orders of shares. */
  notional: Schema.NullOr(Float),
  type: OrderType,
  time_in_force: TimeInForce,
  limit_price: Schema.NullOr(Float),
  stop_price: Schema.NullOr(Float),
  /** A trailing stop's trail (dollars or percent, one of them) and its mark (migration 0051); null for other orders. */
  trail_price: Schema.NullOr(Float),
  trail_percent: Schema.NullOr(Float),
  hwm: Schema.NullOr(Float),
  order_class: OrderClass,
  status: OrderStatusSchema,
  /** 1 once a stop-limit's stop was hit. */
  triggered: Float,
  filled_qty: Float,
  filled_avg_price: Schema.NullOr(Float),
  extended_hours: Float,
  /**
   * The session of the present's point when the order was sent (the last one opened or closed): one still resting
   * at that session's close was sent during it, and meets that close alone (`FillModel.closingBar`).
   */
  session: TradingDay,
  /** The order is evaluated (or, queued, filled) on sessions after this date; null while a leg is held. */
  active_after: Schema.NullOr(TradingDay),
  updated_at: Schema.String,
  submitted_at: Schema.String,
  filled_at: Schema.NullOr(Schema.String),
  canceled_at: Schema.NullOr(Schema.String),
  expired_at: Schema.NullOr(Schema.String)
})
/** An order's row; it was created when it was submitted (`submitted_at`). */
export type OrderRow = typeof OrderRow.Type

export const PositionRow = Schema.Struct({ symbol: Ticker, qty: Float, avg_entry_price: Float })
export type PositionRow = typeof PositionRow.Type

export const FillRow = Schema.Struct({
  id: Schema.String,
  order_id: Schema.String,
  client_order_id: Schema.String,
  account: AccountId,
  symbol: Ticker,
  side: Side,
  qty: Float,
  price: Float,
  commission: Float,
  filled_at: Schema.String
})
export type FillRow = typeof FillRow.Type

export const CanceledRow = Schema.Struct({ id: Schema.String, parent_id: Schema.NullOr(Schema.String) })
export type CanceledRow = typeof CanceledRow.Type

/**
 * Rows checked against their schema: a row that passes the schema's guard (`RowGuard`: `Schema.is`, faster) is used
 * as it is (the rows need no transformation, and building copies cost more than the check); one that does not is
 * decoded, for the error.
 */
export const rowsOf = <S extends Schema.Struct<Schema.Struct.Fields> & Schema.Codec<unknown, unknown>>(schema: S) => {
  const is = RowGuard.make(schema)
  const decode = Schema.decodeUnknownEffect(Schema.Array(schema))
  return (rows: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<S["Type"]>, Schema.SchemaError> =>
    rows.every(is) ? Effect.succeed(rows) : decode(rows)
}

export const decodeAccounts = rowsOf(AccountRow)
export const decodeOrders = rowsOf(OrderRow)
export const decodePositions = rowsOf(PositionRow)
export const decodeFills = rowsOf(FillRow)
export const decodeCanceled = rowsOf(CanceledRow)


export const toAccount = (row: AccountRow, shortingEnabled: boolean, traded: boolean): ExchangeAccount => ({
  account: row.id,
  uuid: row.uuid,
  keyId: row.api_key_id,
  secretKey: Redacted.make(row.api_secret),
  createdAt: row.created_at,
  lastSession: row.last_session,
  point: { session: row.last_session, phase: row.phase },
  traded,
  shortingEnabled
})

export const toExchangeOrder = (row: OrderRow, legs: ReadonlyArray<ExchangeOrder> = []): ExchangeOrder => {
  const order: ExchangeOrder = {
    id: row.id,
    clientOrderId: row.client_order_id,
    account: row.account,
    parentId: row.parent_id,
    symbol: row.symbol,
    side: row.side,
    qty: row.notional === null ? row.qty : row.filled_qty,
    type: row.type,
    timeInForce: row.time_in_force,
    limitPrice: row.limit_price,
    stopPrice: row.stop_price,
    orderClass: row.order_class,
    positionIntent: positionIntentOf(row.side, row.position_effect),
    status: row.status,
    filledQty: row.filled_qty,
    filledAvgPrice: row.filled_avg_price,
    extendedHours: row.extended_hours !== 0,
    session: row.session,
    createdAt: row.submitted_at,
    updatedAt: row.updated_at,
    submittedAt: row.submitted_at,
    filledAt: row.filled_at,
    canceledAt: row.canceled_at,
    expiredAt: row.expired_at,
    legs
  }
  return withOrderExtras(order, { notional: row.notional, trailPrice: row.trail_price, trailPercent: row.trail_percent, hwm: row.hwm })
}

/** A notional order's dollars and a trailing stop's trail and mark; `null`/absent where the order has none. */
export interface OrderExtras {
  readonly notional?: number | null | undefined
  readonly trailPrice?: number | null | undefined
  readonly trailPercent?: number | null | undefined
  readonly hwm?: number | null | undefined
}

/**
 * `record` with the extras the order has (none: `record` itself, in its one shape — the orders Council places have
 * none, and spreads in every record cost each read).
 */
export const withOrderExtras = <A extends object>(record: A, extras: OrderExtras): A =>
  extras.notional == null && extras.trailPrice == null && extras.trailPercent == null && extras.hwm == null
    ? record
    : {
      ...record,
      ...(extras.notional == null ? {} : { notional: extras.notional }),
      ...(extras.trailPrice == null ? {} : { trailPrice: extras.trailPrice }),
      ...(extras.trailPercent == null ? {} : { trailPercent: extras.trailPercent }),
      ...(extras.hwm == null ? {} : { hwm: extras.hwm })
    }

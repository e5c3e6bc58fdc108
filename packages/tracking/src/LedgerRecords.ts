/**
 * What the trade ledger holds, as values: books and their ids, orders with their status history, fills, equity
 * snapshots, the reconciliation cursor, and the windows they are read by. `TradeLedger` stores and reads them (and
 * re-exports this module); `fromBrokerOrder` turns a broker's order into ledger rows.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Struct from "effect/Struct"
import { AccountId, type Order as BrokerOrder, OrderLeg, OrderStatus, Position, Side, Ticker, TradingDay } from "@council/domain"

export const LIVE_BOOK = "live"

/** `live`, or a backtest's id: letters, digits, `.`, `_`, `:`, `-`; at most 64 characters. */
export const BookId = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, { message: "a book id is letters, digits, '.', '_', ':' or '-' (at most 64)" })
).pipe(Schema.brand("BookId"))
export type BookId = typeof BookId.Type

export const liveBook: BookId = BookId.make(LIVE_BOOK)

export const BookStatus = Schema.Literals(["live", "running", "completed", "failed", "interrupted"])
export type BookStatus = typeof BookStatus.Type

export const Book = Schema.Struct({
  id: BookId,
  kind: Schema.Literals(["live", "backtest"]),
  label: Schema.String,
  /** A backtest's requested range; `null` for the live book. */
  from: Schema.NullOr(TradingDay),
  to: Schema.NullOr(TradingDay),
  status: BookStatus,
  createdAt: Schema.String,
  updatedAt: Schema.String,
  /** The backtest's settings (accounts, PMs, …), without secrets. */
  params: Schema.Json
})
export type Book = typeof Book.Type

/** A book with what it holds so far. */
export const BookSummary = Schema.Struct({
  ...Book.fields,
  accounts: Schema.Int,
  sessions: Schema.Int.annotate({ description: "the sessions recorded in the book (days with a snapshot), `firstSession` … `lastSession` included" }),
  firstSession: Schema.NullOr(TradingDay),
  lastSession: Schema.NullOr(TradingDay)
})
export type BookSummary = typeof BookSummary.Type

/** One order or leg as the broker reported it; a leg names its parent. */
export const LedgerOrder = Schema.Struct({
  account: AccountId,
  ...OrderLeg.fields,
  /** A notional order's dollars (its `qty`: the shares filled so far); null for orders of shares. */
  notional: Schema.NullOr(Schema.Finite),
  /** A trailing stop's trail (dollars or percent) and high-water mark (`Order`); null for other orders. */
  trailPrice: Schema.NullOr(Schema.Finite),
  trailPercent: Schema.NullOr(Schema.Finite),
  hwm: Schema.NullOr(Schema.Finite),
  parentId: Schema.NullOr(Schema.String),
  /** The broker's last change of the order (Alpaca's `updated_at`). */
  updatedAt: Schema.String
})
export type LedgerOrder = typeof LedgerOrder.Type

export const OrderEvent = Schema.Struct({ status: OrderStatus, filledQty: Schema.Finite, at: Schema.String })
export type OrderEvent = typeof OrderEvent.Type

const OrderWithHistory = Schema.Struct({ ...LedgerOrder.fields, history: Schema.Array(OrderEvent) })

/** An order with its legs, each with its status history, oldest first. */
export const OrderView = Schema.Struct({ ...OrderWithHistory.fields, legs: Schema.Array(OrderWithHistory) })
export type OrderView = typeof OrderView.Type

export const LedgerFill = Schema.Struct({
  account: AccountId,
  /** The broker's fill (activity) id. */
  id: Schema.String,
  orderId: Schema.String,
  symbol: Ticker,
  side: Side,
  qty: Schema.Finite,
  price: Schema.Finite,
  commission: Schema.Finite,
  /** The trading session the fill belongs to. */
  session: TradingDay,
  at: Schema.String
})
export type LedgerFill = typeof LedgerFill.Type

/** An account at the end of a session. */
export const EquitySnapshot = Schema.Struct({
  account: AccountId,
  session: TradingDay,
  cash: Schema.Finite,
  equity: Schema.Finite,
  longMarketValue: Schema.Finite,
  /** Negative or zero, as Alpaca reports it. */
  shortMarketValue: Schema.Finite,
  positions: Schema.Array(Position),
  /** When the snapshot was read from the broker. */
  takenAt: Schema.String,
  /**
   * The moment its positions are marked at (the broker's `Marks.at`: the local exchange's open or close of the
   * session, Alpaca's latest trades); `null` when the broker gave none (and on snapshots written before
   * `0022_ledger_marks`): such a session's benchmark and baselines are marked at its close.
   */
  markedAt: Schema.NullOr(Schema.String)
})
export type EquitySnapshot = typeof EquitySnapshot.Type

/** The prices a broker marked at, at one moment of a session (SPY and the universe, by symbol). */
export const SessionMarks = Schema.Struct({
  session: TradingDay,
  markedAt: Schema.String,
  prices: Schema.Record(Schema.String, Schema.Finite)
})
export type SessionMarks = typeof SessionMarks.Type

/** A snapshot with the dollars bought plus sold during its session (from the fills). */
export const EquityRow = Schema.Struct({ ...EquitySnapshot.fields, traded: Schema.Finite })
export type EquityRow = typeof EquityRow.Type

/**
 * An `EquityRow` without its positions: what a series of equity (the leaderboard, the equity report) reads. Over a
 * full-range book its positions are most of what a row holds and of what reading it costs.
 */
export const SeriesRow = EquityRow.mapFields(Struct.omit(["positions"]))
export type SeriesRow = typeof SeriesRow.Type

/**
 * Where the next reconciliation of an account starts: the latest submission and fill the book holds (broker
 * times), and the top-level orders that were open (themselves or a leg) when it was last reconciled.
 */
export const LedgerCursor = Schema.Struct({
  ordersAfter: Schema.NullOr(Schema.String),
  fillsAfter: Schema.NullOr(Schema.String),
  open: Schema.Array(Schema.String)
})
export type LedgerCursor = typeof LedgerCursor.Type

export const AccountCursor = Schema.Struct({ account: AccountId, ...LedgerCursor.fields })
export type AccountCursor = typeof AccountCursor.Type

/** What one reconciliation read from the brokers, written in one transaction. */
export interface Reconciliation {
  readonly book: BookId
  readonly orders: ReadonlyArray<LedgerOrder>
  readonly fills: ReadonlyArray<LedgerFill>
  readonly snapshots: ReadonlyArray<EquitySnapshot>
  /** The prices the snapshots are marked at (their `markedAt`); a moment's prices, once written, stand. */
  readonly marks?: ReadonlyArray<SessionMarks> | undefined
}

export interface Window {
  readonly book: BookId
  readonly account?: AccountId | undefined
  readonly from?: TradingDay | undefined
  readonly to?: TradingDay | undefined
}

export interface OrdersQuery extends Window {
  readonly status?: "open" | "closed" | "all" | undefined
  /** Newest first; default 500. */
  readonly limit?: number | undefined
}

/** What `heldOrders`/`heldFills` ask about: an order's or a fill's id in an account. */
export interface HeldKey {
  readonly account: AccountId
  readonly id: string
}

/** A top-level order the ledger holds (`heldOrders`): its key and when it was submitted. */
export interface HeldOrder extends HeldKey {
  readonly submittedAt: string
}

/** A fill the ledger holds (`heldFills`): its key and its session. */
export interface HeldFill extends HeldKey {
  readonly session: TradingDay
}

/**
 * A broker's order and its legs as ledger rows (the legs name the order as their parent); each row's `updatedAt` is
 * the broker's last change of it, else its fill, else its submission.
 */
export const fromBrokerOrder = (account: AccountId, order: BrokerOrder): ReadonlyArray<LedgerOrder> => {
  const row = (o: Omit<BrokerOrder, "legs">, parentId: string | null): LedgerOrder => ({
    account,
    id: o.id,
    clientOrderId: o.clientOrderId,
    parentId,
    symbol: o.symbol,
    side: o.side,
    qty: o.qty,
    notional: o.notional ?? null,
    trailPrice: o.trailPrice ?? null,
    trailPercent: o.trailPercent ?? null,
    hwm: o.hwm ?? null,
    type: o.type,
    timeInForce: o.timeInForce,
    limitPrice: o.limitPrice,
    stopPrice: o.stopPrice,
    orderClass: o.orderClass,
    status: o.status,
    filledQty: o.filledQty,
    filledAvgPrice: o.filledAvgPrice,
    submittedAt: o.submittedAt,
    filledAt: o.filledAt,
    updatedAt: o.updatedAt ?? o.filledAt ?? o.submittedAt
  })
  return [row(order, null), ...order.legs.map((leg) => row(leg, order.id))]
}

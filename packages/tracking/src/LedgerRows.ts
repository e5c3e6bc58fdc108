/**
 * How the trade ledger's records are stored: each table's row schema (columns renamed to snake_case, JSON columns
 * parsed), the fast guards that decode snapshot rows without the schema's machinery, and a snapshot's positions as
 * compact JSON (each position an array of `POSITION_FIELDS`). Only `TradeLedger` reads and writes these rows.
 */
import * as Schema from "effect/Schema"
import * as Struct from "effect/Struct"
import { AccountId, Position, TradingDay } from "@council/domain"
import * as RowGuard from "@council/exchange/RowGuard"
import { renamedRows } from "./RenamedRows.ts"
import { Book, BookSummary, EquitySnapshot, LedgerFill, LedgerOrder, OrderEvent, SeriesRow } from "./LedgerRecords.ts"

const JsonText = Schema.fromJsonString(Schema.Json)

export const BookRow = Schema.Struct({
  ...Book.fields,
  params: JsonText
}).pipe(Schema.encodeKeys({ from: "from_day", to: "to_day", createdAt: "created_at", updatedAt: "updated_at" }))

export const BookSummaryRow = Schema.Struct({
  ...BookSummary.fields,
  params: JsonText,
  accounts: Schema.Union([Schema.Int, Schema.NumberFromString]),
  sessions: Schema.Union([Schema.Int, Schema.NumberFromString])
}).pipe(Schema.encodeKeys({
  from: "from_day",
  to: "to_day",
  createdAt: "created_at",
  updatedAt: "updated_at",
  firstSession: "first_session",
  lastSession: "last_session"
}))

export const OrderRows = renamedRows(LedgerOrder, {
  id: "order_id",
  clientOrderId: "client_order_id",
  parentId: "parent_order_id",
  timeInForce: "time_in_force",
  limitPrice: "limit_price",
  stopPrice: "stop_price",
  trailPrice: "trail_price",
  trailPercent: "trail_percent",
  orderClass: "order_class",
  filledQty: "filled_qty",
  filledAvgPrice: "filled_avg_price",
  submittedAt: "submitted_at",
  filledAt: "filled_at",
  updatedAt: "updated_at"
})
export const OrderRow = OrderRows.row

export const EventRow = Schema.Struct({ account: AccountId, orderId: Schema.String, ...OrderEvent.fields }).pipe(
  Schema.encodeKeys({ orderId: "order_id", filledQty: "filled_qty" })
)

export const FillRows = renamedRows(LedgerFill, { id: "fill_id", orderId: "order_id" })
export const FillRow = FillRows.row

export const SnapshotRows = renamedRows(EquitySnapshot, {
  longMarketValue: "long_market_value",
  shortMarketValue: "short_market_value",
  takenAt: "taken_at",
  markedAt: "marked_at"
})
export const SnapshotRow = SnapshotRows.row
export const SeriesColumnsRow = renamedRows(SeriesRow.mapFields(Struct.omit(["traded"])), {
  longMarketValue: "long_market_value",
  shortMarketValue: "short_market_value",
  takenAt: "taken_at",
  markedAt: "marked_at"
}).row

const isSnapshotColumns = RowGuard.make(Schema.Struct({
  account: AccountId,
  session: TradingDay,
  cash: Schema.Finite,
  equity: Schema.Finite,
  long_market_value: Schema.Finite,
  short_market_value: Schema.Finite,
  taken_at: Schema.String,
  marked_at: Schema.NullOr(Schema.String)
}))
const isPosition = RowGuard.make(Position)

/** A snapshot row's columns but `positions`, as the record's fields, when its guard passes; `undefined` otherwise. */
export const seriesOf = (row: unknown) =>
  isSnapshotColumns(row)
    ? {
      account: row.account,
      session: row.session,
      cash: row.cash,
      equity: row.equity,
      longMarketValue: row.long_market_value,
      shortMarketValue: row.short_market_value,
      takenAt: row.taken_at,
      markedAt: row.marked_at
    }
    : undefined

/** What decoding `row` (its `positions` parsed) by `SnapshotRow` gives, when its guards pass; `undefined` otherwise. */
export const snapshotOf = (row: Record<string, unknown>, positions: unknown): EquitySnapshot | undefined => {
  const series = seriesOf(row)
  if (series === undefined || !Array.isArray(positions) || !positions.every(isPosition)) return undefined
  const { markedAt, takenAt, ...amounts } = series
  return {
    ...amounts,
    positions: positions.map((p): Position => ({
      symbol: p.symbol,
      qty: p.qty,
      side: p.side,
      avgEntryPrice: p.avgEntryPrice,
      marketValue: p.marketValue,
      currentPrice: p.currentPrice,
      unrealizedPl: p.unrealizedPl
    })),
    takenAt,
    markedAt
  }
}

export const TradedRow = Schema.Struct({ account: AccountId, session: TradingDay, traded: Schema.Union([Schema.Finite, Schema.NumberFromString]) })

export const orderColumns = [
  "client_order_id", "parent_order_id", "symbol", "side", "qty", "notional", "type", "time_in_force", "limit_price", "stop_price",
  "trail_price", "trail_percent", "hwm", "order_class", "status", "filled_qty", "filled_avg_price", "submitted_at", "filled_at", "updated_at"
]
export const snapshotColumns = ["cash", "equity", "long_market_value", "short_market_value", "positions", "taken_at", "marked_at"]
export const seriesColumns = snapshotColumns.filter((column) => column !== "positions")
const POSITION_FIELDS = [
  "symbol", "qty", "side", "avgEntryPrice", "marketValue", "currentPrice", "unrealizedPl"
] as const satisfies ReadonlyArray<keyof Position>

/** A snapshot's positions as stored (since `0012_ledger_lean`): JSON, each position the array of its `POSITION_FIELDS`. */
export const positionsText = (positions: ReadonlyArray<Record<string, unknown>>): string =>
  JSON.stringify(positions.map((p) => POSITION_FIELDS.map((field) => p[field])))

/** Stored positions as objects again: arrays as `positionsText` writes them, objects as earlier rows hold them. */
export const positionsOf = (text: unknown): unknown => {
  let parsed: unknown = text
  try {
    if (typeof text === "string") parsed = JSON.parse(text)
  } catch {
    return text // not JSON: fails the schema, as stored data that does not decode
  }
  if (!Array.isArray(parsed)) return parsed
  return parsed.map((p: unknown) => (Array.isArray(p) ? Object.fromEntries(POSITION_FIELDS.map((field, i) => [field, p[i]])) : p))
}

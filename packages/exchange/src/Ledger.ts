/**
 * The ledger store: the exchange's rows in SQL (accounts with their keys, orders, fills, positions) and every
 * statement the exchange runs on them. No trading rules here — callers decide, the ledger reads and writes.
 *
 * **When to use**: inside `LocalExchange` only; `Ledger.make(sql)` over a `SqlClient` migrated with
 * `@council/store`'s `0002_exchange` (tables prefixed `exchange_`).
 *
 * **Gotchas**
 * - Every statement is a fixed text with parameters (or a short list of fixed shapes), so the SQLite client's
 *   prepared-statement cache hits on every call.
 * - `accountForUpdate` locks the account row on PostgreSQL (`FOR UPDATE`); on SQLite the write transaction's
 *   `BEGIN IMMEDIATE` already holds the database's write lock.
 * - Rows are decoded with their schemas: a row the exchange did not write fails as "invalid row".
 * - Positions come back sorted by symbol in JavaScript, so both dialects agree whatever their collation.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { Effect, Redacted, Schema } from "effect"
import {
  AccountId,
  OPEN_STATUSES,
  OrderClass,
  type OrderStatus,
  OrderStatus as OrderStatusSchema,
  OrderType,
  Side,
  Ticker,
  TimeInForce,
  TradingDay
} from "@council/domain"
import type { SqlClient } from "effect/sql"
import type { ExchangeAccount, ExchangeOrder } from "./ExchangeRecords.ts"

const Float = Schema.Number

export const AccountRow = Schema.Struct({
  id: AccountId,
  uuid: Schema.String,
  api_key_id: Schema.String,
  api_secret: Schema.String,
  cash: Float,
  created_at: Schema.String,
  last_session: TradingDay
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
  qty: Float,
  type: OrderType,
  time_in_force: TimeInForce,
  limit_price: Schema.NullOr(Float),
  stop_price: Schema.NullOr(Float),
  order_class: OrderClass,
  status: OrderStatusSchema,
  /** 1 once a stop-limit's stop was hit. */
  triggered: Float,
  filled_qty: Float,
  filled_avg_price: Schema.NullOr(Float),
  extended_hours: Float,
  session: TradingDay,
  /** The order is evaluated on sessions after this one; null while a leg is held. */
  active_after: Schema.NullOr(TradingDay),
  created_at: Schema.String,
  updated_at: Schema.String,
  submitted_at: Schema.String,
  filled_at: Schema.NullOr(Schema.String),
  canceled_at: Schema.NullOr(Schema.String),
  expired_at: Schema.NullOr(Schema.String)
})
export type OrderRow = typeof OrderRow.Type

export const PositionRow = Schema.Struct({ symbol: Ticker, qty: Float, avg_entry_price: Float })
export type PositionRow = typeof PositionRow.Type

const FillRow = Schema.Struct({
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

const CanceledRow = Schema.Struct({ id: Schema.String, parent_id: Schema.NullOr(Schema.String) })
export type CanceledRow = typeof CanceledRow.Type

const decodeAccounts = Schema.decodeUnknownEffect(Schema.Array(AccountRow))
const decodeOrders = Schema.decodeUnknownEffect(Schema.Array(OrderRow))
const decodePositions = Schema.decodeUnknownEffect(Schema.Array(PositionRow))
const decodeFills = Schema.decodeUnknownEffect(Schema.Array(FillRow))
const decodeCanceled = Schema.decodeUnknownEffect(Schema.Array(CanceledRow))

const OPEN: ReadonlyArray<OrderStatus> = [...OPEN_STATUSES]

const bySymbol = (a: PositionRow, b: PositionRow) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)

export const toAccount = (row: AccountRow, shortingEnabled: boolean): ExchangeAccount => ({
  account: row.id,
  uuid: row.uuid,
  keyId: row.api_key_id,
  secretKey: Redacted.make(row.api_secret),
  createdAt: row.created_at,
  lastSession: row.last_session,
  shortingEnabled
})

export const toExchangeOrder = (row: OrderRow, legs: ReadonlyArray<ExchangeOrder> = []): ExchangeOrder => ({
  id: row.id,
  clientOrderId: row.client_order_id,
  account: row.account,
  parentId: row.parent_id,
  symbol: row.symbol,
  side: row.side,
  qty: row.qty,
  type: row.type,
  timeInForce: row.time_in_force,
  limitPrice: row.limit_price,
  stopPrice: row.stop_price,
  orderClass: row.order_class,
  status: row.status,
  filledQty: row.filled_qty,
  filledAvgPrice: row.filled_avg_price,
  extendedHours: row.extended_hours !== 0,
  session: row.session,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  submittedAt: row.submitted_at,
  filledAt: row.filled_at,
  canceledAt: row.canceled_at,
  expiredAt: row.expired_at,
  legs
})

/** Filters of `listOrders`, already validated. */
export interface OrderFilter {
  readonly status: "open" | "closed" | "all"
  readonly nested: boolean
  readonly symbols: ReadonlyArray<Ticker> | undefined
  /** ISO timestamps, exclusive. */
  readonly after: string | undefined
  readonly until: string | undefined
  readonly direction: "asc" | "desc"
  readonly limit: number
}

/** A fill as the ledger records it. */
export interface NewFill {
  readonly order: OrderRow
  readonly price: number
  readonly commission: number
  readonly session: TradingDay
  readonly at: string
}

/** The ledger's statements over `sql`. */
export const make = (sql: SqlClient.SqlClient) => {
  const forUpdate = sql.onDialectOrElse({ pg: () => sql.literal(" FOR UPDATE"), orElse: () => sql.literal("") })

  // --- accounts --------------------------------------------------------------------------------------------------

  const firstAccount = (rows: ReadonlyArray<AccountRow>) => rows[0]

  const account = (id: AccountId) =>
    Effect.map(Effect.flatMap(sql`SELECT * FROM exchange_accounts WHERE id = ${id}`, decodeAccounts), firstAccount)

  /** The account row, locked until the transaction ends (PostgreSQL). */
  const accountForUpdate = (id: AccountId) =>
    Effect.map(
      Effect.flatMap(sql`SELECT * FROM exchange_accounts WHERE id = ${id}${forUpdate}`, decodeAccounts),
      firstAccount
    )

  const accountByKeyId = (keyId: string) =>
    Effect.map(
      Effect.flatMap(sql`SELECT * FROM exchange_accounts WHERE api_key_id = ${keyId}`, decodeAccounts),
      firstAccount
    )

  const accounts = Effect.flatMap(sql`SELECT * FROM exchange_accounts ORDER BY id`, decodeAccounts)

  /** Creates the account unless another process just did. */
  const createAccount = (row: AccountRow) =>
    sql`INSERT INTO exchange_accounts ${sql.insert(row)} ON CONFLICT (id) DO NOTHING`

  const setLastSession = (id: AccountId, day: TradingDay) =>
    sql`UPDATE exchange_accounts SET last_session = ${day} WHERE id = ${id}`

  const setCash = (id: AccountId, cash: number) => sql`UPDATE exchange_accounts SET cash = ${cash} WHERE id = ${id}`

  // --- orders ----------------------------------------------------------------------------------------------------

  const ordersWhere = (where: ReturnType<typeof sql.and>) =>
    Effect.flatMap(sql`SELECT * FROM exchange_orders WHERE ${where} ORDER BY seq`, decodeOrders)

  const orderById = (account: AccountId, id: string) =>
    Effect.map(
      Effect.flatMap(sql`SELECT * FROM exchange_orders WHERE account = ${account} AND id = ${id}`, decodeOrders),
      (rows): OrderRow | undefined => rows[0]
    )

  const orderByClientId = (account: AccountId, clientOrderId: string) =>
    Effect.map(
      Effect.flatMap(
        sql`SELECT * FROM exchange_orders WHERE account = ${account} AND client_order_id = ${clientOrderId}`,
        decodeOrders
      ),
      (rows): OrderRow | undefined => rows[0]
    )

  const hasClientOrderId = (account: AccountId, clientOrderId: string) =>
    Effect.map(
      sql`SELECT 1 AS found FROM exchange_orders WHERE account = ${account} AND client_order_id = ${clientOrderId}`,
      (rows) => rows.length > 0
    )

  /** The legs of the given parents, in insertion order. */
  const legsOf = (parentIds: ReadonlyArray<string>) =>
    parentIds.length === 0
      ? Effect.succeed<ReadonlyArray<OrderRow>>([])
      : ordersWhere(sql.and([sql`parent_id IN ${sql.in(parentIds)}`]))

  const openOrders = (account: AccountId) =>
    ordersWhere(sql.and([sql`account = ${account}`, sql`status IN ${sql.in(OPEN)}`]))

  /** Orders `new` and active before `session`: those a session evaluates (and expires, for `day` orders). */
  const restingOrders = (account: AccountId, session: TradingDay) =>
    ordersWhere(sql.and([sql`account = ${account}`, sql`status = 'new'`, sql`active_after < ${session}`]))

  const listOrders = (account: AccountId, filter: OrderFilter) => {
    const isOpen = filter.nested
      ? sql`(${sql`status IN ${sql.in(OPEN)}`} OR EXISTS (SELECT 1 FROM exchange_orders l
          WHERE l.parent_id = exchange_orders.id AND ${sql`l.status IN ${sql.in(OPEN)}`}))`
      : sql`status IN ${sql.in(OPEN)}`
    const clauses = [
      sql`account = ${account}`,
      ...(filter.nested ? [sql`parent_id IS NULL`] : []),
      ...(filter.symbols !== undefined && filter.symbols.length > 0 ? [sql`symbol IN ${sql.in(filter.symbols)}`] : []),
      ...(filter.after === undefined ? [] : [sql`submitted_at > ${filter.after}`]),
      ...(filter.until === undefined ? [] : [sql`submitted_at < ${filter.until}`]),
      ...(filter.status === "open" ? [isOpen] : filter.status === "closed" ? [sql`NOT ${isOpen}`] : [])
    ]
    const direction = sql.literal(filter.direction === "asc" ? "ASC" : "DESC")
    return Effect.flatMap(
      sql`SELECT * FROM exchange_orders WHERE ${sql.and(clauses)}
        ORDER BY submitted_at ${direction}, seq ${direction} LIMIT ${filter.limit}`,
      decodeOrders
    )
  }

  const insertOrder = (row: OrderRow, reason: string) =>
    sql`INSERT INTO exchange_orders ${sql.insert({ ...row, reason })}`

  const markTriggered = (id: string, at: string) =>
    sql`UPDATE exchange_orders SET triggered = 1, updated_at = ${at} WHERE id = ${id}`

  /** A resting order filled completely at `price`. */
  const markFilled = (id: string, qty: number, price: number, at: string) =>
    sql`UPDATE exchange_orders SET status = 'filled', filled_qty = ${qty}, filled_avg_price = ${price},
      filled_at = ${at}, updated_at = ${at} WHERE id = ${id}`

  /** Held legs of a filled parent become `new`, evaluated from the session after `session`. */
  const activateLegs = (parentId: string, session: TradingDay, at: string) =>
    sql`UPDATE exchange_orders SET status = 'new', active_after = ${session}, updated_at = ${at}
      WHERE parent_id = ${parentId} AND status = 'held'`

  const cancelWhere = (where: ReturnType<typeof sql.and>, at: string) =>
    Effect.flatMap(
      sql`UPDATE exchange_orders SET status = 'canceled', canceled_at = ${at}, updated_at = ${at}
        WHERE ${where} AND ${sql`status IN ${sql.in(OPEN)}`} RETURNING id, parent_id`,
      decodeCanceled
    )

  /** Cancels the open members of the group (parent and legs) rooted at `root`. */
  const cancelGroup = (account: AccountId, root: string, at: string) =>
    cancelWhere(sql.and([sql`account = ${account}`, sql`(id = ${root} OR parent_id = ${root})`]), at)

  /** Cancels every open order of the account, or of one of its symbols. */
  const cancelOpen = (account: AccountId, at: string, symbol?: Ticker) =>
    cancelWhere(sql.and([sql`account = ${account}`, ...(symbol === undefined ? [] : [sql`symbol = ${symbol}`])]), at)

  const cancelIds = (ids: ReadonlyArray<string>, at: string) => cancelWhere(sql.and([sql`id IN ${sql.in(ids)}`]), at)

  /** Expires the given `day` orders and cancels their held legs. */
  const expire = (ids: ReadonlyArray<string>, at: string) =>
    Effect.andThen(
      sql`UPDATE exchange_orders SET status = 'expired', expired_at = ${at}, updated_at = ${at}
        WHERE ${sql`id IN ${sql.in(ids)}`}`,
      cancelWhere(sql.and([sql`parent_id IN ${sql.in(ids)}`, sql`status = 'held'`]), at)
    )

  // --- positions and fills ---------------------------------------------------------------------------------------

  const positions = (account: AccountId) =>
    Effect.map(
      Effect.flatMap(
        sql`SELECT symbol, qty, avg_entry_price FROM exchange_positions WHERE account = ${account}`,
        decodePositions
      ),
      (rows) => [...rows].sort(bySymbol)
    )

  const position = (account: AccountId, symbol: Ticker) =>
    Effect.map(
      Effect.flatMap(
        sql`SELECT symbol, qty, avg_entry_price FROM exchange_positions WHERE account = ${account} AND symbol = ${symbol}`,
        decodePositions
      ),
      (rows): PositionRow | undefined => rows[0]
    )

  /** Moves a position from `before` (absent: flat) to `after` (absent: flat) with one statement. */
  const writePosition = (
    account: AccountId,
    symbol: Ticker,
    before: PositionRow | undefined,
    after: { readonly qty: number; readonly avgEntryPrice: number } | undefined
  ) =>
    after === undefined
      ? sql`DELETE FROM exchange_positions WHERE account = ${account} AND symbol = ${symbol}`
      : before === undefined
      ? sql`INSERT INTO exchange_positions ${sql.insert({ account, symbol, qty: after.qty, avg_entry_price: after.avgEntryPrice })}`
      : sql`UPDATE exchange_positions SET qty = ${after.qty}, avg_entry_price = ${after.avgEntryPrice}
        WHERE account = ${account} AND symbol = ${symbol}`

  const insertFill = (fill: NewFill) =>
    sql`INSERT INTO exchange_fills ${
      sql.insert({
        id: randomUUID(),
        order_id: fill.order.id,
        account: fill.order.account,
        symbol: fill.order.symbol,
        side: fill.order.side,
        qty: fill.order.qty,
        price: fill.price,
        commission: fill.commission,
        session: fill.session,
        filled_at: fill.at
      })
    }`

  /** Fills in execution order, optionally of one session only. */
  const fills = (account: AccountId, session?: TradingDay) =>
    Effect.flatMap(
      sql`SELECT f.order_id, o.client_order_id, f.account, f.symbol, f.side, f.qty, f.price, f.commission, f.filled_at
        FROM exchange_fills f JOIN exchange_orders o ON o.id = f.order_id
        WHERE ${sql.and([sql`f.account = ${account}`, ...(session === undefined ? [] : [sql`f.session = ${session}`])])}
        ORDER BY f.filled_at, o.seq`,
      decodeFills
    )

  return {
    account,
    accountForUpdate,
    accountByKeyId,
    accounts,
    createAccount,
    setLastSession,
    setCash,
    orderById,
    orderByClientId,
    hasClientOrderId,
    legsOf,
    openOrders,
    restingOrders,
    listOrders,
    insertOrder,
    markTriggered,
    markFilled,
    activateLegs,
    cancelGroup,
    cancelOpen,
    cancelIds,
    expire,
    positions,
    position,
    writePosition,
    insertFill,
    fills
  }
}

export type Ledger = ReturnType<typeof make>

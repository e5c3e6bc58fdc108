/**
 * The ledger store: the exchange's rows in SQL (accounts with their keys, orders, fills, positions) and every
 * statement the exchange runs on them. No trading rules here — callers decide, the ledger reads and writes.
 *
 * **When to use**: inside `LocalExchange` only; `Ledger.make(sql)` over a `SqlClient` migrated with
 * `@council/store`'s `0002_exchange` (tables prefixed `exchange_`).
 *
 * **Gotchas**
 * - Hot statements are fixed texts with `?` placeholders compiled once (`prepared`), so neither the template
 *   compiler runs per call nor the SQLite client's prepared-statement cache misses. Statements with a variable
 *   shape (`IN` lists, `listOrders`' filters) stay templates.
 * - `accountForUpdate` locks the account row on PostgreSQL (`FOR UPDATE`); on SQLite the write transaction's
 *   `BEGIN IMMEDIATE` already holds the database's write lock.
 * - Rows are checked against their schemas: a row the exchange did not write fails as "invalid row".
 * - Positions come back sorted by symbol in JavaScript, so both dialects agree whatever their collation.
 * - An order that is its own exit group is written with `''` there and read back with its id (`ORDER_SELECT`):
 *   read orders with it, never `SELECT *`. On SQLite fills are stored by (account, time, id) (`0013_exchange_lean`).
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { AccountId, OPEN_STATUSES, Ticker, TradingDay } from "@council/domain"
import type * as SqlClient from "effect/sql/SqlClient"
import type * as SqlError from "effect/sql/SqlError"
import type { SessionPoint } from "./Calendar.ts"

import {
  type AccountRow,
  decodeAccounts,
  decodeCanceled,
  decodeFills,
  decodeOrders,
  decodePositions,
  type OrderRow,
  type PositionRow
} from "./LedgerRows.ts"

export { AccountRow, CanceledRow, FillRow, OrderRow, PositionEffect, PositionRow, toAccount, toExchangeOrder } from "./LedgerRows.ts"

const bySymbol = (a: PositionRow, b: PositionRow) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)

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
  /**
   * Nested open orders only: the top-level ids of the account's open orders (`openOrders`' rows, each its
   * `parent_id` or its own id), when the caller has them — the listing then looks those ids up instead of finding
   * them with a subquery (which cost more than the rest of the listing).
   */
  readonly openRoots?: ReadonlyArray<string> | undefined
}

/** A fill as the ledger records it. */
export interface NewFill {
  readonly order: OrderRow
  /** The shares of this fill; absent: the order's whole quantity. */
  readonly qty?: number
  readonly price: number
  readonly commission: number
  readonly session: TradingDay
  readonly at: string
}

const ORDER_COLUMNS = [
  "id",
  "account",
  "client_order_id",
  "parent_id",
  "exit_group",
  "position_effect",
  "symbol",
  "side",
  "qty",
  "notional",
  "type",
  "time_in_force",
  "limit_price",
  "stop_price",
  "trail_price",
  "trail_percent",
  "hwm",
  "order_class",
  "status",
  "triggered",
  "filled_qty",
  "filled_avg_price",
  "extended_hours",
  "session",
  "active_after",
  "updated_at",
  "submitted_at",
  "filled_at",
  "canceled_at",
  "expired_at"
] as const satisfies ReadonlyArray<keyof OrderRow>

/**
 * The columns of an order as read: an order that is its own exit group (every top-level order) stores `''` there
 * (since `0013_exchange_lean`; its id again before), read back as its id.
 */
export const ORDER_SELECT = ORDER_COLUMNS.map((c) => (c === "exit_group" ? "COALESCE(NULLIF(exit_group, ''), id) AS exit_group" : c)).join(", ")

/**
 * `status IN (…open statuses…)`, as constant text. Every query for open orders carries it, word for word: it is the
 * predicate of the partial index of open orders (`exchange_orders_open`, migration `0010_exchange_ledger_lean`), which
 * SQLite uses only for queries that repeat it (a test checks the two agree).
 */
/** The open statuses as a literal condition: the text the partial index of open orders is defined by, so it is used. */
export const IS_OPEN = `status IN (${[...OPEN_STATUSES].map((s) => `'${s}'`).join(", ")})`

/**
 * A UUID v7 (time-ordered): fill ids are internal, and ids that grow with time append to the fills' primary key
 * instead of dirtying a random page of it on every order (a v4 order id must stay random: it is Alpaca's format).
 */
const timeOrderedId = (): string => {
  const ms = Date.now().toString(16).padStart(12, "0")
  const random = randomUUID()
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19)}`
}

/**
 * A `LIMIT` as literal text (a whole number, at least 0): SQLite's planner reads a bound `LIMIT ?` and so ties the
 * prepared statement to the value, which then re-prepares on every run (measured: ~40 µs a run against ~10 µs for
 * the same query with a literal limit, whatever the rows). Limits come from few values, so few statement texts.
 */
const limitClause = (limit: number): string =>
  String(Number.isNaN(limit) ? 0 : Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(limit))))

/** `?` placeholders as PostgreSQL's `$1`, `$2`, … */
const numbered = (text: string) => {
  let n = 0
  return text.replace(/\?/g, () => `$${++n}`)
}

/** Texts of varying statements kept at most (their shapes are few: `IN` list lengths, a listing's filters). */
const MAX_TEXTS = 256

/** Statements of fixed text over `sql`. */
const statements = (sql: SqlClient.SqlClient) => {
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  /**
   * A statement of fixed text with `?` placeholders, compiled once: a template costs microseconds to compile on
   * every call (an insert of 28 columns tens of them), which is much of an order's time. It runs straight on a
   * connection, without `effect/sql`'s per-statement span, compilation and statement object: inside a transaction
   * on the transaction's; outside on one reserved for it (`reserve`: on SQLite the connection's lock, which waits
   * for a transaction of another fiber to end, as a client statement does).
   */
  const run = (compiled: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<object>, SqlError.SqlError> =>
    // the transaction looked up in the fiber's context in the same step (`Effect.serviceOption` then `flatMap`
    // took three): every statement of the exchange passes here
    Effect.withFiber((fiber) => {
      const open = Context.getOption(fiber.context, sql.transactionService)
      return Option.isSome(open)
        ? open.value[0].execute(compiled, params, undefined)
        : Effect.scoped(Effect.flatMap(sql.reserve, (connection) => connection.execute(compiled, params, undefined)))
    })
  const prepared = (text: string) => {
    const compiled = pg ? numbered(text) : text
    return (...params: ReadonlyArray<unknown>) => run(compiled, params)
  }
  /**
   * A statement whose text varies with its call (an `IN` list, a listing's filters): built as text, not a template,
   * once per `shape` (what decides the text; `text` builds it). The same string object for the same text also
   * spares the SQLite client's statement cache hashing and comparing ~1 KB of fresh text on every call.
   */
  const texts = new Map<string, string>()
  const varying = (shape: string, text: () => string, params: ReadonlyArray<unknown>) => {
    let compiled = texts.get(shape)
    if (compiled === undefined) {
      if (texts.size >= MAX_TEXTS) texts.clear()
      texts.set(shape, compiled = pg ? numbered(text()) : text())
    }
    return run(compiled, params)
  }
  const decoded = <A>(text: string, decode: (rows: ReadonlyArray<object>) => Effect.Effect<A, Schema.SchemaError>) => {
    const statement = prepared(text)
    return (...params: ReadonlyArray<unknown>) => Effect.flatMap(statement(...params), decode)
  }
  return { sql, pg, prepared, varying, decoded }
}

/** `(?, ?, …)`: `n` placeholders, for an `IN` list. */
const placeholders = (n: number) => `(${Array.from({ length: n }, () => "?").join(", ")})`

/** A condition's text with the parameters of its placeholders, in order. */
type Condition = readonly [text: string, params: ReadonlyArray<unknown>]

type Statements = ReturnType<typeof statements>

const first = <A>(rows: ReadonlyArray<A>): A | undefined => rows[0]

/** The date two days after `day` (`YYYY-MM-DD`). */
const dayAfterNext = (day: TradingDay): string => new Date(Date.parse(`${day}T00:00:00Z`) + 2 * 86_400_000).toISOString().slice(0, 10)

/** Accounts: rows, keys, cash and the session they are at. */
const accountStatements = ({ decoded, pg, prepared, sql }: Statements) => {
  const selectAccount = decoded(`SELECT * FROM exchange_accounts WHERE id = ?`, decodeAccounts)
  const selectAccountForUpdate = decoded(`SELECT * FROM exchange_accounts WHERE id = ?${pg ? " FOR UPDATE" : ""}`, decodeAccounts)
  const selectAccountByKeyId = decoded(`SELECT * FROM exchange_accounts WHERE api_key_id = ?`, decodeAccounts)
  const updatePoint = prepared(`UPDATE exchange_accounts SET last_session = ?, phase = ?, cash = ? WHERE id = ?`)
  const selectAnyOrder = prepared(`SELECT 1 AS found FROM exchange_orders WHERE account = ? LIMIT 1`)

  const account = (id: AccountId) => Effect.map(selectAccount(id), first)
  /** The account row, locked until the transaction ends (PostgreSQL). */
  const accountForUpdate = (id: AccountId) => Effect.map(selectAccountForUpdate(id), first)
  const accountByKeyId = (keyId: string) => Effect.map(selectAccountByKeyId(keyId), first)
  const accounts = Effect.flatMap(sql`SELECT * FROM exchange_accounts ORDER BY id`, decodeAccounts)
  /** Creates the account unless another process just did. */
  const createAccount = (row: AccountRow) =>
    sql`INSERT INTO exchange_accounts ${sql.insert(row)} ON CONFLICT (id) DO NOTHING`
  /** The account's point in time, and its cash there (what the fills on the way settled). */
  const setPoint = (id: AccountId, point: SessionPoint, cash: number) => updatePoint(point.session, point.phase, cash, id)
  /** Whether the account has had an order: until it has, it holds no point in time (`ExchangeAccount.traded`). */
  const hasOrders = (id: AccountId) => Effect.map(selectAnyOrder(id), (rows) => rows.length > 0)

  return { account, accountForUpdate, accountByKeyId, accounts, createAccount, setPoint, hasOrders }
}

/** A row read with its `seq` (insertion order), as listings read them. */
interface Sequenced {
  readonly seq: number | bigint | string
}

const bySeq = (a: Sequenced, b: Sequenced) => Number(a.seq) - Number(b.seq)

/**
 * A nested listing's rows in order: the top-level ones by `submitted_at` then `seq` in `direction` (the listing's
 * `ORDER BY`), then the legs by `seq`. Rows arrive so already; sorting an ordered handful costs next to nothing.
 */
const familiesInOrder = (rows: ReadonlyArray<OrderRow & Sequenced>, direction: "ASC" | "DESC"): ReadonlyArray<OrderRow> => {
  const sign = direction === "ASC" ? 1 : -1
  const parents = rows.filter((r) => r.parent_id === null).sort((a, b) =>
    sign * (a.submitted_at < b.submitted_at ? -1 : a.submitted_at > b.submitted_at ? 1 : bySeq(a, b)))
  return [...parents, ...rows.filter((r) => r.parent_id !== null).sort(bySeq)]
}

/** Orders: lookups and listings. */
const orderReads = ({ decoded, prepared, varying }: Statements) => {
  const selectOrderById = decoded(`SELECT ${ORDER_SELECT} FROM exchange_orders WHERE account = ? AND id = ?`, decodeOrders)
  const selectOrderByClientId = decoded(
    `SELECT ${ORDER_SELECT} FROM exchange_orders WHERE account = ? AND client_order_id = ?`,
    decodeOrders
  )
  const selectClientOrderId = prepared(`SELECT 1 AS found FROM exchange_orders WHERE account = ? AND client_order_id = ?`)
  const selectLatestSubmitted = prepared(`SELECT MAX(submitted_at) AS at FROM exchange_orders WHERE account = ?`)
  const selectOpen = decoded(`SELECT ${ORDER_SELECT} FROM exchange_orders WHERE account = ? AND ${IS_OPEN} ORDER BY seq`, decodeOrders)
  // the open-statuses term lets these use the partial index of open orders
  const selectResting = decoded(
    `SELECT ${ORDER_SELECT} FROM exchange_orders WHERE account = ? AND ${IS_OPEN} AND status IN ('new', 'partially_filled') AND active_after < ? ORDER BY seq`,
    decodeOrders
  )
  const selectQueued = decoded(
    `SELECT ${ORDER_SELECT} FROM exchange_orders WHERE account = ? AND ${IS_OPEN} AND status = 'accepted' AND active_after < ? ORDER BY seq`,
    decodeOrders
  )
  const orderById = (account: AccountId, id: string) => Effect.map(selectOrderById(account, id), first)
  const orderByClientId = (account: AccountId, clientOrderId: string) =>
    Effect.map(selectOrderByClientId(account, clientOrderId), first)
  const hasClientOrderId = (account: AccountId, clientOrderId: string) =>
    Effect.map(selectClientOrderId(account, clientOrderId), (rows) => rows.length > 0)

  /** The latest `submitted_at` of the account's orders (one index lookup), if it has any. */
  const latestSubmitted = (account: AccountId) =>
    Effect.map(selectLatestSubmitted(account), (rows): string | undefined => {
      const at = (rows[0] as { readonly at?: unknown } | undefined)?.at
      return typeof at === "string" ? at : undefined
    })

  /** The legs of the given parents, in insertion order. */
  const legsOf = (parentIds: ReadonlyArray<string>) =>
    parentIds.length === 0
      ? Effect.succeed<ReadonlyArray<OrderRow>>([])
      : Effect.flatMap(
        varying(
          `legs ${parentIds.length}`,
          () => `SELECT ${ORDER_SELECT} FROM exchange_orders WHERE parent_id IN ${placeholders(parentIds.length)} ORDER BY seq`,
          parentIds
        ),
        decodeOrders
      )

  /** The orders of `account` among `ids` (at least one; legs as orders of their own), in no particular order. */
  const ordersByIds = (account: AccountId, ids: ReadonlyArray<string>) =>
    Effect.flatMap(varying(`by ids ${ids.length}`, () => `SELECT ${ORDER_SELECT} FROM exchange_orders WHERE account = ? AND id IN ${placeholders(ids.length)}`, [account, ...ids]), decodeOrders)

  const openOrders = (account: AccountId) => selectOpen(account)

  /** Orders `new` and active before `session`: those its close evaluates (and expires, for `day` orders). */
  const restingOrders = (account: AccountId, session: TradingDay) => selectResting(account, session)

  /** Market orders `accepted` (queued while the market was closed) and active before `session`: its open's. */
  const queuedOrders = (account: AccountId, session: TradingDay) => selectQueued(account, session)

  /**
   * The orders the filter lists. Nested: top-level orders only, in the listing's order, followed by the legs of the
   * bracket, OTO and OCO parents among them in insertion order (one statement: the legs cost a second one, and a
   * listing is read by every reconciliation of every account); the caller tells them apart by `parent_id`. Its text
   * is built from the filter, not compiled from a template (which cost more than the query).
   */
  const listOrders = (account: AccountId, filter: OrderFilter) => {
    // nested: an order is open when it or one of its legs is. The open ones (their families' top-level ids) come
    // from the (account, status) index, and those ids alone pick the rows: the query never walks the account's
    // whole history (an account and top-level filter beside them would let the planner choose to)
    const byOpenFamilies = filter.nested && filter.status === "open"
    const roots = byOpenFamilies ? filter.openRoots : undefined
    if (roots !== undefined && roots.length === 0) return Effect.succeed<ReadonlyArray<OrderRow>>([])
    const openFamilies: Condition = roots !== undefined
      ? [`id IN ${placeholders(roots.length)}`, roots]
      : [`id IN (SELECT COALESCE(parent_id, id) FROM exchange_orders WHERE account = ? AND ${IS_OPEN})`, [account]]
    const isOpen: Condition = filter.nested ? openFamilies : [IS_OPEN, []]
    const symbols = filter.symbols ?? []
    const conditions: ReadonlyArray<Condition> = [
      ...(byOpenFamilies ? [] : [["account = ?", [account]] as const]),
      ...(filter.nested && !byOpenFamilies ? [["parent_id IS NULL", []] as const] : []),
      ...(symbols.length > 0 ? [[`symbol IN ${placeholders(symbols.length)}`, symbols] as const] : []),
      ...(filter.after === undefined ? [] : [["submitted_at > ?", [filter.after]] as const]),
      ...(filter.until === undefined ? [] : [["submitted_at < ?", [filter.until]] as const]),
      ...(filter.status === "open" ? [isOpen] : filter.status === "closed" ? [[`NOT ${isOpen[0]}`, isOpen[1]] as const] : [])
    ]
    const params = conditions.flatMap(([, values]) => values)
    const direction = filter.direction === "asc" ? "ASC" : "DESC"
    const limit = limitClause(filter.limit)
    // everything the text depends on (which conditions there are, their lists' lengths), not the values
    const shape = `list ${filter.status} ${filter.nested} ${roots?.length ?? "-"} ${symbols.length} ${filter.after !== undefined} ${
      filter.until !== undefined
    } ${direction} ${limit}`
    return Effect.flatMap(
      varying(
        shape,
        () => {
          const where = conditions.length === 0 ? "1=1" : `(${conditions.map(([text]) => text).join(" AND ")})`
          const listed = `SELECT ${ORDER_SELECT}, seq FROM exchange_orders WHERE ${where} ORDER BY submitted_at ${direction}, seq ${direction}
        LIMIT ${limit}`
          if (!filter.nested) return listed
          // the listed parents, then their legs; put in order below (an ORDER BY over both cost more than the legs' own statement)
          return `WITH listed AS (${listed})
        SELECT * FROM listed UNION ALL SELECT ${ORDER_SELECT}, seq FROM exchange_orders
          WHERE parent_id IS NOT NULL AND parent_id IN (SELECT id FROM listed WHERE order_class <> 'simple')`
        },
        params
      ),
      (rows) => Effect.map(decodeOrders(rows), (orders) => (filter.nested ? familiesInOrder(orders as ReadonlyArray<OrderRow & Sequenced>, direction) : orders))
    )
  }

  return { orderById, orderByClientId, hasClientOrderId, latestSubmitted, legsOf, ordersByIds, openOrders, restingOrders, queuedOrders, listOrders }
}

/** Orders: inserts and every status change. */
const orderWrites = ({ decoded, prepared, sql }: Statements) => {
  const updateRouted = prepared(`UPDATE exchange_orders SET status = 'new', updated_at = ? WHERE id = ?`)
  const insertOrderRow = prepared(
    `INSERT INTO exchange_orders (${ORDER_COLUMNS.join(", ")}) VALUES (${ORDER_COLUMNS.map(() => "?").join(", ")})`
  )
  const updateTriggered = prepared(`UPDATE exchange_orders SET triggered = 1, updated_at = ? WHERE id = ?`)
  const updateTrailed = prepared(`UPDATE exchange_orders SET hwm = ?, stop_price = ?, updated_at = ? WHERE id = ?`)
  const updateFilled = prepared(
    `UPDATE exchange_orders SET status = 'filled', filled_qty = ?, filled_avg_price = ?, filled_at = ?, updated_at = ? WHERE id = ?`
  )
  const updatePartlyFilled = prepared(
    `UPDATE exchange_orders SET status = 'partially_filled', filled_qty = ?, filled_avg_price = ?, updated_at = ? WHERE id = ?`
  )
  const updateHeldLegs = prepared(
    `UPDATE exchange_orders SET status = 'new', active_after = ?, updated_at = ? WHERE parent_id = ? AND status = 'held'`
  )
  const cancelSet = `UPDATE exchange_orders SET status = 'canceled', canceled_at = ?, updated_at = ?`
  const cancelGroupRows = decoded(
    `${cancelSet} WHERE account = ? AND (id = ? OR parent_id = ?) AND ${IS_OPEN} RETURNING id, parent_id`,
    decodeCanceled
  )
  const cancelAccountRows = decoded(`${cancelSet} WHERE account = ? AND ${IS_OPEN} RETURNING id, parent_id`, decodeCanceled)
  const cancelSymbolRows = decoded(
    `${cancelSet} WHERE account = ? AND symbol = ? AND ${IS_OPEN} RETURNING id, parent_id`,
    decodeCanceled
  )

  /** A queued order reaches the market (a market-on-close order at the open of its session). */
  const markRouted = (id: string, at: string) => updateRouted(at, id)

  const insertOrder = (row: OrderRow) =>
    insertOrderRow(...ORDER_COLUMNS.map((column) => (column === "exit_group" && row.exit_group === row.id ? "" : row[column])))
  const markTriggered = (id: string, at: string) => updateTriggered(at, id)
  /** A trailing stop's mark (`hwm`) and its stop moved at `at`. */
  const markTrailed = (id: string, hwm: number, stop: number, at: string) => updateTrailed(hwm, stop, at, id)
  /** A resting order filled completely at `price`. */
  const markFilled = (id: string, qty: number, price: number, at: string) => updateFilled(qty, price, at, at, id)

  /** Some of an order filled (`filledQty` in all, at `avgPrice` on average); the rest works on (`FillModel.fillQty`). */
  const markPartlyFilled = (id: string, filledQty: number, avgPrice: number, at: string) => updatePartlyFilled(filledQty, avgPrice, at, id)
  /** Held legs of a filled parent become `new`, evaluated on the sessions after the date `activeAfter`. */
  const activateLegs = (parentId: string, activeAfter: string, at: string) => updateHeldLegs(activeAfter, at, parentId)

  /** Cancels the open members of the group (parent and legs) rooted at `root`. */
  const cancelGroup = (account: AccountId, root: string, at: string) => cancelGroupRows(at, at, account, root, root)

  /** Cancels every open order of the account, or of one of its symbols. */
  const cancelOpen = (account: AccountId, at: string, symbol?: Ticker) =>
    symbol === undefined ? cancelAccountRows(at, at, account) : cancelSymbolRows(at, at, account, symbol)

  const cancelIds = (ids: ReadonlyArray<string>, at: string) =>
    Effect.flatMap(
      sql`UPDATE exchange_orders SET status = 'canceled', canceled_at = ${at}, updated_at = ${at}
        WHERE id IN ${sql.in(ids)} AND ${sql.literal(IS_OPEN)} RETURNING id, parent_id`,
      decodeCanceled
    )

  /** Expires the given `day` orders and cancels their held legs. */
  const expire = (ids: ReadonlyArray<string>, at: string) =>
    Effect.andThen(
      sql`UPDATE exchange_orders SET status = 'expired', expired_at = ${at}, updated_at = ${at} WHERE id IN ${sql.in(ids)}`,
      sql`UPDATE exchange_orders SET status = 'canceled', canceled_at = ${at}, updated_at = ${at}
        WHERE parent_id IN ${sql.in(ids)} AND status = 'held'`
    )

  return { markRouted, insertOrder, markTriggered, markTrailed, markFilled, markPartlyFilled, activateLegs, cancelGroup, cancelOpen, cancelIds, expire }
}

/** Positions and fills. */
const positionStatements = ({ decoded, prepared }: Statements) => {
  const selectPositions = decoded(`SELECT symbol, qty, avg_entry_price FROM exchange_positions WHERE account = ?`, decodePositions)
  const selectPosition = decoded(
    `SELECT symbol, qty, avg_entry_price FROM exchange_positions WHERE account = ? AND symbol = ?`,
    decodePositions
  )
  const deletePosition = prepared(`DELETE FROM exchange_positions WHERE account = ? AND symbol = ?`)
  const insertPosition = prepared(`INSERT INTO exchange_positions (account, symbol, qty, avg_entry_price) VALUES (?, ?, ?, ?)`)
  const updatePosition = prepared(`UPDATE exchange_positions SET qty = ?, avg_entry_price = ? WHERE account = ? AND symbol = ?`)
  const insertFillRow = prepared(
    `INSERT INTO exchange_fills (id, order_id, account, symbol, side, qty, price, commission, session, filled_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  )
  const fillsColumns = `SELECT f.id, f.order_id, o.client_order_id, f.account, f.symbol, f.side, f.qty, f.price, f.commission,
    f.filled_at FROM exchange_fills f JOIN exchange_orders o ON o.id = f.order_id`
  const selectFills = decoded(`${fillsColumns} WHERE f.account = ? ORDER BY f.filled_at, o.seq`, decodeFills)
  // a session's fills happen on its day: the bounds (its day and the next, in UTC) pick them by time
  const selectSessionFills = decoded(
    `${fillsColumns} WHERE f.account = ? AND f.filled_at >= ? AND f.filled_at < ? AND f.session = ? ORDER BY f.filled_at, o.seq`,
    decodeFills
  )
  const selectFillsAfter = decoded(`${fillsColumns} WHERE f.account = ? AND f.filled_at > ? ORDER BY f.filled_at, o.seq`, decodeFills)

  const positions = (account: AccountId) =>
    Effect.map(selectPositions(account), (rows): ReadonlyArray<PositionRow> => [...rows].sort(bySymbol))
  const position = (account: AccountId, symbol: Ticker) => Effect.map(selectPosition(account, symbol), first)

  /** Moves a position from `before` (absent: flat) to `after` (absent: flat) with one statement. */
  const writePosition = (
    account: AccountId,
    symbol: Ticker,
    before: PositionRow | undefined,
    after: { readonly qty: number; readonly avgEntryPrice: number } | undefined
  ) =>
    after === undefined
      ? deletePosition(account, symbol)
      : before === undefined
      ? insertPosition(account, symbol, after.qty, after.avgEntryPrice)
      : updatePosition(after.qty, after.avgEntryPrice, account, symbol)

  const insertFill = (fill: NewFill) => {
    const { order } = fill
    return insertFillRow(
      timeOrderedId(),
      order.id,
      order.account,
      order.symbol,
      order.side,
      fill.qty ?? order.qty,
      fill.price,
      fill.commission,
      fill.session,
      fill.at
    )
  }

  /** Fills in execution order, optionally of one session only. */
  const fills = (account: AccountId, session?: TradingDay) =>
    session === undefined ? selectFills(account) : selectSessionFills(account, session, dayAfterNext(session), session)

  /** Fills executed after `after` (an ISO timestamp, exclusive), in execution order. */
  const fillsAfter = (account: AccountId, after: string) => selectFillsAfter(account, after)

  return { positions, position, writePosition, insertFill, fills, fillsAfter }
}

/** The ledger's statements over `sql`. */
export const make = (sql: SqlClient.SqlClient) => {
  const prepared = statements(sql)
  /** SQLite's `PRAGMA data_version`: what `ReadCache` looks at to learn of another connection's commit. */
  const dataVersion = prepared.prepared("PRAGMA data_version")()
  return { ...accountStatements(prepared), ...orderReads(prepared), ...orderWrites(prepared), ...positionStatements(prepared), dataVersion }
}

export type Ledger = ReturnType<typeof make>

/**
 * The local exchange's calls over its core (`CallCore`: the ledger, prices, what reads found, and `withAccount`,
 * which brings an account to the present and runs a call's body in the right transaction): `readCalls` (accounts,
 * positions, orders, fills, marks) and `writeCalls` (placing, canceling, closing). `LocalExchange` builds the core and
 * serves both; `CallLedger` is what a call's body is given.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import {
  type AccountId,
  type Fill,
  type NotionalIntent,
  OPEN_STATUSES,
  type OrderIntent,
  type Ticker,
  TradingDay
} from "@council/domain"
import { type BrokerError, type ClosePositionOptions, type FillQuery } from "@council/broker"
import { snapshotOf } from "./AccountState.ts"
import { type Failure, refuse, reject, toBrokerError } from "./ExchangeErrors.ts"
import { type ExchangeOrder, type ExchangeOrderQuery } from "./ExchangeRecords.ts"
import { type SessionPoint } from "./Calendar.ts"
import { roundQty } from "./FillModel.ts"
import * as Ledger from "./Ledger.ts"
import { EPS, insufficientShares } from "./OrderRules.ts"
import * as Placement from "./Placement.ts"
import * as Prices from "./Prices.ts"
import * as ReadCache from "./ReadCache.ts"
import * as Settlement from "./Settlement.ts"
import type { LocalExchange } from "./LocalExchange.ts"

/** A `listOrders` time bound as an ISO timestamp, or what is wrong with it. */
const parseTimeBound = (field: string, value: string | undefined): string | undefined | { readonly message: string } => {
  if (value === undefined) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? { message: `invalid ${field}: ${value}` } : new Date(ms).toISOString()
}

const toFills = (rows: ReadonlyArray<Ledger.FillRow>): ReadonlyArray<Fill> =>
  rows.map((row): Fill => ({
    id: row.id,
    orderId: row.order_id,
    clientOrderId: row.client_order_id,
    account: row.account,
    symbol: row.symbol,
    side: row.side,
    qty: row.qty,
    price: row.price,
    commission: row.commission,
    at: row.filled_at
  }))

/** Top-level ids of canceled rows, in order, without duplicates. */
const roots = (rows: ReadonlyArray<Ledger.CanceledRow>) => [...new Set(rows.map((r) => r.parent_id ?? r.id))]

/** How a call reaches the ledger: reading, writing, or writing what a refusal must take back (`GroupCommit`). */
export type Access = "read" | "write" | "write, may fail after writing"

/**
 * What a call's body works with: the ledger (a write call's: its `WorkingSet`) and the placement over it. A read
 * call's body must not write.
 */
export interface CallLedger {
  readonly ledger: Ledger.Ledger
  readonly placement: Placement.Placement
}

/** What the calls share: the exchange's parts, and `withAccount`. */
export interface CallCore {
  readonly options: LocalExchange["Service"]["options"]
  readonly allowShorting: (account: AccountId) => boolean
  readonly ledger: Ledger.Ledger
  readonly prices: Prices.Prices
  /** What reads of an account found, until it is written (`ReadCache`). */
  readonly cache: ReadCache.ReadCache
  /** Runs `body` for the account brought to the present (see `make`). */
  readonly withAccount: <A>(
    account: AccountId,
    access: Access,
    body: (now: Placement.PlacedAt, row: Ledger.AccountRow, call: CallLedger) => Effect.Effect<A, Failure>
  ) => Effect.Effect<A, BrokerError>
}

export const book = (row: Ledger.AccountRow): Settlement.Book => ({ account: row.id, cash: row.cash })

/** The calls that only read (bringing an account to the session aside). */
export const readCalls = ({ allowShorting, cache, ledger, options, prices, withAccount }: CallCore) => {
  const openOrders = (account: AccountId) => cache.cached(account, "open", ledger.openOrders(account))
  const exchangeAccount = (row: Ledger.AccountRow) =>
    Effect.map(ledger.hasOrders(row.id), (traded) => Ledger.toAccount(row, allowShorting(row.id), traded))

  /** Open orders, every position marked at the present's point, and the prices open market orders reserve at. */
  const marked = (account: AccountId, point: SessionPoint) =>
    cache.cached(
      account,
      `marked ${point.session} ${point.phase}`,
      Effect.gen(function*() {
        const open = yield* openOrders(account)
        const positions = yield* prices.markAll(yield* cache.cached(account, "positions", ledger.positions(account)), open, point)
        return { open, positions, marketPrices: yield* prices.marketPricesOf(open, point) }
      })
    )

  /**
   * Rows with their legs attached. Only bracket, OTO and OCO parents have legs (`OrderRules` refuses exits on a
   * simple order): a listing of simple orders alone asks for none.
   */
  const withLegs = (rows: ReadonlyArray<Ledger.OrderRow>) =>
    Effect.map(ledger.legsOf(rows.filter((r) => r.parent_id === null && r.order_class !== "simple").map((r) => r.id)), (legs) =>
      rows.map((row) =>
        Ledger.toExchangeOrder(row, legs.filter((leg) => leg.parent_id === row.id).map((leg) => Ledger.toExchangeOrder(leg)))
      ))

  /** A nested listing's rows (its top-level orders, then their legs: `Ledger.listOrders`) as orders with their legs. */
  const families = (rows: ReadonlyArray<Ledger.OrderRow>): ReadonlyArray<ExchangeOrder> => {
    const legs = new Map<string, Array<ExchangeOrder>>()
    for (const row of rows) {
      if (row.parent_id === null) continue
      const siblings = legs.get(row.parent_id)
      if (siblings === undefined) legs.set(row.parent_id, [Ledger.toExchangeOrder(row)])
      else siblings.push(Ledger.toExchangeOrder(row))
    }
    const orders: Array<ExchangeOrder> = []
    for (const row of rows) if (row.parent_id === null) orders.push(Ledger.toExchangeOrder(row, legs.get(row.id) ?? []))
    return orders
  }

  const loadOrder = Effect.fnUntraced(function*(account: AccountId, id: string) {
    const row = yield* ledger.orderById(account, id)
    if (row === undefined) return yield* reject(account, "NotFound", "order not found")
    return (yield* withLegs([row]))[0]!
  })

  // combinators, not generators: a stage lists every account's orders, and a listing kept by the cache is its
  // whole cost
  const listOrders = (id: AccountId, query: ExchangeOrderQuery) =>
    withAccount(id, "read", () => {
      const limit = query.limit ?? 50
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
        return reject(id, "InvalidRequest", "limit must be an integer between 1 and 500")
      }
      const after = parseTimeBound("after", query.after)
      const until = parseTimeBound("until", query.until)
      if (typeof after === "object") return reject(id, "InvalidRequest", after.message)
      if (typeof until === "object") return reject(id, "InvalidRequest", until.message)
      const filter: Ledger.OrderFilter = {
        status: query.status,
        nested: query.nested ?? true,
        symbols: query.symbols,
        after,
        until,
        direction: query.direction === "asc" ? "asc" : "desc",
        limit
      }
      const listed = (openRoots: ReadonlyArray<string> | undefined) =>
        Effect.map(ledger.listOrders(id, { ...filter, openRoots }), (rows) =>
          filter.nested ? families(rows) : rows.map((row) => Ledger.toExchangeOrder(row)))
      const list = filter.nested && filter.status === "open"
        ? Effect.flatMap(openOrders(id), (open) => listed([...new Set(open.map((row) => row.parent_id ?? row.id))]))
        : listed(undefined)
      return cache.cached(id, `orders ${JSON.stringify(filter)}`, list)
    })

  return {
    account: (id: AccountId) => withAccount(id, "read", (_, row) => exchangeAccount(row)),
    keys: ledger.accounts.pipe(
      Effect.flatMap((rows) => Effect.forEach(rows, exchangeAccount)),
      Effect.mapError(toBrokerError(""))
    ),
    accountByKeyId: (keyId: string) =>
      ledger.accountByKeyId(keyId).pipe(
        Effect.flatMap((row) => row === undefined ? Effect.succeedNone : Effect.asSome(exchangeAccount(row))),
        Effect.mapError(toBrokerError(""))
      ),
    snapshot: (id: AccountId) =>
      withAccount(id, "read", (now, row) =>
        Effect.map(marked(id, now.point), ({ marketPrices, open, positions }) =>
          snapshotOf(id, row.cash, positions, open, options.slippageBps, marketPrices))),
    positions: (id: AccountId) => withAccount(id, "read", (now) => Effect.map(marked(id, now.point), (state) => state.positions)),
    position: (id: AccountId, symbol: Ticker) =>
      withAccount(id, "read", (now) =>
        Effect.map(marked(id, now.point), (state) => Option.fromNullishOr(state.positions.find((p) => p.symbol === symbol)))),
    listOrders,
    getOrder: (id: AccountId, orderId: string) => withAccount(id, "read", () => loadOrder(id, orderId)),
    getOrders: (id: AccountId, orderIds: ReadonlyArray<string>) =>
      orderIds.length === 0
        ? Effect.succeed([])
        : withAccount(id, "read", () => Effect.map(ledger.ordersByIds(id, orderIds), (rows) => rows.map((row) => Ledger.toExchangeOrder(row)))),
    getOrderByClientId: (id: AccountId, clientOrderId: string) =>
      withAccount(id, "read", () =>
        Effect.flatMap(ledger.orderByClientId(id, clientOrderId), (row) =>
          row === undefined ? Effect.succeedNone : Effect.map(withLegs([row]), (orders) => Option.some(orders[0]!)))),
    fills: (id: AccountId, session?: TradingDay) =>
      withAccount(id, "read", () => cache.cached(id, `fills ${session ?? ""}`, Effect.map(ledger.fills(id, session), toFills))),
    listFills: (id: AccountId, query: FillQuery) =>
      withAccount(id, "read", () => {
        const after = parseTimeBound("after", query.after)
        if (typeof after === "object") return reject(id, "InvalidRequest", after.message)
        return cache.cached(
          id,
          `fills after ${after ?? ""}`,
          Effect.map(after === undefined ? ledger.fills(id) : ledger.fillsAfter(id, after), toFills)
        )
      })
  }
}

/** The calls that write: placing, canceling, closing. */
export const writeCalls = ({ withAccount }: CallCore) => {
  const cancelOrder = (id: AccountId, orderId: string) =>
    withAccount(id, "write", (now, _, { ledger }) =>
      Effect.gen(function*() {
        const row = yield* ledger.orderById(id, orderId)
        if (row === undefined) return yield* reject(id, "NotFound", "order not found")
        if (!OPEN_STATUSES.has(row.status)) {
          return yield* reject(id, "InvalidRequest", `order is not cancelable (status ${row.status})`)
        }
        yield* ledger.cancelGroup(id, row.parent_id ?? row.id, now.at)
      }))

  // cancels the symbol's orders, then places: a refused placement must take the cancels back
  const closePosition = (id: AccountId, symbol: Ticker, closeOptions?: ClosePositionOptions) =>
    withAccount(id, "write, may fail after writing", (now, row, { ledger, placement }) =>
      Effect.gen(function*() {
        const position = yield* ledger.position(id, symbol)
        if (position === undefined) return yield* reject(id, "NotFound", "position does not exist")
        const held = Math.abs(position.qty)
        const { percentage, qty } = closeOptions ?? {}
        if (qty !== undefined && percentage !== undefined) {
          return yield* reject(id, "InvalidRequest", "only one of qty or percentage may be specified")
        }
        if (percentage !== undefined && !(percentage > 0 && percentage <= 100)) {
          return yield* reject(id, "InvalidRequest", "percentage must be in (0, 100]")
        }
        const closeQty = qty ?? roundQty(percentage === undefined ? held : (held * percentage) / 100)
        if (!(closeQty > 0)) return yield* reject(id, "InvalidRequest", "qty must be > 0")
        if (closeQty > held + EPS) return yield* refuse(id, insufficientShares(symbol, closeQty, held, 0))
        yield* ledger.cancelOpen(id, now.at, symbol)
        return yield* placement.place(book(row), now, Placement.closeIntent(id, symbol, closeQty, position.qty))
      }))

  const closeAllPositions = (id: AccountId) =>
    withAccount(id, "write, may fail after writing", (now, row, { ledger, placement }) =>
      Effect.gen(function*() {
        yield* ledger.cancelOpen(id, now.at)
        const account = book(row)
        const orders: Array<ExchangeOrder> = []
        for (const position of yield* ledger.positions(id)) {
          const intent = Placement.closeIntent(id, position.symbol, Math.abs(position.qty), position.qty)
          orders.push(yield* placement.place(account, now, intent))
        }
        return orders
      }))

  return {
    placeOrder: (id: AccountId, intent: OrderIntent | NotionalIntent) =>
      withAccount(id, "write", (now, row, { placement }) => placement.place(book(row), now, intent)),
    cancelOrder,
    cancelAllOrders: (id: AccountId) =>
      withAccount(id, "write", (now, _, { ledger }) => Effect.map(ledger.cancelOpen(id, now.at), roots)),
    closePosition,
    closeAllPositions
  }
}

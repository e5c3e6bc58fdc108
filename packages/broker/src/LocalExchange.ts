/**
 * The local paper exchange: a ledger in SQL (accounts, orders, fills, positions) driven by simulated daily
 * sessions, with Alpaca paper-trading semantics. The in-process `Brokers` (`layerBrokers`) and an
 * Alpaca-compatible HTTP server are both faces of this one core.
 *
 * **When to use**: offline runs, backtests and tests. Provide `LocalExchange.layer(options)` with a migrated
 * `SqlClient` (`@council/store` `Database`, migration `0002_exchange`), `MarketData` and `ExchangeSession`.
 *
 * **How it works**
 * - Accounts are created on first access with `initialCash` ($100,000) and an API key pair (`PK…` key id, 40-char
 *   secret), listed by `keys` and found by `accountByKeyId`.
 * - Every call first brings the account to the current session: open orders are evaluated on the bars of each
 *   session between the account's last session and now, in order (see `FillModel` for the fill rules), `day`
 *   orders expire at the end of the first session they were evaluated on, then `last_session` moves on. A
 *   session before the account's last session fails with `InvalidRequest`.
 * - Orders are placed at the session close: market orders fill immediately at the close ± slippage; limit,
 *   stop and stop-limit orders rest (status `new`) and are first evaluated on the next session's bar. Timestamps are the
 *   session's 16:00 New York time (`closeTimestamp`); ids are UUID v4.
 * - Bracket: entry + take-profit limit + stop-loss stop (or stop-limit) leg. Legs are `held` until the entry
 *   fills and are evaluated from the session after the fill; when one leg fills the other is canceled; if a bar
 *   would fill both, the stop-loss wins. OTO: entry + one leg. OCO: an exit-only pair (the parent is the
 *   take-profit limit, its leg the stop-loss), both evaluated from the next session. Bracket/OTO entries must
 *   open or add to a position. Canceling any member of a group cancels its other open members.
 * - Shorting: a sell with no long position opens a short when the account may short (option `allowShorting`,
 *   default true), else `ShortingNotAllowed`. A sell larger than the long position's available shares (shares
 *   not held by open closing orders) fails `InsufficientQty` — flipping long→short takes two orders; the same
 *   holds for buying back more than a short.
 * - Buying power has no leverage: `equity − long market value − |short market value| − open opening orders`
 *   (= cash when long-only with nothing resting). A buy that opens or adds needs
 *   `qty × price × (1 + slippage) + commission` (limit orders: the limit price), a short sale `qty × price`;
 *   closing orders need none. Rejections: `InsufficientBuyingPower` "insufficient buying power".
 * - `client_order_id` is unique per account forever: `DuplicateClientOrderId` "client_order_id must be unique".
 * - `closePosition` first cancels the symbol's open orders (Alpaca's `cancel_orders=true`), then sends a `day`
 *   market order; `closeAllPositions` cancels every open order first.
 *
 * **Gotchas**
 * - Every call runs under one permit per exchange, and writes in a transaction, so placement and fill are atomic.
 * - No partial fills, no notional orders, no trailing stops, no wash-trade or PDT checks, no order replacement;
 *   `ioc`/`fok`/`opg`/`cls` are accepted for market orders only (which fill at once anyway).
 *
 * @since 0.1.0
 */
import { randomInt, randomUUID } from "node:crypto"
import { Context, Effect, Layer, Option, Redacted, Schema, Semaphore } from "effect"
import type { Bar, Fill, Order, OrderLeg, OrderStatus, Position } from "@council/domain"
import {
  AccountId,
  type AccountSnapshot,
  OPEN_STATUSES,
  OrderClass,
  type OrderIntent,
  OrderStatus as OrderStatusSchema,
  OrderType,
  Side,
  Ticker,
  TimeInForce,
  TradingDay
} from "@council/domain"
import { MarketData, type MarketDataError } from "@council/market"
import { SqlClient, type SqlError } from "effect/sql"
import {
  type Broker,
  BrokerError,
  type BrokerErrorReason,
  Brokers,
  type ClosePositionOptions,
  type OrderQuery,
  unknownAccount
} from "./Broker.ts"
import { closeTimestamp, ExchangeSession } from "./ExchangeSession.ts"
import {
  commission,
  defaultFillModel,
  evaluateOnBar,
  type FillModelOptions,
  isOnTick,
  pickExit,
  roundCash,
  roundPrice,
  roundQty,
  slip
} from "./FillModel.ts"

export interface LocalExchangeOptions extends Partial<FillModelOptions> {
  /** Cash of a new account. Default 100,000. */
  readonly initialCash?: number
  /** Whether an account may sell short. Default true. */
  readonly allowShorting?: boolean | ((account: AccountId) => boolean)
}

/** An exchange account and its API key pair. */
export interface ExchangeAccount {
  readonly account: AccountId
  /** Alpaca-style account id (UUID). */
  readonly uuid: string
  readonly keyId: string
  readonly secretKey: Redacted.Redacted<string>
  readonly createdAt: string
  readonly lastSession: TradingDay
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
  readonly qty: number
  readonly type: OrderType
  readonly timeInForce: TimeInForce
  readonly limitPrice: number | null
  readonly stopPrice: number | null
  readonly orderClass: OrderClass
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

export class LocalExchange extends Context.Service<LocalExchange, {
  readonly options: FillModelOptions & { readonly initialCash: number }
  /** The session calls run in. */
  readonly session: Effect.Effect<TradingDay, BrokerError>
  /** The account (created on first access, then brought to the current session). */
  readonly account: (account: AccountId) => Effect.Effect<ExchangeAccount, BrokerError>
  /** Every account created so far, with its keys. */
  readonly keys: Effect.Effect<ReadonlyArray<ExchangeAccount>, BrokerError>
  readonly accountByKeyId: (keyId: string) => Effect.Effect<Option.Option<ExchangeAccount>, BrokerError>
  readonly snapshot: (account: AccountId) => Effect.Effect<AccountSnapshot, BrokerError>
  readonly positions: (account: AccountId) => Effect.Effect<ReadonlyArray<ExchangePosition>, BrokerError>
  readonly position: (account: AccountId, symbol: Ticker) => Effect.Effect<Option.Option<ExchangePosition>, BrokerError>
  readonly listOrders: (
    account: AccountId,
    query: ExchangeOrderQuery
  ) => Effect.Effect<ReadonlyArray<ExchangeOrder>, BrokerError>
  readonly getOrder: (account: AccountId, orderId: string) => Effect.Effect<ExchangeOrder, BrokerError>
  readonly getOrderByClientId: (
    account: AccountId,
    clientOrderId: string
  ) => Effect.Effect<Option.Option<ExchangeOrder>, BrokerError>
  readonly placeOrder: (account: AccountId, intent: OrderIntent) => Effect.Effect<ExchangeOrder, BrokerError>
  readonly cancelOrder: (account: AccountId, orderId: string) => Effect.Effect<void, BrokerError>
  /** Cancels every open order; succeeds with the ids of the top-level orders that had something canceled. */
  readonly cancelAllOrders: (account: AccountId) => Effect.Effect<ReadonlyArray<string>, BrokerError>
  readonly closePosition: (
    account: AccountId,
    symbol: Ticker,
    options?: ClosePositionOptions
  ) => Effect.Effect<ExchangeOrder, BrokerError>
  readonly closeAllPositions: (account: AccountId) => Effect.Effect<ReadonlyArray<ExchangeOrder>, BrokerError>
  /** Fills in execution order, optionally of one session only. */
  readonly fills: (account: AccountId, session?: TradingDay) => Effect.Effect<ReadonlyArray<Fill>, BrokerError>
}>()("@council/broker/LocalExchange") {
  static readonly layer = (
    options: LocalExchangeOptions = {}
  ): Layer.Layer<LocalExchange, never, SqlClient.SqlClient | MarketData | ExchangeSession> =>
    Layer.effect(LocalExchange, make(options))

  /** `Brokers` for the given accounts, each a view of the exchange. */
  static readonly layerBrokers = (accounts: ReadonlyArray<AccountId>): Layer.Layer<Brokers, never, LocalExchange> =>
    Layer.effect(
      Brokers,
      Effect.gen(function*() {
        const exchange = yield* LocalExchange
        const brokers = new Map(accounts.map((account) => [account, brokerOf(exchange, account)]))
        return Brokers.of({
          accounts,
          get: (account) => {
            const broker = brokers.get(account)
            return broker ? Effect.succeed(broker) : Effect.fail(unknownAccount(account, accounts))
          }
        })
      })
    )

  /** One account's `Broker` over the exchange. */
  static readonly broker = (exchange: LocalExchange["Service"], account: AccountId): Broker =>
    brokerOf(exchange, account)
}

// ---------------------------------------------------------------------------------------------------------------
// Rows

const Float = Schema.Number
const AccountRow = Schema.Struct({
  id: AccountId,
  uuid: Schema.String,
  api_key_id: Schema.String,
  api_secret: Schema.String,
  cash: Float,
  created_at: Schema.String,
  last_session: TradingDay
})
type AccountRow = typeof AccountRow.Type

const PositionEffect = Schema.Literals(["open", "close"])
type PositionEffect = typeof PositionEffect.Type

const OrderRow = Schema.Struct({
  id: Schema.String,
  account: AccountId,
  client_order_id: Schema.String,
  parent_id: Schema.NullOr(Schema.String),
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
  triggered: Float,
  filled_qty: Float,
  filled_avg_price: Schema.NullOr(Float),
  extended_hours: Float,
  session: TradingDay,
  active_after: Schema.NullOr(TradingDay),
  created_at: Schema.String,
  updated_at: Schema.String,
  submitted_at: Schema.String,
  filled_at: Schema.NullOr(Schema.String),
  canceled_at: Schema.NullOr(Schema.String),
  expired_at: Schema.NullOr(Schema.String)
})
type OrderRow = typeof OrderRow.Type

const PositionRow = Schema.Struct({ symbol: Ticker, qty: Float, avg_entry_price: Float })
type PositionRow = typeof PositionRow.Type

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

const decodeAccounts = Schema.decodeUnknownEffect(Schema.Array(AccountRow))
const decodeOrders = Schema.decodeUnknownEffect(Schema.Array(OrderRow))
const decodePositions = Schema.decodeUnknownEffect(Schema.Array(PositionRow))
const decodeFills = Schema.decodeUnknownEffect(Schema.Array(FillRow))
const decodeIds = Schema.decodeUnknownEffect(
  Schema.Array(Schema.Struct({ id: Schema.String, parent_id: Schema.NullOr(Schema.String) }))
)

const OPEN: ReadonlyArray<OrderStatus> = [...OPEN_STATUSES]

type Failure = BrokerError | SqlError.SqlError | Schema.SchemaError | MarketDataError

// ---------------------------------------------------------------------------------------------------------------
// Pure helpers

const ALNUM_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
const ALNUM = `${ALNUM_UPPER}abcdefghijklmnopqrstuvwxyz`
const randomString = (alphabet: string, length: number): string =>
  Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join("")

const newKeyPair = () => ({ keyId: `PK${randomString(ALNUM_UPPER, 18)}`, secret: randomString(ALNUM, 40) })

const EPS = 1e-9

const subPenny = (field: string, value: number) =>
  `invalid ${field} ${value}. sub-penny increment does not fulfill minimum pricing criteria`

/** The validation Alpaca does before looking at prices or the account (messages as close to Alpaca's as known). */
const validateIntent = (intent: OrderIntent): string | undefined => {
  const { orderClass, qty, stopLoss, takeProfit, timeInForce, type } = intent
  if (!Number.isFinite(qty) || qty <= 0) return "qty must be > 0"
  if (roundQty(qty) !== qty) return "qty must have at most 9 decimal places"
  const fractional = !Number.isInteger(qty)
  if (fractional && orderClass !== "simple") return "fractional orders must be simple orders"
  if (fractional && timeInForce !== "day") return "fractional orders must be DAY orders"
  const prices: ReadonlyArray<readonly [string, number | undefined]> = [
    ["limit_price", intent.limitPrice],
    ["stop_price", intent.stopPrice],
    ["take_profit.limit_price", takeProfit?.limitPrice],
    ["stop_loss.stop_price", stopLoss?.stopPrice],
    ["stop_loss.limit_price", stopLoss?.limitPrice]
  ]
  for (const [field, value] of prices) {
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) return `${field} must be > 0`
    if (value !== undefined && !isOnTick(value)) return subPenny(field, value)
  }
  if (orderClass !== "oco") {
    if ((type === "limit" || type === "stop_limit") && intent.limitPrice === undefined) {
      return `limit_price is required for ${type} orders`
    }
    if ((type === "stop" || type === "stop_limit") && intent.stopPrice === undefined) {
      return `stop_price is required for ${type} orders`
    }
  }
  if (intent.extendedHours === true && !(type === "limit" && timeInForce === "day")) {
    return "extended hours order must be DAY limit orders"
  }
  if (type !== "market" && timeInForce !== "day" && timeInForce !== "gtc") {
    return `time_in_force ${timeInForce} is not supported for ${type} orders by the local exchange (use day or gtc)`
  }
  switch (orderClass) {
    case "simple":
      return takeProfit !== undefined || stopLoss !== undefined
        ? "take_profit and stop_loss are only valid for bracket, oco and oto orders"
        : undefined
    case "bracket":
      if (takeProfit === undefined || stopLoss === undefined) return "bracket orders require take_profit and stop_loss"
      break
    case "oto":
      if ((takeProfit === undefined) === (stopLoss === undefined)) {
        return "oto orders require exactly one of take_profit or stop_loss"
      }
      break
    case "oco":
      if (type !== "limit") return "oco orders must be limit orders"
      if (takeProfit === undefined || stopLoss === undefined) return "oco orders require take_profit and stop_loss"
      break
  }
  if (timeInForce !== "day" && timeInForce !== "gtc") return `${orderClass} orders must be day or gtc orders`
  return undefined
}

/** Bracket/OTO/OCO prices against the base price (entry limit, or the close for market entries). */
const validateExitPrices = (intent: OrderIntent, close: number): string | undefined => {
  const base = intent.orderClass === "oco"
    ? intent.takeProfit?.limitPrice ?? close
    : intent.type === "limit" || intent.type === "stop_limit"
    ? intent.limitPrice ?? close
    : intent.type === "stop"
    ? intent.stopPrice ?? close
    : close
  const exitSide = intent.orderClass === "oco" ? intent.side : intent.side === "buy" ? "sell" : "buy"
  // exits of a long (sell) take profit above the base and stop below it; exits of a short mirror that
  const longExit = exitSide === "sell"
  const above = roundPrice(base + 0.01)
  const below = roundPrice(base - 0.01)
  const tp = intent.takeProfit?.limitPrice
  const sl = intent.stopLoss?.stopPrice
  if (tp !== undefined && intent.orderClass !== "oco") {
    if (longExit && tp < above - EPS) return "take_profit.limit_price must be >= base_price + 0.01"
    if (!longExit && tp > below + EPS) return "take_profit.limit_price must be <= base_price - 0.01"
  }
  if (sl !== undefined) {
    if (longExit && sl > below + EPS) return "stop_loss.stop_price must be <= base_price - 0.01"
    if (!longExit && sl < above - EPS) return "stop_loss.stop_price must be >= base_price + 0.01"
  }
  return undefined
}

const toExchangeOrder = (row: OrderRow, legs: ReadonlyArray<ExchangeOrder> = []): ExchangeOrder => ({
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

const toOrderLeg = (order: ExchangeOrder): OrderLeg => ({
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
  filledAt: order.filledAt
})

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

const toAccount = (row: AccountRow, shortingEnabled: boolean): ExchangeAccount => ({
  account: row.id,
  uuid: row.uuid,
  keyId: row.api_key_id,
  secretKey: Redacted.make(row.api_secret),
  createdAt: row.created_at,
  lastSession: row.last_session,
  shortingEnabled
})

/** Remaining quantity held by open exit orders, counting each OCO group once. */
const heldQty = (rows: ReadonlyArray<OrderRow>, side: Side): number => {
  const byGroup = new Map<string, number>()
  for (const row of rows) {
    if (row.side !== side || row.position_effect !== "close" || row.status === "held") continue
    byGroup.set(row.exit_group, Math.max(byGroup.get(row.exit_group) ?? 0, row.qty - row.filled_qty))
  }
  let total = 0
  for (const qty of byGroup.values()) total += qty
  return roundQty(total)
}

const groupBy = <A>(items: ReadonlyArray<A>, key: (a: A) => string): ReadonlyArray<ReadonlyArray<A>> => {
  const groups = new Map<string, Array<A>>()
  for (const item of items) {
    const k = key(item)
    const group = groups.get(k)
    if (group) group.push(item)
    else groups.set(k, [item])
  }
  return [...groups.values()]
}

const parseTimeBound = (field: string, value: string | undefined): string | undefined | BrokerErrorMessage => {
  if (value === undefined) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? { message: `invalid ${field}: ${value}` } : new Date(ms).toISOString()
}
interface BrokerErrorMessage {
  readonly message: string
}

const insufficientQty = (requested: number, available: number) =>
  `insufficient qty available for order (requested: ${requested}, available: ${Math.max(0, roundQty(available))})`

// ---------------------------------------------------------------------------------------------------------------
// The exchange

const make = Effect.fnUntraced(function*(input: LocalExchangeOptions) {
  const sql = yield* SqlClient.SqlClient
  const market = yield* MarketData
  const exchangeSession = yield* ExchangeSession
  const lock = yield* Semaphore.make(1)
  const options = {
    slippageBps: input.slippageBps ?? defaultFillModel.slippageBps,
    commissionPerShare: input.commissionPerShare ?? defaultFillModel.commissionPerShare,
    commissionMin: input.commissionMin ?? defaultFillModel.commissionMin,
    initialCash: input.initialCash ?? 100_000
  }
  const allowShorting = (account: AccountId): boolean =>
    typeof input.allowShorting === "function" ? input.allowShorting(account) : input.allowShorting ?? true

  const reject = (account: AccountId, reason: BrokerErrorReason, message: string): Effect.Effect<never, BrokerError> =>
    Effect.fail(new BrokerError({ account, reason, message, retryable: false }))
  /** An `InvalidRequest` whose account `withAccount` fills in. */
  const invalid = (message: string) => new BrokerError({ account: "", reason: "InvalidRequest", message, retryable: false })

  const toBrokerError = (account: string) => (error: Failure): BrokerError => {
    switch (error._tag) {
      case "BrokerError":
        return error.account !== "" ? error : new BrokerError({
          account,
          reason: error.reason,
          message: error.message,
          retryable: error.retryable,
          ...(error.resetAt === undefined ? {} : { resetAt: error.resetAt })
        })
      case "MarketDataError":
        return new BrokerError({
          account,
          reason: error.reason === "Unavailable" || error.reason === "InvalidData" ? "Unavailable" : "InvalidRequest",
          message: error.message,
          retryable: false
        })
      case "SqlError":
        return new BrokerError({
          account,
          reason: "ServerError",
          message: `local exchange database error: ${error.message}`,
          retryable: false
        })
      case "SchemaError":
        return new BrokerError({
          account,
          reason: "ServerError",
          message: `local exchange ledger holds an invalid row: ${error.message}`,
          retryable: false
        })
    }
  }

  // --- market data ---------------------------------------------------------------------------------------------

  /** The latest bars on or before `day` (`count` of them), failing for an unknown symbol. */
  const lastBars = (
    symbol: Ticker,
    day: TradingDay,
    count: number
  ): Effect.Effect<ReadonlyArray<Bar>, BrokerError | MarketDataError> =>
    market.bars({ symbol, asOf: day, lookback: count }).pipe(
      Effect.catchTag("MarketDataError", (error): Effect.Effect<never, BrokerError | MarketDataError> =>
        error.reason === "UnknownSymbol"
          ? Effect.fail(invalid(`asset ${symbol} not found`))
          : Effect.fail(error)),
      Effect.flatMap((bars) =>
        bars.length === 0 ? Effect.fail(invalid(`no price for ${symbol} on or before ${day}`)) : Effect.succeed(bars)
      )
    )

  const closeOf = (symbol: Ticker, day: TradingDay) =>
    Effect.map(lastBars(symbol, day, 1), (bars) => bars[bars.length - 1]!.close)

  const barOn = (symbol: Ticker, day: TradingDay) =>
    Effect.map(lastBars(symbol, day, 1), (bars): Bar | undefined => {
      const bar = bars[bars.length - 1]
      return bar?.date === day ? bar : undefined
    })

  // --- rows ----------------------------------------------------------------------------------------------------

  const accountRow = (account: AccountId) =>
    Effect.map(
      sql`SELECT * FROM exchange_accounts WHERE id = ${account}`.pipe(Effect.flatMap(decodeAccounts)),
      (rows) => rows[0]
    )

  const ordersWhere = (where: ReturnType<typeof sql.and>) =>
    sql`SELECT * FROM exchange_orders WHERE ${where} ORDER BY seq`.pipe(Effect.flatMap(decodeOrders))

  const orderById = (account: AccountId, id: string) =>
    Effect.map(ordersWhere(sql.and([sql`account = ${account}`, sql`id = ${id}`])), (rows) => rows[0])

  const legsOf = (parentIds: ReadonlyArray<string>) =>
    parentIds.length === 0
      ? Effect.succeed<ReadonlyArray<OrderRow>>([])
      : ordersWhere(sql.and([sql`parent_id IN ${sql.in(parentIds)}`]))

  /** Rows with their legs attached (legs listed with their parents only when `nested`). */
  const withLegs = (rows: ReadonlyArray<OrderRow>) =>
    Effect.map(legsOf(rows.filter((r) => r.parent_id === null).map((r) => r.id)), (legs) =>
      rows.map((row) =>
        toExchangeOrder(row, legs.filter((leg) => leg.parent_id === row.id).map((leg) => toExchangeOrder(leg)))
      ))

  const loadOrder = Effect.fnUntraced(function*(account: AccountId, id: string) {
    const row = yield* orderById(account, id)
    if (row === undefined) return yield* reject(account, "NotFound", "order not found")
    return (yield* withLegs([row]))[0]!
  })

  const positionRows = (account: AccountId) =>
    sql`SELECT symbol, qty, avg_entry_price FROM exchange_positions WHERE account = ${account}`.pipe(
      Effect.flatMap(decodePositions),
      Effect.map((rows) => [...rows].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)))
    )

  const positionRow = (account: AccountId, symbol: Ticker) =>
    sql`SELECT symbol, qty, avg_entry_price FROM exchange_positions WHERE account = ${account} AND symbol = ${symbol}`
      .pipe(Effect.flatMap(decodePositions), Effect.map((rows): PositionRow | undefined => rows[0]))

  const openOrders = (account: AccountId, symbol?: Ticker) =>
    ordersWhere(
      sql.and([
        sql`account = ${account}`,
        sql`status IN ${sql.in(OPEN)}`,
        ...(symbol === undefined ? [] : [sql`symbol = ${symbol}`])
      ])
    )

  // --- ledger writes -------------------------------------------------------------------------------------------

  const setCash = (account: AccountId, cash: number) =>
    sql`UPDATE exchange_accounts SET cash = ${roundCash(cash)} WHERE id = ${account}`

  const applyToPosition = Effect.fnUntraced(function*(account: AccountId, symbol: Ticker, signedQty: number, price: number) {
    const current = yield* positionRow(account, symbol)
    const q0 = current?.qty ?? 0
    const avg0 = current?.avg_entry_price ?? 0
    const q1 = roundQty(q0 + signedQty)
    if (q1 === 0) {
      yield* sql`DELETE FROM exchange_positions WHERE account = ${account} AND symbol = ${symbol}`
      return
    }
    const avg = q0 === 0 || Math.sign(q0) === Math.sign(signedQty)
      ? (Math.abs(q0) * avg0 + Math.abs(signedQty) * price) / Math.abs(q1)
      : Math.sign(q1) === Math.sign(q0)
      ? avg0
      : price
    const avgEntryPrice = Math.round(avg * 1e6) / 1e6
    if (current === undefined) {
      yield* sql`INSERT INTO exchange_positions ${sql.insert({ account, symbol, qty: q1, avg_entry_price: avgEntryPrice })}`
    } else {
      yield* sql`UPDATE exchange_positions SET qty = ${q1}, avg_entry_price = ${avgEntryPrice}
        WHERE account = ${account} AND symbol = ${symbol}`
    }
  })

  /** Fills `row` completely at `price` in `session`: position, cash, fill record, status; activates held legs. */
  const fillOrder = Effect.fnUntraced(function*(row: OrderRow, price: number, session: TradingDay) {
    const at = closeTimestamp(session)
    const fee = commission(row.qty, options)
    const signed = row.side === "buy" ? row.qty : -row.qty
    yield* applyToPosition(row.account, row.symbol, signed, price)
    const account = yield* accountRow(row.account)
    yield* setCash(row.account, (account?.cash ?? 0) - signed * price - fee)
    yield* sql`INSERT INTO exchange_fills ${
      sql.insert({
        id: randomUUID(),
        order_id: row.id,
        account: row.account,
        symbol: row.symbol,
        side: row.side,
        qty: row.qty,
        price,
        commission: fee,
        session,
        filled_at: at
      })
    }`
    yield* sql`UPDATE exchange_orders SET status = 'filled', filled_qty = ${row.qty}, filled_avg_price = ${price},
      filled_at = ${at}, updated_at = ${at} WHERE id = ${row.id}`
    yield* sql`UPDATE exchange_orders SET status = 'new', active_after = ${session}, updated_at = ${at}
      WHERE parent_id = ${row.id} AND status = 'held'`
  })

  const cancelRows = (where: ReturnType<typeof sql.and>, at: string) =>
    sql`UPDATE exchange_orders SET status = 'canceled', canceled_at = ${at}, updated_at = ${at}
      WHERE ${where} AND ${sql`status IN ${sql.in(OPEN)}`} RETURNING id, parent_id`.pipe(Effect.flatMap(decodeIds))

  /** Cancels the open members of the group (parent and legs) `row` belongs to. */
  const cancelGroupOf = (row: OrderRow, at: string) => {
    const root = row.parent_id ?? row.id
    return cancelRows(sql.and([sql`account = ${row.account}`, sql`(id = ${root} OR parent_id = ${root})`]), at)
  }

  /** Top-level ids of canceled rows, in order, without duplicates. */
  const roots = (rows: ReadonlyArray<{ readonly id: string; readonly parent_id: string | null }>) => [
    ...new Set(rows.map((r) => r.parent_id ?? r.id))
  ]

  // --- sessions ------------------------------------------------------------------------------------------------

  /** Evaluates the account's resting orders on `session`'s bars, then expires its `day` orders. */
  const processSession = Effect.fnUntraced(function*(account: AccountId, session: TradingDay) {
    const at = closeTimestamp(session)
    const resting = yield* ordersWhere(
      sql.and([sql`account = ${account}`, sql`status = 'new'`, sql`active_after < ${session}`])
    )
    for (const group of groupBy(resting, (row) => row.exit_group)) {
      const candidates: Array<{ readonly row: OrderRow; readonly type: OrderType; readonly price: number }> = []
      for (const row of group) {
        const bar = yield* barOn(row.symbol, session)
        if (bar === undefined) continue
        const outcome = evaluateOnBar(
          {
            side: row.side,
            type: row.type,
            limitPrice: row.limit_price,
            stopPrice: row.stop_price,
            triggered: row.triggered !== 0
          },
          bar,
          options.slippageBps
        )
        if (outcome._tag === "Triggered" && row.triggered === 0) {
          yield* sql`UPDATE exchange_orders SET triggered = 1, updated_at = ${at} WHERE id = ${row.id}`
        }
        if (outcome._tag === "Fill") candidates.push({ row, type: row.type, price: outcome.price })
      }
      const chosen = pickExit(candidates)
      if (chosen === undefined) continue
      yield* fillOrder(chosen.row, chosen.price, session)
      const siblings = group.filter((row) => row.id !== chosen.row.id).map((row) => row.id)
      if (siblings.length > 0) yield* cancelRows(sql.and([sql`id IN ${sql.in(siblings)}`]), at)
    }
    const expiring = yield* ordersWhere(
      sql.and([
        sql`account = ${account}`,
        sql`status = 'new'`,
        sql`time_in_force = 'day'`,
        sql`active_after < ${session}`
      ])
    )
    if (expiring.length === 0) return
    const ids = expiring.map((row) => row.id)
    yield* sql`UPDATE exchange_orders SET status = 'expired', expired_at = ${at}, updated_at = ${at}
      WHERE ${sql`id IN ${sql.in(ids)}`}`
    yield* cancelRows(sql.and([sql`parent_id IN ${sql.in(ids)}`, sql`status = 'held'`]), at)
  })

  /** Creates the account if needed and brings it to `day`, in one transaction. */
  const advance = Effect.fnUntraced(function*(account: AccountId, day: TradingDay) {
    const existing = yield* accountRow(account)
    if (existing === undefined) {
      const keys = newKeyPair()
      yield* sql`INSERT INTO exchange_accounts ${
        sql.insert({
          id: account,
          uuid: randomUUID(),
          api_key_id: keys.keyId,
          api_secret: keys.secret,
          cash: options.initialCash,
          created_at: closeTimestamp(day),
          last_session: day
        })
      } ON CONFLICT (id) DO NOTHING`
      return
    }
    // a no-op write first: on PostgreSQL it locks the account row for the rest of the transaction
    yield* sql`UPDATE exchange_accounts SET last_session = last_session WHERE id = ${account}`
    const last = existing.last_session
    if (last > day) return yield* reject(account, "InvalidRequest", `the local exchange is at ${last}; cannot trade ${day}`)
    if (last === day) return
    const sessions = yield* market.sessions(last, day)
    for (const session of sessions) {
      if (session > last) yield* processSession(account, session)
    }
    yield* sql`UPDATE exchange_accounts SET last_session = ${day} WHERE id = ${account}`
  })

  /** Runs `body` for an account brought to the current session; `write` bodies run in a transaction. */
  const withAccount = <A>(
    account: AccountId,
    write: boolean,
    body: (day: TradingDay) => Effect.Effect<A, Failure>
  ): Effect.Effect<A, BrokerError> =>
    Effect.gen(function*() {
      const day = yield* exchangeSession.current
      yield* market.ensureTradingDay(day)
      yield* sql.withTransaction(advance(account, day))
      return yield* (write ? sql.withTransaction(body(day)) : body(day))
    }).pipe(lock.withPermits(1), Effect.mapError(toBrokerError(account)))

  // --- account state -------------------------------------------------------------------------------------------

  const markedPositions = Effect.fnUntraced(function*(account: AccountId, day: TradingDay) {
    const rows = yield* positionRows(account)
    const open = yield* openOrders(account)
    const positions: Array<ExchangePosition> = []
    for (const row of rows) {
      const bars = yield* lastBars(row.symbol, day, 2)
      const price = bars[bars.length - 1]!.close
      const lastdayPrice = bars.length > 1 ? bars[bars.length - 2]!.close : price
      const mine = open.filter((o) => o.symbol === row.symbol)
      const held = row.qty > 0 ? heldQty(mine, "sell") : -heldQty(mine, "buy")
      positions.push({
        symbol: row.symbol,
        qty: row.qty,
        side: row.qty > 0 ? "long" : "short",
        avgEntryPrice: row.avg_entry_price,
        marketValue: roundCash(row.qty * price),
        currentPrice: price,
        unrealizedPl: roundCash((price - row.avg_entry_price) * row.qty),
        qtyAvailable: roundQty(row.qty - held),
        costBasis: roundCash(row.qty * row.avg_entry_price),
        lastdayPrice
      })
    }
    return { positions, open }
  })

  /** Price an opening order reserves per share. */
  const reservePrice = (row: OrderRow): number =>
    row.type === "stop"
      ? (row.stop_price ?? 0) * (row.side === "buy" ? 1 + options.slippageBps / 10_000 : 1)
      : row.limit_price ?? row.stop_price ?? 0

  const accountState = Effect.fnUntraced(function*(account: AccountId, day: TradingDay) {
    const row = yield* accountRow(account)
    const cash = row?.cash ?? 0
    const { open, positions } = yield* markedPositions(account, day)
    let longMarketValue = 0
    let shortMarketValue = 0
    for (const p of positions) {
      if (p.marketValue >= 0) longMarketValue += p.marketValue
      else shortMarketValue += p.marketValue
    }
    let reserved = 0
    for (const o of open) {
      if (o.position_effect === "open" && o.status !== "held") reserved += (o.qty - o.filled_qty) * reservePrice(o)
    }
    const equity = roundCash(cash + longMarketValue + shortMarketValue)
    const snapshot: AccountSnapshot = {
      account,
      cash: roundCash(cash),
      equity,
      buyingPower: Math.max(0, roundCash(equity - longMarketValue + shortMarketValue - reserved)),
      longMarketValue: roundCash(longMarketValue),
      shortMarketValue: roundCash(shortMarketValue),
      positions: positions.map(toPosition)
    }
    return { snapshot, positions, open }
  })

  // --- placement -----------------------------------------------------------------------------------------------

  interface NewOrder {
    readonly id: string
    readonly clientOrderId: string
    readonly parentId: string | null
    readonly exitGroup: string
    readonly effect: PositionEffect
    readonly side: Side
    readonly type: OrderType
    readonly limitPrice: number | null
    readonly stopPrice: number | null
    readonly status: "new" | "held"
  }

  const insertOrder = (account: AccountId, intent: OrderIntent, day: TradingDay, order: NewOrder) => {
    const at = closeTimestamp(day)
    return sql`INSERT INTO exchange_orders ${
      sql.insert({
        id: order.id,
        account,
        client_order_id: order.clientOrderId,
        parent_id: order.parentId,
        exit_group: order.exitGroup,
        position_effect: order.effect,
        symbol: intent.symbol,
        side: order.side,
        qty: intent.qty,
        type: order.type,
        time_in_force: intent.timeInForce,
        limit_price: order.limitPrice,
        stop_price: order.stopPrice,
        order_class: intent.orderClass,
        status: order.status,
        triggered: 0,
        filled_qty: 0,
        filled_avg_price: null,
        extended_hours: intent.extendedHours === true ? 1 : 0,
        session: day,
        active_after: order.status === "held" ? null : day,
        created_at: at,
        updated_at: at,
        submitted_at: at,
        filled_at: null,
        canceled_at: null,
        expired_at: null,
        reason: intent.reason
      })
    }`
  }

  /** Places an order inside the caller's transaction. */
  const place = Effect.fnUntraced(function*(account: AccountId, day: TradingDay, intent: OrderIntent) {
    const duplicate = yield* sql`SELECT id FROM exchange_orders
      WHERE account = ${account} AND client_order_id = ${intent.clientOrderId}`
    if (duplicate.length > 0) return yield* reject(account, "DuplicateClientOrderId", "client_order_id must be unique")
    if (intent.account !== account) {
      return yield* reject(account, "InvalidRequest", `the order is for account ${intent.account}, not ${account}`)
    }
    const invalid = validateIntent(intent)
    if (invalid !== undefined) return yield* reject(account, "InvalidRequest", invalid)
    const close = yield* closeOf(intent.symbol, day)
    if (intent.orderClass !== "simple") {
      const exitInvalid = validateExitPrices(intent, close)
      if (exitInvalid !== undefined) return yield* reject(account, "InvalidRequest", exitInvalid)
    }

    const { open, positions, snapshot } = yield* accountState(account, day)
    const position = positions.find((p) => p.symbol === intent.symbol)
    const q = position?.qty ?? 0
    const mine = open.filter((o) => o.symbol === intent.symbol)
    const closing = intent.side === "sell" ? q > 0 : q < 0
    let effect: PositionEffect = "open"
    if (closing) {
      const available = intent.side === "sell" ? q - heldQty(mine, "sell") : -q - heldQty(mine, "buy")
      if (intent.qty > available + EPS) {
        return yield* reject(account, "InsufficientQty", insufficientQty(intent.qty, available))
      }
      effect = "close"
    } else if (intent.orderClass === "oco") {
      return yield* reject(account, "InsufficientQty", insufficientQty(intent.qty, 0))
    }
    if (effect === "close" && (intent.orderClass === "bracket" || intent.orderClass === "oto")) {
      return yield* reject(
        account,
        "InvalidRequest",
        `${intent.orderClass} orders must open or add to a position on the local exchange`
      )
    }
    if (effect === "open") {
      const short = intent.side === "sell"
      if (short && !allowShorting(account)) {
        return yield* reject(account, "ShortingNotAllowed", "account is not allowed to short")
      }
      if (short && !Number.isInteger(intent.qty)) {
        return yield* reject(account, "InvalidRequest", "fractional orders cannot be sold short")
      }
      const price = intent.type === "market"
        ? (short ? close : slip(close, "buy", options.slippageBps))
        : intent.type === "stop"
        ? (short ? intent.stopPrice ?? close : slip(intent.stopPrice ?? close, "buy", options.slippageBps))
        : intent.limitPrice ?? close
      const cost = intent.qty * price + commission(intent.qty, options)
      if (cost > snapshot.buyingPower + EPS) {
        return yield* reject(account, "InsufficientBuyingPower", "insufficient buying power")
      }
    }

    const id = randomUUID()
    const exitSide: Side = intent.side === "buy" ? "sell" : "buy"
    const legGroup = randomUUID()
    if (intent.orderClass === "oco") {
      const tp = intent.takeProfit!
      const sl = intent.stopLoss!
      yield* insertOrder(account, intent, day, {
        id,
        clientOrderId: intent.clientOrderId,
        parentId: null,
        exitGroup: id,
        effect: "close",
        side: intent.side,
        type: "limit",
        limitPrice: tp.limitPrice,
        stopPrice: null,
        status: "new"
      })
      yield* insertOrder(account, intent, day, {
        id: randomUUID(),
        clientOrderId: randomUUID(),
        parentId: id,
        exitGroup: id,
        effect: "close",
        side: intent.side,
        type: sl.limitPrice === undefined ? "stop" : "stop_limit",
        limitPrice: sl.limitPrice ?? null,
        stopPrice: sl.stopPrice,
        status: "new"
      })
      return yield* loadOrder(account, id)
    }
    yield* insertOrder(account, intent, day, {
      id,
      clientOrderId: intent.clientOrderId,
      parentId: null,
      exitGroup: id,
      effect,
      side: intent.side,
      type: intent.type,
      limitPrice: intent.type === "market" || intent.type === "stop" ? null : intent.limitPrice ?? null,
      stopPrice: intent.type === "stop" || intent.type === "stop_limit" ? intent.stopPrice ?? null : null,
      status: "new"
    })
    const insertLeg = (leg: { readonly type: OrderType; readonly limitPrice: number | null; readonly stopPrice: number | null }) =>
      insertOrder(account, intent, day, {
        id: randomUUID(),
        clientOrderId: randomUUID(),
        parentId: id,
        exitGroup: legGroup,
        effect: "close",
        side: exitSide,
        status: "held",
        ...leg
      })
    if (intent.takeProfit !== undefined) {
      yield* insertLeg({ type: "limit", limitPrice: intent.takeProfit.limitPrice, stopPrice: null })
    }
    if (intent.stopLoss !== undefined) {
      yield* insertLeg({
        type: intent.stopLoss.limitPrice === undefined ? "stop" : "stop_limit",
        limitPrice: intent.stopLoss.limitPrice ?? null,
        stopPrice: intent.stopLoss.stopPrice
      })
    }
    if (intent.type === "market") {
      const row = yield* orderById(account, id)
      yield* fillOrder(row!, slip(close, intent.side, options.slippageBps), day)
    }
    return yield* loadOrder(account, id)
  })

  const closeIntent = (account: AccountId, symbol: Ticker, qty: number, position: number): OrderIntent => ({
    account,
    symbol,
    side: position > 0 ? "sell" : "buy",
    qty,
    type: "market",
    timeInForce: "day",
    orderClass: "simple",
    clientOrderId: randomUUID(),
    reason: "close position"
  })

  // --- the service ---------------------------------------------------------------------------------------------

  const account = Effect.fn("LocalExchange.account")((id: AccountId) =>
    withAccount(id, false, () =>
      Effect.flatMap(accountRow(id), (row) =>
        row === undefined
          ? reject(id, "ServerError", "the account was not created")
          : Effect.succeed(toAccount(row, allowShorting(id)))))
  )

  const keys = sql`SELECT * FROM exchange_accounts ORDER BY id`.pipe(
    Effect.flatMap(decodeAccounts),
    Effect.map((rows) => rows.map((row) => toAccount(row, allowShorting(row.id)))),
    Effect.mapError(toBrokerError("")),
    Effect.withSpan("LocalExchange.keys")
  )

  const accountByKeyId = Effect.fn("LocalExchange.accountByKeyId")((keyId: string) =>
    sql`SELECT * FROM exchange_accounts WHERE api_key_id = ${keyId}`.pipe(
      Effect.flatMap(decodeAccounts),
      Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), (row) => toAccount(row, allowShorting(row.id)))),
      Effect.mapError(toBrokerError(""))
    )
  )

  const snapshot = Effect.fn("LocalExchange.snapshot")((id: AccountId) =>
    withAccount(id, false, (day) => Effect.map(accountState(id, day), (state) => state.snapshot))
  )

  const positions = Effect.fn("LocalExchange.positions")((id: AccountId) =>
    withAccount(id, false, (day) => Effect.map(markedPositions(id, day), (state) => state.positions))
  )

  const position = Effect.fn("LocalExchange.position")((id: AccountId, symbol: Ticker) =>
    withAccount(id, false, (day) =>
      Effect.map(markedPositions(id, day), (state) =>
        Option.fromNullishOr(state.positions.find((p) => p.symbol === symbol))))
  )

  const listOrders = Effect.fn("LocalExchange.listOrders")((id: AccountId, query: ExchangeOrderQuery) =>
    withAccount(id, false, () =>
      Effect.gen(function*() {
        const limit = query.limit ?? 50
        if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
          return yield* reject(id, "InvalidRequest", "limit must be an integer between 1 and 500")
        }
        const after = parseTimeBound("after", query.after)
        const until = parseTimeBound("until", query.until)
        if (typeof after === "object") return yield* reject(id, "InvalidRequest", after.message)
        if (typeof until === "object") return yield* reject(id, "InvalidRequest", until.message)
        const nested = query.nested ?? true
        const isOpen = nested
          ? sql`(${sql`status IN ${sql.in(OPEN)}`} OR EXISTS (SELECT 1 FROM exchange_orders l
              WHERE l.parent_id = exchange_orders.id AND ${sql`l.status IN ${sql.in(OPEN)}`}))`
          : sql`status IN ${sql.in(OPEN)}`
        const clauses = [
          sql`account = ${id}`,
          ...(nested ? [sql`parent_id IS NULL`] : []),
          ...(query.symbols !== undefined && query.symbols.length > 0 ? [sql`symbol IN ${sql.in(query.symbols)}`] : []),
          ...(after === undefined ? [] : [sql`submitted_at > ${after}`]),
          ...(until === undefined ? [] : [sql`submitted_at < ${until}`]),
          ...(query.status === "open" ? [isOpen] : query.status === "closed" ? [sql`NOT ${isOpen}`] : [])
        ]
        const direction = sql.literal(query.direction === "asc" ? "ASC" : "DESC")
        const rows = yield* sql`SELECT * FROM exchange_orders WHERE ${sql.and(clauses)}
          ORDER BY submitted_at ${direction}, seq ${direction} LIMIT ${limit}`.pipe(Effect.flatMap(decodeOrders))
        return nested ? yield* withLegs(rows) : rows.map((row) => toExchangeOrder(row))
      }))
  )

  const getOrder = Effect.fn("LocalExchange.getOrder")((id: AccountId, orderId: string) =>
    withAccount(id, false, () => loadOrder(id, orderId))
  )

  const getOrderByClientId = Effect.fn("LocalExchange.getOrderByClientId")((id: AccountId, clientOrderId: string) =>
    withAccount(id, false, () =>
      Effect.gen(function*() {
        const rows = yield* ordersWhere(sql.and([sql`account = ${id}`, sql`client_order_id = ${clientOrderId}`]))
        const row = rows[0]
        return row === undefined ? Option.none() : Option.some((yield* withLegs([row]))[0]!)
      }))
  )

  const placeOrder = Effect.fn("LocalExchange.placeOrder")((id: AccountId, intent: OrderIntent) =>
    withAccount(id, true, (day) => place(id, day, intent))
  )

  const cancelOrder = Effect.fn("LocalExchange.cancelOrder")((id: AccountId, orderId: string) =>
    withAccount(id, true, (day) =>
      Effect.gen(function*() {
        const row = yield* orderById(id, orderId)
        if (row === undefined) return yield* reject(id, "NotFound", "order not found")
        if (!OPEN_STATUSES.has(row.status)) {
          return yield* reject(id, "InvalidRequest", `order is not cancelable (status ${row.status})`)
        }
        yield* cancelGroupOf(row, closeTimestamp(day))
      }))
  )

  const cancelAllOrders = Effect.fn("LocalExchange.cancelAllOrders")((id: AccountId) =>
    withAccount(id, true, (day) =>
      Effect.map(cancelRows(sql.and([sql`account = ${id}`]), closeTimestamp(day)), roots))
  )

  const closePosition = Effect.fn("LocalExchange.closePosition")(
    (id: AccountId, symbol: Ticker, closeOptions?: ClosePositionOptions) =>
      withAccount(id, true, (day) =>
        Effect.gen(function*() {
          const row = yield* positionRow(id, symbol)
          if (row === undefined) return yield* reject(id, "NotFound", "position does not exist")
          const held = Math.abs(row.qty)
          const { percentage, qty } = closeOptions ?? {}
          if (qty !== undefined && percentage !== undefined) {
            return yield* reject(id, "InvalidRequest", "only one of qty or percentage may be specified")
          }
          if (percentage !== undefined && !(percentage > 0 && percentage <= 100)) {
            return yield* reject(id, "InvalidRequest", "percentage must be in (0, 100]")
          }
          const closeQty = qty ?? roundQty(percentage === undefined ? held : (held * percentage) / 100)
          if (!(closeQty > 0)) return yield* reject(id, "InvalidRequest", "qty must be > 0")
          if (closeQty > held + EPS) return yield* reject(id, "InsufficientQty", insufficientQty(closeQty, held))
          yield* cancelRows(sql.and([sql`account = ${id}`, sql`symbol = ${symbol}`]), closeTimestamp(day))
          return yield* place(id, day, closeIntent(id, symbol, closeQty, row.qty))
        }))
  )

  const closeAllPositions = Effect.fn("LocalExchange.closeAllPositions")((id: AccountId) =>
    withAccount(id, true, (day) =>
      Effect.gen(function*() {
        yield* cancelRows(sql.and([sql`account = ${id}`]), closeTimestamp(day))
        const rows = yield* positionRows(id)
        const orders: Array<ExchangeOrder> = []
        for (const row of rows) orders.push(yield* place(id, day, closeIntent(id, row.symbol, Math.abs(row.qty), row.qty)))
        return orders
      }))
  )

  const fills = Effect.fn("LocalExchange.fills")((id: AccountId, session?: TradingDay) =>
    withAccount(id, false, () =>
      sql`SELECT f.order_id, o.client_order_id, f.account, f.symbol, f.side, f.qty, f.price, f.commission, f.filled_at
        FROM exchange_fills f JOIN exchange_orders o ON o.id = f.order_id
        WHERE ${sql.and([sql`f.account = ${id}`, ...(session === undefined ? [] : [sql`f.session = ${session}`])])}
        ORDER BY f.filled_at, o.seq`.pipe(
        Effect.flatMap(decodeFills),
        Effect.map((rows) =>
          rows.map((row): Fill => ({
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
        )
      ))
  )

  return LocalExchange.of({
    options,
    session: exchangeSession.current,
    account,
    keys,
    accountByKeyId,
    snapshot,
    positions,
    position,
    listOrders,
    getOrder,
    getOrderByClientId,
    placeOrder,
    cancelOrder,
    cancelAllOrders,
    closePosition,
    closeAllPositions,
    fills
  })
})

const brokerOf = (exchange: LocalExchange["Service"], account: AccountId): Broker => ({
  account,
  getAccount: exchange.snapshot(account),
  getPositions: Effect.map(exchange.positions(account), (positions) => positions.map(toPosition)),
  getPosition: (symbol) => Effect.map(exchange.position(account, symbol), Option.map(toPosition)),
  listOrders: (query) => Effect.map(exchange.listOrders(account, { ...query, nested: true }), (orders) => orders.map(toOrder)),
  getOrder: (orderId) => Effect.map(exchange.getOrder(account, orderId), toOrder),
  getOrderByClientId: (clientOrderId) =>
    Effect.map(exchange.getOrderByClientId(account, clientOrderId), Option.map(toOrder)),
  placeOrder: (intent) => Effect.map(exchange.placeOrder(account, intent), toOrder),
  cancelOrder: (orderId) => exchange.cancelOrder(account, orderId),
  cancelAllOrders: Effect.map(exchange.cancelAllOrders(account), (ids) => ids.length),
  closePosition: (symbol, options) => Effect.map(exchange.closePosition(account, symbol, options), toOrder),
  closeAllPositions: Effect.map(exchange.closeAllPositions(account), (orders) => orders.map(toOrder))
})

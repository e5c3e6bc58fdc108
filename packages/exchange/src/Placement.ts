/**
 * Placing an order inside the caller's write transaction: the rules of `OrderRules` in Alpaca's order (a
 * duplicate client order id before anything else), then the order's rows (a bracket/OTO entry with its held legs, an OCO pair), already
 * filled when `FillModel.fillOnPlacement` says so — one insert per row, nothing read back.
 *
 * **Gotchas**
 * - `client_order_id` is unique per account forever: `DuplicateClientOrderId` "client_order_id must be unique".
 * - Bracket legs are `held` until the entry fills and work from the session after the fill; OCO pairs (the parent
 *   is the take-profit limit, its leg the stop-loss) work from the next session. Ids are UUID v4, timestamps the
 *   session's close (`closeTimestamp`).
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import * as Effect from "effect/Effect"
import type { BrokerError } from "@council/broker"
import type * as SqlError from "effect/sql/SqlError"
import type { AccountId, OrderIntent, OrderType, Side, Ticker, TradingDay } from "@council/domain"
import { snapshotOf } from "./AccountState.ts"
import { refuse, reject } from "./ExchangeErrors.ts"
import { closeTimestamp } from "./ExchangeSession.ts"
import { type FillModelOptions, fillOnPlacement } from "./FillModel.ts"
import { type Ledger, type OrderRow, type PositionEffect, toExchangeOrder } from "./Ledger.ts"
import { openingRejection, positionEffectOf, validateExitPrices, validateIntent } from "./OrderRules.ts"
import type { Prices } from "./Prices.ts"
import type { Book, Settlement } from "./Settlement.ts"

interface RowShape {
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

/** A new order row of `intent` placed in `day`. */
const newRow = (account: AccountId, intent: OrderIntent, day: TradingDay, shape: RowShape): OrderRow => {
  const at = closeTimestamp(day)
  return {
    id: shape.id,
    account,
    client_order_id: shape.clientOrderId,
    parent_id: shape.parentId,
    exit_group: shape.exitGroup,
    position_effect: shape.effect,
    symbol: intent.symbol,
    side: shape.side,
    qty: intent.qty,
    type: shape.type,
    time_in_force: intent.timeInForce,
    limit_price: shape.limitPrice,
    stop_price: shape.stopPrice,
    order_class: intent.orderClass,
    status: shape.status,
    triggered: 0,
    filled_qty: 0,
    filled_avg_price: null,
    extended_hours: intent.extendedHours === true ? 1 : 0,
    session: day,
    active_after: shape.status === "held" ? null : day,
    created_at: at,
    updated_at: at,
    submitted_at: at,
    filled_at: null,
    canceled_at: null,
    expired_at: null
  }
}

/** The rows of an OCO pair: the take-profit limit as parent, the stop-loss as its leg. */
const ocoRows = (account: AccountId, intent: OrderIntent, day: TradingDay): readonly [OrderRow, ReadonlyArray<OrderRow>] => {
  const id = randomUUID()
  const tp = intent.takeProfit!
  const sl = intent.stopLoss!
  const common = { parentId: null, exitGroup: id, effect: "close", side: intent.side, status: "new" } as const
  return [
    newRow(account, intent, day, { ...common, id, clientOrderId: intent.clientOrderId, type: "limit", limitPrice: tp.limitPrice, stopPrice: null }),
    [newRow(account, intent, day, {
      ...common,
      id: randomUUID(),
      clientOrderId: randomUUID(),
      parentId: id,
      type: sl.limitPrice === undefined ? "stop" : "stop_limit",
      limitPrice: sl.limitPrice ?? null,
      stopPrice: sl.stopPrice
    })]
  ]
}

/** The rows of an entry (simple, bracket or OTO): the entry, then its held take-profit and stop-loss legs. */
const entryRows = (
  account: AccountId,
  intent: OrderIntent,
  day: TradingDay,
  effect: PositionEffect
): readonly [OrderRow, ReadonlyArray<OrderRow>] => {
  const id = randomUUID()
  const parent = newRow(account, intent, day, {
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
  const legGroup = randomUUID()
  const leg = (type: OrderType, limitPrice: number | null, stopPrice: number | null) =>
    newRow(account, intent, day, {
      id: randomUUID(),
      clientOrderId: randomUUID(),
      parentId: id,
      exitGroup: legGroup,
      effect: "close",
      side: intent.side === "buy" ? "sell" : "buy",
      status: "held",
      type,
      limitPrice,
      stopPrice
    })
  const { stopLoss, takeProfit } = intent
  return [parent, [
    ...(takeProfit === undefined ? [] : [leg("limit", takeProfit.limitPrice, null)]),
    ...(stopLoss === undefined ? [] : [
      leg(stopLoss.limitPrice === undefined ? "stop" : "stop_limit", stopLoss.limitPrice ?? null, stopLoss.stopPrice)
    ])
  ]]
}

/** An entry filled on placement at `price`, and its legs activated from the session after. */
const filledOnPlacement = (parent: OrderRow, legs: ReadonlyArray<OrderRow>, price: number, day: TradingDay) => {
  const at = closeTimestamp(day)
  return [
    { ...parent, status: "filled", filled_qty: parent.qty, filled_avg_price: price, filled_at: at, updated_at: at },
    legs.map((leg) => ({ ...leg, status: "new", active_after: day, updated_at: at }))
  ] as const satisfies readonly [OrderRow, ReadonlyArray<OrderRow>]
}

export interface PlacementDeps {
  readonly ledger: Ledger
  readonly prices: Prices
  readonly settlement: Settlement
  readonly fillModel: FillModelOptions
  readonly allowShorting: (account: AccountId) => boolean
}

export const make = ({ allowShorting, fillModel, ledger, prices, settlement }: PlacementDeps) => {
  /** Checks `intent` against the rules and the account; succeeds with the position effect and the close. */
  const check = Effect.fnUntraced(function*(book: Book, day: TradingDay, intent: OrderIntent) {
    const { account } = book
    if (intent.account !== account) {
      return yield* reject(account, "InvalidRequest", `the order is for account ${intent.account}, not ${account}`)
    }
    const invalid = validateIntent(intent)
    if (invalid !== undefined) return yield* refuse(account, invalid)
    const close = yield* prices.closeOf(intent.symbol, day)
    const exitInvalid = intent.orderClass === "simple" ? undefined : validateExitPrices(intent, close)
    if (exitInvalid !== undefined) return yield* refuse(account, exitInvalid)
    const positions = yield* ledger.positions(account)
    const open = yield* ledger.openOrders(account)
    const position = positions.find((p) => p.symbol === intent.symbol)
    const effect = positionEffectOf(intent, position?.qty ?? 0, open.filter((o) => o.symbol === intent.symbol))
    if (typeof effect !== "string") return yield* refuse(account, effect)
    if (effect === "open") {
      const snapshot = snapshotOf(account, book.cash, yield* prices.markAll(positions, open, day), open, fillModel.slippageBps)
      const refused = openingRejection(intent, close, fillModel, snapshot.buyingPower, allowShorting(account))
      if (refused !== undefined) return yield* refuse(account, refused)
    }
    return { effect, close, position }
  })

  const duplicate = (account: AccountId) => reject(account, "DuplicateClientOrderId", "client_order_id must be unique")

  /**
   * Places an order inside the caller's write transaction. A duplicate client order id wins over every other
   * refusal; it is looked up only when the order is refused, and otherwise found by the insert's unique key.
   */
  const place = Effect.fnUntraced(function*(book: Book, day: TradingDay, intent: OrderIntent) {
    const { close, effect, position } = yield* check(book, day, intent).pipe(
      Effect.catchTag("BrokerError", (refused) =>
        Effect.flatMap(ledger.hasClientOrderId(book.account, intent.clientOrderId), (taken) =>
          taken ? duplicate(book.account) : Effect.fail(refused)))
    )
    const [placed, placedLegs] = intent.orderClass === "oco"
      ? ocoRows(book.account, intent, day)
      : entryRows(book.account, intent, day, effect)
    const price = fillOnPlacement(placed, close, fillModel.slippageBps)
    const [parent, legs] = price === undefined ? [placed, placedLegs] : filledOnPlacement(placed, placedLegs, price, day)
    yield* ledger.insertOrder(parent, intent.reason).pipe(
      Effect.catchTag("SqlError", (error): Effect.Effect<never, BrokerError | SqlError.SqlError> =>
        error.reason._tag === "UniqueViolation" ? duplicate(book.account) : Effect.fail(error))
    )
    for (const leg of legs) yield* ledger.insertOrder(leg, intent.reason)
    if (price !== undefined) yield* settlement.settle(book, parent, price, day, position)
    return toExchangeOrder(parent, legs.map((leg) => toExchangeOrder(leg)))
  })

  return { place }
}

/** A market order that closes `qty` of a position of signed size `position`. */
export const closeIntent = (account: AccountId, symbol: Ticker, qty: number, position: number): OrderIntent => ({
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

export type Placement = ReturnType<typeof make>

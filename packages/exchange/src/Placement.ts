/**
 * Placing an order inside the caller's write transaction: the rules of `OrderRules` in Alpaca's order (a
 * duplicate client order id before anything else), then the order's rows (a bracket/OTO entry with its held legs,
 * an OCO pair), booked as `FillModel.bookingOf` says for the present moment — one insert per row, nothing read
 * back. Nothing fills on placement: fills happen at a later open or close (`Matching`).
 *
 * **Gotchas**
 * - `client_order_id` is unique per account forever: `DuplicateClientOrderId` "client_order_id must be unique".
 * - Bracket legs are `held` until the entry fills; OCO pairs (the parent is the take-profit limit, its leg the
 *   stop-loss) are booked as a limit is: a `gtc` pair works from the session after the present, a `day` pair sent
 *   during a session meets that session's close alone. Ids are UUID v4, timestamps the present moment.
 * - Prices checked against (exit distances, buying power) are the latest known at the present (`Prices`).
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import * as Effect from "effect/Effect"
import type { BrokerError } from "@council/broker"
import type * as SqlError from "effect/sql/SqlError"
import {
  type AccountId,
  isNotionalIntent,
  type NewYorkMoment,
  type NotionalIntent,
  type OrderIntent,
  type OrderType,
  type Side,
  type Ticker
} from "@council/domain"
import { snapshotOf } from "./AccountState.ts"
import { refuse, reject } from "./ExchangeErrors.ts"
import type { SessionPoint } from "./Calendar.ts"
import { bookingOf, type FillModelOptions, slip, trailingStopOf } from "./FillModel.ts"
import { type Ledger, type OrderRow, type PositionEffect, type PositionRow, toExchangeOrder } from "./Ledger.ts"
import {
  insufficientNotional,
  notionalRejection,
  openingRejection,
  positionEffectOf,
  type Rejection,
  sharesOfNotional,
  validateExitPrices,
  validateIntent,
  validateNotional
} from "./OrderRules.ts"
import type { Prices } from "./Prices.ts"
import type { Book } from "./Settlement.ts"

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
  /** A trailing stop's trail and its mark at placement (`FillModel.evaluateTrailing`). */
  readonly trail?: { readonly price: number | null; readonly percent: number | null; readonly hwm: number }
  readonly status: "new" | "accepted" | "held"
  /** The date after which it works (`FillModel.Booking`); ignored while `held`. */
  readonly activeAfter: string
}

/** When an order is placed: the moment, its point among the sessions, and its ledger timestamp. */
export interface PlacedAt {
  readonly moment: NewYorkMoment
  readonly point: SessionPoint
  /** Whether the moment's day has a session. */
  readonly isSessionDay: boolean
  /** The ledger timestamp of what the call writes (`stampedAfter`: never before the account's latest order). */
  readonly at: string
  /** The account's latest order's `submitted_at` when the call started (`stampedAfter`), if it has orders. */
  readonly latest?: string | undefined
}

/**
 * `now` stamped no earlier than `latest` (the account's latest order's `submitted_at`): a call at a present that the
 * account's orders are past (a manual order after a run, whose accounts' present is the session point they reached,
 * e.g. the open) is stamped at that order, not before it. Only the stamp moves: what the call may see and fill at
 * follows the point, which the account's orders never pass.
 */
export const stampedAfter = (now: PlacedAt, latest: string | undefined): PlacedAt =>
  ({ ...now, at: latest !== undefined && latest > now.at ? latest : now.at, latest })

/** An order's submission stamp: `now.at`, or a millisecond after `latest` when that is not earlier (ids in submission order, as Alpaca's clock gives them). */
const submissionStamp = (now: PlacedAt, latest: string | undefined): PlacedAt =>
  latest !== undefined && latest >= now.at ? { ...now, at: new Date(Date.parse(latest) + 1).toISOString() } : now

/** A new order row of `intent` placed at `now` (a notional one: `qty` 0 until it fills). */
const newRow = (account: AccountId, intent: OrderIntent | NotionalIntent, now: PlacedAt, shape: RowShape): OrderRow => {
  const notional = isNotionalIntent(intent)
  const at = now.at
  return {
    id: shape.id,
    account,
    client_order_id: shape.clientOrderId,
    parent_id: shape.parentId,
    exit_group: shape.exitGroup,
    position_effect: shape.effect,
    symbol: intent.symbol,
    side: shape.side,
    qty: notional ? 0 : intent.qty,
    notional: notional ? intent.notional : null,
    type: shape.type,
    time_in_force: intent.timeInForce,
    limit_price: shape.limitPrice,
    stop_price: shape.stopPrice,
    trail_price: shape.trail?.price ?? null,
    trail_percent: shape.trail?.percent ?? null,
    hwm: shape.trail?.hwm ?? null,
    order_class: intent.orderClass,
    status: shape.status,
    triggered: 0,
    filled_qty: 0,
    filled_avg_price: null,
    extended_hours: !notional && intent.extendedHours === true ? 1 : 0,
    session: now.point.session,
    active_after: shape.status === "held" ? null : shape.activeAfter as OrderRow["session"],
    updated_at: at,
    submitted_at: at,
    filled_at: null,
    canceled_at: null,
    expired_at: null
  }
}

/** The rows of an OCO pair booked as `booking` (`FillModel.bookingOf`): the take-profit limit as parent, the stop-loss as its leg. */
const ocoRows = (
  account: AccountId,
  intent: OrderIntent,
  now: PlacedAt,
  booking: { readonly activeAfter: string }
): readonly [OrderRow, ReadonlyArray<OrderRow>] => {
  const id = randomUUID()
  const tp = intent.takeProfit!
  const sl = intent.stopLoss!
  const common = { parentId: null, exitGroup: id, effect: "close", side: intent.side, status: "new", activeAfter: booking.activeAfter } as const
  return [
    newRow(account, intent, now, { ...common, id, clientOrderId: intent.clientOrderId, type: "limit", limitPrice: tp.limitPrice, stopPrice: null }),
    [newRow(account, intent, now, {
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

/**
 * The row of a notional order booked as `booking` (a simple market order, no legs). A sell's `qty` holds the shares
 * its dollars would sell at placement (`held`), so that no other exit takes them while it waits; a buy's is 0.
 */
const notionalRow = (
  account: AccountId,
  intent: NotionalIntent,
  now: PlacedAt,
  effect: PositionEffect,
  booking: { readonly status: "new" | "accepted"; readonly activeAfter: string },
  held: number
): OrderRow => {
  const id = randomUUID()
  const row = newRow(account, intent, now, {
    id,
    clientOrderId: intent.clientOrderId,
    parentId: null,
    exitGroup: id,
    effect,
    side: intent.side,
    type: "market",
    limitPrice: null,
    stopPrice: null,
    ...booking
  })
  return intent.side === "sell" ? { ...row, qty: held } : row
}

/** The rows of an entry (simple, bracket or OTO) booked as `booking`: the entry, then its held legs. */
const entryRows = (
  account: AccountId,
  intent: OrderIntent,
  now: PlacedAt,
  effect: PositionEffect,
  booking: { readonly status: "new" | "accepted"; readonly activeAfter: string },
  price: number
): readonly [OrderRow, ReadonlyArray<OrderRow>] => {
  const id = randomUUID()
  // a trailing stop's mark starts at the latest price known at placement
  const trail = intent.type === "trailing_stop"
    ? { price: intent.trailPrice ?? null, percent: intent.trailPercent ?? null, hwm: price }
    : undefined
  const parent = newRow(account, intent, now, {
    id,
    clientOrderId: intent.clientOrderId,
    parentId: null,
    exitGroup: id,
    effect,
    side: intent.side,
    type: intent.type,
    limitPrice: intent.type === "limit" || intent.type === "stop_limit" ? intent.limitPrice ?? null : null,
    stopPrice: intent.type === "stop" || intent.type === "stop_limit"
      ? intent.stopPrice ?? null
      : trail !== undefined
      ? trailingStopOf(intent.side, price, trail)
      : null,
    ...(trail === undefined ? {} : { trail }),
    ...booking
  })
  const legGroup = randomUUID()
  const leg = (type: OrderType, limitPrice: number | null, stopPrice: number | null) =>
    newRow(account, intent, now, {
      id: randomUUID(),
      clientOrderId: randomUUID(),
      parentId: id,
      exitGroup: legGroup,
      effect: "close",
      side: intent.side === "buy" ? "sell" : "buy",
      status: "held",
      activeAfter: "",
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

export interface PlacementDeps {
  readonly ledger: Ledger
  readonly prices: Prices
  readonly fillModel: FillModelOptions
  readonly allowShorting: (account: AccountId) => boolean
}

/** Placement for one call of one account (the orders it placed so far stamp the next: `submissionStamp`). */
export const make = ({ allowShorting, fillModel, ledger, prices }: PlacementDeps) => {
  let placedLast: string | undefined

  /**
   * What both checks start with: the intent is the book's account's and of a valid shape (`invalid`), its booking
   * at the present, the symbol's price now, and the account's positions and open orders.
   */
  const present = Effect.fnUntraced(function*(book: Book, now: PlacedAt, intent: OrderIntent | NotionalIntent, invalid: Rejection | undefined) {
    const { account } = book
    if (intent.account !== account) {
      return yield* reject(account, "InvalidRequest", `the order is for account ${intent.account}, not ${account}`)
    }
    if (invalid !== undefined) return yield* refuse(account, invalid)
    const booking = bookingOf(intent, now.moment, now.point, now.isSessionDay)
    if (booking._tag === "Refused") return yield* reject(account, "InvalidRequest", booking.message)
    const price = yield* prices.priceAt(intent.symbol, now.point)
    const positions = yield* ledger.positions(account)
    const open = yield* ledger.openOrders(account)
    return { booking, price, positions, open }
  })

  /** The account's buying power now (its positions and open orders marked at the present). */
  const buyingPowerOf = Effect.fnUntraced(function*(book: Book, now: PlacedAt, positions: ReadonlyArray<PositionRow>, open: ReadonlyArray<OrderRow>) {
    const marked = yield* prices.markAll(positions, open, now.point)
    return snapshotOf(book.account, book.cash, marked, open, fillModel.slippageBps, yield* prices.marketPricesOf(open, now.point)).buyingPower
  })

  /** Checks `intent` against the rules, the present and the account; succeeds with its position effect and booking. */
  const check = Effect.fnUntraced(function*(book: Book, now: PlacedAt, intent: OrderIntent) {
    const { account } = book
    const { booking, open, positions, price } = yield* present(book, now, intent, validateIntent(intent))
    const exitInvalid = intent.orderClass === "simple" ? undefined : validateExitPrices(intent, price)
    if (exitInvalid !== undefined) return yield* refuse(account, exitInvalid)
    const position = positions.find((p) => p.symbol === intent.symbol)
    const effect = positionEffectOf(intent, position?.qty ?? 0, open.filter((o) => o.symbol === intent.symbol))
    if (typeof effect !== "string") return yield* refuse(account, effect)
    if (effect === "open") {
      const buyingPower = yield* buyingPowerOf(book, now, positions, open)
      const refused = openingRejection(intent, price, fillModel, buyingPower, allowShorting(account))
      if (refused !== undefined) return yield* refuse(account, refused)
    }
    return { effect, booking, price, held: 0 }
  })

  /**
   * Checks a notional intent: its shape, then as the order of the shares its dollars buy at the present price
   * (`sharesOfNotional`) against the position, and a buy's dollars against the buying power.
   */
  const checkNotional = Effect.fnUntraced(function*(book: Book, now: PlacedAt, intent: NotionalIntent) {
    const { account } = book
    const { booking, open, positions, price } = yield* present(book, now, intent, validateNotional(intent))
    const positionQty = positions.find((p) => p.symbol === intent.symbol)?.qty ?? 0
    const shares = sharesOfNotional(intent, price, fillModel)
    const shortOf = insufficientNotional(intent.notional, slip(price, intent.side, fillModel.slippageBps))
    const effect = positionEffectOf(shares, positionQty, open.filter((o) => o.symbol === intent.symbol), shortOf)
    if (typeof effect !== "string") return yield* refuse(account, effect)
    const buyingPower = yield* buyingPowerOf(book, now, positions, open)
    const refused = notionalRejection(intent, shares.qty, effect, positionQty, fillModel, buyingPower)
    if (refused !== undefined) return yield* refuse(account, refused)
    return { effect, booking, price, held: shares.qty }
  })

  const duplicate = (account: AccountId) => reject(account, "DuplicateClientOrderId", "client_order_id must be unique")

  /**
   * Places an order inside the caller's write transaction. A duplicate client order id wins over every other
   * refusal; it is looked up only when the order is refused, and otherwise found by the insert's unique key.
   */
  const place = Effect.fnUntraced(function*(book: Book, present: PlacedAt, intent: OrderIntent | NotionalIntent) {
    const latest = placedLast === undefined || (present.latest !== undefined && present.latest > placedLast) ? present.latest : placedLast
    const now = submissionStamp(present, latest)
    const { booking, effect, held, price } = yield* (isNotionalIntent(intent) ? checkNotional(book, now, intent) : check(book, now, intent)).pipe(
      Effect.catchTag("BrokerError", (refused) =>
        Effect.flatMap(ledger.hasClientOrderId(book.account, intent.clientOrderId), (taken) =>
          taken ? duplicate(book.account) : Effect.fail(refused)))
    )
    const [parent, legs] = isNotionalIntent(intent)
      ? [notionalRow(book.account, intent, now, effect, booking, held), []] as const
      : intent.orderClass === "oco"
      ? ocoRows(book.account, intent, now, booking)
      : entryRows(book.account, intent, now, effect, booking, price)
    yield* ledger.insertOrder(parent).pipe(
      Effect.catchTag("SqlError", (error): Effect.Effect<never, BrokerError | SqlError.SqlError> =>
        error.reason._tag === "UniqueViolation" ? duplicate(book.account) : Effect.fail(error))
    )
    for (const leg of legs) yield* ledger.insertOrder(leg)
    placedLast = now.at
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

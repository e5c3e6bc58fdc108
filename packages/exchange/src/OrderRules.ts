/**
 * Order validation: what the exchange accepts before anything reaches the ledger, with Alpaca's messages where
 * they are known. Pure functions; a rule that fails says why as a `Rejection`.
 *
 * **Rules**
 * - Shape first (`validateIntent`): positive quantity with at most 9 decimals, fractional orders simple `day`
 *   orders, prices positive and on the tick, the prices each type and class needs, `day`/`gtc` for resting orders;
 *   a trailing stop simple, with exactly one of `trail_price` (on the tick) and `trail_percent` (0 < % < 100),
 *   and neither `stop_price` nor `limit_price` (its stop is where its trail brings it: refused, not ignored).
 * - Bracket/OTO/OCO exit prices against the base price (`validateExitPrices`): a long's take-profit at least a
 *   cent above, its stop-loss at least a cent below; a short's mirror that.
 * - Against the position (`positionEffectOf`): a sell with a long position closes and may not exceed the shares
 *   not held by open exits (flipping long→short takes two orders); a sell without one opens a short; buys mirror
 *   this. OCO orders only close; bracket/OTO entries only open or add. An order stating its `positionIntent` is
 *   refused when the position makes it the other one (Alpaca's "position intent mismatch"): a `sell_to_close`
 *   without a long position would open a short; a `sell_to_close` beyond the long is refused as above.
 * - Opening orders (`openingRejection`): shorting must be allowed and whole-share; the order's cost
 *   (`qty × price × (1 + slippage) + commission` for buys, limit orders at the limit, `qty × price` for short
 *   sales) must fit the buying power. Closing orders need none.
 * - Notional orders (`validateNotional`, `notionalRejection`): at least $1 with at most 9 decimals (a simple market
 *   `day` order: the wire conversion refuses others); checked against the position as the order of the shares its
 *   dollars buy at the present price (`sharesOfNotional`; a sell beyond the shares held is refused in shares and in
 *   dollars, `insufficientNotional`); a buy's dollars (and commission) must fit the buying
 *   power; a sell sells a long position only (Alpaca: no fractional short sales), and a buy never covers a short.
 *
 * @since 0.1.0
 */
import type { BrokerErrorReason, InsufficientShares } from "@council/broker"
import { type NotionalIntent, type OrderIntent, positionIntentOf } from "@council/domain"
import { centsText } from "@council/domain/Figures.js"
import { heldQty } from "./AccountState.ts"
import { commission, type FillModelOptions, isOnTick, notionalQty, roundPrice, roundQty, slip, trailingStopOf } from "./FillModel.ts"
import type { OrderRow, PositionEffect } from "./Ledger.ts"

/** Tolerance of quantity and money comparisons. */
export const EPS = 1e-9

/** Why the exchange refuses an order. */
export interface Rejection {
  readonly reason: BrokerErrorReason
  readonly message: string
  /** With `InsufficientQty`: what the position holds (Alpaca's 403 body says it). */
  readonly shares?: InsufficientShares
}

/** An `InsufficientQty` rejection of `requested` shares of `symbol`, with what the position holds. */
export const insufficientShares = (
  symbol: string,
  requested: number,
  existingQty: number,
  heldForOrders: number,
  message: (requested: number, available: number) => string = insufficientQty
): Rejection => {
  const available = Math.max(0, roundQty(existingQty - heldForOrders))
  return {
    reason: "InsufficientQty",
    message: message(requested, available),
    shares: { symbol, existingQty: roundQty(existingQty), heldForOrders: roundQty(heldForOrders), available }
  }
}

const invalidRequest = (message: string): Rejection => ({ reason: "InvalidRequest", message })

const subPenny = (field: string, value: number) =>
  `invalid ${field} ${value}. sub-penny increment does not fulfill minimum pricing criteria`

export const insufficientQty = (requested: number, available: number) =>
  `insufficient qty available for order (requested: ${requested}, available: ${Math.max(0, roundQty(available))})`

/**
 * `insufficientQty` for a notional sell: the shares its `notional` dollars come to at `sharePrice` (what
 * `sharesOfNotional` divided by), and those same numbers in dollars, the unit the order was sent in.
 */
export const insufficientNotional = (notional: number, sharePrice: number) => (requested: number, available: number) =>
  `${insufficientQty(requested, available)}: ${centsText(notional)} requested, ${
    centsText(Math.max(0, roundQty(available)) * sharePrice)} available at ${centsText(sharePrice)} a share`

/** Quantity and price checks. */
const validateAmounts = (intent: OrderIntent): string | undefined => {
  const { orderClass, qty, stopLoss, takeProfit, timeInForce } = intent
  if (!Number.isFinite(qty) || qty <= 0) return "qty must be > 0"
  if (roundQty(qty) !== qty) return "qty must have at most 9 decimal places"
  const fractional = !Number.isInteger(qty)
  if (fractional && orderClass !== "simple") return "fractional orders must be simple orders"
  if (fractional && timeInForce !== "day") return "fractional orders must be DAY orders"
  const prices: ReadonlyArray<readonly [string, number | undefined]> = [
    ["limit_price", intent.limitPrice],
    ["stop_price", intent.stopPrice],
    ["trail_price", intent.trailPrice],
    ["take_profit.limit_price", takeProfit?.limitPrice],
    ["stop_loss.stop_price", stopLoss?.stopPrice],
    ["stop_loss.limit_price", stopLoss?.limitPrice]
  ]
  for (const [field, value] of prices) {
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) return `${field} must be > 0`
    if (value !== undefined && !isOnTick(value)) return subPenny(field, value)
  }
  return undefined
}

/** Type, time-in-force and order-class checks. */
const validateKind = (intent: OrderIntent): string | undefined => {
  const { orderClass, stopLoss, takeProfit, timeInForce, type } = intent
  if (orderClass !== "oco") {
    if ((type === "limit" || type === "stop_limit") && intent.limitPrice === undefined) {
      return `limit_price is required for ${type} orders`
    }
    if ((type === "stop" || type === "stop_limit") && intent.stopPrice === undefined) {
      return `stop_price is required for ${type} orders`
    }
  }
  if (type === "trailing_stop") {
    if ((intent.trailPrice === undefined) === (intent.trailPercent === undefined)) {
      return "trailing_stop orders require exactly one of trail_price or trail_percent"
    }
    if (intent.trailPercent !== undefined && !(intent.trailPercent > 0 && intent.trailPercent < 100)) {
      return "trail_percent must be > 0 and < 100"
    }
    // its stop is where its trail brings it: a stop or limit price sent with it would be silently ignored
    if (intent.stopPrice !== undefined) return "stop_price is not allowed for trailing_stop orders"
    if (intent.limitPrice !== undefined) return "limit_price is not allowed for trailing_stop orders"
    if (orderClass !== "simple") return "trailing_stop orders must be simple orders on the local exchange"
  } else if (intent.trailPrice !== undefined || intent.trailPercent !== undefined) {
    return "trail_price and trail_percent are only allowed for trailing_stop orders"
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

/** The validation Alpaca does before looking at prices or the account. */
export const validateIntent = (intent: OrderIntent): Rejection | undefined => {
  const message = validateAmounts(intent) ?? validateKind(intent)
  return message === undefined ? undefined : invalidRequest(message)
}

/** Bracket/OTO/OCO prices against the base price (entry limit, or the close for market entries). */
export const validateExitPrices = (intent: OrderIntent, close: number): Rejection | undefined => {
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
    if (longExit && tp < above - EPS) return invalidRequest("take_profit.limit_price must be >= base_price + 0.01")
    if (!longExit && tp > below + EPS) return invalidRequest("take_profit.limit_price must be <= base_price - 0.01")
  }
  if (sl !== undefined) {
    if (longExit && sl > below + EPS) return invalidRequest("stop_loss.stop_price must be <= base_price - 0.01")
    if (!longExit && sl < above - EPS) return invalidRequest("stop_loss.stop_price must be >= base_price + 0.01")
  }
  return undefined
}

/**
 * Why an order stating its `positionIntent` is refused: the position makes it the other intent (Alpaca infers the
 * intent from the position and answers 422 `position intent mismatch, inferred: …, specified: …`).
 */
const intentMismatch = (intent: OrderIntent, closing: boolean): Rejection | undefined => {
  if (intent.positionIntent === undefined) return undefined
  const inferred = positionIntentOf(intent.side, closing ? "close" : "open")
  return inferred === intent.positionIntent ? undefined : {
    reason: "PositionIntentMismatch",
    message: `position intent mismatch, inferred: ${inferred}, specified: ${intent.positionIntent}`
  }
}

/**
 * Whether the order opens or closes given the signed position `positionQty` and the symbol's open orders, or
 * why it may do neither. `shortOf`: the message of a close beyond the shares available (`insufficientNotional`
 * for a notional order's shares).
 */
export const positionEffectOf = (
  intent: OrderIntent,
  positionQty: number,
  openOfSymbol: ReadonlyArray<OrderRow>,
  shortOf: (requested: number, available: number) => string = insufficientQty
): PositionEffect | Rejection => {
  const closing = intent.side === "sell" ? positionQty > 0 : positionQty < 0
  const mismatch = intentMismatch(intent, closing)
  if (mismatch !== undefined) return mismatch
  if (!closing) {
    return intent.orderClass === "oco" ? insufficientShares(intent.symbol, intent.qty, 0, 0) : "open"
  }
  const existing = intent.side === "sell" ? positionQty : -positionQty
  const held = heldQty(openOfSymbol, intent.side)
  if (intent.qty > existing - held + EPS) return insufficientShares(intent.symbol, intent.qty, existing, held, shortOf)
  if (intent.orderClass === "bracket" || intent.orderClass === "oto") {
    return invalidRequest(`${intent.orderClass} orders must open or add to a position on the local exchange`)
  }
  return "close"
}

/** Why an opening order cannot be placed: shorting not allowed, a fractional short, or too little buying power. */
export const openingRejection = (
  intent: OrderIntent,
  close: number,
  fillModel: FillModelOptions,
  buyingPower: number,
  mayShort: boolean
): Rejection | undefined => {
  const short = intent.side === "sell"
  if (short && !mayShort) return { reason: "ShortingNotAllowed", message: "account is not allowed to short" }
  if (short && !Number.isInteger(intent.qty)) return invalidRequest("fractional orders cannot be sold short")
  const { slippageBps } = fillModel
  const trailing = intent.type === "trailing_stop"
    ? trailingStopOf(intent.side, close, { price: intent.trailPrice ?? null, percent: intent.trailPercent ?? null })
    : undefined
  const price = trailing !== undefined
    ? (short ? trailing : slip(trailing, "buy", slippageBps))
    : intent.type === "market"
    ? (short ? close : slip(close, "buy", slippageBps))
    : intent.type === "stop"
    ? (short ? intent.stopPrice ?? close : slip(intent.stopPrice ?? close, "buy", slippageBps))
    : intent.limitPrice ?? close
  const cost = intent.qty * price + commission(intent.qty, fillModel)
  return cost > buyingPower + EPS
    ? { reason: "InsufficientBuyingPower", message: "insufficient buying power" }
    : undefined
}

/** A notional order's amount checks: at least $1, at most 9 decimals. */
export const validateNotional = (intent: NotionalIntent): Rejection | undefined =>
  !Number.isFinite(intent.notional) || intent.notional < 1
    ? invalidRequest("cost basis must be >= 1")
    : roundQty(intent.notional) !== intent.notional
    ? invalidRequest("notional must have at most 9 decimal places")
    : undefined

/**
 * A notional intent as the order of the shares its dollars buy at `price` with the slippage (a sell's: at the price
 * less the slippage, so the most shares it may sell), for the position rules (`positionEffectOf`).
 */
export const sharesOfNotional = (intent: NotionalIntent, price: number, fillModel: FillModelOptions): OrderIntent => ({
  account: intent.account,
  symbol: intent.symbol,
  side: intent.side,
  qty: Math.max(1e-9, notionalQty(intent.notional, slip(price, intent.side, fillModel.slippageBps))),
  type: "market",
  timeInForce: "day",
  orderClass: "simple",
  clientOrderId: intent.clientOrderId,
  ...(intent.positionIntent === undefined ? {} : { positionIntent: intent.positionIntent }),
  reason: intent.reason
})

/**
 * Why a notional order cannot be placed with `effect` (`positionEffectOf`) given the signed position: see the module
 * rules. `shares`: what its dollars buy (`sharesOfNotional`), for the commission.
 */
export const notionalRejection = (
  intent: NotionalIntent,
  shares: number,
  effect: PositionEffect,
  positionQty: number,
  fillModel: FillModelOptions,
  buyingPower: number
): Rejection | undefined => {
  if (intent.side === "sell") {
    return effect === "open" ? invalidRequest("fractional orders cannot be sold short") : undefined
  }
  if (positionQty < 0) return invalidRequest("notional orders cannot cover a short position on the local exchange")
  return intent.notional + commission(shares, fillModel) > buyingPower + EPS
    ? { reason: "InsufficientBuyingPower", message: "insufficient buying power" }
    : undefined
}

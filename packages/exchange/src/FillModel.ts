/**
 * The local exchange's fill rules: when an order fills and at what price. Pure functions, no ledger. This module
 * is the one place that decides fill timing and prices; the ledger (`Matching`, `Placement`) only applies them.
 *
 * **When orders fill**
 * - A market order fills when placed (`fillOnPlacement`), at the close of the session it is placed in.
 * - Every other order rests and is evaluated on the bar of each later session (`evaluateOnBar`), starting with the
 *   session after the one it was placed in; a bracket/OTO leg starts with the session after its entry filled.
 *   A `day` order expires at the end of the first session it was evaluated on.
 *
 * **At what price**
 * - Market orders: the session close moved by the slippage (buys higher, sells lower), rounded to the tick
 *   (cents at or above $1, hundredths of a cent below).
 * - limit buy: fills if `low ≤ limit`, at `min(open, limit)`; limit sell: if `high ≥ limit`, at `max(open, limit)`.
 *   No slippage (the limit guarantees the price; a gap through it fills at the open).
 * - stop buy: triggers if `high ≥ stop` and fills at `max(open, stop)` plus slippage; stop sell: if
 *   `low ≤ stop`, at `min(open, stop)` minus slippage (a triggered stop is a market order).
 * - stop-limit buy: triggers like a stop; fills on the triggering bar only if `max(open, stop) ≤ limit`, at that
 *   price; otherwise it stays triggered and behaves as a limit order from the next bar (the intrabar path is
 *   unknown, so the model does not assume the price came back). Sells mirror this.
 * - When several exits of one OCO group (bracket take-profit and stop-loss) would fill on the same bar, the
 *   stop-loss is assumed to have been hit first (`pickExit`): conservative, the bar cannot say which came first.
 * - Commission: `max(commissionMin, qty × commissionPerShare)`, rounded to cents, charged on every fill.
 * - Every fill is complete (no partial fills, no volume limits).
 *
 * @since 0.1.0
 */
import type { Bar, OrderType, Side } from "@council/domain"

export interface FillModelOptions {
  /** Slippage of market and triggered stop fills, in basis points of the reference price. Default 5. */
  readonly slippageBps: number
  /** Commission per share. Default 0. */
  readonly commissionPerShare: number
  /** Least commission per fill. Default 0. */
  readonly commissionMin: number
}

export const defaultFillModel: FillModelOptions = { slippageBps: 5, commissionPerShare: 0, commissionMin: 0 }

/**
 * Rounds half away from zero on the decimal representation (so 1.005 → 1.01, unlike `Math.round(x * 100)`).
 * Away from a tie (and below 1e9 once scaled) binary arithmetic rounds the same way and gives the same double, so
 * the decimal text is only built near a tie.
 */
const roundTo = (value: number, decimals: number): number => {
  const scale = 10 ** decimals
  const scaled = Math.abs(value) * scale
  if (scaled < 1e9) {
    const whole = Math.floor(scaled)
    if (Math.abs(scaled - whole - 0.5) > 1e-6) return Math.sign(value) * (Math.round(scaled) / scale)
  }
  const text = String(Math.abs(value))
  if (text.includes("e")) return Math.round(value * 10 ** decimals) / 10 ** decimals
  return Math.sign(value) * Number(`${Math.round(Number(`${text}e${decimals}`))}e-${decimals}`)
}

/** Cents for cash and market values. */
export const roundCash = (value: number): number => roundTo(value, 2)

/** Quantities keep up to 9 decimals (Alpaca's precision for fractional shares). */
export const roundQty = (value: number): number => roundTo(value, 9)

/** The tick: $0.01 at or above $1, $0.0001 below. */
export const roundPrice = (price: number): number => roundTo(price, price >= 1 ? 2 : 4)

/** False for sub-penny prices (more than 2 decimals at or above $1, more than 4 below). */
export const isOnTick = (price: number): boolean => Math.abs(roundPrice(price) - price) < 1e-9

/** `price` moved against the taker by the slippage: higher for buys, lower for sells. */
export const slip = (price: number, side: Side, slippageBps: number): number =>
  roundPrice(price * (side === "buy" ? 1 + slippageBps / 10_000 : 1 - slippageBps / 10_000))

export const commission = (qty: number, options: FillModelOptions): number =>
  roundCash(Math.max(options.commissionMin, qty * options.commissionPerShare))

/** What a resting order needs for evaluation. */
export interface RestingOrder {
  readonly side: Side
  readonly type: OrderType
  readonly limitPrice: number | null
  readonly stopPrice: number | null
  /** A stop-limit whose stop was hit on an earlier bar. */
  readonly triggered: boolean
}

export type BarOutcome =
  | { readonly _tag: "Fill"; readonly price: number }
  | { readonly _tag: "Triggered" }
  | { readonly _tag: "None" }

const none: BarOutcome = { _tag: "None" }
const triggered: BarOutcome = { _tag: "Triggered" }
const fillAt = (price: number): BarOutcome => ({ _tag: "Fill", price })

const evaluateLimit = (side: Side, limit: number, bar: Bar): BarOutcome =>
  side === "buy"
    ? bar.low <= limit ? fillAt(Math.min(bar.open, limit)) : none
    : bar.high >= limit
    ? fillAt(Math.max(bar.open, limit))
    : none

const stopHit = (side: Side, stop: number, bar: Bar): boolean => side === "buy" ? bar.high >= stop : bar.low <= stop

const triggerPrice = (side: Side, stop: number, bar: Bar): number =>
  side === "buy" ? Math.max(bar.open, stop) : Math.min(bar.open, stop)

/** How a resting order fares on one session's bar (see the module rules). Market orders never rest. */
export const evaluateOnBar = (order: RestingOrder, bar: Bar, slippageBps: number): BarOutcome => {
  const { limitPrice, side, stopPrice } = order
  switch (order.type) {
    case "market":
      return fillAt(slip(bar.close, side, slippageBps))
    case "limit":
      return limitPrice === null ? none : evaluateLimit(side, limitPrice, bar)
    case "stop":
      return stopPrice !== null && stopHit(side, stopPrice, bar)
        ? fillAt(slip(triggerPrice(side, stopPrice, bar), side, slippageBps))
        : none
    case "stop_limit": {
      if (limitPrice === null || stopPrice === null) return none
      if (order.triggered) return evaluateLimit(side, limitPrice, bar)
      if (!stopHit(side, stopPrice, bar)) return none
      const price = triggerPrice(side, stopPrice, bar)
      const marketable = side === "buy" ? price <= limitPrice : price >= limitPrice
      return marketable ? fillAt(price) : triggered
    }
  }
}

/** The price at which an order fills when placed in a session that closes at `close`; `undefined`: it rests. */
export const fillOnPlacement = (
  order: { readonly side: Side; readonly type: OrderType },
  close: number,
  slippageBps: number
): number | undefined => order.type === "market" ? slip(close, order.side, slippageBps) : undefined

/** Of the exits that would fill on the same bar, the one that does: a stop-type exit first (conservative). */
export const pickExit = <A extends { readonly type: OrderType }>(candidates: ReadonlyArray<A>): A | undefined =>
  candidates.find((c) => c.type === "stop" || c.type === "stop_limit") ?? candidates[0]

/**
 * The local exchange's fill rules: when an order fills and at what price. Pure functions, no ledger. This module
 * is the one place that decides fill timing and prices; the ledger (`Matching`, `Placement`) only applies them.
 * Every fill is at a price that exists after the order was sent.
 *
 * **When orders fill** (`bookingOf` decides at placement, `Matching` applies it at each open and close)
 * - During a session (from its 09:30 open to its close), a market order rests until the session's close and
 *   fills at the close: with daily bars, the close is the one price known to trade after the order. A
 *   market-on-close order (`time_in_force: cls`) does the same, and is refused from 10 minutes before the close
 *   (15:50, 12:50 on an early close) until 19:00; after 19:00 it queues for the next session's close.
 * - Outside a session (after the close, before the open, on a day without a session), a market order is
 *   `accepted` and queues: it fills at the next session's open. On the last day of the data it stays open.
 *   `opg` orders are refused from 09:28 to 19:00 (Alpaca), and otherwise fill at the next open like any market order.
 * - Every other order rests and is evaluated on the bar of each session whose open comes after it was placed
 *   (`evaluateOnBar`), at that session's close; first at its open alone (`openingBar`): one the open already crosses
 *   (a gap through a stop or a limit) fills at the open, as a broker fills it when the market opens; a bracket/OTO leg starts with the session of its entry's fill when
 *   the entry filled at an open, with the next one when it filled at a close. A `day` order expires at the end of
 *   the first session it was evaluated on.
 * - Except a `day` limit, stop, stop-limit or trailing stop (an OCO pair of them too) sent *during* a session: it
 *   expires at that session's close, so it can only trade before it, and of that session's bar daily bars place
 *   nothing but the close after the moment it was sent (the high and the low may have come before). It meets that
 *   close alone (`closingBar`): a limit fills at the close when the close crosses it, a stop triggers when the
 *   close reaches it (and fills at the close with the slippage); otherwise it expires there — never on the next
 *   session's bar, and never at a price of the day from before it was sent. A `gtc` order sent during a session
 *   works from the next session on, as above.
 *
 * **At what price**
 * - Market orders: the session's open (queued orders) or close (orders of the session) moved by the slippage
 *   (buys higher, sells lower), rounded to the tick (cents at or above $1, hundredths of a cent below).
 * - limit buy: fills if `low ≤ limit`, at `min(open, limit)`; limit sell: if `high ≥ limit`, at `max(open, limit)`.
 *   No slippage (the limit guarantees the price; a gap through it fills at the open).
 * - stop buy: triggers if `high ≥ stop` and fills at `max(open, stop)` plus slippage; stop sell: if
 *   `low ≤ stop`, at `min(open, stop)` minus slippage (a triggered stop is a market order).
 * - stop-limit buy: triggers like a stop; fills on the triggering bar only if `max(open, stop) ≤ limit`, at that
 *   price; otherwise it stays triggered and behaves as a limit order from the next bar (the intrabar path is
 *   unknown, so the model does not assume the price came back) — or, triggered by the open alone (a gap through
 *   its stop), from the rest of that bar: every price of the bar but its open came after the trigger. Sells mirror
 *   this.
 * - trailing stop (`evaluateTrailing`): a sell's stop trails its high-water mark (`hwm`, from the latest price
 *   known when it was placed) by `trail_price` dollars or `trail_percent` percent (on the tick); a buy's trails its
 *   low-water mark upwards. With daily bars the path within a bar is unknown, so each bar is read the way least
 *   favourable to the order's holder: (1) the open, the bar's first price, is checked against the stop as it stood
 *   before the bar — at or through it, the order fills at the open (minus the slippage for a sell, plus for a buy);
 *   (2) the mark then moves with the open, and the bar's low (a buy: its high) is checked against the stop the open
 *   left — reached, it fills at that stop with the slippage; (3) only if it did not fill does the mark move with the
 *   bar's high (a buy: its low), for the bars after. A bar that rose to a new high and then fell never sells at the
 *   stop that high would have set: the high may have come after the low. The session the order was placed in is not
 *   read (as for every resting order): its mark starts at the price known at placement.
 * - When several exits of one OCO group (bracket take-profit and stop-loss) would fill on the same bar, the
 *   stop-loss is assumed to have been hit first (`pickExit`): conservative, the bar cannot say which came first.
 * - Notional orders (dollars, not shares: simple market `day` orders) are booked and filled as market orders, at
 *   the same price; their shares are set at the fill (`notionalQty`): the dollars over the fill price, rounded
 *   *down* to 9 decimals (never more than the dollars buy); a sell by notional sells at most the position it finds
 *   then less what the symbol's other open sells hold (the position may have shrunk since the order was placed, the
 *   price may have fallen). They fill whole, whatever `partialFillPct` says.
 * - Commission: `max(commissionMin, qty × commissionPerShare)`, rounded to cents, charged on every fill.
 * - Fills are complete unless `partialFillPct` is under 100: then a market order of two shares or more fills that
 *   share of its quantity (whole shares, at least one; the last fill takes what is left) at each open or close it
 *   meets, `partially_filled` in between — Alpaca's paper fills are partial now and then, and its remainder is
 *   filled later "if still marketable". A queued order's rest works on from its open, filling at the close and
 *   the closes after; a `day` or market-on-close (`cls`) order's rest expires at its close, an `ioc` or `opg`
 *   order's is canceled where it filled (`restCanceledOnPartialFill`); a `fok` order fills whole. A bracket's or OTO's
 *   exits stay `held` until its entry filled completely (Alpaca: the legs activate only then); canceling a
 *   partly filled entry cancels them with it, so its filled shares are left without exits. Exits fill whole.
 * - No volume limits.
 *
 * @since 0.1.0
 */
import { type Bar, type NewYorkMoment, type OrderType, secondsOf, type Side, type TimeInForce, type TradingDay } from "@council/domain"
import { closeSecondsOf, CLS_REFUSED_UNTIL, type SessionPoint } from "./Calendar.ts"

export interface FillModelOptions {
  /** Slippage of market and triggered stop fills, in basis points of the reference price. Default 5. */
  readonly slippageBps: number
  /** Commission per share. Default 0. */
  readonly commissionPerShare: number
  /** Least commission per fill. Default 0. */
  readonly commissionMin: number
  /**
   * The share of a market order's quantity (percent, above 0) that fills at each open or close it meets; 100
   * (the default): every fill is complete.
   */
  readonly partialFillPct?: number
}

export const defaultFillModel: Required<FillModelOptions> = { slippageBps: 5, commissionPerShare: 0, commissionMin: 0, partialFillPct: 100 }

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

/**
 * `price` moved against the taker by the slippage: higher for buys, lower for sells, rounded to the tick. The
 * product is taken to 15 significant digits first, so that a decimal tie (110 × 1.0005 = 110.055, whose double is
 * 110.05499999999999) rounds as a tie.
 */
export const slip = (price: number, side: Side, slippageBps: number): number =>
  roundPrice(Number((price * (side === "buy" ? 1 + slippageBps / 10_000 : 1 - slippageBps / 10_000)).toPrecision(15)))

export const commission = (qty: number, options: FillModelOptions): number =>
  roundCash(Math.max(options.commissionMin, qty * options.commissionPerShare))

/**
 * The shares of `order` that fill at one open or close: what is left of it, or under `partialFillPct` a market
 * order's share of its quantity in whole shares (at least one), the last fill taking what is left. A `fok` order
 * (fill or kill) fills whole.
 */
export const fillQty = (
  order: { readonly type: OrderType; readonly timeInForce: TimeInForce; readonly qty: number; readonly filledQty: number },
  options: Pick<FillModelOptions, "partialFillPct">
): number => {
  const left = roundQty(order.qty - order.filledQty)
  const pct = options.partialFillPct ?? 100
  if (order.type !== "market" || order.timeInForce === "fok" || pct >= 100 || order.qty < 2) return left
  const step = Math.max(1, Math.floor(roundQty(order.qty * pct / 100)))
  return step >= left ? left : step
}

/**
 * The shares `notional` dollars buy (or sell) at `price`: rounded down to 9 decimals. The quotient is taken to 15
 * significant digits first, so that a quotient whose double falls just below a representable quantity (0.3 / 0.1 =
 * 2.9999999999999996) is not rounded down a whole billionth.
 */
export const notionalQty = (notional: number, price: number): number =>
  Math.floor(Number((notional / price * 1e9).toPrecision(15))) / 1e9

/**
 * Whether the rest of an order filled in part is canceled where it filled (Alpaca: an `ioc` order's unfilled
 * portion is canceled at once, an `opg` order's after the open) instead of working on.
 */
export const restCanceledOnPartialFill = (timeInForce: TimeInForce): boolean => timeInForce === "ioc" || timeInForce === "opg"

/** The average price of an order's fills once `qty` more filled at `price` (`filledQty` at `average` before). */
export const averageAfter = (filledQty: number, average: number | null, qty: number, price: number): number =>
  filledQty === 0 || average === null ? price : Number(((filledQty * average + qty * price) / (filledQty + qty)).toPrecision(12))

/** A trailing stop's trail: dollars (`price`) or percent of its mark (`percent`), one of them. */
export interface Trail {
  readonly price: number | null
  readonly percent: number | null
}

/** What a resting order needs for evaluation. */
export interface RestingOrder {
  readonly side: Side
  readonly type: OrderType
  readonly limitPrice: number | null
  readonly stopPrice: number | null
  /** A stop-limit whose stop was hit on an earlier bar. */
  readonly triggered: boolean
  /** A trailing stop's trail and its mark (high-water mark of a sell, low-water mark of a buy). */
  readonly trail?: Trail | undefined
  readonly hwm?: number | null | undefined
}

export type BarOutcome =
  | { readonly _tag: "Fill"; readonly price: number }
  | { readonly _tag: "Triggered" }
  /** A trailing stop that did not fill and whose mark moved: its new mark and stop. */
  | { readonly _tag: "Trailed"; readonly hwm: number; readonly stop: number }
  | { readonly _tag: "None" }

/** A trailing stop's stop for the mark `mark`: below it for a sell, above it for a buy, on the tick. */
export const trailingStopOf = (side: Side, mark: number, trail: Trail): number => {
  const offset = trail.price ?? Number((mark * (trail.percent ?? 0) / 100).toPrecision(15))
  return roundPrice(side === "sell" ? mark - offset : mark + offset)
}

/** How a trailing stop fares on one bar (see the module rules: open, then the low against the stop the open left, then the high). */
export const evaluateTrailing = (side: Side, trail: Trail, mark: number, bar: Bar, slippageBps: number): BarOutcome => {
  const reached = (stop: number, price: number) => side === "sell" ? price <= stop : price >= stop
  const better = (a: number, b: number) => side === "sell" ? Math.max(a, b) : Math.min(a, b)
  if (reached(trailingStopOf(side, mark, trail), bar.open)) return fillAt(slip(bar.open, side, slippageBps))
  const afterOpen = better(mark, bar.open)
  const stop = trailingStopOf(side, afterOpen, trail)
  if (reached(stop, side === "sell" ? bar.low : bar.high)) return fillAt(slip(stop, side, slippageBps))
  const afterBar = better(afterOpen, side === "sell" ? bar.high : bar.low)
  return afterBar === mark ? none : { _tag: "Trailed", hwm: afterBar, stop: trailingStopOf(side, afterBar, trail) }
}

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

/** How a working order fares on one session's bar, at its close (see the module rules): a market order fills at the close. */
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
    case "trailing_stop":
      return order.trail === undefined || order.hwm === undefined || order.hwm === null
        ? none
        : evaluateTrailing(side, order.trail, order.hwm, bar, slippageBps)
  }
}

/**
 * What is known of `bar` at its session's open: the open alone. A working order that fills on it was marketable
 * from the first trade, so it fills at the open (at the same price the whole bar gives it).
 */
export const openingBar = (bar: Bar): Bar => ({ ...bar, high: bar.open, low: bar.open, close: bar.open })

/**
 * What is known of `bar` after an order sent during its session: the close alone (the high and the low may have
 * come before the order). A `day` order sent then meets this bar, and expires at its close if it does not fill.
 */
export const closingBar = (bar: Bar): Bar => ({ ...bar, open: bar.close, high: bar.close, low: bar.close })

/** How an order is booked when placed: refused, or its status and the date after which it is evaluated. */
export type Booking =
  | { readonly _tag: "Refused"; readonly message: string }
  | {
    readonly _tag: "Booked"
    /** `accepted`: a market order queued for the next open (or, `cls`, the next close); `new`: working. */
    readonly status: "new" | "accepted"
    /** Sessions after this date evaluate (or fill) the order. */
    readonly activeAfter: string
  }

/** The calendar day before `day`: an order active after it works from `day`'s session on. */
export const dayBefore = (day: string): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)

const OPG_REFUSED_FROM = secondsOf("09:28")!

/**
 * How an order placed at `moment` (whose point among the sessions is `point`; `isSessionDay`: `moment.day` has a
 * session) is booked — see the module rules.
 */
export const bookingOf = (
  order: { readonly type: OrderType; readonly timeInForce: TimeInForce },
  moment: NewYorkMoment,
  point: SessionPoint,
  isSessionDay: boolean
): Booking => {
  const t = moment.seconds
  const inSession = point.phase === "open"
  // a `day` order sent during a session meets that session's close (`closingBar`), a `gtc` one the sessions after it
  if (order.type !== "market") {
    return { _tag: "Booked", status: "new", activeAfter: inSession && order.timeInForce === "day" ? dayBefore(point.session) : point.session }
  }
  if (order.timeInForce === "cls") {
    const cutoff = isSessionDay ? closeSecondsOf(moment.day) - 600 : 0
    if (isSessionDay && t >= cutoff && t < CLS_REFUSED_UNTIL) {
      return { _tag: "Refused", message: "market on close orders are not accepted from 10 minutes before the close until 19:00" }
    }
    return inSession
      ? { _tag: "Booked", status: "new", activeAfter: dayBefore(point.session) }
      : { _tag: "Booked", status: "accepted", activeAfter: point.session }
  }
  if (order.timeInForce === "opg" && isSessionDay && t >= OPG_REFUSED_FROM && t < CLS_REFUSED_UNTIL) {
    return { _tag: "Refused", message: "market on open orders are not accepted from 9:28 until 19:00" }
  }
  return inSession
    ? { _tag: "Booked", status: "new", activeAfter: dayBefore(point.session) }
    : { _tag: "Booked", status: "accepted", activeAfter: point.session }
}

/** The price of a queued market order at the open of `bar`'s session. */
export const fillAtOpen = (side: Side, bar: Bar, slippageBps: number): number => slip(bar.open, side, slippageBps)

/** The date after which the legs of an entry filled in `session` work: its own bar after an open, the next after a close. */
export const legsActiveAfter = (session: TradingDay, filledAt: "open" | "close"): string =>
  filledAt === "open" ? dayBefore(session) : session

/** Of the exits that would fill on the same bar, the one that does: a stop-type exit first (conservative). */
export const pickExit = <A extends { readonly type: OrderType }>(candidates: ReadonlyArray<A>): A | undefined =>
  candidates.find((c) => c.type === "stop" || c.type === "stop_limit" || c.type === "trailing_stop") ?? candidates[0]

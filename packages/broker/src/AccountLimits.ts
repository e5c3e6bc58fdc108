/**
 * An account's rules (`AccountSettings`) as pure functions over its book: what an order would do to the account,
 * and which rule it breaks. The safety broker checks every order with `check`; the risk gate sizes orders with the
 * same measures (`grossExposure`, `spendable`, `costPrice`, …) so that what it approves always passes.
 *
 * **The model**
 * - The *book* is the account's positions plus its open orders that will move them: every open market order
 *   (`day`, `cls`, `opg`, queued after the close: they fill) and every open entry that adds risk (a bracket's
 *   entry, a limit buy). Exits (OCO orders, bracket legs) never count: they can only reduce. Resting limit or stop
 *   orders that would reduce a position do not count either (they may never fill). A notional order (a user's: the
 *   pipeline orders shares) counts the shares its dollars not yet spent buy or sell at the symbol's latest known
 *   price (reference, mark, else its own average fill); with no price at all a buy still reserves its dollars
 *   (collared) and a sell holds the whole position.
 * - Prices: the reference price of a symbol (a run's snapshot price; outside a run the market data's last close),
 *   else the broker's mark of the position; a limit order without either is valued at its limit.
 * - An order *adds risk* for the part that moves the symbol's holding away from zero; only that part is held to
 *   the limits. Reducing and closing are always allowed, except that a resize smaller than `minOrderValue` is dust.
 *   An order that crosses zero (long → short) is a close plus an opening; brokers refuse it (Alpaca: "insufficient
 *   qty available"), and the gate sends the close alone, the opening once the position is flat.
 * - Buying power: without margin an order's cost must fit in the cash left after the open orders that add risk
 *   (and in the broker's buying power); with `allowMargin`, in the broker's buying power. A market order, and a
 *   short sale, costs its price plus `MARKET_COLLAR` (Alpaca's buying-power collar), a limit buy its limit.
 *
 * - Exits already working (open OCO orders, the open or held legs of bracket and OTO orders) are kept per symbol
 *   and side: a new exit and those on its side together may close at most the holding.
 *
 * **Rules**, checked in this order for the part that adds risk: `no-price`, `no-equity`, `shorting-disabled`,
 * `fractional-disabled`, `fractional-short` (brokers take no fractional short sale), `min-order-value`,
 * `max-order-value`, `max-position-pct`, `max-gross-exposure-pct`, `max-open-positions`, `buying-power`; for
 * exits, `exit-exceeds-position`.
 *
 * @since 0.1.0
 */
import {
  type AccountSettings,
  type AccountSnapshot,
  OPEN_STATUSES,
  type Order,
  type OrderIntent,
  type RuleNumbers
} from "@council/domain"

/** Share of the price added to a market order's (and a short sale's) cost, as Alpaca's buying-power check does. */
export const MARKET_COLLAR = 0.03

/** Tolerance of money and share comparisons. */
export const EPS = 1e-6

export type RuleName =
  | "no-price"
  | "no-equity"
  | "shorting-disabled"
  | "fractional-disabled"
  | "fractional-short"
  | "min-order-value"
  | "max-order-value"
  | "max-position-pct"
  | "max-gross-exposure-pct"
  | "max-open-positions"
  | "buying-power"
  | "exit-exceeds-position"

/** A rule an order breaks: the rule, a one-line explanation and its numbers. */
export interface Violation {
  readonly rule: RuleName
  readonly message: string
  readonly numbers?: RuleNumbers
}

/** What an account holds and may spend, as the rules see it. */
export interface Book {
  readonly equity: number
  readonly cash: number
  readonly buyingPower: number
  /** Signed shares per symbol: positions plus the open orders that will move them. */
  readonly holdings: ReadonlyMap<string, number>
  /** Shares the working exits would close, by `exitKey` (symbol and side). */
  readonly exits: ReadonlyMap<string, number>
  /** The broker's mark of each position. */
  readonly marks: ReadonlyMap<string, number>
  /** Cost of the book's open orders that add risk (not yet out of the cash). */
  readonly committed: number
  /** Cost of orders added since the broker's buying power was read (not yet in it). */
  readonly committedSinceRead: number
}

/** The fields of an order the rules look at. */
export type OrderShape = Pick<OrderIntent, "symbol" | "side" | "qty" | "type" | "orderClass" | "limitPrice">

/** A symbol's price: the reference, else the broker's mark. */
export type PriceOf = (symbol: string) => number | undefined

export const priceIn = (book: Book, reference: PriceOf): PriceOf => (symbol) => reference(symbol) ?? book.marks.get(symbol)

const signed = (order: Pick<OrderShape, "side" | "qty">) => (order.side === "buy" ? order.qty : -order.qty)

/** The part of `order` that moves `holding` away from zero, in shares. */
export const openingQty = (holding: number, order: Pick<OrderShape, "side" | "qty">): number => {
  const delta = signed(order)
  if (holding === 0 || Math.sign(delta) === Math.sign(holding)) return order.qty
  return Math.max(0, order.qty - Math.abs(holding))
}

/** The price one share of an order that adds risk is charged at against buying power. */
export const costPrice = (order: Pick<OrderShape, "side" | "type" | "limitPrice">, price: number): number => {
  const collared = price * (1 + MARKET_COLLAR)
  if (order.type === "limit" || order.type === "stop_limit") {
    const limit = order.limitPrice ?? collared
    return order.side === "buy" ? limit : Math.max(limit, collared)
  }
  return collared
}

/** The sum of every holding's absolute value. */
export const grossExposure = (book: Book, priceOf: PriceOf): number => {
  let gross = 0
  for (const [symbol, qty] of book.holdings) gross += Math.abs(qty) * (priceOf(symbol) ?? 0)
  return gross
}

/** How many symbols are held, long or short. */
export const openPositions = (book: Book): number => [...book.holdings.values()].filter((q) => Math.abs(q) > EPS).length

/** What orders that add risk may still cost. */
export const spendable = (book: Book, settings: Pick<AccountSettings, "allowMargin">): number => {
  const power = book.buyingPower - book.committedSinceRead
  return settings.allowMargin ? power : Math.min(power, book.cash - book.committed)
}

/** The key of a symbol's exits on one side in `Book.exits`. */
export const exitKey = (symbol: string, side: OrderShape["side"]) => `${side} ${symbol}`

/** `book` with `qty` shares more (or fewer, negative) under working exits of `symbol` on `side`. */
const withExit = (book: Book, symbol: string, side: OrderShape["side"], qty: number): Book => {
  const exits = new Map(book.exits)
  const key = exitKey(symbol, side)
  exits.set(key, (exits.get(key) ?? 0) + qty)
  return { ...book, exits }
}

/** `order` added to `book` (its opening part's cost committed; an exit, to the working exits). */
export const apply = (book: Book, order: OrderShape, priceOf: PriceOf): Book => {
  if (order.orderClass === "oco") return withExit(book, order.symbol, order.side, order.qty)
  const holding = book.holdings.get(order.symbol) ?? 0
  const opening = openingQty(holding, order)
  const price = priceOf(order.symbol) ?? order.limitPrice ?? 0
  const cost = opening * costPrice(order, price)
  const holdings = new Map(book.holdings)
  holdings.set(order.symbol, holding + signed(order))
  return { ...book, holdings, committed: book.committed + cost, committedSinceRead: book.committedSinceRead + cost }
}

/** `apply` undone (an order the broker did not take). */
export const unapply = (book: Book, order: OrderShape, priceOf: PriceOf): Book => {
  if (order.orderClass === "oco") return withExit(book, order.symbol, order.side, -order.qty)
  const holdings = new Map(book.holdings)
  const after = book.holdings.get(order.symbol) ?? 0
  const holding = after - signed(order)
  holdings.set(order.symbol, holding)
  const cost = openingQty(holding, order) * costPrice(order, priceOf(order.symbol) ?? order.limitPrice ?? 0)
  return { ...book, holdings, committed: book.committed - cost, committedSinceRead: book.committedSinceRead - cost }
}

/** Whether an open order moves the book: market orders always, others when they add risk. */
const moves = (order: Order, holding: number): boolean =>
  order.type === "market" || openingQty(holding, { side: order.side, qty: order.qty }) > EPS

/**
 * What is left of an open notional order (dollars; its `qty` is only the shares filled so far): its dollars not yet
 * spent, and the latest known price of its symbol — the reference, else the broker's mark, else the order's own
 * average fill — to count them in shares (`undefined` when there is none).
 */
const notionalLeft = (order: Order & { readonly notional: number }, priceOf: PriceOf) => {
  const price = priceOf(order.symbol) ?? order.filledAvgPrice ?? undefined
  const dollars = Math.max(0, order.notional - order.filledQty * (order.filledAvgPrice ?? 0))
  return { dollars, price: price !== undefined && price > 0 ? price : undefined }
}

/**
 * `book` with an open notional order: a buy's dollars not yet spent reserved (at their shares' cost when a price
 * is known, else the dollars themselves: the cash is spoken for whatever the price), and the shares they buy or sell
 * at the latest known price held. A sell with no price at all holds the whole position (a notional sell never sells
 * beyond it), so no exit or sale counts shares it is already selling.
 */
const withNotional = (book: Book, order: Order & { readonly notional: number }, priceOf: PriceOf): Book => {
  const { dollars, price } = notionalLeft(order, priceOf)
  if (dollars <= EPS) return book
  const holding = book.holdings.get(order.symbol) ?? 0
  if (price !== undefined) {
    // a notional sell sells shares of a long position, never beyond it (it opens no short)
    const qty = order.side === "sell" ? Math.min(dollars / price, Math.max(0, holding)) : dollars / price
    if (qty <= EPS) return book
    const shape: OrderShape = { symbol: order.symbol, side: order.side, qty, type: "market", orderClass: "simple" }
    return { ...apply(book, shape, priceOf), committedSinceRead: 0 }
  }
  if (order.side === "sell") {
    if (holding <= EPS) return book
    const holdings = new Map(book.holdings)
    holdings.set(order.symbol, 0)
    return { ...book, holdings }
  }
  // a buy of dollars in a symbol with no price: the shares are unknown, the cash it may spend is not
  return { ...book, committed: book.committed + dollars * (1 + MARKET_COLLAR) }
}

/** The book of an account read at the broker: its snapshot and its open orders (top level, legs nested). */
export const bookOf = (account: AccountSnapshot, open: ReadonlyArray<Order>, reference: PriceOf): Book => {
  const empty: Book = {
    equity: account.equity,
    cash: account.cash,
    buyingPower: account.buyingPower,
    holdings: new Map(account.positions.map((p) => [p.symbol, p.qty])),
    exits: new Map(),
    marks: new Map(account.positions.map((p) => [p.symbol, p.currentPrice])),
    committed: 0,
    committedSinceRead: 0
  }
  const priceOf = priceIn(empty, reference)
  const exiting = workingExits(open).reduce((book, exit) => withExit(book, exit.symbol, exit.side, exit.qty), empty)
  return pendingEntries(open).reduce((book, order) => {
    if (order.notional !== undefined) return withNotional(book, { ...order, notional: order.notional }, priceOf)
    const remaining = order.qty - order.filledQty
    if (remaining <= EPS || !moves(order, book.holdings.get(order.symbol) ?? 0)) return book
    const shape: OrderShape = {
      symbol: order.symbol,
      side: order.side,
      qty: remaining,
      type: order.type,
      orderClass: order.orderClass,
      ...(order.limitPrice === null ? {} : { limitPrice: order.limitPrice })
    }
    // orders already at the broker are in the buying power it reported
    return { ...apply(book, shape, priceOf), committedSinceRead: 0 }
  }, exiting)
}

/**
 * The exits working at the broker, one per group: an open OCO order (what is left of it), and the open or held legs
 * of a bracket or OTO order (filled: they protect its shares; not yet: they will protect the entry's, which the
 * book holds), the most any of them would close.
 */
const workingExits = (open: ReadonlyArray<Order>): ReadonlyArray<Pick<OrderShape, "symbol" | "side" | "qty">> =>
  open.flatMap((order) => {
    if (order.orderClass === "oco") {
      return OPEN_STATUSES.has(order.status) ? [{ symbol: order.symbol, side: order.side, qty: order.qty - order.filledQty }] : []
    }
    const legs = order.legs.filter((leg) => OPEN_STATUSES.has(leg.status))
    if (order.orderClass === "simple" || legs.length === 0) return []
    return [{ symbol: order.symbol, side: legs[0]!.side, qty: Math.max(...legs.map((leg) => leg.qty - leg.filledQty)) }]
  })

/** The open orders that are not exits: simple orders and unfilled bracket/OTO entries. */
export const pendingEntries = (open: ReadonlyArray<Order>): ReadonlyArray<Order> =>
  open.filter((o) => OPEN_STATUSES.has(o.status) && o.status !== "held" && o.orderClass !== "oco")

/** `$19,948.86`: dollars with cents and thousands separators (no `Intl`: it loads ICU's data on first use). */
export const dollars = (n: number): string => {
  const [whole = "0", cents = "00"] = Math.abs(n).toFixed(2).split(".")
  return `${n < 0 ? "-" : ""}$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${cents}`
}

const usd = dollars
const pct = (n: number) => `${Number(n.toFixed(2))}%`
const shares = (n: number) => String(Number(n.toFixed(6)))

const violation = (rule: RuleName, message: string, numbers?: RuleNumbers): Violation =>
  numbers === undefined ? { rule, message } : { rule, message, numbers }

/** An exit must close: the opposite side of the holding, at most its size with the exits already working on that side. */
const checkExit = (book: Book, order: OrderShape): Violation | undefined => {
  const holding = book.holdings.get(order.symbol) ?? 0
  const closes = order.side === "sell" ? holding > 0 : holding < 0
  const working = book.exits.get(exitKey(order.symbol, order.side)) ?? 0
  if (closes && order.qty + working <= Math.abs(holding) + EPS) return undefined
  const numbers = { value: order.qty + working, limit: closes ? Math.abs(holding) : 0, unit: "shares" } as const
  return closes && working > EPS
    ? violation(
      "exit-exceeds-position",
      `an exit ${order.side} of ${shares(order.qty)} ${order.symbol} and the working exits of ${shares(working)} would close ${shares(order.qty + working)}, and ${order.symbol} holds ${shares(holding)}`,
      numbers
    )
    : violation("exit-exceeds-position", `an exit ${order.side} of ${shares(order.qty)} ${order.symbol} must close a position, and ${order.symbol} holds ${shares(holding)}`, numbers)
}

/**
 * The first rule `order` breaks for an account with `settings` and `book`, or `undefined`. Prices come from
 * `priceOf` (see `priceIn`).
 */
export const check = (settings: AccountSettings, book: Book, order: OrderShape, priceOf: PriceOf): Violation | undefined => {
  if (order.orderClass === "oco") return checkExit(book, order)
  const holding = book.holdings.get(order.symbol) ?? 0
  const after = holding + signed(order)
  const opening = openingQty(holding, order)
  const price = priceOf(order.symbol) ?? order.limitPrice
  const value = price === undefined ? undefined : order.qty * price
  if (opening <= EPS) {
    return Math.abs(after) > EPS && value !== undefined && value < settings.minOrderValue - EPS
      ? violation("min-order-value", `${order.side} ${shares(order.qty)} ${order.symbol} is ${usd(value)}, below the ${usd(settings.minOrderValue)} minimum (dust)`, { value, limit: settings.minOrderValue, unit: "usd" })
      : undefined
  }
  if (price === undefined || value === undefined) {
    return violation("no-price", `no reference price for ${order.symbol}: an order that adds risk cannot be checked`)
  }
  const equity = book.equity
  if (!(equity > 0)) return violation("no-equity", `equity is ${usd(equity)}: nothing may add risk`, { value: equity, limit: 0, unit: "usd" })
  if (after < -EPS && !settings.allowShorting) {
    return violation("shorting-disabled", `${order.side} ${shares(order.qty)} ${order.symbol} would hold ${shares(after)}: shorting is not allowed`, { value: after, limit: 0, unit: "shares" })
  }
  if (!settings.fractional && !Number.isInteger(order.qty)) {
    return violation("fractional-disabled", `${shares(order.qty)} ${order.symbol} is a fraction of a share: fractional orders are not enabled`)
  }
  if (after < -EPS && !Number.isInteger(order.qty)) {
    return violation("fractional-short", `${order.side} ${shares(order.qty)} ${order.symbol} would hold ${shares(after)}: a short sale must be whole shares (no broker takes a fractional one)`, { value: order.qty, limit: Math.floor(order.qty), unit: "shares" })
  }
  if (value < settings.minOrderValue - EPS) {
    return violation("min-order-value", `${order.side} ${shares(order.qty)} ${order.symbol} is ${usd(value)}, below the ${usd(settings.minOrderValue)} minimum (dust)`, { value, limit: settings.minOrderValue, unit: "usd" })
  }
  const openingValue = opening * price
  if (openingValue > settings.maxOrderValue + EPS) {
    return violation("max-order-value", `${shares(opening)} ${order.symbol} × ${usd(price)} = ${usd(openingValue)} exceeds the ${usd(settings.maxOrderValue)} order limit`, { value: openingValue, limit: settings.maxOrderValue, unit: "usd" })
  }
  const positionPct = (Math.abs(after) * price / equity) * 100
  if (positionPct > settings.maxPositionPct + EPS) {
    return violation("max-position-pct", `${shares(after)} ${order.symbol} would be ${pct(positionPct)} of equity ${usd(equity)}, above ${pct(settings.maxPositionPct)}`, { value: positionPct, limit: settings.maxPositionPct, unit: "percent" })
  }
  const grossPct = ((grossExposure(book, priceOf) - Math.abs(holding) * price + Math.abs(after) * price) / equity) * 100
  if (grossPct > settings.maxGrossExposurePct + EPS) {
    return violation("max-gross-exposure-pct", `gross exposure would be ${pct(grossPct)} of equity ${usd(equity)}, above ${pct(settings.maxGrossExposurePct)}`, { value: grossPct, limit: settings.maxGrossExposurePct, unit: "percent" })
  }
  const held = openPositions(book)
  if (Math.abs(holding) <= EPS && held + 1 > settings.maxOpenPositions) {
    return violation("max-open-positions", `${order.symbol} would be position ${held + 1}; at most ${settings.maxOpenPositions} may be open`, { value: held + 1, limit: settings.maxOpenPositions, unit: "positions" })
  }
  const cost = opening * costPrice(order, price)
  const available = spendable(book, settings)
  if (cost > available + EPS) {
    return violation("buying-power", `${shares(opening)} ${order.symbol} costs ${usd(cost)}, more than the ${usd(Math.max(0, available))} ${settings.allowMargin ? "buying power" : "cash (no margin)"} left`, { value: cost, limit: Math.max(0, available), unit: "usd" })
  }
  return undefined
}

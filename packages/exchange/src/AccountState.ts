/**
 * An account's state from its ledger rows and the prices known: positions marked at the latest price, shares held
 * by open exits, buying power, and the position a fill leaves. Pure functions.
 *
 * **Rules**
 * - Buying power has no leverage: `equity − long market value − |short market value| − open opening orders`
 *   (= cash when long-only with nothing waiting). A waiting opening order reserves `qty × reservePrice`; a
 *   waiting notional buy its dollars.
 * - Shares held by open exit orders count each OCO group once (a bracket's two exits hold the same shares); a
 *   waiting notional sell holds the shares its dollars sold at placement (its row's `qty`, `Placement`). A partly
 *   filled bracket/OTO entry's `held` legs hold the shares it bought (as at Alpaca, which refuses another exit for
 *   them); an entry with nothing filled leaves its legs holding none.
 * - A fill that adds to a position averages the entry price; one that reduces it keeps the average; one that
 *   crosses zero starts a new position at the fill price (the exchange never does that in one order).
 *
 * @since 0.1.0
 */
import type { AccountId, AccountSnapshot, Side } from "@council/domain"
import { type ExchangePosition, toPosition } from "./ExchangeRecords.ts"
import { roundCash, roundQty } from "./FillModel.ts"
import type { OrderRow, PositionRow } from "./Ledger.ts"

/**
 * Remaining quantity held by open exit orders on `side`, counting each OCO group once. A bracket's or OTO's `held`
 * leg holds the shares its entry has bought so far (`rows` holds the entry while it is open): none before the entry
 * fills, all of its remaining quantity once it has.
 */
export const heldQty = (rows: ReadonlyArray<OrderRow>, side: Side): number => {
  const byGroup = new Map<string, number>()
  for (const row of rows) {
    if (row.side !== side || row.position_effect !== "close") continue
    const qty = row.status === "held" ? heldByLeg(rows, row) : row.qty - row.filled_qty
    byGroup.set(row.exit_group, Math.max(byGroup.get(row.exit_group) ?? 0, qty))
  }
  let total = 0
  for (const qty of byGroup.values()) total += qty
  return roundQty(total)
}

/** The shares a `held` leg holds: what its open entry among `rows` has filled (a partly filled entry's). */
const heldByLeg = (rows: ReadonlyArray<OrderRow>, leg: OrderRow): number => {
  for (const row of rows) {
    if (row.id === leg.parent_id) return Math.min(row.filled_qty, leg.qty - leg.filled_qty)
  }
  return 0
}

/** A position marked at `price`, with the close of the session before (`lastdayPrice`). */
export const markPosition = (
  row: PositionRow,
  price: number,
  lastdayPrice: number,
  open: ReadonlyArray<OrderRow>
): ExchangePosition => {
  const mine = open.filter((o) => o.symbol === row.symbol)
  const held = row.qty > 0 ? heldQty(mine, "sell") : -heldQty(mine, "buy")
  return {
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
  }
}

/**
 * Price an opening order reserves per share while it waits: a market order the latest price of its symbol
 * (`marketPrice`) with the slippage for buys, a stop its stop (with the slippage for buys), a limit its limit.
 */
export const reservePrice = (row: OrderRow, slippageBps: number, marketPrice: number | undefined): number => {
  const slipped = (price: number) => price * (row.side === "buy" ? 1 + slippageBps / 10_000 : 1)
  if (row.type === "market") return slipped(marketPrice ?? 0)
  // a trailing stop's `stop_price` is its stop as its trail last moved it
  return row.type === "stop" || row.type === "trailing_stop" ? slipped(row.stop_price ?? 0) : row.limit_price ?? row.stop_price ?? 0
}

/** Cash, equity, market values and buying power of an account. */
export const snapshotOf = (
  account: AccountId,
  cash: number,
  positions: ReadonlyArray<ExchangePosition>,
  open: ReadonlyArray<OrderRow>,
  slippageBps: number,
  marketPrices: ReadonlyMap<string, number>
): AccountSnapshot => {
  let longMarketValue = 0
  let shortMarketValue = 0
  for (const p of positions) {
    if (p.marketValue >= 0) longMarketValue += p.marketValue
    else shortMarketValue += p.marketValue
  }
  let reserved = 0
  for (const o of open) {
    if (o.position_effect === "open" && o.status !== "held") {
      // a notional order reserves its dollars until it fills (whole: `FillModel`)
      reserved += o.notional !== null
        ? (o.filled_qty === 0 ? o.notional : 0)
        : (o.qty - o.filled_qty) * reservePrice(o, slippageBps, marketPrices.get(o.symbol))
    }
  }
  const equity = roundCash(cash + longMarketValue + shortMarketValue)
  return {
    account,
    cash: roundCash(cash),
    equity,
    buyingPower: Math.max(0, roundCash(equity - longMarketValue + shortMarketValue - reserved)),
    longMarketValue: roundCash(longMarketValue),
    shortMarketValue: roundCash(shortMarketValue),
    positions: positions.map(toPosition)
  }
}

/** The position after a fill of `signedQty` (negative: sold) at `price`; `undefined` when flat. */
export const positionAfterFill = (
  before: PositionRow | undefined,
  signedQty: number,
  price: number
): { readonly qty: number; readonly avgEntryPrice: number } | undefined => {
  const q0 = before?.qty ?? 0
  const avg0 = before?.avg_entry_price ?? 0
  const q1 = roundQty(q0 + signedQty)
  if (q1 === 0) return undefined
  const avg = q0 === 0 || Math.sign(q0) === Math.sign(signedQty)
    ? (Math.abs(q0) * avg0 + Math.abs(signedQty) * price) / Math.abs(q1)
    : Math.sign(q1) === Math.sign(q0)
    ? avg0
    : price
  return { qty: q1, avgEntryPrice: Math.round(avg * 1e6) / 1e6 }
}

/**
 * Closed trades from fills, for the win rate over trades.
 *
 * **Definition** (the README quotes this): per account and symbol, a trade opens when the position leaves zero
 * and closes when it returns to zero; a fill that flips the position closes the trade at zero and opens the next
 * with the rest. Its P&L is the realized P&L of every reduction at average cost (average entry price of the open
 * quantity) minus the commissions of its fills, rounded to cents; it is dated by the session of the fill that closed it. A trade
 * still open at the end is not counted.
 *
 * @since 0.1.0
 */
import { roundCash } from "@council/exchange/FillModel"
import type { ClosedTrade } from "./Metrics.ts"
import type { LedgerFill } from "./TradeLedger.ts"

interface OpenTrade {
  /** Signed quantity. */
  qty: number
  averagePrice: number
  pnl: number
}

const EPSILON = 1e-9

/** Closed trades per account, in the order they closed (fills sorted by session and time first). */
export const closedTrades = (fills: ReadonlyArray<LedgerFill>): ReadonlyMap<string, ReadonlyArray<ClosedTrade>> => {
  const open = new Map<string, OpenTrade>()
  const closed = new Map<string, Array<ClosedTrade>>()
  const ordered = [...fills].sort((a, b) => (a.session + a.at < b.session + b.at ? -1 : a.session + a.at > b.session + b.at ? 1 : 0))
  for (const fill of ordered) {
    const key = `${fill.account}\u0000${fill.symbol}`
    let remaining = fill.side === "buy" ? fill.qty : -fill.qty
    let commission = fill.commission
    while (Math.abs(remaining) > EPSILON) {
      const trade = open.get(key) ?? { qty: 0, averagePrice: 0, pnl: 0 }
      trade.pnl -= commission
      commission = 0
      if (trade.qty === 0 || Math.sign(trade.qty) === Math.sign(remaining)) {
        const qty = trade.qty + remaining
        trade.averagePrice = trade.qty === 0
          ? fill.price
          : (trade.averagePrice * Math.abs(trade.qty) + fill.price * Math.abs(remaining)) / Math.abs(qty)
        trade.qty = qty
        open.set(key, trade)
        break
      }
      const reduced = Math.min(Math.abs(remaining), Math.abs(trade.qty))
      trade.pnl += reduced * (fill.price - trade.averagePrice) * Math.sign(trade.qty)
      trade.qty += Math.sign(remaining) * reduced
      remaining -= Math.sign(remaining) * reduced
      if (Math.abs(trade.qty) <= EPSILON) {
        const list = closed.get(fill.account) ?? []
        // in cents, as cash is: an average cost is seldom exact in binary, and a round trip at it was a 1e-15 win or
        // loss (and no −0 from a tiny loss)
        const pnl = roundCash(trade.pnl)
        list.push({ closedOn: fill.session, pnl: pnl === 0 ? 0 : pnl })
        closed.set(fill.account, list)
        open.delete(key)
      } else {
        open.set(key, trade)
      }
    }
  }
  return closed
}

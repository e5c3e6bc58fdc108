/**
 * Settling a fill in the ledger: the position moves, cash pays for it and the commission, and the fill is
 * recorded. The order's own row is the caller's (`Matching` marks it filled, or partly filled).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { AccountId, TradingDay } from "@council/domain"
import { positionAfterFill } from "./AccountState.ts"
import { commission, type FillModelOptions, roundCash } from "./FillModel.ts"
import type { Ledger, OrderRow, PositionRow } from "./Ledger.ts"

/**
 * An account's cash inside one write transaction: read once with the account row, moved by every fill settled
 * in the transaction, and written once by `Matching` with the account's new point (`Ledger.setPoint`).
 */
export interface Book {
  readonly account: AccountId
  cash: number
}

export const make = (ledger: Ledger, fillModel: FillModelOptions) => {
  /**
   * Settles `qty` shares of `order` filled at `price` in `session` at `at` (ledger timestamp text); `position` is
   * the symbol's row before the fill. The book's cash moves; writing it is the caller's.
   */
  const settle = (book: Book, order: OrderRow, qty: number, price: number, session: TradingDay, at: string, position: PositionRow | undefined) => {
    const fee = commission(qty, fillModel)
    const signed = order.side === "buy" ? qty : -qty
    book.cash = roundCash(book.cash - signed * price - fee)
    return Effect.andThen(
      ledger.writePosition(order.account, order.symbol, position, positionAfterFill(position, signed, price)),
      ledger.insertFill({ order, ...(qty === order.qty ? {} : { qty }), price, commission: fee, session, at })
    )
  }

  return { settle }
}

export type Settlement = ReturnType<typeof make>

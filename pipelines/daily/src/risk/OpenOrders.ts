/**
 * An account's open orders as the risk gate sees them: pending entries (orders that will move a position: simple
 * orders, unfilled bracket and OTO entries) and exits (OCO orders, the open legs of a filled bracket), per symbol.
 */
import { OPEN_STATUSES, type Order, type OrderLeg, type Side } from "@council/domain"

/** A group of exit orders (one OCO, or a filled bracket's legs): canceling one member cancels the group. */
export interface ExitGroup {
  readonly symbol: string
  readonly side: Side
  /** Shares the group would close. */
  readonly qty: number
  /** The open member to cancel. */
  readonly member: OrderLeg
  /** The filled bracket whose leg `member` is (absent for an OCO: the member is the group). */
  readonly group?: string
}

/** A pending entry and the open member that cancels it. */
export interface PendingEntry {
  readonly order: Order
  readonly member: OrderLeg
}

/** Whether an order or leg is still working at the broker (a filled bracket's entry is not, its open legs are). */
export const isOpen = (o: OrderLeg) => OPEN_STATUSES.has(o.status)
const remaining = (o: OrderLeg) => o.qty - o.filledQty

export interface OpenOrders {
  readonly exits: ReadonlyArray<ExitGroup>
  readonly pending: ReadonlyArray<PendingEntry>
}

export const classify = (open: ReadonlyArray<Order>): OpenOrders => {
  const exits: Array<ExitGroup> = []
  const pending: Array<PendingEntry> = []
  for (const order of open) {
    const legs = order.legs.filter(isOpen)
    if (order.orderClass === "oco" && isOpen(order)) {
      exits.push({ symbol: order.symbol, side: order.side, qty: remaining(order), member: order })
    } else if (order.orderClass !== "simple" && !isOpen(order) && legs.length > 0) {
      exits.push({ symbol: order.symbol, side: legs[0]!.side, qty: Math.max(...legs.map(remaining)), member: legs[0]!, group: order.id })
    } else if (isOpen(order) && order.status !== "held") {
      pending.push({ order, member: order })
    }
  }
  return { exits, pending }
}


/** Whether `exits` close exactly `holding` (signed): all on the closing side, covering every share once. */
export const coversExactly = (exits: ReadonlyArray<ExitGroup>, holding: number): boolean => {
  const closing: Side = holding > 0 ? "sell" : "buy"
  const covered = exits.reduce((n, e) => n + e.qty, 0)
  return exits.length > 0 && exits.every((e) => e.side === closing) && Math.abs(covered - Math.abs(holding)) < 1e-9
}

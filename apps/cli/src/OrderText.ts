/**
 * An order's size and type as the CLI's tables and lines write them, for every order a broker may hold — the
 * user's own notional orders and trailing stops included, which Council's pipeline never places:
 * - size: the shares; a notional order's dollars (`$500.00`), with the shares filled so far once it filled some
 *   (`$500.00 → 4.9213 sh`), since its `qty` before the fill is 0 (the shares are set at the fill);
 * - type: the type; a trailing stop's with its trail (`trailing_stop 5 %`, `trailing_stop $2.00`).
 *
 * @since 0.1.0
 */
import type { Order } from "@council/domain"
import { money, qty } from "./Table.ts"

export const orderSize = (order: Pick<Order, "qty" | "notional" | "filledQty">): string =>
  order.notional === undefined
    ? qty(order.qty)
    : order.filledQty > 0
    ? `${money(order.notional)} → ${qty(order.filledQty)} sh`
    : money(order.notional)

export const orderType = (order: Pick<Order, "type" | "trailPrice" | "trailPercent">): string => {
  if (order.type !== "trailing_stop") return order.type
  const trail = order.trailPercent !== undefined ? `${order.trailPercent} %` : order.trailPrice !== undefined ? money(order.trailPrice) : undefined
  return trail === undefined ? order.type : `${order.type} ${trail}`
}

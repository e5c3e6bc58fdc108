/**
 * A retry's carried closes sent for the shares the account holds when they are sent (`carriedCloses: held`,
 * `DailyParams`). A retry carries the plan the day's earlier run decided, whose closes have that run's snapshot's
 * quantity; a partial fill since — an exit's, or more of an entry that a carried cancel then stops — changed the
 * position, and a close of the old quantity is refused as an oversell (or leaves shares behind).
 *
 * **When to use**: Execution, for an account whose plan is carried, after its carried cancels (so that what they
 * stopped has stopped filling), with the account's positions read then.
 *
 * **Gotchas**
 * - A close is an intent whose client order id is of kind `close` (`risk/Orders.clientOrderId`); its id is kept
 *   whatever its quantity becomes, so a resumed retry adopts the close it already sent instead of sending another.
 * - A symbol the account holds none of on the close's side (or the other side, now) is `moved`: none of its orders
 *   are sent, as when a carried cancel finds its order filled.
 *
 * @since 0.1.0
 */
import type { OrderIntent, Position, TradingDay } from "@council/domain"

/** Whether `intent` is a close the day's gate made (its client order id's kind). */
export const isClose = (day: TradingDay, intent: OrderIntent): boolean =>
  intent.clientOrderId.startsWith(`${day}-${intent.account}-${intent.symbol}-close-`)

/**
 * The intents with each close's quantity the shares `positions` hold on its side now, and the symbols of closes that
 * find none (`moved`, with why). Intents other than closes, and closes of the quantity held, are returned as they are.
 */
export const closesAsHeld = (day: TradingDay, intents: ReadonlyArray<OrderIntent>, positions: ReadonlyArray<Position>) => {
  const moved = new Map<string, string>()
  const sending = intents.map((intent) => {
    if (!isClose(day, intent)) return intent
    const signed = positions.find((p) => p.symbol === intent.symbol)?.qty ?? 0
    const held = intent.side === "sell" ? signed : -signed
    if (held <= 0) {
      moved.set(intent.symbol, `carried close of ${intent.qty} (${intent.clientOrderId}) finds ${signed === 0 ? "no position" : `a position of ${signed}`} now`)
      return intent
    }
    return held === intent.qty ? intent : { ...intent, qty: held }
  })
  return { sending, moved }
}

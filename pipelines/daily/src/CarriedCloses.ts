/**
 * A retry's carried closes sent for the shares the account holds when they are sent (`carriedCloses: held`,
 * `DailyParams`). A retry carries the plan the day's earlier run decided, whose closes have that run's snapshot's
 * quantity; a partial fill since — an exit's, or more of an entry that a carried cancel then stops — changed the
 * position, and a close of the old quantity is refused as an oversell (or leaves shares behind).
 *
 * **When to use**: Execution, for an account whose plan is carried, after its carried cancels (so that what they
 * stopped has stopped filling), with the account's positions read then and, for each close whose quantity they
 * change, the order the broker holds under its client order id (if any).
 *
 * **Gotchas**
 * - A close is an intent whose client order id is of kind `close` (`risk/Orders.clientOrderId`); its id is kept
 *   whatever its quantity becomes. A close the broker already holds under that id (this retry resumed after
 *   sending it, which may have filled since) keeps that order's quantity, so it is adopted, not refused as another
 *   order under the same id (`placeOnce` adopts only the same order).
 * - A symbol the account holds none of on the close's side (or the other side, now), with no such order at the
 *   broker, is `moved`: none of its orders are sent, as when a carried cancel finds its order filled.
 *
 * @since 0.1.0
 */
import type { Order, OrderIntent, Position, TradingDay } from "@council/domain"

/** Whether `intent` is a close the day's gate made (its client order id's kind). */
export const isClose = (day: TradingDay, intent: OrderIntent): boolean =>
  intent.clientOrderId.startsWith(`${day}-${intent.account}-${intent.symbol}-close-`)

/** The signed position of the close's symbol in `positions` (0: none). */
const positionOf = (intent: OrderIntent, positions: ReadonlyArray<Position>): number =>
  positions.find((p) => p.symbol === intent.symbol)?.qty ?? 0

/** The shares `intent`, a close, can sell (a buy: cover) now: those held on its side, else 0. */
const heldFor = (intent: OrderIntent, positions: ReadonlyArray<Position>): number => {
  const signed = positionOf(intent, positions)
  return Math.max(0, intent.side === "sell" ? signed : -signed)
}

/** The closes among `intents` whose quantity is not what `positions` hold now. */
export const changedCloses = (day: TradingDay, intents: ReadonlyArray<OrderIntent>, positions: ReadonlyArray<Position>) =>
  intents.filter((intent) => isClose(day, intent) && heldFor(intent, positions) !== intent.qty)

/**
 * The intents with each changed close's quantity: the order's the broker holds under its id (`atBroker`), else the
 * shares held now; and the symbols of closes that find neither (`moved`, with why). Other intents are returned as
 * they are.
 */
export const closesAsHeld = (
  day: TradingDay,
  intents: ReadonlyArray<OrderIntent>,
  positions: ReadonlyArray<Position>,
  atBroker: ReadonlyMap<string, Order>
) => {
  const moved = new Map<string, string>()
  const sending = intents.map((intent) => {
    if (!isClose(day, intent)) return intent
    const sent = atBroker.get(intent.clientOrderId)
    const qty = sent?.qty ?? heldFor(intent, positions)
    if (qty <= 0) {
      const signed = positionOf(intent, positions)
      moved.set(intent.symbol, `carried close of ${intent.qty} (${intent.clientOrderId}) finds ${signed === 0 ? "no position" : `a position of ${signed}`} now`)
      return intent
    }
    return qty === intent.qty ? intent : { ...intent, qty }
  })
  return { sending, moved }
}

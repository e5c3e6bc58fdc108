/**
 * The plan of an account that holds its book because its decision maker abstained (`pm-abstained`; `no-pitches`
 * when no PM pitched at all): nothing bought, sold or canceled, and each held position that no exit protects gets
 * its protective OCO exit. Under `close` an entry is a market-on-close order without legs, so a position opened the
 * day before has no exit until a run places one; a day without a pitch must not leave it unprotected.
 *
 * **Gotchas**
 * - Without a pitch there is no risk profile: the exits are at the account's `BASE` distances from the snapshot's
 *   price, in the position's direction. A later pitched run keeps them when they cover its shares (the gate matches
 *   exits by quantity, not by price).
 * - Only a position with *no* open order on its closing side (an exit, or a sell of a long still working) is
 *   protected (whole shares, as every exit); one whose exits cover part of it is left as it is (the next pitched run
 *   matches them to the position), so no exit is ever added beside another order that closes (the two could close
 *   more than the holding: a short).
 * - Runs recorded before this choice (`abstained: protected` absent) held without protecting; they replay so.
 */
import type { AccountSnapshot, Order, OrderIntent, Rejection, RunSchedule, Ticker, TradingDay } from "@council/domain"
import { LEGACY_SCHEDULE } from "@council/domain"
import type { AccountProfile } from "../DailyParams.ts"
import { classify } from "./OpenOrders.ts"
import { orderMaker } from "./Orders.ts"
import { tradable } from "./Sizing.ts"
import { exitPrices } from "./Ticks.ts"

export interface HoldingInput {
  readonly day: TradingDay
  readonly config: AccountProfile
  readonly account: AccountSnapshot
  /** Open orders at the broker, top level with their legs. */
  readonly open: ReadonlyArray<Order>
  /** The snapshot's price of a symbol. */
  readonly priceOf: (symbol: Ticker) => number | undefined
  /** Why the account holds: the rejection the plan records (`pm-abstained`, `no-pitches`) and its detail. */
  readonly rule: string
  readonly detail: string
  /** Why, in an exit's reason (`CLAUDE did not pitch`). */
  readonly why: string
  readonly schedule?: RunSchedule
  readonly positionIntents?: boolean
}

/** The holding account's plan: a protective exit for each held position that has none; its reason rejected. */
export const protectHeld = (input: HoldingInput) => {
  const { account, config, day } = input
  const { exits, pending } = classify(input.open)
  const orders = orderMaker(day, config.id, input.schedule ?? LEGACY_SCHEDULE, input.positionIntents ?? false)
  const intents: Array<OrderIntent> = []
  const positions = [...account.positions].sort((a, b) => a.symbol.localeCompare(b.symbol))
  for (const position of positions) {
    const side = position.qty > 0 ? "sell" : "buy"
    const qty = tradable(Math.abs(position.qty), false)
    const price = input.priceOf(position.symbol)
    if (qty === 0 || price === undefined || !(price > 0)) continue
    if (exits.some((e) => e.symbol === position.symbol && e.side === side)) continue
    if (pending.some((p) => p.order.symbol === position.symbol && p.order.side === side)) continue
    const prices = exitPrices(price, position.qty > 0 ? "LONG" : "SHORT", config.settings.exits.BASE)
    intents.push(orders.protect(position.symbol, side, qty, prices, `protect ${qty} ${position.symbol} with BASE exits: ${input.why}`))
  }
  const protecting = intents.length === 0 ? "" : ` (${intents.length} unprotected position${intents.length === 1 ? "" : "s"} given ${intents.length === 1 ? "its exit" : "their exits"})`
  const rejections: ReadonlyArray<Rejection> = [{ account: config.id, symbol: "*", rule: input.rule, detail: `${input.detail}${protecting}` }]
  return { cancels: [], intents, clamps: [], rejections }
}

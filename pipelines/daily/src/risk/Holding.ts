/**
 * The plan of an account that holds its book because its decision maker abstained (`pm-abstained`; `no-pitches`
 * when no PM pitched at all): nothing bought, sold or canceled, and each held share that no working order closes
 * gets a protective OCO exit. Under `close` an entry is a market-on-close order without legs, so a position opened
 * the day before has no exit until a run places one; a day without a pitch must not leave it unprotected.
 *
 * **Rule** (runs recording `abstained: covered`): per position, the shares the working orders on its closing side
 * already close — its exits (what each still closes), a sell of the user's — are covered; the rest, in whole shares,
 * gets one OCO exit of its own. The working exit is never canceled (an abstaining day cancels nothing, and a cancel
 * could lose to a fill), and at Alpaca the rest is exactly the shares still available to a sell (those an open
 * order holds are not). A position a working notional sell would close (its shares unknown until it fills) is left
 * as it is. Runs recording `abstained: protected` protected only positions with no closing order at all.
 *
 * A partly filled bracket (or OTO) entry (runs recording `abstained: bracketed`): the shares it bought count as
 * covered. Its legs stay held until it fills completely and then close every share it bought, those too; an exit
 * of their own would cover them twice once it completes — into a short when both stops trigger (the local exchange
 * takes such an exit; Alpaca refuses it: the held legs hold the shares). Until it completes those shares have no
 * working stop; holding cancels nothing, so the entry is left to complete.
 *
 * **Gotchas**
 * - Without a pitch there is no risk profile: the exits are at the account's `BASE` distances from the snapshot's
 *   price, in the position's direction. A later pitched run keeps the two exits when together they cover its shares
 *   (the gate matches exits by quantity, not by price).
 * - An OCO is whole shares: a fractional rest below one share stays without an exit.
 * - Exactly-once: the exit's client order id is derived from the day, account and order (`Orders.clientOrderId`);
 *   a second run of the day finds it working and counts it, so it adds nothing.
 * - Exits covering more than is held are left as they are (holding cancels nothing).
 */
import type { AccountSnapshot, Order, OrderIntent, Rejection, RunSchedule, Side, Ticker, TradingDay } from "@council/domain"
import { LEGACY_SCHEDULE } from "@council/domain"
import type { AccountProfile } from "../DailyParams.ts"
import { classify, type OpenOrders } from "./OpenOrders.ts"
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
  /** Protect the uncovered rest of a partly covered position (runs recording `abstained: covered`). */
  readonly remainder?: boolean
  /** Count the shares a partly filled bracket entry bought as covered by its legs (runs recording `abstained: bracketed`). */
  readonly brackets?: boolean
}

/** A count of positions and what they were given, for the holding's rejection detail. */
const given = (n: number, what: string, gift: string) => n === 0 ? [] : [`${n} ${what} position${n === 1 ? "" : "s"} given ${gift}`]

/** Whether any working order on `side` would close shares of `symbol` (an exit, or a pending order). */
const closedByAny = (open: OpenOrders, symbol: string, side: Side) =>
  open.exits.some((e) => e.symbol === symbol && e.side === side) || open.pending.some((p) => p.order.symbol === symbol && p.order.side === side)

/**
 * The shares of `symbol` the working orders on `side` would close; `undefined`: unknown (a notional sell works).
 * With `brackets`, a partly filled bracket or OTO entry on the other side counts the shares it bought (its legs close
 * them once it completes).
 */
const coveredBy = (open: OpenOrders, symbol: string, side: Side, brackets: boolean): number | undefined => {
  let covered = 0
  for (const exit of open.exits) if (exit.symbol === symbol && exit.side === side) covered += exit.qty
  for (const { order } of open.pending) {
    if (order.symbol !== symbol) continue
    if (order.side !== side) {
      if (brackets && (order.orderClass === "bracket" || order.orderClass === "oto")) covered += order.filledQty
      continue
    }
    if (order.notional !== undefined) return undefined
    covered += order.qty - order.filledQty
  }
  return covered
}

/** The holding account's plan: a protective exit for the held shares no working order closes; its reason rejected. */
export const protectHeld = (input: HoldingInput) => {
  const { account, config, day } = input
  const open = classify(input.open)
  const orders = orderMaker(day, config.id, input.schedule ?? LEGACY_SCHEDULE, input.positionIntents ?? false)
  const intents: Array<OrderIntent> = []
  let unprotected = 0
  let partly = 0
  const positions = [...account.positions].sort((a, b) => a.symbol.localeCompare(b.symbol))
  for (const position of positions) {
    const side = position.qty > 0 ? "sell" : "buy"
    const held = Math.abs(position.qty)
    const price = input.priceOf(position.symbol)
    if (tradable(held, false) === 0 || price === undefined || !(price > 0)) continue
    // runs recorded before `abstained: covered`: a position with any order on its closing side was left as it was
    if (input.remainder !== true && closedByAny(open, position.symbol, side)) continue
    const covered = coveredBy(open, position.symbol, side, input.brackets === true)
    if (covered === undefined) continue
    const qty = tradable(held - covered, false)
    if (qty === 0) continue
    const prices = exitPrices(price, position.qty > 0 ? "LONG" : "SHORT", config.settings.exits.BASE)
    const of = covered > 0 ? ` (${covered} of ${held} covered by working orders)` : ""
    intents.push(orders.protect(position.symbol, side, qty, prices, `protect ${qty} ${position.symbol} with BASE exits${of}: ${input.why}`))
    if (covered > 0) partly++
    else unprotected++
  }
  const gifts = [
    ...given(unprotected, "unprotected", unprotected === 1 ? "its exit" : "their exits"),
    ...given(partly, "partly covered", "an exit for the rest")
  ]
  const detail = gifts.length === 0 ? input.detail : `${input.detail} (${gifts.join("; ")})`
  const rejections: ReadonlyArray<Rejection> = [{ account: config.id, symbol: "*", rule: input.rule, detail }]
  return { cancels: [], intents, clamps: [], rejections }
}

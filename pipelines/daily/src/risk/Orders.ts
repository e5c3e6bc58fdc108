/**
 * Order construction by schedule, with exactly-once client order ids.
 *
 * - `after-close` (orders queue for the next open): entries are market bracket orders (`gtc`) carrying their
 *   take-profit and stop-loss; closes and reductions are `day` market orders.
 * - `close` (sent before the 15:50 cutoff): entries, closes and reductions are market-on-close orders (`cls`)
 *   without legs; a position's protective OCO exit is placed by the next run, once the entry has filled.
 * - Protective exits (`protect`) are OCO orders (`gtc`): a take-profit limit and a stop, for shares already held.
 * - A fractional quantity can only be a simple `day` market order (Alpaca's rule): such an entry, close or
 *   reduction carries no legs and is not market-on-close (sent during the session, it fills at the close all the same
 *   on the local exchange; at Alpaca, when sent).
 * - With `positionIntents` (runs recording `positionIntent: sent`) each intent states what it does to the position
 *   (`positionIntent`: an entry opens, a close, reduction or protective exit closes), and the broker refuses it
 *   when the position says otherwise. The client order id is made without it: the same plan has the same ids with
 *   it or without (a run recorded before it, resumed by this code, adopts its orders instead of doubling them).
 */
import { type AccountId, type OrderIntent, positionIntentOf, type RunSchedule, type Side, type Ticker, type TradingDay } from "@council/domain"
import { hashOf } from "@council/engine"
import type { ExitPrices } from "./Ticks.ts"

export type OrderKind = "close" | "reduce" | "open" | "add" | "protect"

/**
 * A client order id that is the same every time the same intent is derived for the same day and account. `intent`
 * is the order without its `positionIntent` (which would change the hash of runs recorded before it).
 */
export const clientOrderId = (day: TradingDay, intent: Omit<OrderIntent, "clientOrderId" | "positionIntent">, kind: string): string =>
  `${day}-${intent.account}-${intent.symbol}-${kind}-${hashOf(intent).slice(0, 10)}`

/**
 * Whether an order of `account` was placed by a run of `day` itself (its client order id is one `clientOrderId`
 * makes for that day and account): a fork of the day, or a second plan of it, meets its parent's orders at the broker.
 */
export const plannedOn = (day: TradingDay, account: AccountId, id: string): boolean => id.startsWith(`${day}-${account}-`)

type Body = Omit<OrderIntent, "clientOrderId" | "positionIntent">

/** What an order of `kind` does to the position: entries open, the rest close (a protective exit sells what is held). */
const effectOf = (kind: OrderKind): "open" | "close" => kind === "open" || kind === "add" ? "open" : "close"

export const orderMaker = (day: TradingDay, account: AccountId, schedule: RunSchedule, positionIntents = false) => {
  const make = (kind: OrderKind, body: Omit<Body, "account">): OrderIntent => {
    const full: Body = { account, ...body }
    const id = clientOrderId(day, full, kind)
    return positionIntents
      ? { ...full, clientOrderId: id, positionIntent: positionIntentOf(full.side, effectOf(kind)) }
      : { ...full, clientOrderId: id }
  }
  const market = { type: "market" as const, timeInForce: schedule === "close" ? "cls" as const : "day" as const }
  return {
    /** A close or a reduction: a market order (market-on-close under `close`, unless fractional: `day`). */
    reduce: (kind: "close" | "reduce", symbol: Ticker, side: Side, qty: number, reason: string) =>
      make(kind, { symbol, side, qty, ...(Number.isInteger(qty) ? market : { type: "market", timeInForce: "day" }), orderClass: "simple", reason }),
    /** An entry: a bracket under `after-close`, a market-on-close order under `close`. */
    entry: (kind: "open" | "add", symbol: Ticker, side: Side, qty: number, exits: ExitPrices, reason: string) =>
      !Number.isInteger(qty)
        ? make(kind, { symbol, side, qty, type: "market", timeInForce: "day", orderClass: "simple", reason })
        : schedule === "close"
        ? make(kind, { symbol, side, qty, ...market, orderClass: "simple", reason })
        : make(kind, { symbol, side, qty, type: "market", timeInForce: "gtc", orderClass: "bracket", ...exits, reason }),
    /** A protective OCO exit of shares already held. */
    protect: (symbol: Ticker, side: Side, qty: number, exits: ExitPrices, reason: string) =>
      make("protect", {
        symbol,
        side,
        qty,
        type: "limit",
        timeInForce: "gtc",
        orderClass: "oco",
        limitPrice: exits.takeProfit.limitPrice,
        ...exits,
        reason
      })
  }
}

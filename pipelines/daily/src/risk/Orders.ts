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
 */
import type { AccountId, OrderIntent, RunSchedule, Side, Ticker, TradingDay } from "@council/domain"
import { hashOf } from "@council/engine"
import type { ExitPrices } from "./Ticks.ts"

export type OrderKind = "close" | "reduce" | "open" | "add" | "protect"

/** A client order id that is the same every time the same intent is derived for the same day and account. */
export const clientOrderId = (day: TradingDay, intent: Omit<OrderIntent, "clientOrderId">, kind: string): string =>
  `${day}-${intent.account}-${intent.symbol}-${kind}-${hashOf(intent).slice(0, 10)}`

/**
 * Whether an order of `account` was placed by a run of `day` itself (its client order id is one `clientOrderId`
 * makes for that day and account): a fork of the day, or a second plan of it, meets its parent's orders at the broker.
 */
export const plannedOn = (day: TradingDay, account: AccountId, id: string): boolean => id.startsWith(`${day}-${account}-`)

type Body = Omit<OrderIntent, "clientOrderId">

export const orderMaker = (day: TradingDay, account: AccountId, schedule: RunSchedule) => {
  const make = (kind: OrderKind, body: Omit<Body, "account">): OrderIntent => {
    const full: Body = { account, ...body }
    return { ...full, clientOrderId: clientOrderId(day, full, kind) }
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

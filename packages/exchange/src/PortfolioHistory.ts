/**
 * An account's equity at the close of each session, rebuilt from what the ledger keeps: its fills (cash and
 * shares), what the corporate actions did (dividend cash, split shares) and the sessions' closing prices. The
 * exchange stores no equity per session; this is what `GET /v2/account/portfolio/history` answers from.
 *
 * **When to use**: `ExchangeServer`'s portfolio history, with the fills and actions up to the request's present
 * and the closes of sessions the present has passed (the caller's no-look-ahead).
 *
 * **How**: the cash before the first event is the cash now less every event's cash (so an account made with any
 * initial cash replays right); events are replayed in time order, cash rounded to the cent at each as the ledger
 * rounds it, and the equity at a close is the cash plus each position's shares at that session's close (the last
 * close known before it when a symbol has no bar that day; its last fill price before it has one).
 *
 * @since 0.1.0
 */
import type { Fill, TradingDay } from "@council/domain"
import { closeTimestamp } from "./Calendar.ts"
import type { AppliedAction } from "./CorporateActions.ts"
import { roundCash } from "./FillModel.ts"

/** One change to the account: cash and shares of a symbol, at a ledger timestamp. */
interface Event {
  readonly at: string
  readonly symbol: string
  readonly cash: number
  readonly shares: number
  readonly price: number | undefined
}

const eventsOf = (fills: ReadonlyArray<Fill>, actions: ReadonlyArray<AppliedAction>): ReadonlyArray<Event> => {
  const fromActions = actions.map((a): Event => ({
    at: a.applied_at,
    symbol: a.symbol,
    cash: a.cash,
    shares: a.kind === "split" ? a.qty_after - a.qty_before : 0,
    price: undefined
  }))
  const fromFills = fills.map((f): Event => {
    const signed = f.side === "buy" ? f.qty : -f.qty
    return { at: f.at, symbol: f.symbol, cash: -(signed * f.price) - f.commission, shares: signed, price: f.price }
  })
  // an action applies before the open, so before the fills stamped with the same open: stable sort, actions first
  return [...fromActions, ...fromFills].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
}

export interface EquityInput {
  /** The account's cash now (after every fill and action given). */
  readonly cashNow: number
  readonly fills: ReadonlyArray<Fill>
  readonly actions: ReadonlyArray<AppliedAction>
  /** The closes of each symbol, by session (`symbol` → `day` → close). */
  readonly closes: ReadonlyMap<string, ReadonlyMap<string, number>>
}

const cashBeforeEvents = (cashNow: number, events: ReadonlyArray<Event>) => roundCash(events.reduce((total, e) => total - e.cash, cashNow))

/** The account's cash before its first fill or action: its equity before it held anything. */
export const initialCashOf = (input: EquityInput): number => cashBeforeEvents(input.cashNow, eventsOf(input.fills, input.actions))

/** The account's equity at the close of each of `sessions` (ascending), to the cent. */
export const equityAtCloses = (input: EquityInput, sessions: ReadonlyArray<TradingDay>): ReadonlyArray<number> => {
  const events = eventsOf(input.fills, input.actions)
  let cash = cashBeforeEvents(input.cashNow, events)
  const shares = new Map<string, number>()
  const lastPrice = new Map<string, number>()
  let next = 0
  return sessions.map((day) => {
    const close = closeTimestamp(day)
    for (; next < events.length && events[next]!.at <= close; next++) {
      const e = events[next]!
      cash = roundCash(cash + e.cash)
      shares.set(e.symbol, (shares.get(e.symbol) ?? 0) + e.shares)
      if (e.price !== undefined) lastPrice.set(e.symbol, e.price)
    }
    let value = cash
    for (const [symbol, qty] of shares) {
      if (Math.abs(qty) < 1e-9) continue
      const price = input.closes.get(symbol)?.get(day) ?? lastPrice.get(symbol) ?? 0
      lastPrice.set(symbol, price)
      value += qty * price
    }
    return roundCash(value)
  })
}

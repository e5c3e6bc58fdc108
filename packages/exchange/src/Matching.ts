/**
 * Matching: bringing an account to the current session. Every session between the account's last session and
 * now, in order, evaluates the account's resting orders on that session's bars (`FillModel.evaluateOnBar`),
 * fills at most one order of each exit group and cancels the rest of the group, then expires the `day` orders
 * evaluated that session.
 *
 * **Gotchas**
 * - `advance` runs inside the caller's write transaction; it creates an account it does not find (at `day`,
 *   with a fresh key pair) and fails `InvalidRequest` for a session before the account's last one.
 * - It returns the account row as of `day`: the cash settled by the sessions' fills and `last_session = day`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { AccountId, OrderType, TradingDay } from "@council/domain"
import type { MarketData } from "@council/market"
import { reject } from "./ExchangeErrors.ts"
import { closeTimestamp } from "./ExchangeSession.ts"
import { evaluateOnBar, type FillModelOptions, pickExit } from "./FillModel.ts"
import { newAccountRow } from "./Keys.ts"
import type { AccountRow, Ledger, OrderRow } from "./Ledger.ts"
import type { Prices } from "./Prices.ts"
import type { Book, Settlement } from "./Settlement.ts"

const groupBy = <A>(items: ReadonlyArray<A>, key: (a: A) => string): ReadonlyArray<ReadonlyArray<A>> => {
  const groups = new Map<string, Array<A>>()
  for (const item of items) {
    const k = key(item)
    const group = groups.get(k)
    if (group) group.push(item)
    else groups.set(k, [item])
  }
  return [...groups.values()]
}

interface Candidate {
  readonly row: OrderRow
  readonly type: OrderType
  readonly price: number
}

export interface MatchingDeps {
  readonly ledger: Ledger
  readonly prices: Prices
  readonly settlement: Settlement
  readonly market: MarketData["Service"]
  readonly fillModel: FillModelOptions
  readonly initialCash: number
}

export const make = ({ fillModel, initialCash, ledger, market, prices, settlement }: MatchingDeps) => {
  /** The group's orders that would fill on `session`'s bar (stop-limits hit without filling are marked triggered). */
  const candidatesOf = Effect.fnUntraced(function*(group: ReadonlyArray<OrderRow>, session: TradingDay) {
    const candidates: Array<Candidate> = []
    for (const row of group) {
      const bar = yield* prices.barOn(row.symbol, session)
      if (bar === undefined) continue
      const resting = {
        side: row.side,
        type: row.type,
        limitPrice: row.limit_price,
        stopPrice: row.stop_price,
        triggered: row.triggered !== 0
      }
      const outcome = evaluateOnBar(resting, bar, fillModel.slippageBps)
      if (outcome._tag === "Triggered" && row.triggered === 0) yield* ledger.markTriggered(row.id, closeTimestamp(session))
      if (outcome._tag === "Fill") candidates.push({ row, type: row.type, price: outcome.price })
    }
    return candidates
  })

  /** Fills a resting order: settles it, marks it filled and activates its held legs (a bracket's or OTO's). */
  const fillResting = Effect.fnUntraced(function*(book: Book, row: OrderRow, price: number, session: TradingDay) {
    const at = closeTimestamp(session)
    const position = yield* ledger.position(row.account, row.symbol)
    yield* settlement.settle(book, row, price, session, position)
    yield* ledger.markFilled(row.id, row.qty, price, at)
    if (row.parent_id === null && (row.order_class === "bracket" || row.order_class === "oto")) {
      yield* ledger.activateLegs(row.id, session, at)
    }
  })

  /** Evaluates the account's resting orders on `session`'s bars, then expires its `day` orders. */
  const processSession = Effect.fnUntraced(function*(book: Book, session: TradingDay) {
    const at = closeTimestamp(session)
    const resting = yield* ledger.restingOrders(book.account, session)
    for (const group of groupBy(resting, (row) => row.exit_group)) {
      const chosen = pickExit(yield* candidatesOf(group, session))
      if (chosen === undefined) continue
      yield* fillResting(book, chosen.row, chosen.price, session)
      const siblings = group.filter((row) => row.id !== chosen.row.id).map((row) => row.id)
      if (siblings.length > 0) yield* ledger.cancelIds(siblings, at)
    }
    if (resting.length === 0) return
    const expiring = (yield* ledger.restingOrders(book.account, session)).filter((row) => row.time_in_force === "day")
    if (expiring.length > 0) yield* ledger.expire(expiring.map((row) => row.id), at)
  })

  /** Creates the account if needed and brings it to `day`; returns its row as of `day`. */
  const advance = Effect.fnUntraced(function*(account: AccountId, day: TradingDay) {
    let row: AccountRow | undefined = yield* ledger.accountForUpdate(account)
    if (row === undefined) {
      yield* ledger.createAccount(newAccountRow(account, day, initialCash))
      row = yield* ledger.accountForUpdate(account)
      if (row === undefined) return yield* reject(account, "ServerError", "the account was not created")
    }
    const last = row.last_session
    if (last > day) return yield* reject(account, "InvalidRequest", `the local exchange is at ${last}; cannot trade ${day}`)
    if (last === day) return row
    const book: Book = { account, cash: row.cash }
    for (const session of yield* market.sessions(last, day)) {
      if (session > last) yield* processSession(book, session)
    }
    yield* ledger.setLastSession(account, day)
    return { ...row, cash: book.cash, last_session: day }
  })

  return { advance }
}

export type Matching = ReturnType<typeof make>

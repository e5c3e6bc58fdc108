/**
 * Matching: bringing an account to the present. An account stands at a point in time (`Calendar.SessionPoint`:
 * the last open or close processed); every open and close between it and the present's point is processed, in
 * order (`FillModel` says what each does):
 * - before a session's open, the splits and cash dividends dated since the last session processed
 *   (`CorporateActions`, when given: a remote feed's; the bundled bars have none);
 * - at a session's **open**, the working exits its open already crosses fill at the open (`FillModel.openingBar`:
 *   a stop gapped through fills there, so a run later in the session finds it filled, not cancelable), then the
 *   market orders queued while the market was closed fill at the open (a queued market-on-close order starts
 *   working, to fill at the close);
 * - at its **close**, the working orders meet the session's bar (`FillModel.evaluateOnBar`: a market order fills at
 *   the close; a `day` order sent during the session meets its close alone, `FillModel.closingBar`), at most one
 *   order of each exit group fills and the rest of the group is canceled, then the `day` orders evaluated that
 *   session expire.
 *
 * **Gotchas**
 * - `advance` runs inside the caller's write transaction; it creates an account it does not find (at the present,
 *   with a fresh key pair) and fails `InvalidRequest` for a present before the account's point.
 * - It returns the account row at the present's point, with the cash its fills settled. Cash is written with the
 *   point (`Ledger.setPoint`), once; if processing fails part way, the cash the fills before the failure settled is
 *   written with the point unchanged (those fills may stand: `GroupCommit`), so the next advance resumes from there.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as SqlError from "effect/sql/SqlError"
import type { AccountId, OrderType, TradingDay } from "@council/domain"
import type { MarketData } from "@council/market"
import { closeTimestamp, openTimestamp, pointBefore, type SessionPoint } from "./Calendar.ts"
import { heldQty } from "./AccountState.ts"
import { reject } from "./ExchangeErrors.ts"
import {
  averageAfter,
  closingBar,
  evaluateOnBar,
  fillAtOpen,
  type FillModelOptions,
  fillQty,
  legsActiveAfter,
  notionalQty,
  openingBar,
  pickExit,
  restCanceledOnPartialFill,
  roundQty
} from "./FillModel.ts"
import { newAccountRow } from "./Keys.ts"
import type { AccountRow, Ledger, OrderRow, PositionRow } from "./Ledger.ts"
import type { Prices } from "./Prices.ts"
import type { Book, Settlement } from "./Settlement.ts"
import type { CorporateActions } from "./CorporateActions.ts"

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
  /** Splits and dividends, applied before each open processed (absent: none). */
  readonly corporate?: CorporateActions | undefined
}

/** The present as `advance` needs it: its point among the sessions and its ledger timestamp. */
export interface Present {
  readonly point: SessionPoint
  readonly at: string
}

const describePoint = (point: SessionPoint) => `${point.session} (${point.phase === "open" ? "during the session" : "after the close"})`

/** Filling at an open or a close: which of a group's orders fill, and what a fill writes. */
const filling = ({ fillModel, ledger, prices, settlement }: MatchingDeps) => {
  /**
   * The group's orders that would fill on `session`'s bar, or at its open alone (`at`: "open"); stop-limits hit
   * without filling are marked triggered.
   */
  const candidatesOf = (group: ReadonlyArray<OrderRow>, session: TradingDay, at: "open" | "close") => Effect.gen(function*() {
    const candidates: Array<Candidate> = []
    for (const row of group) {
      // at the open, the bar as the session's marks read it (`lastBars` of 2): `barOn` remembers what it reads, and
      // before the close a feed may know the day's open alone
      const sessionBar = at === "open"
        ? (yield* prices.lastBars(row.symbol, session, 2)).find((bar) => bar.date === session)
        : yield* prices.barOn(row.symbol, session)
      if (sessionBar === undefined) continue
      // an order resting at the close of the session it was sent in was sent during it (a `day` order): it meets
      // the close alone; a market order fills at the close all the same
      const bar = at === "open" ? openingBar(sessionBar) : row.session === session && row.type !== "market" ? closingBar(sessionBar) : sessionBar
      const resting = {
        side: row.side,
        type: row.type,
        limitPrice: row.limit_price,
        stopPrice: row.stop_price,
        triggered: row.triggered !== 0,
        // always both keys (one object shape for every resting order: this runs for each open order on each bar)
        trail: row.type === "trailing_stop" ? { price: row.trail_price, percent: row.trail_percent } : undefined,
        hwm: row.hwm
      }
      const outcome = evaluateOnBar(resting, bar, fillModel.slippageBps)
      if (outcome._tag === "Trailed") {
        yield* ledger.markTrailed(row.id, outcome.hwm, outcome.stop, at === "open" ? openTimestamp(session) : closeTimestamp(session))
      }
      if (outcome._tag === "Triggered" && row.triggered === 0) {
        yield* ledger.markTriggered(row.id, at === "open" ? openTimestamp(session) : closeTimestamp(session))
      }
      if (outcome._tag === "Fill") candidates.push({ row, type: row.type, price: outcome.price })
    }
    return candidates
  })

  /**
   * Fills a notional order whole: its shares are its dollars at `price` (`FillModel.notionalQty`), a sell's at most
   * the long position it finds less the shares the symbol's other open sells hold (a price that fell since it was
   * placed sells more shares than it held: never those another exit holds). One that would fill no share (a sell
   * whose position is gone) is canceled.
   */
  const fillNotional = (book: Book, row: OrderRow, price: number, session: TradingDay, at: string, position: PositionRow | undefined) =>
    Effect.gen(function*() {
      const shares = notionalQty(row.notional ?? 0, price)
      const others = row.side === "sell"
        ? heldQty((yield* ledger.openOrders(row.account)).filter((o) => o.symbol === row.symbol && o.id !== row.id), "sell")
        : 0
      const qty = row.side === "sell" ? Math.min(shares, roundQty(Math.max(0, (position?.qty ?? 0) - others))) : shares
      if (qty <= 0) {
        yield* ledger.cancelIds([row.id], at)
        return false
      }
      yield* settlement.settle(book, row, qty, price, session, at, position)
      yield* ledger.markFilled(row.id, qty, price, at)
      return true
    })

  /**
   * Fills an order, or the share of it `FillModel.fillQty` says: settles it and marks it (partly) filled; once it
   * filled completely, activates its held legs (a bracket's or OTO's). Returns whether it filled completely.
   */
  const fill = (
    book: Book,
    row: OrderRow,
    price: number,
    session: TradingDay,
    filledAt: "open" | "close"
  ) => Effect.gen(function*() {
    const at = filledAt === "open" ? openTimestamp(session) : closeTimestamp(session)
    const position = yield* ledger.position(row.account, row.symbol)
    if (row.notional !== null) return yield* fillNotional(book, row, price, session, at, position)
    const qty = fillQty({ type: row.type, timeInForce: row.time_in_force, qty: row.qty, filledQty: row.filled_qty }, fillModel)
    yield* settlement.settle(book, row, qty, price, session, at, position)
    const average = averageAfter(row.filled_qty, row.filled_avg_price, qty, price)
    const filled = roundQty(row.filled_qty + qty)
    if (filled < row.qty) {
      yield* ledger.markPartlyFilled(row.id, filled, average, at)
      // its held legs (a bracket's, an OTO's) go with it
      if (restCanceledOnPartialFill(row.time_in_force)) yield* ledger.cancelGroup(row.account, row.id, at)
      return false
    }
    yield* ledger.markFilled(row.id, row.qty, average, at)
    if (row.parent_id === null && (row.order_class === "bracket" || row.order_class === "oto")) {
      yield* ledger.activateLegs(row.id, legsActiveAfter(session, filledAt), at)
    }
    return true
  })

  /**
   * Meets the working orders with `session`'s bar (or its open alone): at most one order of each exit group fills,
   * the rest of the group is canceled. Returns the groups a fill closed, and the orders it filled in part only.
   */
  const fillExits = (
    book: Book,
    resting: ReadonlyArray<OrderRow>,
    session: TradingDay,
    at: "open" | "close"
  ) => Effect.gen(function*() {
    const closed = new Set<string>()
    const partly = new Set<string>()
    for (const group of groupBy(resting, (row) => row.exit_group)) {
      const chosen = pickExit(yield* candidatesOf(group, session, at))
      if (chosen === undefined) continue
      if (!(yield* fill(book, chosen.row, chosen.price, session, at))) {
        partly.add(chosen.row.id)
        continue
      }
      closed.add(chosen.row.exit_group)
      const siblings = group.filter((row) => row.id !== chosen.row.id).map((row) => row.id)
      if (siblings.length > 0) yield* ledger.cancelIds(siblings, at === "open" ? openTimestamp(session) : closeTimestamp(session))
    }
    return { closed, partly }
  })

  return { fill, fillExits }
}

export const make = (deps: MatchingDeps) => {
  const { corporate, fillModel, initialCash, ledger, market, prices } = deps
  const { fill, fillExits } = filling(deps)

  /**
   * The open of `session`: working exits its open crosses fill at it, then queued market orders; queued
   * market-on-close orders start working.
   */
  const processOpen = (book: Book, session: TradingDay) => Effect.gen(function*() {
    const working = (yield* ledger.restingOrders(book.account, session)).filter((row) => row.type !== "market")
    if (working.length > 0) yield* fillExits(book, working, session, "open")
    for (const row of yield* ledger.queuedOrders(book.account, session)) {
      if (row.time_in_force === "cls") {
        yield* ledger.markRouted(row.id, openTimestamp(session))
        continue
      }
      const bar = yield* prices.barOn(row.symbol, session)
      if (bar !== undefined) yield* fill(book, row, fillAtOpen(row.side, bar, fillModel.slippageBps), session, "open")
    }
  })

  /** The close of `session`: working orders meet its bar, then its `day` orders expire. */
  const processClose = (book: Book, session: TradingDay) => Effect.gen(function*() {
    const at = closeTimestamp(session)
    const resting = yield* ledger.restingOrders(book.account, session)
    // the groups a fill closed (its order filled, the rest canceled): none of them is still resting
    const { closed, partly } = yield* fillExits(book, resting, session, "close")
    // what rests still is the rest of `resting`: the legs a fill activated work from the next session on; a
    // market-on-close order filled in part has met its one close
    const expiring = resting.filter((row) =>
      (row.time_in_force === "day" && !closed.has(row.exit_group)) || (row.time_in_force === "cls" && partly.has(row.id)))
    if (expiring.length > 0) yield* ledger.expire(expiring.map((row) => row.id), at)
  })

  /** Processes every open and close after `from` up to `to`, in order. */
  const processBetween = (book: Book, from: SessionPoint, to: SessionPoint) => Effect.gen(function*() {
    let previous = from.session
    for (const session of yield* market.sessions(from.session, to.session)) {
      const closes = session < to.session || to.phase === "closed"
      if (session === from.session) {
        if (from.phase === "open" && closes) yield* processClose(book, session)
        continue
      }
      if (session < from.session) continue
      if (corporate !== undefined) yield* corporate.applyBefore(book, previous, session)
      previous = session
      yield* processOpen(book, session)
      if (closes) yield* processClose(book, session)
    }
  })

  /** Creates the account if needed and brings it to the present; returns its row there. */
  const advance = (account: AccountId, present: Present) => Effect.gen(function*() {
    const target = present.point
    let row: AccountRow | undefined = yield* ledger.accountForUpdate(account)
    if (row === undefined) {
      yield* ledger.createAccount(newAccountRow(account, target, present.at, initialCash))
      row = yield* ledger.accountForUpdate(account)
      if (row === undefined) return yield* reject(account, "ServerError", "the account was not created")
    }
    const current: SessionPoint = { session: row.last_session, phase: row.phase }
    if (pointBefore(target, current)) {
      if (yield* ledger.hasOrders(account)) {
        return yield* reject(
          account,
          "InvalidRequest",
          `the local exchange is at ${describePoint(current)}; cannot trade ${describePoint(target)}`
        )
      }
      // an account without an order holds no point in time (looking at it moved it): any moment may move it back
      yield* ledger.setPoint(account, target, row.cash)
      return { ...row, last_session: target.session, phase: target.phase }
    }
    if (!pointBefore(current, target)) return row
    const book: Book = { account, cash: row.cash }
    const startCash = row.cash
    // an expected failure on the way leaves the fills before it standing (`GroupCommit` commits a batch in which a
    // call failed so): their cash stands with them, at the point not reached. A database error rolls the batch
    // back instead, and so does this write failing (a defect)
    yield* processBetween(book, current, target).pipe(
      Effect.tapError((error) =>
        SqlError.isSqlError(error) || book.cash === startCash ? Effect.void : Effect.orDie(ledger.setPoint(account, current, book.cash)))
    )
    yield* ledger.setPoint(account, target, book.cash)
    return { ...row, cash: book.cash, last_session: target.session, phase: target.phase }
  })

  return { advance }
}

export type Matching = ReturnType<typeof make>

/**
 * Splits and cash dividends applied to the local exchange's accounts, so that an account on a remote feed's raw
 * bars keeps its value through them (`@council/market` `CorporateAction` says the convention).
 *
 * **When to use**: `Matching` calls `applyBefore` before each session's open it processes, inside the advance's
 * write transaction; nothing else needs it.
 *
 * **What an action does** (before the open of its ex-date, to the position held at the close before):
 * - a split multiplies the shares by its ratio and divides the average entry price by it (fractional shares stay),
 *   and cancels the symbol's open orders: their limits, stops and quantities are in the old shares (Alpaca documents
 *   nothing for a split's open orders; a canceled order is what the next run sees and places again if it wants);
 * - a cash dividend credits `shares × cash` to the account (a short pays it).
 *
 * **Gotchas**
 * - Exactly once: each (account, action) is stored in `exchange_corporate_actions` (migration 0033) with what it
 *   did, in the same transaction, and an action found there is skipped. An advance that fails part way and is run
 *   again, or a second exchange over the same database, applies nothing twice.
 * - No look-ahead: only actions with an ex-date in `(after, session]` are asked for, and the feed never reports
 *   one dated after today. A feed without actions (the bundled bars) costs one effect a session.
 * - An action the provider reports only after its ex-date has been processed is not applied later: the positions
 *   since may have been bought in the new shares. (Alpaca warns its corporate actions may come late.)
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as SqlClient from "effect/sql/SqlClient"
import type { AccountId, TradingDay } from "@council/domain"
import { CorporateAction, type MarketData } from "@council/market"
import { openTimestamp } from "./Calendar.ts"
import { roundCash, roundQty } from "./FillModel.ts"
import type { Ledger, PositionRow } from "./Ledger.ts"
import type { Book } from "./Settlement.ts"

/** A row of `exchange_corporate_actions`: what one action did to one account. */
export interface AppliedAction {
  readonly account: string
  readonly action: string
  readonly symbol: string
  readonly ex_date: string
  readonly kind: string
  readonly qty_before: number
  readonly qty_after: number
  readonly cash: number
  readonly canceled: number
  readonly applied_at: string
}

const dayAfter = (day: TradingDay): TradingDay =>
  new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10) as TradingDay

/** What `action` makes of `position` (absent: flat): the position after and the cash it pays. */
export const effectOf = (
  action: CorporateAction.CorporateAction,
  position: PositionRow | undefined
): { readonly after: { readonly qty: number; readonly avgEntryPrice: number } | undefined; readonly cash: number } => {
  if (position === undefined) return { after: undefined, cash: 0 }
  if (action.kind === "dividend") {
    return { after: { qty: position.qty, avgEntryPrice: position.avg_entry_price }, cash: roundCash(position.qty * action.cash) }
  }
  const ratio = CorporateAction.splitRatio(action)
  const qty = roundQty(position.qty * ratio)
  return {
    after: qty === 0 ? undefined : { qty, avgEntryPrice: Math.round((position.avg_entry_price / ratio) * 1e6) / 1e6 },
    cash: 0
  }
}

export const make = (deps: {
  readonly ledger: Ledger
  readonly sql: SqlClient.SqlClient
  readonly market: MarketData["Service"]
}) => {
  const { ledger, market, sql } = deps

  const applied = (account: AccountId, key: string) =>
    Effect.map(
      sql<{ readonly found: number }>`SELECT 1 AS found FROM exchange_corporate_actions WHERE account = ${account} AND action = ${key}`,
      (rows) => rows.length > 0
    )

  /** Applies one action to the account (unless it was), recording what it did. */
  const applyOne = (book: Book, action: CorporateAction.CorporateAction, session: TradingDay) => Effect.gen(function*() {
    const key = CorporateAction.actionKey(action)
    if (yield* applied(book.account, key)) return
    const at = openTimestamp(session)
    const before = yield* ledger.position(book.account, action.symbol)
    const { after, cash } = effectOf(action, before)
    if (before !== undefined && action.kind === "split") yield* ledger.writePosition(book.account, action.symbol, before, after)
    const canceled = action.kind === "split" ? (yield* ledger.cancelOpen(book.account, at, action.symbol)).length : 0
    book.cash = roundCash(book.cash + cash)
    yield* sql`INSERT INTO exchange_corporate_actions ${
      sql.insert({
        account: book.account,
        action: key,
        symbol: action.symbol,
        ex_date: action.exDate,
        kind: action.kind,
        qty_before: before?.qty ?? 0,
        qty_after: after?.qty ?? 0,
        cash,
        canceled,
        applied_at: at
      })
    }`
  })

  /**
   * Applies to the account every action with an ex-date after `after` up to `session`, before `session`'s open;
   * the book's cash moves by the dividends (writing it is the caller's).
   */
  const applyBefore = (book: Book, after: TradingDay, session: TradingDay) =>
    Effect.flatMap(market.corporateActions(dayAfter(after), session), (actions) =>
      actions.length === 0 ? Effect.void : Effect.forEach(actions, (action) => applyOne(book, action, session), { discard: true }))

  /** What the actions did to `account`, by ex-date. */
  const appliedTo = (account: AccountId) =>
    sql<AppliedAction>`SELECT * FROM exchange_corporate_actions WHERE account = ${account} ORDER BY ex_date, action`

  return { applyBefore, appliedTo }
}

export type CorporateActions = ReturnType<typeof make>

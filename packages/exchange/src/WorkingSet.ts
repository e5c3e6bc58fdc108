/**
 * An account's row, open orders, positions and latest submission stamp during one write call, so that the call reads each at most once:
 * taken from what the `ReadCache` kept when the call started, or read from the ledger on first use; then changed in
 * memory exactly as the call's own statements change the rows; and handed back (`known`) for the cache to remember
 * once the call committed. A backtest's session otherwise read an account's open orders and positions again for
 * every open, close, fill and placement, and then once more for the reads after them.
 *
 * **When to use**: `LocalExchange` wraps the ledger of every write call with `track`; `Matching`, `Settlement` and
 * `Placement` run on the wrapped ledger as on the plain one.
 *
 * **Gotchas**
 * - A working set belongs to one account and one call: every statement of the call concerns that account.
 * - What it starts from must be the database's state: `ReadCache.take` after `ReadCache.confirmLocked` inside the
 *   call's transaction (SQLite); on PostgreSQL the cache keeps nothing and the set starts empty (the account row is
 *   then read `FOR UPDATE`, which is what serializes writers there).
 * - Each mirror below repeats its statement's `WHERE` on the rows in memory; a statement that says which rows it
 *   changed (`RETURNING`) is mirrored by its answer. A statement that fails changes nothing in memory either; a
 *   call that fails is not remembered.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { type AccountId, OPEN_STATUSES, type Ticker, type TradingDay } from "@council/domain"
import type { AccountRow, CanceledRow, Ledger, OrderRow, PositionRow } from "./Ledger.ts"

/** What a write call starts from (missing: read when first needed) and what it leaves. */
export interface Known {
  readonly account?: AccountRow | undefined
  readonly open?: ReadonlyArray<OrderRow> | undefined
  readonly positions?: ReadonlyArray<PositionRow> | undefined
  /** The latest `submitted_at` of the account's orders (`Ledger.latestSubmitted`); `null`: it has none. */
  readonly latest?: string | null | undefined
}

/** The keys the `ReadCache` keeps these under (reads use the same: `LocalExchange`). */
export const KEYS = ["account", "open", "positions", "latest"] as const

/** `effect`, then `mirror` of what it answered (in memory, once the statement succeeded). */
const then = <A, E>(effect: Effect.Effect<A, E>, mirror: (a: A) => void): Effect.Effect<A, E> =>
  Effect.map(effect, (a) => {
    mirror(a)
    return a
  })

const bySymbol = (a: PositionRow, b: PositionRow) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)

/** The ledger of one write call over `start`; `known()` says what the account's rows are once the call is done. */
export const track = (ledger: Ledger, start: Known) => {
  let account = start.account
  let open = start.open
  let positions = start.positions
  let latest = start.latest

  const loadOpen = (id: AccountId) =>
    open !== undefined ? Effect.succeed(open) : Effect.map(ledger.openOrders(id), (rows) => (open = rows))
  const loadPositions = (id: AccountId) =>
    positions !== undefined ? Effect.succeed(positions) : Effect.map(ledger.positions(id), (rows) => (positions = rows))

  const changeOpen = (change: (rows: ReadonlyArray<OrderRow>) => ReadonlyArray<OrderRow>) => {
    if (open !== undefined) open = change(open)
  }
  const patch = (matches: (row: OrderRow) => boolean, values: Partial<OrderRow>) =>
    changeOpen((rows) => rows.map((row) => (matches(row) ? { ...row, ...values } : row)))
  const drop = (ids: ReadonlySet<string>) => changeOpen((rows) => rows.filter((row) => !ids.has(row.id)))
  const dropCanceled = (rows: ReadonlyArray<CanceledRow>) => drop(new Set(rows.map((row) => row.id)))

  /** Open orders of `status` active before `session`: the statements `restingOrders` and `queuedOrders` mirror. */
  const activeBefore = (...statuses: ReadonlyArray<OrderRow["status"]>) => (id: AccountId, session: TradingDay) =>
    Effect.map(loadOpen(id), (rows) =>
      rows.filter((row) => statuses.includes(row.status) && row.active_after !== null && row.active_after < session))

  const tracked: Ledger = {
    ...ledger,
    // SQLite only ever starts with the row (see the gotchas): there the transaction already holds the write lock
    accountForUpdate: (id) =>
      account !== undefined ? Effect.succeed(account) : Effect.map(ledger.accountForUpdate(id), (row) => (account = row)),
    openOrders: loadOpen,
    // an open order is the row the working set holds; any other is looked up
    orderById: (id, orderId) => {
      const row = open?.find((r) => r.id === orderId)
      return row !== undefined ? Effect.succeed(row) : ledger.orderById(id, orderId)
    },
    restingOrders: activeBefore("new", "partially_filled"),
    queuedOrders: activeBefore("accepted"),
    positions: loadPositions,
    // only `insertOrder` adds a submission stamp: the one read (or kept) is the latest until the call inserts
    latestSubmitted: (id) =>
      latest !== undefined
        ? Effect.succeed(latest ?? undefined)
        : Effect.map(ledger.latestSubmitted(id), (at) => {
          latest = at ?? null
          return at
        }),
    position: (id: AccountId, symbol: Ticker) => Effect.map(loadPositions(id), (rows) => rows.find((row) => row.symbol === symbol)),
    markRouted: (id, at) => then(ledger.markRouted(id, at), () => patch((row) => row.id === id, { status: "new", updated_at: at })),
    markTriggered: (id, at) => then(ledger.markTriggered(id, at), () => patch((row) => row.id === id, { triggered: 1, updated_at: at })),
    markTrailed: (id, hwm, stop, at) =>
      then(ledger.markTrailed(id, hwm, stop, at), () => patch((row) => row.id === id, { hwm, stop_price: stop, updated_at: at })),
    markFilled: (id, qty, price, at) => then(ledger.markFilled(id, qty, price, at), () => drop(new Set([id]))),
    markPartlyFilled: (id, filledQty, avgPrice, at) =>
      then(ledger.markPartlyFilled(id, filledQty, avgPrice, at), () =>
        patch((row) => row.id === id, { status: "partially_filled", filled_qty: filledQty, filled_avg_price: avgPrice, updated_at: at })),
    activateLegs: (parentId, activeAfter, at) =>
      then(ledger.activateLegs(parentId, activeAfter, at), () =>
        patch((row) => row.parent_id === parentId && row.status === "held", {
          status: "new",
          active_after: activeAfter as TradingDay,
          updated_at: at
        })),
    cancelIds: (ids, at) => then(ledger.cancelIds(ids, at), dropCanceled),
    cancelGroup: (id, root, at) => then(ledger.cancelGroup(id, root, at), dropCanceled),
    cancelOpen: (id, at, symbol) => then(ledger.cancelOpen(id, at, symbol), dropCanceled),
    expire: (ids, at) =>
      then(ledger.expire(ids, at), () => {
        const expired = new Set(ids)
        // the day orders expire; their held legs are canceled
        changeOpen((rows) =>
          rows.filter((row) => !expired.has(row.id) && !(row.parent_id !== null && expired.has(row.parent_id) && row.status === "held"))
        )
      }),
    insertOrder: (row) =>
      then(ledger.insertOrder(row), () => {
        if (OPEN_STATUSES.has(row.status)) changeOpen((rows) => [...rows, row])
        if (latest !== undefined && (latest === null || row.submitted_at > latest)) latest = row.submitted_at
      }),
    writePosition: (id, symbol, before, after) =>
      then(ledger.writePosition(id, symbol, before, after), () => {
        if (positions === undefined) return
        const others = positions.filter((row) => row.symbol !== symbol)
        positions = after === undefined ? others : [...others, { symbol, qty: after.qty, avg_entry_price: after.avgEntryPrice }].sort(bySymbol)
      }),
    setPoint: (id, point, cash) =>
      then(ledger.setPoint(id, point, cash), () => {
        if (account !== undefined) account = { ...account, last_session: point.session, phase: point.phase, cash }
      })
  }

  return {
    ledger: tracked,
    /** The account's rows as the call left them, where known. */
    known: (): Known => ({ account, open, positions, latest })
  }
}

/**
 * An account's Alpaca trade updates (the `trade_updates` stream's events), read from the ledger: what changed since
 * a cursor — orders submitted, fills, cancels, expiries, replacements — as the events Alpaca sends for them, in the
 * order they happened, with the order as it stood at each event.
 *
 * **When to use**: `TradeFeeds` reads an account's events with it while someone listens to the account. The ledger
 * is the journal: nothing is written for the stream, so an exchange nobody listens to pays nothing, and changes made
 * by any process over the same database are seen.
 *
 * **How it works**: a `Cursor` holds the latest order (`seq`), the latest fill (time, and the ids at that time) and
 * the open orders with their status. `read` (run in one transaction, so every statement sees the same ledger) finds
 * the orders after `seq`, the fills at or after the fill time not yet seen, the open orders now (id and status), and
 * the rows of those whose status changed or that filled; an account's fills are written in time order (it is only ever brought forward), so nothing falls
 * behind the cursor.
 * - `new` for an order submitted (`accepted` for one queued while the market is closed, `new` when it reaches the
 *   market; a bracket's held legs when the parent fills); `fill`/`partial_fill` per fill row (`execution_id` its
 *   id, `price`, `qty`, `position_qty`: the position after it); `canceled`, `expired`, `replaced`, `rejected` when an
 *   order ends so. Events of one read are ordered by time, then submission before fills before endings; a
 *   replacement's `new` follows the `replaced` of the order it replaces, a released leg's its parent's `fill`.
 *
 * **Gotchas**
 * - An order that went through states between two reads gets every event its rows show (submitted, filled, then
 *   canceled), each with the order as it was then: `filled_qty`/`filled_avg_price` as after that fill (the ledger's
 *   own running average), not as now.
 * - `position_qty` is the position now less the later fills of the same read: a split between two fills of one read
 *   is not reflected in the earlier one's.
 * - Orders are sent without nested legs; each leg has events of its own.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as SqlClient from "effect/sql/SqlClient"
import { formatDecimal } from "@council/broker/AlpacaWire"
import type { AccountId, OrderStatus } from "@council/domain"
import type { ExchangeOrder } from "../ExchangeRecords.ts"
import { averageAfter, roundQty } from "../FillModel.ts"
import * as Ledger from "../Ledger.ts"
import { decodeFills, decodeOrders, type FillRow, type OrderRow, type PositionRow } from "../LedgerRows.ts"
import * as Replacements from "../Replacements.ts"
import { wireOrder } from "./HttpWire.ts"

/** Where an account's events were read up to. */
export interface Cursor {
  /** The latest order's `seq`. */
  readonly seq: number
  /** The latest fill's time (`""`: none yet) and the ids of the fills at that time. */
  readonly fillAt: string
  readonly fillIds: ReadonlySet<string>
  /** The open orders (held and queued ones too) and their status. */
  readonly open: ReadonlyMap<string, OrderStatus>
}

/** One `trade_updates` event's `data`. */
export type TradeUpdate = Readonly<Record<string, unknown>>

interface Sequenced {
  readonly seq: number | string | bigint
}

type FillAmount = Pick<FillRow, "id" | "order_id" | "qty" | "price" | "filled_at">

/**
 * An event and where it sorts: its time, then submissions (0) before fills (1) before endings and released legs
 * (2) before the submission of a replacement (3), then `tie`.
 */
interface Pending {
  readonly at: string
  readonly rank: number
  readonly tie: number
  readonly data: TradeUpdate
}

const ENDINGS: ReadonlySet<OrderStatus> = new Set<OrderStatus>(["canceled", "expired", "replaced", "rejected", "done_for_day"])
const WORKING: ReadonlySet<OrderStatus> = new Set<OrderStatus>(["new", "partially_filled", "filled"])

const byPending = (a: Pending, b: Pending) =>
  a.at < b.at ? -1 : a.at > b.at ? 1 : a.rank !== b.rank ? a.rank - b.rank : a.tie - b.tie

const signed = (fill: FillRow) => (fill.side === "buy" ? fill.qty : -fill.qty)

type Push = (at: string, rank: number, tie: number, data: TradeUpdate) => void

/** An order as wire JSON; `withEnding`: with its `replaced_by`/`replaced_at` (else only its `replaces`). */
const wireAt = (order: ExchangeOrder, links: ReadonlyArray<Replacements.ReplacementLink>, withEnding: boolean) =>
  wireOrder(order, withEnding ? links : links.filter((link) => link.replacement === order.id))

/** The order before anything filled or ended it, in `status` at `at`. */
const unfilled = (order: ExchangeOrder, status: OrderStatus, at: string): ExchangeOrder => ({
  ...order,
  status,
  filledQty: 0,
  filledAvgPrice: null,
  filledAt: null,
  canceledAt: null,
  expiredAt: null,
  updatedAt: at
})

/** What `changes` found since a cursor. */
interface Changes {
  /** Orders submitted since, in order, with their `seq`. */
  readonly added: ReadonlyArray<{ readonly row: OrderRow; readonly seq: number }>
  /** Fills since, in execution order. */
  readonly fills: ReadonlyArray<FillRow>
  /** The current rows of the added orders and of those whose status changed or that filled. */
  readonly rows: ReadonlyArray<OrderRow>
  /** The open orders now, with their status. */
  readonly open: ReadonlyMap<string, OrderStatus>
  /** Every fill of the orders filled since, earlier ones too, in execution order. */
  readonly orderFills: ReadonlyArray<FillAmount>
  readonly positions: ReadonlyArray<PositionRow>
  readonly links: ReadonlyArray<Replacements.ReplacementLink>
}

/** The order submitted, routed (leaving `accepted` or `held`) and ended events of each order read. */
const lifecycleEvents = (cursor: Cursor, found: Changes, push: Push, fillsOf: ReadonlyMap<string, ReadonlyArray<FillRow>>) => {
  const { links } = found
  const addedIds = new Set(found.added.map(({ row }) => row.id))
  // events of one moment and kind in submission order (an account's submission stamps are distinct)
  const bySubmission = [...found.rows].sort((a, b) => (a.submitted_at < b.submitted_at ? -1 : a.submitted_at > b.submitted_at ? 1 : 0))
  for (const [tie, row] of bySubmission.entries()) {
    const order = Ledger.toExchangeOrder(row)
    const isNew = addedIds.has(row.id)
    // what the order was when last seen: a new one as it was submitted (queued, held, or at the market)
    const before: OrderStatus | undefined = isNew
      ? row.status === "accepted" || row.status === "held" ? row.status : "new"
      : cursor.open.get(row.id)
    if (before === undefined) continue
    const fills = fillsOf.get(row.id) ?? []
    if (isNew && before !== "held") {
      // a replacement comes after the `replaced` of the order it replaces (the same moment)
      const rank = links.some((link) => link.replacement === row.id) ? 3 : 0
      push(row.submitted_at, rank, tie, { event: before, timestamp: row.submitted_at, order: wireAt(unfilled(order, before, row.submitted_at), links, false) })
    }
    if ((before === "accepted" || before === "held") && (WORKING.has(row.status) || fills.length > 0)) {
      const at = fills[0]?.filled_at ?? row.updated_at
      // a queued order reaches the market before it fills; a held leg is released by its parent's fill
      push(at, before === "held" ? 2 : 0, tie, { event: "new", timestamp: at, order: wireAt(unfilled(order, "new", at), links, false) })
    }
    if (ENDINGS.has(row.status) && before !== row.status) {
      const at = row.status === "canceled" ? row.canceled_at : row.status === "expired" ? row.expired_at : undefined
      const when = at ?? links.find((link) => link.replaced === row.id)?.at ?? row.updated_at
      push(when, 2, tie, { event: row.status, timestamp: when, order: wireAt(order, links, true) })
    }
  }
}

/** A fill or partial fill event per fill: the order as after it, the position after it (now, less the later fills). */
const fillEvents = (found: Changes, push: Push, fillsOf: ReadonlyMap<string, ReadonlyArray<FillRow>>) => {
  const positionNow = new Map(found.positions.map((p) => [p.symbol as string, p.qty]))
  const later = new Map<string, number>()
  const rowOf = new Map(found.rows.map((r) => [r.id, r]))
  const running = new Map<string, { readonly qty: number; readonly average: number | null }>()
  const states = new Map<string, { readonly qty: number; readonly average: number }>()
  for (const f of found.orderFills) {
    const state = running.get(f.order_id) ?? { qty: 0, average: null }
    const next = { qty: roundQty(state.qty + f.qty), average: averageAfter(state.qty, state.average, f.qty, f.price) }
    running.set(f.order_id, next)
    states.set(f.id, next)
  }
  for (let i = found.fills.length - 1; i >= 0; i--) {
    const f = found.fills[i]!
    const row = rowOf.get(f.order_id)
    if (row === undefined) continue
    const position = roundQty((positionNow.get(f.symbol) ?? 0) - (later.get(f.symbol) ?? 0))
    later.set(f.symbol, (later.get(f.symbol) ?? 0) + signed(f))
    const state = states.get(f.id) ?? { qty: row.filled_qty, average: row.filled_avg_price ?? f.price }
    const filled = fillsOf.get(f.order_id)?.at(-1)?.id === f.id && row.status === "filled"
    const order: ExchangeOrder = {
      ...Ledger.toExchangeOrder(row),
      status: filled ? "filled" : "partially_filled",
      filledQty: state.qty,
      filledAvgPrice: state.average,
      filledAt: filled ? f.filled_at : null,
      canceledAt: null,
      expiredAt: null,
      updatedAt: f.filled_at
    }
    push(f.filled_at, 1, i, {
      event: filled ? "fill" : "partial_fill",
      timestamp: f.filled_at,
      order: wireAt(order, found.links, false),
      price: formatDecimal(f.price),
      qty: formatDecimal(f.qty),
      position_qty: formatDecimal(position),
      execution_id: f.id
    })
  }
}

/** The events of what changed since `cursor`, in the order they happened, and the cursor after them. */
const eventsOf = (cursor: Cursor, found: Changes) => {
  const pending: Array<Pending> = []
  const push: Push = (at, rank, tie, data) => pending.push({ at, rank, tie, data })
  const fillsOf = new Map<string, Array<FillRow>>()
  for (const f of found.fills) fillsOf.set(f.order_id, [...(fillsOf.get(f.order_id) ?? []), f])
  lifecycleEvents(cursor, found, push, fillsOf)
  fillEvents(found, push, fillsOf)
  const fillAt = found.fills.at(-1)?.filled_at ?? cursor.fillAt
  const fillIds = new Set(fillAt === cursor.fillAt ? cursor.fillIds : [])
  for (const f of found.fills) if (f.filled_at === fillAt) fillIds.add(f.id)
  const seq = found.added.reduce((max, a) => Math.max(max, a.seq), cursor.seq)
  return {
    events: pending.sort(byPending).map((p) => p.data),
    cursor: { seq, fillAt, fillIds, open: found.open } satisfies Cursor
  }
}

export const make = (sql: SqlClient.SqlClient) => {
  const ledger = Ledger.make(sql)
  const replacements = Replacements.make(sql)

  /** The account's open orders and their status (two columns, off the partial index of open orders). */
  const openOrders = (account: AccountId) =>
    Effect.map(
      sql<{ readonly id: string; readonly status: OrderStatus }>`SELECT id, status FROM exchange_orders
        WHERE account = ${account} AND ${sql.literal(Ledger.IS_OPEN)}`,
      (rows): ReadonlyMap<string, OrderStatus> => new Map(rows.map((r) => [r.id, r.status]))
    )

  /** The cursor at the ledger's present: events after it are what happens from now on. */
  const start = (account: AccountId) =>
    Effect.gen(function*() {
      const [latest] = yield* sql<{ readonly seq: number | string | null }>`SELECT MAX(seq) AS seq FROM exchange_orders WHERE account = ${account}`
      const [lastFill] = yield* sql<{ readonly at: string | null }>`SELECT MAX(filled_at) AS at FROM exchange_fills WHERE account = ${account}`
      const fillAt = lastFill?.at ?? ""
      const atLast = fillAt === ""
        ? []
        : yield* sql<{ readonly id: string }>`SELECT id FROM exchange_fills WHERE account = ${account} AND filled_at = ${fillAt}`
      return {
        seq: Number(latest?.seq ?? 0),
        fillAt,
        fillIds: new Set(atLast.map((r) => r.id)),
        open: yield* openOrders(account)
      } satisfies Cursor
    })

  /** What changed since `cursor`: the rows `eventsOf` makes the events of; `undefined` when nothing did. */
  const changes = (account: AccountId, cursor: Cursor) =>
    Effect.gen(function*() {
      const added = yield* sql<Sequenced>`SELECT ${sql.literal(Ledger.ORDER_SELECT)}, seq FROM exchange_orders
        WHERE account = ${account} AND seq > ${cursor.seq} ORDER BY seq`
      const addedRows = yield* decodeOrders(added)
      const fills = (yield* sql<FillRow>`SELECT f.id, f.order_id, o.client_order_id, f.account, f.symbol, f.side, f.qty,
        f.price, f.commission, f.filled_at FROM exchange_fills f JOIN exchange_orders o ON o.id = f.order_id
        WHERE f.account = ${account} AND f.filled_at >= ${cursor.fillAt} ORDER BY f.filled_at, o.seq, f.id`)
        .filter((f) => !(f.filled_at === cursor.fillAt && cursor.fillIds.has(f.id)))
      yield* decodeFills(fills)
      // the rows of the orders whose status changed (ended, released, routed) or that filled; the added ones are read
      const open = yield* openOrders(account)
      const addedIds = new Set(addedRows.map((r) => r.id))
      const changed = [...cursor.open].filter(([id, status]) => open.get(id) !== status).map(([id]) => id)
      const others = [...new Set([...changed, ...fills.map((f) => f.order_id)])].filter((id) => !addedIds.has(id))
      if (added.length === 0 && others.length === 0) return undefined
      const rows = [...addedRows, ...(others.length === 0 ? [] : yield* ledger.ordersByIds(account, others))]
      // every fill of the filled orders, for each fill's running quantity and average (as `Matching` keeps them)
      const filledIds = [...new Set(fills.map((f) => f.order_id))]
      const orderFills = filledIds.length === 0 ? [] : yield* sql<FillAmount>`SELECT f.id, f.order_id, f.qty, f.price, f.filled_at
        FROM exchange_fills f WHERE f.account = ${account} AND f.order_id IN ${sql.in(filledIds)} ORDER BY f.filled_at, f.id`
      return {
        added: added.map((r, i) => ({ row: addedRows[i]!, seq: Number(r.seq) })),
        fills,
        rows,
        open,
        orderFills,
        positions: yield* ledger.positions(account),
        links: yield* replacements.linksOf(account, rows.map((r) => r.id))
      } satisfies Changes
    })

  /** The events after `cursor`, in order, and the cursor after them (run it in one transaction). */
  const read = (account: AccountId, cursor: Cursor) =>
    Effect.map(changes(account, cursor), (found) =>
      found === undefined ? { events: [] as ReadonlyArray<TradeUpdate>, cursor } : eventsOf(cursor, found))

  return { start, read }
}

export type TradeEvents = ReturnType<typeof make>

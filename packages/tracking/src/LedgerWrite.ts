/**
 * How `TradeLedger.record` writes a reconciliation into a book: which orders changed since the ledger last saw them
 * (`unchanged`), the status history each one gains (`historyOf`), and the upserts of orders, their events, fills,
 * snapshots and marks. Only `TradeLedger` calls `writeReconciliation`, inside its transaction, with the book's key.
 */
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import { FillRows, orderColumns, OrderRows, positionsText, snapshotColumns, SnapshotRows } from "./LedgerRows.ts"
import { type BookKey, CHUNK, excluded, type LedgerSql, textBuilder } from "./LedgerSql.ts"
import type { EquitySnapshot, LedgerFill, LedgerOrder, Reconciliation, SessionMarks } from "./LedgerRecords.ts"
import { momentOf, MOMENTS, storedMoment, storeMoments } from "./LedgerMoments.ts"

/**
 * What the ledger holds of an order: its row's columns (`orderColumns`, `status_at`), among them its state (status,
 * filled qty) and since when (see `historyOf`); moments as stored (`LedgerMoments`).
 */
interface StoredState {
  readonly status: string
  readonly filled_qty: number
  readonly updated_at: string
  readonly status_at: string | null
  readonly [column: string]: unknown
}

/** The columns an order's upsert sets. */
const upsertedColumns = [...orderColumns, "status_at"]

/**
 * Whether writing `row` (an encoded order with its `status_at`) over `stored` would change nothing: every column
 * the upsert sets holds the same value already. (PostgreSQL may read numbers back as text.)
 */
const unchanged = (row: Record<string, unknown>, stored: StoredState | undefined) =>
  stored !== undefined &&
  upsertedColumns.every((column) => {
    const value = row[column] ?? null
    const held = stored[column] ?? null
    return value === held || (typeof value === "number" && held !== null && Number(held) === value)
  })

/**
 * The status history an order gains from a view of it (`order`), given what the ledger holds (`stored`): the events
 * to add and the view's `status_at`. The ledger keeps an order's current (status, filled qty) on the order itself,
 * with `status_at` when it was first seen (null: the order's `updated_at`); an event row holds every other pair.
 * - a new order: no event;
 * - the same pair: no event; a newer view keeps when the pair was first seen;
 * - another pair: the stored pair becomes an event, and the view's pair the order's; a view older than the stored
 *   one (which the order does not take) is an event instead.
 */
const historyOf = (order: LedgerOrder, stored: StoredState | undefined) => {
  if (stored === undefined) return { statusAt: null, events: [] }
  const first = momentOf(stored.status_at ?? stored.updated_at)
  if (order.status === stored.status && order.filledQty === stored.filled_qty) {
    return { statusAt: first === order.updatedAt ? null : first, events: [] }
  }
  const stale = order.updatedAt < momentOf(stored.updated_at)
  const event = stale
    ? { status: order.status, filled_qty: order.filledQty, at: order.updatedAt }
    : { status: stored.status, filled_qty: stored.filled_qty, at: first }
  return { statusAt: null, events: [event] }
}

const storedColumns = upsertedColumns.map((c) => `o.${c}`).join(", ")

const encodeSnapshots = (snapshots: ReadonlyArray<EquitySnapshot>) =>
  Effect.map(SnapshotRows.encode(snapshots), (rows) =>
    rows.map((row) => ({ ...storeMoments(row, MOMENTS.equity), positions: positionsText(row.positions) })))

const encodeMarks = (marks: ReadonlyArray<SessionMarks>) =>
  Effect.succeed(marks.map((m) => ({ session: m.session, marked_at: storedMoment(m.markedAt), prices: JSON.stringify(m.prices) })))

const encodeFills = (fills: ReadonlyArray<LedgerFill>) =>
  Effect.map(FillRows.encode(fills), (rows) => rows.map((row) => storeMoments(row, MOMENTS.fills)))

/** Writes reconciliations with the ledger's statements: `(book, r)` writes `r` into the book keyed `book`; idempotent. */
export const writeReconciliation = ({ pg, run, upsert }: LedgerSql) => {
  /** The stored rows of the given orders (of the book keyed `book`), by account and id. */
  const storedStates = (book: BookKey, orders: ReadonlyArray<LedgerOrder>) =>
    Effect.map(
      Effect.forEach(Arr.chunksOf(orders, CHUNK), (chunk) => {
        const text = textBuilder(pg)
        const values = text.tuples(chunk.map((order) => [order.account, order.id]))
        return run<StoredState & { readonly account: string; readonly order_id: string }>(
          `SELECT o.account, o.order_id, ${storedColumns} FROM (VALUES ${values}) AS v
          JOIN ledger_orders o ON o.book = ${text.bind(book)} AND o.account = v.column1 AND o.order_id = v.column2`,
          text.params
        )
      }),
      (chunks) => new Map(chunks.flat().map((row) => [`${row.account} ${row.order_id}`, { ...row, filled_qty: Number(row.filled_qty) }]))
    )

  /** The orders to write (those the ledger does not hold as they are), each with its row and the history it gains. */
  const changedOrders = (book: BookKey, orders: ReadonlyArray<LedgerOrder>) =>
    Effect.gen(function*() {
      const stored = orders.length === 0 ? new Map<string, StoredState>() : yield* storedStates(book, orders)
      // in order, each view seeing what the ones before it wrote (as the upsert's rows do)
      const encoded = yield* OrderRows.encode(orders)
      const views = orders.map((order, i) => {
        const key = `${order.account} ${order.id}`
        const before = stored.get(key)
        const history = historyOf(order, before)
        const row = storeMoments({ ...encoded[i]!, status_at: history.statusAt }, MOMENTS.orders)
        // an order read again as the ledger holds it (most of a reconciliation: the orders around its cursor, the
        // open ones) is not written again: the upsert would set every column to its value
        const same = unchanged(row, before)
        if (!same && (before === undefined || order.updatedAt >= momentOf(before.updated_at))) {
          stored.set(key, { ...row, status: order.status, filled_qty: order.filledQty })
        }
        return { order, history, row, same }
      })
      return views.filter((v) => !v.same)
    })

  return (book: BookKey, r: Reconciliation) =>
    Effect.gen(function*() {
      const written = yield* changedOrders(book, r.orders)
      yield* upsert(
        (chunk: ReadonlyArray<(typeof written)[number]>) => Effect.succeed(chunk.map((v) => v.row)),
        written,
        book,
        "ledger_orders",
        `ON CONFLICT (book, account, order_id) DO UPDATE SET ${excluded(upsertedColumns)}
          WHERE excluded.updated_at >= ledger_orders.updated_at`
      )
      const events = written.flatMap((v) => v.history.events.map((e) => ({ account: v.order.account, order_id: v.order.id, ...e, at: storedMoment(e.at) })))
      yield* upsert(Effect.succeed, events, book, "ledger_order_events", "ON CONFLICT (book, account, order_id, status, filled_qty) DO NOTHING")
      yield* upsert(encodeFills, r.fills, book, "ledger_fills", "ON CONFLICT (book, account, fill_id) DO NOTHING")
      yield* upsert(
        encodeSnapshots,
        r.snapshots,
        book,
        "ledger_equity",
        `ON CONFLICT (book, account, session) DO UPDATE SET ${excluded(snapshotColumns)} WHERE excluded.taken_at >= ledger_equity.taken_at`
      )
      yield* upsert(encodeMarks, r.marks ?? [], book, "ledger_marks", "ON CONFLICT (book, session, marked_at) DO NOTHING")
    })
}

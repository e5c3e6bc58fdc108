/**
 * The trade ledger's reads of orders (`orders`: each with its status history and its legs) and of where each
 * account's next reconciliation starts (`cursors`), as functions of the client. `TradeLedger` gives them their spans
 * and turns their errors into `LedgerError`s.
 *
 * @since 0.1.0
 */
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as SqlClient from "effect/sql/SqlClient"
import { type AccountId, OPEN_STATUSES } from "@council/domain"
import type { AccountCursor, BookId, LedgerOrder, OrderEvent, OrdersQuery, OrderView } from "./LedgerRecords.ts"
import { MOMENTS, momentOf, readMoments } from "./LedgerMoments.ts"
import { bookIs, windowOf } from "./LedgerReads.ts"
import { EventRow, orderColumns, OrderRow } from "./LedgerRows.ts"
import { CHUNK, keyOf, textBuilder } from "./LedgerSql.ts"

/** Events by time, then filled qty, then status (the order of their primary key). */
const byTime = (a: OrderEvent, b: OrderEvent) =>
  a.at < b.at ? -1 : a.at > b.at ? 1 : a.filledQty - b.filledQty || (a.status < b.status ? -1 : a.status > b.status ? 1 : 0)

// word for word the predicate of the partial index of open orders (`ledger_orders_open`, migration 0010)
const OPEN = `status IN (${[...OPEN_STATUSES].map((s) => `'${s}'`).join(", ")})`

/**
 * The calendar day after `day` (`YYYY-MM-DD`): every moment whose day is at most `day` sorts before it. `undefined`
 * for no day, or one without a next day of that form.
 */
export const dayAfter = (day: string | undefined): string | undefined => {
  if (day === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined
  const next = Date.parse(`${day}T00:00:00Z`) + 86_400_000
  const text = Number.isNaN(next) ? "" : new Date(next).toISOString().slice(0, 10)
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && text > day ? text : undefined
}

const decodeOrders = Schema.decodeUnknownEffect(Schema.Array(OrderRow))
const decodeEvents = Schema.decodeUnknownEffect(Schema.Array(EventRow))

/** The top-level orders of `q`, newest first (at most `q.limit`, 500 unless given), each with its history and legs. */
export const orders = (sql: SqlClient.SqlClient, q: OrdersQuery) =>
  Effect.gen(function*() {
      const open = sql.literal(OPEN)
      const before = dayAfter(q.to)
      const filters = [
        ...windowOf(sql, q, "substr(submitted_at, 1, 10)"),
        // the same window as a range of `submitted_at` (implied by the days': no other rows), so that with an
        // account `ledger_orders_submitted` reads the window's orders, not all the account's
        ...(q.from === undefined ? [] : [sql`submitted_at >= ${q.from}`]),
        ...(before === undefined ? [] : [sql`submitted_at < ${before}`]),
        sql`parent_order_id IS NULL`,
        ...(q.status === "open" ? [open] : q.status === "closed" ? [sql`NOT (${open})`] : [])
      ]
      // a literal limit: a bound one re-prepares the statement on every run on SQLite (see the exchange's Ledger)
      const wanted = Math.floor(q.limit ?? 500)
      const limit = sql.literal(String(Number.isNaN(wanted) ? 0 : Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, wanted))))
      const columns = sql.literal(`account, order_id, ${orderColumns.join(", ")}, status_at`)
      const parentRows = readMoments(
        yield* sql<Record<string, unknown>>`SELECT ${columns} FROM ledger_orders
          WHERE ${sql.and(filters)} ORDER BY submitted_at DESC, order_id DESC LIMIT ${limit}`,
        MOMENTS.orders
      )
      if (parentRows.length === 0) return []
      const parents = yield* decodeOrders(parentRows)
      const ids = parents.map((p) => p.id)
      const legRows = readMoments((yield* Effect.forEach(Arr.chunksOf(ids, CHUNK), (chunk) =>
        sql<Record<string, unknown>>`SELECT ${columns} FROM ledger_orders
          WHERE ${bookIs(sql, q.book)} AND ${sql.in("parent_order_id", chunk)} ORDER BY order_id`)).flat(), MOMENTS.orders)
      const legs = yield* decodeOrders(legRows)
      const all = [...ids, ...legs.map((l) => l.id)]
      const events = (yield* Effect.forEach(Arr.chunksOf(all, CHUNK), (chunk) =>
        sql`SELECT account, order_id, status, filled_qty, at FROM ledger_order_events
          WHERE ${bookIs(sql, q.book)} AND ${sql.in("order_id", chunk)}`.pipe(Effect.flatMap((rows) => decodeEvents(readMoments(rows, MOMENTS.events)))))).flat()
      const decoded = [...parents, ...legs]
      const statusAt = new Map([...parentRows, ...legRows].map((row, i) => [decoded[i]!, row["status_at"] as string | null]))
      const eventsOf = Arr.groupBy(events, (e) => `${e.account} ${e.orderId}`)
      /** The order's events, and its current pair unless an event holds it (see `historyOf`), by time then filled qty. */
      const historyFor = (o: LedgerOrder): Array<OrderEvent> => {
        const history = (eventsOf[`${o.account} ${o.id}`] ?? []).map(({ at, filledQty, status }): OrderEvent => ({ status, filledQty, at }))
        if (!history.some((e) => e.status === o.status && e.filledQty === o.filledQty)) {
          history.push({ status: o.status, filledQty: o.filledQty, at: statusAt.get(o) ?? o.updatedAt })
        }
        return history.sort(byTime)
      }
      return parents.map((p): OrderView => ({
        ...p,
        history: historyFor(p),
        legs: legs.filter((l) => l.account === p.account && l.parentId === p.id).map((l) => ({ ...l, history: historyFor(l) }))
      }))
  })

/** Where each account's next reconciliation starts (see `LedgerCursor`), in the order of `accounts`. */
export const cursors = (sql: SqlClient.SqlClient, pg: boolean, book: BookId, accounts: ReadonlyArray<AccountId>) =>
  Effect.gen(function*() {
      if (accounts.length === 0) return []
      // each account's latest order and fill: the last entry of its index, read backwards (a MAX … GROUP BY walked
      // every row of the account, so a backtest's every session cost more than the one before)
      const latestText = textBuilder(pg)
      const latest = yield* sql.unsafe<{ account: string; last_order: string | null; last_fill: string | null }>(
        `SELECT v.column1 AS account,
          (SELECT o.submitted_at FROM ledger_orders o WHERE o.book = ${keyOf(latestText.bind(book))} AND o.account = v.column1
            AND o.parent_order_id IS NULL ORDER BY o.submitted_at DESC LIMIT 1) AS last_order,
          (SELECT f.at FROM ledger_fills f WHERE f.book = ${keyOf(latestText.bind(book))} AND f.account = v.column1 ORDER BY f.at DESC LIMIT 1) AS last_fill
        FROM (VALUES ${latestText.tuples(accounts.map((account) => [account]))}) AS v`,
        latestText.params
      )
      const openText = textBuilder(pg)
      // SQLite: since `0032_ledger_compact` the table is stored in its key's order (book, account, order id), and the
      // planner, without statistics, would walk every order of the accounts by that key rather than the few open ones
      const open = yield* sql.unsafe<{ account: string; id: string }>(
        `SELECT DISTINCT account, COALESCE(parent_order_id, order_id) AS id FROM ledger_orders${pg ? "" : " INDEXED BY ledger_orders_open"}
        WHERE book = ${keyOf(openText.bind(book))} AND account IN (${accounts.map(openText.bind).join(", ")}) AND ${OPEN} ORDER BY account, id`,
        openText.params
      )
      return accounts.map((account): AccountCursor => ({
        account,
        ordersAfter: momentOf(latest.find((r) => r.account === account)?.last_order ?? null),
        fillsAfter: momentOf(latest.find((r) => r.account === account)?.last_fill ?? null),
        open: open.filter((r) => r.account === account).map((r) => r.id)
      }))
  })

/**
 * The trade ledger's reads of snapshots, fills, marks and books, as functions of the client: each a statement or two
 * and the decoding of its rows. `TradeLedger` gives them their spans and turns their errors into `LedgerError`s.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as SqlClient from "effect/sql/SqlClient"
import { BookId, type EquitySnapshot, SessionMarks, type Window } from "./LedgerRecords.ts"
import { MOMENTS, momentOf, readMoments } from "./LedgerMoments.ts"
import {
  BookSummaryRow,
  FillRow,
  positionsOf,
  seriesColumns,
  SeriesColumnsRow,
  seriesOf,
  snapshotColumns,
  snapshotOf,
  SnapshotRow,
  TradedRow
} from "./LedgerRows.ts"
import { tradedPerSnapshot } from "./TradedSince.ts"

/** `book = ` the key of the book `id`. */
export const bookIs = (sql: SqlClient.SqlClient, id: BookId) => sql`book = (SELECT short_id FROM ledger_books WHERE id = ${id})`

export const windowOf = (sql: SqlClient.SqlClient, w: Window, day: string) => [
  bookIs(sql, w.book),
  ...(w.account === undefined ? [] : [sql`account = ${w.account}`]),
  ...(w.from === undefined ? [] : [sql`${sql.literal(day)} >= ${w.from}`]),
  ...(w.to === undefined ? [] : [sql`${sql.literal(day)} <= ${w.to}`])
]

const decodeSnapshotRows = Schema.decodeUnknownEffect(Schema.Array(SnapshotRow))
/** The rows as snapshots: checked by guards (a full-range book holds ~29,000), by the schema if one fails. */
const decodeSnapshots = (stored: ReadonlyArray<Record<string, unknown>>) => {
  const rows = readMoments(stored, MOMENTS.equity)
  const positions = rows.map((row) => positionsOf(row["positions"]))
  const snapshots = rows.map((row, i) => snapshotOf(row, positions[i]))
  return snapshots.every((s): s is EquitySnapshot => s !== undefined)
    ? Effect.succeed(snapshots)
    : decodeSnapshotRows(rows.map((row, i) => ({ ...row, positions: positions[i] })))
}
const decodeTraded = Schema.decodeUnknownEffect(Schema.Array(TradedRow))
const decodeSeriesRows = Schema.decodeUnknownEffect(Schema.Array(SeriesColumnsRow))
/** The rows as `SeriesRow`s but `traded`: checked by guards, by the schema if one fails. */
const decodeSeries = (stored: ReadonlyArray<Record<string, unknown>>) => {
  const rows = readMoments(stored, MOMENTS.equity)
  const series = rows.map(seriesOf)
  return series.every((s) => s !== undefined)
    ? Effect.succeed(series)
    : decodeSeriesRows(rows)
}
/**
 * `rows` (snapshots of `w`), each with what its account traded since its previous snapshot (`tradedPerSnapshot`):
 * dollars bought plus sold in its session and in the sessions without a snapshot since the account's previous one,
 * before the window included. The fills read start after the earliest of the rows' accounts' snapshots before the
 * window (none are read for no rows): a window of the last days of a long book (a run's `recordedAfter`) reads its
 * days, not the book's history.
 */
const withTraded = <Row extends { readonly account: string; readonly session: string }>(sql: SqlClient.SqlClient, w: Window, rows: ReadonlyArray<Row>) =>
  Effect.gen(function*() {
    if (rows.length === 0) return []
    const unbounded = { ...w, from: undefined }
    const before = w.from === undefined ? [] : yield* sql<{ readonly account: string; readonly session: string }>`SELECT account,
      MAX(session) AS session FROM ledger_equity WHERE ${sql.and([...windowOf(sql, { ...unbounded, to: undefined }, "session"), sql`session < ${w.from}`])}
      GROUP BY account`
    const floors = new Map(before.map((b) => [b.account, b.session]))
    const rowFloors = rows.map((row) => floors.get(row.account))
    const floor = rowFloors.some((f) => f === undefined) ? undefined : rowFloors.reduce((a, b) => (b! < a! ? b : a))
    const traded = yield* decodeTraded(
      yield* sql`SELECT account, session, SUM(qty * price) AS traded FROM ledger_fills WHERE ${
        sql.and([...windowOf(sql, unbounded, "session"), ...(floor === undefined ? [] : [sql`session > ${floor}`])])
      } GROUP BY account, session`
    )
    const byKey = tradedPerSnapshot(rows, traded, floors)
    return rows.map((row) => ({ ...row, traded: byKey.get(`${row.account} ${row.session}`) ?? 0 }))
  })

/** The window's snapshots (`columns` of them, as `decode` reads them), with their traded dollars, by account then session. */
const snapshotsOf = <Row extends { readonly account: string; readonly session: string }, E>(
  sql: SqlClient.SqlClient,
  w: Window,
  columns: ReadonlyArray<string>,
  decode: (rows: ReadonlyArray<Record<string, unknown>>) => Effect.Effect<ReadonlyArray<Row>, E>
) =>
  Effect.gen(function*() {
    const rows = yield* decode(
      yield* sql<Record<string, unknown>>`SELECT account, session, ${sql.literal(columns.join(", "))} FROM ledger_equity
        WHERE ${sql.and(windowOf(sql, w, "session"))} ORDER BY account, session`
    )
    return yield* withTraded(sql, w, rows)
  })

/** Snapshots with their traded dollars, by account then session. */
export const equity = (sql: SqlClient.SqlClient, w: Window) => snapshotsOf(sql, w, snapshotColumns, decodeSnapshots)

/** `equity` without the positions (not read at all). */
export const series = (sql: SqlClient.SqlClient, w: Window) => snapshotsOf(sql, w, seriesColumns, decodeSeries)

const decodeFills = Schema.decodeUnknownEffect(Schema.Array(FillRow))

/** By account, then session, then time. */
export const fills = (sql: SqlClient.SqlClient, w: Window) =>
  Effect.gen(function*() {
    return yield* decodeFills(readMoments(
      // fills at the same moment (a close and an open of one run, both at the close) in the order they were sent:
      // by their orders' submission and client order id — deterministic, unlike the broker's fill ids
      yield* sql<Record<string, unknown>>`SELECT account, fill_id, order_id, symbol, side, qty, price, commission, session, at FROM ledger_fills f
        WHERE ${sql.and(windowOf(sql, w, "session"))}
        ORDER BY account, session, at,
          (SELECT o.submitted_at FROM ledger_orders o WHERE o.book = f.book AND o.account = f.account AND o.order_id = f.order_id),
          (SELECT o.client_order_id FROM ledger_orders o WHERE o.book = f.book AND o.account = f.account AND o.order_id = f.order_id),
          fill_id`,
      MOMENTS.fills
    ))
  })

const decodeMarks = Schema.decodeUnknownEffect(Schema.Array(SessionMarks))

/** The prices snapshots were marked at, by session then moment (the book's: `account` is ignored). */
export const marks = (sql: SqlClient.SqlClient, w: Window) =>
  Effect.gen(function*() {
    const rows = yield* sql<{ session: string; marked_at: string; prices: string }>`SELECT session, marked_at, prices FROM ledger_marks
      WHERE ${sql.and(windowOf(sql, { ...w, account: undefined }, "session"))} ORDER BY session, marked_at`
    return yield* decodeMarks(rows.map((row) => ({ session: row.session, markedAt: momentOf(row.marked_at), prices: JSON.parse(row.prices) as unknown })))
  })

const decodeSummaries = Schema.decodeUnknownEffect(Schema.Array(BookSummaryRow))

/** The books `filter` keeps with their counts of accounts and sessions: the live book first, then backtests newest first. */
export const summaries = (sql: SqlClient.SqlClient, filter: ReturnType<SqlClient.SqlClient["and"]>) =>
  Effect.flatMap(
    sql`SELECT b.id, b.kind, b.label, b.from_day, b.to_day, b.status, b.created_at, b.updated_at, b.params,
        CAST(COUNT(DISTINCT e.account) AS INTEGER) AS accounts, CAST(COUNT(DISTINCT e.session) AS INTEGER) AS sessions,
        MIN(e.session) AS first_session, MAX(e.session) AS last_session
      FROM ledger_books b LEFT JOIN ledger_equity e ON e.book = b.short_id
      WHERE ${filter}
      GROUP BY b.id, b.kind, b.label, b.from_day, b.to_day, b.status, b.created_at, b.updated_at, b.params
      ORDER BY CASE WHEN b.kind = 'live' THEN 0 ELSE 1 END, b.created_at DESC, b.id DESC`,
    decodeSummaries
  )

/**
 * One page of the backtests, newest first: at most `limit`, those after `before` (the previous page's last id) when
 * given — none when no book has that id. Counts only the page's books' sessions.
 */
export const backtestPage = (sql: SqlClient.SqlClient, page: { readonly limit: number; readonly before?: BookId | undefined }) =>
  Effect.gen(function*() {
    const after = page.before === undefined ? [] : [
      sql`(created_at < (SELECT created_at FROM ledger_books WHERE id = ${page.before})
        OR (created_at = (SELECT created_at FROM ledger_books WHERE id = ${page.before}) AND id < ${page.before}))`
    ]
    const ids = yield* sql<{ readonly id: string }>`SELECT id FROM ledger_books WHERE ${sql.and([sql`kind = 'backtest'`, ...after])}
      ORDER BY created_at DESC, id DESC LIMIT ${Math.max(0, page.limit)}`
    return ids.length === 0 ? [] : yield* summaries(sql, sql.and([sql.in("b.id", ids.map((r) => r.id))]))
  })

/** The newest backtest's id, from the books' rows alone. */
export const latestBacktest = (sql: SqlClient.SqlClient) =>
  sql<{ readonly id: string }>`SELECT id FROM ledger_books WHERE kind = 'backtest' ORDER BY created_at DESC, id DESC LIMIT 1`.pipe(
    Effect.flatMap((rows) => Schema.decodeUnknownEffect(Schema.Array(Schema.Struct({ id: BookId })))(rows)),
    Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), (row) => row.id))
  )

/** A book's status and when its row was last written, from the row alone. */
export const bookState = (sql: SqlClient.SqlClient, id: BookId) =>
  sql<{ readonly status: string; readonly updated_at: string }>`SELECT status, updated_at FROM ledger_books WHERE id = ${id}`.pipe(
    Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), (row) => ({ status: row.status, updatedAt: row.updated_at })))
  )

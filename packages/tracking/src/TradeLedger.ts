/**
 * The reconciled trade ledger: what each account's broker reported — orders with their status history (bracket
 * and OCO legs included), fills, and one equity snapshot per account per trading session — kept per *book*.
 *
 * **When to use**: reconciliation writes what it read from the brokers with `record` (one transaction); the
 * leaderboard, `equity`, the monitor API and backtest reports read through `equity`, `orders`, `fills` and
 * `books`. `layer` needs a `SqlClient` migrated by `@council/store` (migration `0005_ledger`).
 *
 * **Books**: `live` (created by the migration) holds live and paper trading; each backtest gets its own book
 * (`createBook`), so its orders, fills and equity never mix with live trading and a backtest can be listed,
 * resumed or dropped as a whole.
 *
 * **Idempotent**: every write is an upsert keyed by the broker's identifiers. Writing the same reconciliation
 * twice changes nothing; writing an older view of an order (its `updatedAt` earlier than the stored one) does not
 * regress it; a fill is a fact (the first write of its id stands); a session's snapshot is replaced only by one
 * taken at the same time or later. An order's status history gains an entry the first time the ledger sees a
 * (status, filled qty) pair, stamped with the order's `updatedAt`.
 *
 * **Storage** (`0012_ledger_lean`): an order's current (status, filled qty) is kept on the order with when it was
 * first seen (`status_at`), the other pairs of its history as event rows; positions as arrays of values
 * (`POSITION_FIELDS`). Rows written before read back as they did. Rows name their book by its key (`short_id`,
 * `0031_ledger_book_keys`: `~1`, `~2`, … for books created since, the id itself for those before), found from the
 * id inside each statement that reads them (`keyOf`). A reconciliation's writes are `LedgerWrite`'s, the
 * hand-built statements `LedgerSql`'s.
 *
 * **Gotchas**
 * - `record` fails with `LedgerError` for an unknown book: create a backtest's book first.
 * - Windows (`from`/`to`) are inclusive sessions; orders are windowed by the day of `submittedAt` (their legs
 *   come with them), fills and snapshots by `session`.
 *
 * @since 0.1.0
 */
import * as Arr from "effect/Array"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as SqlError from "effect/sql/SqlError"
import * as SqlClient from "effect/sql/SqlClient"
import { AccountId, OPEN_STATUSES, TradingDay } from "@council/domain"
import {
  BookRow,
  BookSummaryRow,
  EventRow,
  FillRow,
  orderColumns,
  OrderRow,
  positionsOf,
  seriesColumns,
  seriesOf,
  SeriesColumnsRow,
  snapshotColumns,
  snapshotOf,
  SnapshotRow,
  TradedRow
} from "./LedgerRows.ts"
import { CHUNK, keyOf, ledgerSql, NEXT_KEY, textBuilder } from "./LedgerSql.ts"
import { writeReconciliation } from "./LedgerWrite.ts"
import { momentOf, MOMENTS, readMoments } from "./LedgerMoments.ts"
import { tradedPerSnapshot } from "./TradedSince.ts"
import {
  AccountCursor,
  Book,
  BookId,
  BookStatus,
  BookSummary,
  EquityRow,
  EquitySnapshot,
  LIVE_BOOK,
  LedgerFill,
  LedgerOrder,
  OrderEvent,
  OrderView,
  type OrdersQuery,
  SeriesRow,
  SessionMarks,
  type Reconciliation,
  type Window
} from "./LedgerRecords.ts"

export * from "./LedgerRecords.ts"

/**
 * The ledger could not do `operation`. `kind: "damaged"`: a stored row does not decode (asking again gives the same
 * answer); without it the database did not answer (busy, locked, unreachable: it may the next time). Classify by
 * `kind` (`isDamagedLedger`), never by the message's wording.
 */
export class LedgerError extends Schema.TaggedError<LedgerError>()("LedgerError", {
  operation: Schema.String,
  message: Schema.String,
  kind: Schema.optional(Schema.Literal("damaged"))
}) {}

/** Whether `error` found stored ledger data that does not decode (`kind: "damaged"`). */
export const isDamagedLedger = (error: LedgerError): boolean => error.kind === "damaged"

export class TradeLedger extends Context.Service<TradeLedger, {
  /** Writes a reconciliation (orders, fills, snapshots) in one transaction; idempotent. */
  readonly record: (reconciliation: Reconciliation) => Effect.Effect<void, LedgerError>
  /** Creates a backtest's book (`running`); fails if the id is taken. */
  readonly createBook: (book: {
    readonly id: BookId
    readonly label: string
    readonly from: TradingDay
    readonly to: TradingDay
    readonly params: Schema.Json
  }) => Effect.Effect<Book, LedgerError>
  readonly setBookStatus: (id: BookId, status: Exclude<BookStatus, "live">) => Effect.Effect<void, LedgerError>
  /** The live book first, then backtests newest first. */
  readonly books: Effect.Effect<ReadonlyArray<BookSummary>, LedgerError>
  readonly book: (id: BookId) => Effect.Effect<Option.Option<BookSummary>, LedgerError>
  /**
   * One page of the backtests, newest first: at most `limit`, those listed after `before` (a backtest's id: the
   * last of the previous page) when given — none when no book has that id. Counts only the page's books' sessions.
   */
  readonly backtests: (page: { readonly limit: number; readonly before?: BookId | undefined }) => Effect.Effect<ReadonlyArray<BookSummary>, LedgerError>
  /**
   * A book's status and when its row was last written, from the row alone: cheap enough for every request (`book`
   * also counts the book's sessions, a scan of its snapshots: 50–200 ms on a full-range book).
   */
  readonly bookState: (id: BookId) => Effect.Effect<Option.Option<{ readonly status: string; readonly updatedAt: string }>, LedgerError>
  /** The newest backtest's id (the first backtest `books` lists), from the books' rows alone (no count, as `bookState`). */
  readonly latestBacktest: Effect.Effect<Option.Option<BookId>, LedgerError>
  /** Snapshots with their traded dollars (their session's, and those of sessions before it without one), by account then session. */
  readonly equity: (window: Window) => Effect.Effect<ReadonlyArray<EquityRow>, LedgerError>
  /** `equity` without the positions (not read at all): what a series of equity needs, by account then session. */
  readonly series: (window: Window) => Effect.Effect<ReadonlyArray<SeriesRow>, LedgerError>
  readonly orders: (query: OrdersQuery) => Effect.Effect<ReadonlyArray<OrderView>, LedgerError>
  /** By account, then session, then time. */
  readonly fills: (window: Window) => Effect.Effect<ReadonlyArray<LedgerFill>, LedgerError>
  /** The prices snapshots were marked at, by session then moment (`account` is ignored: marks are the book's). */
  readonly marks: (window: Window) => Effect.Effect<ReadonlyArray<SessionMarks>, LedgerError>
  /** Where each account's next reconciliation starts (see `LedgerCursor`), in the order of `accounts`. */
  readonly cursors: (book: BookId, accounts: ReadonlyArray<AccountId>) => Effect.Effect<ReadonlyArray<AccountCursor>, LedgerError>
}>()("@council/tracking/TradeLedger") {
  static readonly layer: Layer.Layer<TradeLedger, never, SqlClient.SqlClient> = Layer.effect(TradeLedger, Effect.suspend(() => make))
}

// ---------------------------------------------------------------------------------------------------------------

/** Events by time, then filled qty, then status (the order of their primary key). */
const byTime = (a: OrderEvent, b: OrderEvent) =>
  a.at < b.at ? -1 : a.at > b.at ? 1 : a.filledQty - b.filledQty || (a.status < b.status ? -1 : a.status > b.status ? 1 : 0)

const describe = (error: SqlError.SqlError | Schema.SchemaError): string => {
  if (error._tag === "SchemaError") return `stored data does not decode: ${error.message}`
  const cause = error.reason.cause
  return cause instanceof Error && cause.message !== "" ? `${error.reason._tag}: ${cause.message}` : error.message
}

/** `error` as a `LedgerError` of `operation`: a row that does not decode is damage (see `LedgerError`). */
export const failWith = (operation: string) => (error: SqlError.SqlError | Schema.SchemaError | LedgerError): LedgerError =>
  error._tag === "LedgerError"
    ? error
    : new LedgerError({ operation, message: describe(error), ...(error._tag === "SchemaError" ? { kind: "damaged" as const } : {}) })

// word for word the predicate of the partial index of open orders (`ledger_orders_open`, migration 0010)
const OPEN = `status IN (${[...OPEN_STATUSES].map((s) => `'${s}'`).join(", ")})`

const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const statements = ledgerSql(sql)
  const { pg, run } = statements
  const write = writeReconciliation(statements)
  const openStatus = sql.literal(OPEN)

  const selectBook = `SELECT short_id FROM ledger_books WHERE id = ${pg ? "$1" : "?"}`
  /** The key the book's rows name it by; fails for an unknown book. */
  const requireBook = (operation: string, id: BookId) =>
    Effect.flatMap(run<{ readonly short_id: string }>(selectBook, [id]), (rows) =>
      rows.length === 0 ? Effect.fail(new LedgerError({ operation, message: `no book ${id}` })) : Effect.succeed(rows[0]!.short_id))

  const record = Effect.fn("TradeLedger.record")(
    function*(r: Reconciliation) {
      yield* write(yield* requireBook("record", r.book), r)
    },
    (effect) => sql.withTransaction(effect),
    Effect.mapError(failWith("record"))
  )

  const encodeBook = Schema.encodeEffect(BookRow)

  const createBook = Effect.fn("TradeLedger.createBook")(
    function*(input: { readonly id: BookId; readonly label: string; readonly from: TradingDay; readonly to: TradingDay; readonly params: Schema.Json }) {
      const now = new Date(yield* Clock.currentTimeMillis).toISOString()
      const existing = yield* sql<{ id: string }>`SELECT id FROM ledger_books WHERE id = ${input.id}`
      if (existing.length > 0) return yield* new LedgerError({ operation: "createBook", message: `book ${input.id} already exists` })
      const book: Book = { ...input, kind: "backtest", status: "running", createdAt: now, updatedAt: now }
      const row = yield* encodeBook(book)
      const columns = Object.keys(row)
      const text = textBuilder(pg)
      const insert = run(
        `INSERT INTO ledger_books (${columns.join(", ")}, short_id) VALUES (${columns.map((c) => text.bind(row[c as keyof typeof row])).join(", ")}, ${NEXT_KEY})`,
        text.params
      )
      // PostgreSQL: books created at once take their keys in turn (the lock is held to the commit, and the next
      // INSERT reads the keys committed by then); SQLite has one writer at a time already
      yield* pg ? sql.withTransaction(Effect.andThen(sql`LOCK TABLE ledger_books IN SHARE ROW EXCLUSIVE MODE`, insert)) : insert
      return book
    },
    Effect.mapError(failWith("createBook"))
  )

  const setBookStatus = Effect.fn("TradeLedger.setBookStatus")(
    function*(id: BookId, status: Exclude<BookStatus, "live">) {
      if (id === LIVE_BOOK) return yield* new LedgerError({ operation: "setBookStatus", message: "the live book has no status to set" })
      const now = new Date(yield* Clock.currentTimeMillis).toISOString()
      const updated = yield* sql`UPDATE ledger_books SET status = ${status}, updated_at = ${now} WHERE id = ${id} RETURNING id`
      if (updated.length === 0) return yield* new LedgerError({ operation: "setBookStatus", message: `no book ${id}` })
    },
    Effect.mapError(failWith("setBookStatus"))
  )

  const decodeSummaries = Schema.decodeUnknownEffect(Schema.Array(BookSummaryRow))
  const summaries = (filter: ReturnType<typeof sql.and>) =>
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

  const backtests = Effect.fn("TradeLedger.backtests")(
    function*(page: { readonly limit: number; readonly before?: BookId | undefined }) {
      const after = page.before === undefined ? [] : [
        sql`(created_at < (SELECT created_at FROM ledger_books WHERE id = ${page.before})
          OR (created_at = (SELECT created_at FROM ledger_books WHERE id = ${page.before}) AND id < ${page.before}))`
      ]
      const ids = yield* sql<{ readonly id: string }>`SELECT id FROM ledger_books WHERE ${sql.and([sql`kind = 'backtest'`, ...after])}
        ORDER BY created_at DESC, id DESC LIMIT ${Math.max(0, page.limit)}`
      return ids.length === 0 ? [] : yield* summaries(sql.and([sql.in("b.id", ids.map((r) => r.id))]))
    },
    Effect.mapError(failWith("backtests"))
  )

  const books = summaries(sql.and([])).pipe(Effect.mapError(failWith("books")), Effect.withSpan("TradeLedger.books"))

  const book = Effect.fn("TradeLedger.book")(
    function*(id: BookId) {
      return Option.fromNullishOr((yield* summaries(sql.and([sql`b.id = ${id}`])))[0])
    },
    Effect.mapError(failWith("book"))
  )

  /** `book = ` the key of the book `id`. */
  const bookIs = (id: BookId) => sql`book = (SELECT short_id FROM ledger_books WHERE id = ${id})`

  const windowOf = (w: Window, day: string) => [
    bookIs(w.book),
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
  const withTraded = <Row extends { readonly account: string; readonly session: string }>(w: Window, rows: ReadonlyArray<Row>) =>
    Effect.gen(function*() {
      if (rows.length === 0) return []
      const unbounded = { ...w, from: undefined }
      const before = w.from === undefined ? [] : yield* sql<{ readonly account: string; readonly session: string }>`SELECT account,
        MAX(session) AS session FROM ledger_equity WHERE ${sql.and([...windowOf({ ...unbounded, to: undefined }, "session"), sql`session < ${w.from}`])}
        GROUP BY account`
      const floors = new Map(before.map((b) => [b.account, b.session]))
      const rowFloors = rows.map((row) => floors.get(row.account))
      const floor = rowFloors.some((f) => f === undefined) ? undefined : rowFloors.reduce((a, b) => (b! < a! ? b : a))
      const traded = yield* decodeTraded(
        yield* sql`SELECT account, session, SUM(qty * price) AS traded FROM ledger_fills WHERE ${
          sql.and([...windowOf(unbounded, "session"), ...(floor === undefined ? [] : [sql`session > ${floor}`])])
        } GROUP BY account, session`
      )
      const byKey = tradedPerSnapshot(rows, traded, floors)
      return rows.map((row) => ({ ...row, traded: byKey.get(`${row.account} ${row.session}`) ?? 0 }))
    })

  const equity = Effect.fn("TradeLedger.equity")(
    function*(w: Window) {
      const snapshots = yield* decodeSnapshots(
        yield* sql<Record<string, unknown>>`SELECT account, session, ${sql.literal(snapshotColumns.join(", "))} FROM ledger_equity
          WHERE ${sql.and(windowOf(w, "session"))} ORDER BY account, session`
      )
      return yield* withTraded(w, snapshots)
    },
    Effect.mapError(failWith("equity"))
  )

  const series = Effect.fn("TradeLedger.series")(
    function*(w: Window) {
      const rows = yield* decodeSeries(
        yield* sql<Record<string, unknown>>`SELECT account, session, ${sql.literal(seriesColumns.join(", "))} FROM ledger_equity
          WHERE ${sql.and(windowOf(w, "session"))} ORDER BY account, session`
      )
      return yield* withTraded(w, rows)
    },
    Effect.mapError(failWith("series"))
  )

  const decodeOrders = Schema.decodeUnknownEffect(Schema.Array(OrderRow))
  const decodeEvents = Schema.decodeUnknownEffect(Schema.Array(EventRow))
  const decodeFills = Schema.decodeUnknownEffect(Schema.Array(FillRow))

  const orders = Effect.fn("TradeLedger.orders")(
    function*(q: OrdersQuery) {
      const open = openStatus
      const filters = [
        ...windowOf(q, "substr(submitted_at, 1, 10)"),
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
          WHERE ${bookIs(q.book)} AND ${sql.in("parent_order_id", chunk)} ORDER BY order_id`)).flat(), MOMENTS.orders)
      const legs = yield* decodeOrders(legRows)
      const all = [...ids, ...legs.map((l) => l.id)]
      const events = (yield* Effect.forEach(Arr.chunksOf(all, CHUNK), (chunk) =>
        sql`SELECT account, order_id, status, filled_qty, at FROM ledger_order_events
          WHERE ${bookIs(q.book)} AND ${sql.in("order_id", chunk)}`.pipe(Effect.flatMap((rows) => decodeEvents(readMoments(rows, MOMENTS.events)))))).flat()
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
    },
    Effect.mapError(failWith("orders"))
  )

  const fills = Effect.fn("TradeLedger.fills")(
    function*(w: Window) {
      return yield* decodeFills(readMoments(
        // fills at the same moment (a close and an open of one run, both at the close) in the order they were sent:
        // by their orders' submission and client order id — deterministic, unlike the broker's fill ids
        yield* sql<Record<string, unknown>>`SELECT account, fill_id, order_id, symbol, side, qty, price, commission, session, at FROM ledger_fills f
          WHERE ${sql.and(windowOf(w, "session"))}
          ORDER BY account, session, at,
            (SELECT o.submitted_at FROM ledger_orders o WHERE o.book = f.book AND o.account = f.account AND o.order_id = f.order_id),
            (SELECT o.client_order_id FROM ledger_orders o WHERE o.book = f.book AND o.account = f.account AND o.order_id = f.order_id),
            fill_id`,
        MOMENTS.fills
      ))
    },
    Effect.mapError(failWith("fills"))
  )

  const decodeMarks = Schema.decodeUnknownEffect(Schema.Array(SessionMarks))
  const marks = Effect.fn("TradeLedger.marks")(
    function*(w: Window) {
      const rows = yield* sql<{ session: string; marked_at: string; prices: string }>`SELECT session, marked_at, prices FROM ledger_marks
        WHERE ${sql.and(windowOf({ ...w, account: undefined }, "session"))} ORDER BY session, marked_at`
      return yield* decodeMarks(rows.map((row) => ({ session: row.session, markedAt: momentOf(row.marked_at), prices: JSON.parse(row.prices) as unknown })))
    },
    Effect.mapError(failWith("marks"))
  )

  const cursors = Effect.fn("TradeLedger.cursors")(
    function*(book: BookId, accounts: ReadonlyArray<AccountId>) {
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
    },
    Effect.mapError(failWith("cursors"))
  )

  const latestBacktest = sql<{ readonly id: string }>`SELECT id FROM ledger_books WHERE kind = 'backtest' ORDER BY created_at DESC, id DESC LIMIT 1`.pipe(
    Effect.flatMap((rows) => Schema.decodeUnknownEffect(Schema.Array(Schema.Struct({ id: BookId })))(rows)),
    Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), (row) => row.id)),
    Effect.mapError(failWith("books")),
    Effect.withSpan("TradeLedger.latestBacktest")
  )

  const bookState = (id: BookId) =>
    sql<{ readonly status: string; readonly updated_at: string }>`SELECT status, updated_at FROM ledger_books WHERE id = ${id}`.pipe(
      Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), (row) => ({ status: row.status, updatedAt: row.updated_at }))),
      Effect.mapError(failWith("book"))
    )

  return TradeLedger.of({ record, createBook, setBookStatus, books, book, backtests, bookState, latestBacktest, equity, series, orders, fills, marks, cursors })
})

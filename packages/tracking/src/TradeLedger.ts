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
 * id inside each statement that reads them (`keyOf`). A reconciliation's writes are `LedgerWrite`'s, the reads
 * `LedgerReads`' and `LedgerOrders`', the lookups by key of what a reconciliation read (`heldOrders`, `heldFills`)
 * `LedgerHeld`'s, the hand-built statements `LedgerSql`'s.
 *
 * **Gotchas**
 * - `record` fails with `LedgerError` for an unknown book: create a backtest's book first.
 * - Windows (`from`/`to`) are inclusive sessions; orders are windowed by the day of `submittedAt` (their legs
 *   come with them), fills and snapshots by `session`.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as SqlError from "effect/sql/SqlError"
import * as SqlClient from "effect/sql/SqlClient"
import { AccountId, TradingDay } from "@council/domain"
import * as LedgerHeld from "./LedgerHeld.ts"
import * as LedgerOrders from "./LedgerOrders.ts"
import * as LedgerReads from "./LedgerReads.ts"
import { BookRow } from "./LedgerRows.ts"
import { ledgerSql, NEXT_KEY, textBuilder } from "./LedgerSql.ts"
import { writeReconciliation } from "./LedgerWrite.ts"
import {
  AccountCursor,
  Book,
  BookId,
  BookStatus,
  BookSummary,
  EquityRow,
  type HeldFill,
  type HeldKey,
  type HeldOrder,
  LIVE_BOOK,
  LedgerFill,
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
  /**
   * Of `keys` (account, order id), the top-level orders `book` holds (a leg is not one), with when they were
   * submitted, in no order: each looked up by its key, so the cost does not grow with the book (as reading a window
   * of `orders` does: every order of the window's days, with legs and histories). What a reconciliation asks.
   */
  readonly heldOrders: (book: BookId, keys: ReadonlyArray<HeldKey>) => Effect.Effect<ReadonlyArray<HeldOrder>, LedgerError>
  /** Of `keys` (account, fill id), the fills `book` holds, with their sessions, in no order; by key, as `heldOrders`. */
  readonly heldFills: (book: BookId, keys: ReadonlyArray<HeldKey>) => Effect.Effect<ReadonlyArray<HeldFill>, LedgerError>
}>()("@council/tracking/TradeLedger") {
  static readonly layer: Layer.Layer<TradeLedger, never, SqlClient.SqlClient> = Layer.effect(TradeLedger, Effect.suspend(() => make))
}

// ---------------------------------------------------------------------------------------------------------------

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

/** The ledger's spans take no stack trace: capturing one (`new Error()`) per call is a backtest session's cost. */
const NO_STACK_TRACE = { captureStackTrace: false } as const

/**
 * `read` as the ledger's operation `name`: in a span `TradeLedger.<name>` (without a stack trace: `NO_STACK_TRACE`),
 * its errors `LedgerError`s of `name` (`failWith`).
 */
const operation = <Args extends ReadonlyArray<unknown>, A, E extends SqlError.SqlError | Schema.SchemaError | LedgerError>(
  name: string,
  read: (...args: Args) => Effect.Effect<A, E>
) =>
(...args: Args): Effect.Effect<A, LedgerError> => read(...args).pipe(Effect.mapError(failWith(name)), Effect.withSpan(`TradeLedger.${name}`, undefined, NO_STACK_TRACE))

const make = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const statements = ledgerSql(sql)
  const { pg, run } = statements
  const write = writeReconciliation(statements)

  const selectBook = `SELECT short_id FROM ledger_books WHERE id = ${pg ? "$1" : "?"}`
  /** The key the book's rows name it by; fails for an unknown book. */
  const requireBook = (operation: string, id: BookId) =>
    Effect.flatMap(run<{ readonly short_id: string }>(selectBook, [id]), (rows) =>
      rows.length === 0 ? Effect.fail(new LedgerError({ operation, message: `no book ${id}` })) : Effect.succeed(rows[0]!.short_id))

  // once a session in a backtest: untraced (`Effect.fn` captures a stack trace per call), in a span without one
  const record = (r: Reconciliation) =>
    Effect.flatMap(requireBook("record", r.book), (book) => write(book, r)).pipe(
      sql.withTransaction,
      Effect.mapError(failWith("record")),
      Effect.withSpan("TradeLedger.record", undefined, NO_STACK_TRACE)
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

  const backtests = operation("backtests", (page: { readonly limit: number; readonly before?: BookId | undefined }) => LedgerReads.backtestPage(sql, page))

  const books = LedgerReads.summaries(sql, sql.and([])).pipe(Effect.mapError(failWith("books")), Effect.withSpan("TradeLedger.books"))

  const book = operation("book", (id: BookId) =>
    Effect.map(LedgerReads.summaries(sql, sql.and([sql`b.id = ${id}`])), (rows) => Option.fromNullishOr(rows[0])))

  const latestBacktest = LedgerReads.latestBacktest(sql).pipe(Effect.mapError(failWith("books")), Effect.withSpan("TradeLedger.latestBacktest"))
  const bookState = (id: BookId) => LedgerReads.bookState(sql, id).pipe(Effect.mapError(failWith("book")))

  const equity = operation("equity", (w: Window) => LedgerReads.equity(sql, w))
  const series = operation("series", (w: Window) => LedgerReads.series(sql, w))
  const orders = operation("orders", (q: OrdersQuery) => LedgerOrders.orders(sql, q))
  const fills = operation("fills", (w: Window) => LedgerReads.fills(sql, w))
  const marks = operation("marks", (w: Window) => LedgerReads.marks(sql, w))
  const cursors = operation("cursors", (book: BookId, accounts: ReadonlyArray<AccountId>) => LedgerOrders.cursors(sql, pg, book, accounts))
  const heldOrders = operation("heldOrders", (book: BookId, keys: ReadonlyArray<HeldKey>) => LedgerHeld.heldOrders(sql, pg, book, keys))
  const heldFills = operation("heldFills", (book: BookId, keys: ReadonlyArray<HeldKey>) => LedgerHeld.heldFills(sql, pg, book, keys))

  return TradeLedger.of({
    record, createBook, setBookStatus, books, book, backtests, bookState, latestBacktest, equity, series, orders, fills, marks, cursors, heldOrders, heldFills
  })
})

/**
 * A ledger written across a migration (`upgradedAcross`): two books (the live one and a backtest's) of twelve
 * simulated sessions each, a mark a session; the first six sessions of each written by the schema before the
 * migration, the migration run, the other six written after it. What it then reads must equal what the same twelve
 * sessions read on a ledger that was always new.
 */
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Migrator from "effect/sql/Migrator"
import type * as SqlClient from "effect/sql/SqlClient"
import { TradingDay } from "@council/domain"
import { Database } from "@council/store"
import { migrations } from "../../store/src/migrations/index.ts"
import { BookId, liveBook, type Reconciliation, TradeLedger } from "@council/tracking"
import { ACCOUNTS, simulate } from "./fixtures/SimulatedBook.ts"
import { FROM, ledgerOn, tempDb, withMarket } from "./LedgerFixture.ts"

/** The two books' sessions and what writes and reads them. */
export interface TwoBooks {
  readonly backtest: BookId
  /** Both books' twelve sessions, book by book. */
  readonly days: ReadonlyArray<Reconciliation>
  /** Each book's first six sessions (written before the migration) and last six (after it). */
  readonly early: ReadonlyArray<Reconciliation>
  readonly late: ReadonlyArray<Reconciliation>
  readonly record: (batch: ReadonlyArray<Reconciliation>) => Effect.Effect<void, unknown, TradeLedger>
  readonly createBacktest: Effect.Effect<void, unknown, TradeLedger>
  /** The books, then each book's equity, one account's series, orders, fills, marks and cursors. */
  readonly reads: Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, unknown, TradeLedger>
}

const twoBooks = (market: Parameters<Parameters<typeof withMarket>[0]>[0]) =>
  Effect.gen(function*() {
    const backtest = BookId.make("bt-2024-01-02-2024-01-31-0a1b2c")
    const days = (yield* Effect.forEach([liveBook, backtest], (book) => simulate(market, book, FROM, 12))).flatMap((sim) =>
      sim.days.map((day, i): Reconciliation => {
        const session = day.snapshots[0]!.session
        return { ...day, marks: [{ session, markedAt: `${session}T14:30:00.000Z`, prices: { SPY: 470 + i, TLT: 90 - i / 4 } }] }
      }))
    const books: TwoBooks = {
      backtest,
      days,
      early: days.filter((_, i) => i % 12 < 6),
      late: days.filter((_, i) => i % 12 >= 6),
      record: (batch) => TradeLedger.use((ledger) => Effect.forEach(batch, ledger.record, { discard: true })),
      createBacktest: TradeLedger.use((ledger) =>
        ledger.createBook({ id: backtest, label: "January", from: FROM, to: TradingDay.make("2024-01-31"), params: { pms: "offline" } })),
      reads: TradeLedger.use((ledger) =>
        Effect.all([
          ledger.books,
          ...[liveBook, backtest].flatMap((book) => [
            ledger.equity({ book }),
            ledger.series({ book, account: ACCOUNTS[2]!, from: days[3]!.snapshots[0]!.session }),
            ledger.orders({ book }),
            ledger.fills({ book }),
            ledger.marks({ book }),
            ledger.cursors(book, ACCOUNTS)
          ])
        ]))
    }
    return books
  })

/**
 * Migration `migration` on a database (`client`'s, not migrated yet; a new connection after the upgrade): the
 * migrations before it run, then `writeOld` writes the books' early sessions as the code before it did; every
 * migration runs, the late sessions are written and read, then `checkUpgraded` looks at the upgraded tables.
 */
export const upgradedAcross = (
  client: () => Layer.Layer<SqlClient.SqlClient, unknown>,
  spec: {
    readonly migration: string
    readonly writeOld: (books: TwoBooks) => Effect.Effect<void, unknown, SqlClient.SqlClient>
    readonly checkUpgraded: (books: TwoBooks) => Effect.Effect<void, unknown, SqlClient.SqlClient>
  }
) =>
  withMarket((market) =>
    Effect.gen(function*() {
      const books = yield* twoBooks(market)
      const expected = yield* Effect.provide(
        Effect.andThen(Effect.andThen(books.createBacktest, books.record(books.days)), books.reads),
        ledgerOn(Database.layerSqlite(tempDb()))
      )
      const before = Object.fromEntries(Object.entries(migrations).filter(([key]) => key < spec.migration))
      const old = Effect.andThen(Migrator.make({})({ loader: Migrator.fromRecord(before) }), spec.writeOld(books))
      yield* Effect.provide(old, Layer.orDie(client()))
      const upgraded = Effect.gen(function*() {
        yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations) })
        yield* Effect.provide(books.record(books.late), TradeLedger.layer)
        const read = yield* Effect.provide(books.reads, TradeLedger.layer)
        yield* spec.checkUpgraded(books)
        return read
      })
      const migrated = yield* Effect.provide(upgraded, Layer.orDie(client()))
      for (const read of expected) assert.isAbove(read.length, 0)
      assert.deepStrictEqual(migrated, expected)
    }))

/** The order columns this code writes that later migrations added (0050, 0051): lent to an older schema for its writes. */
const LENT_ORDER_COLUMNS = ["notional", "trail_price", "trail_percent", "hwm"]

/** Adds the lent order columns to `ledger_orders`, so that this code can write an older schema's rows. */
export const lendOrderColumns = (sql: SqlClient.SqlClient) =>
  Effect.forEach(LENT_ORDER_COLUMNS, (column) => sql.unsafe(`ALTER TABLE ledger_orders ADD COLUMN ${column} REAL`), { discard: true })

/** Drops the lent order columns again: the rows are then what the code before them wrote. */
export const returnOrderColumns = (sql: SqlClient.SqlClient) =>
  Effect.forEach(LENT_ORDER_COLUMNS, (column) => sql.unsafe(`ALTER TABLE ledger_orders DROP COLUMN ${column}`), { discard: true })

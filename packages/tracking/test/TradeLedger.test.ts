import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, describe, it, layer } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Migrator from "effect/sql/Migrator"
import * as SqlClient from "effect/sql/SqlClient"
import { AccountId, OPEN_STATUSES, Ticker, TradingDay } from "@council/domain"
import { LocalBars } from "@council/market"
import { Database, NodeSqliteClient } from "@council/store"
import { migrations } from "../../store/src/migrations/index.ts"
import { BookId, liveBook, type Reconciliation, TradeLedger } from "@council/tracking"
import * as PgClient from "@effect/sql-pg/PgClient"
import { PgServer } from "../../store/test/PgServer.ts"
import { ACCOUNTS, simulate, STARTING_CASH } from "./fixtures/SimulatedBook.ts"

const dirs: Array<string> = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))
const tempDb = () => {
  const dir = mkdtempSync(join(tmpdir(), "council-ledger-"))
  dirs.push(dir)
  return join(dir, "council.db")
}

const FROM = TradingDay.make("2024-01-02")
const SESSIONS = 30
/** A position, for a snapshot that holds none. */
const POSITION = { symbol: Ticker.make("SPY"), qty: 1, side: "long" as const, avgEntryPrice: 1, marketValue: 1, currentPrice: 1, unrealizedPl: 0 }

/** Every ledger row of every table, in a fixed order: equal fingerprints mean an unchanged ledger. */
const fingerprint = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const tables = {
    ledger_books: "id",
    ledger_orders: "book, account, order_id",
    ledger_order_events: "book, account, order_id, status, filled_qty",
    ledger_fills: "book, account, fill_id",
    ledger_equity: "book, account, session",
    ledger_marks: "book, session, marked_at"
  }
  const out: Array<unknown> = []
  for (const [table, order] of Object.entries(tables)) {
    out.push(yield* sql.unsafe(`SELECT * FROM ${table} ORDER BY ${order}`))
  }
  return JSON.stringify(out)
})

const withMarket = <A, E, R>(f: (market: Effect.Success<ReturnType<typeof LocalBars.load>>) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(LocalBars.load(), f)

type Body = Effect.Effect<void, unknown, TradeLedger | SqlClient.SqlClient | import("effect/Scope").Scope>

/** The same tests on each database: `test(name, body)` runs `body` on a fresh, migrated database. */
const contract = (test: (name: string, body: () => Body) => void) => {
  test("keeps each snapshot's moment and the prices of that moment; a moment's prices stand, a later snapshot without one clears it", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const A = AccountId.make("A")
      const session = FROM
      const snapshot = { account: A, session, cash: 100, equity: 100, longMarketValue: 0, shortMarketValue: 0, positions: [], takenAt: "2024-01-02T20:45:00.000Z", markedAt: "2024-01-02T14:30:00.000Z" }
      const marks = { session, markedAt: "2024-01-02T14:30:00.000Z", prices: { SPY: 472.16, TLT: 91.5 } }
      yield* ledger.record({ book: liveBook, orders: [], fills: [], snapshots: [snapshot], marks: [marks] })
      // the same moment read again with other prices: the first read stands
      yield* ledger.record({ book: liveBook, orders: [], fills: [], snapshots: [snapshot], marks: [{ ...marks, prices: { SPY: 1 } }] })
      assert.deepStrictEqual(yield* ledger.marks({ book: liveBook }), [marks])
      assert.deepStrictEqual((yield* ledger.equity({ book: liveBook })).map((e) => e.markedAt), ["2024-01-02T14:30:00.000Z"])
      const closed = { session, markedAt: "2024-01-02T21:00:00.000Z", prices: { SPY: 472.65 } }
      yield* ledger.record({ book: liveBook, orders: [], fills: [], snapshots: [{ ...snapshot, takenAt: "2024-01-02T21:30:00.000Z", markedAt: closed.markedAt }], marks: [closed] })
      assert.deepStrictEqual(yield* ledger.marks({ book: liveBook, from: session, to: session }), [marks, closed])
      assert.deepStrictEqual((yield* ledger.equity({ book: liveBook })).map((e) => e.markedAt), [closed.markedAt])
      yield* ledger.record({ book: liveBook, orders: [], fills: [], snapshots: [{ ...snapshot, takenAt: "2024-01-02T22:00:00.000Z", markedAt: null }] })
      assert.deepStrictEqual((yield* ledger.equity({ book: liveBook })).map((e) => e.markedAt), [null])
      assert.deepStrictEqual(yield* ledger.marks({ book: liveBook, from: TradingDay.make("2024-01-03") }), [])
    }))

  test("a snapshot's traded holds its session's fills and those of the sessions without one since the previous, in any window", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const A = AccountId.make("A")
      const snapshot = (session: string) => ({
        account: A,
        session: TradingDay.make(session),
        cash: 100,
        equity: 100,
        longMarketValue: 0,
        shortMarketValue: 0,
        positions: [],
        takenAt: `${session}T14:30:00.000Z`,
        markedAt: `${session}T14:30:00.000Z`
      })
      const fill = (session: string, qty: number, price: number) => ({
        account: A,
        id: `fill-${session}`,
        orderId: `order-${session}`,
        symbol: Ticker.make("SPY"),
        side: "buy" as const,
        qty,
        price,
        commission: 0,
        session: TradingDay.make(session),
        at: `${session}T20:00:00.000Z`
      })
      // runs on Jan 2, 3 and 8; none on Jan 4 and 5, when orders left at the broker filled; Jan 9 not run yet
      const fills = [fill("2024-01-02", 1, 10.1), fill("2024-01-03", 2, 10.2), fill("2024-01-04", 3, 10.3), fill("2024-01-05", 4, 10.4), fill("2024-01-08", 5, 10.5), fill("2024-01-09", 6, 10.6)]
      yield* ledger.record({ book: liveBook, orders: [], fills, snapshots: ["2024-01-02", "2024-01-03", "2024-01-08"].map(snapshot) })
      const traded = (from?: string, to?: string) =>
        Effect.gen(function*() {
          const w = { book: liveBook, ...(from === undefined ? {} : { from: TradingDay.make(from) }), ...(to === undefined ? {} : { to: TradingDay.make(to) }) }
          const rows = (yield* ledger.equity(w)).map((r) => `${r.session} ${r.traded}`)
          assert.deepStrictEqual((yield* ledger.series(w)).map((r) => `${r.session} ${r.traded}`), rows)
          return rows
        })
      assert.deepStrictEqual(yield* traded(), ["2024-01-02 10.1", "2024-01-03 20.4", "2024-01-08 125"])
      assert.deepStrictEqual(yield* traded("2024-01-08"), ["2024-01-08 125"])
      assert.deepStrictEqual(yield* traded("2024-01-05", "2024-01-09"), ["2024-01-08 125"])
      assert.deepStrictEqual(yield* traded("2024-01-03", "2024-01-05"), ["2024-01-03 20.4"])
      assert.deepStrictEqual(yield* traded(undefined, "2024-01-03"), ["2024-01-02 10.1", "2024-01-03 20.4"])
    }))

  test("gives each account's reconciliation cursor: its latest submission and fill, and its orders still open", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const ledger = yield* TradeLedger
        const sim = yield* simulate(market, liveBook, FROM, 12)
        for (const day of sim.days) yield* ledger.record(day)
        const stranger = AccountId.make("NOBODY")
        const cursors = yield* ledger.cursors(liveBook, [...ACCOUNTS, stranger])
        assert.deepStrictEqual(cursors.map((c) => c.account), [...ACCOUNTS, stranger])
        // expected from the simulation's rows alone: the last view of each order wins
        const last = new Map(sim.days.flatMap((d) => d.orders).map((o) => [`${o.account} ${o.id}`, o]))
        const open = new Set(["new", "accepted", "held", "pending_new", "partially_filled"])
        for (const account of ACCOUNTS) {
          const orders = [...last.values()].filter((o) => o.account === account)
          const fills = sim.days.flatMap((d) => d.fills).filter((f) => f.account === account)
          const cursor = cursors.find((c) => c.account === account)!
          assert.strictEqual(cursor.ordersAfter, orders.filter((o) => o.parentId === null).map((o) => o.submittedAt).sort().at(-1) ?? null)
          assert.strictEqual(cursor.fillsAfter, fills.map((f) => f.at).sort().at(-1) ?? null)
          assert.deepStrictEqual(cursor.open, [...new Set(orders.filter((o) => open.has(o.status)).map((o) => o.parentId ?? o.id))].sort())
        }
        assert.isTrue(cursors.some((c) => c.open.length > 0), "some order is still open")
        assert.deepStrictEqual(cursors.at(-1), { account: stranger, ordersAfter: null, fillsAfter: null, open: [] })
        assert.deepStrictEqual(yield* ledger.cursors(liveBook, []), [])
      }))
  )

  test("gives fills of one moment in the order their orders were sent, whatever the broker's fill ids", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const account = AccountId.make("COUNCIL")
      const at = "2024-01-05T21:00:00.000Z"
      const order = (id: string, clientOrderId: string) => ({
        account, id, clientOrderId, symbol: Ticker.make("SPY"), side: "sell" as const, qty: 10, type: "market" as const, timeInForce: "cls" as const,
        limitPrice: null, stopPrice: null, orderClass: "simple" as const, status: "filled" as const, filledQty: 10, filledAvgPrice: 470,
        submittedAt: "2024-01-05T20:45:00.000Z", filledAt: at, parentId: null, updatedAt: at
      })
      // a flip sent at 15:45: the long closed, then the short opened; the broker's ids sort the other way round
      const close = order("o-2", "2024-01-05-COUNCIL-SPY-close-a")
      const open = order("o-1", "2024-01-05-COUNCIL-SPY-open-b")
      const fill = (id: string, orderId: string) => ({ account, id, orderId, symbol: Ticker.make("SPY"), side: "sell" as const, qty: 10, price: 470, commission: 0, session: TradingDay.make("2024-01-05"), at })
      yield* ledger.record({ book: liveBook, orders: [open, close], fills: [fill("f-1", "o-1"), fill("f-2", "o-2")], snapshots: [] })
      const fills = yield* ledger.fills({ book: liveBook })
      assert.deepStrictEqual(fills.map((f) => f.orderId), ["o-2", "o-1"])
    }))

  test("a reconciliation its schemas refuse (a non-finite quantity, a lowercase ticker) fails whole and writes nothing", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const ledger = yield* TradeLedger
        const sim = yield* simulate(market, liveBook, FROM, 3)
        const [first, second] = [sim.days[0]!, sim.days[1]!]
        yield* ledger.record(first)
        const before = yield* fingerprint
        const order = second.orders[0]!
        const fill = second.fills[0]!
        const snapshot = second.snapshots[0]!
        // each through the schema's encoder (the rows' guard refuses them), whose error is the failure's
        const refused: ReadonlyArray<[string, Reconciliation]> = [
          ["qty", { ...second, orders: [...second.orders, { ...order, qty: Number.NaN }] }],
          ["symbol", { ...second, fills: [...second.fills, { ...fill, symbol: "spy" as Ticker }] }],
          ["equity", { ...second, snapshots: [...second.snapshots, { ...snapshot, equity: Number.POSITIVE_INFINITY }] }],
          ["symbol", { ...second, snapshots: [{ ...snapshot, positions: [{ ...(snapshot.positions[0] ?? POSITION), symbol: "spy" as Ticker }] }] }]
        ]
        for (const [field, reconciliation] of refused) {
          const failure = yield* ledger.record(reconciliation).pipe(Effect.flip)
          assert.strictEqual(failure._tag, "LedgerError")
          assert.strictEqual(failure.operation, "record", field)
        }
        assert.strictEqual(yield* fingerprint, before)
        yield* ledger.record(second)
        assert.notStrictEqual(yield* fingerprint, before)
      })))

  test("stores a month of six accounts and reads each account's equity series back as the brokers reported it", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const ledger = yield* TradeLedger
        const sim = yield* simulate(market, liveBook, FROM, SESSIONS)
        for (const day of sim.days) yield* ledger.record(day)
        const rows = yield* ledger.equity({ book: liveBook })
        assert.strictEqual(rows.length, ACCOUNTS.length * SESSIONS)
        for (const account of ACCOUNTS) {
          const series = rows.filter((r) => r.account === account)
          assert.deepStrictEqual(series.map((r) => r.session), [...sim.sessions])
          assert.deepStrictEqual(series.map((r) => r.equity), sim.equity.get(account))
        }
        const claude = rows.filter((r) => r.account === "CLAUDE")
        assert.strictEqual(claude[0]!.positions[0]!.symbol, "SPY")
        assert.isBelow(claude[0]!.cash, STARTING_CASH * 0.06)
        const firstFill = sim.days[0]!.fills.find((f) => f.account === "CLAUDE")!
        assert.closeTo(claude[0]!.traded, firstFill.qty * firstFill.price, 1e-6)
        assert.strictEqual(claude[1]!.traded, 0)

        const window = yield* ledger.equity({ book: liveBook, account: AccountId.make("GROQ"), from: sim.sessions[3]!, to: sim.sessions[6]! })
        assert.deepStrictEqual(window.map((r) => r.session), sim.sessions.slice(3, 7))

        // the series: every row but its positions, in the same order, in any window
        const withoutPositions = <A extends { readonly positions: unknown }>(read: ReadonlyArray<A>): Array<Omit<A, "positions">> =>
          read.map(({ positions: _, ...rest }) => rest)
        assert.deepStrictEqual(yield* ledger.series({ book: liveBook }), withoutPositions(rows))
        assert.deepStrictEqual(
          yield* ledger.series({ book: liveBook, account: AccountId.make("GROQ"), from: sim.sessions[3]!, to: sim.sessions[6]! }),
          withoutPositions(window)
        )
        assert.notProperty((yield* ledger.series({ book: liveBook }))[0], "positions")
      })))

  test("writing the same reconciliations again, or an older view of an order, changes nothing", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const ledger = yield* TradeLedger
        const sim = yield* simulate(market, liveBook, FROM, 12)
        for (const day of sim.days) yield* ledger.record(day)
        const before = yield* fingerprint
        for (const day of sim.days) yield* ledger.record(day)
        assert.strictEqual(yield* fingerprint, before)
        const stale = sim.days[0]!.orders.filter((o) => o.parentId !== null)
        yield* ledger.record({ book: liveBook, orders: stale, fills: [], snapshots: [] })
        assert.strictEqual(yield* fingerprint, before)
      })))

  test("orders come with their legs and each one's status history; filters by status, account and window", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const ledger = yield* TradeLedger
        const sim = yield* simulate(market, liveBook, FROM, 12)
        for (const day of sim.days) yield* ledger.record(day)
        const chatgpt = AccountId.make("CHATGPT")
        const orders = yield* ledger.orders({ book: liveBook, account: chatgpt })
        const entries = orders.filter((o) => o.orderClass === "bracket")
        assert.isAbove(entries.length, 1)
        const oldest = entries[entries.length - 1]!
        assert.deepStrictEqual(oldest.legs.map((l) => l.type).sort(), ["limit", "stop"])
        assert.deepStrictEqual(oldest.history.map((e) => e.status), ["filled"])
        const rotated = oldest.legs.find((l) => l.type === "stop")!
        assert.deepStrictEqual(rotated.history.map((e) => e.status), ["new", "canceled"])
        assert.isTrue(rotated.history[0]!.at < rotated.history[1]!.at)
        const open = yield* ledger.orders({ book: liveBook, account: chatgpt, status: "open" })
        assert.deepStrictEqual(open, [])
        const closed = yield* ledger.orders({ book: liveBook, account: chatgpt, status: "closed", from: sim.sessions[5]!, to: sim.sessions[5]! })
        assert.isTrue(closed.length > 0 && closed.every((o) => o.submittedAt.startsWith(sim.sessions[5]!)))
        const fills = yield* ledger.fills({ book: liveBook, account: chatgpt })
        assert.strictEqual(fills.length, orders.filter((o) => o.status === "filled").length)
      })))

  test("an order's history holds each (status, filled qty) once, stamped when first seen, whatever order the views come in", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const account = AccountId.make("COUNCIL")
      const at = (minute: number) => `2024-01-05T20:${String(minute).padStart(2, "0")}:00.000Z`
      const view = (status: "accepted" | "new" | "partially_filled" | "filled", filledQty: number, updatedAt: string) => ({
        account, id: "o-9", clientOrderId: "c-9", symbol: Ticker.make("SPY"), side: "buy" as const, qty: 10, type: "limit" as const,
        timeInForce: "day" as const, limitPrice: 470, stopPrice: null, orderClass: "simple" as const, status, filledQty,
        filledAvgPrice: filledQty === 0 ? null : 470, submittedAt: at(0), filledAt: status === "filled" ? updatedAt : null, parentId: null, updatedAt
      })
      const record = (...orders: ReadonlyArray<ReturnType<typeof view>>) =>
        Effect.forEach(orders, (o) => ledger.record({ book: liveBook, orders: [o], fills: [], snapshots: [] }), { discard: true })
      const history = Effect.map(ledger.orders({ book: liveBook }), (orders) => orders.map((o) => [o.status, o.updatedAt, o.history]))
      // a later view of the same pair (something else changed) keeps when the pair was first seen
      yield* record(view("new", 0, at(10)), view("new", 0, at(20)))
      assert.deepStrictEqual(yield* history, [["new", at(20), [{ status: "new", filledQty: 0, at: at(10) }]]])
      // a partial fill, then views older than the order (one of a pair never seen, one seen), then the last fill
      yield* record(view("partially_filled", 5, at(30)), view("accepted", 0, at(5)), view("new", 0, at(10)), view("filled", 10, at(40)))
      yield* record(view("partially_filled", 5, at(45)), view("filled", 10, at(50)))
      assert.deepStrictEqual(yield* history, [["filled", at(50), [
        { status: "accepted", filledQty: 0, at: at(5) },
        { status: "new", filledQty: 0, at: at(10) },
        { status: "partially_filled", filledQty: 5, at: at(30) },
        { status: "filled", filledQty: 10, at: at(40) }
      ]]])
    }))

  test("a backtest's book is isolated from the live book, listed with its range and status", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const ledger = yield* TradeLedger
        const id = BookId.make("bt-2024-01")
        const book = yield* ledger.createBook({ id, label: "January", from: FROM, to: TradingDay.make("2024-01-31"), params: { pms: "offline" } })
        assert.strictEqual(book.status, "running")
        const sim = yield* simulate(market, id, FROM, 5)
        for (const day of sim.days) yield* ledger.record(day)
        assert.deepStrictEqual(yield* ledger.equity({ book: liveBook }), [])
        assert.strictEqual((yield* ledger.equity({ book: id })).length, ACCOUNTS.length * 5)
        yield* ledger.setBookStatus(id, "completed")
        const books = yield* ledger.books
        assert.deepStrictEqual(books.map((b) => [b.id, b.kind, b.status, b.sessions, b.accounts]), [
          ["live", "live", "live", 0, 0],
          ["bt-2024-01", "backtest", "completed", 5, 6]
        ])
        const found = Option.getOrThrow(yield* ledger.book(id))
        assert.deepStrictEqual([found.from, found.to, found.firstSession, found.lastSession], [FROM, "2024-01-31", sim.sessions[0], sim.sessions[4]])
        assert.deepStrictEqual(found.params, { pms: "offline" })
        const unknown = yield* ledger.record({ ...sim.days[0]!, book: BookId.make("nope") }).pipe(Effect.flip)
        assert.include(unknown.message, "no book nope")
        const taken = yield* ledger.createBook({ id, label: "again", from: FROM, to: FROM, params: {} }).pipe(Effect.flip)
        assert.include(taken.message, "already exists")
      })))
}

const ledgerOn = (db: Layer.Layer<SqlClient.SqlClient, unknown>) => TradeLedger.layer.pipe(Layer.provideMerge(db), Layer.orDie)

describe("TradeLedger on SQLite", () => {
  contract((name, body) => it.effect(name, () => Effect.provide(body(), ledgerOn(Database.layerSqlite(tempDb())))))

  it.effect("orders read again as the ledger holds them are not written again; a changed one is", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const ledger = yield* TradeLedger
        const sql = yield* SqlClient.SqlClient
        const changes = Effect.map(sql<{ n: number }>`SELECT total_changes() AS n`, (rows) => Number(rows[0]!.n))
        const sim = yield* simulate(market, liveBook, FROM, 12)
        for (const day of sim.days) yield* ledger.record(day)
        const orders = sim.days.flatMap((d) => d.orders)
        const before = yield* changes
        yield* ledger.record({ book: liveBook, orders, fills: [], snapshots: [] })
        assert.strictEqual((yield* changes) - before, 0)
        const last = orders.at(-1)!
        yield* ledger.record({ book: liveBook, orders: [{ ...last, filledAvgPrice: (last.filledAvgPrice ?? 0) + 1 }], fills: [], snapshots: [] })
        assert.strictEqual((yield* changes) - before, 1)
      }).pipe(Effect.provide(ledgerOn(Database.layerSqlite(tempDb()))))))

  it.effect("snapshots read back field for field as recorded; a stored row that does not decode fails the read", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const ledger = yield* TradeLedger
        const sql = yield* SqlClient.SqlClient
        const sim = yield* simulate(market, liveBook, FROM, 6)
        for (const day of sim.days) yield* ledger.record(day)
        const recorded = sim.days.flatMap((d) => d.snapshots)
          .toSorted((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : a.session < b.session ? -1 : 1))
        const read = (yield* ledger.equity({ book: liveBook })).map(({ traded: _, ...snapshot }) => snapshot)
        assert.isTrue(recorded.some((s) => s.positions.length > 0))
        assert.deepStrictEqual(read, recorded)
        const held = recorded.find((s) => s.positions.length > 0)!
        yield* sql`UPDATE ledger_equity SET positions = ${`[["spy", 1, "long", 1, 1, 1, 0]]`}
          WHERE book = ${liveBook} AND account = ${held.account} AND session = ${held.session}`
        const failure = yield* ledger.equity({ book: liveBook }).pipe(Effect.flip)
        assert.include(failure.message, "UPPERCASE ticker")
        // the series does not read positions; a row whose own columns do not decode fails it as it fails `equity`
        assert.strictEqual((yield* ledger.series({ book: liveBook })).length, recorded.length)
        yield* sql`UPDATE ledger_equity SET cash = ${"lots"} WHERE book = ${liveBook} AND account = ${held.account} AND session = ${held.session}`
        const [series, equity] = [yield* ledger.series({ book: liveBook }).pipe(Effect.flip), yield* ledger.equity({ book: liveBook }).pipe(Effect.flip)]
        assert.strictEqual(series.operation, "series")
        assert.include(series.message, `["cash"]`)
        assert.include(equity.message, `["cash"]`)
      }).pipe(Effect.provide(ledgerOn(Database.layerSqlite(tempDb()))))))

  it.effect("a ledger written before migrations 0010, 0012 and 0014 reads back as a new one does, and takes more sessions alike", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const sim = yield* simulate(market, liveBook, FROM, 12)
        const stale = sim.days[0]!.orders.filter((o) => o.parentId !== null)
        const [early, late] = [sim.days.slice(0, 6), sim.days.slice(6)]
        const reads = Effect.gen(function*() {
          const ledger = yield* TradeLedger
          return yield* Effect.all([
            ledger.equity({ book: liveBook }),
            ledger.orders({ book: liveBook }),
            ledger.fills({ book: liveBook }),
            ledger.cursors(liveBook, ACCOUNTS)
          ])
        })
        const written = Effect.gen(function*() {
          const ledger = yield* TradeLedger
          for (const day of [...sim.days, { ...sim.days[0]!, orders: stale }]) yield* ledger.record(day)
          return yield* reads
        })
        const expected = yield* Effect.provide(written, ledgerOn(Database.layerSqlite(tempDb())))

        const old = Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const upTo = (last: string) => Object.fromEntries(Object.entries(migrations).filter(([key]) => key <= last))
          yield* Migrator.make({})({ loader: Migrator.fromRecord(upTo("0009")) })
          for (const day of early) yield* recordAsBefore0012(day)
          yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations) })
          const ledger = yield* TradeLedger
          for (const day of [...late, { ...sim.days[0]!, orders: stale }]) yield* ledger.record(day)
          const lean = yield* sql<{ readonly name: string }>`SELECT name FROM sqlite_master
            WHERE type = 'table' AND name LIKE 'ledger_%' AND sql LIKE '%WITHOUT ROWID' ORDER BY name`
          assert.deepStrictEqual(lean.map((t) => t.name), ["ledger_equity", "ledger_fills", "ledger_marks", "ledger_order_events"])
          // the open-orders query carries the partial index's predicate word for word
          const plan = yield* sql.unsafe<{ readonly detail: string }>(`EXPLAIN QUERY PLAN SELECT order_id FROM ledger_orders
            WHERE book = 'live' AND account = 'A' AND status IN (${[...OPEN_STATUSES].map((s) => `'${s}'`).join(", ")})`)
          assert.include(plan.map((p) => p.detail).join(" "), "ledger_orders_open")
          // a cursor's latest top-level order: the partial index of top-level orders by submission (0012)
          const latest = yield* sql.unsafe<{ readonly detail: string }>(`EXPLAIN QUERY PLAN SELECT submitted_at FROM ledger_orders
            WHERE book = 'live' AND account = 'A' AND parent_order_id IS NULL ORDER BY submitted_at DESC LIMIT 1`)
          assert.include(latest.map((p) => p.detail).join(" "), "ledger_orders_submitted")
          const lastFill = yield* sql.unsafe<{ readonly detail: string }>(`EXPLAIN QUERY PLAN SELECT at FROM ledger_fills
            WHERE book = 'live' AND account = 'A' ORDER BY at DESC LIMIT 1`)
          assert.include(lastFill.map((p) => p.detail).join(" "), "ledger_fills_at")
          return yield* reads
        })
        const migrated = yield* Effect.provide(old, TradeLedger.layer.pipe(Layer.provideMerge(NodeSqliteClient.layer({ filename: tempDb() })), Layer.orDie))
        assert.isAbove(expected[1].length, 0)
        assert.isTrue(expected[1].some((o) => o.legs.some((l) => l.history.length > 1)), "some leg has a history")
        assert.deepStrictEqual(migrated, expected)
      })))

  it.effect("a ledger written before migration 0015 reads back as a new one does, and takes more sessions alike, its keys rebuilt or not", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const sim = yield* simulate(market, liveBook, FROM, 12)
        const [early, late] = [sim.days.slice(0, 6), sim.days.slice(6)]
        const reads = Effect.gen(function*() {
          const ledger = yield* TradeLedger
          return yield* Effect.all([
            ledger.equity({ book: liveBook }),
            ledger.equity({ book: liveBook, account: ACCOUNTS[1]!, from: sim.days[3]!.snapshots[0]!.session, to: sim.days[8]!.snapshots[0]!.session }),
            ledger.orders({ book: liveBook }),
            ledger.fills({ book: liveBook }),
            ledger.fills({ book: liveBook, account: ACCOUNTS[0]!, from: sim.days[2]!.snapshots[0]!.session }),
            ledger.cursors(liveBook, ACCOUNTS)
          ])
        })
        const record = (days: typeof sim.days) => TradeLedger.use((ledger) => Effect.forEach(days, ledger.record, { discard: true }))
        const expected = yield* Effect.provide(Effect.andThen(record(sim.days), reads), ledgerOn(Database.layerSqlite(tempDb())))
        const keysOf = Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const tables = yield* sql<{ readonly name: string; readonly sql: string }>`SELECT name, sql FROM sqlite_master
            WHERE name IN ('ledger_equity', 'ledger_fills') ORDER BY name`
          return tables.map((t) => /PRIMARY KEY \(([^)]*)\)/.exec(t.sql)?.[1])
        })
        const upTo = (last: string) => Object.fromEntries(Object.entries(migrations).filter(([key]) => key <= last))
        /** Written by this code on a database migrated with `before`, then migrated with every migration. */
        const writtenAfter = (before: typeof migrations) =>
          Effect.gen(function*() {
            yield* Migrator.make({})({ loader: Migrator.fromRecord(before) })
            // this code writes the snapshot's moment (0022) and reads a book's key (0031): the columns are lent for
            // the old schema's writes, then dropped, so the rows are what the code before 0022 wrote (no moment)
            const sql = yield* SqlClient.SqlClient
            yield* sql.unsafe(`ALTER TABLE ledger_equity ADD COLUMN marked_at TEXT`)
            yield* sql.unsafe(`ALTER TABLE ledger_books ADD COLUMN short_id TEXT`)
            yield* sql.unsafe(`UPDATE ledger_books SET short_id = id`)
            yield* Effect.provide(record(early), TradeLedger.layer)
            yield* sql.unsafe(`ALTER TABLE ledger_equity DROP COLUMN marked_at`)
            yield* sql.unsafe(`ALTER TABLE ledger_books DROP COLUMN short_id`)
            yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations) })
            yield* Effect.provide(record(late), TradeLedger.layer)
            return { reads: yield* Effect.provide(reads, TradeLedger.layer), keys: yield* keysOf }
          }).pipe(Effect.provide(NodeSqliteClient.layer({ filename: tempDb() })))
        // a database of the code before 0015: rebuilt by it
        const rebuilt = yield* writtenAfter(upTo("0014"))
        assert.deepStrictEqual(rebuilt.keys, ["book, session, account", "book, fill_id, account"])
        assert.deepStrictEqual(rebuilt.reads, expected)
        // a database already past 0015's number (0021 ran): the migrator skips 0015, the old keys stay and serve alike
        const without0015 = Object.fromEntries(Object.entries(upTo("0021_~")).filter(([key]) => key !== "0015_ledger_session_keys"))
        const kept = yield* writtenAfter(without0015)
        assert.deepStrictEqual(kept.keys, ["book, account, session", "book, account, fill_id"])
        assert.deepStrictEqual(kept.reads, expected)
        assert.isAbove(expected[3].length, 0)
        assert.deepStrictEqual(expected[1].map((e) => e.account), Array(6).fill(ACCOUNTS[1]))
      })))
})

/** What `TradeLedger.record` wrote before migration 0012: every (status, filled qty) an event, positions as objects. */
const recordAsBefore0012 = (r: Reconciliation) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    for (const o of r.orders) {
      const row = {
        book: r.book, account: o.account, order_id: o.id, client_order_id: o.clientOrderId, parent_order_id: o.parentId,
        symbol: o.symbol, side: o.side, qty: o.qty, type: o.type, time_in_force: o.timeInForce, limit_price: o.limitPrice,
        stop_price: o.stopPrice, order_class: o.orderClass, status: o.status, filled_qty: o.filledQty,
        filled_avg_price: o.filledAvgPrice, submitted_at: o.submittedAt, filled_at: o.filledAt, updated_at: o.updatedAt
      }
      yield* sql`INSERT INTO ledger_orders ${sql.insert(row)} ON CONFLICT (book, account, order_id) DO UPDATE SET
        status = excluded.status, filled_qty = excluded.filled_qty, filled_avg_price = excluded.filled_avg_price,
        filled_at = excluded.filled_at, updated_at = excluded.updated_at WHERE excluded.updated_at >= ledger_orders.updated_at`
      yield* sql`INSERT INTO ledger_order_events ${
        sql.insert({ book: r.book, account: o.account, order_id: o.id, status: o.status, filled_qty: o.filledQty, at: o.updatedAt })
      } ON CONFLICT (book, account, order_id, status, filled_qty) DO NOTHING`
    }
    for (const f of r.fills) {
      yield* sql`INSERT INTO ledger_fills ${
        sql.insert({ book: r.book, account: f.account, fill_id: f.id, order_id: f.orderId, symbol: f.symbol, side: f.side, qty: f.qty, price: f.price, commission: f.commission, session: f.session, at: f.at })
      } ON CONFLICT (book, account, fill_id) DO NOTHING`
    }
    for (const e of r.snapshots) {
      yield* sql`INSERT INTO ledger_equity ${
        sql.insert({
          book: r.book, account: e.account, session: e.session, cash: e.cash, equity: e.equity, long_market_value: e.longMarketValue,
          short_market_value: e.shortMarketValue, positions: JSON.stringify(e.positions), taken_at: e.takenAt
        })
      } ON CONFLICT (book, account, session) DO NOTHING`
    }
  })

/**
 * Migration 0031 on a database (`client`'s, not migrated yet; a new connection after the upgrade): a ledger written before it (a live book and a backtest's,
 * their rows naming the book by its id) reads back as one written since, and takes more sessions alike; a book
 * created after it is keyed `~1` in its rows, and deleting a book still deletes its rows.
 */
const upgradedAcross0031 = (client: () => Layer.Layer<SqlClient.SqlClient, unknown>) =>
  withMarket((market) =>
    Effect.gen(function*() {
      const backtest = BookId.make("bt-2024-01-02-2024-01-31-0a1b2c")
      const days = (yield* Effect.forEach([liveBook, backtest], (book) => simulate(market, book, FROM, 12))).flatMap((sim) =>
        sim.days.map((day, i): Reconciliation => {
          const session = day.snapshots[0]!.session
          return { ...day, marks: [{ session, markedAt: `${session}T14:30:00.000Z`, prices: { SPY: 470 + i, TLT: 90 - i / 4 } }] }
        }))
      const [early, late] = [days.filter((_, i) => i % 12 < 6), days.filter((_, i) => i % 12 >= 6)]
      const record = (batch: ReadonlyArray<Reconciliation>) => TradeLedger.use((ledger) => Effect.forEach(batch, ledger.record, { discard: true }))
      const createBacktest = TradeLedger.use((ledger) => ledger.createBook({ id: backtest, label: "January", from: FROM, to: TradingDay.make("2024-01-31"), params: { pms: "offline" } }))
      const reads = TradeLedger.use((ledger) =>
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
      const expected = yield* Effect.provide(
        Effect.andThen(Effect.andThen(createBacktest, record(days)), reads),
        ledgerOn(Database.layerSqlite(tempDb()))
      )

      const old = Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* Migrator.make({})({ loader: Migrator.fromRecord(Object.fromEntries(Object.entries(migrations).filter(([key]) => key < "0031"))) })
        // this code reads a book's key: the column is lent for the old schema's writes, every book keyed by its id
        // (the rows are then what the code before 0031 wrote), and dropped again
        yield* sql.unsafe(`ALTER TABLE ledger_books ADD COLUMN short_id TEXT`)
        yield* Effect.provide(createBacktest, TradeLedger.layer)
        yield* sql.unsafe(`UPDATE ledger_books SET short_id = id`)
        yield* Effect.provide(record(early), TradeLedger.layer)
        yield* sql.unsafe(`ALTER TABLE ledger_books DROP COLUMN short_id`)
      })
      yield* Effect.provide(old, Layer.orDie(client()))
      const upgraded = Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations) })
        yield* Effect.provide(record(late), TradeLedger.layer)
        const read = yield* Effect.provide(reads, TradeLedger.layer)
        const booksOfRows = (table: string) => sql.unsafe<{ readonly book: string }>(`SELECT DISTINCT book FROM ${table} ORDER BY book`)
        // the books written before keep their rows as they were; a book created now is keyed `~1`
        assert.deepStrictEqual((yield* booksOfRows("ledger_equity")).map((r) => r.book), [backtest, liveBook])
        const later = BookId.make("bt-later")
        yield* Effect.provide(TradeLedger.use((ledger) => ledger.createBook({ id: later, label: "later", from: FROM, to: FROM, params: {} })), TradeLedger.layer)
        yield* Effect.provide(record(late.filter((day) => day.book === backtest).map((day) => ({ ...day, book: later }))), TradeLedger.layer)
        for (const table of ["ledger_orders", "ledger_fills", "ledger_equity", "ledger_marks"]) {
          assert.deepStrictEqual((yield* booksOfRows(table)).map((r) => r.book), [backtest, liveBook, "~1"], table)
        }
        const [laterEquity, laterOrders] = yield* Effect.provide(
          TradeLedger.use((ledger) => Effect.all([ledger.equity({ book: later }), ledger.orders({ book: later })])),
          TradeLedger.layer
        )
        assert.strictEqual(laterEquity.length, 6 * 6)
        assert.isAbove(laterOrders.length, 0)
        yield* sql.unsafe(`DELETE FROM ledger_books WHERE id = 'bt-later'`)
        assert.deepStrictEqual((yield* booksOfRows("ledger_orders")).map((r) => r.book), [backtest, liveBook])
        return read
      })
      const migrated = yield* Effect.provide(upgraded, Layer.orDie(client()))
      for (const read of expected) assert.isAbove(read.length, 0)
      assert.deepStrictEqual(migrated, expected)
    }))

describe("TradeLedger on SQLite, migration 0031", () => {
  it.effect("a ledger written before migration 0031 reads back as a new one does, takes more sessions alike, and new books are keyed short", () =>
    Effect.suspend(() => {
      const filename = tempDb()
      return upgradedAcross0031(() => NodeSqliteClient.layer({ filename }))
    }))
})

layer(PgServer.layer, { timeout: 60_000 })("TradeLedger on PostgreSQL", (it) => {
  contract((name, body) =>
    it.effect(name, () => Effect.flatMap(PgServer.use((pg) => pg.createDatabase), (url) => Effect.provide(body(), ledgerOn(Database.layerPg(url))))))

  it.effect("two backtests begun at once: each book gets its own key, the second waiting for the first", () =>
    Effect.flatMap(PgServer.use((pg) => pg.createDatabase), (url) =>
      Effect.gen(function*() {
        const ledger = yield* TradeLedger
        const sql = yield* SqlClient.SqlClient
        const create = (id: string) => ledger.createBook({ id: BookId.make(id), label: id, from: FROM, to: FROM, params: {} })
        const created = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        // the first book written, its transaction not yet committed
        const first = yield* sql.withTransaction(
          Effect.andThen(create("first"), Effect.andThen(Deferred.succeed(created, undefined), Deferred.await(release)))
        ).pipe(Effect.forkChild)
        yield* Deferred.await(created)
        const second = yield* Effect.exit(create("second")).pipe(Effect.forkChild)
        // until the second waits on a lock the first holds
        const waiting = sql<{ readonly n: number }>`SELECT CAST(COUNT(*) AS INTEGER) AS n FROM pg_locks WHERE NOT granted`
        while ((yield* waiting)[0]!.n === 0) yield* Effect.yieldNow
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(first)
        const outcome = yield* Fiber.join(second)
        assert.isTrue(Exit.isSuccess(outcome), String(outcome))
        const keys = yield* sql<{ readonly id: string; readonly short_id: string }>`SELECT id, short_id FROM ledger_books WHERE kind = 'backtest' ORDER BY id`
        assert.deepStrictEqual(keys.map((k) => [k.id, k.short_id]), [["first", "~1"], ["second", "~2"]])
      }).pipe(Effect.provide(ledgerOn(Database.layerPg(url))))), 60_000)

  it.effect("a ledger written before migration 0031 reads back as a new one does, takes more sessions alike, and new books are keyed short", () =>
    Effect.flatMap(PgServer.use((pg) => pg.createDatabase), (url) => upgradedAcross0031(() => PgClient.layer({ url }))), 60_000)
})

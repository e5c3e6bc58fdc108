/**
 * The ledger's contract: the tests `TradeLedger.test.ts` runs on each database (SQLite and PostgreSQL), each on a
 * fresh, migrated one.
 */
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as SqlClient from "effect/sql/SqlClient"
import { AccountId, Ticker, TradingDay } from "@council/domain"
import { BookId, liveBook, type Reconciliation, TradeLedger } from "@council/tracking"
import { ACCOUNTS, simulate, STARTING_CASH } from "./fixtures/SimulatedBook.ts"
import { fingerprint, FROM, withMarket } from "./LedgerFixture.ts"

const SESSIONS = 30
/** A position, for a snapshot that holds none. */
const POSITION = { symbol: Ticker.make("SPY"), qty: 1, side: "long" as const, avgEntryPrice: 1, marketValue: 1, currentPrice: 1, unrealizedPl: 0 }

type Body = Effect.Effect<void, unknown, TradeLedger | SqlClient.SqlClient | import("effect/Scope").Scope>

/** The same tests on each database: `test(name, body)` runs `body` on a fresh, migrated database. */
export const contract = (test: (name: string, body: () => Body) => void) => {
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
        account, id, clientOrderId, symbol: Ticker.make("SPY"), side: "sell" as const, qty: 10, notional: null, trailPrice: null, trailPercent: null, hwm: null, type: "market" as const, timeInForce: "cls" as const,
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
        account, id: "o-9", clientOrderId: "c-9", symbol: Ticker.make("SPY"), side: "buy" as const, qty: 10, notional: null, trailPrice: null, trailPercent: null, hwm: null, type: "limit" as const,
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

  test("looks orders and fills up by key: the top-level orders and the fills the book holds, no leg, no other book's", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const ledger = yield* TradeLedger
        const sim = yield* simulate(market, liveBook, FROM, 12)
        for (const day of sim.days) yield* ledger.record(day)
        const other = BookId.make("bt-held")
        yield* ledger.createBook({ id: other, label: "held", from: FROM, to: FROM, params: {} })
        yield* ledger.record({ ...sim.days[0]!, book: other })
        const orders = sim.days.flatMap((d) => d.orders)
        const fills = sim.days.flatMap((d) => d.fills)
        assert.isTrue(orders.some((o) => o.parentId !== null), "the simulation has legs")
        // every order and fill recorded, each under another account too, and ids nobody holds: more than a statement's keys
        const [first, second] = ACCOUNTS
        const elsewhere = (account: AccountId) => (account === first ? second! : first!)
        const keysOf = (rows: ReadonlyArray<{ readonly account: AccountId; readonly id: string }>) => [
          ...rows.map((r) => ({ account: r.account, id: r.id })),
          ...rows.map((r) => ({ account: elsewhere(r.account), id: r.id })),
          ...Array.from({ length: 250 }, (_, i) => ({ account: first!, id: `unknown-${i}` }))
        ]
        const sorted = (rows: ReadonlyArray<string>) => [...new Set(rows)].toSorted()
        const heldOrders = (book: BookId, recorded: ReadonlyArray<typeof orders[number]>) =>
          Effect.gen(function*() {
            const held = yield* ledger.heldOrders(book, keysOf(orders))
            assert.deepStrictEqual(
              held.map((o) => `${o.account} ${o.id} ${o.submittedAt}`).toSorted(),
              sorted(recorded.filter((o) => o.parentId === null).map((o) => `${o.account} ${o.id} ${o.submittedAt}`))
            )
          })
        const heldFills = (book: BookId, recorded: ReadonlyArray<typeof fills[number]>) =>
          Effect.gen(function*() {
            const held = yield* ledger.heldFills(book, keysOf(fills))
            assert.deepStrictEqual(held.map((f) => `${f.account} ${f.id} ${f.session}`).toSorted(), sorted(recorded.map((f) => `${f.account} ${f.id} ${f.session}`)))
          })
        yield* heldOrders(liveBook, orders)
        yield* heldFills(liveBook, fills)
        yield* heldOrders(other, sim.days[0]!.orders)
        yield* heldFills(other, sim.days[0]!.fills)
        assert.deepStrictEqual(yield* ledger.heldOrders(liveBook, []), [])
        assert.deepStrictEqual(yield* ledger.heldFills(BookId.make("nope"), keysOf(fills)), [])
      })))

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

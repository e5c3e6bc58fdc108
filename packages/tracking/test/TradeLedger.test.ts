import { assert, describe, it, layer } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as SqlClient from "effect/sql/SqlClient"
import { Database } from "@council/store"
import { BookId, liveBook, TradeLedger } from "@council/tracking"
import { PgServer } from "../../store/test/PgServer.ts"
import { ACCOUNTS, simulate } from "./fixtures/SimulatedBook.ts"
import { FROM, ledgerOn, tempDb, withMarket } from "./LedgerFixture.ts"
import { ledgerStatements, planOf } from "./LedgerStatements.ts"
import { contract } from "./TradeLedgerContract.ts"

/** Six simulated days recorded in the live book: the ledger, its SQL client and what was recorded. */
const sixDaysRecorded = (market: Parameters<typeof simulate>[0]) =>
  Effect.gen(function*() {
    const ledger = yield* TradeLedger
    const sql = yield* SqlClient.SqlClient
    const sim = yield* simulate(market, liveBook, FROM, 6)
    for (const day of sim.days) yield* ledger.record(day)
    return { ledger, sim, sql }
  })

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

  it.effect("an account's window of orders is read as a range of its submission index, with the orders of the window's days", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const ledger = yield* TradeLedger
        const sim = yield* simulate(market, liveBook, FROM, 12)
        for (const day of sim.days) yield* ledger.record(day)
        const [from, to] = [sim.sessions[3]!, sim.sessions[7]!]
        let read = 0
        for (const account of ACCOUNTS) {
          const all = yield* ledger.orders({ book: liveBook, account, status: "all", limit: 10_000 })
          const { result: window, statements } = yield* ledgerStatements(ledger.orders({ book: liveBook, account, from, to, status: "all", limit: 10_000 }))
          const day = (o: { readonly submittedAt: string }) => o.submittedAt.slice(0, 10)
          assert.deepStrictEqual(window, all.filter((o) => day(o) >= from && day(o) <= to))
          read += window.length
          const plan = yield* planOf(statements.find((s) => s.operation === "orders")!.text)
          assert.isTrue(plan.some((row) => row.includes("USING INDEX ledger_orders_submitted (book=? AND account=? AND submitted_at>? AND submitted_at<?)")), plan.join("\n"))
        }
        assert.isAbove(read, 0)
      }).pipe(Effect.provide(ledgerOn(Database.layerSqlite(tempDb()))))))

  it.effect("snapshots read back field for field as recorded; a stored row that does not decode fails the read", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const { ledger, sim, sql } = yield* sixDaysRecorded(market)
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

  it.effect("held keys read back as recorded; a held row that does not decode fails the lookup as damage", () =>
    withMarket((market) =>
      Effect.gen(function*() {
        const { ledger, sim, sql } = yield* sixDaysRecorded(market)
        const fills = sim.days.flatMap((d) => d.fills)
        const orders = sim.days.flatMap((d) => d.orders).filter((o) => o.parentId === null)
        assert.isAbove(fills.length, 0)
        const byKey = <A extends { readonly account: string; readonly id: string }>(rows: ReadonlyArray<A>) =>
          rows.toSorted((a, b) => `${a.account} ${a.id}` < `${b.account} ${b.id}` ? -1 : 1)
        const heldFills = yield* ledger.heldFills(liveBook, fills.map((f) => ({ account: f.account, id: f.id })))
        assert.deepStrictEqual(byKey(heldFills), byKey(fills.map((f) => ({ account: f.account, id: f.id, session: f.session }))))
        const heldOrders = yield* ledger.heldOrders(liveBook, orders.map((o) => ({ account: o.account, id: o.id })))
        assert.deepStrictEqual(byKey(heldOrders), byKey(orders.map((o) => ({ account: o.account, id: o.id, submittedAt: o.submittedAt }))))
        const damaged = fills[0]!
        yield* sql`UPDATE ledger_fills SET session = ${"someday"} WHERE book = ${liveBook} AND account = ${damaged.account} AND fill_id = ${damaged.id}`
        const failure = yield* ledger.heldFills(liveBook, [{ account: damaged.account, id: damaged.id }]).pipe(Effect.flip)
        assert.strictEqual(failure.operation, "heldFills")
        assert.strictEqual(failure.kind, "damaged")
      }).pipe(Effect.provide(ledgerOn(Database.layerSqlite(tempDb()))))))
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
})

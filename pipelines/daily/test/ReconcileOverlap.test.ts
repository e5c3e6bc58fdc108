import { assert, describe, it } from "@effect/vitest"
import { Effect, Option, Ref, Tracer } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { momentAt, TradingDay } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { MarketData } from "@council/market"
import { COUNCIL, reconcileEnv, runReconcile, SPY } from "./ReconcileRun.ts"

/** A tracer keeping every span it makes (the native ones: their attributes are kept, since a tracer is installed). */
const keepingTracer = () => {
  const spans: Array<Tracer.Span> = []
  const tracer = Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { spans, tracer }
}

/** The name of the nearest `TradeLedger.…` span above `span`, if any. */
const ledgerOperation = (span: Tracer.AnySpan): string | undefined => {
  for (let s: Option.Option<Tracer.AnySpan> = Option.some(span); Option.isSome(s); s = s.value._tag === "Span" ? s.value.parent : Option.none()) {
    if (s.value._tag === "Span" && s.value.name.startsWith("TradeLedger.")) return s.value.name
  }
  return undefined
}

/**
 * Whether a row of a plan reads stored rows other than one by one by their whole key: a scan of a table (the list of
 * keys looked up is not one), or a search of a ledger table by less than its three key columns (book, account, id).
 */
const walks = (detail: string) => {
  // the list of keys looked up (`held_keys`), a list of values or, of one row, a co-routine
  if (detail.startsWith("SCAN ")) return !/^SCAN (\d+-ROW VALUES CLAUSE|CONSTANT ROW|held_keys)$/.test(detail)
  if (!detail.startsWith("SEARCH ")) return false
  if (/ USING INDEX sqlite_autoindex_ledger_books_1 \(id=\?\)$/.test(detail)) return false
  const key = / USING PRIMARY KEY \(([^)]*)\)$/.exec(detail)
  return key === null || !/^\w+=\? AND \w+=\? AND \w+=\?$/.test(key[1]!)
}

describe("Reconcile's overlap", () => {
  it.effect("what a reconciliation reads again is looked up by key: no statement of the overlap walks the book", () =>
    Effect.gen(function*() {
      const session = yield* Ref.make(momentAt("2024-03-01", "16:30"))
      const { spans, tracer } = keepingTracer()
      return yield* Effect.gen(function*() {
        const days = yield* MarketData.use((m) => m.sessions(TradingDay.make("2024-03-01"), TradingDay.make("2024-03-08")))
        const exchange = yield* LocalExchange
        const sql = yield* SqlClient.SqlClient
        yield* runReconcile(days[0]!, "r0", "record")
        // a market buy after the close: filled at the next open, closed by the next reconciliation
        yield* exchange.placeOrder(COUNCIL, {
          account: COUNCIL,
          symbol: SPY,
          side: "buy",
          qty: 10,
          type: "market",
          timeInForce: "day",
          orderClass: "simple",
          clientOrderId: "council-overlap-1",
          reason: "test"
        })
        yield* Ref.set(session, momentAt(days[1]!, "16:30"))
        const first = yield* runReconcile(days[1]!, "r1", "record")
        assert.deepStrictEqual(first.report.accounts.map((a): ReadonlyArray<unknown> => [a.account, a.newOrders, a.newFills]), [["COUNCIL", 1, 1], ["CLAUDE", 0, 0]])
        // the next session reads the order and its fill again (the cursors' overlap): looked up, held, nothing new
        yield* Ref.set(session, momentAt(days[2]!, "16:30"))
        spans.length = 0
        const again = yield* runReconcile(days[2]!, "r2", "record").pipe(Effect.provideService(Tracer.Tracer, tracer))
        assert.deepStrictEqual(again.report.accounts.map((a): ReadonlyArray<unknown> => [a.account, a.orders, a.newOrders, a.fills, a.newFills]), [["COUNCIL", 1, 0, 1, 0], ["CLAUDE", 0, 0, 0, 0]])
        // the statements of the lookups: those of the ledger's reads but where the cursors start (its writes run
        // outside effect/sql's statements)
        const overlap = spans.flatMap((span) => {
          const text = span.attributes.get("db.query.text")
          const operation = ledgerOperation(span)
          return typeof text === "string" && operation !== undefined && operation !== "TradeLedger.cursors" && operation !== "TradeLedger.record" ? [{ operation, text }] : []
        })
        assert.isAtLeast(overlap.length, 2, "the overlap's orders and fills were looked up")
        for (const { operation, text } of overlap) {
          const plan = (yield* sql.unsafe<{ detail: string }>(`EXPLAIN QUERY PLAN ${text}`)).map((r) => r.detail)
          assert.deepStrictEqual(plan.filter(walks), [], `${operation}: ${text}\n${plan.join("\n")}`)
        }
      }).pipe(Effect.provide(reconcileEnv(session)))
    }))
})

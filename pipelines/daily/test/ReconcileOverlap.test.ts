import { assert, describe, it } from "@effect/vitest"
import { Effect, Ref } from "effect"
import { momentAt, TradingDay } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { MarketData } from "@council/market"
import { ledgerStatements, planOf, walks } from "../../../packages/tracking/test/LedgerStatements.ts"
import { COUNCIL, reconcileEnv, runReconcile, SPY } from "./ReconcileRun.ts"

describe("Reconcile's overlap", () => {
  it.effect("what a reconciliation reads again is looked up by key: no statement of the overlap walks the book", () =>
    Effect.gen(function*() {
      const session = yield* Ref.make(momentAt("2024-03-01", "16:30"))
      return yield* Effect.gen(function*() {
        const days = yield* MarketData.use((m) => m.sessions(TradingDay.make("2024-03-01"), TradingDay.make("2024-03-08")))
        const exchange = yield* LocalExchange
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
        const { result: again, statements } = yield* ledgerStatements(runReconcile(days[2]!, "r2", "record"))
        assert.deepStrictEqual(
          again.report.accounts.map((a): ReadonlyArray<unknown> => [a.account, a.orders, a.newOrders, a.fills, a.newFills]),
          [["COUNCIL", 1, 0, 1, 0], ["CLAUDE", 0, 0, 0, 0]]
        )
        // the lookups' statements: those of the ledger's reads but where the cursors start
        const overlap = statements.filter((s) => s.operation !== "cursors" && s.operation !== "record")
        assert.isAtLeast(overlap.length, 2, "the overlap's orders and fills were looked up")
        for (const { operation, text } of overlap) {
          const plan = yield* planOf(text)
          assert.deepStrictEqual(plan.filter(walks), [], `${operation}: ${text}\n${plan.join("\n")}`)
        }
      }).pipe(Effect.provide(reconcileEnv(session)))
    }))
})

import { assert, layer } from "@effect/vitest"
import { Context, Deferred, Duration, Effect, Fiber, Layer } from "effect"
import * as SqlClient from "effect/sql/SqlClient"
import { Database } from "@council/store"
import { LlmBudget, type Prices, SpendLedger, SpendLockWait } from "@council/llm"
import { PgServer } from "../../store/test/PgServer.ts"

const prices: Prices.PriceTable = { asOf: "2026-11-23", currency: "USD", models: { "openai:gpt-5.4": { input: 2.5, cachedInput: 0.25, output: 15 } } }
const call = { actor: "CHATGPT", purpose: "pitch", model: "openai:gpt-5.4", inputTokens: 1000, maxOutputTokens: 1000 } as const

layer(PgServer.layer, { timeout: 60_000, excludeTestServices: true })("LlmBudget on PostgreSQL, a hung peer holding the spend lock", (it) => {
  it.effect("a reservation waiting for the lock fails past SpendLockWait naming it, and is interrupted at once; nothing is written", () =>
    Effect.gen(function*() {
      const url = yield* (yield* PgServer).createDatabase
      const built = yield* Layer.build(
        LlmBudget.layer(prices, { perRunUsd: null, perMonthUsd: 100 }).pipe(Layer.provideMerge(SpendLedger.layerSql), Layer.provideMerge(Database.layerPg(url)))
      )
      const budget = Context.get(built, LlmBudget)
      const sql = Context.get(built, SqlClient.SqlClient)
      // the peer: another client whose transaction took the lock and hangs
      const peer = yield* sql.reserve
      yield* peer.executeUnprepared("BEGIN", [], undefined)
      yield* peer.executeUnprepared("SELECT pg_advisory_xact_lock(1112130516)", [], undefined)
      // it lets go after 10 s whatever happens, so a wait that cannot be cut short ends (and fails the test) instead of hanging
      const released = yield* Deferred.make<void>()
      yield* Effect.forkChild(Effect.sleep("10 seconds").pipe(
        Effect.andThen(peer.executeUnprepared("COMMIT", [], undefined)),
        Effect.andThen(Deferred.succeed(released, undefined))
      ))

      const bounded = yield* budget.reserve(call).pipe(Effect.provideService(SpendLockWait, Duration.millis(300)), Effect.flip)
      assert.match(
        bounded.message,
        /^another process has held the LLM spend ledger's lock \(PostgreSQL advisory lock 1112130516\) for over 300ms: it is hung; end its session \(pg_locks, pg_terminate_backend\) or that process, then try again$/
      )
      assert.isFalse(yield* Deferred.isDone(released), "the reservation waited for the peer to let go")

      const waiting = yield* Effect.forkChild(budget.reserve(call))
      yield* Effect.sleep("300 millis")
      yield* Fiber.interrupt(waiting)
      assert.isFalse(yield* Deferred.isDone(released), "the interruption waited for the peer to let go")
      const rows = yield* sql<{ readonly n: unknown }>`SELECT COUNT(*) AS n FROM llm_spend`
      assert.strictEqual(Number(rows[0]?.n), 0)
    }).pipe(Effect.scoped), { timeout: 20_000 })
})

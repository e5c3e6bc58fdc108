import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Effect, Ref } from "effect"
import { momentAt, type NewYorkMoment, TradingDay } from "@council/domain"
import type { Recording } from "@council/engine"
import { LocalExchange } from "@council/exchange"
import { claudeFillsFailing, COUNCIL, keyShapes, reconcileEnv, runReconcile, walkMonth } from "./ReconcileRun.ts"

/**
 * A run recorded by Reconcile as of 5fea920 (each account read call by call): COUNCIL's bracket, known open, filled
 * its exit after a later order moved the cursor past it (so it was looked up with `broker.getOrder`); CLAUDE's fills
 * answered 503. A change to how Reconcile reads must keep replaying it, and keep recording the same calls.
 */
const older = JSON.parse(readFileSync(new URL("./fixtures/reconcile-recorded-call-by-call.json", import.meta.url), "utf8")) as {
  readonly day: TradingDay
  readonly runId: string
  readonly report: unknown
  readonly recordings: ReadonlyArray<Recording>
}

/** Two accounts on the exchange; CLAUDE's fills fail once `failing.on`. */
const env = (session: Ref.Ref<NewYorkMoment>, failing: { on: boolean }) => reconcileEnv(session, claudeFillsFailing(failing))

/** The recordings' keys and outcomes, sorted (order ids numbered by first appearance). */
const shapes = (recordings: ReadonlyArray<Recording>) => recordings.map(keyShapes()).sort()

describe("Reconcile's recorded calls", () => {
  it.effect("a recorded run replays exactly, lookup and failure included, asking nothing", () =>
    Effect.gen(function*() {
      const session = yield* Ref.make(momentAt(older.day, "16:30"))
      const replayed = yield* runReconcile(older.day, older.runId, "replay", older.recordings).pipe(Effect.provide(env(session, { on: true })))
      assert.deepStrictEqual(replayed.report, older.report)
      assert.strictEqual(replayed.live, 0)
      assert.isTrue(older.recordings.some((r) => r.key.startsWith("broker.getOrder(")), "the fixture holds a lookup")
    }))

  it.effect("the same book read now records what the calls recorded: the same report, the same calls with the same outcomes", () =>
    Effect.gen(function*() {
      const session = yield* Ref.make(momentAt("2024-03-01", "16:30"))
      const failing = { on: false }
      const ended = yield* walkMonth(
        session,
        (day) => runReconcile(day, "g0", "record"),
        (day, i) =>
          Effect.gen(function*() {
            if (!(yield* LocalExchange.use((exchange) => exchange.listFills(COUNCIL, {}))).some((f) => f.side === "sell")) {
              yield* runReconcile(day, `g${i + 1}`, "record")
              return false
            }
            failing.on = true
            const now = yield* runReconcile(day, older.runId, "record")
            assert.strictEqual(day, older.day)
            assert.deepStrictEqual(now.report, older.report)
            assert.deepStrictEqual(shapes(now.recordings), shapes(older.recordings))
            return true
          })
      ).pipe(Effect.provide(env(session, failing)))
      assert.isTrue(ended, "the bracket's exit filled within the month")
    }))
})

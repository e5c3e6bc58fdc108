import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Effect, Ref } from "effect"
import { momentAt, type NewYorkMoment, Ticker, TradingDay } from "@council/domain"
import type { Recording } from "@council/engine"
import { LocalExchange } from "@council/exchange"
import { MarketData } from "@council/market"
import { CLAUDE, claudeFillsFailing, COUNCIL, nearBracket, reconcileEnv, runReconcile, SPY } from "./ReconcileRun.ts"

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

/** A recording's key and outcome, order ids (random) replaced by their first appearance's number. */
const shapes = (recordings: ReadonlyArray<Recording>) => {
  const ids = new Map<string, string>()
  const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g
  const plain = (text: string) => text.replace(uuid, (id) => ids.get(id) ?? (ids.set(id, `#${ids.size}`), ids.get(id)!))
  return recordings.map((r) => `${plain(r.key)} ${(r.value as { _tag: string })._tag}`).sort()
}

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
      return yield* Effect.gen(function*() {
        const days = yield* MarketData.use((m) => m.sessions(TradingDay.make("2024-03-01"), TradingDay.make("2024-03-28")))
        const exchange = yield* LocalExchange
        yield* runReconcile(days[0]!, "g0", "record")
        const close = (yield* MarketData.use((m) => m.bars({ symbol: SPY, asOf: days[0]!, lookback: 1 })))[0]!.close
        const bracket = nearBracket(COUNCIL, "council-old-1", close)
        const { stopLoss: _stop, takeProfit: _take, ...entry } = bracket
        const simple = { ...entry, orderClass: "simple", timeInForce: "day" } as const
        yield* exchange.placeOrder(COUNCIL, bracket)
        yield* exchange.placeOrder(CLAUDE, { ...simple, account: CLAUDE, clientOrderId: "claude-old-1" })
        for (const [i, day] of days.slice(1).entries()) {
          yield* Ref.set(session, momentAt(day, "16:30"))
          if (i === 0) yield* exchange.placeOrder(COUNCIL, { ...simple, clientOrderId: "council-old-2", symbol: Ticker.make("QQQ"), qty: 1 })
          if ((yield* exchange.listFills(COUNCIL, {})).some((f) => f.side === "sell")) {
            failing.on = true
            const now = yield* runReconcile(day, older.runId, "record")
            assert.strictEqual(day, older.day)
            assert.deepStrictEqual(now.report, older.report)
            assert.deepStrictEqual(shapes(now.recordings), shapes(older.recordings))
            return
          }
          yield* runReconcile(day, `g${i + 1}`, "record")
        }
        assert.fail("the bracket's exit filled within the month")
      }).pipe(Effect.provide(env(session, failing)))
    }))
})

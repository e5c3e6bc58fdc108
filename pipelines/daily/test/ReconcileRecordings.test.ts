import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Effect, Layer, Ref } from "effect"
import { AccountId, momentAt, type NewYorkMoment, type OrderIntent, type RunId, Ticker, TradingDay } from "@council/domain"
import { type Recording, Recorder, RunContext, RunStore } from "@council/engine"
import { BrokerError, Brokers } from "@council/broker"
import { ExchangeSession, LocalExchange } from "@council/exchange"
import { LocalBars, MarketData } from "@council/market"
import { Database } from "@council/store"
import { TradeLedger } from "@council/tracking"
import { Reconcile } from "@council/daily"

const COUNCIL = AccountId.make("COUNCIL")
const CLAUDE = AccountId.make("CLAUDE")
const SPY = Ticker.make("SPY")

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
const env = (session: Ref.Ref<NewYorkMoment>, failing: { on: boolean }) => {
  const brokers = Layer.effect(
    Brokers,
    Effect.gen(function*() {
      const exchange = yield* LocalExchange
      const broker = (account: AccountId) => {
        const local = LocalExchange.broker(exchange, account)
        const unavailable = new BrokerError({ account, reason: "Unavailable", message: "503 service unavailable", retryable: true })
        return account === CLAUDE ? { ...local, listFills: (q: Parameters<typeof local.listFills>[0]) => (failing.on ? Effect.fail(unavailable) : local.listFills(q)) } : local
      }
      return Brokers.of({ accounts: [COUNCIL, CLAUDE], get: (account) => Effect.succeed(broker(account)) })
    })
  )
  return Layer.mergeAll(TradeLedger.layer, brokers.pipe(Layer.provideMerge(LocalExchange.layer({ slippageBps: 5 })))).pipe(
    Layer.provideMerge(Layer.mergeAll(Database.layerSqlite(":memory:"), ExchangeSession.layerRef(session))),
    Layer.provideMerge(LocalBars.layer()),
    Layer.provideMerge(RunStore.layerMemory),
    Layer.orDie
  )
}

const reconcile = (day: TradingDay, runId: string, mode: "record" | "replay", recordings: ReadonlyArray<Recording> = []) =>
  Effect.gen(function*() {
    const recorder = yield* Recorder.make({ mode, runId: runId as RunId, stage: "Reconcile", recordings })
    const report = yield* Reconcile.run({}).pipe(
      Effect.provideService(Recorder.Recorder, recorder),
      Effect.provide(RunContext.layerTest({ tradingDay: day, runId: runId as RunId, mode, params: { accounts: [], broker: "t", data: "t", pms: "t" } }))
    )
    return { report, recordings: yield* recorder.recordings, live: yield* recorder.liveCalls }
  })

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
      const replayed = yield* reconcile(older.day, older.runId, "replay", older.recordings).pipe(Effect.provide(env(session, { on: true })))
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
        yield* reconcile(days[0]!, "g0", "record")
        const close = (yield* MarketData.use((m) => m.bars({ symbol: SPY, asOf: days[0]!, lookback: 1 })))[0]!.close
        const bracket: OrderIntent = {
          account: COUNCIL,
          clientOrderId: "council-old-1",
          symbol: SPY,
          side: "buy",
          qty: 10,
          type: "market",
          timeInForce: "gtc",
          orderClass: "bracket",
          takeProfit: { limitPrice: Math.round(close * 1.004 * 100) / 100 },
          stopLoss: { stopPrice: Math.round(close * 0.996 * 100) / 100 },
          reason: "test"
        }
        const { stopLoss: _stop, takeProfit: _take, ...entry } = bracket
        const simple = { ...entry, orderClass: "simple", timeInForce: "day" } as const
        yield* exchange.placeOrder(COUNCIL, bracket)
        yield* exchange.placeOrder(CLAUDE, { ...simple, account: CLAUDE, clientOrderId: "claude-old-1" })
        for (const [i, day] of days.slice(1).entries()) {
          yield* Ref.set(session, momentAt(day, "16:30"))
          if (i === 0) yield* exchange.placeOrder(COUNCIL, { ...simple, clientOrderId: "council-old-2", symbol: Ticker.make("QQQ"), qty: 1 })
          if ((yield* exchange.listFills(COUNCIL, {})).some((f) => f.side === "sell")) {
            failing.on = true
            const now = yield* reconcile(day, older.runId, "record")
            assert.strictEqual(day, older.day)
            assert.deepStrictEqual(now.report, older.report)
            assert.deepStrictEqual(shapes(now.recordings), shapes(older.recordings))
            return
          }
          yield* reconcile(day, `g${i + 1}`, "record")
        }
        assert.fail("the bracket's exit filled within the month")
      }).pipe(Effect.provide(env(session, failing)))
    }))
})

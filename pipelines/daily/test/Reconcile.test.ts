import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Ref } from "effect"
import { AccountId, momentAt, type NewYorkMoment, type OrderIntent, type RunId, Ticker, TradingDay } from "@council/domain"
import { type Recording, Recorder, RunContext, RunStore } from "@council/engine"
import { BrokerError, Brokers } from "@council/broker"
import { ExchangeSession, LocalExchange } from "@council/exchange"
import { LocalBars, MarketData } from "@council/market"
import { Database } from "@council/store"
import { liveBook, TradeLedger } from "@council/tracking"
import { Reconcile, sessionOf } from "@council/daily"

const COUNCIL = AccountId.make("COUNCIL")
const CLAUDE = AccountId.make("CLAUDE")
const SPY = Ticker.make("SPY")

/** The exchange and the ledger on one in-memory database, the session in `session`, real bars. */
const env = (session: Ref.Ref<NewYorkMoment>) =>
  Layer.mergeAll(TradeLedger.layer, LocalExchange.layerBrokers([COUNCIL, CLAUDE]).pipe(Layer.provideMerge(LocalExchange.layer({ slippageBps: 5 }))))
    .pipe(
      Layer.provideMerge(Layer.mergeAll(Database.layerSqlite(":memory:"), ExchangeSession.layerRef(session))),
      Layer.provideMerge(LocalBars.layer()),
      Layer.provideMerge(RunStore.layerMemory),
      Layer.orDie
    )

/** What each run recorded (the runner would commit it with the stage's checkpoint). */
const kept = new Map<string, ReadonlyArray<Recording>>()

/** Runs the Reconcile stage as a run of `day` would, recording (or replaying) its calls under `runId`. */
const reconcile = (day: TradingDay, runId: string, mode: "record" | "replay" = "record") =>
  Effect.gen(function*() {
    const recordings = mode === "replay" ? kept.get(runId) ?? [] : []
    const recorder = yield* Recorder.make({ mode, runId: runId as RunId, stage: "Reconcile", recordings })
    const report = yield* Reconcile.run({}).pipe(
      Effect.provideService(Recorder.Recorder, recorder),
      Effect.provide(RunContext.layerTest({ tradingDay: day, runId: runId as RunId, mode, params: { accounts: [], broker: "t", data: "t", pms: "t" } }))
    )
    if (mode === "record") kept.set(runId, yield* recorder.recordings)
    return report
  })

const ledgerState = Effect.gen(function*() {
  const ledger = yield* TradeLedger
  return {
    equity: yield* ledger.equity({ book: liveBook }),
    orders: yield* ledger.orders({ book: liveBook, status: "all" }),
    fills: yield* ledger.fills({ book: liveBook })
  }
})

describe("Reconcile", () => {
  it.effect("bracket legs that fill sessions later reach the ledger with their fills; a second reconciliation changes nothing; a replay is exact", () =>
    Effect.gen(function*() {
      const session = yield* Ref.make(momentAt("2024-03-01", "16:30"))
      return yield* Effect.gen(function*() {
        const days = yield* MarketData.use((m) => m.sessions(TradingDay.make("2024-03-01"), TradingDay.make("2024-03-28")))
        const exchange = yield* LocalExchange
        const first = yield* reconcile(days[0]!, "r0")
        assert.deepStrictEqual(first.accounts.map((a) => [a.account, a.status, a.orders, a.fills]), [["COUNCIL", "recorded", 0, 0], ["CLAUDE", "recorded", 0, 0]])
        // the day's execution, after the close: a bracket whose entry fills at the next open and whose exits sit
        // 0.4 % away, so one fills on a later session
        const close = (yield* MarketData.use((m) => m.bars({ symbol: SPY, asOf: days[0]!, lookback: 1 })))[0]!.close
        const intent: OrderIntent = {
          account: COUNCIL,
          clientOrderId: "council-test-1",
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
        const placed = yield* exchange.placeOrder(COUNCIL, intent)
        let exitDay: TradingDay | undefined
        for (const [i, day] of days.slice(1).entries()) {
          yield* Ref.set(session, momentAt(day, "16:30"))
          yield* reconcile(day, `r${i + 1}`)
          const fills = yield* exchange.fills(COUNCIL)
          if (fills.length === 2) {
            exitDay = day
            break
          }
        }
        assert.isDefined(exitDay, "a leg filled within the month")
        const state = yield* ledgerState
        // every fill the exchange made, with its price, quantity, time and session
        const exchangeFills = yield* exchange.fills(COUNCIL)
        assert.deepStrictEqual(
          state.fills.filter((f) => f.account === COUNCIL).map((f) => [f.id, f.orderId, f.qty, f.price, f.at, f.session]),
          exchangeFills.map((f) => [f.id, f.orderId, f.qty, f.price, f.at, f.at.slice(0, 10)])
        )
        assert.strictEqual(state.fills.at(-1)!.session, exitDay)
        // the order with both legs: one filled, the other canceled with it, each with its history
        const [order] = state.orders.filter((o) => o.account === COUNCIL)
        assert.strictEqual(order!.id, placed.id)
        assert.deepStrictEqual(order!.history.map((h) => h.status), ["filled"])
        assert.sameMembers(order!.legs.map((l) => l.status), ["filled", "canceled"])
        const filledLeg = order!.legs.find((l) => l.status === "filled")!
        assert.deepStrictEqual(filledLeg.history.map((h) => h.status), ["new", "filled"])
        assert.strictEqual(filledLeg.filledAvgPrice, exchangeFills[1]!.price)
        // one snapshot per account per session, the last one what the exchange says now
        const councilEquity = state.equity.filter((e) => e.account === COUNCIL)
        assert.deepStrictEqual(councilEquity.map((e) => e.session), days.slice(0, councilEquity.length))
        assert.strictEqual(councilEquity.at(-1)!.equity, (yield* exchange.snapshot(COUNCIL)).equity)
        assert.strictEqual(state.equity.filter((e) => e.account === CLAUDE).length, councilEquity.length)

        // running it again (same session, a new run) changes nothing
        const again = yield* reconcile(exitDay!, "again")
        assert.isTrue(again.accounts.every((a) => a.status === "recorded"))
        const after = yield* ledgerState
        assert.deepStrictEqual(after.fills, state.fills)
        assert.deepStrictEqual(after.orders, state.orders)
        assert.deepStrictEqual(after.equity.map(({ takenAt: _, ...rest }) => rest), state.equity.map(({ takenAt: _, ...rest }) => rest))

        // a replay answers every call from the recordings: same output, nothing live
        const recorded = yield* reconcile(exitDay!, "again", "replay")
        assert.deepStrictEqual(recorded, again)
      }).pipe(Effect.provide(env(session)))
    }))

  it.effect("an account whose broker cannot be read is reported failed, nothing of it written; the others are recorded", () =>
    Effect.gen(function*() {
      const session = yield* Ref.make(momentAt("2024-03-01", "16:30"))
      const failing = Layer.effect(
        Brokers,
        Effect.gen(function*() {
          const exchange = yield* LocalExchange
          const broker = (account: AccountId) => {
            const local = LocalExchange.broker(exchange, account)
            return account === CLAUDE
              ? { ...local, listFills: () => Effect.fail(new BrokerError({ account, reason: "Unavailable", message: "503 service unavailable", retryable: true })) }
              : local
          }
          return Brokers.of({ accounts: [COUNCIL, CLAUDE], get: (account) => Effect.succeed(broker(account)) })
        })
      )
      return yield* Effect.gen(function*() {
        const report = yield* reconcile(TradingDay.make("2024-03-01"), "r").pipe(Effect.provide(failing))
        assert.deepStrictEqual(report.accounts.map((a) => [a.account, a.status]), [["COUNCIL", "recorded"], ["CLAUDE", "failed"]])
        assert.match(report.accounts[1]!.message, /503 service unavailable/)
        const state = yield* ledgerState
        assert.deepStrictEqual(state.equity.map((e) => e.account), [COUNCIL])
      }).pipe(Effect.provide(env(session)))
    }))

  it("a fill's session is its New York date, whatever the time of day, the season or the timestamp's form", () => {
    const newYork = new Intl.DateTimeFormat("en-CA", { timeZone: "America/New_York", year: "numeric", month: "2-digit", day: "2-digit" })
    // every 20 minutes over the days around the switches of daylight time (both rules) and ordinary days
    const days = ["1995-04-01", "1995-10-28", "2006-12-31", "2007-03-10", "2007-11-03", "2026-03-07", "2026-06-15", "2026-10-31", "2026-12-31"]
    for (const day of days) {
      for (let minutes = 0; minutes < 3 * 24 * 60; minutes += 20) {
        const epoch = Date.parse(`${day}T00:00:00Z`) + minutes * 60_000
        const expected = newYork.format(new Date(epoch))
        const iso = new Date(epoch).toISOString()
        assert.strictEqual(sessionOf(iso), expected, iso)
        assert.strictEqual(sessionOf(iso.replace(".000Z", "Z")), expected, iso)
        assert.strictEqual(sessionOf(iso.replace(".000Z", ".123456Z")), expected, iso)
        assert.strictEqual(sessionOf(iso.replace(".000Z", "+00:00")), expected, iso)
      }
    }
    assert.strictEqual(sessionOf("2026-08-03T20:00:00-04:00"), "2026-08-03")
    assert.strictEqual(sessionOf("2026-08-03T23:30:00-04:00"), "2026-08-03")
    assert.throws(() => sessionOf("yesterday"))
  })
})

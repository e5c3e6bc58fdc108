import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger } from "effect"
import { type RunId, Ticker, TradingDay } from "@council/domain"
import { Recorder, RunContext, RunStore } from "@council/engine"
import { Brokers } from "@council/broker"
import { AlpacaBroker } from "@council/broker/Alpaca"
import { Database } from "@council/store"
import { liveBook, TradeLedger } from "@council/tracking"
import { Reconcile } from "@council/daily"
import { startFakeAlpaca } from "../../../packages/broker/test/alpaca/FakeAlpaca.ts"
import { ACCOUNT, clientFor, intent } from "../../../packages/broker/test/alpaca/fixtures.ts"

const store = Layer.mergeAll(TradeLedger.layer, RunStore.layerMemory).pipe(Layer.provideMerge(Database.layerSqlite(":memory:")), Layer.orDie)

const reconcile = (day: string, runId: string) =>
  Effect.gen(function*() {
    const recorder = yield* Recorder.make({ mode: "record", runId: runId as RunId, stage: "Reconcile" })
    return yield* Reconcile.run({}).pipe(
      Effect.provideService(Recorder.Recorder, recorder),
      Effect.provide(RunContext.layerTest({ tradingDay: TradingDay.make(day), runId: runId as RunId, params: { accounts: [], broker: "t", data: "t", pms: "t" } }))
    )
  })

/** The Alpaca stand-in on 127.0.0.1, the adapter over it, and the brokers of its one account. */
const alpacaAccount = Effect.gen(function*() {
  const fake = yield* startFakeAlpaca()
  const broker = AlpacaBroker.fromClient(yield* clientFor(fake), {})
  return { fake, broker, brokers: Layer.succeed(Brokers, Brokers.of({ accounts: [ACCOUNT], get: () => Effect.succeed(broker) })) }
})

const ledgerState = Effect.gen(function*() {
  const ledger = yield* TradeLedger
  return { orders: yield* ledger.orders({ book: liveBook, status: "all" }), fills: yield* ledger.fills({ book: liveBook }), equity: yield* ledger.equity({ book: liveBook }) }
})

describe("Reconcile against an Alpaca stand-in on 127.0.0.1", () => {
  it.live("reads orders and FILL activities since the last reconciliation: a bracket leg filled days later reaches the ledger; again changes nothing", () =>
    Effect.gen(function*() {
      const { fake, broker, brokers } = yield* alpacaAccount
      return yield* Effect.gen(function*() {
        const { limitPrice: _, ...limit } = intent(1)
        const placed = yield* broker.placeOrder({ ...limit, type: "market", timeInForce: "gtc", orderClass: "bracket", takeProfit: { limitPrice: 160 }, stopLoss: { stopPrice: 140 } })
        fake.fill(placed.id, 150, "2026-08-03T14:00:00.000Z")
        const first = yield* reconcile("2026-08-03", "r1")
        assert.deepStrictEqual(first.accounts.map((a) => [a.account, a.status, a.orders, a.fills]), [[ACCOUNT, "recorded", 3, 1]])
        const takeProfit = placed.legs.find((l) => l.type === "limit")!
        fake.fill(takeProfit.id, 160.5, "2026-08-05T19:59:00.000Z")
        const requestsBefore = fake.requests.length
        const second = yield* reconcile("2026-08-05", "r2")
        // read from a second before the latest fill the ledger holds: that fill again (written once), and the leg's
        assert.deepStrictEqual(second.accounts.map((a) => [a.status, a.fills]), [["recorded", 2]])
        // the second reconciliation asked for what came after the first one only
        const asked = fake.requests.slice(requestsBefore)
        const activities = asked.find((r) => r.path === "/v2/account/activities/FILL")!
        assert.strictEqual(activities.query.get("after"), "2026-08-03T13:59:59.000Z")
        assert.isNotNull(asked.find((r) => r.path === "/v2/orders" && r.query.get("status") === "all")?.query.get("after"))

        const state = yield* ledgerState
        assert.deepStrictEqual(state.fills.map((f) => [f.orderId, f.qty, f.price, f.session]), [
          [placed.id, placed.qty, 150, "2026-08-03"],
          [takeProfit.id, takeProfit.qty, 160.5, "2026-08-05"]
        ])
        assert.deepStrictEqual(state.fills.map((f) => f.id), fake.activities.map((a) => a.id))
        const [order] = state.orders
        assert.strictEqual(order!.status, "filled")
        const tp = order!.legs.find((l) => l.id === takeProfit.id)!
        const sl = order!.legs.find((l) => l.id !== takeProfit.id)!
        assert.deepStrictEqual(tp.history.map((h) => [h.status, h.at]), [["new", "2026-08-03T14:00:00.000Z"], ["filled", "2026-08-05T19:59:00.000Z"]])
        assert.deepStrictEqual(sl.history.map((h) => h.status), ["new", "canceled"])
        assert.deepStrictEqual(state.equity.map((e) => [e.account, e.session, e.equity]), [[ACCOUNT, "2026-08-03", 100000], [ACCOUNT, "2026-08-05", 100000]])

        const third = yield* reconcile("2026-08-05", "r3")
        assert.deepStrictEqual(third.accounts.map((a) => a.status), ["recorded"])
        const after = yield* ledgerState
        assert.deepStrictEqual([after.orders, after.fills], [state.orders, state.fills])
        assert.strictEqual(after.equity.length, 2)
      }).pipe(Effect.provide(Layer.merge(store, brokers)))
    }))

  it.live("an open order whose status turned new to Council fails its account's reconciliation, naming it; the ledger keeps what it held until the status is one it knows", () =>
    Effect.gen(function*() {
      const { fake, broker, brokers } = yield* alpacaAccount
      return yield* Effect.gen(function*() {
        const placed = yield* broker.placeOrder({ ...intent(1), timeInForce: "gtc" })
        const first = yield* reconcile("2026-08-03", "u1")
        assert.deepStrictEqual(first.accounts.map((a) => [a.status, a.orders]), [["recorded", 1]])
        const held = yield* ledgerState
        fake.venueStatuses.set(placed.id, "pending_activation")
        const second = yield* reconcile("2026-08-04", "u2")
        assert.deepStrictEqual(second.accounts.map((a) => a.status), ["failed"])
        assert.include(second.accounts[0]!.message, `order ${placed.id} (buy 2 AAPL): status "pending_activation" is new to Council`)
        // nothing of the account was written: the order as it was, no equity for the day
        assert.deepStrictEqual(yield* ledgerState, held)
        fake.orders.set(placed.id, { ...fake.orders.get(placed.id)!, status: "canceled" })
        const third = yield* reconcile("2026-08-04", "u3")
        assert.deepStrictEqual(third.accounts.map((a) => a.status), ["recorded"])
        const after = yield* ledgerState
        assert.deepStrictEqual(after.orders.map((o) => [o.id, o.status]), [[placed.id, "canceled"]])
      }).pipe(Effect.provide(Layer.merge(store, brokers)))
    }))

  it.live("records a notional order (qty null on the wire) with its fill, and a trailing stop with its trail and mark, placed by the user", () =>
    Effect.gen(function*() {
      const { fake, brokers } = yield* alpacaAccount
      return yield* Effect.gen(function*() {
        // "$500 of AAPL", bought by the user at 150 a share: 3.333333333 shares (Alpaca's 9 decimals)
        const at = "2026-08-03T14:00:00.000Z"
        const id = "6f1b0b7e-1d5e-4c55-9a57-0d1b3c0a9f11"
        fake.orders.set(id, {
          id,
          clientOrderId: "users-own-notional",
          symbol: Ticker.make("AAPL"),
          side: "buy",
          qty: 3.333333333,
          notional: 500,
          type: "market",
          timeInForce: "day",
          limitPrice: null,
          stopPrice: null,
          orderClass: "simple",
          status: "filled",
          filledQty: 3.333333333,
          filledAvgPrice: 150,
          createdAt: at,
          updatedAt: at,
          submittedAt: at,
          filledAt: at,
          legs: []
        })
        fake.activities.push({
          id: "20260803140000000::7d4f3b8e-2b7a-4f0e-8f57-3c1f9d2b6a10",
          activity_type: "FILL",
          transaction_time: at,
          type: "fill",
          price: "150",
          qty: "3.333333333",
          side: "buy",
          symbol: "AAPL",
          leaves_qty: "0",
          order_id: id,
          cum_qty: "3.333333333",
          order_status: "filled"
        })
        // Alpaca's documented trailing stop ($6.15 trail), its mark at 160: its stop 153.85
        const trailId = "0c7f3e52-9a41-4f0b-8d0e-5b2d7c9e1a22"
        fake.orders.set(trailId, {
          id: trailId,
          clientOrderId: "users-own-trail",
          symbol: Ticker.make("AAPL"),
          side: "sell",
          qty: 3,
          type: "trailing_stop",
          timeInForce: "gtc",
          limitPrice: null,
          stopPrice: 153.85,
          trailPrice: 6.15,
          hwm: 160,
          orderClass: "simple",
          status: "new",
          filledQty: 0,
          filledAvgPrice: null,
          createdAt: "2026-08-03T15:00:00.000Z",
          updatedAt: "2026-08-03T15:00:00.000Z",
          submittedAt: "2026-08-03T15:00:00.000Z",
          filledAt: null,
          legs: []
        })
        // what the fake answers is Alpaca's shape of a notional order: dollars, no shares
        const wire = JSON.parse((yield* Effect.promise(() =>
          fetch(`${fake.url}/v2/orders/${id}`, { headers: { "APCA-API-KEY-ID": fake.keyId, "APCA-API-SECRET-KEY": fake.secretKey } }).then((r) => r.text())
        ))) as { qty: unknown; notional: unknown }
        assert.deepStrictEqual([wire.qty, wire.notional], [null, "500"])
        const result = yield* reconcile("2026-08-03", "r-notional")
        assert.deepStrictEqual(result.accounts.map((a) => [a.status, a.orders, a.fills]), [["recorded", 2, 1]])
        const state = yield* ledgerState
        assert.deepStrictEqual(
          state.orders.map((o) => [o.clientOrderId, o.type, o.notional, o.qty, o.filledQty, o.filledAvgPrice, o.status]),
          [["users-own-trail", "trailing_stop", null, 3, 0, null, "new"], ["users-own-notional", "market", 500, 3.333333333, 3.333333333, 150, "filled"]]
        )
        assert.deepStrictEqual(state.orders.map((o) => [o.trailPrice, o.trailPercent, o.hwm, o.stopPrice]), [[6.15, null, 160, 153.85], [null, null, null, null]])
        assert.deepStrictEqual(state.fills.map((f) => [f.orderId, f.qty, f.price]), [[id, 3.333333333, 150]])
      }).pipe(Effect.provide(Layer.merge(store, brokers)))
    }))

  it.live("marks every snapshot at the moment of Alpaca's latest trades, read from the market-data API beside the account", () =>
    Effect.gen(function*() {
      const { fake, brokers } = yield* alpacaAccount
      fake.latestTrades.set("SPY", { t: "2026-08-03T13:59:59.912Z", p: 637.42 })
      return yield* Effect.gen(function*() {
        yield* reconcile("2026-08-03", "m1")
        // one wire read: Alpaca's path and parameters, the account's keys
        const asked = fake.requests.filter((r) => r.path === "/v2/stocks/trades/latest")
        assert.strictEqual(asked.length, 1)
        assert.strictEqual(asked[0]!.query.get("symbols"), "SPY")
        assert.strictEqual(asked[0]!.query.get("feed"), "iex")
        assert.strictEqual(asked[0]!.headers["apca-api-key-id"], fake.keyId)
        const ledger = yield* TradeLedger
        const [marks] = yield* ledger.marks({ book: liveBook })
        assert.deepStrictEqual(marks!.prices, { SPY: 637.42 })
        assert.strictEqual(marks!.session, "2026-08-03")
        const [snapshot] = yield* ledger.equity({ book: liveBook })
        assert.strictEqual(snapshot!.markedAt, marks!.markedAt)
        // stamped with the broker's clock (the stand-in's: 10:00:00.123456 New York), read once the trades had arrived
        assert.strictEqual(marks!.markedAt, "2026-08-03T14:00:00.123Z")
        const trades = fake.requests.findIndex((r) => r.path === "/v2/stocks/trades/latest")
        assert.isTrue(fake.requests.slice(trades + 1).some((r) => r.path === "/v2/clock"))
      }).pipe(Effect.provide(Layer.merge(store, brokers)))
    }))

  it.live("a marks read that fails records the accounts without a moment and says so on the log, without the keys", () =>
    Effect.gen(function*() {
      const { fake, brokers } = yield* alpacaAccount
      fake.latestTrades.set("SPY", { t: "2026-08-03T13:59:59.912Z", p: 637.42 })
      // the data API refuses the keys (a plan without it, a revoked key): Alpaca's 403, with the key echoed back
      fake.faults.push({ method: "GET", path: "/v2/stocks/trades/latest", times: 1, kind: { _tag: "Status", status: 403, body: JSON.stringify({ message: `forbidden for ${fake.secretKey}` }) } })
      const logs: Array<string> = []
      const capture = Logger.map(Logger.formatLogFmt, (line) => {
        logs.push(line)
      })
      return yield* Effect.gen(function*() {
        const report = yield* reconcile("2026-08-03", "f1")
        assert.deepStrictEqual(report.accounts.map((a) => a.status), ["recorded"])
        const ledger = yield* TradeLedger
        assert.deepStrictEqual(yield* ledger.marks({ book: liveBook }), [])
        const [snapshot] = yield* ledger.equity({ book: liveBook })
        assert.isNull(snapshot!.markedAt)
        const warning = logs.filter((l) => l.includes("marks"))
        assert.strictEqual(warning.length, 1, logs.join("\n"))
        assert.match(warning[0]!, /level=WARN/)
        assert.match(warning[0]!, /403/)
        assert.match(warning[0]!, /2026-08-03/)
        assert.isFalse(logs.some((l) => l.includes(fake.secretKey) || l.includes(fake.keyId)))
      }).pipe(Effect.provide(Layer.mergeAll(store, brokers, Logger.layer([capture]))))
    }))
})

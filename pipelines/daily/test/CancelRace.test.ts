import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { type CouncilDecision, type RunId, Ticker, TradingDay } from "@council/domain"
import { Recorder, RunContext } from "@council/engine"
import { AccountManager, Brokers } from "@council/broker"
import { AlpacaBroker } from "@council/broker/Alpaca"
import { Notifier } from "@council/notify"
import { type AccountProfile, Execution, FetchData, RiskApproval } from "@council/daily"
import { defaultAccountSettings } from "@council/domain"
import { position, startFakeAlpaca } from "../../../packages/broker/test/alpaca/FakeAlpaca.ts"
import { ACCOUNT, clientFor } from "../../../packages/broker/test/alpaca/fixtures.ts"
import { market, pitch, recording } from "./Fixtures.ts"

// Under `close`, the gate reads a position with its working exit (an OCO) and plans "cancel the exit, then sell".
// The exit fills between the gate's read and the cancel: the cancel is refused as not cancelable, and the planned
// sell would open a short. Each run is replayed from its recordings too (a run recorded before `refusedCancels`
// has no read of the order to replay from). The stand-in is the fake Alpaca server on 127.0.0.1 (its clock: 2026-08-03 10:00).

const day = TradingDay.make("2026-06-08")
const accounts: ReadonlyArray<AccountProfile> = [{ id: ACCOUNT, mode: "PAPER", settings: defaultAccountSettings }]
const noDecision: CouncilDecision = { asOf: day, trades: [], rationale: "test", dissent: [], votes: [], source: "test" }

const context = (refusedCancels: boolean) =>
  RunContext.layerTest({
    tradingDay: day,
    runId: "cancel-race" as RunId,
    dryRun: false,
    params: {
      accounts,
      broker: "test",
      data: "test",
      pms: "test",
      schedule: "close",
      asOfTime: `${day}T15:45:00-04:00`,
      ...(refusedCancels ? { refusedCancels: "read" } : {})
    }
  })

const race = (refusedCancels: boolean) =>
  Effect.gen(function*() {
    const fake = yield* startFakeAlpaca()
    const broker = AlpacaBroker.fromClient(yield* clientFor(fake), {})
    const brokers = Layer.succeed(Brokers, Brokers.of({ accounts: [ACCOUNT], get: () => Effect.succeed(broker) }))
    // 10 SPY held, protected by an OCO exit of the 10 shares
    fake.positions.set("SPY", position("SPY", 10, 760))
    const exit = yield* broker.placeOrder({
      account: ACCOUNT,
      symbol: Ticker.make("SPY"),
      side: "sell",
      qty: 10,
      type: "limit",
      limitPrice: 900,
      timeInForce: "gtc",
      orderClass: "oco",
      takeProfit: { limitPrice: 900 },
      stopLoss: { stopPrice: 600 },
      clientOrderId: "earlier-exit",
      reason: "test"
    })
    return yield* Effect.gen(function*() {
      const snapshot = yield* FetchData.run({})
      const verdict = yield* RiskApproval.run({ FetchData: snapshot, PmPitches: { pitches: [pitch(ACCOUNT, "SPY", 0)], abstentions: [] }, CouncilSynthesis: noDecision })
      assert.deepStrictEqual(verdict.cancels.map((c) => c.orderId), [exit.id])
      assert.deepStrictEqual(verdict.intents.map((i) => [i.symbol, i.side, i.qty]), [["SPY", "sell", 10]])
      // the exit fills after the gate's read: the position is flat before the cancel is sent
      fake.fill(exit.id, 900, "2026-08-03T14:00:00.000Z")
      fake.positions.delete("SPY")
      const before = fake.requests.length
      const recorder = yield* Recorder.make({ mode: "record", runId: "cancel-race" as RunId, stage: "Execution" })
      const execution = yield* Execution.run({ RiskApproval: verdict }).pipe(Effect.provideService(Recorder.Recorder, recorder))
      const asked = fake.requests.slice(before).map((r) => `${r.method} ${r.path}`)
      // the run replayed from its recordings, nothing asked of the broker
      const requests = fake.requests.length
      const replayer = yield* Recorder.make({ mode: "replay", runId: "cancel-race" as RunId, stage: "Execution", recordings: yield* recorder.recordings })
      const replayed = yield* Execution.run({ RiskApproval: verdict }).pipe(Effect.provideService(Recorder.Recorder, replayer))
      assert.deepStrictEqual(replayed, execution)
      assert.strictEqual(fake.requests.length, requests)
      return { report: execution.accounts[0]!, asked, exit }
    }).pipe(Effect.provide(AccountManager.layer.pipe(Layer.provideMerge(brokers))))
  }).pipe(Effect.provide(Layer.mergeAll(market, recording, context(refusedCancels), Notifier.layerTest)))

describe("a cancel that loses to a fill (Alpaca wire)", () => {
  it.live("a run that reads refused cancels sends none of the symbol's orders, says why, and reads the order once; it replays exactly", () =>
    Effect.scoped(Effect.gen(function*() {
      const { report, asked, exit } = yield* race(true)
      assert.strictEqual(report.status, "failed")
      assert.deepStrictEqual(report.orders, [])
      assert.deepStrictEqual(report.failures.map((f) => f.symbol), ["SPY"])
      assert.match(report.failures[0]!.error, /^not sent: SPY's order .* filled before its cancel, so its position moved after the risk gate read it; nothing of SPY is sent today .* the next day's run plans from the new position$/)
      assert.notInclude(asked, "POST /v2/orders")
      assert.deepStrictEqual(asked.filter((a) => a.includes(exit.id)), [`DELETE /v2/orders/${exit.id}`, `GET /v2/orders/${exit.id}`])
    })))

  it.live("a run recorded before (no `refusedCancels`) passes the refused cancel over as it did: no read, the sell goes out, and it replays exactly", () =>
    Effect.scoped(Effect.gen(function*() {
      const { report, asked, exit } = yield* race(false)
      assert.deepStrictEqual(asked.filter((a) => a.includes(exit.id)), [`DELETE /v2/orders/${exit.id}`])
      assert.deepStrictEqual(report.orders.map((o) => [o.symbol, o.side, o.qty]), [["SPY", "sell", 10]])
    })))
})

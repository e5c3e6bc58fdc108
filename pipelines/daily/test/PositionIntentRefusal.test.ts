import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { type CouncilDecision, defaultAccountSettings, type RunId, TradingDay } from "@council/domain"
import { Recorder, RunContext } from "@council/engine"
import { AccountManager, Brokers } from "@council/broker"
import { AlpacaBroker } from "@council/broker/Alpaca"
import { Notifier } from "@council/notify"
import { type AccountProfile, Execution, FetchData, RiskApproval } from "@council/daily"
import { position, startFakeAlpaca } from "../../../packages/broker/test/alpaca/FakeAlpaca.ts"
import { ACCOUNT, clientFor } from "../../../packages/broker/test/alpaca/fixtures.ts"
import { market, pitch, recording } from "./Fixtures.ts"

// Our own guard is bypassed: the gate reads 10 SPY held and plans "sell 10 to close", and the position is closed
// outside the run (by hand at the broker, say) before Execution sends the sell. Nothing the run reads tells it:
// there is no order of its own to cancel or read back. A run stating position intents (`positionIntent: sent`) has
// the broker refuse the sell as a close that would open a short; a run recorded before it sends the sell as it
// did (the short opens), and both replay exactly. The broker is the fake Alpaca server on 127.0.0.1.

const day = TradingDay.make("2026-06-08")
const accounts: ReadonlyArray<AccountProfile> = [{ id: ACCOUNT, mode: "PAPER", settings: defaultAccountSettings }]
const noDecision: CouncilDecision = { asOf: day, trades: [], rationale: "test", dissent: [], votes: [], source: "test" }

const context = (positionIntent: boolean) =>
  RunContext.layerTest({
    tradingDay: day,
    runId: "intent-race" as RunId,
    dryRun: false,
    params: {
      accounts,
      broker: "test",
      data: "test",
      pms: "test",
      schedule: "close",
      asOfTime: `${day}T15:45:00-04:00`,
      refusedCancels: "group",
      ...(positionIntent ? { positionIntent: "sent" } : {})
    }
  })

const closedElsewhere = (positionIntent: boolean) =>
  Effect.gen(function*() {
    const fake = yield* startFakeAlpaca()
    const broker = AlpacaBroker.fromClient(yield* clientFor(fake), {})
    const brokers = Layer.succeed(Brokers, Brokers.of({ accounts: [ACCOUNT], get: () => Effect.succeed(broker) }))
    fake.positions.set("SPY", position("SPY", 10, 760))
    return yield* Effect.gen(function*() {
      const snapshot = yield* FetchData.run({})
      const verdict = yield* RiskApproval.run({ FetchData: snapshot, PmPitches: { pitches: [pitch(ACCOUNT, "SPY", 0)], abstentions: [] }, CouncilSynthesis: noDecision })
      fake.positions.delete("SPY")
      const recorder = yield* Recorder.make({ mode: "record", runId: "intent-race" as RunId, stage: "Execution" })
      const execution = yield* Execution.run({ RiskApproval: verdict }).pipe(Effect.provideService(Recorder.Recorder, recorder))
      const recordings = yield* recorder.recordings
      const requests = fake.requests.length
      const replayer = yield* Recorder.make({ mode: "replay", runId: "intent-race" as RunId, stage: "Execution", recordings })
      const replayed = yield* Execution.run({ RiskApproval: verdict }).pipe(Effect.provideService(Recorder.Recorder, replayer))
      assert.deepStrictEqual(replayed, execution)
      assert.strictEqual(fake.requests.length, requests)
      const sent = fake.requests.filter((r) => r.method === "POST" && r.path === "/v2/orders").map((r) => JSON.parse(r.body) as Record<string, unknown>)
      return { verdict, report: execution.accounts[0]!, recordings, sent, fake }
    }).pipe(Effect.provide(AccountManager.layer.pipe(Layer.provideMerge(brokers))))
  }).pipe(Effect.provide(Layer.mergeAll(market, recording, context(positionIntent), Notifier.layerTest)))

describe("a close whose position was closed elsewhere (Alpaca wire)", () => {
  it.live("a run stating position intents sends sell_to_close; the broker refuses it (no short opens) and the run records the refusal; it replays exactly", () =>
    Effect.scoped(Effect.gen(function*() {
      const { verdict, report, recordings, sent, fake } = yield* closedElsewhere(true)
      assert.deepStrictEqual(verdict.intents.map((i) => `${i.side} ${i.qty} ${i.symbol} ${i.positionIntent}`), ["sell 10 SPY sell_to_close"])
      assert.deepStrictEqual(sent.map((b) => [b.symbol, b.side, b.position_intent]), [["SPY", "sell", "sell_to_close"]])
      assert.strictEqual(report.status, "failed")
      assert.deepStrictEqual(report.orders, [])
      assert.deepStrictEqual(report.failures.map((f) => [f.symbol, f.reason]), [["SPY", "PositionIntentMismatch"]])
      assert.match(report.failures[0]!.error, /position intent mismatch, inferred: sell_to_open, specified: sell_to_close/)
      assert.strictEqual(fake.orders.size, 0)
      const placement = recordings.find((r) => r.key.startsWith("broker.placeOnce"))
      assert.isDefined(placement)
      assert.deepInclude(placement!.value as object, { _tag: "Failure" })
      assert.include(JSON.stringify(placement!.value), "PositionIntentMismatch")
    })))

  it.live("a run recorded before (no `positionIntent`) sends the sell without one, as it did: it is placed, and the order's client id is the one the stating run uses", () =>
    Effect.scoped(Effect.gen(function*() {
      const before = yield* closedElsewhere(false)
      const stating = yield* closedElsewhere(true)
      assert.deepStrictEqual(before.verdict.intents.map((i) => i.positionIntent), [undefined])
      assert.isFalse(before.sent.some((b) => "position_intent" in b))
      assert.deepStrictEqual(before.report.orders.map((o) => [o.symbol, o.side, o.qty]), [["SPY", "sell", 10]])
      assert.deepStrictEqual(before.report.failures, [])
      assert.deepStrictEqual(before.verdict.intents.map((i) => i.clientOrderId), stating.verdict.intents.map((i) => i.clientOrderId))
    })))
})

import { assert } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { type CouncilDecision, defaultAccountSettings, type RunId, Ticker, TradingDay } from "@council/domain"
import { Recorder, RunContext } from "@council/engine"
import { AccountManager, Brokers } from "@council/broker"
import { AlpacaBroker } from "@council/broker/Alpaca"
import { Notifier } from "@council/notify"
import { type AccountProfile, Execution, FetchData, RiskApproval } from "@council/daily"
import { type FakeAlpaca, position, startFakeAlpaca } from "../../../packages/broker/test/alpaca/FakeAlpaca.ts"
import { ACCOUNT, clientFor } from "../../../packages/broker/test/alpaca/fixtures.ts"
import { market, pitch, recording } from "./Fixtures.ts"

/**
 * The set-up the "something moved between the risk gate and Execution" tests share: one PAPER account on the fake
 * Alpaca server (127.0.0.1), a `close` run at 15:45, the gate asked to close a held SPY, and Execution recorded
 * then replayed from its recordings (the replay must equal the run and ask the broker nothing).
 */

const day = TradingDay.make("2026-06-08")
const accounts: ReadonlyArray<AccountProfile> = [{ id: ACCOUNT, mode: "PAPER", settings: defaultAccountSettings }]
const noDecision: CouncilDecision = { asOf: day, trades: [], rationale: "test", dissent: [], votes: [], source: "test" }

/** A `close` run at 15:45 of 2026-06-08 for the one account; `params` adds the run's recorded choices. */
const closeRun = (runId: string, params: Record<string, string>) =>
  RunContext.layerTest({
    tradingDay: day,
    runId: runId as RunId,
    dryRun: false,
    params: { accounts, broker: "test", data: "test", pms: "test", schedule: "close", asOfTime: `${day}T15:45:00-04:00`, ...params }
  })

/** The fake Alpaca server and a broker on it, set up (orders, positions) before the run's stages see it. */
export interface RaceBroker {
  readonly fake: FakeAlpaca
  readonly broker: ReturnType<typeof AlpacaBroker.fromClient>
}

/** A `setup`: 10 SPY held, protected by an OCO exit of the 10 shares (take profit 900, stop 600), placed earlier. */
export const heldSpyWithExit = ({ fake, broker }: RaceBroker) => {
  fake.positions.set("SPY", position("SPY", 10, 760))
  return broker.placeOrder({
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
}

/**
 * Runs `setup` on a fresh fake Alpaca, the gate with a conviction-0 SPY pitch (close the position), `meanwhile`
 * (what happens at the broker after the gate read it), then Execution recorded and replayed. The test asserts
 * what the gate planned on the `verdict` it returns.
 */
export const raceAfterGate = <A, E, R>(options: {
  readonly runId: string
  readonly params: Record<string, string>
  readonly setup: (broker: RaceBroker) => Effect.Effect<A, E, R>
  readonly meanwhile: (broker: RaceBroker, set: A) => Effect.Effect<void, E, R>
}) =>
  Effect.gen(function*() {
    const fake = yield* startFakeAlpaca()
    const broker = AlpacaBroker.fromClient(yield* clientFor(fake), {})
    const brokers = Layer.succeed(Brokers, Brokers.of({ accounts: [ACCOUNT], get: () => Effect.succeed(broker) }))
    const set = yield* options.setup({ fake, broker })
    return yield* Effect.gen(function*() {
      const snapshot = yield* FetchData.run({})
      const verdict = yield* RiskApproval.run({ FetchData: snapshot, PmPitches: { pitches: [pitch(ACCOUNT, "SPY", 0)], abstentions: [] }, CouncilSynthesis: noDecision })
      yield* options.meanwhile({ fake, broker }, set)
      const before = fake.requests.length
      const recorder = yield* Recorder.make({ mode: "record", runId: options.runId as RunId, stage: "Execution" })
      const execution = yield* Execution.run({ RiskApproval: verdict }).pipe(Effect.provideService(Recorder.Recorder, recorder))
      const asked = fake.requests.slice(before).map((r) => `${r.method} ${r.path}`)
      const recordings = yield* recorder.recordings
      // the run replayed from its recordings: the same report, nothing asked of the broker
      const requests = fake.requests.length
      const replayer = yield* Recorder.make({ mode: "replay", runId: options.runId as RunId, stage: "Execution", recordings })
      const replayed = yield* Execution.run({ RiskApproval: verdict }).pipe(Effect.provideService(Recorder.Recorder, replayer))
      assert.deepStrictEqual(replayed, execution)
      assert.strictEqual(fake.requests.length, requests)
      return { verdict, execution, asked, recordings, fake, set, report: execution.accounts[0]! }
    }).pipe(Effect.provide(AccountManager.layer.pipe(Layer.provideMerge(brokers))))
  }).pipe(Effect.provide(Layer.mergeAll(market, recording, closeRun(options.runId, options.params), Notifier.layerTest)))

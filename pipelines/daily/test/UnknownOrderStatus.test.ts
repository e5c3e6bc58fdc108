import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { type CouncilDecision, defaultAccountSettings, type RunId, Ticker } from "@council/domain"
import { RunContext } from "@council/engine"
import { AccountManager, Brokers } from "@council/broker"
import { AlpacaBroker } from "@council/broker/Alpaca"
import { Notifier } from "@council/notify"
import { ACCOUNT_UNAVAILABLE, type AccountProfile, FetchData, RiskApproval } from "@council/daily"
import { position, startFakeAlpaca } from "../../../packages/broker/test/alpaca/FakeAlpaca.ts"
import { ACCOUNT, clientFor } from "../../../packages/broker/test/alpaca/fixtures.ts"
import { day, market, pitch, recording } from "./Fixtures.ts"

/**
 * An order Alpaca lists as open (`GET /v2/orders?status=open`) with a status Council's domain does not know: the gate
 * must not plan the account as if it were not there (a second buy beside it, a second exit beside it: a short).
 */

const accounts: ReadonlyArray<AccountProfile> = [{ id: ACCOUNT, mode: "PAPER", settings: defaultAccountSettings }]
const noDecision: CouncilDecision = { asOf: day, trades: [], rationale: "test", dissent: [], votes: [], source: "test" }
const closeRun = RunContext.layerTest({
  tradingDay: day,
  runId: "unknown-status" as RunId,
  dryRun: false,
  params: { accounts, broker: "test", data: "test", pms: "test", schedule: "close", asOfTime: `${day}T15:45:00-04:00` }
})

/** The gate's verdict for the one account on a fake Alpaca that `setup` filled, the PM pitching SPY at `conviction`. */
const gateOver = (setup: (fake: Effect.Success<ReturnType<typeof startFakeAlpaca>>) => void, conviction: number) =>
  Effect.gen(function*() {
    const fake = yield* startFakeAlpaca()
    setup(fake)
    const broker = AlpacaBroker.fromClient(yield* clientFor(fake), {})
    const brokers = Layer.succeed(Brokers, Brokers.of({ accounts: [ACCOUNT], get: () => Effect.succeed(broker) }))
    return yield* Effect.gen(function*() {
      const snapshot = yield* FetchData.run({})
      return yield* RiskApproval.run({ FetchData: snapshot, PmPitches: { pitches: [pitch(ACCOUNT, "SPY", conviction)], abstentions: [] }, CouncilSynthesis: noDecision })
    }).pipe(Effect.provide(AccountManager.layer.pipe(Layer.provideMerge(brokers))))
  }).pipe(Effect.provide(Layer.mergeAll(market, recording, closeRun, Notifier.layerTest)))

describe("an open order whose status Council does not know", () => {
  it.live("a pending buy Alpaca lists as open: no second buy is planned; the account fails closed naming the order and its status", () =>
    Effect.gen(function*() {
      let id = ""
      const verdict = yield* gateOver((fake) => {
        const order = fake.addOrder({ clientOrderId: "user-buy-1", symbol: Ticker.make("SPY"), side: "buy", qty: 10, type: "market", timeInForce: "day", limitPrice: null, stopPrice: null, orderClass: "simple", status: "new" })
        fake.venueStatuses.set(order.id, "pending_activation")
        id = order.id
      }, 5)
      assert.deepStrictEqual(verdict.intents, [])
      assert.deepStrictEqual(verdict.cancels, [])
      assert.strictEqual(verdict.rejections.length, 1)
      const [rejection] = verdict.rejections
      assert.strictEqual(rejection?.rule, ACCOUNT_UNAVAILABLE)
      assert.include(rejection?.detail, id)
      assert.include(rejection?.detail, `"pending_activation"`)
    }))

  it.live("a position's exit Alpaca lists as open: no second exit (a short once both fill) is planned", () =>
    Effect.gen(function*() {
      const verdict = yield* gateOver((fake) => {
        fake.positions.set("SPY", position("SPY", 10, 700))
        const exit = fake.addOrder({ clientOrderId: "user-stop-1", symbol: Ticker.make("SPY"), side: "sell", qty: 10, type: "stop", timeInForce: "gtc", limitPrice: null, stopPrice: 600, orderClass: "simple", status: "new" })
        fake.venueStatuses.set(exit.id, "pending_trigger")
      }, 3)
      assert.deepStrictEqual(verdict.intents.filter((i) => i.side === "sell"), [])
      assert.strictEqual(verdict.rejections[0]?.rule, ACCOUNT_UNAVAILABLE)
      assert.include(verdict.rejections[0]?.detail, `"pending_trigger"`)
    }))
})

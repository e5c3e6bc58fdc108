/**
 * Why a resumed run cannot succeed beside the exit an earlier, killed attempt placed after its failure (`failedAccounts:
 * recognized`): that exit covers the held shares no working order covered when the attempt failed, and on a symbol
 * the plan trades those are exactly the shares of the plan's order that did not reach the broker — its close, its
 * reduction, or its own protective exit of the shares that stay (the gate gives every position that stays one,
 * `RiskRules.protection`). The resumed run sends that order again; the broker refuses it, the exit holding the shares
 * (Alpaca's `insufficient qty available`, the local exchange's alike), so the resumed run fails and names the exit,
 * and the day's retry cancels it before sending the plan again — what a retry of the killed run would have done.
 * The flip (a close) is `FailedAccountProtection.test`'s and, with a real SIGKILL, `KilledAfterExit.test`'s; here the
 * plans that keep shares: an addition and a reduction, each with either of its orders refused (503) in the attempt.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AccountId, type CouncilDecision, defaultAccountSettings, type Order, type OrderIntent, type RiskVerdict } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { Notifier } from "@council/notify"
import { type AccountProfile, Execution, exitsPlacedAfterFailure, FetchData, RiskApproval } from "@council/daily"
import { afterClose, day, exchangeWithFaults, market, moveTo, pitch, recording, runContext, ticker } from "./Fixtures.ts"

const CLAUDE = AccountId.make("CLAUDE")
const accounts: ReadonlyArray<AccountProfile> = [{ id: CLAUDE, mode: "PAPER", settings: defaultAccountSettings }]
const decision: CouncilDecision = { asOf: day, trades: [], rationale: "test", dissent: [], votes: [], source: "test" }
const bought = (qty: number): OrderIntent =>
  ({ account: CLAUDE, symbol: ticker("SPY"), side: "buy", qty, type: "market", timeInForce: "day", orderClass: "simple", clientOrderId: "held", reason: "test" })

/** Orders (or intents) as `[kind of client order id, side, qty, class]`. */
const working = (orders: ReadonlyArray<Pick<Order, "clientOrderId" | "side" | "qty" | "orderClass">>) =>
  orders.map((o) => [/-SPY-([a-z]+)-/.exec(o.clientOrderId)?.[1] ?? o.clientOrderId, o.side, o.qty, o.orderClass]).sort()

/**
 * CLAUDE holds 5 SPY without an exit; its PM pitches SPY at `conviction` (1: add 8 with a bracket, protect the 5;
 * 0.3: reduce by 2, protect the 3). The attempt's order of `refused` kind is answered 503, so the account fails and
 * the failure's protection places its exit; the attempt is then lost (killed before its checkpoint). Execution again
 * on the same verdict (the resume), then the retry with the plan carried from the resumed run's report.
 */
const killedThenResumed = (conviction: number, refused: "add" | "reduce" | "protect") => {
  const faults = new Set<string>()
  return Effect.gen(function*() {
    const local = yield* LocalExchange
    yield* moveTo("2026-06-07", "15:45")
    yield* local.placeOrder(CLAUDE, bought(5))
    yield* moveTo(afterClose.day, "16:15")
    const verdict: RiskVerdict = yield* RiskApproval.run({
      FetchData: yield* FetchData.run({}),
      PmPitches: { pitches: [pitch("CLAUDE", "SPY", conviction)], abstentions: [] },
      CouncilSynthesis: decision
    })
    faults.add(`placeOrder:${verdict.intents.find((i) => i.clientOrderId.includes(`-SPY-${refused}-`))!.clientOrderId}`)
    const lost = (yield* Execution.run({ RiskApproval: verdict })).accounts[0]!
    assert.strictEqual(lost.status, "failed")
    const exits = lost.orders.filter((o) => o.clientOrderId.includes("-SPY-protect-") && !verdict.intents.some((i) => i.clientOrderId === o.clientOrderId))
    faults.clear()
    const resumed = (yield* Execution.run({ RiskApproval: verdict })).accounts[0]!
    const carried: RiskVerdict = { ...verdict, cancels: [...verdict.cancels, ...exitsPlacedAfterFailure(verdict, { asOf: day, dryRun: false, accounts: [resumed] }, CLAUDE)] }
    const retry = (yield* Execution.run({ RiskApproval: carried }).pipe(Effect.provide(runContext({ accounts, runId: "retry", failedAccounts: "recognized" })))).accounts[0]!
    const open = yield* local.listOrders(CLAUDE, { status: "open", limit: 500 })
    return { verdict, exits, resumed, retry, open }
  }).pipe(Effect.provide(Layer.mergeAll(market, recording, runContext({ accounts, failedAccounts: "recognized" }), exchangeWithFaults(faults), Notifier.layerTest)))
}

describe("a resumed run after the failure's exit was placed and the attempt killed", () => {
  for (const [conviction, refused, plan] of [
    [1, "protect", [["add", "buy", 8, "bracket"], ["protect", "sell", 5, "oco"]]],
    [0.3, "reduce", [["protect", "sell", 3, "oco"], ["reduce", "sell", 2, "simple"]]],
    [0.3, "protect", [["protect", "sell", 3, "oco"], ["reduce", "sell", 2, "simple"]]]
  ] as const) {
    it.effect(`${conviction === 1 ? "an addition" : "a reduction"} whose ${refused} was refused: the resumed run's ${refused} is refused beside the exit, which it names; the retry cancels it and the plan alone works`, () =>
      Effect.gen(function*() {
        const { exits, open, resumed, retry, verdict } = yield* killedThenResumed(conviction, refused)
        assert.strictEqual(exits.length, 1)
        const exit = exits[0]!
        assert.deepStrictEqual(working(verdict.intents), plan.map((p) => [...p]))
        // resumed: the order the attempt could not place needs the shares the exit holds, and is refused
        assert.strictEqual(resumed.status, "failed")
        assert.deepStrictEqual(resumed.failures.map((f) => [f.reason, /-SPY-([a-z]+)-/.exec(f.clientOrderId)?.[1]]), [["InsufficientQty", refused]])
        assert.deepStrictEqual(resumed.earlierExits?.map((o) => o.id), [exit.id])
        // the retry: the exit canceled first, then the plan; what works is the plan's orders, once each
        assert.strictEqual(retry.status, "succeeded", retry.message)
        assert.deepStrictEqual(working(open), plan.map((p) => [...p]))
      }))
  }

  it.effect("an addition whose entry was refused: its protective exit reached the broker, so the failure placed none; the resumed run succeeds with nothing beside the plan", () =>
    Effect.gen(function*() {
      const { exits, open, resumed } = yield* killedThenResumed(1, "add")
      assert.deepStrictEqual(exits, [])
      assert.strictEqual(resumed.status, "succeeded", resumed.message)
      assert.deepStrictEqual(working(open), [["add", "buy", 8, "bracket"], ["protect", "sell", 5, "oco"]])
    }))
})

import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AccountId, type CouncilDecision, defaultAccountSettings, type OrderIntent } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { Notifier } from "@council/notify"
import { type AccountProfile, Execution, FetchData, RiskApproval } from "@council/daily"
import { day, exchange, market, moveTo, pitch, recording, runContext, ticker } from "./Fixtures.ts"

// An account that allows fractional shares (`fractional: true`) under the default `close` schedule, run by the
// daily stages against the local exchange, which refuses what Alpaca refuses: a fractional order that is not a
// `day` order, and a fractional short sale.

const CLAUDE = AccountId.make("CLAUDE")
const CHATGPT = AccountId.make("CHATGPT")
const fractional = { ...defaultAccountSettings, fractional: true }
const accounts: ReadonlyArray<AccountProfile> = [CLAUDE, CHATGPT].map((id) => ({ id, mode: "PAPER", settings: fractional }))
const closeRun = runContext({ accounts, timing: { schedule: "close", asOfTime: `${day}T15:45:00-04:00` } })
const noDecision: CouncilDecision = { asOf: day, trades: [], rationale: "test", dissent: [], votes: [], source: "test" }

/** A fractional entry as the gate sends one: a simple `day` market buy. */
const fractionalBuy = (account: AccountId, qty: number): OrderIntent => ({
  account,
  symbol: ticker("SPY"),
  side: "buy",
  qty,
  type: "market",
  timeInForce: "day",
  orderClass: "simple",
  clientOrderId: `earlier-${account}`,
  reason: "test"
})

describe("a fractional account under the close schedule", () => {
  it.effect("closes a fractional position and opens a short in whole shares: what the broker takes", () =>
    Effect.gen(function*() {
      const local = yield* LocalExchange
      // a fractional entry of an earlier day, filled at the run day's open
      yield* moveTo("2026-06-07", "16:15")
      yield* local.placeOrder(CLAUDE, fractionalBuy(CLAUDE, 3.5))
      yield* moveTo(day, "15:45")
      assert.deepStrictEqual((yield* local.positions(CLAUDE)).map((p) => [p.symbol, p.qty]), [["SPY", 3.5]])
      const snapshot = yield* FetchData.run({})
      const verdict = yield* RiskApproval.run({
        FetchData: snapshot,
        // CLAUDE no longer wants SPY (its 3.5 shares close); CHATGPT wants TLT short
        PmPitches: { pitches: [pitch("CLAUDE", "GLD", 1), pitch("CHATGPT", "TLT", -1)], abstentions: [] },
        CouncilSynthesis: noDecision
      })
      const report = yield* Execution.run({ RiskApproval: verdict })
      assert.deepStrictEqual(report.accounts.map((a): ReadonlyArray<unknown> => [a.account, a.status, a.failures.map((f) => f.error)]), [
        ["CLAUDE", "succeeded", []],
        ["CHATGPT", "succeeded", []]
      ])
      const short = verdict.intents.find((i) => i.account === CHATGPT)!
      assert.strictEqual(Number.isInteger(short.qty), true, `a short sale of ${short.qty} TLT`)
      // at the close the orders fill: SPY is closed, TLT is short
      yield* moveTo(day, "16:15")
      assert.deepStrictEqual((yield* local.positions(CLAUDE)).map((p) => p.symbol), ["GLD"])
      assert.deepStrictEqual((yield* local.positions(CHATGPT)).map((p) => [p.symbol, p.qty]), [["TLT", -short.qty]])
    }).pipe(Effect.provide(Layer.mergeAll(market, recording, closeRun, exchange, Notifier.layerTest))))
})

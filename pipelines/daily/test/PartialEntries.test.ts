import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AccountId, defaultAccountSettings, type OrderIntent } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { Notifier } from "@council/notify"
import { type AccountProfile, Execution, FetchData, RiskApproval } from "@council/daily"
import { bracketBuy } from "../../../packages/exchange/test/BracketOrders.ts"
import { exchangeWithFaults, market, moveTo, pitch, recording, runContext } from "./Fixtures.ts"

const CLAUDE = AccountId.make("CLAUDE")
const CHATGPT = AccountId.make("CHATGPT")
const accounts: ReadonlyArray<AccountProfile> = [CLAUDE, CHATGPT].map((id) => ({ id, mode: "PAPER", settings: defaultAccountSettings }))

/** A bracket entry of 10 SPY as the gate places it under after-close, with the client order id given. */
const entry = (account: AccountId, clientOrderId: string): OrderIntent =>
  bracketBuy({ takeProfit: 900, stopLoss: 600 }, { account, clientOrderId })

describe("a partly filled entry the gate cancels (partialFillPct 40: 8 of 10 shares filled by the run)", () => {
  it.effect("its filled shares get their protective exit even when the re-placed rest is refused: an earlier day's entry, and the day's own (a re-plan)", () => {
    const faults = new Set<string>()
    return Effect.gen(function*() {
      const local = yield* LocalExchange
      // placed after the close of the day before: 4 fill at the run day's open, 4 at its close
      yield* moveTo("2026-06-07", "16:15")
      yield* local.placeOrder(CLAUDE, entry(CLAUDE, "2026-06-07-CLAUDE-SPY-open-0123456789"))
      yield* local.placeOrder(CHATGPT, entry(CHATGPT, "2026-06-08-CHATGPT-SPY-open-0123456789"))
      yield* moveTo("2026-06-08", "16:15")
      for (const account of [CLAUDE, CHATGPT]) {
        const [open] = yield* local.listOrders(account, { status: "open", limit: 500 })
        assert.deepStrictEqual([open?.status, open?.filledQty, ...(open?.legs ?? []).map((l) => l.status)], ["partially_filled", 8, "held", "held"])
      }
      const snapshot = yield* FetchData.run({})
      const verdict = yield* RiskApproval.run({
        FetchData: snapshot,
        PmPitches: { pitches: [pitch("CLAUDE", "SPY", 1), pitch("CHATGPT", "SPY", 1)], abstentions: [] },
        CouncilSynthesis: { asOf: snapshot.asOf, trades: [], rationale: "test", dissent: [], votes: [], source: "test" }
      })
      for (const account of [CLAUDE, CHATGPT]) {
        const mine = verdict.intents.filter((i) => i.account === account)
        assert.deepStrictEqual(mine.map((i) => [i.side, i.qty, i.orderClass]), [["buy", 5, "bracket"], ["sell", 8, "oco"]], account)
        // the rest re-placed is refused (a broker's buying-power check, say)
        faults.add(`placeOrder:${mine[0]!.clientOrderId}`)
      }
      const report = yield* Execution.run({ RiskApproval: verdict })
      for (const account of [CLAUDE, CHATGPT]) {
        const result = report.accounts.find((a) => a.account === account)!
        assert.strictEqual(result.status, "failed")
        assert.deepStrictEqual(result.orders.map((o) => [o.side, o.qty, o.orderClass]), [["sell", 8, "oco"]], account)
        const open = yield* local.listOrders(account, { status: "open", limit: 500 })
        assert.deepStrictEqual(open.map((o) => [o.side, o.qty, o.orderClass, o.status]), [["sell", 8, "oco", "new"]], account)
        const positions = yield* local.positions(account)
        assert.deepStrictEqual(positions.map((p) => [p.symbol, p.qty]), [["SPY", 8]])
      }
    }).pipe(Effect.provide(Layer.mergeAll(market, recording, runContext({ accounts }), exchangeWithFaults(faults, { slippageBps: 0, partialFillPct: 40 }), Notifier.layerTest)))
  })
})

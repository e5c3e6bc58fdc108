/**
 * A holding day (CLAUDE abstains) with a partly filled bracket entry: on the local exchange (partialFillPct 40) a
 * bracket buy of 10 SPY placed the evening before has bought 8 by the run, its exits held until it completes at the
 * next open. Under `abstained: bracketed` the 8 count as covered by the bracket's legs: no exit of their own, and once
 * the entry completes its legs cover the 10 held exactly once. Runs recording `covered` gave the 8 an OCO exit as
 * well: 18 shares covered of 10 once the entry completed.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AccountId, type CouncilDecision, defaultAccountSettings, type Order } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { MarketData } from "@council/market"
import { Notifier } from "@council/notify"
import { type AccountProfile, Execution, FetchData, RiskApproval } from "@council/daily"
import { bracketBuy } from "../../../packages/exchange/test/BracketOrders.ts"
import { bars, day, exchangeWithFaults, moveTo, pitch, recording, runContext, ticker } from "./Fixtures.ts"

const CLAUDE = AccountId.make("CLAUDE")
const CHATGPT = AccountId.make("CHATGPT")
const accounts: ReadonlyArray<AccountProfile> = [CHATGPT, CLAUDE].map((id) => ({ id, mode: "PAPER", settings: defaultAccountSettings }))
const decision: CouncilDecision = { asOf: day, trades: [], rationale: "test", dissent: [], votes: [], source: "test" }

/** The fixture's bars (the same closes on the same days) and two sessions more: the exchange goes on to 2026-06-10. */
const market = MarketData.layerTest({
  SPY: bars(262, (i) => 500 + i, "2026-06-10"),
  TLT: bars(262, (i) => 100 - i * 0.05, "2026-06-10"),
  GLD: bars(262, (i) => 300 + Math.sin(i / 5) * 10, "2026-06-10")
})

/** The shares of SPY the open exits would sell: an OCO's, or a filled bracket's legs (once: they close the same shares). */
const covered = (open: ReadonlyArray<Order>) =>
  open.filter((o) => o.symbol === "SPY").reduce((n, o) => {
    if (o.orderClass === "oco") return n + o.qty - o.filledQty
    const legs = o.legs.filter((l) => l.status === "new" && l.side === "sell")
    return n + (o.status === "filled" && legs.length > 0 ? Math.max(...legs.map((l) => l.qty)) : 0)
  }, 0)

/** The day: the partial bracket, the gate with CLAUDE abstaining, the execution, then the next session's open. */
const holdingDay = Effect.gen(function*() {
  const local = yield* LocalExchange
  yield* moveTo("2026-06-07", "16:15")
  yield* local.placeOrder(CLAUDE, bracketBuy({ takeProfit: 900, stopLoss: 600 }, { account: CLAUDE, clientOrderId: "2026-06-07-CLAUDE-SPY-open-0123456789" }))
  yield* moveTo("2026-06-08", "16:15")
  const [entry] = yield* local.listOrders(CLAUDE, { status: "open", limit: 500 })
  assert.deepStrictEqual([entry?.status, entry?.filledQty, ...(entry?.legs ?? []).map((l) => l.status)], ["partially_filled", 8, "held", "held"])
  const snapshot = yield* FetchData.run({})
  const verdict = yield* RiskApproval.run({ FetchData: snapshot, PmPitches: { pitches: [pitch("CHATGPT", "GLD", 1)], abstentions: [] }, CouncilSynthesis: decision })
  const report = yield* Execution.run({ RiskApproval: verdict })
  yield* moveTo("2026-06-09", "16:15")
  const positions = yield* local.positions(CLAUDE)
  const open = yield* local.listOrders(CLAUDE, { status: "open", limit: 500 })
  return { verdict, report, positions, open }
})

const layers = (abstained: "covered" | "bracketed") =>
  Layer.mergeAll(market, recording, runContext({ accounts, abstained }), exchangeWithFaults(new Set(), { slippageBps: 0, partialFillPct: 40 }, market), Notifier.layerTest)

describe("a holding day's partly filled bracket entry", () => {
  it.effect("abstained: bracketed — its bought shares count as covered by its legs: no exit added; once it completes, its legs cover every share once", () =>
    Effect.gen(function*() {
      const { verdict, report, positions, open } = yield* holdingDay
      assert.deepStrictEqual(verdict.intents.filter((i) => i.account === CLAUDE), [])
      assert.deepStrictEqual(verdict.rejections.find((r) => r.account === CLAUDE)?.detail, "CLAUDE did not pitch; holding")
      assert.deepStrictEqual(report.accounts.find((a) => a.account === CLAUDE)?.orders, [])
      assert.deepStrictEqual(positions.map((p) => [p.symbol, p.qty]), [["SPY", 10]])
      assert.strictEqual(covered(open), 10)
    }).pipe(Effect.provide(layers("bracketed"))))

  it.effect("abstained: covered (runs recorded before) — the gate gives the 8 an OCO exit as well, which the exchange refuses as Alpaca does: the held legs hold them", () =>
    Effect.gen(function*() {
      const { verdict, report, positions, open } = yield* holdingDay
      assert.deepStrictEqual(verdict.intents.filter((i) => i.account === CLAUDE).map((i) => [i.symbol, i.side, i.qty, i.orderClass]), [[ticker("SPY"), "sell", 8, "oco"]])
      const claude = report.accounts.find((a) => a.account === CLAUDE)
      assert.deepStrictEqual(claude?.failures.map((f) => [f.symbol, f.reason, f.error]), [[
        ticker("SPY"),
        "InsufficientQty",
        "insufficient qty available for order (requested: 8, available: 0)"
      ]])
      assert.deepStrictEqual(positions.map((p) => [p.symbol, p.qty]), [["SPY", 10]])
      assert.strictEqual(covered(open), 10)
    }).pipe(Effect.provide(layers("covered"))))
})

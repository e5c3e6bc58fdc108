import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { AccountId, type CouncilDecision, defaultAccountSettings, type OrderIntent } from "@council/domain"
import { LocalExchange } from "@council/exchange"
import { Notifier } from "@council/notify"
import { type AccountProfile, Execution, FetchData, RiskApproval } from "@council/daily"
import { day, exchange, market, moveTo, pitch, recording, runContext, ticker } from "./Fixtures.ts"

// A PM that turns a position around (long → short, short → long), run by the daily stages against the local
// exchange, which takes a flip as Alpaca does: in two orders, the opening only once the close has filled (while the
// position is long, a sell may not exceed the shares not already held for a sell: "insufficient qty available").

const CLAUDE = AccountId.make("CLAUDE")
const accounts: ReadonlyArray<AccountProfile> = [{ id: CLAUDE, mode: "PAPER", settings: defaultAccountSettings }]
const noDecision: CouncilDecision = { asOf: day, trades: [], rationale: "test", dissent: [], votes: [], source: "test" }

const earlier = (side: "buy" | "sell"): OrderIntent => ({
  account: CLAUDE,
  symbol: ticker("SPY"),
  side,
  qty: 10,
  type: "market",
  timeInForce: "day",
  orderClass: "simple",
  clientOrderId: `earlier-${side}`,
  reason: "test"
})

const cases = [
  { schedule: "after-close", time: "16:15", held: "buy", wants: -1 },
  { schedule: "close", time: "15:45", held: "buy", wants: -1 },
  { schedule: "after-close", time: "16:15", held: "sell", wants: 1 },
  { schedule: "close", time: "15:45", held: "sell", wants: 1 }
] as const

describe("a flip", () => {
  for (const { held, schedule, time, wants } of cases) {
    it.effect(`under ${schedule}, ${held === "buy" ? "long → short" : "short → long"}: the close goes out alone, nothing is refused, the verdict says the opening waits`, () =>
      Effect.gen(function*() {
        const local = yield* LocalExchange
        // an earlier day's position of 10 SPY, filled at the run day's open
        yield* moveTo("2026-06-07", "16:15")
        yield* local.placeOrder(CLAUDE, earlier(held))
        yield* moveTo(day, time)
        assert.deepStrictEqual((yield* local.positions(CLAUDE)).map((p) => [p.symbol, p.qty]), [["SPY", held === "buy" ? 10 : -10]])
        const snapshot = yield* FetchData.run({})
        const verdict = yield* RiskApproval.run({ FetchData: snapshot, PmPitches: { pitches: [pitch("CLAUDE", "SPY", wants)], abstentions: [] }, CouncilSynthesis: noDecision })
        const report = yield* Execution.run({ RiskApproval: verdict })
        const [result] = report.accounts
        assert.deepStrictEqual([result?.status, result?.failures.map((f) => f.error)], ["succeeded", []])
        assert.deepStrictEqual(result?.orders.map((o) => [o.side, o.qty]), [[held === "buy" ? "sell" : "buy", 10]])
        assert.deepStrictEqual(verdict.rejections.map((r) => [r.symbol, r.rule]), [["SPY", "flip-opens-when-flat"]])
      }).pipe(Effect.provide(Layer.mergeAll(market, recording, runContext({ accounts, timing: { schedule, asOfTime: `${day}T${time}:00-04:00` } }), exchange, Notifier.layerTest))))
  }
})

import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { bracketBuy } from "../../../packages/exchange/test/BracketOrders.ts"
import { position } from "../../../packages/broker/test/alpaca/FakeAlpaca.ts"
import { ACCOUNT } from "../../../packages/broker/test/alpaca/fixtures.ts"
import { raceAfterGate } from "./AlpacaRace.ts"

// 10 SPY held from a bracket whose entry filled: its take-profit and stop-loss legs work. Under `close` the gate
// plans "cancel the exit (the take-profit leg: canceling one leg cancels the group), sell 10". Before Execution
// the *stop-loss* leg fills: the group cancels the take-profit, so the planned cancel is refused and the leg reads
// back "canceled" — just as it does when a resumed run's own earlier attempt canceled it. Only the bracket tells the
// two apart. The stand-in is the fake Alpaca server on 127.0.0.1 (a leg is an order of its own there, as at Alpaca).

type RefusedCancels = "read" | "group"

/** What happens between the gate and Execution: the stop-loss fills, or this run's earlier attempt canceled the exit. */
type Meanwhile = "stop-fills" | "own-cancel"

const race = (refusedCancels: RefusedCancels, meanwhile: Meanwhile) =>
  Effect.map(
    raceAfterGate({
      runId: "leg-race",
      params: { refusedCancels },
      setup: ({ fake, broker }) =>
        Effect.map(broker.placeOrder(bracketBuy({ takeProfit: 900, stopLoss: 600 }, { account: ACCOUNT, clientOrderId: "earlier-entry" })), (bracket) => {
          fake.fill(bracket.id, 760, "2026-08-03T13:30:00.000Z")
          fake.positions.set("SPY", position("SPY", 10, 760))
          const [takeProfit, stopLoss] = fake.orders.get(bracket.id)!.legs
          return { bracket: bracket.id, takeProfit: takeProfit!.id, stopLoss: stopLoss!.id }
        }),
      meanwhile: ({ fake, broker }, { stopLoss, takeProfit }) =>
        meanwhile === "stop-fills"
          ? Effect.sync(() => {
            fake.fill(stopLoss, 600, "2026-08-03T14:00:00.000Z")
            fake.positions.delete("SPY")
          })
          : Effect.asVoid(broker.cancelOrder(takeProfit))
    }),
    ({ verdict, report, asked, set: { bracket, takeProfit } }) => {
      assert.deepStrictEqual(verdict.cancels.map((c) => c.orderId), [takeProfit])
      assert.deepStrictEqual(verdict.intents.map((i) => [i.symbol, i.side, i.qty]), [["SPY", "sell", 10]])
      return { verdict, report, asked, bracket, takeProfit }
    }
  )

describe("a bracket's exit leg the group canceled because the other leg filled (Alpaca wire)", () => {
  it.live("the gate names the leg's bracket; the refused cancel reads the bracket, finds the stop filled, and sends nothing of SPY (no short); it replays exactly", () =>
    Effect.scoped(Effect.gen(function*() {
      const { verdict, report, asked, bracket, takeProfit } = yield* race("group", "stop-fills")
      assert.strictEqual(verdict.cancels[0]!.group, bracket)
      assert.notInclude(asked, "POST /v2/orders")
      assert.deepStrictEqual(asked.filter((a) => a.includes(takeProfit) || a.includes(bracket)), [`DELETE /v2/orders/${takeProfit}`, `GET /v2/orders/${bracket}`])
      assert.strictEqual(report.status, "failed")
      assert.deepStrictEqual(report.orders, [])
      assert.deepStrictEqual(report.failures.map((f) => f.symbol), ["SPY"])
      assert.match(report.failures[0]!.error, /^not sent: SPY's order .* was canceled by its bracket .*, whose other leg filled before the cancel, so its position moved after the risk gate read it/)
    })))

  it.live("a resumed run whose earlier attempt canceled the exit itself reads the same bracket, finds no leg filled, and sells as planned", () =>
    Effect.scoped(Effect.gen(function*() {
      const { report, asked, bracket, takeProfit } = yield* race("group", "own-cancel")
      assert.deepStrictEqual(asked.filter((a) => a.includes(takeProfit) || a.includes(bracket)), [`DELETE /v2/orders/${takeProfit}`, `GET /v2/orders/${bracket}`])
      assert.strictEqual(report.status, "succeeded")
      assert.deepStrictEqual(report.orders.map((o) => [o.symbol, o.side, o.qty]), [["SPY", "sell", 10]])
    })))

  it.live("a run recorded with `refusedCancels: read` (before groups) reads the leg as it did — \"canceled\", so its sell went out on a flat position — and replays exactly", () =>
    Effect.scoped(Effect.gen(function*() {
      const { verdict, report, asked, takeProfit } = yield* race("read", "stop-fills")
      assert.notProperty(verdict.cancels[0]!, "group")
      assert.deepStrictEqual(asked.filter((a) => a.includes(takeProfit)), [`DELETE /v2/orders/${takeProfit}`, `GET /v2/orders/${takeProfit}`])
      assert.deepStrictEqual(report.orders.map((o) => [o.symbol, o.side, o.qty]), [["SPY", "sell", 10]])
    })))
})

import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { position } from "../../../packages/broker/test/alpaca/FakeAlpaca.ts"
import { raceAfterGate } from "./AlpacaRace.ts"

// Our own guard is bypassed: the gate reads 10 SPY held and plans "sell 10 to close", and the position is closed
// outside the run (by hand at the broker, say) before Execution sends the sell. Nothing the run reads tells it:
// there is no order of its own to cancel or read back. A run stating position intents (`positionIntent: sent`) has
// the broker refuse the sell as a close that would open a short; a run recorded before it sends the sell as it
// did (the short opens), and both replay exactly. The broker is the fake Alpaca server on 127.0.0.1.

const closedElsewhere = (positionIntent: boolean) =>
  Effect.map(
    raceAfterGate({
      runId: "intent-race",
      params: { refusedCancels: "group", ...(positionIntent ? { positionIntent: "sent" } : {}) },
      setup: ({ fake }) => Effect.sync(() => fake.positions.set("SPY", position("SPY", 10, 760))),
      meanwhile: ({ fake }) => Effect.sync(() => fake.positions.delete("SPY"))
    }),
    ({ verdict, report, recordings, fake }) => {
      const sent = fake.requests.filter((r) => r.method === "POST" && r.path === "/v2/orders").map((r) => JSON.parse(r.body) as Record<string, unknown>)
      return { verdict, report, recordings, sent, fake }
    }
  )

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

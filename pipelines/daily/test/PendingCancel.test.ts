import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { heldSpyWithExit, raceAfterGate } from "./AlpacaRace.ts"

// Alpaca's cancel is a request: `DELETE /v2/orders/{id}` answers 204 once it is taken, and the order reads
// `pending_cancel` — its shares still held for it — until the venue confirms (or fills it first). Under `close`, the
// gate reads 10 SPY protected by an OCO exit and plans "cancel the exit, then sell 10 to close". Sent at once, the
// sell finds the 10 shares held by the exit being canceled: Alpaca refuses it, 403 "insufficient qty available",
// and the day fails for that account (every close or reduction of a protected position, each day). The stand-in is
// the fake Alpaca server on 127.0.0.1, which takes a cancel late for the orders in `pendingCancels` and holds the
// shares of open exits as Alpaca does. Each run is replayed from its recordings too (`raceAfterGate`).

const pendingCancel = (settle: { readonly reads: number; readonly fillAt?: number }) =>
  Effect.map(
    raceAfterGate({
      runId: "pending-cancel",
      params: { refusedCancels: "group", positionIntent: "sent" },
      setup: heldSpyWithExit,
      meanwhile: ({ fake }, exit) => Effect.sync(() => void fake.pendingCancels.set(exit.id, { ...settle }))
    }),
    ({ verdict, report, asked, set: exit, fake }) => {
      assert.deepStrictEqual(verdict.cancels.map((c) => c.orderId), [exit.id])
      assert.deepStrictEqual(verdict.intents.map((i) => `${i.side} ${i.qty} ${i.symbol} ${i.positionIntent}`), ["sell 10 SPY sell_to_close"])
      return { report, asked, exit, fake }
    }
  )

describe("a cancel Alpaca takes but carries out later (Alpaca wire)", () => {
  it.live("the sell waits until the exit reads canceled, then goes out and is placed", () =>
    Effect.scoped(Effect.gen(function*() {
      const { report, asked, exit, fake } = yield* pendingCancel({ reads: 2 })
      assert.deepStrictEqual(report.failures, [])
      assert.strictEqual(report.status, "succeeded")
      assert.deepStrictEqual(report.orders.map((o) => [o.symbol, o.side, o.qty]), [["SPY", "sell", 10]])
      assert.strictEqual(report.canceled, 1)
      // the cancel, the exit read until it took effect, then the sell
      assert.deepStrictEqual(asked.filter((a) => a.includes("/v2/orders")), [
        `DELETE /v2/orders/${exit.id}`,
        `GET /v2/orders/${exit.id}`,
        `GET /v2/orders/${exit.id}`,
        "POST /v2/orders"
      ])
      assert.strictEqual(fake.orders.get(exit.id)!.status, "canceled")
    })))

  it.live("the venue fills the exit before the cancel reaches it: nothing of SPY is sent (no short), and the run says why", () =>
    Effect.scoped(Effect.gen(function*() {
      const { report, asked, exit, fake } = yield* pendingCancel({ reads: 1, fillAt: 900 })
      assert.strictEqual(report.status, "failed")
      assert.deepStrictEqual(report.orders, [])
      assert.deepStrictEqual(report.failures.map((f) => f.symbol), ["SPY"])
      assert.match(report.failures[0]!.error, /^not sent: SPY's order .* filled before its cancel, so its position moved after the risk gate read it/)
      assert.notInclude(asked, "POST /v2/orders")
      assert.strictEqual(fake.orders.get(exit.id)!.status, "filled")
      assert.isFalse(fake.positions.has("SPY"))
    })))
})

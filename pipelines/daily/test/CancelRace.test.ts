import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { heldSpyWithExit, raceAfterGate } from "./AlpacaRace.ts"

// Under `close`, the gate reads a position with its working exit (an OCO) and plans "cancel the exit, then sell".
// The exit fills between the gate's read and the cancel: the cancel is refused as not cancelable, and the planned
// sell would open a short. Each run is replayed from its recordings too (a run recorded before `refusedCancels`
// has no read of the order to replay from). The stand-in is the fake Alpaca server on 127.0.0.1 (its clock: 2026-08-03 10:00).

const race = (refusedCancels: boolean) =>
  Effect.map(
    raceAfterGate({
      runId: "cancel-race",
      params: refusedCancels ? { refusedCancels: "read" } : {},
      setup: heldSpyWithExit,
      // the exit fills after the gate's read: the position is flat before the cancel is sent
      meanwhile: ({ fake }, exit) =>
        Effect.sync(() => {
          fake.fill(exit.id, 900, "2026-08-03T14:00:00.000Z")
          fake.positions.delete("SPY")
        })
    }),
    ({ verdict, report, asked, set: exit }) => {
      assert.deepStrictEqual(verdict.cancels.map((c) => c.orderId), [exit.id])
      assert.deepStrictEqual(verdict.intents.map((i) => [i.symbol, i.side, i.qty]), [["SPY", "sell", 10]])
      return { report, asked, exit }
    }
  )

describe("a cancel that loses to a fill (Alpaca wire)", () => {
  it.live("a run that reads refused cancels sends none of the symbol's orders, says why, and reads the order once; it replays exactly", () =>
    Effect.scoped(Effect.gen(function*() {
      const { report, asked, exit } = yield* race(true)
      assert.strictEqual(report.status, "failed")
      assert.deepStrictEqual(report.orders, [])
      assert.deepStrictEqual(report.failures.map((f) => f.symbol), ["SPY"])
      assert.match(report.failures[0]!.error, /^not sent: SPY's order .* filled before its cancel, so its position moved after the risk gate read it; nothing of SPY is sent today .* the next day's run plans from the new position$/)
      assert.notInclude(asked, "POST /v2/orders")
      assert.deepStrictEqual(asked.filter((a) => a.includes(exit.id)), [`DELETE /v2/orders/${exit.id}`, `GET /v2/orders/${exit.id}`])
    })))

  it.live("a run recorded before (no `refusedCancels`) passes the refused cancel over as it did: no read, the sell goes out, and it replays exactly", () =>
    Effect.scoped(Effect.gen(function*() {
      const { report, asked, exit } = yield* race(false)
      assert.deepStrictEqual(asked.filter((a) => a.includes(exit.id)), [`DELETE /v2/orders/${exit.id}`])
      assert.deepStrictEqual(report.orders.map((o) => [o.symbol, o.side, o.qty]), [["SPY", "sell", 10]])
    })))
})

import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { momentAt } from "@council/domain"
import { Calendar } from "@council/exchange"
import { ACCOUNT, closeAt, D2, intent, isoAt, QQQ, SPY, tempDatabase, withExchange } from "./ExchangeFixture.ts"

// After a run (its orders at 15:45), the CLI looks at the accounts at the session point they reached: the open of
// that session, 09:30. An order placed there is sent after the run's: its stamp may not read as earlier, nor may it
// fill at a price from before it was sent.
describe("LocalExchange submission stamps", () => {
  it.effect("an order placed at the account's session point after a run is stamped after the run's orders, fills after them, and a cancel is not stamped before the order", () =>
    withExchange(({ broker, exchange, setTime, closeDay }) =>
      Effect.gen(function*() {
        const run = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 10 }))
        const resting = yield* broker.placeOrder(intent({ symbol: QQQ, side: "buy", qty: 5, type: "limit", limitPrice: 30, timeInForce: "gtc" }))
        // two orders sent at one moment: in submission order, a millisecond apart (listings page by submission time)
        assert.deepStrictEqual([run.submittedAt, resting.submittedAt], [isoAt(D2, "15:45"), "2026-08-04T19:45:00.001Z"])

        const point = (yield* exchange.account(ACCOUNT)).point
        assert.deepStrictEqual(point, { session: D2, phase: "open" })
        // the moment the CLI looks at the accounts after the run (`inspecting`): the open of the point they reached
        assert.deepStrictEqual(Calendar.momentOfPoint(point), momentAt(D2, "09:30"))
        yield* setTime("09:30")

        const manual = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 5 }))
        assert.strictEqual(manual.submittedAt, "2026-08-04T19:45:00.002Z")
        yield* broker.cancelOrder(resting.id)
        const canceled = yield* exchange.getOrder(ACCOUNT, resting.id)
        assert.strictEqual(canceled.status, "canceled")
        assert.isAtLeast(Date.parse(canceled.canceledAt!), Date.parse(canceled.submittedAt))

        yield* closeDay
        const filled = yield* broker.getOrder(manual.id)
        // filled at D2's close (16:00), after it was sent, with the run's order
        assert.deepStrictEqual([filled.status, filled.filledAt, filled.filledAvgPrice], ["filled", closeAt(D2), 102.05])
        assert.deepStrictEqual((yield* broker.getOrder(run.id)).filledAvgPrice, 102.05)
        const listed = yield* broker.listOrders({ status: "all", direction: "asc" })
        assert.deepStrictEqual(listed.map((o) => o.id), [run.id, resting.id, manual.id])
      }), { start: D2 }))

  // A write call keeps the account's latest stamp for the next one (no query per call); another connection's
  // order (`exchange serve` beside a CLI run, on one file) must still be seen, or two orders would share a stamp.
  it.effect("an order is stamped after another connection's order of the account, not after the last one this exchange placed", () =>
    Effect.gen(function*() {
      const filename = tempDatabase()
      const stamps = yield* withExchange(({ broker }) =>
        Effect.gen(function*() {
          const first = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 1 }))
          const other = yield* withExchange(({ broker: theirs }) => theirs.placeOrder(intent({ symbol: QQQ, side: "buy", qty: 1 })), {
            filename,
            start: D2
          })
          const third = yield* broker.placeOrder(intent({ symbol: SPY, side: "buy", qty: 2 }))
          return [first.submittedAt, other.submittedAt, third.submittedAt]
        }), { filename, start: D2 })
      assert.deepStrictEqual(stamps, [isoAt(D2, "15:45"), "2026-08-04T19:45:00.001Z", "2026-08-04T19:45:00.002Z"])
    }))
})

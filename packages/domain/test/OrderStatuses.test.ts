import { assert, describe, it } from "@effect/vitest"
import { OPEN_STATUSES, OrderStatus } from "@council/domain"

describe("OPEN_STATUSES", () => {
  it("holds every status of an order the broker may still fill or cancel: all but the final ones", () => {
    // Alpaca: an order is cancelable until it is filled, canceled or expired; replaced and rejected orders are done
    // too, and `calculated` is left where it is. `done_for_day` is a GTC order (a bracket's stop) working again the
    // next session: an exit in that state still closes the position, and must be counted as working
    const final = new Set(["filled", "canceled", "expired", "replaced", "rejected"])
    assert.deepStrictEqual(
      OrderStatus.literals.filter((s) => !final.has(s) && !OPEN_STATUSES.has(s)),
      [],
      "statuses an order can still fill from, missing from OPEN_STATUSES"
    )
    assert.deepStrictEqual([...final].filter((s) => OPEN_STATUSES.has(s as OrderStatus)), [])
  })
})

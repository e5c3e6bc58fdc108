import { assert, describe, it } from "@effect/vitest"
import { TradingDay } from "@council/domain"
import { behindBy, weekdayOnOrBefore } from "../src/StaleData.ts"

describe("local data behind the clock", () => {
  it("the session by the clock is today, or the Friday before on a weekend", () => {
    // 2026-11-27 is a Friday
    assert.deepStrictEqual(
      ["2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30", "2026-03-01"].map(weekdayOnOrBefore),
      ["2026-11-27", "2026-11-27", "2026-11-27", "2026-11-30", "2026-02-27"]
    )
  })

  it("data ending on that session is not behind; data ending before it is", () => {
    assert.isUndefined(behindBy(TradingDay.make("2026-11-27"), "2026-11-29"))
    assert.isUndefined(behindBy(TradingDay.make("2026-11-30"), "2026-11-30"))
    assert.strictEqual(behindBy(TradingDay.make("2026-11-26"), "2026-11-28"), "2026-11-27")
    assert.strictEqual(behindBy(TradingDay.make("2026-06-08"), "2026-11-30"), "2026-11-30")
  })
})

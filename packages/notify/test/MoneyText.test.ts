import { assert, describe, it } from "@effect/vitest"
import { money } from "@council/notify/RunMessages"

// the notifier writes money as the CLI's tables do (`Table.test.ts` checks the same strings for `usd`)
describe("the notifier's money", () => {
  it("writes the minus sign (U+2212) on a negative amount, as every other figure does", () => {
    assert.deepStrictEqual([money(-1234.5), money(-0.5), money(1234.5)], ["\u2212$1,234.50", "\u2212$0.50", "$1,234.50"])
  })

  it("writes no sign on an amount that rounds to zero cents, and rounds the decimal a user reads half away from zero", () => {
    assert.deepStrictEqual([money(-0.001), money(-0.004999), money(1.005), money(-2.675), money(0)], ["$0.00", "$0.00", "$1.01", "\u2212$2.68", "$0.00"])
  })

  it("writes — for an amount that is not known", () => {
    assert.deepStrictEqual([money(null), money(undefined), money(Number.NaN)], ["—", "—", "—"])
  })
})

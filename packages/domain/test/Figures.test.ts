import { assert, describe, it } from "@effect/vitest"
import * as Figures from "@council/domain/Figures.js"

describe("Figures", () => {
  it("writes a value that rounds to zero without a sign, whichever side of zero it is", () => {
    assert.deepStrictEqual(
      [-0.0004, 0, 0.0004, -0].map((x) => [Figures.percent(x), Figures.signedPercent(x), Figures.fixed(x * 10, 2)]),
      [["0.0 %", "0.0 %", "0.00"], ["0.0 %", "0.0 %", "0.00"], ["0.0 %", "0.0 %", "0.00"], ["0.0 %", "0.0 %", "0.00"]]
    )
    assert.deepStrictEqual([Figures.signedPercent(-0.00004, 2), Figures.percent(-0.00004, 2)], ["0.00 %", "0.00 %"])
  })

  it("writes the minus sign (U+2212) on what shows a digit, and + on a gain", () => {
    assert.deepStrictEqual(
      [Figures.percent(-0.0012), Figures.signedPercent(-0.0012), Figures.signedPercent(0.031), Figures.percent(0.031), Figures.fixed(-1.5, 2), Figures.fixed(-0.006, 2)],
      ["\u22120.1 %", "\u22120.1 %", "+3.1 %", "3.1 %", "\u22121.50", "\u22120.01"]
    )
  })

  it("writes LLM spend with fractions of a cent below a dollar and grouped cents from a dollar up, as money is written", () => {
    assert.deepStrictEqual(
      [0, 0.00396, 0.0123, 0.5, 1, 12.345, 1234.5, 1234567.891, -0.001, -1234.5, -0.000001].map(Figures.spendText),
      ["$0", "$0.00396", "$0.0123", "$0.5000", "$1.00", "$12.35", "$1,234.50", "$1,234,567.89", "\u2212$0.00100", "\u2212$1,234.50", "$0.00000"]
    )
  })

  it("says a window both ways, sessions and the daily returns between them, each singular at one", () => {
    assert.deepStrictEqual(
      [59, 1, 0].map((n) => Figures.windowCount(n)),
      ["60 sessions (59 daily returns)", "2 sessions (1 daily return)", "1 session (0 daily returns)"]
    )
  })

  it("writes whole shares as they are and a fraction of a share with 4 decimals", () => {
    assert.deepStrictEqual([244, 0, 4.92134, 0.5, 10.00006].map((x) => Figures.sharesText(x)), ["244", "0", "4.9213", "0.5000", "10.0001"])
  })
})

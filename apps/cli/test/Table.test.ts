import { assert, describe, it } from "@effect/vitest"
import { summarize } from "../src/Progress.ts"
import { decimal, money, usd } from "../src/Table.ts"

const byIntl = (value: number) => value.toLocaleString("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2 })

describe("decimal", () => {
  it("writes a number as the decimal it stands for: binary noise gone, every other digit kept", () => {
    const cases: ReadonlyArray<readonly [number, string]> = [
      [9980.300000000001, "9980.3"],
      [249.85999999999999, "249.86"],
      [0.1 + 0.2, "0.3"],
      [-3.0000000000000004, "-3"],
      [9479.059126, "9479.059126"],
      [123456.123456789, "123456.123456789"],
      [100000, "100000"],
      [1.5e-7, "1.5e-7"],
      [0, "0"],
      [Number.NaN, "NaN"]
    ]
    assert.deepStrictEqual(cases.map(([v]) => decimal(v)), cases.map(([, text]) => text))
  })
})

describe("money", () => {
  it("writes dollars as Intl does (grouping, two decimals rounded half away from zero) with the CLI's minus sign, and no sign on what rounds to zero", () => {
    const cases: ReadonlyArray<readonly [number, string]> = [
      [0, "$0.00"],
      [-0, "$0.00"],
      [1.005, "$1.01"],
      [-999.995, "\u2212$1,000.00"],
      [0.004999, "$0.00"],
      [-0.001, "$0.00"],
      [-0.004999, "$0.00"],
      [-0.005, "\u2212$0.01"],
      [-1e-7, "$0.00"],
      [1234567.891, "$1,234,567.89"],
      [1e20, "$100,000,000,000,000,000,000.00"]
    ]
    assert.deepStrictEqual(cases.map(([v]) => usd(v)), cases.map(([, text]) => text))
    assert.deepStrictEqual([money(null), money(undefined)], ["-", "-"])
  })

  it("agrees with Intl's digits on 60,000 generated amounts, ties included, and on what it hands to Intl", () => {
    let seed = 1
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647
    const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e21, -1e21, 1e-7, -1e-7]
    for (let i = 0; i < 20_000; i++) {
      values.push((next() - 0.5) * 2 * 10 ** (Math.floor(next() * 12) - 3))
      values.push(Math.round((next() - 0.5) * 2e7) / 1000)
      values.push(Math.round((next() - 0.5) * 2e6) / 200 + 0.005)
    }
    // Intl's text, its sign as the CLI writes it: U+2212, none on a zero amount
    const expected = (v: number) => {
      const intl = byIntl(v)
      return intl === "-$0.00" ? "$0.00" : intl.startsWith("-") ? `\u2212${intl.slice(1)}` : intl
    }
    assert.deepStrictEqual(values.filter((v) => usd(v) !== expected(v)), [])
    assert.isTrue(values.some((v) => usd(v).startsWith("\u2212$")) && values.some((v) => byIntl(v) === "-$0.00"))
  })
})

describe("progress lines", () => {
  it("count in the singular for one: 1 order intent, 1 rejection, 1 clamp, 1 order placed", () => {
    const rejection = { account: "CHATGPT", symbol: "SPY", rule: "min-order-value", detail: "dust" }
    const verdict = { intents: [{}], rejections: [rejection], clamps: [{}], cancels: [] }
    assert.strictEqual(summarize("RiskApproval", verdict), "1 order intent, 1 rejection, 1 clamp")
    assert.strictEqual(
      summarize("RiskApproval", { ...verdict, intents: [], rejections: [rejection, rejection] }),
      "0 order intents, 2 rejections, 1 clamp"
    )
    const account = (orders: number, status: string) => ({ status, orders: Array.from({ length: orders }, () => ({})), adopted: [] })
    assert.strictEqual(summarize("Execution", { dryRun: false, accounts: [account(1, "succeeded"), account(0, "failed")] }), "1 order placed; 1 account failed")
    assert.strictEqual(summarize("Execution", { dryRun: false, accounts: [account(2, "succeeded")] }), "2 orders placed")
  })
})

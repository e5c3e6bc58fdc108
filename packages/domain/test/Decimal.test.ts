import { assert, describe, it } from "@effect/vitest"
import { decimalDifference, decimalNumber, decimalSum, plainDecimal } from "../src/Decimal.ts"

describe("Decimal", () => {
  it("a difference of cents between large amounts is the cents, where decimalNumber keeps the noise", () => {
    // floating point writes 100349.93 − 100000 in 15 significant digits: decimalNumber takes it as exact
    assert.strictEqual(String(decimalNumber(100349.93 - 100000)), "349.929999999993")
    assert.strictEqual(String(decimalDifference(100349.93, 100000)), "349.93")
    assert.strictEqual(String(decimalDifference(98857.77, 100000)), "-1142.23")
    assert.strictEqual(String(decimalDifference(1000000.01, 1000000)), "0.01")
    assert.strictEqual(String(decimalDifference(100000.1234, 99999.99)), "0.1334")
  })

  it("a sum keeps the places of its terms, and is never negative zero, NaN stays NaN", () => {
    assert.strictEqual(String(decimalSum([0.1, 0.2])), "0.3")
    assert.strictEqual(String(decimalSum([0.000123, 0.0000045, 1.5])), "1.5001275")
    assert.strictEqual(String(decimalSum([1e-7, 2e-7])), "3e-7")
    assert.isFalse(Object.is(decimalDifference(100.1, 100.1), -0))
    assert.isFalse(Object.is(decimalSum([-0]), -0))
    // 0.3 − 0.1 − 0.2 is −2.8e-17 in floating point: rounded to one place, a negative zero
    assert.isFalse(Object.is(decimalSum([0.3, -0.1, -0.2]), -0))
    assert.isNaN(decimalSum([1, Number.NaN]))
    assert.strictEqual(decimalSum([1, Number.POSITIVE_INFINITY]), Number.POSITIVE_INFINITY)
    assert.strictEqual(decimalSum([]), 0)
  })
})

describe("plainDecimal", () => {
  it("reads digits with an optional fraction, trimmed", () => {
    assert.deepStrictEqual(["10", " 0.5 ", ".5", "512.30", "7."].map(plainDecimal), [10, 0.5, 0.5, 512.3, 7])
  })

  it("refuses what Number would read as another number", () => {
    for (const text of ["0x10", "0b11", "0o7", "1e3", "+5", "-3", "", "  ", "Infinity", "1_000", "1,5"]) {
      assert.isNaN(plainDecimal(text), text)
    }
  })
})

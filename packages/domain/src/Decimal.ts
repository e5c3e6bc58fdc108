/**
 * Numbers as the decimals they stand for. A sum of cents and shares comes out of binary floating point as
 * `9980.300000000001`; every user-facing copy of such a number (CSV, tables, JSON) should say `9980.3`.
 *
 * **When to use**: `decimalText` to print a number, `decimalNumber` to keep a number whose JSON (`String`) is that
 * same decimal. A number written in 15 significant digits or fewer is the decimal it was made from and stays as it
 * is; a longer one becomes the shortest decimal within a trillionth of it (relative), so no value moves by more than
 * that (a sum of a few hundred terms errs by far less).
 *
 * @since 0.1.0
 */

/** Significant digits of a number as `String` writes it (`9980.300000000001` → 16). */
const significantDigits = (text: string): number => text.replace(/e.*$/, "").replace(/\D/g, "").replace(/^0+/, "").length

/** `value` without binary noise, as a number: `String(decimalNumber(x)) === decimalText(x)`. */
export const decimalNumber = (value: number): number => {
  if (!Number.isFinite(value) || significantDigits(String(value)) <= 15) return value
  for (let digits = 1; digits <= 15; digits++) {
    const shorter = Number(value.toPrecision(digits))
    if (Math.abs(shorter - value) <= Math.abs(value) * 1e-12) return shorter
  }
  return value
}

/** A plain decimal as typed by a person: digits with an optional fraction (`10`, `0.5`, `.5`). */
const PLAIN_DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)$/

/**
 * `text` (trimmed) as a number when it is a plain decimal, `NaN` otherwise. Use it for quantities, prices and
 * settings a person types: `Number` alone reads `0x10` as 16, `0b11` as 3, `1e3` as 1000 and `""` as 0.
 */
export const plainDecimal = (text: string): number => {
  const trimmed = text.trim()
  return PLAIN_DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN
}

/** `value` as the decimal it stands for (`9980.300000000001` → `"9980.3"`). */
export const decimalText = (value: number): string => String(decimalNumber(value))

/** Places after the point of `value` as `decimalText` writes it (`1.25` → 2, `1e-7` → 7, `1200` → 0). */
const decimalPlaces = (value: number): number => {
  const [mantissa = "", exponent = "0"] = decimalText(value).split("e")
  return Math.max(0, (mantissa.split(".")[1]?.length ?? 0) - Number(exponent))
}

/**
 * `Σ terms` as the decimal it stands for: rounded to the most places any term has (as `decimalText` writes them),
 * which a sum of decimals never exceeds. Use it where `decimalNumber` cannot tell the noise from the number: a
 * difference of two large amounts (100349.93 − 100000 is 349.929999999993 in floating point, 15 significant digits
 * that `decimalNumber` keeps) or a sum of many. Not finite, or more than 20 places: `decimalNumber` of the sum.
 */
export const decimalSum = (terms: ReadonlyArray<number>): number => {
  const sum = terms.reduce((a, t) => a + t, 0)
  if (!Number.isFinite(sum)) return sum
  const places = Math.max(0, ...terms.map(decimalPlaces))
  if (places > 20) return decimalNumber(sum)
  const rounded = Number(sum.toFixed(places))
  return rounded === 0 ? 0 : rounded
}

/** `a − b` as the decimal it stands for (see `decimalSum`): `decimalDifference(100349.93, 100000)` is 349.93. */
export const decimalDifference = (a: number, b: number): number => decimalSum([a, -b])

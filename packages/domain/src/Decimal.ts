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

/** `value` as the decimal it stands for (`9980.300000000001` → `"9980.3"`). */
export const decimalText = (value: number): string => String(decimalNumber(value))

/** Renders rows as an aligned plain-text table with a header line. */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd()
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

const byIntl = (value: number) => value.toLocaleString("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2 })

/**
 * US dollars as `Intl` writes them (`-$1,234.57`: the shortest decimal of the number, rounded half away from zero),
 * by arithmetic: the first currency format of a process loads ICU's number data (~20 ms of every `run daily`).
 * Non-finite values and those JavaScript writes with an exponent go to `Intl`.
 */
export const usd = (value: number): string => {
  const text = String(Math.abs(value))
  if (!Number.isFinite(value) || text.includes("e")) return byIntl(value)
  const [whole = "0", fraction = ""] = text.split(".")
  const cents = BigInt(whole + (fraction + "00").slice(0, 2)) + ((fraction[2] ?? "0") >= "5" ? 1n : 0n)
  const digits = cents.toString().padStart(3, "0")
  const dollars = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ",")
  return `${value < 0 || Object.is(value, -0) ? "-" : ""}$${dollars}.${digits.slice(-2)}`
}

/** Significant digits of a number as `String` writes it (`9980.300000000001` → 16). */
const significantDigits = (text: string): number => text.replace(/e.*$/, "").replace(/\D/g, "").replace(/^0+/, "").length

/**
 * `value` as the decimal it stands for, without binary noise: a sum of cents and shares that JavaScript writes as
 * `9980.300000000001` is `9980.3`. A number written in 15 significant digits or fewer is the decimal it was made
 * from and comes out as `String` writes it; a longer one, as the shortest decimal within a trillionth of it
 * (relative), so no value moves by more than that (a sum of a few hundred terms errs by far less).
 */
export const decimal = (value: number): string => {
  const text = String(value)
  if (!Number.isFinite(value) || significantDigits(text) <= 15) return text
  for (let digits = 1; digits <= 15; digits++) {
    const shorter = Number(value.toPrecision(digits))
    if (Math.abs(shorter - value) <= Math.abs(value) * 1e-12) return String(shorter)
  }
  return text
}

export const money = (value: number | null | undefined): string => value === null || value === undefined ? "-" : usd(value)

export const qty = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(4))

/** `1 order`, `2 orders`: a count with its noun (plural by an `s`). */
export const counted = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`

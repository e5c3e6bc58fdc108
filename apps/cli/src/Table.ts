import { decimalText } from "@council/domain"
import { centsText, ESTIMATE_MARK, ESTIMATE_NOTE, MINUS, sharesText } from "@council/domain/Figures.js"

/**
 * A cell on one line: a line break (a broker's or a provider's message may hold one) as ` / `, a tab as a blank, so
 * no text in a cell starts a row of its own or breaks the columns.
 */
const cell = (text: string): string => text.replace(/[ \t]*(?:\r\n|[\r\n\u2028\u2029])+[ \t]*/g, " / ").replace(/\t/g, " ")

/** Renders rows as an aligned plain-text table with a header line; every cell on one line. */
export const table = (headers: ReadonlyArray<string>, unsafeRows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const rows = unsafeRows.map((r) => r.map(cell))
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd()
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

/** The CLI's minus sign (U+2212), as its percentages and ratios write it (`Figures`'). */
export { MINUS }

/** US dollars with cents (`Figures.centsText`, the notifier's too): `−$1,234.57`, `$0.00` for −0.001. Machine output (CSV, JSON) keeps plain numbers. */
export const usd = (value: number): string => centsText(value)

/** The mark of an LLM cost that is (partly) an estimate, and what it means (`Figures`'): the dashboard's and the report's too. */
export { ESTIMATE_MARK, ESTIMATE_NOTE }

/** `value` as the decimal it stands for, without binary noise (`9980.300000000001` → `9980.3`; see `Decimal`). */
export const decimal = (value: number): string => decimalText(value)

export const money = (value: number | null | undefined): string => value === null || value === undefined ? "-" : usd(value)

/** Shares (`Figures.sharesText`, the dashboard's too): `244`, `4.9213`. */
export const qty = (value: number): string => sharesText(value)

/** `1 order`, `2 orders`: a count with its noun (plural by an `s`). */
export const counted = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? "" : "s"}`

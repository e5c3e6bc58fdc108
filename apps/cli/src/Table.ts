/** Renders rows as an aligned plain-text table with a header line. */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd()
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

export const money = (value: number | null | undefined): string =>
  value === null || value === undefined
    ? "-"
    : value.toLocaleString("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2 })

export const qty = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(4))

/** A row of `equity --csv`: column name → its text. */
export type EquityRow = Record<string, string>

/**
 * `equity --csv` (with or without `--baselines`) parsed: its columns, its rows in the order printed, and each
 * account's rows in that order (date order).
 */
export const parseEquityCsv = (text: string) => {
  const [header, ...lines] = text.trim().split("\n")
  const columns = header!.split(",")
  const rows: ReadonlyArray<EquityRow> = lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [columns[i]!, v])))
  const byAccount = new Map<string, Array<EquityRow>>()
  for (const row of rows) byAccount.set(row["account"]!, [...(byAccount.get(row["account"]!) ?? []), row])
  return { columns, rows, byAccount }
}

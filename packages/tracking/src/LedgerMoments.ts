/**
 * How the trade ledger stores its moments (order, event, fill, snapshot and mark times): a moment on a whole second
 * as `toISOString` writes it (`2007-05-09T20:00:00.000Z`) is stored without its `.000Z` (`2007-05-09T20:00:00`,
 * since `0032_ledger_compact`), every other moment as it is. Only `TradeLedger` and its writes use these.
 *
 * **Gotchas**
 * - Stored moments still sort as the moments they stand for: a whole second stored short is a prefix of every other
 *   moment in that second (`…:00` < `…:00.250Z`), so the ledger's `ORDER BY` and `>=` on its moment columns hold, as
 *   long as both sides are stored forms (`0032_ledger_compact` rewrote the rows written before).
 * - A moment is read back with `.000Z` whenever its stored text is a date and a time to the second and nothing more;
 *   rows written before 0032 (`….000Z`) read back as they are.
 *
 * @since 0.1.0
 */

/** A moment on a whole second, in UTC, as `toISOString` writes it. */
const WHOLE_SECOND = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/
/** A stored moment without its `.000Z`. */
const SHORT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/

/** `moment` as the ledger stores it. */
export const storedMoment = <A>(moment: A): A =>
  (typeof moment === "string" && WHOLE_SECOND.test(moment) ? moment.slice(0, 19) : moment) as A

/** A stored moment as the moment it stands for (what `storedMoment` was given); anything else as it is. */
export const momentOf = <A>(stored: A): A => (typeof stored === "string" && SHORT.test(stored) ? `${stored}.000Z` : stored) as A

/** `row` with its `columns` converted by `convert` (those it has). */
const convertColumns = <R extends Record<string, unknown>>(row: R, columns: ReadonlyArray<string>, convert: (value: unknown) => unknown): R => {
  const out: Record<string, unknown> = { ...row }
  for (const column of columns) if (column in out) out[column] = convert(out[column])
  return out as R
}

/** `row` with the moments in `columns` as stored. */
export const storeMoments = <R extends Record<string, unknown>>(row: R, columns: ReadonlyArray<string>): R =>
  convertColumns(row, columns, storedMoment)

/** Rows as read with the moments in `columns` as they stand (`momentOf`). */
export const readMoments = <R extends Record<string, unknown>>(rows: ReadonlyArray<R>, columns: ReadonlyArray<string>): ReadonlyArray<R> =>
  rows.map((row) => convertColumns(row, columns, momentOf))

/** The moment columns of each ledger table. */
export const MOMENTS = {
  orders: ["submitted_at", "filled_at", "updated_at", "status_at"],
  events: ["at"],
  fills: ["at"],
  equity: ["taken_at", "marked_at"],
  marks: ["marked_at"]
} as const

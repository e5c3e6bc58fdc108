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

/** A moment on a whole second, in UTC, as `toISOString` writes it: `YYYY-MM-DDTHH:MM:SS.000Z`. */
const isWholeSecond = (moment: string) =>
  moment.length === 24 && moment.endsWith(".000Z") && moment.charCodeAt(10) === 84 /* T */ && moment.charCodeAt(19) === 46
/** A stored moment without its `.000Z`: `YYYY-MM-DDTHH:MM:SS`. */
const isShort = (stored: string) => stored.length === 19 && stored.charCodeAt(10) === 84 /* T */ && stored.charCodeAt(13) === 58 /* : */

/** `moment` as the ledger stores it. */
export const storedMoment = <A>(moment: A): A =>
  (typeof moment === "string" && isWholeSecond(moment) ? moment.slice(0, 19) : moment) as A

/** A stored moment as the moment it stands for (what `storedMoment` was given); anything else as it is. */
export const momentOf = <A>(stored: A): A => (typeof stored === "string" && isShort(stored) ? `${stored}.000Z` : stored) as A

/** `row` (a new object of the caller's) with the moments in `columns` as stored; changed in place. */
export const storeMoments = <R extends Record<string, unknown>>(row: R, columns: ReadonlyArray<string>): R => {
  const out = row as Record<string, unknown>
  for (const column of columns) {
    const value = out[column]
    if (typeof value === "string" && isWholeSecond(value)) out[column] = value.slice(0, 19)
  }
  return row
}

/** Rows as read (the client's new objects), with the moments in `columns` as they stand (`momentOf`); changed in place. */
export const readMoments = <R extends Record<string, unknown>>(rows: ReadonlyArray<R>, columns: ReadonlyArray<string>): ReadonlyArray<R> => {
  for (const row of rows) {
    const out = row as Record<string, unknown>
    for (const column of columns) {
      const value = out[column]
      if (typeof value === "string" && isShort(value)) out[column] = `${value}.000Z`
    }
  }
  return rows
}

/** The moment columns of each ledger table. */
export const MOMENTS = {
  orders: ["submitted_at", "filled_at", "updated_at", "status_at"],
  events: ["at"],
  fills: ["at"],
  equity: ["taken_at", "marked_at"],
  marks: ["marked_at"]
} as const

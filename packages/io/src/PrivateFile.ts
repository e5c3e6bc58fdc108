/**
 * Files Council writes into its home for their owner alone: a backtest's report (its accounts' books), a launched
 * backtest's log. Imported as `@council/io/PrivateFile`.
 *
 * **When to use**: for every file written under `COUNCIL_HOME` other than the databases (`NodeSqliteClient` makes
 * those). A file the user asked for elsewhere (`export -o FILE`) follows their umask, as `cp` or `sqlite3` would.
 *
 * **Rules**
 * - A new file is made `0600`, whatever the umask or the directory's permissions (a home made by hand, `0755`).
 * - A file that was there (an older version's `0644`, rewritten by `backtest --resume`) loses every user's access
 *   but its owner's — and its group's where the group may write it (`0660`: a home shared with a group), as
 *   `NodeSqliteClient` treats the databases. A file of another user is left as it is (only its owner may chmod).
 *
 * @since 0.1.0
 */
import { closeSync, fchmodSync, fstatSync, openSync, writeFileSync } from "node:fs"

/** `mode` closed to other users, and to the group unless it may write (0644 → 0600, 0664 → 0660). */
export const privateMode = (mode: number): number => mode & ((mode & 0o020) === 0 ? 0o700 : 0o770) & 0o777

/**
 * Opens `path` for writing from its start (made if missing, emptied if not) as a file of this user's own (see the
 * module's rules); returns its descriptor, for `createWriteStream(path, { fd })`. Throws what `open` throws.
 */
export const openPrivateFile = (path: string): number => {
  const fd = openSync(path, "w", 0o600)
  try {
    const stat = fstatSync(fd)
    const mode = privateMode(stat.mode)
    if (mode !== (stat.mode & 0o777) && stat.uid === process.getuid?.()) fchmodSync(fd, mode)
    return fd
  } catch (error) {
    closeSync(fd)
    throw error
  }
}

/** Writes `data` to `path` as a file of this user's own (see the module's rules). Throws what `open` or `write` throw. */
export const writePrivateFile = (path: string, data: string | Uint8Array): void => {
  const fd = openPrivateFile(path)
  try {
    writeFileSync(fd, data)
  } finally {
    closeSync(fd)
  }
}

/**
 * A directory of this user's own under the temporary directory, for caches a process trusts (Node's compile cache,
 * the parsed bars).
 *
 * **When to use**: instead of a fixed name in `$TMPDIR` for anything read back as code or data. In a shared `/tmp`
 * another user can make a fixed-name directory first, writable by all, and plant what the next run reads.
 *
 * **Gotchas**
 * - `$TMPDIR/<name>-<uid>` is made with mode 0700 when missing; it is used only while it is a directory (not a
 *   link), owned by this user and writable by nobody else — otherwise `undefined`, and the caller goes without.
 * - Imports only Node built-ins: `ProcessTuning` calls it before anything else loads. `scripts/pipeline.sh` makes
 *   the same check in shell for the compile cache of the entry file.
 *
 * @since 0.1.0
 */
import { lstatSync, mkdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** `$TMPDIR/<name>-<uid>` when it is this user's alone (made now if missing), else `undefined`. */
export const privateTempDirectory = (name: string): string | undefined => {
  const uid = process.getuid?.()
  const directory = join(tmpdir(), `${name}-${uid ?? "user"}`)
  try {
    mkdirSync(directory, { mode: 0o700 })
  } catch {
    // there already, or it cannot be made: the checks below decide
  }
  try {
    const stat = lstatSync(directory)
    return stat.isDirectory() && stat.uid === (uid ?? stat.uid) && (stat.mode & 0o022) === 0 ? directory : undefined
  } catch {
    return undefined
  }
}

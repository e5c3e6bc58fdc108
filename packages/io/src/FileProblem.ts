/**
 * Why a file or directory the user named cannot be read, in words a newcomer reads, with the system's code kept
 * beside them: `no such file (ENOENT)` rather than Node's `Error: ENOENT: no such file or directory, open '…'`,
 * which repeats the path the caller's message already names.
 *
 * Use it in a one-line error that names the input first (`cannot read the price table X: ${why(e, "file")}`).
 * Gotcha: an error without a system code (not from `node:fs`) is given as its message.
 */

/** What is expected at the path: a file, or a directory. */
export type Expected = "file" | "directory"

const WORDS: Readonly<Record<Expected, Readonly<Record<string, string>>>> = {
  file: { ENOENT: "no such file", EISDIR: "a directory, not a file", EACCES: "permission denied" },
  directory: { ENOENT: "no such directory", ENOTDIR: "not a directory", EACCES: "permission denied" }
}

/** `no such file (ENOENT)`, `not a directory (ENOTDIR)`, …; the bare code when it has no words here. */
export const why = (error: unknown, expected: Expected): string => {
  const code = error instanceof Error && "code" in error ? String(error.code) : undefined
  if (code === undefined) return error instanceof Error ? error.message : String(error)
  const words = WORDS[expected][code]
  return words === undefined ? code : `${words} (${code})`
}

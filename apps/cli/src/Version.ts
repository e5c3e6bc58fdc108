/**
 * The version recorded with every run (`show` prints it) and printed by `--version`: the package's version and, when
 * Council runs from a git checkout, the commit it runs (`0.1.0+646ffeb1a2b3`), so that a replay which differs can be
 * traced to the code that recorded the run.
 *
 * **Gotchas**: the commit is read from the checkout's `.git` files (HEAD, then the branch's loose ref or
 * `packed-refs`; a worktree's `.git` file points at its own HEAD), never by starting `git`. Local changes on top of
 * the commit are not seen. Anything unreadable leaves the bare package version.
 *
 * @since 0.1.0
 */
import { readFileSync, statSync } from "node:fs"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const packageVersion = "0.1.0"

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8").trim()
  } catch {
    return undefined
  }
}

const fullHash = /^[0-9a-f]{40}$/

/** The git directory of the checkout at `root`: `.git` itself, or where a worktree's `.git` file points. */
const gitDirectoryOf = (root: string): string | undefined => {
  const dotGit = join(root, ".git")
  try {
    if (statSync(dotGit).isDirectory()) return dotGit
  } catch {
    return undefined
  }
  const pointer = readText(dotGit)?.match(/^gitdir: (.+)$/)
  return pointer?.[1] === undefined ? undefined : resolve(root, pointer[1])
}

/** The commit checked out at `root` (40 hex digits), or `undefined` when `root` is no readable git checkout. */
export const checkedOutCommit = (root: string): string | undefined => {
  const gitDir = gitDirectoryOf(root)
  if (gitDir === undefined) return undefined
  const head = readText(join(gitDir, "HEAD"))
  if (head === undefined) return undefined
  if (fullHash.test(head)) return head
  const ref = head.match(/^ref: (refs\/\S+)$/)?.[1]
  if (ref === undefined) return undefined
  const common = readText(join(gitDir, "commondir"))
  const commonDir = common === undefined ? gitDir : resolve(gitDir, common)
  const loose = readText(join(gitDir, ref)) ?? readText(join(commonDir, ref))
  if (loose !== undefined) return fullHash.test(loose) ? loose : undefined
  const packed = readText(join(commonDir, "packed-refs"))?.split("\n").find((line) => line.endsWith(` ${ref}`))
  const hash = packed?.slice(0, 40)
  return hash !== undefined && fullHash.test(hash) ? hash : undefined
}

/** `version+commit` (the commit cut to 12 digits), or `version` alone without a commit. */
export const versionWithCommit = (version: string, commit: string | undefined): string =>
  commit === undefined ? version : `${version}+${commit.slice(0, 12)}`

const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url))

/** The version recorded with every run and printed by `--version`. */
export const codeVersion = versionWithCommit(packageVersion, checkedOutCommit(repositoryRoot))

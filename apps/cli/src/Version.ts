/**
 * The version recorded with every run (`show` prints it) and printed by `--version`: the package's version and, when
 * Council runs from a git checkout, the commit it runs (`0.1.0+646ffeb1a2b3`), so that a replay which differs can be
 * traced to the code that recorded the run.
 *
 * A working tree that differs from what is staged (a tracked file edited or deleted) adds `.dirty`
 * (`0.1.0+646ffeb1a2b3.dirty`): such a run was not made by that commit alone.
 *
 * **Gotchas**: the commit is read from the checkout's `.git` files (HEAD, then the branch's loose ref or
 * `packed-refs`; a worktree's `.git` file points at its own HEAD), never by starting `git`. Local changes are found
 * as `git diff` finds them: each tracked file's size and mtime against the index, its content hashed only when
 * they differ (~500 `lstat`s). Not seen: changes staged but not committed (that needs the commit's trees, often
 * in pack files), untracked files (as `git describe --dirty`), an index git writes in a newer format (v4, split).
 * Anything unreadable leaves the bare package version.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { lstatSync, readFileSync, readlinkSync, statSync } from "node:fs"
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

/** An entry of the index: a tracked file as last staged. */
interface IndexEntry {
  readonly path: string
  readonly mode: number
  readonly mtimeSeconds: number
  readonly mtimeNanos: number
  readonly size: number
  readonly blob: string
}

/**
 * Whether the index ends with the SHA-1 of what precedes it, as git checks before it reads one (all zeros:
 * written under `index.skipHash`): an index cut short or damaged is not read.
 */
const checksumHolds = (index: Buffer): boolean => {
  const stored = index.subarray(index.length - 20)
  return stored.every((byte) => byte === 0) || createHash("sha1").update(index.subarray(0, index.length - 20)).digest().equals(stored)
}

/** The stage-0 entries of a version 2 or 3 index (`undefined` for another version or a split index). */
const indexEntries = (index: Buffer): ReadonlyArray<IndexEntry> | undefined => {
  if (index.length < 32 || index.toString("latin1", 0, 4) !== "DIRC" || !checksumHolds(index)) return undefined
  const version = index.readUInt32BE(4)
  if (version !== 2 && version !== 3) return undefined
  const entries: Array<IndexEntry> = []
  let at = 12
  for (let i = index.readUInt32BE(8); i > 0; i--) {
    const flags = index.readUInt16BE(at + 60)
    const extended = version === 3 && (flags & 0x4000) !== 0
    const extra = extended ? index.readUInt16BE(at + 62) : 0
    const pathAt = at + 62 + (extended ? 2 : 0)
    const end = index.indexOf(0, pathAt)
    if (end < 0) return undefined
    // stage 0, not assumed unchanged, not skip-worktree (sparse checkouts): what `git diff` compares
    if ((flags & 0x3000) === 0 && (flags & 0x8000) === 0 && (extra & 0x4000) === 0) {
      entries.push({
        path: index.toString("utf8", pathAt, end),
        mode: index.readUInt32BE(at + 24),
        mtimeSeconds: index.readUInt32BE(at + 8),
        mtimeNanos: index.readUInt32BE(at + 12),
        size: index.readUInt32BE(at + 36),
        blob: index.toString("hex", at + 40, at + 60)
      })
    }
    at += Math.floor((end - at) / 8) * 8 + 8
  }
  // a split index names its shared part: its entries are not all here
  return index.toString("latin1", at, at + 4) === "link" ? undefined : entries
}

/** Whether the file of `entry` under `root` differs from it (its size or mtime, then its content's blob hash). */
const differs = (root: string, entry: IndexEntry): boolean => {
  const kind = entry.mode >>> 12
  if (kind !== 0o10 && kind !== 0o12) return false // a submodule or a sparse directory: not a file here
  const path = join(root, entry.path)
  try {
    const stat = lstatSync(path, { bigint: true })
    if (kind === 0o12 ? !stat.isSymbolicLink() : !stat.isFile()) return true
    const seconds = Number(stat.mtimeNs / 1_000_000_000n) >>> 0
    const nanos = Number(stat.mtimeNs % 1_000_000_000n)
    if (Number(stat.size) >>> 0 === entry.size && seconds === entry.mtimeSeconds && nanos === entry.mtimeNanos) return false
    const content = kind === 0o12 ? Buffer.from(readlinkSync(path)) : readFileSync(path)
    return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex") !== entry.blob
  } catch {
    return true
  }
}

/**
 * Whether a tracked file of the checkout at `root` differs from what is staged; `undefined` when that cannot be
 * read (no checkout, an index of another format).
 */
export const workingTreeDiffers = (root: string): boolean | undefined => {
  const gitDir = gitDirectoryOf(root)
  if (gitDir === undefined) return undefined
  let index: Buffer
  try {
    index = readFileSync(join(gitDir, "index"))
  } catch {
    return undefined
  }
  let entries: ReadonlyArray<IndexEntry> | undefined
  try {
    entries = indexEntries(index)
  } catch {
    return undefined // cut short or damaged: an entry reaches past its end (read at every start: never a crash)
  }
  return entries === undefined ? undefined : entries.some((entry) => differs(root, entry))
}

/** `version+commit` (the commit cut to 12 digits, `.dirty` when the working tree differs), or `version` alone without a commit. */
export const versionWithCommit = (version: string, commit: string | undefined, dirty = false): string =>
  commit === undefined ? version : `${version}+${commit.slice(0, 12)}${dirty ? ".dirty" : ""}`

const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url))

const commit = checkedOutCommit(repositoryRoot)

/** The version recorded with every run and printed by `--version`. */
export const codeVersion = versionWithCommit(packageVersion, commit, commit !== undefined && workingTreeDiffers(repositoryRoot) === true)

import { spawnSync } from "node:child_process"
import { readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { checkedOutCommit, versionWithCommit, workingTreeDiffers } from "../src/Version.ts"
import { cli, runIdOf, tempHome } from "./CliHarness.ts"

const git = (cwd: string, ...args: ReadonlyArray<string>): string => {
  const r = spawnSync("git", [...args], {
    cwd,
    encoding: "utf8",
    env: {
      PATH: process.env["PATH"] ?? "",
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@example.invalid",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@example.invalid"
    }
  })
  assert.strictEqual(r.status, 0, r.stderr)
  return r.stdout.trim()
}

/** A repository with two commits on `main`; returns its directory and both commits. */
const repository = () => {
  const dir = tempHome()
  git(dir, "init", "-q", "-b", "main")
  writeFileSync(join(dir, "a.txt"), "one\n")
  git(dir, "add", "a.txt")
  git(dir, "commit", "-q", "-m", "one")
  const first = git(dir, "rev-parse", "HEAD")
  writeFileSync(join(dir, "a.txt"), "two\n")
  git(dir, "commit", "-q", "-am", "two")
  return { dir, first, second: git(dir, "rev-parse", "HEAD") }
}

describe("the code version recorded with every run", () => {
  it("is the commit checked out: on a branch, packed, detached, and in a worktree", () => {
    const { dir, first, second } = repository()
    assert.strictEqual(checkedOutCommit(dir), second)
    git(dir, "pack-refs", "--all")
    assert.strictEqual(checkedOutCommit(dir), second, "the branch's ref only in packed-refs")
    git(dir, "checkout", "-q", "--detach", first)
    assert.strictEqual(checkedOutCommit(dir), first)
    const worktree = join(tempHome(), "wt")
    git(dir, "worktree", "add", "-q", "-b", "side", worktree, second)
    assert.strictEqual(checkedOutCommit(worktree), second, "a worktree's .git is a file pointing at its own HEAD")
  })

  it("is the bare package version outside a checkout", () => {
    assert.strictEqual(checkedOutCommit(tempHome()), undefined)
    assert.strictEqual(versionWithCommit("0.1.0", undefined), "0.1.0")
    assert.strictEqual(versionWithCommit("0.1.0", "0123456789abcdef0123456789abcdef01234567"), "0.1.0+0123456789ab")
  })

  it("says .dirty when a tracked file differs from what is staged, as `git diff` does", () => {
    const { dir, second } = repository()
    const diffSays = () => spawnSync("git", ["diff", "--quiet"], { cwd: dir }).status === 1
    const check = (expected: boolean, what: string) => {
      assert.strictEqual(diffSays(), expected, `git diff: ${what}`)
      assert.strictEqual(workingTreeDiffers(dir), expected, what)
    }
    check(false, "as committed")
    writeFileSync(join(dir, "a.txt"), "six\n")
    check(true, "edited, the same size")
    assert.strictEqual(versionWithCommit("0.1.0", checkedOutCommit(dir), workingTreeDiffers(dir)), `0.1.0+${second.slice(0, 12)}.dirty`)
    writeFileSync(join(dir, "a.txt"), "two\n")
    utimesSync(join(dir, "a.txt"), new Date(2001, 0, 1), new Date(2001, 0, 1))
    check(false, "written back as it was, another mtime")
    writeFileSync(join(dir, "b.txt"), "new\n")
    check(false, "an untracked file")
    rmSync(join(dir, "a.txt"))
    check(true, "a tracked file deleted")
    git(dir, "checkout", "--", "a.txt")
    check(false, "restored")
    const worktree = join(tempHome(), "wt")
    git(dir, "worktree", "add", "-q", "-b", "side", worktree, second)
    assert.strictEqual(workingTreeDiffers(worktree), false, "a worktree's own index")
    writeFileSync(join(worktree, "a.txt"), "seven\n")
    assert.strictEqual(workingTreeDiffers(worktree), true)
    assert.strictEqual(workingTreeDiffers(dir), false, "the main checkout untouched")
    assert.strictEqual(workingTreeDiffers(tempHome()), undefined, "no checkout")
  })

  it("an index cut short (damaged) leaves the working tree unknown, not a crash at every start", () => {
    const { dir } = repository()
    const index = join(dir, ".git", "index")
    const whole = readFileSync(index)
    for (const length of [40, 80, whole.length - 30]) {
      writeFileSync(index, whole.subarray(0, length))
      assert.strictEqual(workingTreeDiffers(dir), undefined, `the index's first ${length} of ${whole.length} bytes`)
    }
  })

  it("is what --version prints and what a run records", () => {
    const root = new URL("../../../", import.meta.url).pathname
    const inCheckout = spawnSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8" })
    // what `git diff --quiet` says of the checkout (exit 1: a tracked file differs from the index)
    const dirty = spawnSync("git", ["diff", "--quiet"], { cwd: root }).status === 1 ? ".dirty" : ""
    const expected = inCheckout.status === 0 ? `0.1.0+${inCheckout.stdout.trim().slice(0, 12)}${dirty}` : "0.1.0"
    const home = tempHome()
    assert.strictEqual(cli(home, ["--version"]).stdout.trim(), `pipeline v${expected}`)
    const run = cli(home, ["run", "daily", "--dry-run"])
    assert.strictEqual(run.code, 0, run.stderr)
    const shown = cli(home, ["show", runIdOf(run.stdout + run.stderr)])
    assert.include(shown.stdout, `code ${expected}`)
  })
})

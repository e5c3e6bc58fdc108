import { assert, describe, it } from "@effect/vitest"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { why } from "@council/io/FileProblem"

/** The error `node:fs` throws for `read`, as a caller would catch it. */
const thrown = (read: () => unknown): unknown => {
  try {
    read()
  } catch (error) {
    return error
  }
  throw new Error("expected the read to fail")
}

describe("FileProblem.why", () => {
  it("says in words why node:fs could not read a path, with the system's code, never repeating the path", () => {
    const dir = mkdtempSync(join(tmpdir(), "council-file-problem-"))
    try {
      const file = join(dir, "a.json")
      writeFileSync(file, "{}")
      const cases: ReadonlyArray<readonly [unknown, "file" | "directory", string]> = [
        [thrown(() => readFileSync(join(dir, "missing.json"))), "file", "no such file (ENOENT)"],
        [thrown(() => readFileSync(dir)), "file", "a directory, not a file (EISDIR)"],
        [thrown(() => readdirSync(join(dir, "missing"))), "directory", "no such directory (ENOENT)"],
        [thrown(() => readdirSync(file)), "directory", "not a directory (ENOTDIR)"],
        [new Error("not from node:fs"), "file", "not from node:fs"]
      ]
      for (const [error, expected, said] of cases) {
        assert.strictEqual(why(error, expected), said)
        assert.notInclude(why(error, expected), dir)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

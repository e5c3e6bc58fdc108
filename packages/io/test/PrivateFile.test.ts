import { chmodSync, createWriteStream, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { openPrivateFile, writePrivateFile } from "../src/PrivateFile.ts"

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8)

/** A directory open to every user (0755), as a home made by hand is; the process's umask is the usual 022. */
const openDirectory = () => {
  const dir = mkdtempSync(join(tmpdir(), "private-file-"))
  chmodSync(dir, 0o755)
  return dir
}

describe("a private file", () => {
  it("is made for its owner alone (0600) in a directory every user may read, whatever the umask", () => {
    const previous = process.umask(0o002)
    try {
      const path = join(openDirectory(), "report.html")
      writePrivateFile(path, "<p>books</p>")
      assert.strictEqual(modeOf(path), "600")
      assert.strictEqual(readFileSync(path, "utf8"), "<p>books</p>")
    } finally {
      process.umask(previous)
    }
  })

  it("rewritten over one every user could read (0644), is its owner's alone; over one its group may write (0664), its owner's and its group's", () => {
    const dir = openDirectory()
    for (const [before, after] of [[0o644, "600"], [0o666, "660"], [0o664, "660"], [0o640, "600"], [0o600, "600"], [0o660, "660"]] as const) {
      const path = join(dir, `file-${before.toString(8)}`)
      writeFileSync(path, "an older version's, longer than what replaces it")
      chmodSync(path, before)
      writePrivateFile(path, "new")
      assert.strictEqual(modeOf(path), after, before.toString(8))
      assert.strictEqual(readFileSync(path, "utf8"), "new", "emptied, then written")
    }
  })

  it("opened for a stream (a log), is made for its owner alone too", async () => {
    const path = join(openDirectory(), "bt.log")
    writeFileSync(path, "an older log")
    chmodSync(path, 0o644)
    const stream = createWriteStream(path, { fd: openPrivateFile(path) })
    await new Promise<void>((done, fail) => stream.on("error", fail).end("line\n", done))
    assert.strictEqual(modeOf(path), "600")
    assert.strictEqual(readFileSync(path, "utf8"), "line\n")
  })
})

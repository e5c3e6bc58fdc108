import { afterAll, assert, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { chromiumExecutable, launchChromium } from "./Chromium.ts"

const root = mkdtempSync(join(tmpdir(), "council-chromium-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A `chromium` in a directory of its own that marks it was started, then runs the machine's own Chromium. */
const elsewhere = (() => {
  const dir = join(root, "bin")
  execFileSync("mkdir", ["-p", dir])
  const wrapper = join(dir, "chromium")
  writeFileSync(wrapper, `#!/bin/sh\necho started >> '${join(root, "started")}'\nexec '${chromiumExecutable()}' "$@"\n`)
  chmodSync(wrapper, 0o755)
  return { dir, wrapper }
})()

const withoutOverride = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const { CHROMIUM_PATH: _, ...rest } = env
  return rest
}

describe("the browser tests' Chromium", () => {
  it("is the chromium on the PATH, wherever it lives, and the tests launch that one", async () => {
    const env = withoutOverride({ ...process.env, PATH: `${elsewhere.dir}:${process.env["PATH"] ?? ""}` })
    assert.strictEqual(chromiumExecutable(env), elsewhere.wrapper)
    const browser = await launchChromium(chromiumExecutable(env))
    try {
      const page = await browser.newPage()
      await page.setContent("<p id=p>launched</p>")
      assert.strictEqual(await page.textContent("#p"), "launched")
    } finally {
      await browser.close()
    }
    assert.isTrue(existsSync(join(root, "started")), "the chromium on the PATH was the one started")
  }, 60_000)

  it("is the file CHROMIUM_PATH names when it is set, and a wrong one is one line naming it", () => {
    assert.strictEqual(chromiumExecutable({ ...process.env, CHROMIUM_PATH: elsewhere.wrapper }), elsewhere.wrapper)
    const missing = join(root, "no-such-chromium")
    assert.throws(() => chromiumExecutable({ ...process.env, CHROMIUM_PATH: missing }), `CHROMIUM_PATH: "${missing}" is not an executable file`)
  })

  it("is found by the very script scripts/ensure-test-tools.sh checks with, which refuses a wrong CHROMIUM_PATH without installing", () => {
    const ensure = new URL("../../../scripts/ensure-test-tools.sh", import.meta.url).pathname
    const text = readFileSync(ensure, "utf8")
    assert.match(text, /^ {2}ensure chromium "Chromium" "bash '\$here\/chromium-path\.sh'"$/m)
    const code = text.split("\n").filter((line) => !line.trimStart().startsWith("#")).join("\n")
    assert.notMatch(code, /\/usr\/bin\/chromium|command -v chromium/, "no candidate of its own beside chromium-path.sh's")
    const missing = join(root, "no-such-chromium")
    let said = ""
    try {
      execFileSync("bash", [ensure], { env: { ...process.env, CHROMIUM_PATH: missing }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
    } catch (error) {
      said = String((error as { readonly stderr?: unknown }).stderr)
    }
    assert.strictEqual(said.trim(), `CHROMIUM_PATH: "${missing}" is not an executable file (unset it to use the chromium on the PATH)`)
  })
})

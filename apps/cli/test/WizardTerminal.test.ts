import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { bin, tempHome } from "./CliHarness.ts"

/**
 * `--wizard` on a terminal (util-linux `script` gives the command one): what it prints of its own — the command
 * line it builds, its section headings — reaches the terminal as text, not as escape sequences spelled out
 * (`\u001b[1m…`), which the CLI's guard against outside text made of its colours.
 */
const onTerminal = (args: ReadonlyArray<string>, answer: (output: string) => string | undefined) =>
  new Promise<{ code: number | null; output: string }>((resolve) => {
    const command = [process.execPath, bin, ...args].map((a) => `'${a}'`).join(" ")
    const child = spawn("script", ["-qefc", command, "/dev/null"], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: tempHome(), TERM: "xterm-256color" }
    })
    let output = ""
    const answered = new Set<string>()
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8")
      const key = answer(output)
      if (key !== undefined && !answered.has(key)) {
        answered.add(key)
        child.stdin.write("\r")
      }
    })
    child.on("close", (code) => resolve({ code, output }))
  })

describe("--wizard on a terminal", () => {
  it("prints its command line and headings as text, then runs the command it built", async () => {
    const { code, output } = await onTerminal(["graph", "--wizard"], (out) => out.includes("Run this command?") ? "run" : undefined)
    assert.strictEqual(code, 0, output)
    assert.include(output, "Current command")
    assert.include(output, "$ pipeline graph")
    assert.include(output, "flowchart LR")
    assert.notInclude(output, "\\u001b", "an escape sequence spelled out")
  }, 60_000)
})

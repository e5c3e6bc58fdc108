import { spawnSync } from "node:child_process"
import { assert, describe, it } from "@effect/vitest"
import { bin, tempHome, unstamped } from "./CliHarness.ts"

const probe = new URL("./signal-probe.mjs", import.meta.url).pathname

/** The CLI on a fresh home, sent SIGTERM as `module` starts loading. */
const stoppedAt = (module: string, args: ReadonlyArray<string>) =>
  spawnSync(process.execPath, ["--import", probe, bin, ...args], {
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: tempHome(), SIGNAL_PROBE_MODULE: module },
    encoding: "utf8",
    timeout: 60_000
  })

describe("a SIGTERM while the CLI starts", () => {
  it("while its modules load: one line on stderr saying so, and the process ends by the signal as before (143 in a shell)", () => {
    for (const module of ["/apps/cli/src/ResolveCache.ts", "/apps/cli/src/Main.ts", "/apps/cli/src/Cli.ts"]) {
      const stopped = stoppedAt(module, ["runs"])
      assert.strictEqual(stopped.signal, "SIGTERM", `${module}: ${stopped.stderr}`)
      assert.strictEqual(stopped.stdout, "")
      const lines = unstamped(stopped.stderr).split("\n").filter((l) => l !== "")
      assert.strictEqual(lines.length, 1, stopped.stderr)
      assert.match(lines[0]!, /^SIGTERM: stopped/, module)
    }
  })
})

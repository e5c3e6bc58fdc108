import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { stampLines } from "../src/StderrLines.ts"
import { bin, tempHome } from "./CliHarness.ts"

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) /

/** The CLI as a cron entry runs it: stdout and stderr are files (pipes here), not a terminal; stderr kept raw. */
const logged = (home: string, args: ReadonlyArray<string>) => {
  const before = new Date().toISOString()
  const r = spawnSync(process.execPath, [bin, ...args], {
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home },
    encoding: "utf8",
    timeout: 120_000
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, before, after: new Date().toISOString() }
}

/** Each stderr line's stamp, checked to lie within the run. */
const stampsOf = (r: ReturnType<typeof logged>) => {
  const lines = r.stderr.split("\n").filter((line) => line !== "")
  assert.isAbove(lines.length, 0, "no stderr at all")
  return lines.map((line) => {
    const stamp = STAMP.exec(line)?.[1]
    assert.isDefined(stamp, `a line without its time: ${line}`)
    assert.isTrue(stamp! >= r.before && stamp! <= r.after, `${stamp} outside ${r.before} … ${r.after}`)
    return stamp!
  })
}

describe("stderr as a log file", () => {
  it("stamps a failure that comes before the trading day is chosen", () => {
    const r = logged(tempHome(), ["run", "daily", "--date", "2026-13-01"])
    assert.strictEqual(r.code, 2, r.stderr)
    assert.strictEqual(r.stdout, "")
    stampsOf(r)
    assert.match(r.stderr, /^\S+Z error: --date 2026-13-01: 2026-13-01 is not a calendar date\n$/)
  })

  it("stamps every line of run daily's stderr, and leaves --json on stdout as it was", () => {
    const r = logged(tempHome(), ["run", "daily", "--json"])
    assert.strictEqual(r.code, 0, r.stderr)
    const stamps = stampsOf(r)
    assert.deepStrictEqual([...stamps].sort(), stamps, "stamps in the order the lines were written")
    assert.match(r.stderr, /Z Starting run \d{4}-\d\d-\d\d-[0-9a-f]{8} · daily · trading day /)
    const json = JSON.parse(r.stdout) as { run: { status: string } }
    assert.strictEqual(json.run.status, "completed")
    assert.notMatch(r.stdout, STAMP)
  }, 120_000)

  it("leaves a terminal's lines as they were", () => {
    const home = tempHome()
    const out = join(home, "stdout.txt")
    const command = `'${process.execPath}' '${bin}' run daily > '${out}'`
    const r = spawnSync("script", ["-qefc", command, "/dev/null"], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, TERM: "dumb", NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 120_000
    })
    assert.strictEqual(r.status, 0, r.stdout)
    const lines = r.stdout.split(/\r?\n/).filter((line) => line !== "")
    assert.isTrue(lines.some((line) => line.startsWith("Starting run ")), r.stdout)
    assert.isTrue(lines.every((line) => !STAMP.test(line)), r.stdout)
    assert.match(readFileSync(out, "utf8"), /^ACCOUNT +STATUS/)
  }, 120_000)

  it("stamps each line of a message of several", () => {
    const at = new Date("2026-06-08T19:45:02.113Z")
    assert.strictEqual(stampLines("a\n\nb", at), "2026-06-08T19:45:02.113Z a\n\n2026-06-08T19:45:02.113Z b")
  })
})

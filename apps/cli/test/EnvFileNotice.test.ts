import { assert, describe, it } from "@effect/vitest"
import { execFileSync, spawnSync } from "node:child_process"
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { bin, tempHome, unstamped } from "./CliHarness.ts"

/** The CLI run from `cwd` (where a user keeps a `.env`), with only `env` beside PATH, HOME and COUNCIL_HOME. */
const cliIn = (cwd: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: tempHome(), ...env },
    encoding: "utf8",
    timeout: 120_000
  })
  return { code: r.status, stdout: r.stdout, stderr: unstamped(r.stderr) }
}

/** `f` run in a directory holding a `.env` of `text`, `mode` (default: its owner's alone, as the docs say). */
const withEnvFile = <A>(text: string, f: (dir: string) => A, mode = 0o600): A => {
  const dir = mkdtempSync(join(tmpdir(), "council-envfile-"))
  try {
    writeFileSync(join(dir, ".env"), text)
    chmodSync(join(dir, ".env"), mode)
    return f(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const FILE = [
  "# copied from .env.example",
  "OPENAI_API_KEY=sk-not-a-real-key-4711",
  "export COUNCIL_SLIPPAGE_BPS=\"7\"",
  "GROQ_API_KEY=",
  "this line is garbled"
].join("\n")

describe("a .env file Council does not read", () => {
  it("is said on stderr, naming the variables it sets that the environment lacks (never a value); stdout keeps the result", () =>
    withEnvFile(FILE, (dir) => {
      const r = cliIn(dir, ["accounts", "--json"])
      assert.strictEqual(r.code, 0, r.stderr)
      assert.lengthOf(JSON.parse(r.stdout) as ReadonlyArray<unknown>, 6, "stdout is the one JSON document")
      const line = r.stderr.split("\n").find((l) => l.startsWith("warning:")) ?? ""
      assert.include(line, `${join(dir, ".env")} sets OPENAI_API_KEY, COUNCIL_SLIPPAGE_BPS, but Council does not read .env files`)
      assert.include(line, `set -a && . ${join(dir, ".env")} && set +a`)
      assert.notInclude(line, "GROQ_API_KEY", "an empty value is unset for Council too")
      assert.notInclude(r.stderr, "sk-not-a-real-key-4711", "no value is ever echoed")
      assert.notInclude(r.stdout, "sk-not-a-real-key-4711")
    }))

  it("says nothing once the file is loaded (its variables in the environment), nor when there is no .env", () => {
    withEnvFile(FILE, (dir) => {
      const r = cliIn(dir, ["runs"], { OPENAI_API_KEY: "sk-not-a-real-key-4711", COUNCIL_SLIPPAGE_BPS: "7", COUNCIL_LLM: "offline" })
      assert.strictEqual(r.code, 0, r.stderr)
      assert.notInclude(r.stderr, "warning:")
    })
    const empty = mkdtempSync(join(tmpdir(), "council-envfile-"))
    try {
      const r = cliIn(empty, ["runs"])
      assert.strictEqual(r.code, 0, r.stderr)
      assert.strictEqual(r.stderr, "")
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it("comes before a refusal, so the refused setting's cause is in sight (exit 2 unchanged)", () =>
    withEnvFile("COUNCIL_ALLOW_LIVE=I_UNDERSTAND_REAL_MONEY\n", (dir) => {
      const live = JSON.stringify([{ id: "X", mode: "LIVE", liveConfirmed: true, credentials: { keyId: "AKNOTAREALKEY0000000", secretKey: "s" } }])
      const r = cliIn(dir, ["accounts"], { TRADING_ACCOUNTS_CONFIG: live })
      assert.strictEqual(r.code, 2, r.stderr)
      const lines = r.stderr.trim().split("\n")
      assert.match(lines[0] ?? "", /^warning: .* sets COUNCIL_ALLOW_LIVE, but Council does not read \.env files and it is not in the environment/)
      assert.match(lines.at(-1) ?? "", /^error: .*COUNCIL_ALLOW_LIVE/)
    }))

  it("that every user may read and holds a secret is said too, loaded or not, naming the secrets (never a value) and the chmod that closes it", () => {
    const secrets = [...FILE.split("\n"), "COUNCIL_API_TOKEN='a-token-of-24-characters-x'", "SLACK_WEBHOOK_URL=https://hooks.slack.example/services/T0/B0/X0"].join("\n")
    const loaded = { OPENAI_API_KEY: "sk-not-a-real-key-4711", COUNCIL_SLIPPAGE_BPS: "7", COUNCIL_API_TOKEN: "a-token-of-24-characters-x", SLACK_WEBHOOK_URL: "https://hooks.slack.example/services/T0/B0/X0" }
    for (const [mode, env] of [[0o644, {}], [0o604, loaded]] as const) {
      withEnvFile(secrets, (dir) => {
        const file = join(dir, ".env")
        const r = cliIn(dir, ["accounts", "--json"], env)
        assert.strictEqual(r.code, 0, r.stderr)
        const line = r.stderr.split("\n").find((l) => l.includes("every user")) ?? ""
        assert.strictEqual(line,
          `warning: ${file} holds OPENAI_API_KEY, COUNCIL_API_TOKEN, SLACK_WEBHOOK_URL and every user of this machine may read it (mode ${mode.toString(8)}): chmod 600 ${file}`)
        assert.notInclude(r.stderr, "sk-not-a-real-key-4711")
        assert.notInclude(r.stderr, "a-token-of-24")
      }, mode)
    }
    // its owner's and its group's (640), or one holding no secret: nothing to say of its mode
    withEnvFile(secrets, (dir) => assert.notInclude(cliIn(dir, ["runs"]).stderr, "every user"), 0o640)
    withEnvFile("COUNCIL_SLIPPAGE_BPS=7\nGROQ_API_KEY=\n", (dir) => assert.notInclude(cliIn(dir, ["runs"]).stderr, "every user"), 0o644)
  })

  it("that is a FIFO is not read: the command runs (a read of it blocked every command, deaf to SIGTERM)", () => {
    const dir = mkdtempSync(join(tmpdir(), "council-envfile-"))
    try {
      execFileSync("mkfifo", [join(dir, ".env")])
      // killed (SIGKILL: the blocked read heard no SIGTERM) and failed if it ever blocks again
      const r = spawnSync(process.execPath, [bin, "accounts", "--json"], {
        cwd: dir,
        env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: tempHome() },
        encoding: "utf8",
        timeout: 60_000,
        killSignal: "SIGKILL"
      })
      assert.strictEqual(r.status, 0, `${r.signal ?? ""} ${r.stderr}`)
      assert.lengthOf(JSON.parse(r.stdout) as ReadonlyArray<unknown>, 6)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

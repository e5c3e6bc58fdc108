import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { join } from "node:path"
import type { AddressInfo } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { configWithRefusedKey, serveExchange } from "./ExchangeProcess.ts"
import { cliInProcess } from "./InProcess.ts"
import { storeText } from "./StoredBlobs.ts"

interface Execution {
  readonly account: string
  readonly status: string
  readonly message: string
}

/** The accounts' execution outcomes in the run's `--json` document, wherever they sit in it. */
const executions = (document: unknown): ReadonlyArray<Execution> => {
  const found: Array<Execution> = []
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit)
    if (typeof value !== "object" || value === null) return
    const record = value as Record<string, unknown>
    if (typeof record["account"] === "string" && typeof record["message"] === "string" && typeof record["status"] === "string") {
      found.push(record as unknown as Execution)
    }
    Object.values(record).forEach(visit)
  }
  visit(document)
  return found
}

describe("an account whose key the broker refuses (401)", () => {
  it("configured in TRADING_ACCOUNTS_CONFIG, is told to fix its entry's credentials there, then run the day again — not only to run it again", async () => {
    const exchangeHome = tempHome()
    const served = await serveExchange(exchangeHome)
    try {
      // `exchange serve` answers 401 to GROQ alone: its secret is not the one the exchange gave it
      const config = configWithRefusedKey(served, "GROQ")
      const home = tempHome()
      const run = await cliInProcess(home, ["run", "daily", "--json"], { TRADING_ACCOUNTS_CONFIG: config })
      assert.strictEqual(run.code, 1, run.stderr)
      const accounts = executions(JSON.parse(run.stdout))
      const groq = accounts.find((a) => a.account === "GROQ")!
      assert.strictEqual(groq.status, "failed")
      assert.match(groq.message, /401 request is not authorized/)
      assert.match(groq.message, /its key was refused: fix the credentials of GROQ's entry in TRADING_ACCOUNTS_CONFIG, then run the day again\)$/)
      assert.notInclude(groq.message, "ALPACA_GROQ")
      assert.notInclude(groq.message, "run the day again to retry")
      // the others are not told about keys
      assert.strictEqual(accounts.length, 6)
      for (const other of accounts.filter((a) => a.account !== "GROQ")) assert.notInclude(other.message, "KEY_ID")
      // no field of its own (runs recorded before replay as they were): the command's closing line says to fix the key
      // first, not only to rerun
      assert.notProperty(groq, "keyRefused")
      assert.strictEqual(
        run.stderr.trim().split("\n").at(-1),
        "error: 1 of 6 accounts failed: GROQ (the broker refused the key of GROQ: fix the credentials of GROQ's entry in TRADING_ACCOUNTS_CONFIG, then run the day again with: pnpm pipeline run daily --date 2026-06-08; nothing is placed twice)"
      )
      // runs --json (what /api/runs answers) names the account whose key to fix
      const runs = await cliInProcess(home, ["runs", "--json"], { TRADING_ACCOUNTS_CONFIG: config })
      assert.strictEqual(runs.code, 0, runs.stderr)
      const listed = JSON.parse(runs.stdout) as ReadonlyArray<{ readonly failedAccounts: unknown }>
      assert.deepStrictEqual(listed.map((r) => r.failedAccounts), [{ accounts: ["GROQ"], of: 6, keyRefused: ["GROQ"], retried: [] }])
    } finally {
      await served.stop()
    }
  })

  it("beside an account that failed otherwise, the closing line retries that one and names the key to fix first", async () => {
    const exchangeHome = tempHome()
    const served = await serveExchange(exchangeHome)
    // a port nothing listens on: DEEPSEEK's broker cannot be reached, which running the day again can get over
    const dead = createServer()
    await new Promise<void>((done) => dead.listen(0, "127.0.0.1", done))
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`
    await new Promise<void>((done) => dead.close(() => done()))
    try {
      const config = configWithRefusedKey(served, "GROQ", { DEEPSEEK: deadUrl })
      const run = await cliInProcess(tempHome(), ["run", "daily", "--json"], { TRADING_ACCOUNTS_CONFIG: config })
      assert.strictEqual(run.code, 1, run.stderr)
      const accounts = executions(JSON.parse(run.stdout))
      assert.strictEqual(accounts.find((a) => a.account === "DEEPSEEK")!.status, "failed")
      assert.strictEqual(
        run.stderr.trim().split("\n").at(-1),
        "error: 2 of 6 accounts failed: GROQ, DEEPSEEK (run the day again to retry DEEPSEEK with: pnpm pipeline run daily --date 2026-06-08; nothing is placed twice; the broker refused the key of GROQ: fix the credentials of GROQ's entry in TRADING_ACCOUNTS_CONFIG first)"
      )
    } finally {
      await served.stop()
    }
  })

  it("configured by ALPACA_<NAME>_* variables, is told to fix those variables, naming no value anywhere", async () => {
    const served = await serveExchange(tempHome())
    try {
      // a real-looking key pair for GROQ that the exchange never gave it (401), beside every other account's own
      const keyId = "PKREFUSEDADVICE0TST1"
      const secret = "refusedAdviceTestSecretNotARealKey000000"
      const env: Record<string, string> = {}
      for (const k of served.keys) {
        env[`ALPACA_${k.account}_KEY_ID`] = k.account === "GROQ" ? keyId : k.keyId
        env[`ALPACA_${k.account}_SECRET_KEY`] = k.account === "GROQ" ? secret : k.secretKey
        env[`ALPACA_${k.account}_BASE_URL`] = served.url
      }
      const home = tempHome()
      const run = await cliInProcess(home, ["run", "daily", "--json"], env)
      assert.strictEqual(run.code, 1, run.stderr)
      const groq = executions(JSON.parse(run.stdout)).find((a) => a.account === "GROQ")!
      assert.match(groq.message, /401 .*\(its key was refused: fix ALPACA_GROQ_KEY_ID \/ ALPACA_GROQ_SECRET_KEY, then run the day again\)$/)
      assert.notInclude(groq.message, "TRADING_ACCOUNTS_CONFIG")
      assert.strictEqual(
        run.stderr.trim().split("\n").at(-1),
        "error: 1 of 6 accounts failed: GROQ (the broker refused the key of GROQ: fix ALPACA_GROQ_KEY_ID / ALPACA_GROQ_SECRET_KEY, then run the day again with: pnpm pipeline run daily --date 2026-06-08; nothing is placed twice)"
      )
      const id = (JSON.parse(run.stdout) as { readonly run: { readonly id: string } }).run.id
      const runs = await cliInProcess(home, ["runs"], env)
      assert.include(runs.stdout, `the broker refused the key of GROQ: fix ALPACA_GROQ_KEY_ID / ALPACA_GROQ_SECRET_KEY, then run the day again`)
      // the run records where its keys came from, and replays with its own words
      const shown = await cliInProcess(home, ["show", id, "--json", "--full"], env)
      assert.include(shown.stdout, `"keysFrom": "per-account variables"`)
      const replayed = await cliInProcess(home, ["replay", id], env)
      assert.include(replayed.stdout + replayed.stderr, `replay of ${id}: every stage identical`)
      // names, never values: not on stdout or stderr, not in the store, not in an exported bundle
      const file = join(tempHome(), "bundle.json")
      const exported = await cliInProcess(home, ["export", id, "-o", file], env)
      assert.strictEqual(exported.code, 0, exported.stderr)
      const everything = [run, runs, shown, replayed, exported].map((r) => r.stdout + r.stderr).join("\n") + storeText(home) + readFileSync(file, "utf8")
      for (const value of [secret, keyId, secret.slice(0, 12), keyId.slice(2)]) assert.notInclude(everything, value)
    } finally {
      await served.stop()
    }
  })
})

import { assert, describe, it } from "@effect/vitest"
import { DatabaseSync } from "node:sqlite"
import { join } from "node:path"
import { runIdOf, tempHome } from "./CliHarness.ts"
import { configWithRefusedKey, serveExchange } from "./ExchangeProcess.ts"
import { cliInProcess } from "./InProcess.ts"

/** The accounts the exchange took an order for, from its own database. */
const accountsWithOrders = (home: string): ReadonlyArray<string> => {
  const db = new DatabaseSync(join(home, "council.db"), { readOnly: true })
  const rows = db.prepare("SELECT DISTINCT account FROM exchange_orders ORDER BY account").all() as unknown as ReadonlyArray<{ account: string }>
  db.close()
  return rows.map((r) => r.account)
}

describe("one account's key revoked (401) on a bad morning", () => {
  it("fails that account alone: the others trade, whichever account comes first; the next run with the key restored retries it", async () => {
    const exchangeHome = tempHome()
    const served = await serveExchange(exchangeHome)
    try {
      const home = tempHome()
      // CHATGPT comes first: the run read the market's clock through it and failed every account's day
      // ("cannot read the clock of 127.0.0.1:… for CHATGPT: … 401"), nothing traded
      const revoked = await cliInProcess(home, ["run", "daily"], { TRADING_ACCOUNTS_CONFIG: configWithRefusedKey(served, "CHATGPT") })
      assert.strictEqual(revoked.code, 1, revoked.stderr)
      assert.match(revoked.stdout, /^CHATGPT\s+failed\s.*401 request is not authorized/m)
      // the log says at the day's first stage which account could not be read
      assert.match(revoked.stderr, /✓ Reconcile\s+\d+ ms {2}5 accounts read, 0 new fills; could not read CHATGPT \(the session has no snapshot of it until the day is run again\)$/m)
      for (const id of ["CLAUDE", "GROQ", "DEEPSEEK"]) assert.match(revoked.stdout, new RegExp(`^${id}\\s+succeeded\\s+1\\s+0\\s`, "m"))
      // running the day again cannot help until the key is fixed: the closing line says what to fix first
      assert.strictEqual(
        revoked.stderr.trim().split("\n").at(-1),
        "error: 1 of 6 accounts failed: CHATGPT (the broker refused the key of CHATGPT: fix the credentials of CHATGPT's entry in TRADING_ACCOUNTS_CONFIG, then run the day again with: pnpm pipeline run daily --date 2026-06-08; nothing is placed twice)"
      )
      assert.notInclude(accountsWithOrders(exchangeHome), "CHATGPT")
      // `runs` says the same under the run: the key first, then the day again
      const listed = await cliInProcess(home, ["runs"])
      assert.include(
        listed.stdout.split("\n"),
        `run ${runIdOf(revoked.stdout)}: 1 of 6 accounts failed (CHATGPT); the broker refused the key of CHATGPT: fix the credentials of CHATGPT's entry in TRADING_ACCOUNTS_CONFIG, then run the day again with: pnpm pipeline run daily --date 2026-06-08; nothing is placed twice`
      )
      assert.includeMembers([...accountsWithOrders(exchangeHome)], ["CLAUDE", "GROQ", "DEEPSEEK"])

      const restored = await cliInProcess(home, ["run", "daily"], { TRADING_ACCOUNTS_CONFIG: configWithRefusedKey(served, "none") })
      assert.strictEqual(restored.code, 0, restored.stderr)
      assert.match(restored.stderr, new RegExp(`already ran as ${runIdOf(revoked.stdout)}; retrying CHATGPT with the same orders`))
      assert.match(restored.stdout, /^CHATGPT\s+succeeded\s+1\s+0\s/m)
      assert.include(accountsWithOrders(exchangeHome), "CHATGPT")
      // once the day ran again and traded it, `runs` no longer tells to fix the key and run the day again: it names the retry
      const after = (await cliInProcess(home, ["runs"])).stdout.split("\n")
      assert.include(after, `run ${runIdOf(revoked.stdout)}: 1 of 6 accounts failed (CHATGPT); run again as ${runIdOf(restored.stdout)}, which traded CHATGPT`)
      assert.isFalse(after.some((line) => line.includes("fix ALPACA_CHATGPT_KEY_ID")), after.join("\n"))
    } finally {
      await served.stop()
    }
  }, 90_000)

  it("after a missed session, the summary's P&L still runs from the last completed run, read through an account whose key works", async () => {
    const exchangeHome = tempHome()
    const served = await serveExchange(exchangeHome)
    try {
      const home = tempHome()
      const first = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04"], { TRADING_ACCOUNTS_CONFIG: configWithRefusedKey(served, "none") })
      assert.strictEqual(first.code, 0, first.stderr)
      const missed = await cliInProcess(home, ["run", "daily", "--date", "2026-06-08"], { TRADING_ACCOUNTS_CONFIG: configWithRefusedKey(served, "CHATGPT") })
      assert.strictEqual(missed.code, 1, missed.stderr)
      assert.match(missed.stderr, /WARN 1 session without a completed run before 2026-06-08 — the last completed run is of 2026-06-04/)
      // the summary read the calendar through CHATGPT, whose key was refused, and called two sessions' P&L a day's
      assert.match(missed.stderr, /Run summary 2026-06-08 .* \| GEMINI \d+ orders? · equity \$[\d,.]+ · P&L since 2026-06-04 /)
      assert.notMatch(missed.stderr, /day P&L/)
    } finally {
      await served.stop()
    }
  }, 90_000)

  it("approving a run whose first account's key was revoked meanwhile sends the other accounts' orders", async () => {
    const exchangeHome = tempHome()
    const served = await serveExchange(exchangeHome)
    try {
      const home = tempHome()
      const waiting = await cliInProcess(home, ["run", "daily", "--require-approval"], { TRADING_ACCOUNTS_CONFIG: configWithRefusedKey(served, "none") })
      assert.strictEqual(waiting.code, 0, waiting.stderr)
      const runId = /^run (\S+) · awaiting approval/m.exec(waiting.stdout)?.[1] ?? ""
      // the approval read the market's clock through CHATGPT and was refused whole: "cannot read the market clock … 401"
      const approved = await cliInProcess(home, ["approve", runId], { TRADING_ACCOUNTS_CONFIG: configWithRefusedKey(served, "CHATGPT") })
      assert.strictEqual(approved.code, 1, approved.stderr)
      assert.match(approved.stdout, /^CHATGPT\s+failed\s.*401 request is not authorized/m)
      for (const id of ["CLAUDE", "GROQ", "DEEPSEEK"]) assert.match(approved.stdout, new RegExp(`^${id}\\s+succeeded\\s+1\\s+0\\s`, "m"))
      assert.notInclude(accountsWithOrders(exchangeHome), "CHATGPT")
    } finally {
      await served.stop()
    }
  }, 90_000)

  it("every key refused: the first account's refusal is the run's error, nothing traded (exit 1)", async () => {
    const exchangeHome = tempHome()
    const served = await serveExchange(exchangeHome)
    try {
      const everyKey = JSON.stringify(served.keys.map((k) => ({
        id: k.account,
        mode: "PAPER",
        credentials: { keyId: k.keyId, secretKey: "revokedRevokedRevokedRevokedRevoked0000" },
        baseUrl: served.url
      })))
      const run = await cliInProcess(tempHome(), ["run", "daily"], { TRADING_ACCOUNTS_CONFIG: everyKey })
      assert.strictEqual(run.code, 1, run.stderr)
      assert.match(run.stderr.trim().split("\n").at(-1) ?? "", /^error: cannot read the clock of 127\.0\.0\.1:\d+ for CHATGPT: GET \/v2\/clock: 401 request is not authorized$/)
      assert.deepStrictEqual(accountsWithOrders(exchangeHome), [])
    } finally {
      await served.stop()
    }
  }, 90_000)
})

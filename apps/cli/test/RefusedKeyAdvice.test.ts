import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { serveExchange } from "./ExchangeProcess.ts"
import { cliInProcess } from "./InProcess.ts"

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
  it("is told to fix that account's ALPACA_<NAME>_KEY_ID / ALPACA_<NAME>_SECRET_KEY, then run the day again — not only to run it again", async () => {
    const exchangeHome = tempHome()
    const served = await serveExchange(exchangeHome)
    try {
      // `exchange serve` answers 401 to GROQ alone: its secret is not the one the exchange gave it
      const config = JSON.stringify(served.keys.map((k) => ({
        id: k.account,
        mode: "PAPER",
        credentials: { keyId: k.keyId, secretKey: k.account === "GROQ" ? "refusedRefusedRefusedRefusedRefused00000" : k.secretKey },
        baseUrl: served.url
      })))
      const run = await cliInProcess(tempHome(), ["run", "daily", "--json"], { TRADING_ACCOUNTS_CONFIG: config })
      assert.strictEqual(run.code, 1, run.stderr)
      const accounts = executions(JSON.parse(run.stdout))
      const groq = accounts.find((a) => a.account === "GROQ")!
      assert.strictEqual(groq.status, "failed")
      assert.match(groq.message, /401 request is not authorized/)
      assert.match(groq.message, /its key was refused: fix ALPACA_GROQ_KEY_ID \/ ALPACA_GROQ_SECRET_KEY \(or its credentials in TRADING_ACCOUNTS_CONFIG\), then run the day again\)$/)
      assert.notInclude(groq.message, "run the day again to retry")
      // the others are not told about keys
      assert.strictEqual(accounts.length, 6)
      for (const other of accounts.filter((a) => a.account !== "GROQ")) assert.notInclude(other.message, "KEY_ID")
    } finally {
      await served.stop()
    }
  })
})

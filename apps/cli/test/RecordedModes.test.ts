import { assert, describe, it } from "@effect/vitest"
import { countingBroker } from "./BrokerDoubles.ts"
import { cliAsync, runIdOf, tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

const SECRET = "SECRET-CANARY-recorded-modes-5f1c9e"

/** A LIVE, confirmed, sending configuration of `id` on `baseUrl`, with the opt-in set: everything the LIVE rule asks. */
const liveNow = (id: string, baseUrl: string) => ({
  TRADING_ACCOUNTS_CONFIG: JSON.stringify([{
    id,
    mode: "LIVE",
    liveConfirmed: true,
    credentials: { keyId: "AKRECORDEDMODES01", secretKey: SECRET },
    baseUrl,
    settings: { dryRun: false }
  }]),
  COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY"
})

describe("a run decided for PAPER accounts never sends to the same names configured LIVE later", () => {
  it("approve and a fork that sends refuse before any request (exit 2, one line); the run keeps waiting", async () => {
    const broker = await countingBroker()
    const baseUrl = broker.url
    try {
      const home = tempHome()
      const decided = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--accounts", "CLAUDE"])
      assert.strictEqual(decided.code, 0, decided.stderr)
      const parent = runIdOf(decided.stdout)
      const waiting = await cliInProcess(home, ["run", "daily", "--require-approval", "--accounts", "CLAUDE"])
      assert.strictEqual(waiting.code, 0, waiting.stderr)
      const awaiting = runIdOf(waiting.stdout)

      // the refusals run as processes: what a process writes, not only what the command says, must hold no secret
      const refused = await Promise.all([
        cliAsync(home, ["approve", awaiting], liveNow("CLAUDE", baseUrl)),
        cliAsync(home, ["replay", parent, "--from", "RiskApproval"], liveNow("CLAUDE", baseUrl))
      ])
      for (const r of refused) {
        assert.strictEqual(r.code, 2, r.stderr)
        assert.match(r.stderr.trim(), /^error: CLAUDE was decided as a PAPER account but is configured LIVE here: nothing is sent/)
        assert.notInclude(r.stdout + r.stderr, SECRET)
      }
      assert.deepStrictEqual(broker.requests, [])

      const shown = await cliInProcess(home, ["show", awaiting, "--json"])
      assert.strictEqual(JSON.parse(shown.stdout).run.status, "awaiting-approval")
      const approved = await cliInProcess(home, ["approve", awaiting, "--json"])
      assert.strictEqual(approved.code, 0, approved.stderr)
      assert.strictEqual(JSON.parse(approved.stdout).run.status, "completed")
    } finally {
      broker.close()
    }
  }, 120_000)
})

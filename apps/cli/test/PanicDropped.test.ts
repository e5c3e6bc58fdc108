/**
 * The panic button over Alpaca's wire when the connection of its liquidation drops after the broker acted on it
 * (the answer lost): `close-all` closes nothing twice and says what was closed — the lost attempt's closes, filled
 * at once with the market open.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { position, startFakeAlpaca } from "../../../packages/broker/test/alpaca/FakeAlpaca.ts"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess, FAST_ALPACA_RETRY } from "./InProcess.ts"

describe("close-all after a dropped connection", () => {
  it.effect("names the positions the lost attempt closed (table and --json), and sells nothing twice", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca({ keyId: "PKPANICDROP", secretKey: "panic-drop-secret" })
      const env = { COUNCIL_ACCOUNTS: "COUNCIL", ALPACA_COUNCIL_KEY_ID: fake.keyId, ALPACA_COUNCIL_SECRET_KEY: fake.secretKey, ALPACA_COUNCIL_BASE_URL: fake.url }
      const hold = () => {
        fake.positions.set("AAPL", position("AAPL", 10, 150))
        fake.positions.set("TSLA", position("TSLA", -5, 200))
      }
      fake.closeFills.set("AAPL", 151).set("TSLA", 199)
      hold()
      fake.inject("DELETE", "/v2/positions", { _tag: "Drop", afterAccept: true })
      const table = yield* Effect.promise(() => cliInProcess(tempHome(), ["close-all", "--yes"], env, { alpacaRetry: FAST_ALPACA_RETRY }))
      assert.strictEqual(table.code, 0, table.stderr)
      assert.match(table.stdout, /^COUNCIL\s+0\s+(AAPL sell 10, TSLA buy 5|TSLA buy 5, AAPL sell 10)\s*$/m)
      assert.strictEqual([...fake.orders.values()].filter((o) => o.type === "market").length, 2)
      assert.strictEqual(fake.positions.size, 0)

      hold()
      fake.inject("DELETE", "/v2/positions", { _tag: "Drop", afterAccept: true })
      const json = yield* Effect.promise(() => cliInProcess(tempHome(), ["close-all", "--yes", "--json"], env, { alpacaRetry: FAST_ALPACA_RETRY }))
      assert.strictEqual(json.code, 0, json.stderr)
      const [council] = JSON.parse(json.stdout) as ReadonlyArray<{ account: string; closed: ReadonlyArray<{ symbol: string; side: string; qty: number; status: string }>; error: string | null }>
      assert.deepStrictEqual(council!.closed.map((o) => `${o.side} ${o.qty} ${o.symbol} ${o.status}`).sort(), ["buy 5 TSLA filled", "sell 10 AAPL filled"])
      assert.strictEqual(council!.error, null)
      assert.strictEqual([...fake.orders.values()].filter((o) => o.type === "market").length, 4)
    }).pipe(Effect.scoped), 60_000)
})

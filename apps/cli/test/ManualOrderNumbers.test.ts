/**
 * `order`'s numbers are the ones the user typed: `--qty`, `--limit-price` and `--stop-price` take plain decimals.
 * JavaScript's `Number` also reads `0x10` as 16, `0b11` as 3, `0o7` as 7 and `1e3` as 1000; before, `order --qty
 * 0x10` placed 16 shares and `--limit-price 1e2` a $100 limit. Each is refused as a usage error before any request
 * reaches the broker (a broker that counts its requests) and before the home is made.
 */
import { existsSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { countingBroker } from "./BrokerDoubles.ts"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

const order = (extra: ReadonlyArray<string>) => ["order", "--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", ...extra]

const refused: ReadonlyArray<{ readonly args: ReadonlyArray<string>; readonly error: RegExp }> = [
  { args: order(["--qty", "0x10"]), error: /^error: --qty 0x10: expected a number of shares > 0$/ },
  { args: order(["--qty", "0b11"]), error: /^error: --qty 0b11: expected a number of shares > 0$/ },
  { args: order(["--qty", "0o7"]), error: /^error: --qty 0o7: expected a number of shares > 0$/ },
  { args: order(["--qty", "1e3"]), error: /^error: --qty 1e3: expected a number of shares > 0$/ },
  { args: order(["--qty", "+5"]), error: /^error: --qty \+5: expected a number of shares > 0$/ },
  { args: order(["--qty", "1", "--type", "limit", "--limit-price", "1e2"]), error: /^error: --limit-price 1e2: expected a price > 0$/ },
  { args: order(["--qty", "1", "--type", "limit", "--limit-price", "0x1F4"]), error: /^error: --limit-price 0x1F4: expected a price > 0$/ },
  { args: order(["--qty", "1", "--type", "stop", "--stop-price", "5e2"]), error: /^error: --stop-price 5e2: expected a price > 0$/ }
]

describe("order: quantities and prices as plain decimals", () => {
  it("refuses hexadecimal, binary, octal, exponent and signed numbers before any request, writing nothing", async () => {
    const broker = await countingBroker()
    try {
      const env = {
        TRADING_ACCOUNTS_CONFIG: JSON.stringify([
          { id: "COUNCIL", mode: "PAPER", baseUrl: broker.url, credentials: { keyId: "PKNUMBERS0001", secretKey: "numbers-secret" } }
        ])
      }
      for (const { args, error } of refused) {
        const home = join(tempHome(), "home")
        const r = await cliInProcess(home, args, env)
        assert.strictEqual(r.code, 2, `${args.join(" ")}\n${r.stdout}\n${r.stderr}`)
        assert.match(r.stderr.trim(), error)
        assert.strictEqual(r.stdout, "")
        assert.isFalse(existsSync(home), `${args.join(" ")} made ${home}`)
      }
      assert.deepStrictEqual(broker.requests, [])
    } finally {
      broker.close()
    }
  })

  it("still places what plain decimals say (the embedded exchange)", async () => {
    const home = tempHome()
    const r = await cliInProcess(home, order(["--qty", "16", "--type", "limit", "--limit-price", "100.50", "--json"]))
    assert.strictEqual(r.code, 0, r.stderr)
    const placed = JSON.parse(r.stdout) as { order: { qty: number; limitPrice: number } }
    assert.strictEqual(placed.order.qty, 16)
    assert.strictEqual(placed.order.limitPrice, 100.5)
    const fraction = await cliInProcess(home, order(["--qty", ".5", "--type", "limit", "--limit-price", "100.50"]))
    assert.strictEqual(fraction.code, 1, fraction.stderr)
    assert.match(fraction.stderr, /0\.5 SPY is a fraction of a share/)
  })
})

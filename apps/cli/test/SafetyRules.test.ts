import { readFileSync } from "node:fs"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { assert, describe, it } from "@effect/vitest"
import { runIdOf, tempHome } from "./CliHarness.ts"
import { type ServedExchange, serveExchange } from "./ExchangeProcess.ts"
import { cliInProcess } from "./InProcess.ts"

const root = new URL("../../../", import.meta.url).pathname

/** The last close of `symbol` in the bundled bars: the price an after-close run's gate and safety broker value orders at. */
const lastClose = (symbol: string) => Number(readFileSync(join(root, "data/bars/daily", `${symbol}.csv`), "utf8").trim().split("\n").at(-1)!.split(",")[4])

interface ExchangeOrder {
  readonly account: string
  readonly symbol: string
  readonly side: string
  readonly qty: number
  readonly effect: string
  readonly clientOrderId: string
}

/** Every top-level order the exchange took, from its own database. */
const ordersAt = (home: string): ReadonlyArray<ExchangeOrder> => {
  const db = new DatabaseSync(join(home, "council.db"), { readOnly: true })
  const rows = db.prepare(
    "SELECT account, symbol, side, qty, position_effect AS effect, client_order_id AS clientOrderId FROM exchange_orders WHERE parent_id IS NULL"
  ).all() as unknown as ReadonlyArray<ExchangeOrder>
  db.close()
  return rows
}

const config = (served: ServedExchange, settings: Readonly<Record<string, object>>) =>
  JSON.stringify(served.keys.map((k) => ({
    id: k.account,
    mode: "PAPER",
    credentials: { keyId: k.keyId, secretKey: k.secretKey },
    baseUrl: served.url,
    settings: settings[k.account] ?? {}
  })))

/** No order at the exchange breaks the rules: GEMINI never opens a short, CLAUDE's and COUNCIL's openings stay at $5,000. */
const assertWithinRules = (orders: ReadonlyArray<ExchangeOrder>) => {
  assert.deepStrictEqual(orders.filter((o) => o.account === "GEMINI" && o.side === "sell" && o.effect === "open"), [])
  for (const o of orders.filter((o) => (o.account === "CLAUDE" || o.account === "COUNCIL") && o.effect === "open")) {
    assert.isAtMost(o.qty * lastClose(o.symbol), 5_000, `${o.account} ${o.side} ${o.qty} ${o.symbol}`)
  }
}

const TIGHT = {
  GEMINI: { allowShorting: false },
  CLAUDE: { maxOrderValue: 5_000 },
  COUNCIL: { maxGrossExposurePct: 5 }
}

describe("account rules on the way to the exchange", () => {
  it("nothing that breaks a rule reaches the exchange, through the gate, a manual order, a fork sending another plan or an approval of one; each refusal is in show", async () => {
    const exchangeHome = tempHome()
    // the server's own moment (for requests without the run's session header, such as \`order\`) is the runs' 16:15
    const served = await serveExchange(exchangeHome, ["--at", "16:15"])
    try {
      const home = tempHome()
      // after the close, the gate and the safety broker value orders at the day's close (\`lastClose\`)
      const tight = { TRADING_ACCOUNTS_CONFIG: config(served, TIGHT), COUNCIL_SCHEDULE: "after-close" }

      // the gate: GEMINI's short pitch is refused, CLAUDE's and COUNCIL's entries are made smaller
      const run = await cliInProcess(home, ["run", "daily"], tight)
      assert.strictEqual(run.code, 0, run.stderr)
      const runId = runIdOf(run.stdout)
      const placed = ordersAt(exchangeHome)
      assert.isAbove(placed.filter((o) => o.account === "CLAUDE" || o.account === "COUNCIL").length, 0)
      assertWithinRules(placed)
      const shown = await cliInProcess(home, ["show", runId], tight)
      assert.strictEqual(shown.code, 0, shown.stderr)
      assert.match(shown.stdout, /^risk · GEMINI: 1 rejected, 0 clamped, 0 refused by the safety broker$/m)
      assert.match(shown.stdout, /^rejected\s+UUP\s+shorting-disabled\s+GEMINI's pitch wants UUP SHORT; GEMINI does not allow shorting/m)
      assert.match(shown.stdout, /^clamped\s+XLE\s+max-order-value\s+\$19,948\.86 > \$5,000\.00 · 342 → 85 sh\s+342 × \$58\.33 = \$19,948\.86 exceeds the \$5,000\.00 order limit/m)
      assert.match(shown.stdout, /^risk · COUNCIL: 0 rejected, 1 clamped/m)
      assert.match(shown.stdout, /^clamped\s+XLE\s+max-gross-exposure-pct\s+9\.97% > 5% · 171 → 85 sh\s+gross exposure would exceed 5% of equity \$100,000\.00 \(\$5,000\.00 of room\)/m)

      // by hand, bypassing the gate: the safety broker refuses before the exchange sees anything
      const bypass = [
        [["--account", "GEMINI", "--symbol", "SPY", "--side", "sell", "--qty", "1"], /shorting-disabled/],
        [["--account", "CLAUDE", "--symbol", "XLE", "--side", "buy", "--qty", "200"], /max-order-value/],
        [["--account", "COUNCIL", "--symbol", "SPY", "--side", "buy", "--qty", "20"], /max-gross-exposure-pct/]
      ] as const
      for (const [args, rule] of bypass) {
        const refused = await cliInProcess(home, ["order", ...args], tight)
        assert.strictEqual(refused.code, 1, refused.stdout + refused.stderr)
        assert.match(refused.stderr, rule)
      }
      assert.strictEqual(ordersAt(exchangeHome).length, placed.length)

      // a plan decided under looser settings, sent after they were tightened: the safety broker refuses what breaks them
      const loose = { ...tight, TRADING_ACCOUNTS_CONFIG: config(served, {}) }
      const dry = await cliInProcess(home, ["run", "daily", "--dry-run"], loose)
      assert.strictEqual(dry.code, 0, dry.stderr)
      const fork = await cliInProcess(home, ["replay", runIdOf(dry.stdout), "--from", "Execution", "--send"], tight)
      assert.strictEqual(fork.code, 1, "the refused accounts failed")
      assertWithinRules(ordersAt(exchangeHome))
      const forkShown = await cliInProcess(home, ["show", runIdOf(fork.stdout)], tight)
      assert.match(forkShown.stdout, /^risk · GEMINI: 0 rejected, 0 clamped, 1 refused by the safety broker$/m)
      assert.match(forkShown.stdout, /^refused\s+UUP\s+shorting-disabled\s+refused by the safety broker: sell \d+ UUP would hold -\d+: shorting is not allowed/m)
      assert.match(forkShown.stdout, /^refused\s+XLE\s+max-order-value\s+refused by the safety broker: \d+ XLE × \$58\.33 = /m)
      assert.match(forkShown.stdout, /^refused\s+XLE\s+max-gross-exposure-pct\s+/m)
      const refusals = async (runId: string) => {
        const json = JSON.parse((await cliInProcess(home, ["show", runId, "--json"], tight)).stdout) as { risk: ReadonlyArray<{ account: string; kind: string; rule: string }> }
        return json.risk.filter((r) => r.kind === "refused").map((r) => [r.account, r.rule]).sort()
      }
      const everyRule = [["CLAUDE", "max-order-value"], ["COUNCIL", "max-gross-exposure-pct"], ["GEMINI", "shorting-disabled"]]
      assert.deepStrictEqual(await refusals(runIdOf(fork.stdout)), everyRule)

      // a run decided under the looser settings, waiting for approval, approved after they were tightened
      const before = ordersAt(exchangeHome).length
      const accounts = ["--accounts", "GEMINI,CLAUDE,COUNCIL"]
      const waiting = await cliInProcess(home, ["run", "daily", "--require-approval", ...accounts], loose)
      assert.strictEqual(waiting.code, 0, waiting.stderr)
      assert.match(waiting.stdout, /awaiting approval/)
      const approved = await cliInProcess(home, ["approve", runIdOf(waiting.stdout)], tight)
      assert.strictEqual(approved.code, 1, approved.stdout + approved.stderr)
      assert.strictEqual(ordersAt(exchangeHome).length, before)
      assert.deepStrictEqual(await refusals(runIdOf(waiting.stdout)), everyRule)
    } finally {
      await served.stop()
    }
  }, 120_000)
})

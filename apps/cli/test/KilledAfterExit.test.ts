/**
 * A run SIGKILLed after a failed account's protective exit reached the broker, before Execution's checkpoint: CLAUDE
 * holds the SPY-like position of the day before (a market-on-close entry: no exit), its PM flips, the close is
 * answered 503 (each of the adapter's tries), so the account fails and its position is given its exit again —
 * whose answer the proxy withholds; the process is killed there. `run daily` again resumes the run: the close is now
 * refused by the exchange (the exit holds the shares), and the resumed run names the exit it finds working. `run
 * daily` once more retries the account with the plan carried from it: the exit is canceled first and the close goes
 * out, once. Through `exchange serve` behind the soak's fault proxy, the PMs on the fake provider; the killed run a
 * process of its own, the others in this process.
 */
import { assert, describe, it } from "@effect/vitest"
import { AlpacaRequestPolicy } from "@council/broker/Alpaca"
import { liveEnv, startFake } from "../../../packages/llm/test/FakeProvider.ts"
import { spawnCli, tempHome } from "./CliHarness.ts"
import { serveExchange } from "./ExchangeProcess.ts"
import { cliInProcess } from "./InProcess.ts"
import { type BrokerFault, brokerProxy, exchangeState, type Pitch, scriptedCouncil } from "./SoakHarness.ts"

const LLM_KEYS = {
  OPENAI_API_KEY: "sk-proj-KILL-Zr4Tq8Wm2Xv6Yb9Nc3Hd7Jf1",
  GEMINI_API_KEY: "AIza-KILL-Kp5Lm8Qx2Rt6Vw9Yb3Nc7Hj1",
  ANTHROPIC_API_KEY: "sk-ant-KILL-Wq3Kr7Xt1Tz5Vb9Nc2Hd6Jf4",
  GROQ_API_KEY: "gsk_KILL_T7rW1qY5uI8oP2aS4dF6gH9",
  DEEPSEEK_API_KEY: "sk-KILL-3f7e1d5c9b2a6f4e8d0c3b7a"
}

/** CLAUDE's pitch of each day: LONG the universe's third symbol, then SHORT it (a flip: its close first). */
const DAYS: ReadonlyArray<{ readonly day: string; readonly claude: Pitch }> = [
  { day: "2026-05-27", claude: [2, 2] },
  { day: "2026-05-28", claude: [2, -2] }
]

describe("a run killed after a failed account's exit reached the broker", () => {
  it("the day run again names that exit; the retry cancels it and its close goes out, once", async () => {
    const served = await serveExchange(tempHome(), ["--date", DAYS[0]!.day, "--rate-limit", "100000"])
    let today = DAYS[0]!
    const fake = await startFake(scriptedCouncil(() => ({ day: today.day, pitches: { CLAUDE: today.claude }, chairman: "FLAT", faults: {} })))
    let faults: ReadonlyArray<BrokerFault> = []
    const proxy = await brokerProxy(served.url, new Map(served.keys.map((k) => [k.keyId, k.account])), () => faults)
    try {
      const home = tempHome()
      const claude = served.keys.find((k) => k.account === "CLAUDE")!
      const env = {
        ...liveEnv(fake, LLM_KEYS),
        COUNCIL_SCHEDULE: "close",
        TRADING_ACCOUNTS_CONFIG: JSON.stringify([{ id: "CLAUDE", mode: "PAPER", credentials: { keyId: claude.keyId, secretKey: claude.secretKey }, baseUrl: proxy.url }])
      }
      const first = await cliInProcess(home, ["run", "daily", "--date", DAYS[0]!.day], env)
      assert.strictEqual(first.code, 0, first.stderr)

      today = DAYS[1]!
      const args = ["run", "daily", "--date", today.day]
      let held: () => void = () => undefined
      const holding = new Promise<void>((resolve) => (held = resolve))
      faults = [{ kind: "orders-unavailable", account: "CLAUDE", times: AlpacaRequestPolicy.defaultRetry.times + 1 }, { kind: "hold-first-order", held }]
      const killed = spawnCli(home, args, env)
      // the close refused (503), the exit at the exchange, its answer withheld: kill the run there
      await holding
      killed.child.kill("SIGKILL")
      await killed.exited
      faults = []
      const state = await exchangeState(served.url, claude)
      const exits = state.orders.filter((o) => o.order_class === "oco" && o.status === "new")
      assert.deepStrictEqual(exits.map((o) => o.client_order_id.replace(/[0-9a-f]{10}$/, "…")), ["2026-05-28-CLAUDE-" + exits[0]?.symbol + "-protect-…"])
      const exit = exits[0]!

      // resumed: the close is refused now (the exit holds the shares), the exit found and named
      const resumed = await cliInProcess(home, args, env)
      assert.strictEqual(resumed.code, 1, resumed.stderr)
      assert.match(resumed.stdout, new RegExp(`has the exit an earlier attempt placed \\(${exit.client_order_id}\\)`))
      // retried: the exit canceled first, then the close
      const retried = await cliInProcess(home, args, env)
      assert.strictEqual(retried.code, 0, `${retried.stdout}\n${retried.stderr}`)
      assert.match(retried.stdout, /^CLAUDE\s+succeeded\s/m)

      const after = await exchangeState(served.url, claude)
      assert.strictEqual(after.orders.find((o) => o.id === exit.id)?.status, "canceled")
      const closes = after.orders.filter((o) => o.client_order_id.startsWith(`2026-05-28-CLAUDE-${exit.symbol}-close-`))
      assert.strictEqual(closes.length, 1, JSON.stringify(after.orders.map((o) => [o.client_order_id, o.status])))
      // nothing else of the day's protection left working beside the close
      assert.deepStrictEqual(after.orders.filter((o) => o.order_class === "oco" && o.status === "new"), [])
    } finally {
      await proxy.close()
      await fake.close()
      await served.stop()
    }
  }, 120_000)
})

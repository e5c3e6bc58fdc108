/**
 * A run SIGKILLed after a failed account's protective exit reached the broker, before Execution's checkpoint: CLAUDE
 * holds the SPY-like position of the day before (a market-on-close entry: no exit), and its orders of the day are
 * answered 503 (each of the adapter's tries), so the account fails and its position is given its exit again —
 * whose answer the proxy withholds; the process is killed there. `run daily` again resumes the run: the plan's order
 * that needs the shares the exit holds is refused by the exchange now, and the resumed run names the exit it finds
 * working. `run daily` once more retries the account with the plan carried from it: the exit is canceled first and
 * the plan goes out, once. Its PM flips (the close is the order refused), or pitches higher (an addition: the plan's
 * own protective exit of the shares held is refused — a resumed run cannot succeed beside the earlier exit).
 * Through `exchange serve` behind the soak's fault proxy, the PMs on the fake provider; the killed run a process of
 * its own, the others in this process.
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

const DAY1 = "2026-05-27"
const DAY2 = "2026-05-28"

/**
 * CLAUDE pitches `first` on DAY1 (the position opens at the close) and `second` on DAY2, whose run is killed once
 * the failure's exit reached the exchange (`refusedOrders` of its orders answered 503 first); then `run daily` twice.
 * `check` is given the killed run's exit, the resumed and retried runs and the exchange's orders after them.
 */
const killedDay = async (first: Pitch, second: Pitch, refusedOrders: number) => {
  const served = await serveExchange(tempHome(), ["--date", DAY1, "--rate-limit", "100000"])
  let today = { day: DAY1, claude: first }
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
    const opened = await cliInProcess(home, ["run", "daily", "--date", DAY1], env)
    assert.strictEqual(opened.code, 0, opened.stderr)

    today = { day: DAY2, claude: second }
    const args = ["run", "daily", "--date", DAY2]
    let held: () => void = () => undefined
    const holding = new Promise<void>((resolve) => (held = resolve))
    faults = [{ kind: "orders-unavailable", account: "CLAUDE", times: refusedOrders * (AlpacaRequestPolicy.defaultRetry.times + 1) }, { kind: "hold-first-order", held }]
    const killed = spawnCli(home, args, env)
    // the plan's orders refused (503), the exit at the exchange, its answer withheld: kill the run there
    await holding
    killed.child.kill("SIGKILL")
    await killed.exited
    faults = []
    const state = await exchangeState(served.url, claude)
    const exits = state.orders.filter((o) => o.order_class === "oco" && o.status === "new")
    assert.deepStrictEqual(exits.map((o) => o.client_order_id.replace(/[0-9a-f]{10}$/, "…")), [`${DAY2}-CLAUDE-${exits[0]?.symbol}-protect-…`])
    const exit = exits[0]!

    const resumed = await cliInProcess(home, args, env)
    const retried = await cliInProcess(home, args, env)
    const after = await exchangeState(served.url, claude)
    return { exit, resumed, retried, after }
  } finally {
    await proxy.close()
    await fake.close()
    await served.stop()
  }
}

describe("a run killed after a failed account's exit reached the broker", () => {
  it("the day run again names that exit; the retry cancels it and its close goes out, once", async () => {
    // LONG the universe's third symbol, then SHORT it (a flip: its close first, the one order of the day)
    const { after, exit, resumed, retried } = await killedDay([2, 2], [2, -2], 1)
    // resumed: the close is refused now (the exit holds the shares), the exit found and named
    assert.strictEqual(resumed.code, 1, resumed.stderr)
    assert.match(resumed.stdout, new RegExp(`has the exit an earlier attempt placed \\(${exit.client_order_id}\\)`))
    // retried: the exit canceled first, then the close
    assert.strictEqual(retried.code, 0, `${retried.stdout}\n${retried.stderr}`)
    assert.match(retried.stdout, /^CLAUDE\s+succeeded\s/m)
    assert.strictEqual(after.orders.find((o) => o.id === exit.id)?.status, "canceled")
    const closes = after.orders.filter((o) => o.client_order_id.startsWith(`${DAY2}-CLAUDE-${exit.symbol}-close-`))
    assert.strictEqual(closes.length, 1, JSON.stringify(after.orders.map((o) => [o.client_order_id, o.status])))
    // nothing else of the day's protection left working beside the close
    assert.deepStrictEqual(after.orders.filter((o) => o.order_class === "oco" && o.status === "new"), [])
  }, 120_000)

  it("an addition: the resumed run's own exit of the shares held is refused beside the earlier one, which it names; the retry cancels that and the plan alone works", async () => {
    // LONG at conviction 1, then 2: the plan protects the shares held and adds to them (both orders refused: 503)
    const { after, exit, resumed, retried } = await killedDay([2, 1], [2, 2], 2)
    assert.strictEqual(resumed.code, 1, `${resumed.stdout}\n${resumed.stderr}`)
    assert.match(resumed.stdout, new RegExp(`has the exit an earlier attempt placed \\(${exit.client_order_id}\\)`))
    assert.strictEqual(retried.code, 0, `${retried.stdout}\n${retried.stderr}`)
    assert.match(retried.stdout, /^CLAUDE\s+succeeded\s/m)
    assert.strictEqual(after.orders.find((o) => o.id === exit.id)?.status, "canceled")
    // working: the plan's exit of the shares held and its addition (a simple order: `""` on the wire), once each
    const working = after.orders.filter((o) => o.status === "new" || o.status === "accepted")
    assert.deepStrictEqual(
      working.map((o) => [o.client_order_id.replace(/-[0-9a-f]{10}$/, ""), o.side, o.order_class]).sort(),
      [[`${DAY2}-CLAUDE-${exit.symbol}-add`, "buy", ""], [`${DAY2}-CLAUDE-${exit.symbol}-protect`, "sell", "oco"]],
      JSON.stringify(after.orders.map((o) => [o.client_order_id, o.status]))
    )
    assert.notStrictEqual(working.find((o) => o.order_class === "oco")?.id, exit.id)
  }, 120_000)
})

/**
 * A soak of the deployment: five sessions over two weeks (a holiday and four days the machine was off between them),
 * each `pnpm pipeline run daily` a process of its own as a timer starts it, on six accounts served by `exchange serve`
 * through the Alpaca adapter (behind a fault proxy), five LLM PMs and the chairman answered by the fake provider on
 * 127.0.0.1 from a script (longs, shorts, FLATs, abstentions, conviction changes: positions open, add, reduce, flip
 * and close), Slack told a stand-in. Faults on some days: provider 503, 429 and a dropped connection, one PM refused
 * (abstains), an Alpaca 503 on a placement, an order's answer lost with the connection, a run SIGKILLed mid-execution
 * then run again, an account whose placements all fail (the day run again), an `after-close` day among `close` days.
 * After the last day every invariant is checked from outside, each against a source of its own: the exchange's REST
 * API, the runs' recorded intents, the ledger's commands, Slack's messages, the home's files.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { AlpacaRequestPolicy } from "@council/broker/Alpaca"
import { liveEnv, startFake } from "../../../packages/llm/test/FakeProvider.ts"
import { cliAsync, type CliResult, intendedClientIds, spawnCli, tempHome } from "./CliHarness.ts"
import { serveExchange, type ServedExchange } from "./ExchangeProcess.ts"
import { cliInProcess } from "./InProcess.ts"
import { slackStandIn } from "./SlackStandIn.ts"
import {
  type BrokerFault,
  brokerProxy,
  coveredShares,
  exchangeState,
  flatten,
  type Pitch,
  type ProviderFault,
  scriptedCouncil
} from "./SoakHarness.ts"

const LLM_KEYS = {
  OPENAI_API_KEY: "sk-proj-SOAK-Zr4Tq8Wm2Xv6Yb9Nc3Hd7Jf1",
  GEMINI_API_KEY: "AIza-SOAK-Kp5Lm8Qx2Rt6Vw9Yb3Nc7Hj1",
  ANTHROPIC_API_KEY: "sk-ant-SOAK-Wq3Kr7Xt1Tz5Vb9Nc2Hd6Jf4",
  GROQ_API_KEY: "gsk_SOAK_T7rW1qY5uI8oP2aS4dF6gH9",
  DEEPSEEK_API_KEY: "sk-SOAK-3f7e1d5c9b2a6f4e8d0c3b7a"
}
/** GROQ's placements refused on 2026-06-08: its one order (the flip's close) and each of the adapter's retries of it. */
const GROQ_REFUSED = AlpacaRequestPolicy.defaultRetry.times + 1
const ACCOUNTS = ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"]
const INITIAL_CASH = 100_000

/**
 * The exits a failed account's positions were given after its execution failed, from `show <run> --json --full`'s
 * stdout: orders its Execution reports placed that the run's gate did not plan.
 */
const exitsAfterFailure = (showJson: string): ReadonlyArray<string> => {
  const bundle = JSON.parse(showJson) as {
    checkpoints: ReadonlyArray<{
      stage: string
      output: { intents?: ReadonlyArray<{ clientOrderId: string }>; accounts?: ReadonlyArray<{ status: string; orders: ReadonlyArray<{ clientOrderId: string }> }> }
    }>
  }
  const planned = new Set(intendedClientIds(showJson))
  const execution = bundle.checkpoints.find((c) => c.stage === "Execution")?.output.accounts ?? []
  return execution.filter((a) => a.status === "failed").flatMap((a) => a.orders.map((o) => o.clientOrderId)).filter((id) => !planned.has(id))
}

/** A session of the soak: the council's script, the provider's faults, what happens at the broker. */
interface Day {
  readonly day: string
  readonly schedule?: "close" | "after-close"
  /** Each PM's pitch: `[index of the symbol in the day's universe, conviction]`, FLAT or ABSTAIN. */
  readonly pitches: Readonly<Record<string, Pitch>>
  readonly chairman: Pitch
  readonly faults?: Readonly<Record<string, ProviderFault>>
  /**
   * `placement-faults`: CHATGPT's first placement answered 503, CLAUDE's reaches the exchange and its answer is lost
   * with the connection; `kill`: the run is SIGKILLed with its first order at the exchange, then run again;
   * `orders-unavailable`: GROQ's placements answered 503 until its close has failed (the account fails, after its
   * exit was canceled for the flip; the broker is back for the exit its position is given again), then the day is
   * run again.
   */
  readonly broker?: "placement-faults" | "kill" | "orders-unavailable"
}

// 2026-05-25 is Memorial Day; the machine was off on 2026-06-01 and from 2026-06-03 to 2026-06-05; 2026-06-08 is the
// bundled bars' last session (a `reconcile` without a day reads the accounts there)
const DAYS: ReadonlyArray<Day> = [
  { day: "2026-05-27", pitches: { CHATGPT: [0, 1], GEMINI: [1, -1], CLAUDE: [2, 2], GROQ: "FLAT", DEEPSEEK: [3, 1] }, chairman: [0, 1] },
  {
    day: "2026-05-28",
    pitches: { CHATGPT: [0, 2], GEMINI: [1, -2], CLAUDE: [2, -1], GROQ: [4, 1], DEEPSEEK: "ABSTAIN" },
    chairman: [0, 2],
    faults: { CHATGPT: "503", GEMINI: "429", GROQ: "drop" },
    broker: "placement-faults"
  },
  { day: "2026-05-29", pitches: { CHATGPT: [0, 1], GEMINI: [1, 2], CLAUDE: [2, -2], GROQ: "FLAT", DEEPSEEK: "ABSTAIN" }, chairman: [1, -1], broker: "kill" },
  { day: "2026-06-02", schedule: "after-close", pitches: { CHATGPT: "FLAT", GEMINI: "FLAT", CLAUDE: [2, -1], GROQ: [5, -1], DEEPSEEK: [3, -1] }, chairman: "FLAT" },
  { day: "2026-06-08", pitches: { CHATGPT: [6, 2], GEMINI: [7, 1], CLAUDE: "FLAT", GROQ: [5, 1], DEEPSEEK: [3, -2] }, chairman: [0, 1], broker: "orders-unavailable" }
]

/** What the soak leaves for the checks: every command's output, what was seen after each day, the servers. */
interface Soak {
  readonly home: string
  readonly env: Record<string, string>
  readonly served: ServedExchange
  readonly slack: Awaited<ReturnType<typeof slackStandIn>>
  /** The proxy the accounts are configured with (no fault left: the checks' commands go through it). */
  readonly proxy: Awaited<ReturnType<typeof brokerProxy>>
  /** Each invocation of `run daily`, in order, with its day and what it was (`run`, `killed`, `again`). */
  readonly invocations: Array<{ readonly day: string; readonly what: "run" | "killed" | "again"; readonly result: CliResult }>
  /** Positions at the exchange after each day's last invocation (`DAY ACCOUNT SYMBOL qty`), and those its working orders do not close. */
  readonly held: Array<string>
  readonly unprotected: Array<string>
  /** The exchange's client order ids before and after each day's second invocation. */
  readonly rerun: Array<{ readonly day: string; readonly before: ReadonlyArray<string>; readonly after: ReadonlyArray<string> }>
}

const allClientIds = async (served: ServedExchange): Promise<ReadonlyArray<string>> =>
  (await Promise.all(served.keys.map(async (k) => (await exchangeState(served.url, k)).orders.map((o) => o.client_order_id)))).flat().sort()

/** Each position at the exchange, and whether its open orders close it (whole shares): `DAY ACCOUNT SYMBOL qty (covered n)`. */
const positionsAndCover = async (served: ServedExchange, day: string) =>
  (await Promise.all(served.keys.map(async (k) => {
    const { positions, orders } = await exchangeState(served.url, k)
    return positions.map((p) => ({
      position: `${day} ${k.account} ${p.symbol} ${p.qty}`,
      covered: coveredShares(p, orders),
      protectedInFull: coveredShares(p, orders) >= Math.floor(Math.abs(Number(p.qty)))
    }))
  }))).flat()

const runSoak = async (): Promise<Soak> => {
  const home = tempHome()
  // the server starts at the first session, as a rehearsal does; its clock follows the runs
  const served = await serveExchange(tempHome(), ["--date", DAYS[0]!.day, "--rate-limit", "100000"])
  const slack = await slackStandIn()
  let today: Day = DAYS[0]!
  const fake = await startFake(scriptedCouncil(() => ({ day: today.day, pitches: today.pitches, chairman: today.chairman, faults: today.faults ?? {} })))
  let faults: ReadonlyArray<BrokerFault> = []
  const proxy = await brokerProxy(served.url, new Map(served.keys.map((k) => [k.keyId, k.account])), () => faults)
  const env = {
    ...liveEnv(fake, LLM_KEYS),
    TRADING_ACCOUNTS_CONFIG: JSON.stringify(served.keys.map((k) => ({ id: k.account, mode: "PAPER", credentials: { keyId: k.keyId, secretKey: k.secretKey }, baseUrl: proxy.url }))),
    SLACK_WEBHOOK_URL: slack.url
  }
  const soak: Soak = { home, env, served, slack, proxy, invocations: [], held: [], unprotected: [], rerun: [] }
  try {
    for (const d of DAYS) {
      today = d
      proxy.rearm()
      const args = ["run", "daily", "--date", d.day]
      const dayEnv = { ...env, COUNCIL_SCHEDULE: d.schedule ?? "close" }
      faults = d.broker === "placement-faults"
        ? [{ kind: "drop-order-answer", account: "CLAUDE" }, { kind: "orders-unavailable", account: "CHATGPT", times: 1 }]
        : d.broker === "orders-unavailable" ? [{ kind: "orders-unavailable", account: "GROQ", times: GROQ_REFUSED }]
        : []
      if (d.broker === "kill") {
        let held: () => void = () => undefined
        const holding = new Promise<void>((resolve) => (held = resolve))
        faults = [{ kind: "hold-first-order", held }]
        const killed = spawnCli(home, args, dayEnv)
        // the first order is at the exchange, its answer withheld: the run is mid-execution
        await holding
        killed.child.kill("SIGKILL")
        const end = await killed.exited
        soak.invocations.push({ day: d.day, what: "killed", result: { code: end.code, stdout: killed.output.stdout, stderr: killed.output.stderr } })
        faults = []
        const before = await allClientIds(served)
        soak.invocations.push({ day: d.day, what: "again", result: await cliAsync(home, args, dayEnv) })
        soak.rerun.push({ day: d.day, before, after: await allClientIds(served) })
      } else {
        soak.invocations.push({ day: d.day, what: "run", result: await cliAsync(home, args, dayEnv) })
      }
      if (d.broker === "orders-unavailable") {
        // right after the failing run, before the day is run again (a timer's next run is the next session)
        const failed = await positionsAndCover(served, `${d.day} (failed run)`)
        soak.unprotected.push(...failed.filter((h) => !h.protectedInFull).map((h) => `${h.position} (covered ${h.covered})`))
        faults = []
        const before = await allClientIds(served)
        soak.invocations.push({ day: d.day, what: "again", result: await cliAsync(home, args, dayEnv) })
        soak.rerun.push({ day: d.day, before, after: await allClientIds(served) })
      }
      const held = await positionsAndCover(served, d.day)
      soak.held.push(...held.map((h) => h.position))
      soak.unprotected.push(...held.filter((h) => !h.protectedInFull).map((h) => `${h.position} (covered ${h.covered})`))
    }
  } catch (error) {
    await proxy.close()
    await slack.close()
    await served.stop()
    throw error
  } finally {
    await fake.close()
  }
  return soak
}

describe("five unattended sessions through the Alpaca route, with faults", () => {
  let soak: Soak
  const commands: Array<CliResult> = []
  /** A command of the CLI on the soak's home (in this process: the runs themselves were processes of their own). */
  const council = async (args: ReadonlyArray<string>, extra: Record<string, string> = {}) => {
    const r = await cliInProcess(soak.home, args, { ...soak.env, ...extra })
    commands.push(r)
    assert.strictEqual(r.code, 0, `${args.join(" ")}: ${r.stdout}\n${r.stderr}`)
    return r.stdout
  }
  const runsJson = async () =>
    JSON.parse(await council(["runs", "--json", "--limit", "100"])) as ReadonlyArray<{
      id: string
      tradingDay: string
      status: string
      parentRunId: string | null
      forkFrom: string | null
      failedAccounts: { accounts: ReadonlyArray<string> } | null
    }>

  beforeAll(async () => {
    soak = await runSoak()
    return async () => {
      await soak.proxy.close()
      await soak.slack.close()
      await soak.served.stop()
    }
  }, 120_000)

  it("each day's invocations end as a timer's log says: exit 0, except the account that failed (exit 1) and the killed run", () => {
    const ends = soak.invocations.map((i) => `${i.day} ${i.what} ${i.result.code}`)
    assert.deepStrictEqual(ends, [
      "2026-05-27 run 0",
      "2026-05-28 run 0",
      "2026-05-29 killed null",
      "2026-05-29 again 0",
      "2026-06-02 run 0",
      "2026-06-08 run 1",
      "2026-06-08 again 0"
    ], soak.invocations.map((i) => `${i.day} ${i.what}\n${i.result.stdout}\n${i.result.stderr}`).join("\n"))
    const of = (day: string, what: string) => soak.invocations.find((i) => i.day === day && i.what === what)!.result
    // the faults happened, and were got over
    assert.match(of("2026-05-28", "run").stderr, /WARN llm CHATGPT .*503/)
    assert.match(of("2026-05-28", "run").stderr, /WARN llm GEMINI .*429/)
    assert.match(of("2026-05-28", "run").stderr, /WARN llm GROQ .*(other side closed|socket|ECONNRESET)/)
    assert.match(of("2026-05-28", "run").stderr, /PmPitches .*CHATGPT LONG .*GEMINI SHORT .*GROQ LONG .*abstained: DEEPSEEK/)
    assert.match(of("2026-05-28", "run").stderr, /WARN alpaca CHATGPT: POST \/v2\/orders: 503/)
    assert.match(of("2026-05-28", "run").stderr, /INFO alpaca CLAUDE: order 2026-05-28-CLAUDE-\S+ found after "POST \/v2\/orders: /)
    assert.match(of("2026-05-29", "killed").stderr, /✓ RiskApproval/)
    assert.notMatch(of("2026-05-29", "killed").stderr, /✓ Execution/)
    assert.match(of("2026-05-29", "again").stderr, /Resuming run \S+ · daily · trading day 2026-05-29/)
    assert.match(of("2026-06-08", "run").stderr, /error: 1 of 6 accounts failed: GROQ/)
    assert.match(of("2026-06-08", "again").stderr, /retrying GROQ with the same orders/)
  })

  it("exactly once: every order at the exchange is one the day's runs intended for that account, each once; the second invocations added only what had not reached it", async () => {
    const runs = await runsJson()
    const intended = new Map<string, string>()
    for (const run of runs) {
      const shown = await council(["show", run.id, "--json", "--full"])
      for (const id of intendedClientIds(shown)) intended.set(id, run.tradingDay)
      for (const id of exitsAfterFailure(shown)) intended.set(id, run.tradingDay)
    }
    // GROQ's short, left without its exit when the flip's close failed, was given one right after (then canceled by
    // the day's retry before it sent the close again)
    assert.isTrue([...intended.keys()].some((id) => /^2026-06-08-GROQ-\S+-protect-/.test(id)), [...intended.keys()].join(" "))
    const seen = new Map<string, number>()
    for (const key of soak.served.keys) {
      const { orders } = await exchangeState(soak.served.url, key)
      for (const order of orders) {
        const day = intended.get(order.client_order_id)
        assert.isDefined(day, `${key.account} ${order.client_order_id} is at the exchange, intended by no run`)
        assert.isTrue(order.client_order_id.startsWith(`${day}-${key.account}-`), `${order.client_order_id} at ${key.account}`)
        seen.set(order.client_order_id, (seen.get(order.client_order_id) ?? 0) + 1)
      }
    }
    assert.deepStrictEqual([...seen.entries()].filter(([, n]) => n !== 1), [], "orders sharing an intent")
    assert.deepStrictEqual([...intended.keys()].filter((id) => !seen.has(id)).sort(), [], "intents that never reached the exchange")
    // positions were opened, added to, reduced, closed (flips among them) and protected along the way
    for (const purpose of ["open", "add", "reduce", "close", "protect"]) {
      assert.isTrue([...seen.keys()].some((id) => id.includes(`-${purpose}-`)), `no ${purpose} order in ${[...seen.keys()].join(" ")}`)
    }
    for (const { day, before, after } of soak.rerun) {
      const added = after.filter((id) => !before.includes(id))
      assert.deepStrictEqual(added.filter((id) => !id.startsWith(`${day}-`)), [], `the second invocation of ${day} placed for another day`)
      assert.deepStrictEqual(before.filter((id) => !after.includes(id)), [])
    }
    // a third invocation of each day run twice finds it done and sends nothing
    const now = await allClientIds(soak.served)
    for (const { day } of soak.rerun) {
      const third = await council(["run", "daily", "--date", day])
      assert.match(commands.at(-1)!.stderr, new RegExp(`Trading day ${day} already ran as \\S+.*nothing is placed again`), third)
    }
    assert.deepStrictEqual(await allClientIds(soak.served), now)
  })

  it("the ledger equals the exchange's own account state: cash, equity, positions, every order and fill", async () => {
    const reconciled = JSON.parse(await council(["reconcile", "--json"])) as { asOf: string; accounts: ReadonlyArray<{ account: string; status: string; equity: number }> }
    assert.strictEqual(reconciled.asOf, "2026-06-08")
    const csv = (await council(["equity", "--csv"])).trim().split("\n")
    const header = csv[0]!.split(",")
    const rows = csv.slice(1).map((line) => Object.fromEntries(line.split(",").map((v, i) => [header[i]!, v])))
    const board = JSON.parse(await council(["leaderboard", "--json"])) as { leaderboard: { rows: ReadonlyArray<{ account: string; metrics: { pnl: number; sessions: number } }> } }
    const db = new DatabaseSync(join(soak.home, "council.db"), { readOnly: true })
    try {
      for (const key of soak.served.keys) {
        const account = key.account
        const at = await exchangeState(soak.served.url, key)
        const equity = Number(at.account.equity)
        const cash = Number(at.account.cash)
        // the exchange's cash is its fills' sum (its own consistency, the base of everything below)
        const fillCash = at.fills.reduce((sum, f) => sum + (f.side === "buy" ? -1 : 1) * Number(f.qty) * Number(f.price), INITIAL_CASH)
        assert.closeTo(cash, fillCash, 0.005, `${account} exchange cash vs its fills`)
        assert.strictEqual(reconciled.accounts.find((a) => a.account === account)?.status, "recorded")
        assert.closeTo(reconciled.accounts.find((a) => a.account === account)!.equity, equity, 0.005, `${account} reconcile equity`)
        const last = rows.filter((r) => r["account"] === account).at(-1)!
        assert.strictEqual(last["date"], "2026-06-08", account)
        assert.closeTo(Number(last["equity"]), equity, 0.005, `${account} equity --csv`)
        assert.closeTo(Number(last["cash"]), cash, 0.005, `${account} cash in equity --csv`)
        assert.closeTo(Number(last["long_market_value"]), Number(at.account.long_market_value ?? 0), 0.005, `${account} long value`)
        assert.closeTo(Number(last["short_market_value"]), Number(at.account.short_market_value ?? 0), 0.005, `${account} short value`)
        const row = board.leaderboard.rows.find((r) => r.account === account)!
        assert.closeTo(row.metrics.pnl, equity - INITIAL_CASH, 0.005, `${account} leaderboard P&L`)
        // every order and leg, as the ledger holds it
        const ledgerOrders = db.prepare(`SELECT order_id AS id, client_order_id AS cid, status, filled_qty AS filled, filled_avg_price AS price
          FROM ledger_orders WHERE book = 'live' AND account = ? ORDER BY order_id`).all(account) as Array<{ id: string; cid: string; status: string; filled: number; price: number | null }>
        const wireOrders = flatten(at.orders).map((o) => ({
          id: o.id,
          cid: o.client_order_id,
          status: o.status,
          filled: Number(o.filled_qty),
          price: o.filled_avg_price === null ? null : Number(o.filled_avg_price)
        })).sort((a, b) => (a.id < b.id ? -1 : 1))
        assert.deepStrictEqual(ledgerOrders.map((o) => ({ ...o })), wireOrders, `${account} orders`)
        const ledgerFills = db.prepare(`SELECT order_id, symbol, side, qty, price FROM ledger_fills WHERE book = 'live' AND account = ?`).all(account)
          .map((f) => `${f["order_id"]} ${f["symbol"]} ${f["side"]} ${Number(f["qty"])} ${Number(f["price"])}`).sort()
        const wireFills = at.fills.map((f) => `${f.order_id} ${f.symbol} ${f.side} ${Number(f.qty)} ${Number(f.price)}`).sort()
        assert.deepStrictEqual(ledgerFills, wireFills, `${account} fills`)
        // the ledger's positions (its fills summed) are the exchange's
        const held = new Map<string, number>()
        for (const f of at.fills) held.set(f.symbol, (held.get(f.symbol) ?? 0) + (f.side === "buy" ? 1 : -1) * Number(f.qty))
        const fromLedger = db.prepare(`SELECT symbol, sum(CASE WHEN side = 'buy' THEN qty ELSE -qty END) AS net FROM ledger_fills
          WHERE book = 'live' AND account = ? GROUP BY symbol HAVING net <> 0 ORDER BY symbol`).all(account).map((p) => `${p["symbol"]} ${Number(p["net"])}`)
        assert.deepStrictEqual(fromLedger, at.positions.map((p) => `${p.symbol} ${Number(p.qty)}`).sort(), `${account} positions`)
      }
      assert.sameMembers(board.leaderboard.rows.map((r) => r.account), ACCOUNTS)
    } finally {
      db.close()
    }
  })

  it("every run replays identically, asking nothing of anyone, and runs --json tells each day's outcome as it was", async () => {
    const runs = await runsJson()
    const byDay = new Map<string, Array<(typeof runs)[number]>>()
    for (const run of runs) byDay.set(run.tradingDay, [...(byDay.get(run.tradingDay) ?? []), run])
    assert.deepStrictEqual([...byDay.keys()].sort(), DAYS.map((d) => d.day))
    for (const d of DAYS) {
      const [first, ...more] = byDay.get(d.day)!.toReversed()
      // the killed run of 2026-05-29 was resumed under its own id: one run, completed
      assert.strictEqual(first!.status, "completed", d.day)
      if (d.broker === "orders-unavailable") {
        assert.deepStrictEqual(first!.failedAccounts?.accounts, ["GROQ"], d.day)
        assert.strictEqual(more.length, 1)
        assert.include(more[0]!, { parentRunId: first!.id, status: "completed", failedAccounts: null })
      } else {
        assert.strictEqual(first!.failedAccounts, null, d.day)
        assert.strictEqual(more.length, 0, d.day)
      }
    }
    const differing: Array<string> = []
    for (const run of runs) {
      const replay = await cliInProcess(soak.home, ["replay", run.id], soak.env)
      commands.push(replay)
      if (replay.code !== 0 || !/every stage identical/.test(replay.stdout)) {
        differing.push(`${run.id} (${run.parentRunId === null ? "" : `fork of ${run.parentRunId} from ${run.forkFrom}, `}exit ${replay.code}):\n${replay.stdout}${replay.stderr}`)
      }
    }
    assert.deepStrictEqual(differing, [])
  })

  it("no position is left overnight without its protective exit, not even right after a run whose account failed", () => {
    // checked after each day's last invocation and right after the failing run; the failed account's position got its
    // exit again (`failedAccounts: protected`) (a `close` run's market-on-close entries fill at 16:00, after it: they
    // have no exit until the next run places one, as the rules say; the exchange holds none of them yet at 15:45)
    assert.isAtLeast(soak.held.length, 10, soak.held.join("\n"))
    assert.deepStrictEqual(soak.unprotected, [])
  })

  it("Slack was told of every failure and every abstention; no key, secret or webhook path is in any output, message or file", () => {
    const all = soak.slack.texts.join("\n")
    assert.match(all, /^\*DEEPSEEK\* · :warning: \*WARN\* · \*Decision abstained/m)
    assert.match(all, /^:rotating_light: \*ERROR\* · \*Failed: run daily --date 2026-06-08\*\n1 of 6 accounts failed: GROQ/m)
    assert.match(all, /^\*GROQ\* · :rotating_light: \*ERROR\* · \*Execution failed/m)
    assert.match(all, /; TLT −?\d+ given its exit again \(\d+ shares, BASE OCO\)/)
    assert.match(all, /Run started 2026-05-29\*\nrun \S+, data as of 2026-05-29, resumed/)
    assert.match(all, /1 session without a completed run before 2026-06-02/)
    assert.match(all, /3 sessions without a completed run before 2026-06-08/)
    const secrets = [...Object.values(LLM_KEYS), ...soak.served.keys.flatMap((k) => [k.keyId, k.secretKey]), "notARealSecret42"]
    const files = (dir: string): string =>
      readdirSync(dir).map((name) => {
        const path = join(dir, name)
        return statSync(path).isDirectory() ? files(path) : readFileSync(path).toString("latin1")
      }).join("\n")
    const everything = [
      all,
      ...soak.invocations.flatMap((i) => [i.result.stdout, i.result.stderr]),
      ...commands.flatMap((c) => [c.stdout, c.stderr]),
      files(soak.home)
    ].join("\n")
    for (const secret of secrets) assert.notInclude(everything, secret)
    for (const secret of secrets) assert.notInclude(everything, secret.slice(-16))
  })
})

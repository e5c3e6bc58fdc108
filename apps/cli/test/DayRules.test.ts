import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { clockedBroker, faultProxy, fingerprint, ordersAtExchange, unauthorizedBroker } from "./BrokerDoubles.ts"
import { intendedClientIds, runIdOf, tempHome } from "./CliHarness.ts"
import { serveExchange } from "./ExchangeProcess.ts"
import { cliInProcess, cliOk, FAST_ALPACA_RETRY } from "./InProcess.ts"

const freshHome = () => join(tempHome(), "home")
const lastLine = (text: string) => text.trim().split("\n").at(-1) ?? ""
const oneAccount = (baseUrl: string, id = "COUNCIL") => ({ id, mode: "PAPER", credentials: { keyId: `PK${id}`, secretKey: `sk-${id}` }, baseUrl })

/** The client order ids the gate approved in `runId` (from `show --json --full`). */
const intended = async (home: string, runId: string, env: Record<string, string>) =>
  intendedClientIds(await cliOk(home, ["show", runId, "--json", "--full"], env))

describe("a fork obeys every rule a run obeys", () => {
  it("forking a past day's dry run makes a dry run; --send is refused by the broker's session; failed accounts exit 1", async () => {
    const broker = await clockedBroker("2026-11-23")
    try {
      const env = { TRADING_ACCOUNTS_CONFIG: JSON.stringify([oneAccount(broker.url, "CLAUDE")]) }
      const home = freshHome()
      const dry = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--dry-run"], env)
      assert.strictEqual(dry.code, 0, dry.stderr)
      assert.match(dry.stdout, /^CLAUDE\s+dry-run\s.*1 order not sent \(dry run\)$/m)
      const parent = runIdOf(dry.stdout)

      const fork = await cliInProcess(home, ["replay", parent, "--from", "Execution"], env)
      assert.deepStrictEqual(broker.posts, [])
      assert.strictEqual(fork.code, 0, fork.stderr)
      assert.match(fork.stderr, new RegExp(`run ${parent} was a dry run, so this fork is one too \\(add --send to send its orders\\)`))
      assert.match(fork.stdout, new RegExp(`^forked run \\S+ from ${parent} at Execution \\(dry run\\)$`, "m"))
      assert.match(fork.stdout, /^CLAUDE\s+dry-run\s/m)

      const before = fingerprint(home)
      const send = await cliInProcess(home, ["replay", parent, "--from", "Execution", "--send"], env)
      assert.strictEqual(send.code, 2, send.stdout + send.stderr)
      assert.strictEqual(send.stderr.trim(), `error: refusing to send orders for 2026-06-05 to ${new URL(broker.url).host}: its current session is 2026-11-23 (use --dry-run, or replay a past day)`)
      assert.strictEqual(fingerprint(home), before)

      broker.setUnavailable(true)
      // the adapter retries the 503s (on a short schedule: the default would wait ~4 s)
      const failing = await cliInProcess(home, ["replay", parent, "--from", "RiskApproval", "--dry-run"], env, { alpacaRetry: FAST_ALPACA_RETRY })
      assert.strictEqual(failing.code, 1, failing.stderr)
      assert.match(failing.stdout, /^CLAUDE\s+failed\s.*not evaluated, nothing sent: could not read the account: GET \/v2\/(account|orders|positions): 503/m)
      assert.strictEqual(lastLine(failing.stderr), "error: 1 of 1 accounts failed: CLAUDE")
      assert.deepStrictEqual(broker.posts, [])

      const help = await cliInProcess(undefined, ["replay", "--help"])
      assert.include(help.stdout, "a fork sends orders unless --dry-run is given, the parent was a dry run or --model swaps a model")
    } finally {
      broker.close()
    }
  })
})

describe("the day's run", () => {
  it("an imported run is never this home's run of its day", async () => {
    const other = freshHome()
    const theirs = await cliInProcess(other, ["run", "daily"])
    assert.strictEqual(theirs.code, 0, theirs.stderr)
    const bundle = join(other, "..", "bundle.json")
    assert.strictEqual((await cliInProcess(other, ["export", runIdOf(theirs.stdout), "-o", bundle])).code, 0)

    const home = freshHome()
    assert.strictEqual((await cliInProcess(home, ["import", bundle])).code, 0)
    const mine = await cliInProcess(home, ["run", "daily"])
    assert.strictEqual(mine.code, 0, mine.stderr)
    assert.match(mine.stderr, /^Starting run /m)
    assert.notMatch(mine.stderr, /already ran/)
    assert.notStrictEqual(runIdOf(mine.stdout), runIdOf(theirs.stdout))
    assert.match(mine.stdout, /^CHATGPT\s+succeeded\s+1\s/m)
    const listed = await cliInProcess(home, ["runs"])
    assert.match(listed.stdout, new RegExp(`^${runIdOf(theirs.stdout)}\\s.*\\simported\\s`, "m"))
    const file = JSON.parse(readFileSync(bundle, "utf8")) as { format: string; checkpoints: ReadonlyArray<{ stage: string }>; hashes: { checkpoints: Record<string, string> } }
    assert.strictEqual(file.format, "council-run-bundle/4")
    assert.deepStrictEqual(Object.keys(file.hashes.checkpoints).sort(), file.checkpoints.map((c) => c.stage).sort())
  })

  it("a dry run exits 1 when accounts could not be evaluated, and the table says why", async () => {
    const broker = await unauthorizedBroker()
    try {
      const accounts = ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"].map((id) => oneAccount(broker.url, id))
      const home = freshHome()
      const dry = await cliInProcess(home, ["run", "daily", "--dry-run"], { TRADING_ACCOUNTS_CONFIG: JSON.stringify(accounts) })
      assert.strictEqual(dry.code, 1, dry.stderr)
      for (const { id } of accounts) {
        assert.match(dry.stdout, new RegExp(`^${id}\\s+failed\\s.*not evaluated, nothing sent: could not read the account: GET /v2/\\w+: 401 request is not authorized`, "m"))
      }
      assert.strictEqual(lastLine(dry.stderr), "error: 6 of 6 accounts failed: CHATGPT, GEMINI, CLAUDE, GROQ, DEEPSEEK, COUNCIL")
    } finally {
      broker.close()
    }
  })

  it("the help's examples work on a home that traded the latest day; after close-all, an order already at the broker is reported as such", async () => {
    const home = freshHome()
    assert.strictEqual((await cliInProcess(home, ["run", "daily"])).code, 0)
    const help = await cliInProcess(home, ["run", "--help"])
    const examples = help.stdout.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("pnpm pipeline run "))
    assert.isAtLeast(examples.length, 2)
    for (const example of examples) {
      const r = await cliInProcess(home, example.replace("pnpm pipeline ", "").split(" "))
      assert.strictEqual(r.code, 0, `${example}\n${r.stdout}${r.stderr}`)
    }
    assert.strictEqual((await cliInProcess(home, ["close-all", "--yes"])).code, 0)
    const again = await cliInProcess(home, ["run", "daily", "--accounts", "CHATGPT"])
    assert.strictEqual(again.code, 0, again.stderr)
    assert.match(again.stdout, /^CHATGPT\s+succeeded\s+0\s+0\s+\S+\s+0 orders placed, 1 already at the broker \(earlier run\)$/m)
  })
})

describe("a broker that fails some reads of some accounts (503 from a proxy in front of exchange serve)", () => {
  it("an unreadable account fails the run, execution reads nothing back (a failing account read after the orders changes nothing), --json stays JSON; the next run retries exactly those, nothing doubles", async () => {
    const exchangeHome = tempHome()
    const served = await serveExchange(exchangeHome)
    const accountOfKey = new Map(served.keys.map((k) => [k.keyId, k.account]))
    let faulty = true
    const proxy = await faultProxy(served.url, accountOfKey, (request, seen) =>
      faulty && (
        (request.account === "GROQ" && request.method === "GET" && request.path === "/v2/orders") ||
        (request.account === "COUNCIL" && request.method === "GET" && request.path === "/v2/account" &&
          seen.some((s) => s.account === "COUNCIL" && s.method === "POST"))
      ))
    try {
      const env = {
        TRADING_ACCOUNTS_CONFIG: JSON.stringify(served.keys.map((k) => ({ id: k.account, mode: "PAPER", credentials: { keyId: k.keyId, secretKey: k.secretKey }, baseUrl: proxy.url }))),
        COUNCIL_SCHEDULE: "after-close"
      }
      const home = freshHome()
      const first = await cliInProcess(home, ["run", "daily", "--json"], env, { alpacaRetry: FAST_ALPACA_RETRY })
      assert.strictEqual(first.code, 1, first.stderr)
      const json = JSON.parse(first.stdout) as { run: { id: string }; execution: { accounts: ReadonlyArray<{ account: string; status: string; orders: ReadonlyArray<{ clientOrderId: string }>; readError: string | null; message: string }> } }
      assert.match(first.stderr, /WARN .*alpaca GROQ: GET \/v2\/orders: 503/)
      const byAccount = new Map(json.execution.accounts.map((a) => [a.account, a]))
      assert.strictEqual(byAccount.get("GROQ")?.status, "failed")
      assert.match(byAccount.get("GROQ")!.message, /^not evaluated, nothing sent: could not read the account: GET \/v2\/orders: 503/)
      const council = byAccount.get("COUNCIL")!
      assert.strictEqual(council.status, "succeeded")
      assert.strictEqual(council.orders.length, 1)
      assert.strictEqual(council.readError, null)
      assert.strictEqual(council.message, "1 order placed")
      assert.deepStrictEqual(ordersAtExchange(exchangeHome).get(council.orders[0]!.clientOrderId), 1)
      assert.strictEqual(lastLine(first.stderr), "error: 1 of 6 accounts failed: GROQ (run the day again to retry it with: pnpm pipeline run daily --date 2026-06-08; nothing is placed twice)")

      faulty = false
      const retry = await cliInProcess(home, ["run", "daily"], env)
      assert.strictEqual(retry.code, 0, retry.stderr)
      assert.match(retry.stderr, new RegExp(`already ran as ${json.run.id}; retrying GROQ with the same orders`))
      assert.match(retry.stderr, /⤷ CouncilSynthesis\s+reused from/)
      assert.match(retry.stdout, /^GROQ\s+succeeded\s+1\s+0\s.*1 order placed$/m)
      assert.match(retry.stdout, /^COUNCIL\s+succeeded\s+1\s+0\s.*1 order placed$/m)
      assert.match(retry.stdout, /^CHATGPT\s+succeeded\s+1\s/m)
      const retryId = runIdOf(retry.stdout)
      const wanted = [...new Set([...(await intended(home, json.run.id, env)), ...(await intended(home, retryId, env))])]
      const held = ordersAtExchange(exchangeHome)
      assert.deepStrictEqual([...held.keys()].sort(), wanted.sort())
      for (const [id, n] of held) assert.strictEqual(n, 1, `${id} is at the exchange ${n} times`)

      const third = await cliInProcess(home, ["run", "daily"], env)
      assert.strictEqual(third.code, 0, third.stderr)
      assert.match(third.stderr, new RegExp(`already ran as ${json.run.id} \\(retried as ${retryId}\\); nothing is placed again`))
      assert.deepStrictEqual(ordersAtExchange(exchangeHome), held)
      const asked = proxy.seen.length
      const replay = await cliInProcess(home, ["replay", retryId], env)
      assert.strictEqual(replay.code, 0, replay.stdout)
      assert.deepStrictEqual(proxy.seen.slice(asked), [], "a replay asks the broker nothing")
    } finally {
      proxy.close()
      await served.stop()
    }
  })
})

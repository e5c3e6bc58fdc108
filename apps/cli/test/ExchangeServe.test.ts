import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"
import { bin, intendedClientIds, runIdOf, tempHome, unstamped } from "./CliHarness.ts"
import { cliInProcess, cliOk } from "./InProcess.ts"
import { ordersAtExchange } from "./BrokerDoubles.ts"
import { accountsConfig, type HeldOrder, holdFirstOrder, serveExchange } from "./ExchangeProcess.ts"

/** The client order ids the run's risk gate approved. */
const intendedOrders = async (home: string, runId: string, env: Record<string, string>) =>
  intendedClientIds(await cliOk(home, ["show", runId, "--json", "--full"], env))

const assertExactlyOnce = (exchangeHome: string, intended: ReadonlyArray<string>) => {
  const held = ordersAtExchange(exchangeHome)
  assert.isAbove(intended.length, 0)
  assert.deepStrictEqual([...held.keys()].sort(), [...intended].sort())
  for (const [id, n] of held) assert.strictEqual(n, 1, `${id} is at the exchange ${n} times`)
}

/**
 * `run daily` (or `args`) in a process of its own against the served exchange behind `proxy`, stopped with `signal`
 * while the first of its orders is at the exchange and its answer is withheld (mid-Execution, whatever the load).
 */
const stopMidExecution = async (
  home: string,
  proxy: HeldOrder,
  env: Record<string, string>,
  signal: NodeJS.Signals,
  args: ReadonlyArray<string> = ["run", "daily"]
) => {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stderr = ""
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
  const exited = new Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })))
  const first = await Promise.race([proxy.held.then(() => "held" as const), exited.then(() => "exited" as const)])
  assert.strictEqual(first, "held", `the run ended before any order reached the exchange:\n${stderr}`)
  child.kill(signal)
  return { ...(await exited), stderr: unstamped(stderr) }
}

/** The exchange served on a home of its own, behind a proxy that holds the first order's answer. */
const heldExchange = async () => {
  const exchangeHome = tempHome()
  const served = await serveExchange(exchangeHome)
  const proxy = await holdFirstOrder(served.url)
  return {
    exchangeHome,
    proxy,
    env: { TRADING_ACCOUNTS_CONFIG: accountsConfig({ ...served, url: proxy.url }) },
    stop: async () => {
      await proxy.close()
      await served.stop()
    }
  }
}

describe("the daily run against `exchange serve`", () => {
  it("places every intended order exactly once through 30 % injected faults, dropped-after-accept included", async () => {
    const exchangeHome = tempHome()
    const served = await serveExchange(exchangeHome, ["--latency-ms", "20", "--fault-rate", "0.3", "--seed", "11"])
    try {
      const env = { TRADING_ACCOUNTS_CONFIG: accountsConfig(served) }
      const home = tempHome()
      const run = await cliInProcess(home, ["run", "daily"], env)
      assert.strictEqual(run.code, 0, run.stdout + run.stderr)
      assert.match(run.stdout, /^COUNCIL\s+succeeded/m)
      const runId = runIdOf(run.stdout)
      assertExactlyOnce(exchangeHome, await intendedOrders(home, runId, env))
      const replay = await cliInProcess(home, ["replay", runId], env)
      assert.strictEqual(replay.code, 0, replay.stdout)
      const verify = await cliInProcess(home, ["verify"], env)
      assert.strictEqual(verify.code, 0, verify.stderr)
      assert.strictEqual(verify.stdout.trim().split("\n").filter((l) => l.startsWith("✓")).length, 6)
    } finally {
      await served.stop()
    }
  })

  it("resumes a day killed with SIGKILL during execution: the exchange holds exactly the intended orders", async () => {
    const { exchangeHome, proxy, env, stop } = await heldExchange()
    try {
      const home = tempHome()
      const { signal, stderr } = await stopMidExecution(home, proxy, env, "SIGKILL")
      assert.strictEqual(signal, "SIGKILL")
      assert.match(stderr, /✓ RiskApproval/)
      assert.notMatch(stderr, /✓ Execution/)
      const before = ordersAtExchange(exchangeHome)

      const resumed = await cliInProcess(home, ["run", "daily"], env)
      assert.strictEqual(resumed.code, 0, resumed.stdout + resumed.stderr)
      assert.match(resumed.stderr, /^Resuming run /m)
      assert.notMatch(resumed.stderr, /✓ FetchData/)
      const runId = runIdOf(resumed.stdout)
      const intended = await intendedOrders(home, runId, env)
      assert.isBelow(before.size, intended.length + 1)
      assertExactlyOnce(exchangeHome, intended)

      const again = await cliInProcess(home, ["run", "daily"], env)
      assert.strictEqual(again.code, 0)
      assert.match(again.stderr, /already ran/)
      assertExactlyOnce(exchangeHome, intended)
    } finally {
      await stop()
    }
  })

  it("stops a day at Ctrl-C during execution, naming the run and how to continue it; the next run resumes it", async () => {
    const { exchangeHome, proxy, env, stop } = await heldExchange()
    try {
      const home = tempHome()
      const { code, stderr } = await stopMidExecution(home, proxy, env, "SIGINT")
      assert.strictEqual(code, 130, stderr)
      const runId = /^Starting run (\S+)/m.exec(stderr)?.[1]
      assert.isDefined(runId, stderr)
      assert.strictEqual(
        stderr.trim().split("\n").at(-1),
        `error: interrupted: run ${runId} stopped part-way; continue it with: pnpm pipeline run daily --date 2026-06-08`
      )
      assert.notMatch(stderr, /✓ Execution/)

      // the day's lock was let go: the next run resumes at once, taking over nothing
      const resumed = await cliInProcess(home, ["run", "daily"], env)
      assert.strictEqual(resumed.code, 0, resumed.stdout + resumed.stderr)
      assert.match(resumed.stderr, new RegExp(`^Resuming run ${runId}`, "m"))
      assert.notMatch(resumed.stderr, /took over/)
      assertExactlyOnce(exchangeHome, await intendedOrders(home, runId!, env))
    } finally {
      await stop()
    }
  })
})

describe("a day stopped part-way names the command that continues that very run", () => {
  /** The command an error line says continues the run, as arguments of `pnpm pipeline`. */
  const continuation = (stderr: string) => {
    const command = /continue it with: pnpm pipeline (.+)$/.exec(stderr.trim().split("\n").at(-1) ?? "")?.[1]
    assert.isDefined(command, stderr)
    return command!.split(" ")
  }

  it("a run of some accounts stopped at Ctrl-C: the command it names (with its --accounts) resumes it", async () => {
    const { exchangeHome, proxy, env, stop } = await heldExchange()
    try {
      const home = tempHome()
      const args = ["run", "daily", "--accounts", "COUNCIL,CLAUDE,GROQ"]
      const { code, stderr } = await stopMidExecution(home, proxy, env, "SIGINT", args)
      assert.strictEqual(code, 130, stderr)
      const runId = /^Starting run (\S+)/m.exec(stderr)?.[1]
      assert.deepStrictEqual(continuation(stderr), ["run", "daily", "--date", "2026-06-08", "--accounts", "CLAUDE,GROQ,COUNCIL"])

      const resumed = await cliInProcess(home, continuation(stderr), env)
      assert.strictEqual(resumed.code, 0, resumed.stdout + resumed.stderr)
      assert.match(resumed.stderr, new RegExp(`^Resuming run ${runId}`, "m"))
      assertExactlyOnce(exchangeHome, await intendedOrders(home, runId!, env))
    } finally {
      await stop()
    }
  })

  it("an approval stopped at Ctrl-C while sending names the command that resumes the run, so does approving again, and it does", async () => {
    const { exchangeHome, proxy, env, stop } = await heldExchange()
    try {
      const home = tempHome()
      const gated = await cliInProcess(home, ["run", "daily", "--require-approval", "--accounts", "COUNCIL,CLAUDE,GROQ"], env)
      assert.strictEqual(gated.code, 0, gated.stderr)
      const runId = runIdOf(gated.stdout)
      const { code, stderr } = await stopMidExecution(home, proxy, env, "SIGINT", ["approve", runId])
      assert.strictEqual(code, 130, stderr)
      assert.deepStrictEqual(continuation(stderr), ["run", "daily", "--date", "2026-06-08", "--accounts", "CLAUDE,GROQ,COUNCIL"])

      const again = await cliInProcess(home, ["approve", runId], env)
      assert.strictEqual(again.code, 2, again.stdout + again.stderr)
      assert.strictEqual(
        again.stderr,
        `error: run ${runId} was approved and stopped part-way (its process ended or is still sending); continue it with: pnpm pipeline run daily --date 2026-06-08 --accounts CLAUDE,GROQ,COUNCIL\n`
      )
      const resumed = await cliInProcess(home, continuation(again.stderr), env)
      assert.strictEqual(resumed.code, 0, resumed.stdout + resumed.stderr)
      assert.match(resumed.stderr, new RegExp(`^Resuming run ${runId}`, "m"))
      assertExactlyOnce(exchangeHome, await intendedOrders(home, runId, env))
    } finally {
      await stop()
    }
  })
})

describe("a run against a broker in another session", () => {
  it("runs an earlier day on a fresh `exchange serve` whose accounts were only given keys: an account without an order holds no day", async () => {
    const exchangeHome = tempHome()
    const served = await serveExchange(exchangeHome)
    try {
      const env = { TRADING_ACCOUNTS_CONFIG: accountsConfig(served) }
      const home = tempHome()
      const r = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04"], env)
      assert.strictEqual(r.code, 0, r.stdout + r.stderr)
      assert.isAbove(ordersAtExchange(exchangeHome).size, 0)
      const next = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], env)
      assert.strictEqual(next.code, 0, next.stdout + next.stderr)
    } finally {
      await served.stop()
    }
  })

  it("refuses up front a day before the one `exchange serve` has traded its accounts up to: no run, no order", async () => {
    const exchangeHome = tempHome()
    const served = await serveExchange(exchangeHome)
    try {
      const env = { TRADING_ACCOUNTS_CONFIG: accountsConfig(served) }
      const first = await cliInProcess(tempHome(), ["run", "daily"], env)
      assert.strictEqual(first.code, 0, first.stdout + first.stderr)
      const placed = ordersAtExchange(exchangeHome).size
      assert.isAbove(placed, 0)
      const home = tempHome()
      const r = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04"], env)
      assert.strictEqual(r.code, 2, r.stdout + r.stderr)
      assert.strictEqual(r.stdout, "")
      assert.match(
        r.stderr.trim(),
        /^error: refusing to send orders for 2026-06-04 to \w+: its broker refused: GET \/v2\/clock: 422 the local exchange has traded \w+ into 2026-06-08; cannot trade 2026-06-04$/
      )
      assert.match((await cliInProcess(home, ["runs"], env)).stdout, /^no runs yet/)
      assert.strictEqual(ordersAtExchange(exchangeHome).size, placed)

      // a dry run cannot read that day either: refused up front too, not six accounts failing "run the day again"
      const dry = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04", "--dry-run", "--json"], env)
      assert.strictEqual(dry.code, 2, dry.stdout + dry.stderr)
      // with --json the refusal is the one document on stdout: its exit code and stderr's line
      assert.deepStrictEqual(JSON.parse(dry.stdout), { error: { exitCode: 2, message: dry.stderr.trim().replace(/^error: /, "") } })
      assert.match(
        dry.stderr.trim(),
        /^error: cannot read 2026-06-04 at \w+'s broker, even for a dry run: it refused: GET \/v2\/clock: 422 the local exchange has traded \w+ into 2026-06-08; cannot trade 2026-06-04 \(a replay without --from reads that day's run from its recordings instead\)$/
      )
      assert.match((await cliInProcess(home, ["runs"], env)).stdout, /^no runs yet/)
    } finally {
      await served.stop()
    }
  })

  it("refuses to send orders for a day that is not the broker's current session", async () => {
    const server = testServer((req, res) => {
      res.setHeader("content-type", "application/json")
      if (req.url?.startsWith("/v2/clock")) {
        res.end(JSON.stringify({ timestamp: "2026-11-23T10:15:00.000-05:00", is_open: true, next_open: "2026-11-24T09:30:00-05:00", next_close: "2026-11-23T16:00:00-05:00" }))
      } else {
        res.statusCode = 500
        res.end(JSON.stringify({ message: `unexpected ${req.method} ${req.url}` }))
      }
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    try {
      const { port } = server.address() as AddressInfo
      const env = {
        TRADING_ACCOUNTS_CONFIG: JSON.stringify([{ id: "COUNCIL", mode: "PAPER", credentials: { keyId: "k", secretKey: "s" }, baseUrl: `http://127.0.0.1:${port}` }])
      }
      const r = await cliInProcess(tempHome(), ["run", "daily"], env)
      assert.strictEqual(r.code, 2, r.stderr)
      assert.strictEqual(r.stderr.trim(), `error: refusing to send orders for 2026-06-08 to 127.0.0.1:${port}: its current session is 2026-11-23 (use --dry-run, or replay a past day)`)
      // the gate reads the account, its positions and its orders at once: the message names whichever failed first
      const dry = await cliInProcess(tempHome(), ["run", "daily", "--dry-run"], env)
      assert.strictEqual(dry.code, 1, dry.stderr)
      assert.match(dry.stdout, /^COUNCIL\s+failed\s.*not evaluated, nothing sent: could not read the account: GET \/v2\/(account|positions|orders): 500 unexpected GET/m)
      assert.match(dry.stderr.trim().split("\n").at(-1) ?? "", /^error: 1 of 1 accounts failed: COUNCIL$/)
    } finally {
      server.close()
    }
  })
})

import { assert, describe, it } from "@effect/vitest"
import { fetchFresh, startServer } from "../../server/test/MonitorHome.ts"
import { runIdOf, spawnCli, tempHome } from "./CliHarness.ts"
import { type ReadFault, readFault, type ServedExchange, serveExchange } from "./ExchangeProcess.ts"
import { cliInProcess, FAST_ALPACA_RETRY } from "./InProcess.ts"

/** Every served account, `through`'s (one or more) by `url`. */
const configVia = (served: ServedExchange, through: string | ReadonlyArray<string>, url: string) =>
  JSON.stringify(served.keys.map((k) => ({
    id: k.account,
    mode: "PAPER",
    credentials: { keyId: k.keyId, secretKey: k.secretKey },
    baseUrl: k.account === through || (typeof through !== "string" && through.includes(k.account)) ? url : served.url
  })))

const equityDays = (csv: string, account: string) =>
  csv.trim().split("\n").slice(1).map((line) => line.split(",")).filter((cells) => cells[0] === account).map((cells) => cells[1])

/** `GEMINI`'s points of `/api/equity`, by date. */
const apiEquityDays = async (home: string, env: Record<string, string>) => {
  const server = await startServer(home, env)
  try {
    const body = await (await fetchFresh(`${server.url}/api/equity`)).json() as { readonly accounts: ReadonlyArray<{ readonly account: string; readonly points: ReadonlyArray<{ readonly date: string }> }> }
    return Object.fromEntries(body.accounts.map((a) => [a.account, a.points.map((p) => p.date)]))
  } finally {
    await server.stop()
  }
}

const cliOk = async (home: string, args: ReadonlyArray<string>, env: Record<string, string>) => {
  const r = await cliInProcess(home, args, env)
  assert.strictEqual(r.code, 0, `${args.join(" ")}: ${r.stderr}`)
  return r.stdout
}

/**
 * Every test's setting: an exchange served, GEMINI's requests through `readFault`, and a fresh home whose `env` sends
 * `through`'s accounts by the proxy; both stopped after `body`.
 */
const withReadFault = async (
  through: string | ReadonlyArray<string>,
  body: (on: { readonly served: ServedExchange; readonly proxy: ReadFault; readonly home: string; readonly env: Record<string, string> }) => Promise<void>
) => {
  const served = await serveExchange(tempHome())
  const proxy = await readFault(served.url, served.keys.find((k) => k.account === "GEMINI")!.keyId)
  try {
    await body({ served, proxy, home: tempHome(), env: { TRADING_ACCOUNTS_CONFIG: configVia(served, through, proxy.url) } })
  } finally {
    await proxy.close()
    await served.stop()
  }
}

describe("an account whose reconciliation failed though it traded", () => {
  it("is named by runs with how to fill the day; the day run again reads it alone and sends nothing", () =>
    withReadFault("GEMINI", async ({ proxy, home, env }) => {
      proxy.failing = false
      await cliOk(home, ["run", "daily", "--date", "2026-06-04"], env)

      proxy.failing = true
      const friday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], env)
      // every account traded: the day's orders are at the broker, GEMINI's among them
      assert.strictEqual(friday.code, 0, friday.stderr)
      assert.match(friday.stdout, /^GEMINI\s+succeeded\s+1\s+0\s+-\s/m)
      assert.match(friday.stderr, /could not read GEMINI \(the session has no snapshot of it until the day is run again\)/)
      // the operator hears it (stderr and Slack), with the command
      assert.include(friday.stderr, "WARN No snapshot of GEMINI for 2026-06-05 — the day's reconciliation could not read it: its equity and the leaderboard miss the day until it is read; run the day again to read it alone (nothing is placed again): pnpm pipeline run daily --date 2026-06-05")
      const first = runIdOf(friday.stdout)
      const placed = proxy.seen.filter((s) => s === "POST /v2/orders").length
      assert.isAbove(placed, 0)

      // what the gap is: GEMINI has no point that day (CSV and API); the leaderboard leaves the day out for all
      assert.deepStrictEqual(equityDays(await cliOk(home, ["equity", "--csv"], env), "GEMINI"), ["2026-06-04"])
      assert.deepStrictEqual(equityDays(await cliOk(home, ["equity", "--csv"], env), "CLAUDE"), ["2026-06-04", "2026-06-05"])
      const api = await apiEquityDays(home, env)
      assert.deepStrictEqual([api["GEMINI"], api["CLAUDE"]], [["2026-06-04"], ["2026-06-04", "2026-06-05"]])
      assert.include(await cliOk(home, ["leaderboard"], env), "share 1 session")
      // runs says so, and how to fill it
      const runs = await cliOk(home, ["runs"], env)
      assert.include(
        runs,
        `run ${first}: the day has no snapshot of GEMINI (the broker could not be read: GET /v2/account/activities/FILL: 403 fills are not available right now): \`equity\` has no point of it on 2026-06-05 and the leaderboard leaves the day out; run the day again to read it alone (nothing is placed again): pnpm pipeline run daily --date 2026-06-05`
      )

      proxy.failing = false
      const seen = proxy.seen.length
      // after the close, past the cutoff for sending: reading sends nothing, so it is not refused
      const again = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--at", "16:30"], env)
      assert.strictEqual(again.code, 0, again.stderr)
      assert.include(again.stderr, `already ran as ${first}; reading GEMINI again, which no reconciliation of the day could read (the session has no snapshot of it); nothing is placed again.`)
      assert.match(again.stderr, /✓ Reconcile\s+\d+ ms {2}1 account read/)
      assert.notInclude(again.stderr, "No snapshot")
      assert.match(again.stderr, /Run started 2026-06-05 — .* \| reads GEMINI again, sends nothing/)
      // exactly once: the retry read GEMINI and sent it nothing (its order is the first run's, at the exchange)
      const retried = proxy.seen.slice(seen)
      assert.include(retried, "GET /v2/account/activities/FILL")
      assert.deepStrictEqual(retried.filter((s) => !s.startsWith("GET ")), [])
      const retry = runIdOf(again.stdout)
      assert.notStrictEqual(retry, first)
      assert.match(again.stdout, /^GEMINI\s+succeeded\s+1\s+0\s+\$[\d,.]+\s/m)

      // the day is whole: equity (CLI and API) and the leaderboard have it; runs says it was read again
      assert.deepStrictEqual(equityDays(await cliOk(home, ["equity", "--csv"], env), "GEMINI"), ["2026-06-04", "2026-06-05"])
      assert.deepStrictEqual((await apiEquityDays(home, env))["GEMINI"], ["2026-06-04", "2026-06-05"])
      assert.notInclude(await cliOk(home, ["leaderboard"], env), "share 1 session")
      const after = await cliOk(home, ["runs"], env)
      assert.include(after, `run ${first}: its reconciliation could not read GEMINI; read again as ${retry}`)
      assert.notInclude(after, "has no snapshot")
      // the retry replays from its own recordings
      const replayed = await cliInProcess(home, ["replay", retry], env)
      assert.include(replayed.stdout + replayed.stderr, `replay of ${retry}: every stage identical`)
      // and the day is done: nothing read or placed again
      const third = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], env)
      assert.strictEqual(third.code, 0, third.stderr)
      assert.match(third.stderr, /nothing is placed again\.$/m)
      assert.strictEqual(proxy.seen.filter((s) => s === "POST /v2/orders").length, placed)
    }), 120_000)

  it("once a later session has read the account, the day run again says the gap stays and why, reading nothing", () =>
    withReadFault("GEMINI", async ({ proxy, home, env }) => {
      const thursday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04"], env)
      assert.strictEqual(thursday.code, 0, thursday.stderr)
      const first = runIdOf(thursday.stdout)
      proxy.failing = false
      await cliOk(home, ["run", "daily", "--date", "2026-06-05"], env)
      const seen = proxy.seen.length
      const again = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04"], env)
      assert.strictEqual(again.code, 0, again.stderr)
      assert.include(
        again.stderr,
        `already ran as ${first}; nothing is placed again. The day has no snapshot of GEMINI (no reconciliation of 2026-06-04 could read it), and it can no longer be taken: the ledger has recorded it at a later session.`
      )
      assert.deepStrictEqual(proxy.seen.slice(seen).filter((s) => !s.startsWith("GET /v2/clock")), [])
      assert.deepStrictEqual(equityDays(await cliOk(home, ["equity", "--csv"], env), "GEMINI"), ["2026-06-05"])
      const runs = await cliOk(home, ["runs"], env)
      assert.match(runs, new RegExp(`run ${first}: the day has no snapshot of GEMINI \\(.*\\): .* leaves the day out; it can no longer be taken: 2026-06-05-\\w+ read GEMINI at a later session`))
    }), 120_000)

  it("beside an account whose execution failed, the retry sends that one's orders and reads both, sending the traded one nothing", () =>
    withReadFault("GEMINI", async ({ served, proxy, home }) => {
      const good = configVia(served, "GEMINI", proxy.url)
      // GROQ's key refused (401): it reads nothing and sends nothing until it is fixed
      const refused = JSON.stringify((JSON.parse(good) as ReadonlyArray<{ readonly id: string; readonly credentials: object }>).map((a) =>
        a.id === "GROQ" ? { ...a, credentials: { ...a.credentials, secretKey: "revokedRevokedRevokedRevokedRevoked0000" } } : a
      ))
      const friday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], { TRADING_ACCOUNTS_CONFIG: refused })
      assert.strictEqual(friday.code, 1, friday.stderr)
      assert.match(friday.stdout, /^GROQ\s+failed\s/m)
      assert.match(friday.stdout, /^GEMINI\s+succeeded\s+1\s/m)
      assert.match(friday.stderr, /could not read GEMINI, GROQ \(/)
      const placed = proxy.seen.filter((s) => s === "POST /v2/orders").length
      proxy.failing = false
      const seen = proxy.seen.length
      const again = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"], { TRADING_ACCOUNTS_CONFIG: good })
      assert.strictEqual(again.code, 0, again.stderr)
      assert.include(again.stderr, "; retrying GROQ with the same orders (same client order ids: what reached the broker is not placed again); reading GEMINI, GROQ first (no reconciliation of the day could).")
      assert.match(again.stderr, /✓ Reconcile\s+\d+ ms {2}2 accounts read/)
      assert.match(again.stdout, /^GROQ\s+succeeded\s+1\s/m)
      assert.deepStrictEqual(proxy.seen.slice(seen).filter((s) => !s.startsWith("GET ")), [])
      assert.strictEqual(proxy.seen.filter((s) => s === "POST /v2/orders").length, placed)
      const csv = await cliOk(home, ["equity", "--csv"], { TRADING_ACCOUNTS_CONFIG: good })
      assert.deepStrictEqual([equityDays(csv, "GEMINI"), equityDays(csv, "GROQ")], [["2026-06-05"], ["2026-06-05"]])
    }), 120_000)
  it("a read-only retry killed part-way is not continued once the broker is past the day (refused before it reads); on the day, past the cutoff, it is", () =>
    withReadFault("GEMINI", async ({ proxy, home, env }) => {
      const thursday = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04"], env)
      assert.strictEqual(thursday.code, 0, thursday.stderr)
      // the day run again reads GEMINI alone: killed while its fills are asked, before its reconciliation's checkpoint
      proxy.failing = false
      let held: () => void = () => undefined
      const holding = new Promise<void>((resolve) => (held = resolve))
      proxy.hold = held
      const killed = spawnCli(home, ["run", "daily", "--date", "2026-06-04"], env)
      await holding
      killed.child.kill("SIGKILL")
      await killed.exited
      // the broker's present is the next session: continuing the read now would record 2026-06-05's GEMINI as
      // 2026-06-04's snapshot — refused up front (exit 2), as a run that sends is, and GEMINI is not read
      proxy.clockAt = "2026-06-05T15:50:00-04:00"
      const seen = proxy.seen.length
      const again = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04"], env)
      assert.strictEqual(again.code, 2, again.stderr + again.stdout)
      assert.include(again.stderr, "refusing to send orders for 2026-06-04")
      assert.include(again.stderr, "its current session is 2026-06-05")
      assert.deepStrictEqual(proxy.seen.slice(seen).filter((s) => s !== "GET /v2/clock"), [])
      assert.deepStrictEqual(equityDays(await cliOk(home, ["equity", "--csv"], env), "GEMINI"), [])
      // on the day, after the close (past the cutoff for sending), it is continued: it reads GEMINI and sends nothing
      proxy.clockAt = undefined
      const read = await cliInProcess(home, ["run", "daily", "--date", "2026-06-04", "--at", "16:30"], env)
      assert.strictEqual(read.code, 0, read.stderr)
      assert.match(read.stderr, /Resuming run .* trading day 2026-06-04/)
      assert.deepStrictEqual(proxy.seen.slice(seen).filter((s) => !s.startsWith("GET ")), [])
      assert.deepStrictEqual(equityDays(await cliOk(home, ["equity", "--csv"], env), "GEMINI"), ["2026-06-04"])
    }), 120_000)
  it("read again by a retry, an account stays read: a later retry of another account (the first run's reconciliation copied) neither warns nor reads it again", () =>
    withReadFault(["GEMINI", "GROQ"], async ({ served, proxy, home, env }) => {
      const groq = served.keys.find((k) => k.account === "GROQ")!
      const day = (args: ReadonlyArray<string> = []) => cliInProcess(home, ["run", "daily", "--date", "2026-06-05", ...args], env, { alpacaRetry: FAST_ALPACA_RETRY })
      // GEMINI traded but could not be read; GROQ was read but its orders could not be sent
      proxy.ordersDownFor = groq.keyId
      const first = await day()
      assert.strictEqual(first.code, 1, first.stderr)
      assert.match(first.stdout, /^GROQ\s+failed\s/m)
      assert.match(first.stderr, /could not read GEMINI \(/)
      // the retry reads GEMINI (its snapshot is taken) and GROQ fails again
      proxy.failing = false
      const second = await day()
      assert.strictEqual(second.code, 1, second.stderr)
      assert.include(second.stderr, "reading GEMINI first")
      assert.deepStrictEqual(equityDays(await cliOk(home, ["equity", "--csv"], env), "GEMINI"), ["2026-06-05"])
      // the next retry sends GROQ's orders; GEMINI is not read again, nor said to have no snapshot
      proxy.ordersDownFor = undefined
      const third = await day()
      assert.strictEqual(third.code, 0, third.stderr)
      assert.notInclude(third.stderr, "reading GEMINI")
      assert.notInclude(third.stderr, "No snapshot")
      const seen = proxy.seen.length
      const fourth = await day()
      assert.strictEqual(fourth.code, 0, fourth.stderr)
      assert.match(fourth.stderr, /nothing is placed again\.$/m)
      assert.deepStrictEqual(proxy.seen.slice(seen).filter((s) => s !== "GET /v2/clock"), [])
    }), 120_000)
})

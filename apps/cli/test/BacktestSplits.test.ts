import { assert, describe, it } from "@effect/vitest"
import type { Server } from "node:http"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"
import { alpacaActions, type FakeAction } from "../../../packages/market/test/actionServers.ts"
import { alpacaBars, barsOf, type FakeBar, type Recorded, SESSIONS } from "../../../packages/market/test/providerServers.ts"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

const TEN = ["SPY", "QQQ", "IWM", "TLT", "HYG", "GLD", "USO", "UUP", "XLE", "XLF"]
const EX_DATE = "2024-06-10"
const KEY = "AKSPLITKEY0001"
const SECRET = "split-secret-never-shown"

/** Every ETF through a 1:8 reverse split on `EX_DATE`: its raw prices eight times the smooth ones from then on. */
const splitBars = (symbol: string): ReadonlyArray<FakeBar> =>
  barsOf(symbol).map((b) => b.date < EX_DATE ? b : { ...b, open: b.open * 8, high: b.high * 8, low: b.low * 8, close: b.close * 8, volume: b.volume / 8 })

const feed = async (bars: Readonly<Record<string, ReadonlyArray<FakeBar>>>, actions: ReadonlyArray<FakeAction>) => {
  const handle = alpacaActions(actions, alpacaBars({ bars, keyId: KEY, secretKey: SECRET }))
  const server: Server = testServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1")
    const recorded: Recorded = { path: url.pathname, query: url.searchParams, headers: req.headers, at: Date.now() }
    const reply = handle(recorded)
    res.writeHead(reply.status, { "content-type": "application/json" })
    res.end(JSON.stringify(reply.body))
  })
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((done) => server.close(() => done())) }
}

/** Each account's equity on each session of the latest backtest, over `bars` (and `actions`) from Alpaca. */
const backtest = async (bars: Readonly<Record<string, ReadonlyArray<FakeBar>>>, actions: ReadonlyArray<FakeAction>) => {
  const server = await feed(bars, actions)
  try {
    const home = tempHome()
    const env = { COUNCIL_DATA: "alpaca", COUNCIL_DATA_URL: server.url, ALPACA_PERSONAL_KEY_ID: KEY, ALPACA_PERSONAL_SECRET_KEY: SECRET }
    const ran = await cliInProcess(home, ["backtest", "--from", "2024-06-03", "--to", "2024-06-14", "--json"], env)
    assert.strictEqual(ran.code, 0, ran.stderr)
    const csv = await cliInProcess(home, ["equity", "--backtest", "latest", "--csv"], env)
    assert.strictEqual(csv.code, 0, csv.stderr)
    const [header, ...rows] = csv.stdout.trim().split("\n").map((line) => line.split(","))
    const column = (name: string) => header!.indexOf(name)
    return new Map(rows.map((r) => [`${r[column("account")]} ${r[column("date")]}`, { equity: Number(r[column("equity")]), gross: Number(r[column("gross_exposure")]), spy: Number(r[column("spy_benchmark")]) }]))
  } finally {
    await server.close()
  }
}

describe("a backtest on a remote feed over a split", () => {
  it("on raw bars with the split reported, every account's equity is the one of the same backtest on bars that never split (to rounding), and SPY buy-and-hold too", async () => {
    const smooth = Object.fromEntries(TEN.map((s) => [s, barsOf(s)]))
    const raw = Object.fromEntries(TEN.map((s) => [s, splitBars(s)]))
    const actions: ReadonlyArray<FakeAction> = TEN.map((symbol) => ({ kind: "split", symbol, exDate: EX_DATE, newRate: 1, oldRate: 8 }))
    const expected = await backtest(smooth, [])
    const seen = await backtest(raw, actions)
    assert.sameMembers([...seen.keys()], [...expected.keys()])
    assert.isTrue(SESSIONS.includes(EX_DATE))
    // some account held something through the split, or the comparison would show nothing
    assert.isTrue([...expected].some(([key, point]) => key.endsWith("2024-06-07") && point.gross > 0))
    for (const [key, point] of expected) {
      const got = seen.get(key)!
      // a position bought after the split is an eighth as many shares: whole-share sizing rounds differently
      assert.approximately(got.equity, point.equity, 5, key)
      assert.approximately(got.spy, point.spy, 1e-6, key)
    }
  }, 240_000)
})

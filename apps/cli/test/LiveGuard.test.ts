import { assert, describe, it } from "@effect/vitest"
import { existsSync, readFileSync } from "node:fs"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import { createServer } from "node:net"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { cliAsync, tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

const watch = new URL("./ConnectionWatch.ts", import.meta.url).pathname

/** `pnpm pipeline …` as a real process with every TCP connection attempt logged (and Alpaca's hosts diverted). */
const watched = async (home: string, args: ReadonlyArray<string>, env: Record<string, string>, sink: number) => {
  const log = join(home, "..", `connections-${args.join("-")}.log`)
  const r = await cliAsync(home, args, { COUNCIL_TEST_CONNECTIONS: log, COUNCIL_TEST_LIVE_SINK: String(sink), ...env }, ["--import", watch])
  return { ...r, connections: existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter((l) => l !== "") : [] }
}

const KEY = "PKLIVEWATCH7Q2M9X4R1Z"
const LIVE_KEY = "AKLIVEWATCH7Q2M9X4R1Z"
const SECRET = "sk-live-watch-4f3e2d1c0b9a8f7e6d5c"
const perAccount = (baseUrl: string) => ({ COUNCIL_ACCOUNTS: "COUNCIL", ALPACA_COUNCIL_KEY_ID: KEY, ALPACA_COUNCIL_SECRET_KEY: SECRET, ALPACA_COUNCIL_BASE_URL: baseUrl })

describe("the LIVE guard in the binary", () => {
  it("refuses a PAPER account pointed at Alpaca's live host on every route, and a LIVE one with a paper key, before any connection; a confirmed LIVE account does connect", async () => {
    const sink = createServer((socket) => socket.destroy())
    const accepted: Array<string> = []
    sink.on("connection", (socket) => accepted.push(String(socket.remotePort)))
    await new Promise<void>((done) => sink.listen(0, "127.0.0.1", done))
    const port = (sink.address() as AddressInfo).port
    try {
      const routes: ReadonlyArray<ReadonlyArray<string>> = [["verify"], ["run", "daily"], ["close-all", "--yes"], ["exchange", "keys"]]
      const live = (keyId: string) => ({ TRADING_ACCOUNTS_CONFIG: JSON.stringify([{ id: "COUNCIL", mode: "LIVE", liveConfirmed: true, credentials: { keyId, secretKey: SECRET }, settings: { dryRun: false } }]), COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY" })
      const [confirmed, paperKey, ...refused] = await Promise.all([
        watched(tempHome(), ["verify"], live(LIVE_KEY), port),
        watched(join(tempHome(), "home"), ["close-all", "--yes"], live(KEY), port),
        ...routes.map((args) => watched(join(tempHome(), "home"), args, perAccount("https://api.alpaca.markets"), port))
      ])
      assert.strictEqual(paperKey!.code, 2, paperKey!.stderr)
      assert.match(paperKey!.stderr.trim(), /^error: TRADING_ACCOUNTS_CONFIG: COUNCIL: its mode is LIVE but its key id is one of Alpaca's paper keys \(PK…\)/)
      assert.deepStrictEqual(paperKey!.connections, [])
      for (const [i, r] of refused.entries()) {
        assert.strictEqual(r.code, 2, `${routes[i]!.join(" ")}: ${r.stderr}`)
        assert.match(r.stderr.trim(), /^error: per-account variables: COUNCIL: its base URL is Alpaca's live trading host/)
        assert.deepStrictEqual(r.connections, [], routes[i]!.join(" "))
        assert.notInclude(r.stderr + r.stdout, SECRET)
      }
      assert.strictEqual(confirmed!.code, 1, confirmed!.stderr)
      assert.include(confirmed!.connections, "api.alpaca.markets:443")
      assert.isAbove(accepted.length, 0)
      assert.notInclude(confirmed!.stderr + confirmed!.stdout, SECRET)
    } finally {
      sink.close()
    }
  })

  it("follows no redirect from a paper server on 127.0.0.1 to Alpaca's live host, on reads and on the panic button", async () => {
    const sink = createServer((socket) => socket.destroy())
    const accepted: Array<string> = []
    sink.on("connection", (socket) => accepted.push(String(socket.remotePort)))
    const redirector = testServer((req, res) => res.writeHead(307, { location: `https://api.alpaca.markets${req.url ?? "/"}` }).end())
    await Promise.all([sink, redirector].map((server) => new Promise<void>((done) => server.listen(0, "127.0.0.1", done))))
    const port = (server: { address: () => unknown }) => (server.address() as AddressInfo).port
    try {
      const env = perAccount(`http://127.0.0.1:${port(redirector)}`)
      const results = await Promise.all([["accounts"], ["close-all", "--yes"]].map((args) => watched(join(tempHome(), "home"), args, env, port(sink))))
      for (const r of results) {
        assert.strictEqual(r.code, 1, r.stderr)
        assert.include(r.stdout + r.stderr, "307 a redirect, not followed")
        assert.notInclude(r.connections, "api.alpaca.markets:443")
        assert.notInclude(r.stderr + r.stdout, SECRET)
      }
      assert.deepStrictEqual(accepted, [])
    } finally {
      sink.close()
      redirector.close()
    }
  })

  it("the in-process harness the bad-input table uses answers exactly as the binary does", async () => {
    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, Record<string, string>]> = [
      [["run", "daily", "--accounts", ",,,"], {}],
      [["verify"], perAccount("HTTPS://API.ALPACA.MARKETS.")],
      [["accounts"], { COUNCIL_SLIPPAGE_BPS: "abc" }],
      [["exchange", "serve", "--date", "2026-06-06"], { TRADING_ACCOUNTS_CONFIG: `[{"id":"COUNCIL","credentials":{"secretKey":${SECRET}}}]` }]
    ]
    const homes = cases.map(() => join(tempHome(), "home"))
    const binary = await Promise.all(cases.map(([args, env], i) => cliAsync(homes[i]!, args, env)))
    for (const [i, [args, env]] of cases.entries()) {
      const inProcess = await cliInProcess(homes[i]!, args, env)
      assert.deepStrictEqual(inProcess, binary[i], args.join(" "))
      assert.isFalse(existsSync(homes[i]!))
    }
  })
})

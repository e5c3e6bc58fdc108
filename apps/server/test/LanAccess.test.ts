/**
 * The monitor on a LAN and behind a reverse proxy, as real `pnpm pipeline serve` processes:
 * - `--host 0.0.0.0` keeps the DNS-rebinding guard: requests addressed to a name it was not given (`--allowed-host`,
 *   `COUNCIL_ALLOWED_HOSTS`) are refused, by address they are answered; a bad name is refused at start (exit 2);
 * - a client that keeps sending a wrong bearer token is throttled (429, `Retry-After`), whatever token it then sends,
 *   while reads and other clients are not;
 * - `X-Forwarded-*` are believed from a `--trust-proxy` address only: then the throttle sees the forwarded client and
 *   the same-origin check the name the browser used; otherwise they change nothing.
 */
import { type IncomingHttpHeaders, request } from "node:http"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { type ServerProcess, startServer } from "./MonitorHome.ts"

const TOKEN = "lan-access-test-token-0123456789"
const WRONG = "lan-access-wrong-token-987654321"

let home: string
const servers: Array<ServerProcess> = []

const serve = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const server = await startServer(home, { COUNCIL_API_TOKEN: TOKEN, ...env }, args)
  servers.push(server)
  return server
}

/** The server's port on 127.0.0.1 (it may print 0.0.0.0). */
const local = (server: ServerProcess) => `http://127.0.0.1:${new URL(server.url).port}`

interface Answer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly text: string
}

/** A request through `node:http`, which sends the `Host` it is given (`fetch` writes its own). */
const send = (server: ServerProcess, method: string, path: string, headers: Record<string, string>, body?: string) =>
  new Promise<Answer>((resolve, reject) => {
    const req = request(`${local(server)}${path}`, { method, headers, agent: false }, (res) => {
      let text = ""
      res.setEncoding("utf8").on("data", (chunk: string) => text += chunk).on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }))
    })
    req.on("error", reject)
    req.end(body)
  })

const get = (server: ServerProcess, path: string, headers: Record<string, string> = {}) => send(server, "GET", path, headers)

/** An approval of a run that does not exist: once authenticated, a 404 that changes nothing. */
const approve = (server: ServerProcess, token: string, headers: Record<string, string> = {}) =>
  send(server, "POST", "/api/runs/2025-01-02-00000000/approve", { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers }, "{}")

beforeAll(() => {
  home = tempHome()
})

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()))
})

describe("serve --host 0.0.0.0", () => {
  it("answers requests by address and by the names it was given, and refuses any other name (DNS rebinding)", async () => {
    const server = await serve(["--host", "0.0.0.0", "--allowed-host", "Council.LAN"], { COUNCIL_ALLOWED_HOSTS: "monitor.example.org, other.lan" })
    assert.match(server.output(), /answers requests addressed to: localhost, IP addresses, monitor\.example\.org, other\.lan, council\.lan/)
    for (const host of ["127.0.0.1", "192.168.1.20:8080", "[fe80::1]", "council.lan:8080", "MONITOR.example.org", "other.lan"]) {
      assert.strictEqual((await get(server, "/api/runs", { host })).status, 200, host)
    }
    const refused = await get(server, "/api/runs", { host: "attacker.example:8080" })
    assert.strictEqual(refused.status, 403)
    const body = JSON.parse(refused.text) as { readonly message: string }
    assert.match(body.message, /not "attacker\.example"; to reach it by that name, start it with --allowed-host attacker\.example/)
    // the dashboard too: a rebinding page reads nothing
    assert.strictEqual((await get(server, "/", { host: "attacker.example" })).status, 403)
  }, 60_000)

  it("with no name given, answers by address only", async () => {
    const server = await serve(["--host", "0.0.0.0"])
    assert.match(server.output(), /answers requests addressed to: localhost, IP addresses \(other names: --allowed-host NAME\)/)
    assert.strictEqual((await get(server, "/api/runs", { host: "10.0.0.7:8080" })).status, 200)
    assert.strictEqual((await get(server, "/api/runs", { host: "council.lan:8080" })).status, 403)
  }, 60_000)

  it("sends the opener policy where a browser applies it (localhost, HTTPS), not to a LAN address over HTTP, where Chromium logs it as an error", async () => {
    const server = await serve(["--host", "0.0.0.0"])
    const opener = async (headers: Record<string, string>) => (await get(server, "/", headers)).headers["cross-origin-opener-policy"]
    assert.isUndefined(await opener({ host: "10.0.0.7:8080" }))
    assert.isUndefined(await opener({ host: "[fe80::1]:8080" }))
    assert.strictEqual(await opener({ host: "10.0.0.7:8080", "x-forwarded-proto": "https" }), "same-origin")
    assert.strictEqual(await opener({ host: "localhost:8080" }), "same-origin")
    assert.strictEqual(await opener({ host: "127.0.0.1:8080" }), "same-origin")
    // the rest goes everywhere
    assert.strictEqual((await get(server, "/", { host: "10.0.0.7:8080" })).headers["x-frame-options"], "DENY")
  }, 60_000)

  it("refuses a name that is no host name at start: one line naming it, exit 2", async () => {
    const flag = await cliInProcess(home, ["serve", "--port", "0", "--allowed-host", "http://council.lan:8080"])
    assert.strictEqual(flag.code, 2)
    assert.match(flag.stderr.trim(), /^error: --allowed-host: "http:\/\/council\.lan:8080" is not a host name/)
    assert.notMatch(flag.stdout, /listening/)
    const env = await cliInProcess(home, ["serve", "--port", "0"], { COUNCIL_ALLOWED_HOSTS: "ok.lan,*.lan" })
    assert.strictEqual(env.code, 2)
    assert.match(env.stderr, /COUNCIL_ALLOWED_HOSTS: "\*\.lan" is not a host name/)
    const proxy = await cliInProcess(home, ["serve", "--port", "0", "--trust-proxy", "the-proxy"])
    assert.strictEqual(proxy.code, 2)
    assert.match(proxy.stderr, /--trust-proxy: "the-proxy" is not an IP address or network/)
  }, 60_000)
})

describe("serve on 127.0.0.1", () => {
  it("also answers the names it was given (a reverse proxy that keeps the browser's Host)", async () => {
    const server = await serve(["--allowed-host", "council.example.com"])
    assert.strictEqual((await get(server, "/api/runs", { host: "council.example.com" })).status, 200)
    assert.strictEqual((await get(server, "/api/runs", { host: "192.168.1.20:8080" })).status, 403)
  }, 60_000)
})

describe("a client that keeps failing authentication", () => {
  it("is answered 429 with Retry-After after 10 failures, even with the right token; reads are not", async () => {
    const server = await serve([])
    assert.strictEqual((await approve(server, TOKEN)).status, 404, "authenticated: the run does not exist")
    for (let i = 0; i < 10; i++) assert.strictEqual((await approve(server, WRONG)).status, 401, `failure ${i + 1}`)
    const throttled = await approve(server, WRONG)
    assert.strictEqual(throttled.status, 429)
    const wait = Number(throttled.headers["retry-after"])
    assert.isTrue(Number.isInteger(wait) && wait > 0 && wait <= 900, `Retry-After ${wait}`)
    assert.match((JSON.parse(throttled.text) as { readonly message: string }).message, /too many requests with a missing or wrong bearer token/)
    assert.strictEqual((await approve(server, TOKEN)).status, 429, "the right token waits too: guessing must not go on")
    assert.strictEqual((await send(server, "POST", "/api/close-all", { "content-type": "application/json" }, "{}")).status, 429)
    assert.strictEqual((await get(server, "/api/runs")).status, 200)
    const doc = JSON.parse((await get(server, "/openapi.json")).text) as { readonly paths: Record<string, { readonly post: { readonly responses: Record<string, unknown> } }> }
    for (const path of ["/api/close-all", "/api/runs/{id}/approve", "/api/backtests"]) assert.property(doc.paths[path]!.post.responses, "429", path)
    // a forwarded address from a client no proxy is trusted for changes nothing: still the same client
    assert.strictEqual((await approve(server, TOKEN, { "x-forwarded-for": "203.0.113.9" })).status, 429)
  }, 60_000)

  it("fewer failures than the limit, then a success: the count starts again", async () => {
    const server = await serve([])
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 9; i++) assert.strictEqual((await approve(server, WRONG)).status, 401)
      assert.strictEqual((await approve(server, TOKEN)).status, 404, `round ${round}`)
    }
  }, 60_000)
})

describe("behind a trusted reverse proxy (--trust-proxy 127.0.0.1)", () => {
  const viaProxy = (client: string, extra: Record<string, string> = {}) => ({
    "x-forwarded-for": client,
    "x-forwarded-host": "council.example.com",
    "x-forwarded-proto": "https",
    ...extra
  })

  it("throttles each forwarded client on its own", async () => {
    const server = await serve(["--trust-proxy", "127.0.0.1", "--allowed-host", "council.example.com"])
    for (let i = 0; i < 10; i++) assert.strictEqual((await approve(server, WRONG, viaProxy("198.51.100.7"))).status, 401)
    assert.strictEqual((await approve(server, WRONG, viaProxy("198.51.100.7"))).status, 429)
    // a spoofed entry before the proxy's own is not the client: the proxy appended the real one last
    assert.strictEqual((await approve(server, TOKEN, viaProxy("203.0.113.1, 198.51.100.7"))).status, 429)
    assert.strictEqual((await approve(server, TOKEN, viaProxy("198.51.100.8"))).status, 404, "another client")
    assert.strictEqual((await approve(server, TOKEN)).status, 404, "the proxy's own address, not forwarded")
  }, 60_000)

  it("checks the name and the origin the browser used, not the proxy's", async () => {
    const server = await serve(["--trust-proxy", "127.0.0.1", "--allowed-host", "council.example.com"])
    const sameSite = viaProxy("198.51.100.20", { origin: "https://council.example.com" })
    assert.strictEqual((await approve(server, TOKEN, sameSite)).status, 404, "the dashboard's own origin, through the proxy")
    const rebound = await get(server, "/api/runs", { "x-forwarded-for": "198.51.100.21", "x-forwarded-host": "attacker.example" })
    assert.strictEqual(rebound.status, 403)
    const crossSite = viaProxy("198.51.100.22", { origin: "https://attacker.example" })
    assert.strictEqual((await approve(server, TOKEN, crossSite)).status, 403)
  }, 60_000)

  it("refuses a rebinding page on a trusted address that forges the forwarded headers: the connection's own Host is checked too", async () => {
    const server = await serve(["--trust-proxy", "127.0.0.1", "--allowed-host", "council.example.com"])
    const port = new URL(local(server)).port
    // attacker.example re-pointed at 127.0.0.1: the browser sends its name in Host, the page adds the rest itself
    for (const forged of ["localhost", "council.example.com"]) {
      const rebound = await get(server, "/api/accounts", { host: `attacker.example:${port}`, "x-forwarded-for": "127.0.0.1", "x-forwarded-host": forged })
      assert.strictEqual(rebound.status, 403, forged)
      assert.match(JSON.parse(rebound.text).message, /not "attacker\.example"/)
    }
    // a proxy that passes the browser's name (Caddy, nginx with proxy_set_header Host $host) or its upstream's address
    for (const host of ["council.example.com", `127.0.0.1:${port}`]) {
      const proxied = await get(server, "/api/accounts", { host, "x-forwarded-for": "198.51.100.24", "x-forwarded-host": "council.example.com" })
      assert.strictEqual(proxied.status, 200, host)
    }
  }, 60_000)

  it("without --trust-proxy, the forwarded headers are not believed: the origin is compared with the proxy's Host", async () => {
    const server = await serve(["--allowed-host", "council.example.com"])
    const forwarded = viaProxy("198.51.100.30", { origin: "https://council.example.com" })
    assert.strictEqual((await approve(server, TOKEN, forwarded)).status, 403)
    assert.strictEqual((await get(server, "/api/runs", { "x-forwarded-host": "attacker.example" })).status, 200, "Host is 127.0.0.1: answered")
  }, 60_000)
})

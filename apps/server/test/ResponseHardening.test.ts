/**
 * What a browser on the operator's machine (or a LAN's) learns from the monitor's answers, and what another origin
 * can make it do: every answer — the API's JSON, its refusals, the dashboard's files, a report page — carries the
 * headers that keep it from being sniffed, framed or embedded; a 401 says how to authenticate and echoes nothing;
 * a mutation sent by a page of another origin is refused even with the right token; no CORS preflight is answered;
 * no path reaches a file beside the dashboard's. A real `pnpm pipeline serve` with `COUNCIL_API_TOKEN` set.
 */
import { chmodSync, statSync } from "node:fs"
import { request } from "node:http"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { type ServerProcess, startServer } from "./MonitorHome.ts"

const TOKEN = "hardening-test-token-5b1e9c3a7d2f"

let server: ServerProcess
/** The server's home, open to every user (0755) as one made by hand is. */
const home = tempHome()

beforeAll(async () => {
  chmodSync(home, 0o755)
  server = await startServer(home, { COUNCIL_API_TOKEN: TOKEN })
}, 60_000)

afterAll(async () => {
  await server?.stop()
})

interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | Array<string> | undefined>>
  readonly body: string
}

/** One request as written (node:http normalises no path), its answer undecoded. */
const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
  new Promise<Answer>((resolve, reject) => {
    const url = new URL(server.url)
    const req = request({ host: url.hostname, port: url.port, method, path, headers, agent: false }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }))
    })
    req.on("error", reject)
    req.end(body)
  })

const closeAll = (headers: Record<string, string>) =>
  send("POST", "/api/close-all", { "content-type": "application/json", ...headers }, JSON.stringify({ account: "CHATGPT" }))

const closeAllsLogged = () => server.output().split("\n").filter((l) => l.includes("close-all requested")).length

describe("the monitor's answers", () => {
  it("every one, whatever wrote it, is neither sniffed, framed, embedded by another origin nor sends a referrer", async () => {
    const answers: Record<string, Answer> = {
      "the dashboard": await send("GET", "/"),
      "its script": await send("GET", "/app.js"),
      "the API": await send("GET", "/api/accounts"),
      "the OpenAPI document": await send("GET", "/openapi.json"),
      "a report page": await send("GET", "/backtests/live/report.html"),
      "an unknown path": await send("GET", "/nope"),
      "a bad query": await send("GET", "/api/runs?limit=abc"),
      "a 401": await closeAll({}),
      "a 415": await send("POST", "/api/close-all", { "content-type": "text/plain", authorization: `Bearer ${TOKEN}` }, "x"),
      "the host guard's 403": await send("GET", "/api/accounts", { host: "rebound.example" })
    }
    for (const [what, answer] of Object.entries(answers)) {
      assert.strictEqual(answer.headers["x-content-type-options"], "nosniff", what)
      assert.strictEqual(answer.headers["cross-origin-resource-policy"], "same-origin", what)
      assert.strictEqual(answer.headers["referrer-policy"], "no-referrer", what)
      assert.match(String(answer.headers["content-security-policy"]), /frame-ancestors 'none'/, what)
      assert.strictEqual(answer.headers["x-frame-options"], "DENY", what)
      // a page that opened one keeps no hold on its tab, where the browser applies it: a loopback name (not rebound.example)
      assert.strictEqual(answer.headers["cross-origin-opener-policy"], what === "the host guard's 403" ? undefined : "same-origin", what)
      assert.isUndefined(answer.headers["access-control-allow-origin"], what)
    }
    // the API's JSON runs nothing even if opened as a page; the dashboard keeps its own policy (its scripts)
    assert.match(String(answers["the API"]!.headers["content-security-policy"]), /^default-src 'none'/)
    assert.match(String(answers["the dashboard"]!.headers["content-security-policy"]), /script-src 'self'/)
    assert.notMatch(String(answers["the dashboard"]!.headers["content-security-policy"]), /unsafe-inline|unsafe-eval/)
    // what the API says of the accounts is kept in no cache (a disk's, a proxy's); the dashboard's files say their own
    for (const what of ["the API", "the OpenAPI document", "an unknown path", "a 401", "the host guard's 403"]) {
      assert.strictEqual(answers[what]!.headers["cache-control"], "no-store", what)
    }
    assert.strictEqual(answers["the dashboard"]!.headers["cache-control"], "no-cache")
  })

  it("a 401 names the scheme (WWW-Authenticate: Bearer) and echoes no token, wrong, in the query string or right", async () => {
    const wrong = "wrong-token-that-must-not-come-back-0af3"
    const refused = [
      await closeAll({}),
      await closeAll({ authorization: `Bearer ${wrong}` }),
      await closeAll({ authorization: `Bearer ${TOKEN.slice(0, -1)}` }),
      await closeAll({ authorization: `Basic ${Buffer.from(`council:${TOKEN}`).toString("base64")}` }),
      await send("POST", `/api/close-all?token=${TOKEN}&access_token=${TOKEN}`, { "content-type": "application/json" }, JSON.stringify({ account: "CHATGPT" }))
    ]
    for (const answer of refused) {
      assert.strictEqual(answer.status, 401, answer.body)
      assert.strictEqual(answer.headers["www-authenticate"], "Bearer realm=\"council\"")
      assert.notInclude(answer.body, TOKEN.slice(0, 12))
      assert.notInclude(answer.body, wrong)
      assert.deepStrictEqual(JSON.parse(answer.body), { _tag: "Unauthorized", message: "missing or wrong bearer token (Authorization: Bearer $COUNCIL_API_TOKEN)" })
    }
    assert.strictEqual(closeAllsLogged(), 0)
    assert.notInclude(server.output(), TOKEN.slice(0, 12))
    assert.notInclude(server.output(), wrong)
  })

  it("a mutation sent by a page of another origin is refused with 403 before it runs, even with the token; one from the monitor's own origin or from curl runs", async () => {
    const host = new URL(server.url).host
    for (const headers of [{ origin: "http://evil.example" }, { origin: "null" }, { origin: `http://${host}.evil.example` }, { "sec-fetch-site": "cross-site" }]) {
      const answer = await closeAll({ authorization: `Bearer ${TOKEN}`, ...headers })
      assert.strictEqual(answer.status, 403, JSON.stringify(headers))
      assert.deepStrictEqual(Object.keys(JSON.parse(answer.body)), ["_tag", "message"])
      assert.match(JSON.parse(answer.body).message, /another origin may change nothing here/)
      assert.strictEqual(answer.headers["x-content-type-options"], "nosniff")
    }
    assert.strictEqual(closeAllsLogged(), 0)
    assert.strictEqual((await closeAll({ authorization: `Bearer ${TOKEN}`, origin: `http://${host}`, "sec-fetch-site": "same-origin" })).status, 200)
    assert.strictEqual((await closeAll({ authorization: `Bearer ${TOKEN}` })).status, 200)
    assert.strictEqual(closeAllsLogged(), 2)
    // reads are not mutations: a page's own GET with an Origin is answered as any other
    assert.strictEqual((await send("GET", "/api/accounts", { origin: "http://evil.example" })).status, 200)
  })

  it("a backtest's accounts are names, never the backtest command's flags, whatever they start with", async () => {
    for (const account of ["--version", "--help", "--resume=latest", "-h"]) {
      const answer = await send("POST", "/api/backtests", { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        JSON.stringify({ from: "2025-06-02", to: "2025-06-04", accounts: [account] }))
      assert.strictEqual(answer.status, 400, account)
      assert.deepStrictEqual(JSON.parse(answer.body), {
        _tag: "BadRequest",
        message: `--accounts: unknown account ${account.toUpperCase()} (configured: CHATGPT, GEMINI, CLAUDE, GROQ, DEEPSEEK, COUNCIL)`
      }, account)
    }
  }, 60_000)

  it("a backtest it starts writes its log for its owner alone (600), in a home every user may read", async () => {
    const answer = await send("POST", "/api/backtests", { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      JSON.stringify({ from: "2025-06-02", to: "2025-06-04", accounts: ["COUNCIL"] }))
    assert.strictEqual(answer.status, 200, answer.body)
    const { id } = JSON.parse(answer.body) as { readonly id: string }
    assert.strictEqual((statSync(join(home, "backtests", `${id}.log`)).mode & 0o777).toString(8), "600")
  }, 60_000)

  it("answers a Host that is a host name or address and a port, as a browser writes it; one a URL parser would read as localhost is refused", async () => {
    const port = new URL(server.url).port
    for (const host of [`localhost:${port}`, `LOCALHOST:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, "localhost"]) {
      assert.strictEqual((await send("GET", "/api/accounts", { host })).status, 200, host)
    }
    for (const host of ["evil.example@localhost", `evil.example@localhost:${port}`, "localhost#@evil.example", "localhost\\evil.example", "localhost/evil.example", "localhost?evil.example", `localhost:${port}:1`, "localhost:"]) {
      const answer = await send("GET", "/api/accounts", { host })
      assert.strictEqual(answer.status, 403, host)
      assert.match(JSON.parse(answer.body).message, /not a request without a valid Host/, host)
    }
  })

  it("answers no CORS preflight: a page of another origin cannot send the token, nor read an answer", async () => {
    const preflight = await send("OPTIONS", "/api/close-all", {
      origin: "http://evil.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type"
    })
    assert.notStrictEqual(preflight.status, 204)
    assert.notStrictEqual(preflight.status, 200)
    assert.deepStrictEqual(Object.keys(preflight.headers).filter((h) => h.startsWith("access-control-")), [])
  })

  it("serves the dashboard's files alone: no path, encoded or not, reaches a file beside them", async () => {
    const paths = [
      "/../package.json", "/..%2fpackage.json", "/%2e%2e/%2e%2e/package.json", "/static/../../package.json", "/app.js/../../package.json",
      "/..%5c..%5cpackage.json", "/app.js%00.html", "/%2fetc%2fpasswd", "//etc/passwd", "/src/Server.ts", "/static/app.js"
    ]
    for (const path of paths) {
      const answer = await send("GET", path)
      assert.strictEqual(answer.status, 404, path)
      assert.notInclude(answer.body, "\"dependencies\"", path)
      assert.notInclude(answer.body, "root:", path)
      assert.strictEqual(answer.headers["content-type"], "application/json", path)
    }
  })
})

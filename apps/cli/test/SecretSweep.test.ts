/**
 * No key leaves the process: with real-looking keys set for every LLM provider and every broker account, the API
 * token, a Slack webhook and an OTLP header, a day where every provider and every account's broker refuses with the
 * caller's own key in its message, a day that trades, the CLI's reports, an export, a backtest's report, every
 * `/api/*` answer, a backtest the server starts (its log) and the spans sent to a local receiver — none of them, nor any file of the home, holds a key,
 * whole or its last 16 characters. Everything on 127.0.0.1: a fake provider, a broker double on Alpaca's wire, a
 * Slack stand-in, an OTLP receiver.
 */
import { readdirSync, readFileSync, statSync } from "node:fs"
import type { IncomingMessage, Server } from "node:http"
import { testServer } from "../../../packages/io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { answerWith, errorWith, type FakeRequest, liveEnv, startFake, validAnswer } from "../../../packages/llm/test/FakeProvider.ts"
import { type ServerProcess, startServer, fetchFresh } from "../../server/test/MonitorHome.ts"
import { cliAsync, type CliResult, runIdOf, tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"
import { startReceiver } from "./OtlpReceiver.ts"
import { slackStandIn } from "./SlackStandIn.ts"
import { storeText } from "./StoredBlobs.ts"

const LLM_KEYS = {
  OPENAI_API_KEY: "sk-proj-FAKE-sweep-Q8vN3kR7tW2yB5mX9cF4hJ6p",
  GEMINI_API_KEY: "AIza-FAKE-sweep-D4k9Lm2Qx7Rt3Vw8Yb1Nc6Hj5",
  ANTHROPIC_API_KEY: "sk-ant-FAKE-sweep-Wm7Kq2Xr9Tz4Vb8Nc3Hd6Jf1",
  GROQ_API_KEY: "gsk_FAKE_sweep_T5rW8qY2uI9oP3aS6dF1gH4",
  DEEPSEEK_API_KEY: "sk-FAKE-sweep-9f2e7d4c1b8a5f3e6d0c9b2a"
}
const ACCOUNTS = ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"].map((id, i) => ({
  id,
  keyId: `PKFAKE${i}X7Q2M9R4V8N3B6C1`,
  secret: `sEcReT${i}aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF`
}))
const API_TOKEN = "council-api-token-R3t6Y9u2I5o8P1a4S7d0"
const OTLP_KEY = "otlp-ingest-key-M4n7B0v3C6x9Z2l5K8j1"

const SECRETS = [...Object.values(LLM_KEYS), ...ACCOUNTS.flatMap((a) => [a.keyId, a.secret]), API_TOKEN, OTLP_KEY, "notARealSecret42"]

/** Every header value a request carried, as a provider or broker that echoes what it was sent would. */
const echoed = (headers: Readonly<Record<string, unknown>>) =>
  Object.entries(headers).filter(([name]) => !["host", "content-length", "content-type", "accept", "connection", "user-agent"].includes(name))
    .map(([name, value]) => `${name}=${String(value)}`).join(" ")

/** Every PM's pitch is refused by its provider with the request's own key in the message (401, 429, 500 in turn). */
const respond = (refuse: boolean) => (r: FakeRequest) => {
  if (refuse && r.kind === "pitch") {
    const status = [401, 429, 500][r.model.length % 3]!
    return errorWith(r, status, "invalid_api_key", `Incorrect API key provided: ${echoed(r.headers)} (full: ${JSON.stringify(r.headers)})`)
  }
  return r.kind === "other" ? undefined : answerWith(r, JSON.stringify(validAnswer(r)))
}

/** Alpaca's wire at 15:45 New York time of 2026-06-08: reads answer an empty account; every order is refused, echoing the key pair. */
const echoingBroker = async () => {
  const server: Server = testServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? "/", "http://x")
    const send = (status: number, body: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))
    if (req.method !== "GET") return send(403, { code: 40310000, message: `key ${echoed(req.headers)} may not trade` })
    if (url.pathname === "/v2/clock") return send(200, { timestamp: "2026-06-08T15:45:00.000-04:00", is_open: true, next_open: "2026-06-08T09:30:00-04:00", next_close: "2026-06-08T16:00:00-04:00" })
    if (url.pathname === "/v2/calendar") {
      const date = url.searchParams.get("start") ?? "2026-06-08"
      return send(200, [{ date, open: "09:30", close: "16:00", session_open: "0400", session_close: "2000", settlement_date: date }])
    }
    if (url.pathname === "/v2/account") return send(200, { status: "ACTIVE", cash: "100000", equity: "100000", buying_power: "100000", long_market_value: "0", short_market_value: "0" })
    if (url.pathname === "/v2/positions" || url.pathname === "/v2/orders") return send(200, [])
    return send(404, { message: `not served: ${req.method} ${url.pathname} for ${echoed(req.headers)}` })
  })
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((done) => server.close(() => done())) }
}

/** Every file under `dir`, as bytes read as latin1 (a key is ASCII, whatever the file). */
const filesText = (dir: string): string =>
  readdirSync(dir).map((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesText(path) : `${path}\n${readFileSync(path).toString("latin1")}`
  }).join("\n")

const home = tempHome()
const seen: Record<string, string> = {}
let receiverBodies: Array<string> = []
let otlpHeaderSeen = false
let server: ServerProcess | undefined

beforeAll(async () => {
  const [refusing, answering, broker, slack, receiver] = await Promise.all([startFake(respond(true)), startFake(respond(false)), echoingBroker(), slackStandIn(), startReceiver()])
  const env = (fake: typeof refusing) => ({
    ...liveEnv(fake, LLM_KEYS),
    TRADING_ACCOUNTS_CONFIG: JSON.stringify(ACCOUNTS.map((a) => ({ id: a.id, mode: "PAPER", credentials: { keyId: a.keyId, secretKey: a.secret }, baseUrl: broker.url }))),
    COUNCIL_API_TOKEN: API_TOKEN,
    SLACK_WEBHOOK_URL: slack.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_HEADERS: `x-api-key=${OTLP_KEY}`
  })
  const step = async (what: string, result: Promise<CliResult>) => {
    const r = await result
    seen[what] = `${r.stdout}\n${r.stderr}`
    return r
  }
  try {
    const refused = await step("a day every provider refuses", cliAsync(home, ["run", "daily", "--date", "2026-06-05", "--dry-run"], env(refusing)))
    const traded = await step("a day every broker refuses", cliAsync(home, ["run", "daily"], env(answering)))
    const runs = [runIdOf(seen["a day every provider refuses"]!), runIdOf(seen["a day every broker refuses"]!)]
    assert.include([0, 1], refused.code, refused.stderr)
    assert.include([0, 1], traded.code, traded.stderr)
    for (const id of runs) {
      for (const args of [["show", id, "--llm"], ["show", id, "--json"], ["export", id]]) await step(args.join(" "), cliInProcess(home, args, env(answering)))
    }
    for (const args of [["runs"], ["runs", "--json"], ["leaderboard", "--json"], ["equity", "--csv"], ["accounts"], ["backtests"]]) await step(args.join(" "), cliInProcess(home, args, env(answering)))
    await step("backtest", cliAsync(home, ["backtest", "--from", "2026-05-26", "--to", "2026-06-05"], env(answering)))
    server = await startServer(home, env(answering))
    for (const path of ["/api/accounts", "/api/positions", "/api/orders", "/api/runs", ...runs.map((id) => `/api/runs/${id}`), "/api/leaderboard", "/api/equity", "/api/backtests", "/backtests/latest/report.html", "/backtests/live/report.html", "/openapi.json", "/"]) {
      const res = await fetchFresh(`${server.url}${path}`)
      seen[`GET ${path}`] = `${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`
    }
    const mutation = await fetchFresh(`${server.url}/api/close-all`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${API_TOKEN}` }, body: JSON.stringify({ account: "CHATGPT" }) })
    seen["POST /api/close-all"] = `${mutation.status} ${await mutation.text()}`
    // a backtest the server starts: a child with the server's environment, its output in the home (<id>.log)
    const launched = await fetchFresh(`${server.url}/api/backtests`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${API_TOKEN}` }, body: JSON.stringify({ from: "2026-06-01", to: "2026-06-03" }) })
    seen["POST /api/backtests"] = `${launched.status} ${await launched.text()}`
  } finally {
    await server?.stop()
    seen["serve"] = server?.output() ?? ""
    seen["slack"] = slack.texts.join("\n")
    receiverBodies = receiver.bodies
    otlpHeaderSeen = receiver.headers.some((h) => h["x-api-key"] === OTLP_KEY)
    await Promise.all([refusing.close(), answering.close(), broker.close(), slack.close(), receiver.close()])
  }
}, 240_000)

afterAll(() => server?.stop())

const leaks = (text: string): ReadonlyArray<string> => SECRETS.filter((s) => text.includes(s) || text.includes(s.slice(-16)))

describe("with a key set for every provider, account and service", () => {
  it("the refusals really echoed the keys, and the day's steps ran (so the sweep below looks at something)", () => {
    const all = Object.values(seen).join("\n")
    assert.match(all, /openai answered \d{3} \(invalid_api_key: Incorrect API key provided: authorization=Bearer \[REDACTED\]/)
    assert.match(all, /anthropic answered \d{3} \(invalid_api_key: Incorrect API key provided: x-api-key=\[REDACTED\]/)
    assert.match(all, /403 key .*apca-api-key-id=\[REDACTED\] apca-api-secret-key=\[REDACTED\]/)
    assert.isTrue(otlpHeaderSeen, "the OTLP header reached the receiver")
    assert.isAbove(receiverBodies.length, 0)
    assert.match(seen["a day every broker refuses"]!, /403/)
    assert.match(seen["GET /backtests/latest/report.html"]!, /^200 /)
    assert.match(seen["POST /api/close-all"]!, /^200 /)
    assert.match(seen["POST /api/backtests"]!, /^200 /, seen["POST /api/backtests"])
    assert.isTrue(readdirSync(join(home, "backtests")).some((f) => f.endsWith(".log")), "the launched backtest's log is in the home")
  })

  for (const what of ["outputs", "store", "files", "spans"] as const) {
    it(`no key in the ${what}`, () => {
      const found: Record<string, ReadonlyArray<string>> = {}
      const look = (where: string, text: string) => {
        const hits = leaks(text)
        if (hits.length > 0) found[where] = hits
      }
      if (what === "outputs") for (const [step, text] of Object.entries(seen)) look(step, text)
      if (what === "store") look("council.db", storeText(home))
      if (what === "files") look(home, filesText(home))
      if (what === "spans") receiverBodies.forEach((body, i) => look(`export ${i}`, body))
      assert.deepStrictEqual(found, {})
    })
  }
})

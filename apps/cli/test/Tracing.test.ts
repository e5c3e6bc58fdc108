import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { cliAsync, runIdOf, tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"
import { answerWith, liveEnv, startFake, validAnswer } from "../../../packages/llm/test/FakeProvider.ts"
import { type Receiver, startReceiver } from "./OtlpReceiver.ts"

const probe = new URL("./module-probe.mjs", import.meta.url).pathname
const timeoutProbe = new URL("./request-timeout-probe.mjs", import.meta.url).pathname

/** The CLI as a real process (its exporter must reach the receiver while this process keeps serving). */
const cliProcess = (home: string, args: ReadonlyArray<string>, env: Record<string, string>, probeFile?: string) =>
  probeFile === undefined ? cliAsync(home, args, env) : cliAsync(home, args, { ...env, MODULE_PROBE_FILE: probeFile }, ["--import", probe])

let receiver: Receiver
beforeAll(async () => {
  receiver = await startReceiver()
})
afterAll(() => receiver.close())

describe("tracing", () => {
  it("with OTEL_EXPORTER_OTLP_ENDPOINT, a run exports its spans: the run, each stage, each account and each order, nested", async () => {
    const home = tempHome()
    const result = await cliProcess(home, ["run", "daily"], { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/` })
    assert.strictEqual(result.code, 0, result.stderr)
    const runId = runIdOf(result.stdout)
    const spans = receiver.spans.filter((s) => s.service === "council")
    const run = spans.find((s) => s.name === "run" && s.attributes["runId"] === runId)!
    assert.isDefined(run)
    const trace = spans.filter((s) => s.traceId === run.traceId)
    const byId = new Map(trace.map((s) => [s.spanId, s]))
    const ancestors = (span: { readonly parentSpanId: string }): Array<string> => {
      const parent = byId.get(span.parentSpanId)
      return parent === undefined ? [] : [parent.name, ...ancestors(parent)]
    }
    const stages = trace.filter((s) => s.name.startsWith("stage."))
    assert.deepStrictEqual(stages.map((s) => s.name).sort(), ["stage.CouncilSynthesis", "stage.Execution", "stage.FetchData", "stage.PeerReview", "stage.PmPitches", "stage.Reconcile", "stage.RiskApproval"])
    assert.isTrue(stages.every((s) => s.parentSpanId === run.spanId && s.attributes["runId"] === runId))
    const accounts = trace.filter((s) => s.name === "account")
    assert.sameMembers(accounts.map((s) => s.attributes["account"]), ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"])
    assert.isTrue(accounts.every((s) => ancestors(s).includes("stage.Execution")))
    const orders = trace.filter((s) => s.name === "order")
    assert.isAbove(orders.length, 0)
    for (const order of orders) {
      assert.strictEqual(byId.get(order.parentSpanId)?.name, "account")
      assert.strictEqual(byId.get(order.parentSpanId)?.attributes["account"], order.attributes["account"])
      assert.match(String(order.attributes["clientOrderId"]), new RegExp(`^${run.attributes["tradingDay"]}-`))
    }
    assert.isTrue(receiver.requests.every((r) => r.startsWith("POST /v1/traces application/json")))
  })

  it("without it, nothing is sent and the exporter is never loaded", async () => {
    const home = tempHome()
    const before = receiver.requests.length
    const modules = join(tempHome(), "modules.json")
    const result = await cliProcess(home, ["run", "daily"], {}, modules)
    assert.strictEqual(result.code, 0, result.stderr)
    const loaded = JSON.parse(readFileSync(modules, "utf8")) as Array<string>
    assert.isTrue(loaded.some((url) => url.includes("packages/engine/src/Runner.ts")))
    assert.deepStrictEqual(loaded.filter((url) => /\/node_modules\/@(effect\/)?opentelemetry|OtlpExport/.test(url)), [])
    assert.strictEqual(receiver.requests.length, before)
  })

  // one daily run as a process each (3-10 s alone, up to 30 s on a loaded machine): two tests, not one of both
  it("a receiver that answers errors does not fail the run: one warning", async () => {
    const failing = await startReceiver(500)
    try {
      const refused = await cliProcess(tempHome(), ["run", "daily"], { OTEL_EXPORTER_OTLP_ENDPOINT: failing.url })
      assert.strictEqual(refused.code, 0, refused.stderr)
      assert.match(refused.stdout, /· completed ·/)
      assert.isAbove(failing.requests.length, 0)
      assert.deepStrictEqual(refused.stderr.split("\n").filter((l) => l.includes("tracing")), ["warning: tracing: spans not exported (Internal Server Error)"])
    } finally {
      await failing.close()
    }
  }, 60_000)

  it("an export answered with a redirect to another server is not followed: the OTLP headers (an API key) reach that server never", async () => {
    const other = await startReceiver()
    const redirecting = await startReceiver({ status: 307, reason: "Temporary Redirect", headers: { location: `${other.url}/v1/traces` } })
    try {
      const result = await cliProcess(tempHome(), ["run", "daily"], {
        OTEL_EXPORTER_OTLP_ENDPOINT: redirecting.url,
        OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=otlp-key-made-up-3f9a1c"
      })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.isAbove(redirecting.requests.length, 0)
      assert.strictEqual(redirecting.headers[0]!["x-api-key"], "otlp-key-made-up-3f9a1c")
      assert.deepStrictEqual(other.requests, [])
      assert.match(result.stderr, /^warning: tracing: spans not exported \(.*\)$/m)
      assert.notInclude(result.stderr, "otlp-key-made-up-3f9a1c")
    } finally {
      await Promise.all([redirecting.close(), other.close()])
    }
  }, 60_000)

  it("a receiver that never answers neither fails the run nor holds the command past the OTLP timeout", async () => {
    const silent = await startReceiver("never")
    try {
      const timeouts = join(tempHome(), "timeouts.json")
      const ignored = await cliAsync(
        tempHome(),
        ["run", "daily"],
        { OTEL_EXPORTER_OTLP_ENDPOINT: silent.url, REQUEST_TIMEOUT_PROBE_FILE: timeouts },
        ["--import", timeoutProbe]
      )
      assert.strictEqual(ignored.code, 0, ignored.stderr)
      assert.isAbove(silent.requests.length, 0)
      assert.match(ignored.stderr, /^warning: tracing: spans not exported \(.*\)$/m)
      // The receiver never answered: the command ended because each export gave up at the OTLP timeout, 3 s here
      // (the spec's default, 10 s, held every command that long at its end). What the process armed and what fired
      // is read from it, not timed from outside, which a loaded machine stretches.
      const exports = (JSON.parse(readFileSync(timeouts, "utf8")) as Array<{ path: string; ms: number; fired: boolean }>)
        .filter((t) => t.path === "/v1/traces")
      assert.isAbove(exports.length, 0)
      assert.strictEqual(exports[0]!.ms, 3_000)
      assert.isTrue(exports.every((t) => t.ms <= 3_000), JSON.stringify(exports))
      assert.isTrue(exports.some((t) => t.fired), "no export gave up at its timeout")
    } finally {
      await silent.close()
    }
  }, 60_000)

  it("the warning for spans not exported is one printable line, whatever the receiver's reason phrase holds", async () => {
    // C1 controls (CSI 2J clears the screen, OSC 0 retitles the window) pass HTTP's reason-phrase rules as obs-text
    const hostile = await startReceiver({ status: 500, reason: `Bad \u009b2J Gateway\u009d0;owned\u009c ${"z".repeat(2_000)}` })
    try {
      const result = await cliProcess(tempHome(), ["run", "daily"], { OTEL_EXPORTER_OTLP_ENDPOINT: hostile.url })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.isAbove(hostile.requests.length, 0)
      const warnings = result.stderr.split("\n").filter((l) => l.includes("tracing"))
      assert.deepStrictEqual(warnings, [
        `warning: tracing: spans not exported (Bad \\u009b2J Gateway\\u009d0;owned\\u009c ${"z".repeat(135)})`
      ])
    } finally {
      await hostile.close()
    }
  }, 60_000)

  it("exports no secret: the LLM keys and the API token of the run's environment appear in no span", async () => {
    const keys = { OPENAI_API_KEY: "sk-trace-openai-91d2", GEMINI_API_KEY: "gm-trace-gemini-4b7e", ANTHROPIC_API_KEY: "ant-trace-anthropic-0c35", GROQ_API_KEY: "gsk-trace-groq-e8a1", DEEPSEEK_API_KEY: "ds-trace-deepseek-5f60" }
    const token = "api-token-in-the-trace-env-0123456789"
    const fake = await startFake((r) => r.kind === "pitch" ? answerWith(r, JSON.stringify(validAnswer(r))) : undefined)
    const before = receiver.bodies.length
    try {
      const result = await cliProcess(tempHome(), ["run", "daily"], { ...liveEnv(fake, keys), COUNCIL_API_TOKEN: token, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.isAbove(fake.requests.length, 0)
    } finally {
      await fake.close()
    }
    const exported = receiver.bodies.slice(before).join("\n")
    assert.include(exported, "stage.PmPitches")
    for (const secret of [...Object.values(keys), token]) assert.notInclude(exported, secret)
  }, 60_000)

  it("a bad endpoint is a configuration error naming the variable, without echoing it", async () => {
    for (const value of ["not a url", "ftp://collector:4318", "http://user:secret@collector:4318"]) {
      const result = await cliInProcess(tempHome(), ["runs"], { OTEL_EXPORTER_OTLP_ENDPOINT: value })
      assert.strictEqual(result.code, 2)
      assert.match(result.stderr, /^error: OTEL_EXPORTER_OTLP_ENDPOINT: /)
      assert.notInclude(result.stderr, "secret")
    }
  })
})

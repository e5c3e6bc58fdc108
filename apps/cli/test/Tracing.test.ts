import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { cliAsync, runIdOf, tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"
import { startReceiver } from "./OtlpReceiver.ts"

const probe = new URL("./module-probe.mjs", import.meta.url).pathname

/** The CLI as a real process (its exporter must reach the receiver while this process keeps serving). */
const cliProcess = (home: string, args: ReadonlyArray<string>, env: Record<string, string>, probeFile?: string) =>
  probeFile === undefined ? cliAsync(home, args, env) : cliAsync(home, args, { ...env, MODULE_PROBE_FILE: probeFile }, ["--import", probe])

let receiver: Awaited<ReturnType<typeof startReceiver>>
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

  it("a bad endpoint is a configuration error naming the variable, without echoing it", async () => {
    for (const value of ["not a url", "ftp://collector:4318", "http://user:secret@collector:4318"]) {
      const result = await cliInProcess(tempHome(), ["runs"], { OTEL_EXPORTER_OTLP_ENDPOINT: value })
      assert.strictEqual(result.code, 2)
      assert.match(result.stderr, /^error: OTEL_EXPORTER_OTLP_ENDPOINT: /)
      assert.notInclude(result.stderr, "secret")
    }
  })
})

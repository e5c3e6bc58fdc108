import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { answerWith, type FakeRequest, liveEnv, startFake, validAnswer } from "../../../packages/llm/test/FakeProvider.ts"
import { runIdOf, tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { type ServerProcess, startServer, fetchFresh } from "./MonitorHome.ts"

const KEYS = {
  OPENAI_API_KEY: "sk-imported-openai-71c2",
  GEMINI_API_KEY: "gm-imported-gemini-0b3e",
  ANTHROPIC_API_KEY: "ant-imported-anthropic-9d41",
  GROQ_API_KEY: "gsk-imported-groq-5a06",
  DEEPSEEK_API_KEY: "ds-imported-deepseek-e28f"
}

// one PM's pitch answered without usage: the run's cost is partly a worst case (≈)
const respond = (r: FakeRequest) => {
  if (r.kind !== "pitch" || r.model !== "gpt-5.4") return undefined
  const { usage: _, ...body } = answerWith(r, JSON.stringify(validAnswer(r))).body as Record<string, unknown>
  return { body }
}

const costColumn = (runsTable: string, runId: string): string => {
  const row = runsTable.split("\n").find((line) => line.startsWith(runId))
  if (row === undefined) throw new Error(`no row for ${runId} in:\n${runsTable}`)
  return row.trim().split(/\s+/).at(-1)!
}

let origin: string
let imported: string
let runId: string
let server: ServerProcess

beforeAll(async () => {
  origin = tempHome()
  const fake = await startFake(respond)
  const day = await cliInProcess(origin, ["run", "daily", "--date", "2025-01-15"], liveEnv(fake, KEYS)).finally(fake.close)
  if (day.code !== 0) throw new Error(day.stderr)
  runId = runIdOf(day.stdout)
  imported = tempHome()
  const file = join(imported, "run.json")
  assert.strictEqual((await cliInProcess(origin, ["export", runId, "-o", file])).code, 0)
  const read = await cliInProcess(imported, ["import", file])
  assert.strictEqual(read.code, 0, read.stderr)
  server = await startServer(imported)
}, 120_000)

afterAll(async () => {
  await server?.stop()
})

describe("an imported run's LLM cost", () => {
  it("is what its recorded exchanges cost, in runs, /api/runs and the run's detail alike, as the home that ran it charged", async () => {
    const charged = JSON.parse((await cliInProcess(origin, ["show", runId, "--json"])).stdout).llm
    assert.isAbove(charged.totalUsd, 0)
    assert.isAbove(charged.estimatedUsd, 0)
    const shownThere = costColumn((await cliInProcess(origin, ["runs"])).stdout, runId)
    assert.match(shownThere, /^≈\$\d/)

    const home = server.url
    const listed = (await (await fetchFresh(`${home}/api/runs`)).json()) as ReadonlyArray<{ id: string; imported: boolean; llmCost: { totalUsd: number; estimatedUsd: number } | null }>
    const run = listed.find((r) => r.id === runId)!
    assert.isTrue(run.imported)
    assert.isNotNull(run.llmCost)
    assert.closeTo(run.llmCost!.totalUsd, charged.totalUsd, 1e-9)
    assert.closeTo(run.llmCost!.estimatedUsd, charged.estimatedUsd, 1e-9)
    const detail = (await (await fetchFresh(`${home}/api/runs/${runId}`)).json()) as { run: { llmCost: unknown } }
    assert.deepStrictEqual(detail.run.llmCost, run.llmCost)
  })

  it("reads the same in runs of the home it was imported to as in the home that ran it", async () => {
    const there = costColumn((await cliInProcess(origin, ["runs"])).stdout, runId)
    const here = (await cliInProcess(imported, ["runs"])).stdout
    assert.match(here, new RegExp(`^${runId}\\s.*\\simported\\s`, "m"))
    assert.strictEqual(costColumn(here, runId), there)
  })
})

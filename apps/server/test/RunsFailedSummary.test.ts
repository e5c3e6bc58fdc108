import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { failedAccountRun } from "../../cli/test/FailedAccountRun.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { type ServerProcess, startServer, fetchFresh } from "./MonitorHome.ts"

/**
 * Which accounts a run failed is said by the run's summary (`failedAccounts`): `/api/runs` lists it, the run's detail
 * carries it, the OpenAPI document describes it, and `runs` says the same.
 */
const home = join(tempHome(), "home")
let server: ServerProcess
let parent = ""
let failing = ""

beforeAll(async () => {
  ;({ parent, failing } = await failedAccountRun(home))
  server = await startServer(home)
}, 120_000)

afterAll(async () => {
  await server?.stop()
})

const json = async (path: string): Promise<unknown> => {
  const response = await fetchFresh(`${server.url}${path}`)
  assert.strictEqual(response.status, 200, path)
  return response.json()
}

interface Summary {
  readonly id: string
  readonly failedAccounts: unknown
}

describe("a run's failed accounts, in its summary", () => {
  it("/api/runs gives each run's failedAccounts: the accounts and of how many; null for a run without failures", async () => {
    const runs = (await json("/api/runs")) as ReadonlyArray<Summary>
    const byId = new Map(runs.map((r) => [r.id, r]))
    assert.deepStrictEqual(byId.get(failing)?.failedAccounts, { accounts: ["CLAUDE"], of: 1, keyRefused: [], retried: [] })
    assert.strictEqual(byId.get(parent)?.failedAccounts, null)
    const detail = (await json(`/api/runs/${failing}?outputs=none`)) as { readonly run: Summary }
    assert.deepStrictEqual(detail.run.failedAccounts, { accounts: ["CLAUDE"], of: 1, keyRefused: [], retried: [] })
  })

  it("the OpenAPI document describes the field", async () => {
    const text = JSON.stringify(await json("/openapi.json"))
    assert.include(text, "\"failedAccounts\"")
  })

  it("runs names the same accounts", async () => {
    const runs = await cliInProcess(home, ["runs"])
    assert.strictEqual(runs.code, 0, runs.stderr)
    assert.match(runs.stdout, new RegExp(`^run ${failing}: 1 of 1 account failed \\(CLAUDE\\); run the day again`, "m"))
  })
})

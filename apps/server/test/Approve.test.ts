import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { join } from "node:path"
import { ordersAtExchange } from "../../cli/test/BrokerDoubles.ts"
import { runIdOf, tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { type ServerProcess, startServer, fetchFresh } from "./MonitorHome.ts"

const TOKEN = "approve-token-5c9e1d2f7a"
let home: string
let server: ServerProcess
let waiting: string
let rejecting: string

const post = (path: string, body: unknown, token: string | null = TOKEN) =>
  fetchFresh(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body)
  })

beforeAll(async () => {
  home = join(tempHome(), "home")
  // two runs stopped at the approval gate, on two days (a day has one run)
  const first = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05", "--at", "15:45", "--require-approval"])
  if (first.code !== 0) throw new Error(first.stderr)
  rejecting = runIdOf(first.stdout)
  const second = await cliInProcess(home, ["run", "daily", "--at", "15:45", "--require-approval"])
  if (second.code !== 0) throw new Error(second.stderr)
  waiting = runIdOf(second.stdout)
  server = await startServer(home, { COUNCIL_API_TOKEN: TOKEN })
}, 90_000)

afterAll(async () => {
  await server?.stop()
})

describe("POST /api/runs/{id}/approve", () => {
  it("needs the token, refuses an unknown run, and approves through pnpm pipeline approve's path: the orders go out once", async () => {
    assert.strictEqual((await post(`/api/runs/${waiting}/approve`, {}, null)).status, 401)
    assert.strictEqual(ordersAtExchange(home).size, 0)
    assert.strictEqual((await post("/api/runs/2026-01-01-00000000/approve", {})).status, 404)
    assert.strictEqual((await post("/api/runs/nope/approve", {})).status, 404)

    const approved = await post(`/api/runs/${waiting}/approve`, {})
    const body = await approved.json() as { id: string; status: string }
    assert.strictEqual(approved.status, 200, JSON.stringify(body))
    assert.deepStrictEqual([body.id, body.status], [waiting, "completed"])
    const sent = ordersAtExchange(home)
    assert.isAbove(sent.size, 0)
    assert.isTrue([...sent.values()].every((n) => n === 1))

    const again = await post(`/api/runs/${waiting}/approve`, {})
    assert.strictEqual(again.status, 400)
    assert.match(((await again.json()) as { message: string }).message, /is not awaiting approval \(it is completed\)/)
    assert.deepStrictEqual(ordersAtExchange(home), sent)
  })

  it("rejects: nothing sent, the run ends rejected", async () => {
    const before = ordersAtExchange(home)
    const rejected = await post(`/api/runs/${rejecting}/approve`, { reject: true })
    const body = await rejected.json() as { status: string }
    assert.strictEqual(rejected.status, 200, JSON.stringify(body))
    assert.strictEqual(body.status, "rejected")
    assert.deepStrictEqual(ordersAtExchange(home), before)
  })
})

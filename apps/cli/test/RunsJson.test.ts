import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { startServer, fetchFresh } from "../../server/test/MonitorHome.ts"
import { tempHome } from "./CliHarness.ts"
import { failedAccountRun } from "./FailedAccountRun.ts"
import { cliInProcess } from "./InProcess.ts"

/**
 * `runs --json`, as every other listing has: the runs as `/api/runs` lists them (the same items, the same page for
 * the same `--limit`/`--before`), the "more" hint on stderr so stdout stays JSON.
 */
describe("runs --json", () => {
  it("answers what /api/runs answers, a page at a time", async () => {
    const home = join(tempHome(), "home")
    const { failing, parent } = await failedAccountRun(home)
    const server = await startServer(home)
    try {
      const api = async (query: string) => {
        const answer = await fetchFresh(`${server.url}/api/runs${query}`)
        assert.strictEqual(answer.status, 200)
        return answer.json() as Promise<ReadonlyArray<Record<string, unknown>>>
      }
      const cli = async (args: ReadonlyArray<string>) => {
        const r = await cliInProcess(home, ["runs", "--json", ...args])
        assert.strictEqual(r.code, 0, r.stderr)
        return { items: JSON.parse(r.stdout) as ReadonlyArray<Record<string, unknown>>, stderr: r.stderr }
      }

      const all = await cli([])
      assert.deepStrictEqual(all.items.map((r) => r["id"]), [failing, parent])
      assert.deepStrictEqual(all.items.map((r) => r["failedAccounts"]), [{ accounts: ["CLAUDE"], of: 1, keyRefused: [], retried: [] }, null])
      assert.deepStrictEqual(all.items, await api(""))
      assert.notInclude(all.stderr, "more:")

      const first = await cli(["--limit", "1"])
      assert.deepStrictEqual(first.items, await api("?limit=1"))
      assert.include(first.stderr, `more: pnpm pipeline runs --before ${failing} --limit 1`)
      const second = await cli(["--limit", "1", "--before", failing])
      assert.deepStrictEqual(second.items.map((r) => r["id"]), [parent])
      assert.deepStrictEqual(second.items, await api(`?limit=1&before=${failing}`))

      assert.deepStrictEqual((await cli(["--before", parent])).items, [])
    } finally {
      await server.stop()
    }
  }, 180_000)
})

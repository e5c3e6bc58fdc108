import { assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { answerWith, liveEnv, startFake, validAnswer } from "../../../packages/llm/test/FakeProvider.ts"
import { bin, tempHome } from "./CliHarness.ts"
import { cliInProcess, cliOk } from "./InProcess.ts"

const KEYS = { ANTHROPIC_API_KEY: "ant-e2e-lifecycle-1f0c2b7a" }

/** Starts `run daily … --pms CLAUDE` in `home`; it runs until its first CLAUDE pitch is asked, which never answers. */
const startStuck = (home: string, env: Record<string, string>, args: ReadonlyArray<string>) =>
  spawn(process.execPath, [bin, "run", "daily", ...args, "--pms", "CLAUDE"], {
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, ...env },
    stdio: ["ignore", "ignore", "ignore"]
  })

const killed = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | null>((resolve) => {
    child.on("exit", (_code, signal) => resolve(signal))
    child.kill("SIGKILL")
  })

/** The `runs` table's STATUS of `runId`, and the lines under the table. */
const listed = async (home: string, runId: string) => {
  const runs = await cliOk(home, ["runs"])
  const row = runs.split("\n").find((line) => line.startsWith(runId))
  assert.isDefined(row, runs)
  return { status: row!.split(/\s{2,}/)[2], notes: runs.split("\n\n")[1]?.trim() ?? "" }
}

describe("a run whose process died", () => {
  it("is listed (and shown) as running while its process lives, as stopped with the command that resumes it once killed, and as abandoned once a later day ran", async () => {
    const stuck = await startFake((r) =>
      r.kind === "pitch" && r.model.startsWith("claude") ? { ...answerWith(r, JSON.stringify(validAnswer(r))), delayMs: 60_000 } : undefined
    )
    try {
      const home = tempHome()
      const env = liveEnv(stuck, KEYS)
      const asked = () => stuck.requests.filter((q) => q.kind === "pitch").length
      const wait = async (n: number) => {
        for (let i = 0; i < 600 && asked() < n; i++) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      // a dry run in progress (it holds no day lock) and the day's real run in progress, side by side
      const dry = startStuck(home, env, ["--date", "2026-06-04", "--dry-run"])
      await wait(1)
      const real = startStuck(home, env, ["--date", "2026-06-05"])
      await wait(2)
      const runs = await cliInProcess(home, ["runs"])
      const ids = [...runs.stdout.matchAll(/^(2026-06-0[45]-[0-9a-f]{8})\s/gm)].map((m) => m[1]!)
      assert.strictEqual(ids.length, 2, runs.stdout)
      const [realId, dryId] = ids as [string, string]
      assert.deepStrictEqual(await listed(home, realId), { status: "running", notes: "" })
      assert.deepStrictEqual(await listed(home, dryId), { status: "running", notes: "" })
      const live = JSON.parse((await cliInProcess(home, ["runs", "--json"])).stdout) as ReadonlyArray<{ id: string; activity: unknown }>
      assert.deepStrictEqual(live.map((r) => r.activity), [{ state: "in-progress", next: null }, { state: "in-progress", next: null }])

      assert.strictEqual(await killed(real), "SIGKILL")
      assert.strictEqual(await killed(dry), "SIGKILL")
      const after = await cliInProcess(home, ["runs"])
      assert.match(after.stdout, new RegExp(`^${realId}\\s+2026-06-05\\s+stopped\\s`, "m"))
      assert.match(after.stdout, new RegExp(`^${dryId}\\s+2026-06-04\\s+stopped\\s`, "m"))
      assert.include(after.stdout, `run ${realId} stopped (its process is gone): resume with: pnpm pipeline run daily --date 2026-06-05\n`)
      assert.include(after.stdout, `run ${dryId} stopped (its process is gone): run it again with: pnpm pipeline run daily --date 2026-06-04 --dry-run`)
      // --json tells the same: the record's status stays `running` (the store's), its activity says what it is
      const json = JSON.parse((await cliInProcess(home, ["runs", "--json"])).stdout) as ReadonlyArray<{ id: string; status: string; activity: unknown }>
      assert.deepStrictEqual(json.filter((r) => r.id === realId || r.id === dryId).map((r) => [r.id, r.status, r.activity]), [
        [realId, "running", { state: "stopped", next: "resume with: pnpm pipeline run daily --date 2026-06-05" }],
        [dryId, "running", { state: "stopped", next: "run it again with: pnpm pipeline run daily --date 2026-06-04 --dry-run" }]
      ])
      const shown = await cliInProcess(home, ["show", realId])
      assert.match(shown.stdout, /^status {4}stopped \(its process is gone\): resume with: pnpm pipeline run daily --date 2026-06-05$/m)

      // a later day of the account runs: the stopped day can no longer trade
      const later = await cliInProcess(home, ["run", "daily", "--date", "2026-06-08"])
      assert.strictEqual(later.code, 0, later.stderr)
      const abandoned = await listed(home, realId)
      assert.strictEqual(abandoned.status, "abandoned")
      assert.match(abandoned.notes, new RegExp(`^run ${realId} abandoned \\(its process is gone\\): a later day has run since \\(2026-06-08-[0-9a-f]{8}\\), so 2026-06-05 can no longer trade`, "m"))
    } finally {
      await stuck.close()
    }
  }, 90_000)
})

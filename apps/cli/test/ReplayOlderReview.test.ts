import { assert, describe, it } from "@effect/vitest"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { hashOf } from "@council/engine"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"
import { liveEnv, startFake } from "../../../packages/llm/test/FakeProvider.ts"

const KEYS = {
  OPENAI_API_KEY: "sk-older-openai-4be1d9c0",
  GEMINI_API_KEY: "gm-older-gemini-77c2a1f3",
  ANTHROPIC_API_KEY: "ant-older-anthropic-90ffe7b2",
  GROQ_API_KEY: "gsk-older-groq-31aa5d8e",
  DEEPSEEK_API_KEY: "ds-older-deepseek-5e0c6b14"
}

interface Bundle {
  run: { params: Record<string, unknown> }
  hashes: { run: string }
}

describe("backtest --pms replay over sessions recorded before the review changed", () => {
  it("names those sessions and says why their reviews and chairman find no recorded answer; sessions recorded since are not named", async () => {
    const fake = await startFake()
    try {
      const home = tempHome()
      const run = await cliInProcess(home, ["run", "daily", "--date", "2026-05-04", "--accounts", "COUNCIL", "--json"], { ...liveEnv(fake, KEYS), COUNCIL_LLM_BUDGET_USD_MONTH: "100" })
      assert.strictEqual(run.code, 0, run.stderr)
      const runId = (JSON.parse(run.stdout) as { run: { id: string } }).run.id
      const file = join(home, "run.json")
      const exported = await cliInProcess(home, ["export", runId, "-o", file])
      assert.strictEqual(exported.code, 0, exported.stderr)
      // the same run as an earlier version recorded it: without the review's two choices (its hashes made again)
      const bundle = JSON.parse(readFileSync(file, "utf8")) as Bundle
      delete bundle.run.params["reviewOrder"]
      delete bundle.run.params["reviewers"]
      bundle.hashes.run = hashOf(bundle.run)
      const older = join(home, "older.json")
      writeFileSync(older, JSON.stringify(bundle))
      const replayIn = async (bundleFile: string) => {
        const other = tempHome()
        const imported = await cliInProcess(other, ["import", bundleFile])
        assert.strictEqual(imported.code, 0, imported.stderr)
        const replayed = await cliInProcess(other, ["backtest", "--from", "2026-05-04", "--to", "2026-05-05", "--accounts", "COUNCIL", "--pms", "replay", "--json"])
        assert.strictEqual(replayed.code, 0, replayed.stderr)
        return { stderr: replayed.stderr, reviewChanged: (JSON.parse(replayed.stdout) as { reviewChanged: ReadonlyArray<string> }).reviewChanged }
      }
      const before = await replayIn(older)
      assert.deepStrictEqual(before.reviewChanged, ["2026-05-04"])
      assert.include(
        before.stderr.split("\n"),
        "--pms replay: 1 of 2 sessions were recorded by an earlier version, before the peer review changed (2026-05-04): it shuffled the ballots by the run and asked every PM, it now shuffles them by the day and asks only the PMs that pitched, so there the reviews (where the pitches differ) and the chairman's question find no recorded answer and the mechanical vote decides; the pitches replay as recorded"
      )
      const since = await replayIn(file)
      assert.deepStrictEqual(since.reviewChanged, [])
      assert.notInclude(since.stderr, "before the peer review changed")
    } finally {
      await fake.close()
    }
  }, 60_000)
})

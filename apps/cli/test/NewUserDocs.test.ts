import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { cliAsyncOk, tempHome } from "./CliHarness.ts"

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8")

describe("what the README tells a new user, against what the CLI does", () => {
  it("names the bundle format `export` writes", async () => {
    const home = tempHome()
    const day = await cliAsyncOk(home, ["run", "daily", "--date", "2026-06-05"])
    const runId = /run (2026-06-05-[0-9a-f]{8}) · completed/.exec(day)![1]!
    const bundle = JSON.parse(await cliAsyncOk(home, ["export", runId])) as { readonly format: string }
    const said = /`export` writes format `([^`]+)`/.exec(readme)?.[1]
    assert.strictEqual(said, bundle.format)
  })
})

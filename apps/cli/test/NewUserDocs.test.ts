import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { cliAsync, cliAsyncOk, tempHome } from "./CliHarness.ts"

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

describe("a new user's first per-account variable", () => {
  it("set for one account alone names that account and how to trade it alone, not only the first default account's missing key", async () => {
    const r = await cliAsync(tempHome(), ["accounts"], { ALPACA_COUNCIL_KEY_ID: "PKNOTAREALKEY0000000" })
    assert.strictEqual(r.code, 2, r.stderr)
    assert.strictEqual(
      r.stderr.trim(),
      "error: per-account variables: CHATGPT: ALPACA_CHATGPT_KEY_ID is not set (to trade only COUNCIL, set COUNCIL_ACCOUNTS=COUNCIL)"
    )
  })
})

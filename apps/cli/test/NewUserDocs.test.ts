import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { DailyParams } from "@council/daily"
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

  it("describes every parameter a run can record, and the value a new run records for each choice, in one table", async () => {
    const section = readme.split("### What a run records\n")[1]?.split("\n## ")[0] ?? ""
    /** The table's rows by each parameter its first cell names (a cell may name several). */
    const rows = new Map<string, ReadonlyArray<string>>()
    for (const line of section.split("\n").filter((l) => l.startsWith("| `"))) {
      const cells = line.split(" | ")
      for (const [, name] of cells[0]!.matchAll(/`([a-zA-Z]+)`/g)) rows.set(name!, cells)
    }
    const fields = Object.keys(DailyParams.fields)
    assert.sameMembers([...rows.keys()], fields, "the table's parameters are DailyParams' fields")
    const home = tempHome()
    const day = await cliAsyncOk(home, ["run", "daily", "--date", "2026-06-05"])
    const runId = /run (2026-06-05-[0-9a-f]{8}) · completed/.exec(day)![1]!
    const full = JSON.parse(await cliAsyncOk(home, ["show", runId, "--json", "--full"])) as { readonly run: { readonly params: Record<string, unknown> } }
    // the choices a new run records: each value is named in its row's "a new run records" cell
    const choices = Object.entries(full.run.params).filter(([key, value]) => typeof value === "string" && !["broker", "data", "pms", "asOfTime"].includes(key))
    assert.isAtLeast(choices.length, 7)
    for (const [key, value] of choices) assert.include(rows.get(key)?.[1] ?? "", `\`${String(value)}\``, `${key}: ${String(value)}`)
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

describe("TRADING_ACCOUNTS_CONFIG loaded from an env file without its single quotes", () => {
  it("says the shell took the JSON's double quotes off and how to keep them (no value echoed)", async () => {
    // what `set -a && . ./council.env` leaves of TRADING_ACCOUNTS_CONFIG=[{"id":"COUNCIL",…}] written without quotes around it
    const stripped = "[{id:COUNCIL,mode:PAPER,credentials:{keyId:PKNOTAREALKEY0000000,secretKey:not-a-real-secret-4711}}]"
    const r = await cliAsync(tempHome(), ["accounts"], { TRADING_ACCOUNTS_CONFIG: stripped })
    assert.strictEqual(r.code, 2, r.stderr)
    assert.strictEqual(
      r.stderr.trim(),
      `error: TRADING_ACCOUNTS_CONFIG: not valid JSON: syntax error at line 1, column 3 (character 3); it holds no double quote: the shell that loaded it took them off, so keep the value in single quotes (TRADING_ACCOUNTS_CONFIG='[{"id":…}]')`
    )
    assert.notInclude(r.stderr, "not-a-real-secret-4711")
  })
})

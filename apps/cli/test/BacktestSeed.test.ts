/**
 * A backtest's random baseline is seeded by the book (README, "Baselines and attribution"): the first and last
 * sessions of its range as the market data held them when it started. Read again after the data has grown past the
 * range it ran (a remote feed's next sessions, newer bundled bars), its leaderboard — RANDOM and COUNCIL's attribution
 * against it — is the one its backtest printed and its report holds.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

const BUNDLED = new URL("../../../data/bars/daily/", import.meta.url)

/** The bundled bars up to `last` (inclusive), written into `dir`. */
const barsUpTo = (dir: string, last: string) => {
  for (const file of readdirSync(BUNDLED).filter((f) => f.endsWith(".csv"))) {
    const [header, ...rows] = readFileSync(new URL(file, BUNDLED), "utf8").trim().split("\n")
    writeFileSync(join(dir, file), [header, ...rows.filter((r) => r.slice(0, 10) <= last)].join("\n") + "\n")
  }
}

describe("a backtest's random baseline", () => {
  it("draws the same once the market data holds sessions past the ones it ran", async () => {
    const home = tempHome()
    const bars = tempHome()
    const env = { COUNCIL_BARS_DIR: bars, COUNCIL_BARS_CACHE: "off" }
    barsUpTo(bars, "2008-02-15")
    // the range asked runs past the data: the backtest runs the sessions the data holds, 2008-01-02 … 2008-02-15
    const ran = await cliInProcess(home, ["backtest", "--from", "2008-01-01", "--to", "2008-12-31", "--accounts", "GROQ,COUNCIL", "--json"], env)
    assert.strictEqual(ran.code, 0, ran.stderr)
    const board = async () => {
      const read = await cliInProcess(home, ["leaderboard", "--backtest", "latest", "--json"], env)
      assert.strictEqual(read.code, 0, read.stderr)
      return JSON.parse(read.stdout)
    }
    const before = await board()
    assert.strictEqual(before.leaderboard.to, "2008-02-15")
    const random = (b: { contest: { baselines: { rows: ReadonlyArray<{ account: string }> } } }) => b.contest.baselines.rows.find((r) => r.account === "RANDOM")
    assert.isDefined(random(before))
    const report = JSON.parse(readFileSync(JSON.parse(ran.stdout).report.replace(/\.html$/, ".json"), "utf8"))
    assert.deepStrictEqual(report.leaderboard.contest, before.contest, "the report holds what the leaderboard prints")

    barsUpTo(bars, "2008-09-30")
    const after = await board()
    assert.strictEqual(after.leaderboard.to, "2008-02-15")
    assert.deepStrictEqual(random(after), random(before))
    assert.deepStrictEqual(after.contest, before.contest)
  })
})

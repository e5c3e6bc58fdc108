/**
 * A backtest names what it ran on (README, "Reproducing a backtest"): the code's version and the market data's
 * fingerprint, in its book (`backtests --json`'s params) and its report; a `--resume`, a `leaderboard` or an
 * `equity` on other data says so.
 */
import { createHash } from "node:crypto"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"

const BUNDLED = new URL("../../../data/bars/daily/", import.meta.url)

/** The bundled rows of `symbol` dated `from` … `to`, as lines. */
const rowsOf = (symbol: string, from: string, to: string) =>
  readFileSync(new URL(`${symbol}.csv`, BUNDLED), "utf8").trim().split("\n").slice(1).filter((r) => r.slice(0, 10) >= from && r.slice(0, 10) <= to)

const HEADER = "date,open,high,low,close,volume"

describe("a backtest's provenance", () => {
  it("records the code and the bars' fingerprint through its last session; bars appended later keep it, a corrected one is said by --resume, leaderboard and equity", async () => {
    const home = tempHome()
    const bars = tempHome()
    const env = { COUNCIL_BARS_DIR: bars, COUNCIL_BARS_CACHE: "off" }
    const spy = rowsOf("SPY", "2024-01-02", "2024-01-12")
    const tlt = rowsOf("TLT", "2024-01-02", "2024-01-12")
    // CRLF line endings and a blank last line: the fingerprint is of the rows, not of how the file ends its lines
    writeFileSync(join(bars, "SPY.csv"), [HEADER, ...spy].join("\r\n") + "\r\n\r\n")
    writeFileSync(join(bars, "TLT.csv"), [HEADER, ...tlt].join("\n") + "\n")
    writeFileSync(join(bars, "notes.txt"), "not bars")

    const ran = await cliInProcess(home, ["backtest", "--from", "2024-01-02", "--to", "2024-01-05", "--accounts", "COUNCIL", "--json"], env)
    assert.strictEqual(ran.code, 0, ran.stderr)
    // by hand: each *.csv file by name, its header and its rows up to the last session (2024-01-05), one per line
    const through = (rows: ReadonlyArray<string>) => rows.filter((r) => r.slice(0, 10) <= "2024-01-05")
    assert.strictEqual(through(spy).length, 4)
    const expected = createHash("sha256")
      .update(["SPY.csv", HEADER, ...through(spy), "TLT.csv", HEADER, ...through(tlt)].map((l) => `${l}\n`).join(""))
      .digest("hex")

    const params = async () => {
      const listed = await cliInProcess(home, ["backtests", "--json"], env)
      assert.strictEqual(listed.code, 0, listed.stderr)
      return (JSON.parse(listed.stdout) as ReadonlyArray<{ params: { code: string; data: Record<string, string> } }>)[0]!.params
    }
    const recorded = await params()
    assert.deepStrictEqual(recorded.data, { source: "local", bars: "COUNCIL_BARS_DIR", sha256: expected, through: "2024-01-05" })
    const version = await cliInProcess(home, ["--version"])
    assert.strictEqual(`pipeline v${recorded.code}`, version.stdout.trim(), "the code is the version --version prints")
    const report = readFileSync(JSON.parse(ran.stdout).report, "utf8")
    assert.include(report, expected)
    assert.include(report, recorded.code)

    // a session appended after the last one: nothing the backtest read changed, --resume says nothing of it
    writeFileSync(join(bars, "SPY.csv"), [HEADER, ...spy, "2024-01-16,470,471,469,470.5,1000"].join("\n") + "\n")
    writeFileSync(join(bars, "TLT.csv"), [HEADER, ...tlt, "2024-01-16,90,91,89,90.5,1000"].join("\n") + "\n")
    const appended = await cliInProcess(home, ["backtest", "--resume", "latest", "--json"], env)
    assert.strictEqual(appended.code, 0, appended.stderr)
    assert.notInclude(appended.stderr, "other code or data")
    const board = () => cliInProcess(home, ["leaderboard", "--backtest", "latest", "--json"], env)
    const unchanged = await board()
    assert.strictEqual(unchanged.code, 0, unchanged.stderr)
    assert.notInclude(unchanged.stderr, "warning")

    // a past bar corrected: the resume is told its sessions from here on may not be the ones it started with
    const corrected = tlt.map((r) => r.startsWith("2024-01-03,") ? r.replace(/,(\d+)$/, ",1") : r)
    assert.notDeepEqual(corrected, tlt)
    writeFileSync(join(bars, "TLT.csv"), [HEADER, ...corrected, "2024-01-16,90,91,89,90.5,1000"].join("\n") + "\n")
    const resumed = await cliInProcess(home, ["backtest", "--resume", "latest", "--json"], env)
    assert.strictEqual(resumed.code, 0, resumed.stderr)
    const said = resumed.stderr.split("\n").filter((l) => l.includes("other code or data"))
    assert.strictEqual(said.length, 1, resumed.stderr)
    assert.include(said[0]!, `market data sha256 ${expected.slice(0, 12)}… then`)
    assert.deepStrictEqual((await params()).data, recorded.data, "the book keeps what it started with")
    // its figures read against the data here now: the baselines and SPY's closes come from it, which is said
    for (const read of [await board(), await cliInProcess(home, ["equity", "--backtest", "latest", "--csv"], env)]) {
      assert.strictEqual(read.code, 0, read.stderr)
      const warned = read.stderr.split("\n").filter((l) => l.startsWith("warning: "))
      assert.strictEqual(warned.length, 1, read.stderr)
      assert.include(warned[0]!, `ran on market data sha256 ${expected.slice(0, 12)}… through 2024-01-05, which the data here no longer matches`)
      assert.notInclude(read.stdout, "warning")
    }
  })
})

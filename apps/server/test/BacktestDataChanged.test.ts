import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { collectProblems, fetchFresh, launchChromium, startServer } from "./MonitorHome.ts"

const BUNDLED = new URL("../../../data/bars/daily/", import.meta.url)
const HEADER = "date,open,high,low,close,volume"

/** The bundled rows of `symbol` dated `from` … `to`, as lines. */
const rowsOf = (symbol: string, from: string, to: string) =>
  readFileSync(new URL(`${symbol}.csv`, BUNDLED), "utf8").trim().split("\n").slice(1).filter((r) => r.slice(0, 10) >= from && r.slice(0, 10) <= to)

type Answer = Record<string, unknown> & { readonly dataChanged?: string }

/**
 * A backtest whose market data moved since it ran (a past bar corrected): `leaderboard --backtest` warns on stderr,
 * and the monitor's `/api/leaderboard?backtest=` and `/api/backtests/{id}/report` carry the same words
 * (`dataChanged`, documented in the OpenAPI), which the dashboard's backtest view shows; none while the data agrees.
 */
describe("a backtest whose market data moved since it ran, in the monitor", () => {
  it("/api/leaderboard?backtest=, its report and its page say what leaderboard --backtest warns", async () => {
    const home = tempHome()
    const bars = tempHome()
    const env = { COUNCIL_BARS_DIR: bars, COUNCIL_BARS_CACHE: "off" }
    const spy = rowsOf("SPY", "2024-01-02", "2024-01-12")
    const tlt = rowsOf("TLT", "2024-01-02", "2024-01-12")
    writeFileSync(join(bars, "SPY.csv"), [HEADER, ...spy].join("\n") + "\n")
    writeFileSync(join(bars, "TLT.csv"), [HEADER, ...tlt].join("\n") + "\n")
    const ran = await cliInProcess(home, ["backtest", "--from", "2024-01-02", "--to", "2024-01-05", "--accounts", "COUNCIL", "--json"], env)
    assert.strictEqual(ran.code, 0, ran.stderr)
    const listed = await cliInProcess(home, ["backtests", "--json"], env)
    const id = (JSON.parse(listed.stdout) as ReadonlyArray<{ readonly id: string }>)[0]!.id

    const server = await startServer(home, env)
    const browser = await launchChromium()
    try {
      const read = async (path: string) => {
        const answer = await fetchFresh(`${server.url}${path}`)
        assert.strictEqual(answer.status, 200, path)
        return (await answer.json()) as Answer
      }
      // the data agrees: nothing said
      const agreed = await read(`/api/leaderboard?backtest=${id}`)
      assert.notProperty(agreed, "dataChanged")
      assert.notProperty(await read(`/api/backtests/${id}/report`), "dataChanged")

      // a past bar corrected: the CLI warns, and the API says the same words
      writeFileSync(join(bars, "TLT.csv"), [HEADER, ...tlt.map((r) => r.startsWith("2024-01-03,") ? r.replace(/,(\d+)$/, ",1") : r)].join("\n") + "\n")
      const board = await cliInProcess(home, ["leaderboard", "--backtest", id, "--json"], env)
      assert.strictEqual(board.code, 0, board.stderr)
      const warned = board.stderr.split("\n").filter((l) => l.startsWith("warning: ")).map((l) => l.slice("warning: ".length))
      assert.strictEqual(warned.length, 1, board.stderr)
      assert.include(warned[0]!, `backtest ${id} ran on market data sha256`)
      const moved = await read(`/api/leaderboard?backtest=${id}`)
      assert.strictEqual(moved.dataChanged, warned[0])
      // the rest of the answer is the CLI's
      const { dataChanged: _, ...rest } = moved
      assert.deepStrictEqual(rest, JSON.parse(board.stdout))
      assert.strictEqual((await read(`/api/backtests/${id}/report`)).dataChanged, warned[0])
      assert.strictEqual((await read("/api/backtests/latest/report")).dataChanged, warned[0])
      // the live book is no backtest: nothing said
      assert.notProperty(await read("/api/leaderboard"), "dataChanged")
      const openapi = JSON.stringify(await (await fetchFresh(`${server.url}/openapi.json`)).json())
      assert.include(openapi, "present when the backtest's market data here no longer matches the bars it ran on")

      const problems: Array<string> = []
      const page = await browser.newPage({ viewport: { width: 1360, height: 1500 } })
      collectProblems(page, problems)
      await page.goto(`${server.url}/#/?backtest=${id}`)
      await page.waitForSelector("#data-changed")
      assert.strictEqual(await page.$eval("#data-changed", (e) => e.textContent), `Warning: ${warned[0]}.`)
      assert.deepStrictEqual(problems, [])
    } finally {
      await browser.close()
      await server.stop()
    }
  }, 120_000)
})

import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Browser } from "playwright-core"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { launchChromium, type ServerProcess, startServer, fetchFresh } from "./MonitorHome.ts"

const DAYS = ["2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07", "2024-03-08", "2024-03-11"]
const ACCOUNTS = ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"]

let home: string
let server: ServerProcess
let browser: Browser
let csv: ReadonlyArray<Record<string, string>>

/** `equity --csv` as rows keyed by its header. */
const parseCsv = (text: string) => {
  const [header, ...lines] = text.trim().split("\n")
  const keys = header!.split(",")
  return lines.map((line) => Object.fromEntries(line.split(",").map((v, i) => [keys[i]!, v])))
}

beforeAll(async () => {
  home = tempHome()
  // the live book written by real runs: each day's run reconciles what the exchange did since the last one
  for (const day of DAYS) {
    const r = await cliInProcess(home, ["run", "daily", "--date", day])
    if (r.code !== 0) throw new Error(`run daily --date ${day}: ${r.stderr}`)
  }
  const equity = await cliInProcess(home, ["equity", "--csv"])
  csv = parseCsv(equity.stdout)
  ;[server, browser] = await Promise.all([startServer(home), launchChromium()])
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** `+1.2 %` as the report writes a fraction; `0.0 %`, no sign, for what rounds to zero. */
const signed = (x: number) => {
  const digits = Math.abs(x * 100).toFixed(1)
  return digits === "0.0" ? "0.0 %" : `${x > 0 ? "+" : "−"}${digits} %`
}

describe("the report of a book written by real runs", () => {
  it("opens in Chromium with nothing loaded but itself, shows every account, and its numbers are equity --csv's", async () => {
    assert.sameMembers([...new Set(csv.map((r) => r["account"]))], ACCOUNTS)
    assert.deepStrictEqual([...new Set(csv.map((r) => r["date"]))], DAYS)
    const page = await browser.newPage()
    const requests: Array<string> = []
    const problems: Array<string> = []
    page.on("request", (request) => requests.push(request.url()))
    page.on("console", (message) => problems.push(`${message.type()}: ${message.text()}`))
    page.on("pageerror", (error) => problems.push(error.message))
    const url = `${server.url}/backtests/live/report.html`
    await page.goto(url)
    await page.waitForSelector("#accounts table")
    assert.deepStrictEqual(requests, [url])
    assert.deepStrictEqual(problems, [])
    // the baselines: random entry, and the mechanical vote the runs recorded, as paper accounts
    const baselines = await page.$$eval("table.baselines tbody tr td:first-child", (tds) => tds.map((td) => td.textContent))
    assert.sameMembers(baselines, ["RANDOM", "MECHANICAL"])
    const against = await page.$$eval("table.attribution tbody tr td:first-child", (tds) => tds.map((td) => td.textContent))
    assert.deepStrictEqual(against, ["best PM", "median PM", "mechanical vote", "random entry"])
    const drawn = await page.$$eval("#charts figure:first-of-type polyline", (lines) => lines.map((l) => l.getAttribute("data-series")))
    assert.sameMembers(drawn, [...ACCOUNTS, "SPY buy-and-hold"])
    const metrics = await page.$$eval("table.metrics tbody tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")))
    const ends = await page.$$eval("table.accounts tbody tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")))
    for (const account of ACCOUNTS) {
      // recomputed from the CSV alone: total return = last equity / first − 1; excess = that − SPY's
      const rows = csv.filter((r) => r["account"] === account)
      const first = Number(rows[0]!["equity"])
      const last = Number(rows.at(-1)!["equity"])
      const spy = Number(rows.at(-1)!["spy_benchmark"]) / Number(rows[0]!["spy_benchmark"]) - 1
      const row = metrics.find((m) => m[0] === account)!
      assert.strictEqual(row[1], signed(last / first - 1), `${account} total return`)
      assert.strictEqual(row[12], signed(last / first - 1 - spy), `${account} excess return`)
      assert.strictEqual(row[15], String(rows.length - 1), `${account} n`)
      const end = ends.find((e) => e[0] === account)!
      assert.strictEqual(Number(end[4]!.replace(/[$,]/g, "")).toFixed(2), last.toFixed(2), `${account} end equity`)
    }
    await page.close()
  })

  it("the JSON behind it agrees with equity --csv to the cent", async () => {
    const response = await fetchFresh(`${server.url}/api/backtests/live/report`)
    assert.strictEqual(response.status, 200)
    const data = await response.json() as { equity: { accounts: ReadonlyArray<{ account: string; points: ReadonlyArray<{ date: string; equity: number; traded: number }> }> } }
    for (const { account, points } of data.equity.accounts) {
      const rows = csv.filter((r) => r["account"] === account)
      assert.deepStrictEqual(points.map((p) => [p.date, p.equity]), rows.map((r) => [r["date"], Number(r["equity"])]))
      // `traded` is a binary sum in the JSON (`39876.149999999994`), the decimal it stands for in the CSV (`39876.15`)
      points.forEach((p, i) => assert.closeTo(Number(rows[i]!["traded"]), p.traded, Math.abs(p.traded) * 1e-12, `${account} ${p.date} traded`))
    }
  })
})

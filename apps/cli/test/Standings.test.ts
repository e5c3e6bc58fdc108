import { join } from "node:path"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { BACKTEST, seedDatabase, type Simulation } from "../../../packages/tracking/test/fixtures/SimulatedBook.ts"
import { tempHome } from "./CliHarness.ts"
import { parseEquityCsv } from "./EquityCsv.ts"
import { cliInProcess, cliOk } from "./InProcess.ts"

let home = ""
let live: Simulation

beforeAll(async () => {
  home = tempHome()
  live = await seedDatabase(join(home, "council.db"), 30, { markedAtOpens: true })
}, 60_000)

const run = (args: ReadonlyArray<string>) => cliOk(home, args)

describe("leaderboard, equity and backtests from the ledger", () => {
  it("every leaderboard metric agrees with one recomputed here from equity --csv", async () => {
    const board = JSON.parse(await run(["leaderboard", "--json"]))
    const csv = parseEquityCsv(await run(["equity", "--csv"]))
    assert.deepStrictEqual(csv.columns, [
      "account", "date", "equity", "cash", "long_market_value", "short_market_value", "gross_exposure", "traded", "llm_cost", "spy_close",
      "marked_at", "spy_mark", "spy_benchmark"
    ])
    for (const row of board.leaderboard.rows) {
      const series = csv.byAccount.get(row.account)!
      const equity = series.map((r) => Number(r["equity"]))
      // the book's snapshots are marked at the sessions' opens: SPY's value of a session is its open, not its close
      assert.isTrue(series.every((r) => r["marked_at"] === `${r["date"]}T14:30:00.000Z` && r["spy_mark"] === r["spy_benchmark"] && r["spy_mark"] !== r["spy_close"]))
      const spy = series.map((r) => Number(r["spy_benchmark"]))
      const returns: Array<number> = []
      for (let t = 1; t < equity.length; t++) returns.push(equity[t]! / equity[t - 1]! - 1)
      const n = returns.length
      const mean = returns.reduce((a, r) => a + r, 0) / n
      const sd = Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1))
      let peak = -Infinity
      let worst = 0
      for (const e of equity) {
        peak = Math.max(peak, e)
        worst = Math.max(worst, 1 - e / peak)
      }
      const total = equity[n]! / equity[0]! - 1
      const m = row.metrics
      assert.strictEqual(m.sessions, n)
      assert.closeTo(m.totalReturn, total, 1e-12)
      assert.closeTo(m.annualizedReturn, (1 + total) ** (252 / n) - 1, 1e-12)
      assert.closeTo(m.volatility, sd * Math.sqrt(252), 1e-12)
      assert.closeTo(m.sharpe, (mean / sd) * Math.sqrt(252), 1e-9)
      assert.closeTo(m.maxDrawdown.depth, worst, 1e-12)
      assert.closeTo(m.benchmarkReturn, spy[n]! / spy[0]! - 1, 1e-12)
      assert.closeTo(m.excessReturn, total - (spy[n]! / spy[0]! - 1), 1e-12)
      const traded = series.slice(1).map((r, t) => Number(r["traded"]) / equity[t]!)
      assert.closeTo(m.turnover, (traded.reduce((a, x) => a + x, 0) / n) * 252, 1e-9)
      assert.closeTo(m.pnl, equity[n]! - equity[0]!, 1e-6)
      assert.isNull(m.llmCost)
      assert.deepStrictEqual(series.map((r) => r["llm_cost"]), series.map(() => ""))
    }
    assert.deepStrictEqual(board.leaderboard.rows.map((r: any) => r.rank), [1, 2, 3, 4, 5, 6])
    // each number as the decimal it stands for: a sum of fills' notionals is `9980.3`, not `9980.300000000001`
    const noisy = [...csv.byAccount.values()].flat().flatMap((r) => Object.values(r)).filter((v) => /^-?\d+\.\d*$/.test(v) && v.replace(/\D/g, "").replace(/^0+/, "").length > 15)
    assert.deepStrictEqual(noisy, [])
  })

  it("prints the table with intervals, n, the bootstrap's settings and a one-line verdict", async () => {
    const out = await run(["leaderboard"])
    const lines = out.trim().split("\n")
    assert.strictEqual(live.sessions.length, 30)
    assert.match(lines[0]!, /^book live · 2025-01-02 … \d{4}-\d{2}-\d{2} · 30 sessions \(29 daily returns\) · SPY buy-and-hold /)
    assert.match(lines[1]!, /stationary block bootstrap, 2000 replicates, mean block length 4, seed "council"/)
    assert.strictEqual(lines[2], "Sharpe and Sortino over a risk-free rate of 0 % a year (COUNCIL_RISK_FREE)")
    // what the figures are net of: the live book's fills are the broker's own
    assert.strictEqual(lines[3], "Total return, Sharpe and excess are after trading costs (the broker's fills) and before LLM costs, which net P&L alone subtracts")
    assert.match(out, /RANK\s+ACCOUNT\s+TOTAL RETURN\s+SHARPE\s+EXCESS vs SPY.*NET P&L\s+N RETURNS\n/)
    // turnover in the unit the baselines' note writes it (COUNCIL's turnover (…×/yr)): times the book a year
    assert.match(out, /\n\s*RANK\s.*\sWIN TRADES\s+TURNOVER \(×\/yr\)\s+EXPOSURE\s/)
    assert.match(out, /\n\s*BASELINE\s.*\sEXCESS vs SPY\s+TURNOVER \(×\/yr\)\s+EXPOSURE\s/)
    assert.match(out, /COUNCIL's turnover \(\d+\.\d×\/yr\)/)
    for (const account of ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"]) assert.match(out, new RegExp(`\\n\\d\\s+${account}\\s+[+−]\\d+\\.\\d % \\(95 % CI`))
    assert.match(lines.find((l) => l.startsWith("verdict: "))!, /^verdict: .*SPY at 95 % over 30 sessions \(29 daily returns\)$/)
    // then the paper baselines and the council against its best and median PM and the random entry
    assert.match(out, /\nRANDOM\s+[+−]\d+\.\d % \(95 % CI/)
    assert.match(out, /\nbest PM\s+[A-Z]+\s+[+−]\d+\.\d % \(95 % CI/)
    // the best PM is picked after the fact: the note says how much a verdict against it weighs
    assert.include(lines.find((l) => l.startsWith("baselines and attribution: ")), "; best and median PM: ranked by this window's Sharpe, after the fact (the best PM's luck counts for it: trailing it is weak evidence, beating it strong)")
    assert.match(out, /\nrandom entry\s+RANDOM\s+[+−]\d+\.\d % \(95 % CI/)
    assert.match(lines.at(-1)!, /^ {2}(no difference between|COUNCIL beats|COUNCIL trails) .*its random entry \(RANDOM\)/)
  })

  it("says which risk-free rate its Sharpe and Sortino are over, as COUNCIL_RISK_FREE sets it", async () => {
    const env = { COUNCIL_RISK_FREE: "0.0425" }
    const table = await cliInProcess(home, ["leaderboard"], env)
    assert.strictEqual(table.code, 0, table.stderr)
    assert.strictEqual(table.stdout.split("\n")[2], "Sharpe and Sortino over a risk-free rate of 4.25 % a year (COUNCIL_RISK_FREE)")
    const json = await cliInProcess(home, ["leaderboard", "--json"], env)
    const board = JSON.parse(json.stdout).leaderboard
    assert.strictEqual(board.riskFree, 0.0425)
    assert.deepStrictEqual([...new Set(board.rows.map((r: { metrics: { riskFree: number } }) => r.metrics.riskFree))], [0.0425])
  })

  it("says too few daily returns for a short window, reads a backtest's book, lists the backtests", async () => {
    const short = await run(["leaderboard", "--from", live.sessions[20]!])
    assert.match(short, /verdict: too few daily returns \(9 < 20, over 10 sessions\)/)
    assert.match(short, /\n—\s+CLAUDE/)
    // no interval under 20 sessions, so no word of the bootstrap that would draw them; a full window names it
    assert.notMatch(short, /intervals:|bootstrap|block length|seed "/)
    assert.match(await run(["leaderboard"]), /\n95 % intervals: stationary block bootstrap, \d+ replicates, mean block length \d+, seed "/)
    const backtest = JSON.parse(await run(["leaderboard", "--backtest", "latest", "--json"]))
    assert.strictEqual(backtest.book, BACKTEST)
    assert.strictEqual(backtest.leaderboard.from, "2023-01-03")
    const books = await run(["backtests"])
    // the range asked, then the sessions it recorded (a book without the asked count in its params: their number alone)
    assert.match(books, new RegExp(`${BACKTEST}\\s+completed\\s+2023-01-03 … 2023-03-31\\s+2023-01-03 … 2023-02-07\\s+25\\s+6\\s+Q1 2023`))
    const claude = await run(["equity", "--account", "claude", "--from", live.sessions[3]!, "--to", live.sessions[5]!])
    assert.deepStrictEqual(claude.trim().split("\n").slice(2).map((l) => l.split(/\s+/).slice(0, 2).join(" ")), live.sessions.slice(3, 6).map((d) => `CLAUDE ${d}`))
    const after = await run(["equity", "--from", "2099-01-02"])
    assert.strictEqual(after.trim(), "no equity recorded in book live from 2099-01-02 on yet — record a session's with: pnpm pipeline run daily (or pnpm pipeline reconcile)")
    // a completed backtest's book: a window past its sessions (or a weekend within them) says it is over, and what it holds
    const later = await run(["equity", "--backtest", "latest", "--from", "2099-01-02"])
    assert.strictEqual(later.trim(), `no equity recorded in book ${BACKTEST} from 2099-01-02 on — its backtest is complete: its sessions span 2023-01-03 … 2023-02-07, and the window holds none of them`)
    const board = JSON.parse(await run(["leaderboard", "--backtest", "latest", "--from", "2099-01-02", "--json"]))
    assert.strictEqual(board.verdict, `no equity recorded in book ${BACKTEST} from 2099-01-02 on — its backtest is complete: its sessions span 2023-01-03 … 2023-02-07, and the window holds none of them`)
    const weekend = await run(["equity", "--backtest", "latest", "--from", "2023-01-07", "--to", "2023-01-08"])
    assert.strictEqual(weekend.trim(), `no equity recorded in book ${BACKTEST} from 2023-01-07 to 2023-01-08 — its backtest is complete: its sessions span 2023-01-03 … 2023-02-07, and the window holds none of them`)
  })

  it("counts one backtest's window the same in `backtests`, `equity`, the leaderboard's table and its --json", async () => {
    const listed = (await run(["backtests"])).split("\n").find((l) => l.startsWith(BACKTEST))!
    // `backtests` gives the range asked and the sessions recorded; the equity rows are those sessions, every account's
    const sessions = listed.match(/completed\s+\S+ … \S+\s+\S+ … \S+\s+(\d+)\s/)![1]!
    const equity = [...parseEquityCsv(await run(["equity", "--backtest", BACKTEST, "--csv"])).byAccount.values()]
    assert.deepStrictEqual([...new Set(equity.map((rows) => rows.length))], [Number(sessions)])
    const [from, to] = [equity[0]![0]!["date"], equity[0]!.at(-1)!["date"]]
    const head = (await run(["leaderboard", "--backtest", BACKTEST])).split("\n")[0]!
    assert.strictEqual(head.split(" · ").slice(1, 3).join(" · "), `${from} … ${to} · ${sessions} sessions (${Number(sessions) - 1} daily returns)`)
    const board = JSON.parse(await run(["leaderboard", "--backtest", BACKTEST, "--json"])).leaderboard
    assert.deepStrictEqual([board.from, board.to, board.sessions], [from, to, Number(sessions) - 1])
    assert.match(board.verdict, new RegExp(` over ${sessions} sessions \\(${Number(sessions) - 1} daily returns\\)(;|$)`))
  })

  it("--backtest live names the live book, as the dashboard's report page does", async () => {
    const named = JSON.parse(await run(["leaderboard", "--backtest", "live", "--json"]))
    assert.strictEqual(named.book, "live")
    assert.deepStrictEqual(named, JSON.parse(await run(["leaderboard", "--json"])))
    const csv = await run(["equity", "--backtest", "live", "--csv"])
    assert.deepStrictEqual([...parseEquityCsv(csv).byAccount.keys()].sort(), ["CHATGPT", "CLAUDE", "COUNCIL", "DEEPSEEK", "GEMINI", "GROQ"].sort())
    assert.strictEqual(csv, await run(["equity", "--csv"]))
  })

  it("on a fresh home reads an empty book and creates nothing", async () => {
    const fresh = join(tempHome(), "home")
    const r = await cliInProcess(fresh, ["leaderboard"])
    assert.deepStrictEqual([r.code, r.stdout.trim()], [0, "no equity recorded in book live yet — record a session's with: pnpm pipeline run daily (or pnpm pipeline reconcile)"])
    const b = await cliInProcess(fresh, ["backtests"])
    assert.deepStrictEqual([b.code, b.stdout.trim()], [0, "no backtests yet — start one with: pnpm pipeline backtest --from YYYY-MM-DD --to YYYY-MM-DD"])
    assert.isFalse((await import("node:fs")).existsSync(fresh))
  })
})

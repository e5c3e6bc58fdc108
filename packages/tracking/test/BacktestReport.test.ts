import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { TradingDay } from "@council/domain"
import { SpendLedger } from "@council/llm"
import { MarketData } from "@council/market"
import { BacktestReport, BookId, TradeLedger } from "@council/tracking"
import { ledgerHome } from "./fixtures/LedgerHome.ts"
import { ACCOUNTS, simulate } from "./fixtures/SimulatedBook.ts"

const env = () => ledgerHome("council-report-")

const BOOK = BookId.make("bt-report-test")

describe("BacktestReport", () => {
  it.effect("a book's report: every account's series and metrics, the baselines and attribution, one self-contained page", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const from = TradingDay.make("2023-03-01")
      yield* ledger.createBook({ id: BOOK, label: "test <b>", from, to: TradingDay.make("2023-05-01"), params: { pms: "offline", accounts: ["A"] } })
      const sim = yield* simulate(yield* MarketData, BOOK, from, 30)
      for (const day of sim.days) yield* ledger.record(day)
      const data = yield* BacktestReport.reportData(BOOK)
      assert.sameMembers(data.equity.accounts.map((a) => a.account), [...ACCOUNTS])
      for (const { account, points } of data.equity.accounts) {
        assert.deepStrictEqual(points.map((p) => p.equity), sim.equity.get(account))
      }
      const board = data.leaderboard.leaderboard!
      assert.strictEqual(board.rows.length, ACCOUNTS.length)
      const contest = data.leaderboard.contest!
      assert.deepStrictEqual(contest.baselines!.rows.map((r) => r.account), ["RANDOM"])
      assert.deepStrictEqual(contest.attribution!.comparisons.map((c) => c.against), ["best PM", "median PM", "random entry"])
      assert.match(contest.note, /MECHANICAL: —/)

      const html = BacktestReport.renderHtml(data)
      assert.strictEqual(BacktestReport.renderHtml(data), html)
      assert.notMatch(html, /<script|<link|https?:\/\/|src=/i)
      assert.include(html, "test &lt;b&gt;")
      for (const account of ACCOUNTS) {
        assert.include(html, `data-series="${account}"`)
        const row = board.rows.find((r) => r.account === account)!
        assert.include(html, `<td>${account}</td><td>${row.metrics.totalReturn >= 0 ? "+" : "−"}${Math.abs(row.metrics.totalReturn * 100).toFixed(1)} %</td>`)
      }
      assert.include(html, `data-series="SPY buy-and-hold"`)
      // the equity chart is on a log axis: each account's polyline, read back through the svg's own scale
      // (data-y0/y1 are natural logs), gives its equity on every session to a pixel
      const equitySvg = html.slice(html.indexOf("<svg"), html.indexOf("</svg>"))
      const attr = (name: string) => Number(equitySvg.match(new RegExp(`data-${name}="([^"]+)"`))![1])
      assert.match(equitySvg, /data-scale="log"/)
      const [y0, y1, top, bottom] = [attr("y0"), attr("y1"), attr("top"), attr("bottom")]
      for (const account of ACCOUNTS) {
        const points = equitySvg.match(new RegExp(`data-series="${account}"[^>]* points="([^"]+)"`))![1]!.split(" ")
        const drawn = points.map((p) => Math.exp(y0 + ((bottom - Number(p.split(",")[1])) / (bottom - top)) * (y1 - y0)))
        const expected = sim.equity.get(account)!
        assert.strictEqual(drawn.length, expected.length)
        drawn.forEach((v, i) => assert.closeTo(v, expected[i]!, expected[i]! * Math.expm1((y1 - y0) / (bottom - top)), `${account} ${i}`))
      }
      const json = JSON.parse(BacktestReport.renderJson(data))
      assert.strictEqual(json.book.id, BOOK)
      assert.strictEqual(json.equity.accounts.length, ACCOUNTS.length)
    }).pipe(Effect.provide(env())))

  it.effect("the report's JSON says each session's traded dollars as the decimal they are (9980.3, not 9980.300000000001)", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const from = TradingDay.make("2023-03-01")
      yield* ledger.createBook({ id: BOOK, label: "decimals", from, to: TradingDay.make("2023-06-01"), params: {} })
      const sim = yield* simulate(yield* MarketData, BOOK, from, 60)
      for (const day of sim.days) yield* ledger.record(day)
      // each session's sum of qty × price in exact integer arithmetic (whole shares, prices of at most 4 decimals)
      const exact = new Map<string, bigint>()
      for (const fill of sim.days.flatMap((d) => d.fills)) {
        const key = `${fill.account} ${fill.session}`
        assert.isTrue(Number.isInteger(fill.qty) && Math.abs(fill.price * 1e4 - Math.round(fill.price * 1e4)) < 1e-6)
        exact.set(key, (exact.get(key) ?? 0n) + BigInt(fill.qty) * BigInt(Math.round(fill.price * 1e4)))
      }
      const text = (tenThousandths: bigint) => {
        const whole = tenThousandths / 10_000n
        const fraction = String(tenThousandths % 10_000n).padStart(4, "0").replace(/0+$/, "")
        return fraction === "" ? String(whole) : `${whole}.${fraction}`
      }
      const json = JSON.parse(BacktestReport.renderJson(yield* BacktestReport.reportData(BOOK))) as {
        equity: { accounts: ReadonlyArray<{ account: string; points: ReadonlyArray<{ date: string; traded: number }> }> }
      }
      let sums = 0
      let noisy = 0
      for (const { account, points } of json.equity.accounts) {
        for (const point of points) {
          const sum = exact.get(`${account} ${point.date}`)
          if (sum === undefined) continue
          sums++
          const fills = sim.days.flatMap((d) => d.fills).filter((f) => f.account === account && f.session === point.date)
          if (String(fills.reduce((a, f) => a + f.qty * f.price, 0)) !== text(sum)) noisy++
          assert.strictEqual(String(point.traded), text(sum), `${account} ${point.date}`)
        }
      }
      assert.isAbove(sums, 10)
      // some of these sums come out of binary floating point with noise: else this test could not fail
      assert.isAbove(noisy, 0)
    }).pipe(Effect.provide(env())))

  it.effect("an amount that rounds to zero cents has no sign: a spend under half a cent is a net P&L of $0.00, not −$0.00 (as the CLI writes it)", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const from = TradingDay.make("2023-03-01")
      yield* ledger.createBook({ id: BOOK, label: "cents", from, to: TradingDay.make("2023-05-01"), params: {} })
      const sim = yield* simulate(yield* MarketData, BOOK, from, 30)
      for (const day of sim.days) yield* ledger.record(day)
      const data = yield* BacktestReport.reportData(BOOK)
      const board = data.leaderboard.leaderboard!
      // an account that did not trade and spent $0.004 on its models; another that lost $12.345 net
      const [quiet, loser, ...rest] = board.rows
      const rows = [
        { ...quiet!, metrics: { ...quiet!.metrics, llmCost: 0.004, pnlNetOfCost: -0.004 } },
        { ...loser!, metrics: { ...loser!.metrics, llmCost: 0.5, pnlNetOfCost: -12.345 } },
        ...rest
      ]
      const html = BacktestReport.renderHtml({ ...data, leaderboard: { ...data.leaderboard, leaderboard: { ...board, rows } } })
      const metrics = html.slice(html.indexOf('class="metrics"'))
      const rowOf = (account: string) => metrics.slice(metrics.indexOf(`<td>${account}</td>`)).split("</tr>")[0]!
      assert.include(rowOf(quiet!.account), "<td>$0.00</td>")
      assert.notInclude(html, "−$0.00")
      assert.include(rowOf(loser!.account), "<td>−$12.35</td>")
    }).pipe(Effect.provide(env())))

  it.effect("an equity tick that rounds to zero dollars has no sign: −$0.00 is never written", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const from = TradingDay.make("2023-03-01")
      yield* ledger.createBook({ id: BOOK, label: "ticks", from, to: TradingDay.make("2023-05-01"), params: {} })
      const sim = yield* simulate(yield* MarketData, BOOK, from, 30)
      for (const day of sim.days) yield* ledger.record(day)
      const data = yield* BacktestReport.reportData(BOOK)
      // accounts worth −$1 and $0 by turns, no benchmark: the equity axis runs −1 … 0, its middle tick at −0.5
      const accounts = data.equity.accounts.map((a) => ({ ...a, points: a.points.map((p, i) => ({ ...p, equity: i % 2 === 0 ? -1 : 0 })) }))
      const html = BacktestReport.renderHtml({ ...data, equity: { ...data.equity, accounts, benchmark: null } })
      const equitySvg = html.slice(html.indexOf("<svg"), html.indexOf("</svg>"))
      const ticks = [...equitySvg.matchAll(/text-anchor="end" dominant-baseline="middle">([^<]*)</g)].map((m) => m[1])
      // round ticks a fifth of a dollar apart, in cents
      assert.deepStrictEqual(ticks, ["\u2212$1.00", "\u2212$0.80", "\u2212$0.60", "\u2212$0.40", "\u2212$0.20", "$0.00"])
      assert.notInclude(html, "\u2212$0.00")
    }).pipe(Effect.provide(env())))

  it.effect("names the bootstrap only above intervals it drew: not for a book of fewer than 20 daily returns", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const from = TradingDay.make("2023-03-01")
      yield* ledger.createBook({ id: BOOK, label: "short", from, to: TradingDay.make("2023-03-31"), params: { pms: "offline", accounts: ["A"] } })
      const sim = yield* simulate(yield* MarketData, BOOK, from, 12)
      for (const day of sim.days) yield* ledger.record(day)
      const html = BacktestReport.renderHtml(yield* BacktestReport.reportData(BOOK))
      assert.include(html, "too few daily returns (11 &lt; 20, over 12 sessions)")
      assert.include(html, "· 12 sessions (11 daily returns) ·")
      assert.include(html, "<th>n (daily returns)</th>")
      assert.notInclude(html, "stationary block bootstrap")
      assert.notInclude(html, "replicates")
    }).pipe(Effect.provide(env())))

  it.effect("a cost that includes a worst case (usage unknown) is marked ≈ on the page and named in the JSON, as the CLI's table marks it", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const from = TradingDay.make("2023-03-01")
      yield* ledger.createBook({ id: BOOK, label: "estimates", from, to: TradingDay.make("2023-05-01"), params: { pms: "live" } })
      const sim = yield* simulate(yield* MarketData, BOOK, from, 30)
      for (const day of sim.days) yield* ledger.record(day)
      const sessions = sim.days.map((d) => d.snapshots[0]!.session)
      const spend = yield* SpendLedger
      const call = (actor: string, tradingDay: string, costUsd: number, estimated: boolean) =>
        spend.record({ runId: `${tradingDay}-run`, stage: "PmPitches", actor, purpose: "pitch", model: "openai:gpt-5.4", costUsd, estimated, at: `${tradingDay}T19:50:00.000Z`, book: BOOK, tradingDay })
      // CHATGPT's pitch on the second session had no usage: charged its worst case; CLAUDE's was measured;
      // GEMINI's estimate falls on the last session, whose cost is not the window's (it pays for what comes after)
      yield* call("CHATGPT", sessions[1]!, 0.25, true)
      yield* call("CLAUDE", sessions[2]!, 0.125, false)
      yield* call("GEMINI", sessions.at(-1)!, 0.5, true)
      const data = yield* BacktestReport.reportData(BOOK)
      const board = data.leaderboard.leaderboard!
      assert.strictEqual(board.rows.find((r) => r.account === "CHATGPT")!.metrics.llmCost, 0.25)
      assert.strictEqual(board.rows.find((r) => r.account === "GEMINI")!.metrics.llmCost, 0)
      // CHATGPT, and every account trading the council's decision (charged every call), but not CLAUDE nor GEMINI
      const councils = board.rows.map((r) => r.account).filter((a) => !["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK"].includes(a))
      assert.sameMembers([...data.leaderboard.llmCostEstimated], ["CHATGPT", ...councils])
      assert.deepStrictEqual(JSON.parse(BacktestReport.renderJson(data)).leaderboard.llmCostEstimated, data.leaderboard.llmCostEstimated)
      const html = BacktestReport.renderHtml(data)
      const metrics = html.slice(html.indexOf('class="metrics"'))
      const rowOf = (account: string) => metrics.slice(metrics.indexOf(`<td>${account}</td>`)).split("</tr>")[0]!
      assert.include(rowOf("CHATGPT"), "<td>≈$0.25</td>")
      assert.notInclude(rowOf("CLAUDE"), "≈")
      assert.notInclude(rowOf("GEMINI"), "≈")
      assert.include(html, "≈: includes the worst case charged for calls whose usage is unknown")
    }).pipe(Effect.provide(env())))
})

import { readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { AccountId, RunId, Ticker, TradingDay } from "@council/domain"
import { RunStore } from "@council/engine"
import { SpendLedger } from "@council/llm"
import { defaultBarsDirectory, MarketData } from "@council/market"
import { BookId, liveBook, Standings, TradeLedger, Trades } from "@council/tracking"
import { ledgerHome } from "./fixtures/LedgerHome.ts"
import { ACCOUNTS, simulate } from "./fixtures/SimulatedBook.ts"

const FROM = TradingDay.make("2024-01-02")

const env = () => ledgerHome("council-standings-")

const seeded = (sessions: number) =>
  Effect.gen(function*() {
    const market = yield* MarketData
    const ledger = yield* TradeLedger
    const sim = yield* simulate(market, liveBook, FROM, sessions)
    for (const day of sim.days) yield* ledger.record(day)
    return sim
  })

/** SPY's close per date, read straight from the CSV file. */
const spyCloses = (): ReadonlyMap<string, number> =>
  new Map(readFileSync(new URL("SPY.csv", defaultBarsDirectory), "utf8").trim().split("\n").slice(1).map((line) => {
    const [date, , , , close] = line.split(",")
    return [date!, Number(close)] as const
  }))

describe("Standings", () => {
  it.effect("the leaderboard of 30 sessions ranks six accounts against SPY buy-and-hold from the market data", () =>
    Effect.gen(function*() {
      const sim = yield* seeded(30)
      const report = yield* Standings.leaderboardReport({ book: liveBook })
      const board = report.leaderboard!
      assert.isTrue(board.ranked)
      assert.deepStrictEqual(board.rows.map((r) => r.rank), [1, 2, 3, 4, 5, 6])
      assert.sameMembers(board.rows.map((r) => r.account), [...ACCOUNTS])
      const spy = spyCloses()
      const first = sim.sessions[0]!
      const last = sim.sessions[sim.sessions.length - 1]!
      assert.closeTo(board.benchmark.totalReturn, spy.get(last)! / spy.get(first)! - 1, 1e-12)
      for (const row of board.rows) {
        const equity = sim.equity.get(row.account)!
        assert.closeTo(row.metrics.totalReturn, equity[equity.length - 1]! / equity[0]! - 1, 1e-12)
        assert.strictEqual(row.totalReturn._tag, "Interval")
        assert.strictEqual(row.metrics.sessions, 29)
        assert.isNull(row.metrics.llmCost)
      }
      assert.isFalse(report.llmCostRecorded)
      assert.strictEqual(report.verdict, board.verdict)
      assert.match(report.verdict, /SPY at 95 % over 30 sessions \(29 daily returns\)$/)
    }).pipe(Effect.provide(env())))

  it.effect("the leaderboard reads the ledger's marks once, from its equity report, and gives the same answer as when it must read them itself", () =>
    Effect.gen(function*() {
      yield* seeded(30)
      const windows: Array<string> = []
      const counted = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.updateService(effect, TradeLedger, (ledger) => ({
          ...ledger,
          marks: (query: Parameters<typeof ledger.marks>[0]) => (windows.push(`${query.from} … ${query.to}`), ledger.marks(query))
        }))
      const whole = yield* counted(Standings.leaderboardReport({ book: liveBook }))
      assert.strictEqual(windows.length, 1, windows.join("; "))
      // a report that did not come from equityReport here (decoded from the worker's answer): its marks are read
      const report = yield* counted(Standings.equityReport({ book: liveBook }))
      const decoded = Schema.decodeUnknownSync(Standings.EquityReport)(Schema.encodeSync(Standings.EquityReport)(report))
      windows.length = 0
      const again = yield* counted(Standings.leaderboardOf({ book: liveBook }, decoded))
      assert.deepStrictEqual(windows, [`${report.from} … ${report.to}`])
      assert.deepStrictEqual(again, whole)
    }).pipe(Effect.provide(env())))

  it.effect("a window's closed trades include the positions it opened with, at their entry prices", () =>
    Effect.gen(function*() {
      const sim = yield* seeded(30)
      const from = sim.sessions[7]!
      const report = yield* Standings.leaderboardReport({ book: liveBook, from })
      // each position of the simulated book is bought once and sold whole: a trade is an entry and the exit after it
      let openedBefore = 0
      for (const row of report.leaderboard!.rows) {
        const fills = sim.days.flatMap((d) => d.fills).filter((f) => f.account === row.account)
        const trades = fills.flatMap((exit, i) => {
          if (exit.side !== "sell" || exit.session <= from) return []
          const entry = fills.slice(0, i).findLast((f) => f.side === "buy" && f.symbol === exit.symbol)!
          if (entry.session <= from) openedBefore++
          return [exit.qty * (exit.price - entry.price)]
        })
        assert.strictEqual(row.metrics.closedTrades, trades.length, row.account)
        assert.strictEqual(row.metrics.winRateTrades, trades.length === 0 ? null : trades.filter((pnl) => pnl > 0).length / trades.length, row.account)
      }
      assert.isAbove(openedBefore, 0)
    }).pipe(Effect.provide(env())))

  it.effect("under 20 daily returns the table is unranked and the verdict says too few daily returns", () =>
    Effect.gen(function*() {
      yield* seeded(10)
      const report = yield* Standings.leaderboardReport({ book: liveBook })
      assert.isFalse(report.leaderboard!.ranked)
      assert.isTrue(report.leaderboard!.rows.every((r) => r.rank === null))
      assert.match(report.verdict, /^too few daily returns \(9 < 20, over 10 sessions\)/)
    }).pipe(Effect.provide(env())))

  it.effect("an empty book or window has no leaderboard and says so", () =>
    Effect.gen(function*() {
      const empty = yield* Standings.leaderboardReport({ book: liveBook })
      assert.isNull(empty.leaderboard)
      assert.strictEqual(empty.verdict, "no equity recorded in book live yet — record a session's with: pnpm pipeline run daily (or pnpm pipeline reconcile)")
      yield* seeded(5)
      const window = yield* Standings.leaderboardReport({ book: liveBook, from: TradingDay.make("2025-01-01") })
      assert.strictEqual(window.verdict, "no equity recorded in book live from 2025-01-01 on yet — record a session's with: pnpm pipeline run daily (or pnpm pipeline reconcile)")
    }).pipe(Effect.provide(env())))

  it.effect("a backtest's book with no equity in the window: still to come while it runs, outside its sessions once it completed", () =>
    Effect.gen(function*() {
      const ledger = yield* TradeLedger
      const book = yield* Schema.decodeUnknownEffect(BookId)("bt-2024-01-02-2024-01-31-abcdef")
      yield* ledger.createBook({ id: book, label: "January", from: FROM, to: TradingDay.make("2024-01-31"), params: {} })
      const sim = yield* simulate(yield* MarketData, book, FROM, 5)
      const window = { book, from: TradingDay.make("2024-01-06"), to: TradingDay.make("2024-01-07") }
      // running, no session recorded yet: its backtest records them as it runs
      const running = yield* Standings.leaderboardReport(window)
      assert.strictEqual(running.verdict, `no equity recorded in book ${book} from 2024-01-06 to 2024-01-07 yet — its backtest records each session's as it runs: pnpm pipeline backtests shows where it stands (and how to --resume one that stopped)`)
      for (const day of sim.days) yield* ledger.record(day)
      yield* ledger.setBookStatus(book, "completed")
      // completed: the weekend of its first week holds none of its sessions (2024-01-02 … 2024-01-08), and nothing is to come
      const completed = yield* Standings.leaderboardReport(window)
      assert.strictEqual(completed.verdict, `no equity recorded in book ${book} from 2024-01-06 to 2024-01-07 — its backtest is complete: its sessions span 2024-01-02 … 2024-01-08, and the window holds none of them`)
    }).pipe(Effect.provide(env())))

  it.effect("the equity report carries exposure, traded dollars, drawdown and SPY's closes on the same sessions", () =>
    Effect.gen(function*() {
      const sim = yield* seeded(15)
      const report = yield* Standings.equityReport({ book: liveBook, account: AccountId.make("GEMINI") })
      assert.deepStrictEqual(report.accounts.map((a) => a.account), ["GEMINI"])
      const points = report.accounts[0]!.points
      assert.deepStrictEqual(points.map((p) => p.equity), sim.equity.get("GEMINI"))
      const spy = spyCloses()
      assert.deepStrictEqual(report.benchmark!.points.map((p) => p.close), sim.sessions.map((d) => spy.get(d)!))
      let peak = 0
      for (const p of points) {
        peak = Math.max(peak, p.equity)
        assert.closeTo(p.drawdown, (peak - p.equity) / peak, 1e-12)
        assert.closeTo(p.grossExposure, p.equity - p.cash, 0.02)
      }
      assert.isAbove(points[0]!.traded, 90_000)
    }).pipe(Effect.provide(env())))

  it.effect("a book whose snapshots recorded no moment (written before 0022) reads as before: SPY at its closes, no mark", () =>
    Effect.gen(function*() {
      const sim = yield* seeded(25)
      const spy = spyCloses()
      const report = yield* Standings.equityReport({ book: liveBook })
      assert.isTrue(report.accounts.every((a) => a.points.every((p) => p.markedAt === null && p.spyMark === null)))
      assert.deepStrictEqual(report.benchmark!.points.map((p) => [p.markedAt, p.mark]), sim.sessions.map((d) => [null, spy.get(d)!]))
      const board = (yield* Standings.leaderboardReport({ book: liveBook })).leaderboard!
      assert.closeTo(board.benchmark.totalReturn, spy.get(sim.sessions.at(-1)!)! / spy.get(sim.sessions[0]!)! - 1, 1e-12)
    }).pipe(Effect.provide(env())))

  it.effect("a session the market data has no bar of yet (a live book between its 15:45 run and the day's complete bar) is benchmarked at its recorded mark", () =>
    Effect.gen(function*() {
      // 22 sessions to the data's last day (2026-06-08), then the run of 2026-06-09 at 15:45, which the data ends before
      const market = yield* MarketData
      const ledger = yield* TradeLedger
      const sim = yield* simulate(market, liveBook, TradingDay.make("2026-05-07"), 22)
      for (const day of sim.days) yield* ledger.record(day)
      assert.strictEqual(sim.sessions.at(-1), "2026-06-08")
      const today = TradingDay.make("2026-06-09")
      const markedAt = "2026-06-09T19:45:01.250Z"
      const last = sim.days.at(-1)!
      yield* ledger.record({
        book: liveBook,
        orders: [],
        fills: [],
        snapshots: last.snapshots.map((s) => ({ ...s, session: today, equity: s.equity + 100, takenAt: markedAt, markedAt })),
        marks: [{ session: today, markedAt, prices: { SPY: 750.25, QQQ: 700 } }]
      })
      const spy = spyCloses()
      const report = yield* Standings.equityReport({ book: liveBook })
      assert.isNotNull(report.benchmark, "SPY's benchmark")
      const points = report.benchmark!.points
      // every session of the book: the closes the data has, then the mark recorded at 2026-06-09's moment (no close yet)
      assert.deepStrictEqual(points.map((p) => p.date), [...sim.sessions, today])
      assert.deepStrictEqual(points.at(-1), { date: today, close: null, markedAt, mark: 750.25 })
      assert.deepStrictEqual(points.slice(0, -1).map((p) => p.mark), sim.sessions.map((d) => spy.get(d)!))
      const board = yield* Standings.leaderboardReport({ book: liveBook })
      assert.isNotNull(board.leaderboard, board.verdict)
      assert.strictEqual(board.leaderboard!.sessions, 22)
      // by hand: 750.25 against SPY's close of 2026-05-07 in SPY.csv
      assert.closeTo(board.leaderboard!.benchmark.totalReturn, 750.25 / spy.get("2026-05-07")! - 1, 1e-12)
      assert.isNotNull(board.contest?.baselines, board.contest?.note)
      assert.strictEqual(board.contest!.baselines!.sessions, 22)
    }).pipe(Effect.provide(env())))

  it.effect("LLM spend, when the store records it, is charged to a PM's account for its own calls and to the council for all", () =>
    Effect.gen(function*() {
      const sim = yield* seeded(3)
      const day = sim.sessions[1]!
      const runId = RunId.make(`${day}-0000cafe`)
      yield* RunStore.use((runs) =>
        runs.createRun({
          id: runId, pipeline: "daily", tradingDay: day, asOf: day, mode: "record", dryRun: false, codeVersion: "t", parentRunId: null,
          forkFrom: null, status: "completed", startedAt: `${day}T20:00:00.000Z`, finishedAt: null, error: null, params: {}
        })
      )
      const ledger = yield* SpendLedger
      for (const [actor, costUsd] of [["CHATGPT", 0.25], ["CLAUDE", 0.5], ["CHAIRMAN", 1]] as const) {
        yield* ledger.record({ runId, stage: "PmPitches", actor, purpose: "pitch", model: "openai:gpt-5.4", costUsd, estimated: false, at: `${day}T20:01:00.000Z` })
      }
      const report = yield* Standings.equityReport({ book: liveBook })
      const costOn = (account: string) => report.accounts.find((a) => a.account === account)!.points.map((p) => p.llmCost)
      assert.isTrue(report.llmCostRecorded)
      assert.deepStrictEqual(costOn("CHATGPT"), [0, 0.25, 0])
      assert.deepStrictEqual(costOn("GEMINI"), [0, 0, 0])
      assert.deepStrictEqual(costOn("COUNCIL"), [0, 1.75, 0])
      // a session's cost is the same in every window that holds it: 0 (not "—") in one without spend of its own
      for (const session of sim.sessions) {
        const narrow = yield* Standings.equityReport({ book: liveBook, from: session, to: session })
        assert.isTrue(narrow.llmCostRecorded)
        const wide = new Map(report.accounts.map((a) => [a.account, a.points.find((p) => p.date === session)!.llmCost]))
        assert.deepStrictEqual(new Map(narrow.accounts.map((a) => [a.account, a.points[0]!.llmCost])), wide, session)
      }
      const board = yield* Standings.leaderboardReport({ book: liveBook, to: sim.sessions[1]! })
      assert.deepStrictEqual(board.leaderboard!.rows.map((r) => r.metrics.llmCost), board.leaderboard!.rows.map(() => 0))
    }).pipe(Effect.provide(env())))

  it.effect("a book that never recorded LLM spend has no LLM cost ('—') in any window", () =>
    Effect.gen(function*() {
      const sim = yield* seeded(3)
      for (const window of [{}, { to: sim.sessions[0]! }]) {
        const report = yield* Standings.equityReport({ book: liveBook, ...window })
        assert.isFalse(report.llmCostRecorded)
        assert.isTrue(report.accounts.every((a) => a.points.every((p) => p.llmCost === null)))
      }
      const board = yield* Standings.leaderboardReport({ book: liveBook })
      assert.isTrue(board.leaderboard!.rows.every((r) => r.metrics.llmCost === null))
    }).pipe(Effect.provide(env())))

  it.effect("the leaderboard's LLM cost is the spend of the sessions whose decisions made its P&L: the window's first to its last but one", () =>
    Effect.gen(function*() {
      const sim = yield* seeded(4)
      const ledger = yield* SpendLedger
      const spend: ReadonlyArray<ReadonlyArray<readonly [string, number]>> = [
        [["CLAUDE", 1], ["CHAIRMAN", 10]],
        [["CLAUDE", 2]],
        [["CLAUDE", 4]],
        [["CLAUDE", 8], ["CHAIRMAN", 16]]
      ]
      for (const [i, day] of sim.sessions.entries()) {
        const runId = RunId.make(`${day}-0000beef`)
        yield* RunStore.use((runs) =>
          runs.createRun({
            id: runId, pipeline: "daily", tradingDay: day, asOf: day, mode: "record", dryRun: false, codeVersion: "t", parentRunId: null,
            forkFrom: null, status: "completed", startedAt: `${day}T20:00:00.000Z`, finishedAt: null, error: null, params: {}
          })
        )
        for (const [actor, costUsd] of spend[i]!) {
          yield* ledger.record({ runId, stage: "PmPitches", actor, purpose: "pitch", model: "openai:gpt-5.4", costUsd, estimated: false, at: `${day}T20:01:00.000Z` })
        }
      }
      const costs = (report: Standings.LeaderboardReport) =>
        Object.fromEntries(report.leaderboard!.rows.map((r) => [r.account, [r.metrics.llmCost, r.metrics.pnlNetOfCost! - r.metrics.pnl]]))
      // sessions 0 … 3: E_3 − E_0 is what sessions 0, 1 and 2 decided; session 3's calls pay for what comes after
      const whole = costs(yield* Standings.leaderboardReport({ book: liveBook }))
      assert.deepStrictEqual(whole["CLAUDE"], [7, -7])
      assert.deepStrictEqual(whole["COUNCIL"], [17, -17])
      assert.deepStrictEqual(whole["GEMINI"], [0, 0])
      const later = costs(yield* Standings.leaderboardReport({ book: liveBook, from: sim.sessions[1]!, to: sim.sessions[3]! }))
      assert.deepStrictEqual(later["CLAUDE"], [6, -6])
      assert.deepStrictEqual(later["COUNCIL"], [6, -6])
    }).pipe(Effect.provide(env())))
})

describe("closed trades", () => {
  const fill = (side: "buy" | "sell", qty: number, price: number, session: string, commission = 0) => ({
    account: AccountId.make("A"),
    id: `${session}-${side}-${qty}`,
    orderId: "o",
    symbol: Ticker.make("SPY"),
    side,
    qty,
    price,
    commission,
    session: TradingDay.make(session),
    at: `${session}T20:00:00Z`
  })

  it("a round trip at average cost, less commissions, closes on the session it returns to flat", () => {
    const trades = Trades.closedTrades([
      fill("buy", 10, 100, "2024-01-02", 1),
      fill("buy", 10, 110, "2024-01-03"),
      fill("sell", 5, 120, "2024-01-04"),
      fill("sell", 15, 90, "2024-01-05", 1)
    ]).get("A")!
    // average 105: 5 × 15 + 15 × (−15) − 2
    assert.deepStrictEqual(trades, [{ closedOn: TradingDay.make("2024-01-05"), pnl: 75 - 225 - 2 }])
  })

  it("a trade closed at its entry price has a P&L of exactly 0: neither a win nor a loss", () => {
    // 203 × 48.96 / 203 is 48.96000000000001 in binary: an entry price taken through that average made this
    // round trip a 1e-12 "win" (as COUNCIL's full-range backtest counted its flat trades)
    const trades = Trades.closedTrades([fill("buy", 203, 48.96, "2024-01-02"), fill("sell", 203, 48.96, "2024-01-03")]).get("A")!
    assert.deepStrictEqual(trades, [{ closedOn: TradingDay.make("2024-01-03"), pnl: 0 }])
    const short = Trades.closedTrades([fill("sell", 203, 48.96, "2024-01-02"), fill("buy", 203, 48.96, "2024-01-03")]).get("A")!
    assert.deepStrictEqual(short, [{ closedOn: TradingDay.make("2024-01-03"), pnl: 0 }])
  })

  it("a trade's P&L is in cents: closed at an average cost the fills' prices do not divide evenly, it is 0, neither a win nor a loss", () => {
    // 2 @ 10.00 and 1 @ 10.15 average 10.05, sold at 10.05; 1 @ 10.00 and 2 @ 10.06 average 10.04, sold at 10.04.
    // In binary the averages are 10.049999999999999 and 10.040000000000001: a 5e-15 "win" and a 5e-15 "loss" before
    const days = ["2024-01-02", "2024-01-03", "2024-01-04"]
    const up = Trades.closedTrades([fill("buy", 2, 10, days[0]!), fill("buy", 1, 10.15, days[1]!), fill("sell", 3, 10.05, days[2]!)]).get("A")!
    assert.deepStrictEqual(up, [{ closedOn: TradingDay.make(days[2]!), pnl: 0 }])
    const down = Trades.closedTrades([fill("buy", 1, 10, days[0]!), fill("buy", 2, 10.06, days[1]!), fill("sell", 3, 10.04, days[2]!)]).get("A")!
    assert.deepStrictEqual(down, [{ closedOn: TradingDay.make(days[2]!), pnl: 0 }])
    // a cent won is a cent (10.01 − 10 is 0.009999999999999787 in binary)
    const cent = Trades.closedTrades([fill("buy", 1, 10, days[0]!), fill("sell", 1, 10.01, days[1]!)]).get("A")!
    assert.deepStrictEqual(cent, [{ closedOn: TradingDay.make(days[1]!), pnl: 0.01 }])
  })

  it("a flip closes the long and opens a short with the rest; an open trade is not counted", () => {
    const trades = Trades.closedTrades([
      fill("buy", 10, 100, "2024-01-02"),
      fill("sell", 15, 104, "2024-01-03"),
      fill("buy", 5, 100, "2024-01-04"),
      fill("buy", 3, 100, "2024-01-05")
    ]).get("A")!
    assert.deepStrictEqual(trades, [{ closedOn: TradingDay.make("2024-01-03"), pnl: 40 }, { closedOn: TradingDay.make("2024-01-04"), pnl: 20 }])
  })
})

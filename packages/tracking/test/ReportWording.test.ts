/**
 * What the report's words say once and say plainly: the verdict once (its first line), the max drawdown named a
 * depth (written positive, as the CLI's MAX DD and the dashboard's Max DD), the baselines in the order their note
 * describes them, a profile's settings without "settings." before each key.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import { BacktestReport, BookId, TradeLedger } from "@council/tracking"
import { ledgerHome } from "./fixtures/LedgerHome.ts"
import { simulate } from "./fixtures/SimulatedBook.ts"

const BOOK = BookId.make("bt-report-wording")

const PROFILE = { id: "CHATGPT", mode: "PAPER", settings: { maxOrderValue: 5000, maxPositions: 10 } }

/** The report's data of a simulated book of `sessions` sessions, started with one account's profile. */
const simulated = (sessions: number) =>
  Effect.gen(function*() {
    const ledger = yield* TradeLedger
    const from = TradingDay.make("2023-03-01")
    yield* ledger.createBook({ id: BOOK, label: "wording", from, to: TradingDay.make("2023-08-01"), params: { accounts: [PROFILE], pms: "offline" } })
    const sim = yield* simulate(yield* MarketData, BOOK, from, sessions)
    for (const day of sim.days) yield* ledger.record(day)
    return yield* BacktestReport.reportData(BOOK)
  })

const occurrences = (html: string, text: string) => html.split(text).length - 1

/** The cells of each body row of `<table class="cls">`. */
const rowsOf = (html: string, cls: string) => {
  const body = html.match(new RegExp(`<table class="${cls}">.*?<tbody>(.*?)</tbody>`, "s"))![1]!
  return [...body.matchAll(/<tr>(.*?)<\/tr>/g)].map(([, row]) => [...row!.matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1]!))
}

describe("the report's wording", () => {
  it.effect("says the verdict once, as its first line, with a leaderboard and without one", () =>
    Effect.gen(function*() {
      const data = yield* simulated(30)
      const html = BacktestReport.renderHtml(data)
      assert.isNotNull(data.leaderboard.leaderboard)
      assert.strictEqual(occurrences(html, `class="verdict"`), 1)
      assert.strictEqual(occurrences(html, data.leaderboard.verdict), 1)
      assert.isBelow(html.indexOf(data.leaderboard.verdict), html.indexOf(`<section id="leaderboard">`))
      const none = BacktestReport.renderHtml({ ...data, leaderboard: { ...data.leaderboard, leaderboard: null, verdict: "no leaderboard: one session" } })
      assert.strictEqual(occurrences(none, "no leaderboard: one session"), 1)
    }).pipe(Effect.provide(ledgerHome("council-report-wording-verdict-"))))

  it.effect("names the max drawdown a depth: written positive, the chart's curve negative", () =>
    Effect.gen(function*() {
      const data = yield* simulated(30)
      const html = BacktestReport.renderHtml(data)
      assert.include(html, "<th>max drawdown (depth, peak → trough ↗ recovery)</th>")
      const deepest = data.leaderboard.leaderboard!.rows.find((r) => r.metrics.maxDrawdown.depth > 0)!
      const cells = rowsOf(html, "metrics").find((c) => c[0] === deepest.account)!
      assert.match(cells[6]!, /^\d+\.\d %/)
    }).pipe(Effect.provide(ledgerHome("council-report-wording-dd-"))))

  it.effect("lists the baselines in the order the note describes them: RANDOM, then MECHANICAL, whatever their ranks", () =>
    Effect.gen(function*() {
      const data = yield* simulated(30)
      const contest = data.leaderboard.contest!
      const random = contest.baselines!.rows.find((r) => r.account === "RANDOM")!
      // MECHANICAL ranked first, as a better vote would put it
      const baselines = { ...contest.baselines!, rows: [{ ...random, account: "MECHANICAL" }, random] }
      const note = "RANDOM: random entry; MECHANICAL: the recorded mechanical vote as a paper account"
      const html = BacktestReport.renderHtml({ ...data, leaderboard: { ...data.leaderboard, contest: { ...contest, baselines, note } } })
      assert.isBelow(html.indexOf("RANDOM: random entry"), html.indexOf("MECHANICAL: the recorded"))
      assert.deepStrictEqual(rowsOf(html, "baselines").map((c) => c[0]), ["RANDOM", "MECHANICAL"])
    }).pipe(Effect.provide(ledgerHome("council-report-wording-baselines-"))))

  it.effect("writes a profile's settings with their group named once, not \"settings.\" before every key", () =>
    Effect.gen(function*() {
      const html = BacktestReport.renderHtml(yield* simulated(5))
      const row = rowsOf(html, "settings").find((c) => c[0] === "accounts: CHATGPT")!
      assert.strictEqual(row[1], "mode: PAPER · settings — maxOrderValue: 5000, maxPositions: 10")
      assert.notInclude(html, "settings.")
    }).pipe(Effect.provide(ledgerHome("council-report-wording-settings-"))))
})

/**
 * The README's recipe for the random-entry baseline's draws ("Baselines and attribution": its seed text, then one
 * long slot redrawn with probability p), followed by a reader: the seed the README gives for a full-range backtest is
 * the one the leaderboard draws with, and the README's draws pick the symbols the baseline holds. Written from the
 * README's words; the generator is `ReadmeGenerator.ts`'s, not the product's.
 */
import { readdirSync, readFileSync } from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Ticker, TradingDay } from "@council/domain"
import { Contest, RandomBaseline } from "@council/tracking"
import { readmeGenerator } from "./ReadmeGenerator.ts"

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8").replace(/\s+/g, " ")
const barsDir = new URL("../../../data/bars/daily/", import.meta.url)
const symbols = readdirSync(barsDir).filter((f) => f.endsWith(".csv")).map((f) => Ticker.make(f.slice(0, -4))).sort()
const sessions = readFileSync(new URL("SPY.csv", barsDir), "utf8").trim().split("\n").slice(1).map((l) => TradingDay.make(l.split(",")[0]!))
const ACCOUNTS = ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"]

/** The first and last sessions of the bundled bars between `from` and `to`. */
const spanOf = (from: string, to: string) => {
  const inside = sessions.filter((d) => d >= from && d <= to)
  return { first: inside[0]!, last: inside.at(-1)! }
}
/** The book `backtest --from … --to …` records with offline PMs under `close`, all six accounts, on the bundled bars. */
const bookOf = (from: string, to: string): Contest.BookDefinition => ({
  id: `bt-${from}-${to}-abcdef`,
  kind: "backtest",
  from,
  to,
  params: {
    pms: "offline",
    schedule: "close",
    accounts: ACCOUNTS.map((id) => ({ id, mode: "PAPER" })),
    firstSession: spanOf(from, to).first,
    lastSession: spanOf(from, to).last
  }
})

describe("the README's random-entry baseline, followed by a reader", () => {
  it("gives the seed text a full-range backtest draws with, whatever weekend its range is typed from", () => {
    const seed = Contest.randomSeed(bookOf("2007-01-01", "2026-12-31"))
    assert.include(readme, `\`${seed}\``, "the README's example seed is the one the leaderboard uses")
    // the README's words: not the dates as typed, the first and last sessions between them
    assert.include(readme, `random-entry:backtest ${sessions[0]} ${sessions.at(-1)} offline close ${ACCOUNTS.join(",")}`)
    const saturday = Contest.randomSeed(bookOf("2007-04-07", "2026-06-13"))
    assert.strictEqual(saturday, seed)
  })

  it("draws the symbols the baseline holds: ⌊u × k⌋ on the first session or a missing bar, else u < p then ⌊u′ × (k − 1)⌋", () => {
    const seed = Contest.randomSeed(bookOf("2007-01-01", "2026-12-31"))
    // every fifth session TLT has no bar, so a slot on it is redrawn there the first way
    const days = sessions.slice(0, 400).map((date, i) => ({ date, symbols: i % 5 === 3 ? symbols.filter((s) => s !== "TLT") : symbols }))
    const turnover = 7.8
    const exposure = 0.04
    const p = Math.min(1, turnover / (252 * 2 * exposure))
    const u = readmeGenerator(seed)
    let slot: Ticker | undefined
    const expected = days.map((day, t) => {
      const k = day.symbols.length
      if (t === 0 || slot === undefined || !day.symbols.includes(slot)) slot = day.symbols[Math.floor(u() * k)]!
      else if (u() < p) slot = day.symbols.filter((s) => s !== slot)[Math.floor(u() * (k - 1))]!
      return slot
    })
    const targets = RandomBaseline.randomEntryTargets({ sessions: days, turnover, exposure, seed })
    assert.deepStrictEqual(targets.map((d) => d.targets.map((x) => x.symbol)), expected.map((s) => [s]))
    assert.deepStrictEqual([...new Set(targets.flatMap((d) => d.targets.map((x) => x.weight)))], [exposure])
    assert.isAbove(new Set(expected).size, 5, "the draws visit most of the universe")
  })
})

import { assert, describe, it } from "@effect/vitest"
import { Ticker } from "@council/domain"
import { RandomBaseline } from "@council/tracking"
import { weekdays } from "./series.ts"

const TEN = ["SPY", "QQQ", "IWM", "TLT", "HYG", "GLD", "USO", "UUP", "XLE", "XLF"].map((s) => Ticker.make(s))

const sessions = (count: number, symbols: ReadonlyArray<Ticker> = TEN): Array<RandomBaseline.BaselineSession> =>
  weekdays(count).map((date) => ({ date, symbols }))

/** Σ |w_t − w_{t−1}| over symbols, averaged over sessions after the first, × 252. */
const realizedTurnover = (days: ReadonlyArray<RandomBaseline.BaselineDay>): number => {
  let traded = 0
  for (let t = 1; t < days.length; t++) {
    const weights = new Map<string, number>()
    for (const p of days[t - 1]!.targets) weights.set(p.symbol, (weights.get(p.symbol) ?? 0) - p.weight)
    for (const p of days[t]!.targets) weights.set(p.symbol, (weights.get(p.symbol) ?? 0) + p.weight)
    for (const change of weights.values()) traded += Math.abs(change)
  }
  return (traded / (days.length - 1)) * 252
}

describe("RandomBaseline.randomEntryTargets", () => {
  it("is reproducible with a seed and differs with another", () => {
    const input = { sessions: sessions(300), turnover: 20, seed: "baseline" }
    assert.deepStrictEqual(RandomBaseline.randomEntryTargets(input), RandomBaseline.randomEntryTargets(input))
    assert.notDeepEqual(RandomBaseline.randomEntryTargets(input), RandomBaseline.randomEntryTargets({ ...input, seed: "other" }))
  })

  it("trades at the requested turnover (both sides, a year), at full and at partial exposure", () => {
    const long = sessions(10_000)
    for (const [turnover, exposure, slots] of [[50, 1, 1], [12, 0.5, 3]] as const) {
      const days = RandomBaseline.randomEntryTargets({ sessions: long, turnover, exposure, slots, allowShort: true, seed: `t${turnover}` })
      assert.closeTo(realizedTurnover(days), turnover, turnover * 0.1)
      const gross = days.map((d) => d.targets.reduce((sum, p) => sum + Math.abs(p.weight), 0))
      assert.isTrue(gross.every((g) => g <= exposure + 1e-12))
    }
  })

  it("enters every slot on the first session with weight exposure / slots, long only unless shorts are allowed", () => {
    const [first] = RandomBaseline.randomEntryTargets({ sessions: sessions(5), turnover: 10, exposure: 0.9, slots: 3, seed: 1 })
    const weights = first!.targets.map((p) => p.weight)
    assert.closeTo(weights.reduce((a, w) => a + w, 0), 0.9, 1e-12)
    assert.isTrue(weights.every((w) => w > 0))
    assert.deepStrictEqual([...first!.changes], first!.targets.map((p) => p.symbol).sort())
    const shorts = RandomBaseline.randomEntryTargets({ sessions: sessions(400), turnover: 252, allowShort: true, seed: 2 })
    assert.isTrue(shorts.some((d) => d.targets.some((p) => p.weight < 0)))
  })

  it("a turnover beyond one redraw a session is capped: every session changes", () => {
    const days = RandomBaseline.randomEntryTargets({ sessions: sessions(50), turnover: 10_000, seed: 3 })
    assert.isTrue(days.every((d) => d.changes.length === 2 || d === days[0]))
    assert.strictEqual(RandomBaseline.redrawProbability(10_000, 1), 1)
    assert.closeTo(RandomBaseline.redrawProbability(50.4, 1), 0.1, 1e-15)
  })

  it("a position whose symbol leaves the universe is replaced that session", () => {
    const days = RandomBaseline.randomEntryTargets({ sessions: sessions(3), turnover: 0, seed: 4 })
    const held = days[0]!.targets[0]!.symbol
    const without = TEN.filter((s) => s !== held)
    const dates = weekdays(3)
    const replaced = RandomBaseline.randomEntryTargets({
      sessions: [{ date: dates[0]!, symbols: TEN }, { date: dates[1]!, symbols: without }, { date: dates[2]!, symbols: TEN }],
      turnover: 0,
      seed: 4
    })
    assert.strictEqual(replaced[0]!.targets[0]!.symbol, held)
    assert.notStrictEqual(replaced[1]!.targets[0]!.symbol, held)
    assert.include(replaced[1]!.changes, held)
    assert.deepStrictEqual(replaced[2]!.targets, replaced[1]!.targets)
    assert.deepStrictEqual(replaced[2]!.changes, [])
  })
})

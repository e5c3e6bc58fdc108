import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { AccountId, Pitch, TradingDay } from "@council/domain"
import type { MarketSnapshot } from "@council/domain"
import { Indicators, OfflineRules } from "@council/llm"
import { path, snapshotOf } from "./snapshots.ts"

const pitch = (style: OfflineRules.OfflineStyle, snapshot: MarketSnapshot) =>
  OfflineRules.offlinePitch(AccountId.make("TESTER"), style, snapshot)
const pct = (x: number) => `${x >= 0 ? "+" : "-"}${Math.abs(x * 100).toFixed(2)}%`
const STYLES = OfflineRules.OfflineStyle.literals

const assertWellFormed = (p: Pitch) => {
  assert.isTrue(Schema.is(Pitch)(p), JSON.stringify(p))
  assert.isTrue(p.thesis.length >= 2 && p.thesis.length <= 4)
  if (p.direction === "FLAT") {
    assert.strictEqual(p.symbol, "FLAT")
    assert.strictEqual(p.conviction, 0)
  } else {
    assert.isTrue(p.direction === "LONG" ? p.conviction > 0 : p.conviction < 0)
    assert.match(p.invalidation, /\d+\.\d{2}/)
  }
}

describe("momentum (CHATGPT)", () => {
  const aaa = path(30, 100, 0.004, 0.002)
  const snapshot = snapshotOf({ AAA: aaa, BBB: path(30, 50, 0.002, 0.002), CCC: path(30, 80, -0.003, 0.002) })

  it("goes long the 20-session return leader, with the numbers in the thesis", () => {
    const p = pitch("momentum", snapshot)
    assertWellFormed(p)
    assert.strictEqual(p.symbol, "AAA")
    assert.strictEqual(p.direction, "LONG")
    assert.strictEqual(p.conviction, 2)
    assert.strictEqual(p.horizon, "2W")
    assert.strictEqual(p.source, "offline:momentum")
    assert.strictEqual(p.thesis[0], "Offline stand-in for TESTER (momentum rule); no LLM was called.")
    assert.strictEqual(
      p.thesis[1],
      `AAA leads the universe on 20-session return: ${pct(1.004 ** 20 - 1)} (close ${aaa[29]!.toFixed(2)} vs ${
        aaa[9]!.toFixed(2)
      } 20 sessions ago).`
    )
    assert.include(p.thesis[2], `runner-up BBB ${pct(1.002 ** 20 - 1)}`)
    assert.strictEqual(
      p.invalidation,
      `Exit on a close below ${Math.min(...aaa.slice(-20)).toFixed(2)}, the lowest close of the last 20 sessions.`
    )
  })

  it("keeps conviction 1 when the move is small against volatility", () => {
    const p = pitch("momentum", snapshotOf({ AAA: path(30, 100, 0.001, 0.01), CCC: path(30, 80, -0.003, 0.002) }))
    assert.strictEqual(p.symbol, "AAA")
    assert.strictEqual(p.conviction, 1)
  })

  it("stays flat when the leader is up less than 1%", () => {
    const p = pitch("momentum", snapshotOf({ AAA: path(30, 100, 0.0003, 0.002), CCC: path(30, 80, -0.003, 0.002) }))
    assertWellFormed(p)
    assert.strictEqual(p.direction, "FLAT")
    assert.include(p.thesis[1], `AAA ${pct(1.0003 ** 20 - 1)}`)
  })

  it("stays flat without 21 sessions of history", () => {
    const p = pitch("momentum", snapshotOf({ AAA: path(20, 100, 0.01) }))
    assert.strictEqual(p.direction, "FLAT")
    assert.include(p.thesis[1], "21 sessions")
  })

  it("ignores bars dated after the as-of day", () => {
    const leaked: MarketSnapshot = {
      ...snapshot,
      history: snapshot.history.map((h) =>
        h.symbol === "CCC"
          ? { ...h, bars: [...h.bars, { ...h.bars[h.bars.length - 1]!, date: TradingDay.make("2025-01-02"), close: 1e6 }] }
          : h
      )
    }
    assert.deepStrictEqual(pitch("momentum", leaked), pitch("momentum", snapshot))
  })
})

describe("mean reversion (GEMINI)", () => {
  const base = path(21, 100, 0, 0.002)
  const drop = [...base, ...[1, 2, 3, 4, 5].map((k) => base[20]! * 0.99 ** k)]
  const rise = [...base, ...[1, 2, 3, 4, 5].map((k) => base[20]! * 1.006 ** k)]
  const calm = path(26, 50, 0, 0.002)

  it("buys a 5-session drop beyond 2.5σ with conviction 2", () => {
    const p = pitch("mean-reversion", snapshotOf({ AAA: drop, BBB: calm }))
    assertWellFormed(p)
    const z = (0.99 ** 5 - 1) / (Indicators.dailyVolatility(drop, 20)! * Math.sqrt(5))
    assert.isBelow(z, -2.5)
    assert.strictEqual(p.symbol, "AAA")
    assert.strictEqual(p.direction, "LONG")
    assert.strictEqual(p.conviction, 2)
    assert.strictEqual(p.horizon, "1W")
    assert.include(p.thesis[1], `AAA moved ${pct(0.99 ** 5 - 1)} over 5 sessions: z = ${z.toFixed(2)}`)
    assert.match(p.invalidation, /^Exit on a close below \d+\.\d\d/)
  })

  it("shorts a 5-session rise, conviction by the size of z", () => {
    const p = pitch("mean-reversion", snapshotOf({ AAA: calm, BBB: rise }))
    assertWellFormed(p)
    const z = (1.006 ** 5 - 1) / (Indicators.dailyVolatility(rise, 20)! * Math.sqrt(5))
    assert.isAbove(z, 1.5)
    assert.strictEqual(p.symbol, "BBB")
    assert.strictEqual(p.direction, "SHORT")
    assert.strictEqual(p.conviction, z >= 2.5 ? -2 : -1)
    assert.match(p.invalidation, /^Exit on a close above \d+\.\d\d/)
  })

  it("stays flat when nothing is stretched", () => {
    const p = pitch("mean-reversion", snapshotOf({ AAA: calm, BBB: path(26, 20, 0, 0.003) }))
    assertWellFormed(p)
    assert.strictEqual(p.direction, "FLAT")
    assert.include(p.thesis[1], "inside ±1.5σ")
  })
})

describe("trend (CLAUDE)", () => {
  it("follows the widest stacked 50/200-session SMA spread, short side included", () => {
    const p = pitch(
      "trend",
      snapshotOf({ AAA: path(220, 100, 0.001, 0.001), BBB: path(220, 100, -0.0015, 0.001) })
    )
    assertWellFormed(p)
    assert.strictEqual(p.symbol, "BBB")
    assert.strictEqual(p.direction, "SHORT")
    assert.strictEqual(p.conviction, -2)
    assert.strictEqual(p.horizon, "1M")
    assert.include(p.thesis[2], "the widest of 2 trending symbols")
    assert.match(p.invalidation, /^Exit on a close above the 50-session SMA, \d+\.\d\d\.$/)
  })

  it("goes long an uptrend with conviction 1 when the spread is under 5%", () => {
    const aaa = path(220, 100, 0.0005, 0.001)
    const p = pitch("trend", snapshotOf({ AAA: aaa }))
    assert.strictEqual(p.direction, "LONG")
    assert.strictEqual(p.conviction, 1)
    const sma50 = aaa.slice(-50).reduce((a, b) => a + b, 0) / 50
    assert.strictEqual(p.invalidation, `Exit on a close below the 50-session SMA, ${sma50.toFixed(2)}.`)
  })

  it("stays flat when no trend is stacked, or with under 200 sessions", () => {
    const broken = path(220, 100, 0.001)
    broken[219] = broken[219]! * 0.9
    const p = pitch("trend", snapshotOf({ AAA: broken }))
    assert.strictEqual(p.direction, "FLAT")
    assert.include(p.thesis[1], "No clean trend")
    const short = pitch("trend", snapshotOf({ AAA: path(199, 100, 0.001) }))
    assert.strictEqual(short.direction, "FLAT")
    assert.include(short.thesis[1], "200 sessions")
  })
})

describe("low volatility (GROQ)", () => {
  it("buys the calmest symbol in an uptrend, skipping calmer downtrends", () => {
    const p = pitch(
      "low-volatility",
      snapshotOf({
        AAA: path(60, 100, 0.001, 0.001),
        BBB: path(60, 100, 0.002, 0.01),
        CCC: path(60, 100, -0.001, 0.0005)
      })
    )
    assertWellFormed(p)
    assert.strictEqual(p.symbol, "AAA")
    assert.strictEqual(p.direction, "LONG")
    assert.strictEqual(p.conviction, 1)
    assert.strictEqual(p.riskProfile, "TIGHT")
    assert.include(p.thesis[3], "Next calmest: BBB")
  })

  it("has conviction 2 above the 200-session SMA", () => {
    const p = pitch("low-volatility", snapshotOf({ AAA: path(220, 100, 0.001, 0.001) }))
    assert.strictEqual(p.conviction, 2)
    assert.include(p.thesis[2], "and above its 200-session SMA")
  })

  it("stays flat when nothing is in an uptrend", () => {
    const p = pitch("low-volatility", snapshotOf({ AAA: path(60, 100, -0.001, 0.001) }))
    assert.strictEqual(p.direction, "FLAT")
    assert.include(p.thesis[1], "No calm uptrend")
  })
})

describe("contrarian (DEEPSEEK)", () => {
  const aaa = path(70, 100, -0.004, 0.001)

  it("buys the 60-session laggard, conviction 2 from -15%", () => {
    const p = pitch(
      "contrarian",
      snapshotOf({ AAA: aaa, BBB: path(70, 100, -0.0015, 0.001), CCC: path(70, 100, 0.002) })
    )
    assertWellFormed(p)
    assert.strictEqual(p.symbol, "AAA")
    assert.strictEqual(p.direction, "LONG")
    assert.strictEqual(p.conviction, 2)
    assert.include(p.thesis[1], `AAA is the 60-session laggard: ${pct(0.996 ** 60 - 1)}`)
    const low = Math.min(...aaa.slice(-60))
    assert.strictEqual(
      p.invalidation,
      `Exit on a close below ${(low * 0.95).toFixed(2)}, 5% under the 60-session low close ${low.toFixed(2)}.`
    )
  })

  it("has conviction 1 for a milder laggard, and stays flat above -5%", () => {
    const mild = pitch("contrarian", snapshotOf({ BBB: path(70, 100, -0.0015, 0.001), CCC: path(70, 100, 0.002) }))
    assert.strictEqual(mild.symbol, "BBB")
    assert.strictEqual(mild.conviction, 1)
    const flat = pitch("contrarian", snapshotOf({ BBB: path(70, 100, -0.0005), CCC: path(70, 100, 0.002) }))
    assert.strictEqual(flat.direction, "FLAT")
    assert.include(flat.thesis[1], "No washed-out laggard")
  })
})

describe("every style", () => {
  const snapshots = [
    snapshotOf({ AAA: path(230, 100, 0.001, 0.004), BBB: path(230, 60, -0.001, 0.006), CCC: path(230, 30, 0, 0.01) }),
    snapshotOf({ AAA: path(5, 100, 0.01) }),
    snapshotOf({ AAA: path(1, 100, 0) })
  ]

  it("is deterministic and always emits a valid pitch", () => {
    for (const snapshot of snapshots) {
      for (const style of STYLES) {
        const p = pitch(style, snapshot)
        assertWellFormed(p)
        assert.deepStrictEqual(pitch(style, structuredClone(snapshot)), p)
        assert.strictEqual(p.asOf, snapshot.asOf)
        assert.strictEqual(p.source, `offline:${style}`)
      }
    }
  })

  it("breaks exact ties alphabetically", () => {
    const twin = path(30, 100, 0.004, 0.002)
    assert.strictEqual(pitch("momentum", snapshotOf({ ZZZ: twin, MMM: twin })).symbol, "MMM")
  })
})

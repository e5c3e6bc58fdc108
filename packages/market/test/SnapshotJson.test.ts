import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Result, Schema } from "effect"
import { type Bar, MarketSnapshot, TradingDay } from "@council/domain"
import { jsonText, textHash } from "@council/engine"
import { BarIndex, LocalBars, MarketData } from "@council/market"
import { openOnly, sessionSoFar } from "../src/MarketData.ts"
import { snapshotBytes, snapshotText } from "../src/SnapshotJson.ts"

const encode = Schema.encodeUnknownSync(Schema.toCodecJson(MarketSnapshot))

/** The claims `knownJson` makes of a snapshot, against the schema's own encoding of a copy of it. */
const assertOwnJson = (snapshot: MarketSnapshot) => {
  const encoded = encode(structuredClone(snapshot))
  assert.deepStrictEqual(snapshot, encoded)
  const text = JSON.stringify(encoded)
  assert.strictEqual(JSON.stringify(snapshot), text)
  assert.strictEqual(snapshotText(snapshot), text)
  // the store writes the bytes and keys them by the hash, neither built from the text
  const known = jsonText(snapshot)
  assert.strictEqual(known.hash, textHash(text))
  assert.isTrue(known.bytes !== undefined && Buffer.from(text).equals(known.bytes))
  assert.isTrue(Buffer.from(text).equals(snapshotBytes(snapshot)))
  assert.strictEqual(known.text, text)
}

layer(LocalBars.layer())("a snapshot of the market data is its own JSON", (it) => {
  it.effect("after the close and during the session, at the first sessions (short history) and later ones", () =>
    Effect.gen(function*() {
      const md = yield* MarketData
      const days = [...(yield* md.sessions(TradingDay.make("2007-04-11"), TradingDay.make("2007-04-13"))), TradingDay.make("2020-03-16"), TradingDay.make("2026-06-08")]
      for (const day of days) {
        assertOwnJson(yield* md.snapshot(day, 210))
        assertOwnJson(yield* md.snapshotDuring(day, `${day}T15:45:00-04:00`, 210))
        assertOwnJson(yield* md.snapshot(day, 1))
      }
    }))

  it.effect("the text is joined from bars shared between snapshots, and a day's open-only bar is its own", () =>
    Effect.gen(function*() {
      const md = yield* MarketData
      const [a, b] = [yield* md.snapshotDuring(TradingDay.make("2026-06-05"), "2026-06-05T15:45:00-04:00", 3), yield* md.snapshot(TradingDay.make("2026-06-08"), 3)]
      // the bar of 06-05 is open-only in `a` (built for it), complete in `b`
      assert.notStrictEqual(snapshotText(a), snapshotText(b))
      assert.include(snapshotText(a), `"intraday":{"at":"2026-06-05T15:45:00-04:00","through":"open"}`)
      assertOwnJson(a)
      assertOwnJson(b)
    }))
})

layer(LocalBars.layer())("a snapshot during the session", (it) => {
  it.effect("is the complete snapshot with the day's bar cut to its open, and nothing else changed", () =>
    Effect.gen(function*() {
      const md = yield* MarketData
      for (const day of [TradingDay.make("2007-04-11"), TradingDay.make("2007-04-12"), TradingDay.make("2020-03-16"), TradingDay.make("2026-06-08")]) {
        for (const lookback of [0, 1, 3, 210]) {
          const complete = yield* md.snapshot(day, lookback)
          const during = yield* md.snapshotDuring(day, `${day}T15:45:00-04:00`, lookback)
          assert.deepStrictEqual(during.history, complete.history.map((h) => ({ symbol: h.symbol, bars: h.bars.map((b) => (b.date === day ? openOnly(b) : b)) })))
          for (const h of during.history) assert.isTrue(h.bars.every((b) => b.date < day || (b.date === day && b.volume === 0 && b.close === b.open)))
        }
      }
    }))

  it.effect("built from a snapshot of another making, cuts every bar of its day, wherever it is", () =>
    Effect.gen(function*() {
      const bar = (date: string, open: number): Bar => ({ date: TradingDay.make(date), open, high: open + 2, low: open - 2, close: open + 1, volume: 100 })
      const day = TradingDay.make("2024-01-05")
      const made = { asOf: day, universe: [], history: [{ symbol: "SPY", bars: [bar("2024-01-05", 7), bar("2024-01-04", 5), bar("2024-01-05", 9)] }] } as unknown as MarketSnapshot
      const during = yield* sessionSoFar(made, "2024-01-05T10:00:00-05:00")
      assert.deepStrictEqual(during.history[0]!.bars, [openOnly(bar("2024-01-05", 7)), bar("2024-01-04", 5), openOnly(bar("2024-01-05", 9))])
    }))
})

describe("BarIndex.joinedText", () => {
  const index = Result.getOrThrow(BarIndex.make([{
    symbol: "SPY",
    source: "test",
    dates: ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"],
    open: [1, 2, 3, 4, 5],
    high: [1.5, 2.5, 3.5, 4.5, 5.5],
    low: [0.5, 1.5, 2.5, 3.5, 4.5],
    close: [1.25, 2.25, 3.25, 4.25, 5.25],
    volume: [10, 20, 30, 40, 50]
  }]))
  const columns = index.columns.get("SPY")!
  const json = (bar: Bar) => JSON.stringify(bar)
  const short = (bar: Bar) => `${bar.date}:${bar.close};`

  it("is the bars' texts joined, for every window of the series, whatever the formatter and separator", () => {
    for (let from = 0; from < 5; from++) {
      for (let to = from; to < 5; to++) {
        const bars = BarIndex.slice(index, columns, from, to)
        assert.strictEqual(BarIndex.joinedText(bars, json, ","), bars.map(json).join(","))
        assert.strictEqual(BarIndex.joinedText(bars, short, ""), bars.map(short).join(""))
      }
    }
  })

  it("formats what a derived window or an edited array does not share with the series", () => {
    const bars = BarIndex.slice(index, columns, 1, 3)
    const open = { ...bars[2]!, close: bars[2]!.open, volume: 0 }
    const derived = BarIndex.derivedWindow(bars, [bars[0]!, bars[1]!, open])
    assert.strictEqual(BarIndex.joinedText(derived, json, ","), [...bars.slice(0, 2), open].map(json).join(","))
    const edited = BarIndex.slice(index, columns, 0, 4)
    edited[0] = open
    assert.strictEqual(BarIndex.joinedText(edited, json, ","), edited.map(json).join(","))
    const gap = BarIndex.slice(index, columns, 0, 4)
    gap.splice(2, 1)
    assert.strictEqual(BarIndex.joinedText(gap, short, ""), gap.map(short).join(""))
    assert.strictEqual(BarIndex.joinedText(gap, json, ","), gap.map(json).join(","))
    const copy = structuredClone(bars)
    assert.strictEqual(BarIndex.joinedText(copy, json, ","), copy.map(json).join(","))
    assert.strictEqual(BarIndex.joinedText([], json, ","), "")
  })

  it("cuts windows across the blocks a long series' text is built in", () => {
    const n = 700
    const dates = Array.from({ length: n }, (_, i) => new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString().slice(0, 10))
    const values = Array.from({ length: n }, (_, i) => i + 0.5)
    const long = Result.getOrThrow(BarIndex.make([{ symbol: "QQQ", source: "test", dates, open: values, high: values, low: values, close: values, volume: values }]))
    const series = long.columns.get("QQQ")!
    for (const [from, to] of [[0, 209], [46, 255], [46, 256], [250, 459], [255, 511], [256, 512], [300, 699], [0, 699], [511, 511]] as const) {
      const bars = BarIndex.slice(long, series, from, to)
      assert.strictEqual(BarIndex.joinedText(bars, json, ","), bars.map(json).join(","), `${from}…${to}`)
      assert.strictEqual(BarIndex.joinedText(bars, short, ""), bars.map(short).join(""), `${from}…${to}`)
    }
  })
})

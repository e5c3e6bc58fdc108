import { assert, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { MarketSnapshot, TradingDay } from "@council/domain"
import { jsonText } from "@council/engine"
import { LocalBars, MarketData } from "@council/market"
import { snapshotText } from "../src/SnapshotJson.ts"

const encode = Schema.encodeUnknownSync(Schema.toCodecJson(MarketSnapshot))

/** The claims `knownJson` makes of a snapshot, against the schema's own encoding of a copy of it. */
const assertOwnJson = (snapshot: MarketSnapshot) => {
  const encoded = encode(structuredClone(snapshot))
  assert.deepStrictEqual(snapshot, encoded)
  const text = JSON.stringify(encoded)
  assert.strictEqual(JSON.stringify(snapshot), text)
  assert.strictEqual(snapshotText(snapshot), text)
  assert.strictEqual(jsonText(snapshot).text, text)
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

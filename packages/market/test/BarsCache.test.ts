import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Ticker, TradingDay } from "@council/domain"
import { LocalBars } from "@council/market"

const csv = (close: number) =>
  ["date,open,high,low,close,volume", `2026-06-05,10,11,9,${close},100`, `2026-06-08,10,11,9,${close + 1},200`].join("\n")

const closes = (directory: string) =>
  Effect.flatMap(LocalBars.load({ directory }), (market) =>
    Effect.map(market.bars({ symbol: Ticker.make("SPY"), asOf: TradingDay.make("2026-06-08"), lookback: 2 }), (bars) =>
      bars.map((b) => b.close)))

describe("BarsCache", () => {
  it.effect("serves the parsed bars while the file keeps its size and time, and parses it again once they change", () =>
    Effect.gen(function*() {
      const directory = mkdtempSync(join(tmpdir(), "council-bars-"))
      const file = join(directory, "SPY.csv")
      const time = new Date("2026-06-08T20:00:00Z")
      writeFileSync(file, csv(10))
      utimesSync(file, time, time)
      assert.deepStrictEqual(yield* closes(directory), [10, 11])
      writeFileSync(file, csv(30))
      utimesSync(file, time, time)
      assert.deepStrictEqual(yield* closes(directory), [10, 11])
      utimesSync(file, time, new Date(time.getTime() + 5_000))
      assert.deepStrictEqual(yield* closes(directory), [30, 31])
      rmSync(directory, { recursive: true, force: true })
    }))
})

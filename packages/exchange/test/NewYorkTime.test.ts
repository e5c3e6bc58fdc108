import { assert, describe, it } from "@effect/vitest"
import { closeTimestamp } from "@council/exchange"
import type { TradingDay } from "@council/domain"
import { newYorkOffset, newYorkOffsetByIntl } from "../src/NewYorkTime.ts"

const days = (from: string, to: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const d = new Date(`${from}T12:00:00Z`); d.toISOString().slice(0, 10) <= to; d.setUTCDate(d.getUTCDate() + 1)) {
    out.push(d.toISOString().slice(0, 10))
  }
  return out
}

describe("New York time", () => {
  it("gives the zone database's offset at 16:00 for every day from 1987 to 2099", () => {
    const differ = days("1987-01-01", "2099-12-31").filter((day) => newYorkOffset(day) !== newYorkOffsetByIntl(day))
    assert.deepStrictEqual(differ, [])
  })

  it("stamps the close at 16:00 New York time in UTC, on both sides of each switch", () => {
    const at = (day: string) => closeTimestamp(day as TradingDay)
    assert.deepStrictEqual(
      ["2026-03-06", "2026-03-09", "2026-10-30", "2026-11-02", "2006-04-03", "2006-10-27", "2006-10-30", "1985-07-01"].map(at),
      [
        "2026-03-06T21:00:00.000Z",
        "2026-03-09T20:00:00.000Z",
        "2026-10-30T20:00:00.000Z",
        "2026-11-02T21:00:00.000Z",
        "2006-04-03T20:00:00.000Z",
        "2006-10-27T20:00:00.000Z",
        "2006-10-30T21:00:00.000Z",
        "1985-07-01T20:00:00.000Z"
      ]
    )
  })
})

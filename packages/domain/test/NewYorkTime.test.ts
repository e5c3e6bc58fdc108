import { assert, describe, it } from "@effect/vitest"
import {
  epochOf,
  formatMoment,
  isBefore,
  isoOf,
  momentAt,
  momentOfEpoch,
  newYorkOffset,
  newYorkOffsetByIntl,
  parseMoment,
  secondsOf,
  wallClock
} from "../src/NewYorkTime.ts"

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

  it("writes moments with the New York offset and reads any RFC 3339 instant back as New York wall-clock time", () => {
    const summer = momentAt("2026-06-08", "15:45")
    assert.strictEqual(formatMoment(summer), "2026-06-08T15:45:00-04:00")
    assert.strictEqual(isoOf(summer), "2026-06-08T19:45:00.000Z")
    assert.strictEqual(formatMoment(momentAt("2026-01-05", "09:30:15")), "2026-01-05T09:30:15-05:00")
    assert.deepStrictEqual(parseMoment("2026-06-08T19:45:00Z"), summer)
    assert.deepStrictEqual(parseMoment("2022-05-16T16:32:24.14373588-04:00"), { day: "2022-05-16", seconds: 16 * 3600 + 32 * 60 + 24 })
    assert.deepStrictEqual(parseMoment("2026-01-06T01:10:00Z"), { day: "2026-01-05", seconds: 20 * 3600 + 10 * 60 })
    assert.isUndefined(parseMoment("2026-06-08"))
    assert.isUndefined(parseMoment("yesterday"))
  })

  it("round-trips every minute of a trading day on both sides of each daylight-saving switch", () => {
    for (const day of ["2026-03-06", "2026-03-09", "2026-10-30", "2026-11-02"]) {
      for (let seconds = 4 * 3600; seconds <= 20 * 3600; seconds += 60) {
        const moment = { day, seconds }
        assert.deepStrictEqual(momentOfEpoch(epochOf(moment)), moment)
        assert.strictEqual(Date.parse(formatMoment(moment)), epochOf(moment))
      }
    }
  })

  it("finds an instant's moment as Date's calendar does, from the year 1 to 9999 and beyond, fractions and all", () => {
    // the calendar by `Date` (what momentOfEpoch did before it counted days itself)
    const byDate = (epochMillis: number) => {
      const guess = new Date(epochMillis - 5 * 3600_000).toISOString().slice(0, 10)
      const local = Math.floor(epochMillis / 1000) + (newYorkOffset(guess) === "-04:00" ? -240 : -300) * 60
      const days = Math.floor(local / 86_400)
      return { day: new Date(days * 86_400_000).toISOString().slice(0, 10), seconds: local - days * 86_400 }
    }
    const instants: Array<number> = []
    // every 37 h 13 min from 1985 to 2100, and each side of every UTC and New York midnight from 2018 to 2027
    for (let t = Date.UTC(1985, 0, 1); t < Date.UTC(2100, 0, 1); t += 2233 * 60_000) instants.push(t)
    for (let t = Date.UTC(2018, 0, 1); t < Date.UTC(2027, 0, 1); t += 86_400_000) {
      for (const edge of [0, 4 * 3600_000, 5 * 3600_000]) instants.push(t + edge - 1, t + edge, t + edge - 0.5, t + edge + 0.5)
    }
    // around the epoch (fractions of a millisecond), the years 1–999 and past 9999 (Date writes those years
    // otherwise), the ends of Date's range: the same moment, or the same refusal
    instants.push(-1, -0.5, 0, 0.5, 17_999_999.5, 18_000_000.5, -62_135_596_800_000, Date.UTC(999, 11, 31, 23), Date.UTC(1000, 0, 1, 3))
    instants.push(Date.UTC(9999, 11, 31, 23), 253_402_318_800_000, 8.64e15, -8.64e15 + 5 * 3600_000, 8.64e15 + 5 * 3600_000 + 1, -8.64e15)
    instants.push(Number.NaN, Number.POSITIVE_INFINITY)
    const outcome = (f: (t: number) => unknown, t: number) => {
      try {
        return JSON.stringify(f(t))
      } catch (error) {
        return error instanceof RangeError ? "RangeError" : String(error)
      }
    }
    const differ = instants.filter((t) => outcome(momentOfEpoch, t) !== outcome(byDate, t))
    assert.deepStrictEqual(differ, [])
    assert.strictEqual(outcome(momentOfEpoch, Number.NaN), "RangeError")
  })

  it("reads and writes wall-clock times and orders moments", () => {
    assert.strictEqual(secondsOf("15:49:59"), 15 * 3600 + 49 * 60 + 59)
    assert.isUndefined(secondsOf("24:00"))
    assert.isUndefined(secondsOf("3pm"))
    assert.strictEqual(wallClock(15 * 3600 + 50 * 60), "15:50")
    assert.strictEqual(wallClock(15 * 3600 + 49 * 60 + 59), "15:49:59")
    assert.isTrue(isBefore(momentAt("2026-06-08", "15:49:59"), momentAt("2026-06-08", "15:50")))
    assert.isTrue(isBefore(momentAt("2026-06-05", "20:00"), momentAt("2026-06-08", "04:00")))
    assert.isFalse(isBefore(momentAt("2026-06-08", "15:50"), momentAt("2026-06-08", "15:50")))
  })
})

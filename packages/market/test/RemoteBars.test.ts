import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TradingDay } from "@council/domain"
import * as RemoteBars from "@council/market/RemoteBars"

const day = TradingDay.make
const at = (iso: string) => Date.parse(iso)

describe("RemoteBars New York calendar", () => {
  it.effect("nyDate takes the New York date, not the UTC one", () =>
    Effect.sync(() => {
      assert.strictEqual(RemoteBars.nyDate(at("2024-03-08T05:00:00Z")), "2024-03-08")
      assert.strictEqual(RemoteBars.nyDate(at("2024-03-11T04:00:00Z")), "2024-03-11")
      assert.strictEqual(RemoteBars.nyDate(at("2024-03-11T03:59:59Z")), "2024-03-10")
      assert.strictEqual(RemoteBars.nyDate(at("2024-01-03T04:30:00Z")), "2024-01-02")
      assert.strictEqual(RemoteBars.nyDate(at("2024-11-04T05:00:00Z")), "2024-11-04")
      assert.strictEqual(RemoteBars.nyDate(at("2024-11-04T04:59:59Z")), "2024-11-03")
    }))

  it.effect("nyMidnight is 05:00Z in winter and 04:00Z in summer, switch days included", () =>
    Effect.sync(() => {
      assert.strictEqual(RemoteBars.nyMidnight(day("2024-01-02")), at("2024-01-02T05:00:00Z"))
      assert.strictEqual(RemoteBars.nyMidnight(day("2024-03-10")), at("2024-03-10T05:00:00Z"))
      assert.strictEqual(RemoteBars.nyMidnight(day("2024-03-11")), at("2024-03-11T04:00:00Z"))
      assert.strictEqual(RemoteBars.nyMidnight(day("2024-07-01")), at("2024-07-01T04:00:00Z"))
      assert.strictEqual(RemoteBars.nyMidnight(day("2024-11-03")), at("2024-11-03T04:00:00Z"))
      assert.strictEqual(RemoteBars.nyMidnight(day("2024-11-04")), at("2024-11-04T05:00:00Z"))
    }))

  it.effect("a day is complete from 20:00 New York, in summer and in winter", () =>
    Effect.sync(() => {
      assert.strictEqual(RemoteBars.lastCompleteDay(at("2024-07-01T23:59:59Z")), "2024-06-30")
      assert.strictEqual(RemoteBars.lastCompleteDay(at("2024-07-02T00:00:00Z")), "2024-07-01")
      assert.strictEqual(RemoteBars.lastCompleteDay(at("2024-01-03T00:59:59Z")), "2024-01-01")
      assert.strictEqual(RemoteBars.lastCompleteDay(at("2024-01-03T01:00:00Z")), "2024-01-02")
      assert.strictEqual(RemoteBars.lastCompleteDay(at("2024-01-03T04:59:00Z")), "2024-01-02")
      assert.strictEqual(RemoteBars.lastCompleteDay(at("2024-01-03T05:00:00Z")), "2024-01-02")
    }))

  it.effect("addDays crosses months and years", () =>
    Effect.sync(() => {
      assert.strictEqual(RemoteBars.addDays(day("2024-03-01"), -1), "2024-02-29")
      assert.strictEqual(RemoteBars.addDays(day("2024-12-31"), 1), "2025-01-01")
      assert.strictEqual(RemoteBars.addDays(day("2024-03-09"), 2), "2024-03-11")
    }))
})

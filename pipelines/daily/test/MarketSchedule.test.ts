import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { AccountId, describeCheck, epochOf, momentAt, type RunSchedule } from "@council/domain"
import { LocalBars } from "@council/market"
import { Database } from "@council/store"
import { ExchangeSession, LocalExchange } from "@council/exchange"
import { MarketSchedule } from "@council/daily"

/** The local exchange over the bundled data, whose present is the test clock's now. */
const exchange = LocalExchange.layer().pipe(
  Layer.provide(Layer.mergeAll(LocalBars.layer(), Database.layerSqlite(":memory:"), ExchangeSession.layerClock))
)

/** What the schedule check says at `time` (New York) of `day`, through the exchange's broker (clock and calendar). */
const checkAt = (schedule: RunSchedule, day: string, time: string) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(epochOf(momentAt(day, time)))
    const broker = LocalExchange.broker(yield* LocalExchange, AccountId.make("COUNCIL"))
    const status = yield* MarketSchedule.statusOf(broker, schedule)
    return { tag: status.check._tag, early: status.check._tag === "InTime" && status.check.early, line: describeCheck(schedule, status.check, status.now) }
  })

describe("the market schedule check, through the broker's clock and calendar (TestClock)", () => {
  it.effect("under close: in time until 15:49:59, past the cutoff from 15:50 (16:00 too), a warning more than 20 minutes before the close", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* checkAt("close", "2026-06-08", "15:44"), { tag: "InTime", early: false, line: "2026-06-08 15:44 New York time: in time for the close schedule" })
      assert.deepStrictEqual((yield* checkAt("close", "2026-06-08", "15:49:59")).tag, "InTime")
      assert.deepStrictEqual(yield* checkAt("close", "2026-06-08", "15:50"), {
        tag: "MissedCutoff",
        early: false,
        line: "it is 2026-06-08 15:50 New York time: the market-on-close cutoff (15:50, 10 minutes before the 16:00 close) has passed, so nothing is sent"
      })
      assert.strictEqual((yield* checkAt("close", "2026-06-08", "16:00")).tag, "MissedCutoff")
      assert.deepStrictEqual(yield* checkAt("close", "2026-06-08", "15:39"), {
        tag: "InTime",
        early: true,
        line: "warning: it is 2026-06-08 15:39 New York time, 21 minutes before the 16:00 close; the close schedule trades the close (run it 15 minutes before)"
      })
      assert.strictEqual((yield* checkAt("close", "2026-06-08", "15:40")).early, false)
      assert.strictEqual((yield* checkAt("close", "2026-06-08", "09:29")).tag, "BeforeOpen")
    }).pipe(Effect.provide(exchange)))

  it.effect("under after-close: before the close nothing may be sent; from 16:00 it is in time", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* checkAt("after-close", "2026-06-08", "15:59:59")).tag, "BeforeClose")
      assert.strictEqual((yield* checkAt("after-close", "2026-06-08", "16:00")).tag, "InTime")
      assert.strictEqual((yield* checkAt("after-close", "2026-06-08", "16:15")).tag, "InTime")
    }).pipe(Effect.provide(exchange)))

  it.effect("a holiday and a weekend are closed days; an early close moves the cutoff to 12:50", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* checkAt("close", "2025-12-25", "15:45"), {
        tag: "Closed",
        early: false,
        line: "the market is closed on 2025-12-25 (no session that day): nothing to trade"
      })
      assert.strictEqual((yield* checkAt("after-close", "2025-07-04", "16:15")).tag, "Closed")
      assert.strictEqual((yield* checkAt("close", "2026-06-06", "15:45")).tag, "Closed")
      assert.strictEqual((yield* checkAt("close", "2025-12-24", "12:49:59")).tag, "InTime")
      assert.deepStrictEqual(yield* checkAt("close", "2025-12-24", "12:50"), {
        tag: "MissedCutoff",
        early: false,
        line: "it is 2025-12-24 12:50 New York time: the market-on-close cutoff (12:50, 10 minutes before the 13:00 close) has passed, so nothing is sent"
      })
      assert.strictEqual((yield* checkAt("close", "2025-12-24", "12:30")).early, true)
      assert.strictEqual((yield* checkAt("after-close", "2025-12-24", "13:00")).tag, "InTime")
      assert.strictEqual((yield* checkAt("after-close", "2025-12-24", "12:59")).tag, "BeforeClose")
    }).pipe(Effect.provide(exchange)))

  it.effect("with the run's day: the clock and that day's calendar are read together; a clock on another day reads its own day's calendar", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(epochOf(momentAt("2025-12-24", "12:50")))
      const broker = LocalExchange.broker(yield* LocalExchange, AccountId.make("COUNCIL"))
      const days: Array<string> = []
      const counted = { ...broker, getCalendar: (range: { readonly start: string; readonly end: string }) => (days.push(range.start), broker.getCalendar(range)) }
      const plain = yield* MarketSchedule.statusOf(broker, "close")
      const hinted = yield* MarketSchedule.statusOf(counted, "close", "2025-12-24")
      assert.deepStrictEqual(days, ["2025-12-24"])
      assert.deepStrictEqual(hinted, plain)
      assert.strictEqual(hinted.check._tag, "MissedCutoff")
      const elsewhere = yield* MarketSchedule.statusOf(counted, "close", "2025-12-23")
      assert.deepStrictEqual(days, ["2025-12-24", "2025-12-23", "2025-12-24"])
      assert.deepStrictEqual(elsewhere, plain)
    }).pipe(Effect.provide(exchange)))
})

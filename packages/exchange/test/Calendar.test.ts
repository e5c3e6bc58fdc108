import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { momentAt, TradingDay } from "@council/domain"
import { LocalBars, MarketData } from "@council/market"
import { Database } from "@council/store"
import { Calendar, ExchangeSession, LocalExchange } from "@council/exchange"

/** The bundled data (2007-04-11 … 2026-06-08) and the exchange over it at `day` `time`. */
const bundled = (day: string, time: string) =>
  LocalExchange.layer().pipe(
    Layer.provideMerge(LocalBars.layer()),
    Layer.provide(Database.layerSqlite(":memory:")),
    Layer.provide(ExchangeSession.layer(momentAt(day, time)))
  )

const weekday = (day: string) => new Date(`${day}T12:00:00Z`).getUTCDay()

describe("the local exchange's calendar", () => {
  it.effect("every NYSE early close of the table within the bundled data is one of its sessions, on a weekday", () =>
    Effect.gen(function*() {
      const market = yield* MarketData
      const sessions = new Set(yield* market.sessions(TradingDay.make("2007-01-01"), TradingDay.make("2026-12-31")))
      const first = [...sessions].sort()[0]!
      const last = yield* market.latestTradingDay
      const inData = [...Calendar.EARLY_CLOSES].filter((day) => day >= first && day <= last)
      assert.strictEqual(inData.length, Calendar.EARLY_CLOSES.size - 2)
      assert.deepStrictEqual(inData.filter((day) => !sessions.has(TradingDay.make(day))), [])
      assert.deepStrictEqual([...Calendar.EARLY_CLOSES].filter((day) => weekday(day) === 0 || weekday(day) === 6), [])
      assert.deepStrictEqual(["2026-11-27", "2026-12-24"].filter((day) => Calendar.EARLY_CLOSES.has(day)), ["2026-11-27", "2026-12-24"])
      // the day after Thanksgiving every year of the data
      for (let year = 2007; year <= 2025; year++) {
        const thanksgiving = 22 + ((11 - weekday(`${year}-11-01`)) % 7)
        assert.isTrue(Calendar.EARLY_CLOSES.has(`${year}-11-${String(thanksgiving + 1).padStart(2, "0")}`), `${year}`)
      }
    }).pipe(Effect.provide(LocalBars.layer())))

  it.effect("lists sessions with their hours: 13:00 on an early close, 16:00 otherwise, no session on a holiday", () =>
    Effect.gen(function*() {
      const exchange = yield* LocalExchange
      const days = yield* exchange.calendar(TradingDay.make("2025-12-23"), TradingDay.make("2025-12-29"))
      assert.deepStrictEqual(days.map((d) => [d.date, d.open, d.close, d.settlementDate]), [
        ["2025-12-23", "09:30", "16:00", "2025-12-24"],
        ["2025-12-24", "09:30", "13:00", "2025-12-26"],
        ["2025-12-26", "09:30", "16:00", "2025-12-29"],
        ["2025-12-29", "09:30", "16:00", "2025-12-30"]
      ])
    }).pipe(Effect.provide(bundled("2025-12-24", "12:00"))))

  it.effect("tells the clock at a moment: open during the session, closed before and after it and on a holiday", () =>
    Effect.gen(function*() {
      const clockAt = (day: string, time: string) =>
        Effect.flatMap(LocalExchange, (exchange) => exchange.clock).pipe(Effect.provide(bundled(day, time)))
      assert.deepStrictEqual(yield* clockAt("2025-12-24", "12:59"), {
        timestamp: "2025-12-24T12:59:00-05:00",
        isOpen: true,
        nextOpen: "2025-12-26T09:30:00-05:00",
        nextClose: "2025-12-24T13:00:00-05:00"
      })
      assert.deepStrictEqual(yield* clockAt("2025-12-24", "13:00"), {
        timestamp: "2025-12-24T13:00:00-05:00",
        isOpen: false,
        nextOpen: "2025-12-26T09:30:00-05:00",
        nextClose: "2025-12-26T16:00:00-05:00"
      })
      assert.deepStrictEqual(yield* clockAt("2025-12-25", "12:00"), {
        timestamp: "2025-12-25T12:00:00-05:00",
        isOpen: false,
        nextOpen: "2025-12-26T09:30:00-05:00",
        nextClose: "2025-12-26T16:00:00-05:00"
      })
      assert.deepStrictEqual(yield* clockAt("2026-06-08", "09:29:59"), {
        timestamp: "2026-06-08T09:29:59-04:00",
        isOpen: false,
        nextOpen: "2026-06-08T09:30:00-04:00",
        nextClose: "2026-06-08T16:00:00-04:00"
      })
      assert.isTrue((yield* clockAt("2026-06-08", "15:45")).isOpen)
    }))
})

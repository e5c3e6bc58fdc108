/**
 * Bars for look-ahead tests: 260 weekday sessions ending on NEXT for three symbols, with what a run of DAY must not
 * know replaced by `poison`-marked values (each a distinct number whose digits start with `poison`), so that any of
 * them found in what a run saw or sent is look-ahead.
 */
import * as Layer from "effect/Layer"
import type * as Ref from "effect/Ref"
import { AccountManager } from "@council/broker"
import { type Bar, type NewYorkMoment, type RunSchedule, TradingDay } from "@council/domain"
import { ExchangeSession, LocalExchange } from "@council/exchange"
import type { MarketData } from "@council/market"
import { Database } from "@council/store"
import { TradeLedger } from "@council/tracking"
import { profiles } from "./Fixtures.ts"

export const PREV = TradingDay.make("2026-06-04")
export const DAY = TradingDay.make("2026-06-05")
export const NEXT = TradingDay.make("2026-06-08")
const SYMBOLS = { SPY: 500, TLT: 90, GLD: 300 } as const

/** 260 weekday sessions ending on NEXT; each symbol drifts from its start with a weekly wave. */
export const sessions = (() => {
  const out: Array<TradingDay> = []
  for (const d = new Date(`${NEXT}T12:00:00Z`); out.length < 260; d.setUTCDate(d.getUTCDate() - 1)) {
    if (d.getUTCDay() !== 0 && d.getUTCDay() !== 6) out.unshift(TradingDay.make(d.toISOString().slice(0, 10)))
  }
  return out
})()

/** The bars, poisoned: under `close`, DAY's high, low, close and volume and all of NEXT; under `after-close`, all of NEXT. */
export const poisoned = (poison: number, schedule: RunSchedule): Record<string, ReadonlyArray<Bar>> =>
  Object.fromEntries(Object.entries(SYMBOLS).map(([symbol, start], s) => {
    let k = 0
    const mark = () => poison + (s * 100 + ++k) / 1000
    return [symbol, sessions.map((date, i): Bar => {
      const open = Math.round((start + i * 0.3 + Math.sin(i / 3) * start * 0.02) * 100) / 100
      const bar = { date, open, high: open * 1.01, low: open * 0.99, close: open * 1.004, volume: 1_000_000 }
      if (date === NEXT) return { date, open: mark(), high: mark(), low: mark(), close: mark(), volume: mark() }
      if (date === DAY && schedule === "close") return { ...bar, high: mark(), low: mark(), close: mark(), volume: mark() }
      return bar
    })]
  }))

/** When a run under `schedule` decides, New York time. */
export const decisionTime = (schedule: RunSchedule): string => (schedule === "close" ? "15:45" : "16:15")

/**
 * The profiles' accounts on a local exchange (and its ledger) in an in-memory SQLite over `market`, its present
 * `present`: the broker side of a look-ahead test's runs.
 */
export const localExchange = <E>(present: Ref.Ref<NewYorkMoment>, market: Layer.Layer<MarketData, E>) =>
  AccountManager.layer.pipe(
    Layer.provideMerge(LocalExchange.layerBrokers(profiles.map((p) => p.id))),
    Layer.provideMerge(Layer.merge(LocalExchange.layer(), TradeLedger.layer)),
    Layer.provide(Layer.mergeAll(Database.layerSqlite(":memory:"), market, ExchangeSession.layerRef(present)))
  )

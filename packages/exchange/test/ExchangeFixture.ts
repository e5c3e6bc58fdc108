import { randomUUID } from "node:crypto"
import { mkdtempSync } from "node:fs"
import { join } from "node:path"
import { assert } from "@effect/vitest"
import { inject } from "vitest"
import { Effect, Layer, Ref } from "effect"
import type * as SqlClient from "effect/sql/SqlClient"
import { AccountId, type Bar, isoOf, momentAt, type NewYorkMoment, type OrderIntent, Ticker, TradingDay } from "@council/domain"
import { MarketData, type MarketDataError } from "@council/market"
import { Database } from "@council/store"
import type { Broker, BrokerError } from "@council/broker"
import { ExchangeSession, LocalExchange, type LocalExchangeOptions } from "@council/exchange"

export const D1 = TradingDay.make("2026-08-03")
export const D2 = TradingDay.make("2026-08-04")
export const D3 = TradingDay.make("2026-08-05")
export const D4 = TradingDay.make("2026-08-06")
export const D5 = TradingDay.make("2026-08-07")
export const D6 = TradingDay.make("2026-08-10")

export const SPY = Ticker.make("SPY")
export const QQQ = Ticker.make("QQQ")
export const ACCOUNT = AccountId.make("CLAUDE")

const bar = (date: TradingDay, open: number, high: number, low: number, close: number): Bar => ({
  date,
  open,
  high,
  low,
  close,
  volume: 1_000_000
})

/** Hand-made bars: SPY drifts up, spikes on D3, has a wide-range day on D4, then falls; QQQ is flat at 40. */
export const bars: Record<string, ReadonlyArray<Bar>> = {
  SPY: [
    bar(D1, 100, 101, 99, 100),
    bar(D2, 101, 103, 100, 102),
    bar(D3, 102, 108, 101, 107),
    bar(D4, 107, 108, 95, 96),
    bar(D5, 96, 97, 90, 91),
    bar(D6, 91, 92, 89, 90)
  ],
  QQQ: [D1, D2, D3, D4, D5, D6].map((d) => bar(d, 40, 41, 39, 40))
}

/** The 16:00 New York close of a summer session, in UTC. */
export const closeAt = (day: TradingDay) => `${day}T20:00:00.000Z`

/** A New York wall-clock time of `day` as a ledger timestamp (UTC). */
export const isoAt = (day: TradingDay, time: string) => isoOf(momentAt(day, time))

/** The time of day `setDay` moves to: during the session, 15 minutes before the close. */
export const SESSION_TIME = "15:45"

/**
 * A fresh database file in the run's temporary directory (`TempRoot.ts`: in memory where it can be, removed when
 * the run ends, whatever becomes of the worker). Memory, because what the tests on a file check is that a rebuilt
 * exchange reads what an earlier one wrote, not the disk, whose fsyncs on each commit took seconds on a loaded
 * machine (and held a test of three rebuilds past its 5 s).
 */
export const tempDatabase = (): string => join(mkdtempSync(join(inject("exchangeTempRoot"), "db-")), "council.db")

export const intent = (
  fields: Partial<OrderIntent> & Pick<OrderIntent, "symbol" | "side" | "qty">
): OrderIntent => ({
  account: ACCOUNT,
  type: "market",
  timeInForce: "day",
  orderClass: "simple",
  clientOrderId: randomUUID(),
  reason: "test",
  ...fields
})

export interface Harness {
  readonly exchange: LocalExchange["Service"]
  readonly broker: Broker
  /** Moves the present to 15:45 New York time of `day`: during its session. */
  readonly setDay: (day: TradingDay) => Effect.Effect<void>
  /** Moves the present to `time` (`HH:MM[:SS]`, New York) of the present's day. */
  readonly setTime: (time: string) => Effect.Effect<void>
  /** Moves the present to the 16:00 close of the present's day (where orders of the session fill). */
  readonly closeDay: Effect.Effect<void>
}

/**
 * Runs `body` against a fresh exchange on a real SQLite database (`:memory:` unless a file is given),
 * starting at `time` (default 15:45, during the session) of `start` (default D1).
 */
export const withExchange = <A, E>(
  body: (harness: Harness) => Effect.Effect<A, E>,
  options: {
    readonly start?: TradingDay
    readonly time?: string
    readonly filename?: string
    /** Instead of SQLite (`filename`): another migrated database, say PostgreSQL's `Database.layerPg`. */
    readonly database?: Layer.Layer<SqlClient.SqlClient, Database.DatabaseError>
    readonly exchange?: LocalExchangeOptions
    readonly bars?: Record<string, ReadonlyArray<Bar>>
    /** Instead of `bars`: the market data itself (say, one that fails on demand). */
    readonly market?: Layer.Layer<MarketData, MarketDataError>
  } = {}
) =>
  Effect.gen(function*() {
    const day = yield* Ref.make<NewYorkMoment>(momentAt(options.start ?? D1, options.time ?? SESSION_TIME))
    const layer = LocalExchange.layer(options.exchange).pipe(
      Layer.provide(options.database ?? Database.layerSqlite(options.filename ?? ":memory:")),
      Layer.provide(options.market ?? MarketData.layerTest(options.bars ?? bars)),
      Layer.provide(ExchangeSession.layerRef(day)),
      Layer.fresh
    )
    return yield* Effect.gen(function*() {
      const exchange = yield* LocalExchange
      return yield* body({
        exchange,
        broker: LocalExchange.broker(exchange, ACCOUNT),
        setDay: (d) => Ref.set(day, momentAt(d, SESSION_TIME)),
        setTime: (time) => Ref.update(day, (m) => momentAt(m.day, time)),
        closeDay: Ref.update(day, (m) => momentAt(m.day, "16:00"))
      })
    }).pipe(Effect.provide(layer))
  })

/** Asserts `error` is the account's (`ACCOUNT`) refusal for `reason`, with `message` when given. */
export const expectError = (error: BrokerError, reason: BrokerError["reason"], message?: string) => {
  assert.strictEqual(error.reason, reason, error.message)
  assert.strictEqual(error.account, ACCOUNT)
  if (message !== undefined) assert.strictEqual(error.message, message)
}

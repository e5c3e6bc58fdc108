import { randomUUID } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, Ref } from "effect"
import { AccountId, type Bar, type OrderIntent, Ticker, TradingDay } from "@council/domain"
import { MarketData } from "@council/market"
import { Database } from "@council/store"
import type { Broker } from "@council/broker"
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

export const tempDatabase = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "council-exchange-"))
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }))
  return join(dir, "council.db")
}

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
  readonly setDay: (day: TradingDay) => Effect.Effect<void>
}

/**
 * Runs `body` against a fresh exchange on a real SQLite database (`:memory:` unless a file is given),
 * starting at `start`.
 */
export const withExchange = <A, E>(
  body: (harness: Harness) => Effect.Effect<A, E>,
  options: { readonly start?: TradingDay; readonly filename?: string; readonly exchange?: LocalExchangeOptions } = {}
) =>
  Effect.gen(function*() {
    const day = yield* Ref.make(options.start ?? D1)
    const layer = LocalExchange.layer(options.exchange).pipe(
      Layer.provide(Database.layerSqlite(options.filename ?? ":memory:")),
      Layer.provide(MarketData.layerTest(bars)),
      Layer.provide(ExchangeSession.layerRef(day)),
      Layer.fresh
    )
    return yield* Effect.gen(function*() {
      const exchange = yield* LocalExchange
      return yield* body({
        exchange,
        broker: LocalExchange.broker(exchange, ACCOUNT),
        setDay: (d) => Ref.set(day, d)
      })
    }).pipe(Effect.provide(layer))
  })

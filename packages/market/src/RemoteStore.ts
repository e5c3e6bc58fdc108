/**
 * The bars a remote feed fetched, kept for the life of the feed: one contiguous range of calendar days fetched for
 * every symbol, widened on demand (only the missing days are requested), and the `MarketData` over them.
 *
 * **When to use**: `RemoteBars.make` keeps one per feed; `ensure(from, to)` before answering a query.
 *
 * **Gotchas**: sessions are the days with a bar for every symbol; a bar that is not a real print is dropped with a
 * warning (see `RemoteBars`). Concurrent `ensure`s share one fetch.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import * as Semaphore from "effect/Semaphore"
import type { Bar, Ticker, TradingDay } from "@council/domain"
import * as BarIndex from "./BarIndex.ts"
import { MarketData, MarketDataError } from "./MarketData.ts"
import { addDays } from "./NewYorkDays.ts"
import type { Provider } from "./RemoteBars.ts"

export interface Store {
  /** The calendar days fetched for every symbol, inclusive. */
  readonly from: TradingDay
  readonly to: TradingDay
  readonly rows: ReadonlyMap<Ticker, ReadonlyMap<string, Bar>>
  readonly view: { readonly index: BarIndex.BarIndex; readonly service: MarketData["Service"] } | undefined
}

const minDay = (a: TradingDay, b: TradingDay): TradingDay => (a < b ? a : b)
const maxDay = (a: TradingDay, b: TradingDay): TradingDay => (a > b ? a : b)

const buildView = (provider: string, rows: ReadonlyMap<Ticker, ReadonlyMap<string, Bar>>): Result.Result<
  Store["view"],
  MarketDataError
> => {
  const symbols = [...rows.keys()]
  const missing = symbols.filter((s) => rows.get(s)!.size === 0)
  if (missing.length === symbols.length) return Result.succeed(undefined)
  if (missing.length > 0) {
    return Result.fail(
      new MarketDataError({
        reason: "InvalidData",
        message: `${provider} returned no bars at all for ${missing.join(", ")}; is the symbol right?`
      })
    )
  }
  let dates = [...rows.get(symbols[0]!)!.keys()]
  for (const symbol of symbols.slice(1)) {
    const have = rows.get(symbol)!
    dates = dates.filter((d) => have.has(d))
  }
  if (dates.length === 0) return Result.succeed(undefined)
  dates.sort()
  const inputs = symbols.map((symbol): BarIndex.SeriesInput => {
    const have = rows.get(symbol)!
    const bars = dates.map((d) => have.get(d)!)
    return {
      symbol,
      source: `${provider} bars for ${symbol}`,
      dates,
      open: bars.map((b) => b.open),
      high: bars.map((b) => b.high),
      low: bars.map((b) => b.low),
      close: bars.map((b) => b.close),
      volume: bars.map((b) => b.volume)
    }
  })
  return Result.match(BarIndex.make(inputs), {
    onFailure: (message) => Result.fail(new MarketDataError({ reason: "InvalidData", message })),
    onSuccess: (index) => Result.succeed({ index, service: MarketData.fromIndex(index) })
  })
}

/** The kept bars of `provider` for `sortedUniverse` (in `BarIndex` order). */
export const make = Effect.fnUntraced(function*(provider: Provider, sortedUniverse: ReadonlyArray<Ticker>) {
  const store = yield* Ref.make<Store | undefined>(undefined)
  const lock = yield* Semaphore.make(1)

  const fetchGap = Effect.fnUntraced(function*(
    rows: Map<Ticker, Map<string, Bar>>,
    from: TradingDay,
    to: TradingDay
  ) {
    const fetched = yield* provider.fetch(sortedUniverse, from, to)
    for (const symbol of sortedUniverse) {
      const target = rows.get(symbol)!
      for (const bar of fetched.get(symbol) ?? []) {
        if (bar.date < from || bar.date > to) continue
        const problem = BarIndex.barProblem(bar.open, bar.high, bar.low, bar.close, bar.volume)
        if (problem === undefined) target.set(bar.date, bar)
        else yield* Effect.logWarning(`${provider.name}: the ${symbol} bar of ${bar.date} is not a real print (${problem}); dropped, so ${bar.date} is not a session of this feed`)
      }
    }
  })

  /** Makes sure every day of `[from, to]` (`to` already complete) was fetched; returns the store. */
  const ensure = (from: TradingDay, to: TradingDay): Effect.Effect<Store, MarketDataError> =>
    lock.withPermits(1)(Effect.gen(function*() {
      const current = yield* Ref.get(store)
      if (current && current.from <= from && current.to >= to) return current
      const rows = new Map<Ticker, Map<string, Bar>>(
        sortedUniverse.map((s) => [s, new Map(current?.rows.get(s) ?? [])])
      )
      if (current === undefined) {
        yield* fetchGap(rows, from, to)
      } else {
        if (from < current.from) yield* fetchGap(rows, from, addDays(current.from, -1))
        if (to > current.to) yield* fetchGap(rows, addDays(current.to, 1), to)
      }
      const view = yield* Effect.fromResult(buildView(provider.name, rows))
      const next: Store = {
        from: current ? minDay(current.from, from) : from,
        to: current ? maxDay(current.to, to) : to,
        rows,
        view
      }
      yield* Ref.set(store, next)
      return next
    }))

  return { ensure }
})

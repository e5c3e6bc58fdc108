/**
 * Today's session so far from a remote feed's live prices (`snapshotDuring` under the `close` schedule), after the
 * complete sessions before it. A bar so far that is not a real print (`BarIndex.barProblem`) is dropped with a
 * warning naming it, as a daily bar is, and the day fails `Unavailable`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { type Bar, formatMoment, momentOfEpoch, type TradingDay } from "@council/domain"
import * as BarIndex from "./BarIndex.ts"
import { splitAdjusted } from "./KnownSplits.ts"
import { MarketDataError } from "./MarketData.ts"
import { addDays, lastCompleteDay, nyDate } from "./NewYorkDays.ts"
import { calendarSpan, type Feed, lastSession, viewOf } from "./RemoteFeed.ts"

/**
 * The symbols whose bar of `asOf` so far is not a real print (`BarIndex.barProblem`), each dropped with a
 * warning naming the feed, symbol and date, as a daily bar is: the run's own day stops there.
 */
const notRealPrints = Effect.fnUntraced(function*(feed: Feed, today: ReadonlyMap<string, Bar>, asOf: TradingDay) {
  const dropped: Array<string> = []
  for (const symbol of feed.universe) {
    const bar = today.get(symbol)
    if (bar === undefined || bar.date !== asOf) continue
    const problem = BarIndex.barProblem(bar.open, bar.high, bar.low, bar.close, bar.volume)
    if (problem === undefined) continue
    dropped.push(symbol)
    yield* Effect.logWarning(`${feed.provider.name}: the ${symbol} bar of ${asOf} so far is not a real print (${problem}); dropped`)
  }
  return dropped
})

/** Today's session so far after the complete sessions before it, from the provider's live prices. */
export const liveSnapshot = Effect.fnUntraced(function*(feed: Feed, asOf: TradingDay, lookback: number, now: number) {
  const { provider, universe } = feed
  const live = provider.sessionSoFar
  if (live === undefined || nyDate(now) !== asOf) {
    return yield* new MarketDataError({
      reason: "OutOfRange",
      message: `${asOf} is not complete yet and ${provider.name} has no live prices for it`
    })
  }
  const complete = lastCompleteDay(now)
  const current = yield* feed.ensure(addDays(complete, -calendarSpan(lookback)), complete)
  const { index, service } = yield* viewOf(feed, current, complete)
  const before = yield* service.snapshot(lastSession(index), Math.max(0, lookback - 1))
  const today = yield* live(universe, asOf, now)
  const dropped = yield* notRealPrints(feed, today, asOf)
  const missing = universe.filter((symbol) => today.get(symbol)?.date !== asOf)
  if (missing.length + dropped.length > 0) {
    return yield* new MarketDataError({
      reason: "Unavailable",
      message: `${provider.name}: ${[
        ...(missing.length > 0 ? [`no trade of ${missing.join(", ")} on ${asOf} yet`] : []),
        ...(dropped.length > 0 ? [`no real print of ${dropped.join(", ")} on ${asOf} so far (dropped)`] : [])
      ].join("; ")}`
    })
  }
  const history = before.history.map((h) => ({ symbol: h.symbol, bars: [...h.bars, today.get(h.symbol)!] }))
  return yield* splitAdjusted(feed, { asOf, universe, history, intraday: { at: formatMoment(momentOfEpoch(now)), through: "latest-trade" as const } })
})

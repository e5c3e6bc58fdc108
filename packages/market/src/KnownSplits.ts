/**
 * A snapshot's history as it was known on its as-of day: the splits with an ex-date up to that day applied to the
 * bars before their ex-date (prices ÷ ratio, volume × ratio), so a stage sees no jump where a split was. The as-of
 * day's bar stays raw (what orders trade at); splits after the as-of day are not known then and change nothing.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { Bar, MarketSnapshot } from "@council/domain"
import * as BarIndex from "./BarIndex.ts"
import { type Split, splitRatio } from "./CorporateAction.ts"
import { addDays } from "./NewYorkDays.ts"
import type { Feed } from "./RemoteFeed.ts"

/** `bars` with `splits` (one symbol's) applied before their ex-dates; a bar no split follows is kept as it is. */
const adjustBars = (bars: ReadonlyArray<Bar>, splits: ReadonlyArray<Split>): Array<Bar> =>
  bars.map((bar) => {
    const ratio = splits.reduce((r, s) => (s.exDate > bar.date ? r * splitRatio(s) : r), 1)
    return ratio === 1 ? bar : {
      date: bar.date,
      open: bar.open / ratio,
      high: bar.high / ratio,
      low: bar.low / ratio,
      close: bar.close / ratio,
      volume: bar.volume * ratio
    }
  })

/** `snapshot` with the feed's splits known by its as-of day applied; without a split (or corporate actions): the snapshot. */
export const splitAdjusted = Effect.fnUntraced(function*(feed: Feed, snapshot: MarketSnapshot) {
  const first = snapshot.history.flatMap((h) => h.bars.slice(0, 1).map((b) => b.date)).sort()[0]
  if (feed.provider.corporateActions === undefined || first === undefined || first >= snapshot.asOf) return snapshot
  const splits = (yield* feed.actions(addDays(first, 1), snapshot.asOf)).filter((a) => a.kind === "split")
  if (splits.length === 0) return snapshot
  const history = snapshot.history.map((h) => {
    const mine = splits.filter((s) => s.symbol === h.symbol)
    if (mine.length === 0) return h
    return { symbol: h.symbol, bars: BarIndex.derivedWindow(h.bars, adjustBars(h.bars, mine)) }
  })
  return { ...snapshot, history }
})

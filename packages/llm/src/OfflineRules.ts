/**
 * The five rule-based styles that stand in for the LLM portfolio managers when no provider is configured.
 *
 * **When to use**: `PortfolioManagers.layerOffline` calls `offlinePitch`; tests and tools can call it directly.
 * Each rule is a pure function of the snapshot: no clock, no randomness, so the same snapshot always gives the
 * same pitch.
 *
 * | PM | style | rule |
 * |---|---|---|
 * | CHATGPT | momentum | LONG the 20-session return leader if it is up ≥ 1% (conviction 2 from a 1.5σ move) |
 * | GEMINI | mean-reversion | fade the largest 5-session move beyond ±1.5σ of 20-session volatility (2 from 2.5σ) |
 * | CLAUDE | trend | follow the widest 50/200-session SMA spread with close, SMA50, SMA200 stacked (2 from 5%) |
 * | GROQ | low-volatility | LONG the calmest symbol (20-session vol) above its SMA50 and up over 20 sessions |
 * | DEEPSEEK | contrarian | LONG the 60-session laggard if it is down ≥ 5% (conviction 2 from −15%) |
 *
 * **Gotchas**
 * - Bars dated after `snapshot.asOf` are ignored, whatever the feed sent.
 * - A symbol without enough history for a rule is skipped; with no candidate left the pitch is FLAT
 *   (conviction 0) and says why. `PM_LOOKBACK_SESSIONS` is enough history for every rule.
 * - Exact ties are broken alphabetically by symbol.
 * - The risk profile comes from the pick's 20-session annualised volatility: < 12% TIGHT, ≤ 25% BASE, else WIDE.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type { AccountId, Conviction, Direction, Horizon, MarketSnapshot, Pitch, RiskProfile, Ticker } from "@council/domain"
import { FLAT } from "@council/domain"
import * as Indicators from "./Indicators.ts"

/** Sessions of history every offline rule needs (200-session SMA plus slack); fetch snapshots with this lookback. */
export const PM_LOOKBACK_SESSIONS = 210

export const OfflineStyle = Schema.Literals(["momentum", "mean-reversion", "trend", "low-volatility", "contrarian"])
export type OfflineStyle = typeof OfflineStyle.Type

/** The style each default PM plays offline. */
export const OFFLINE_STYLES = {
  CHATGPT: "momentum",
  GEMINI: "mean-reversion",
  CLAUDE: "trend",
  GROQ: "low-volatility",
  DEEPSEEK: "contrarian"
} as const satisfies Record<string, OfflineStyle>

export const MOMENTUM_MIN_RETURN = 0.01
export const MOMENTUM_STRONG_Z = 1.5
export const REVERSION_MIN_Z = 1.5
export const CONTRARIAN_MAX_RETURN = -0.05

interface Series {
  readonly symbol: Ticker
  readonly closes: ReadonlyArray<number>
  readonly last: number
}

type Outcome =
  | {
    readonly _tag: "Trade"
    readonly symbol: Ticker
    readonly direction: "LONG" | "SHORT"
    readonly conviction: Conviction
    readonly horizon: Horizon
    readonly riskProfile: RiskProfile
    readonly findings: ReadonlyArray<string>
    readonly invalidation: string
  }
  | { readonly _tag: "Flat"; readonly horizon: Horizon; readonly findings: ReadonlyArray<string> }

/** A rule's pitch of no position, with its one finding. */
const flat = (horizon: Horizon, finding: string): Outcome => ({ _tag: "Flat", horizon, findings: [finding] })

/** No symbol has the history a rule's measure needs. */
const tooShort = (horizon: Horizon, sessions: number, measure: string): Outcome =>
  flat(horizon, `No symbol has the ${sessions} sessions of history ${measure} needs.`)

const pct = (x: number): string => `${x >= 0 ? "+" : "-"}${Math.abs(x * 100).toFixed(2)}%`
const px = (x: number): string => x.toFixed(2)
const volPct = (x: number): string => `${(x * 100).toFixed(1)}%`

/** Each snapshot's series, computed once: the five rules of a day read the same snapshot. */
const seriesBySnapshot = new WeakMap<MarketSnapshot, ReadonlyArray<Series>>()

const seriesOf = (snapshot: MarketSnapshot): ReadonlyArray<Series> => {
  let series = seriesBySnapshot.get(snapshot)
  if (series === undefined) {
    series = snapshot.history
      .map((h) => {
        const closes: Array<number> = []
        for (const b of h.bars) if (b.date <= snapshot.asOf) closes.push(b.close)
        return { symbol: h.symbol, closes, last: closes[closes.length - 1] ?? Number.NaN }
      })
      .filter((s) => s.closes.length > 0)
    seriesBySnapshot.set(snapshot, series)
  }
  return series
}

/** Candidates sorted by `score` descending, then symbol ascending. */
const ranked = <A extends { readonly symbol: Ticker; readonly score: number }>(xs: ReadonlyArray<A>): Array<A> =>
  [...xs].sort((a, b) => b.score - a.score || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0))

const defined = <A>(x: A | undefined): x is A => x !== undefined

export const riskProfileFor = (annualisedVol: number | undefined): RiskProfile =>
  annualisedVol === undefined ? "BASE" : annualisedVol < 0.12 ? "TIGHT" : annualisedVol <= 0.25 ? "BASE" : "WIDE"

const riskOf = (s: Series): { readonly riskProfile: RiskProfile; readonly note: string } => {
  const vol = Indicators.annualisedVolatility(s.closes, 20)
  const riskProfile = riskProfileFor(vol)
  return {
    riskProfile,
    note: vol === undefined
      ? `Too little history for volatility; ${riskProfile} risk.`
      : `20-session realised volatility ${volPct(vol)} annualised, so ${riskProfile} risk.`
  }
}

const momentum = (snapshot: MarketSnapshot): Outcome => {
  const horizon = "2W"
  const candidates = ranked(
    seriesOf(snapshot)
      .map((s) => {
        const r = Indicators.change(s.closes, 20)
        return r === undefined ? undefined : { ...s, score: r, r20: r }
      })
      .filter(defined)
  )
  const leader = candidates[0]
  if (leader === undefined) {
    return tooShort(horizon, 21, "the 20-session return")
  }
  if (leader.r20 < MOMENTUM_MIN_RETURN) {
    return flat(horizon, `No momentum: the best 20-session return is ${leader.symbol} ${pct(leader.r20)}, below the ${pct(MOMENTUM_MIN_RETURN)} entry bar.`)
  }
  const start = leader.closes[leader.closes.length - 21]!
  const floor = Indicators.lowest(leader.closes, 20)!
  const runnerUp = candidates[1]
  const risk = riskOf(leader)
  const sigma = Indicators.dailyVolatility(leader.closes, 20)
  const strength = sigma === undefined || sigma === 0 ? undefined : leader.r20 / (sigma * Math.sqrt(20))
  return {
    _tag: "Trade",
    symbol: leader.symbol,
    direction: "LONG",
    conviction: strength !== undefined && strength >= MOMENTUM_STRONG_Z ? 2 : 1,
    horizon,
    riskProfile: risk.riskProfile,
    findings: [
      `${leader.symbol} leads the universe on 20-session return: ${pct(leader.r20)} (close ${px(leader.last)} vs ${
        px(start)
      } 20 sessions ago).`,
      `${
        strength === undefined ? "Move size unknown" : `That is ${strength.toFixed(2)}σ of 20-session volatility`
      } (conviction 2 from ${MOMENTUM_STRONG_Z}σ)${runnerUp ? `; runner-up ${runnerUp.symbol} ${pct(runnerUp.r20)}` : ""}.`,
      risk.note
    ],
    invalidation: `Exit on a close below ${px(floor)}, the lowest close of the last 20 sessions.`
  }
}

const meanReversion = (snapshot: MarketSnapshot): Outcome => {
  const horizon = "1W"
  const candidates = ranked(
    seriesOf(snapshot)
      .map((s) => {
        const r5 = Indicators.change(s.closes, 5)
        const sigma = Indicators.dailyVolatility(s.closes, 20)
        if (r5 === undefined || sigma === undefined || sigma === 0) return undefined
        const z = r5 / (sigma * Math.sqrt(5))
        return { ...s, score: Math.abs(z), z, r5, sigma }
      })
      .filter(defined)
  )
  const pick = candidates[0]
  if (pick === undefined) {
    return tooShort(horizon, 21, "the 5-session z-score")
  }
  if (pick.score < REVERSION_MIN_Z) {
    return flat(horizon, `Nothing stretched: the largest 5-session move is ${pick.symbol} ${pct(pick.r5)} (z = ${pick.z.toFixed(2)}), inside ±${REVERSION_MIN_Z}σ.`)
  }
  const direction = pick.z < 0 ? "LONG" : "SHORT"
  const magnitude = pick.score >= 2.5 ? 2 : 1
  const band = pick.sigma * Math.sqrt(5)
  const mean = Indicators.sma(pick.closes, 20)!
  const risk = riskOf(pick)
  return {
    _tag: "Trade",
    symbol: pick.symbol,
    direction,
    conviction: direction === "LONG" ? magnitude : -magnitude,
    horizon,
    riskProfile: risk.riskProfile,
    findings: [
      `${pick.symbol} moved ${pct(pick.r5)} over 5 sessions: z = ${
        pick.z.toFixed(2)
      } against its 20-session volatility (${(pick.sigma * 100).toFixed(2)}% a day).`,
      `Rule: fade 5-session moves beyond ±${REVERSION_MIN_Z}σ; the target is the 20-session mean close ${px(mean)}.`,
      risk.note
    ],
    invalidation: direction === "LONG"
      ? `Exit on a close below ${px(pick.last * (1 - band))}, one more 5-session σ lower.`
      : `Exit on a close above ${px(pick.last * (1 + band))}, one more 5-session σ higher.`
  }
}

const trend = (snapshot: MarketSnapshot): Outcome => {
  const horizon = "1M"
  const withAverages = seriesOf(snapshot)
    .map((s) => {
      const sma50 = Indicators.sma(s.closes, 50)
      const sma200 = Indicators.sma(s.closes, 200)
      if (sma50 === undefined || sma200 === undefined) return undefined
      const spread = sma50 / sma200 - 1
      const up = s.last > sma50 && sma50 > sma200
      const down = s.last < sma50 && sma50 < sma200
      return { ...s, sma50, sma200, spread, up, down, score: Math.abs(spread) }
    })
    .filter(defined)
  if (withAverages.length === 0) {
    return tooShort(horizon, 200, "the trend rule")
  }
  const aligned = ranked(withAverages.filter((s) => s.up || s.down))
  const pick = aligned[0]
  if (pick === undefined) {
    return flat(horizon, `No clean trend: none of ${withAverages.length} symbols has close, 50- and 200-session SMAs stacked.`)
  }
  const direction = pick.up ? "LONG" : "SHORT"
  const magnitude = pick.score >= 0.05 ? 2 : 1
  const risk = riskOf(pick)
  const op = pick.up ? ">" : "<"
  return {
    _tag: "Trade",
    symbol: pick.symbol,
    direction,
    conviction: direction === "LONG" ? magnitude : -magnitude,
    horizon,
    riskProfile: risk.riskProfile,
    findings: [
      `${pick.symbol} is in ${pick.up ? "an uptrend" : "a downtrend"}: close ${px(pick.last)} ${op} 50-session SMA ${
        px(pick.sma50)
      } ${op} 200-session SMA ${px(pick.sma200)}.`,
      `50/200 spread ${pct(pick.spread)}, the widest of ${aligned.length} trending symbol${
        aligned.length === 1 ? "" : "s"
      }.`,
      risk.note
    ],
    invalidation: `Exit on a close ${pick.up ? "below" : "above"} the 50-session SMA, ${px(pick.sma50)}.`
  }
}

const lowVolatility = (snapshot: MarketSnapshot): Outcome => {
  const horizon = "1M"
  const measured = seriesOf(snapshot)
    .map((s) => {
      const vol = Indicators.annualisedVolatility(s.closes, 20)
      const sma50 = Indicators.sma(s.closes, 50)
      const r20 = Indicators.change(s.closes, 20)
      if (vol === undefined || sma50 === undefined || r20 === undefined) return undefined
      return { ...s, vol, sma50, r20, sma200: Indicators.sma(s.closes, 200), score: -vol }
    })
    .filter(defined)
  if (measured.length === 0) {
    return tooShort(horizon, 50, "the low-volatility rule")
  }
  const calm = ranked(measured.filter((s) => s.last > s.sma50 && s.r20 > 0))
  const pick = calm[0]
  if (pick === undefined) {
    return flat(horizon, `No calm uptrend: none of ${measured.length} symbols is above its 50-session SMA and up over 20 sessions.`)
  }
  const aboveLongTrend = pick.sma200 !== undefined && pick.last > pick.sma200
  const next = calm[1]
  return {
    _tag: "Trade",
    symbol: pick.symbol,
    direction: "LONG",
    conviction: aboveLongTrend ? 2 : 1,
    horizon,
    riskProfile: riskProfileFor(pick.vol),
    findings: [
      `${pick.symbol} has the lowest 20-session volatility of the symbols in an uptrend: ${
        volPct(pick.vol)
      } annualised, so ${riskProfileFor(pick.vol)} risk.`,
      `Close ${px(pick.last)} is above its 50-session SMA ${px(pick.sma50)} and ${pct(pick.r20)} over 20 sessions${
        pick.sma200 === undefined
          ? "."
          : aboveLongTrend
          ? `, and above its 200-session SMA ${px(pick.sma200)}.`
          : `, but below its 200-session SMA ${px(pick.sma200)}.`
      }`,
      ...(next ? [`Next calmest: ${next.symbol} at ${volPct(next.vol)}.`] : [])
    ],
    invalidation: `Exit on a close below the 50-session SMA, ${px(pick.sma50)}.`
  }
}

const contrarian = (snapshot: MarketSnapshot): Outcome => {
  const horizon = "2W"
  const candidates = ranked(
    seriesOf(snapshot)
      .map((s) => {
        const r60 = Indicators.change(s.closes, 60)
        return r60 === undefined ? undefined : { ...s, r60, score: -r60 }
      })
      .filter(defined)
  )
  const laggard = candidates[0]
  if (laggard === undefined) {
    return tooShort(horizon, 61, "the 60-session return")
  }
  if (laggard.r60 > CONTRARIAN_MAX_RETURN) {
    return flat(horizon, `No washed-out laggard: the worst 60-session return is ${laggard.symbol} ${pct(laggard.r60)}, above ${pct(CONTRARIAN_MAX_RETURN)}.`)
  }
  const start = laggard.closes[laggard.closes.length - 61]!
  const low = Indicators.lowest(laggard.closes, 60)!
  const risk = riskOf(laggard)
  return {
    _tag: "Trade",
    symbol: laggard.symbol,
    direction: "LONG",
    conviction: laggard.r60 <= -0.15 ? 2 : 1,
    horizon,
    riskProfile: risk.riskProfile,
    findings: [
      `${laggard.symbol} is the 60-session laggard: ${pct(laggard.r60)} (close ${px(laggard.last)} vs ${px(start)}).`,
      `Rule: buy the worst 60-session performer once it is down ${pct(-CONTRARIAN_MAX_RETURN).slice(1)} or more.`,
      risk.note
    ],
    invalidation: `Exit on a close below ${px(low * 0.95)}, 5% under the 60-session low close ${px(low)}.`
  }
}

const RULES: Record<OfflineStyle, (snapshot: MarketSnapshot) => Outcome> = {
  "momentum": momentum,
  "mean-reversion": meanReversion,
  "trend": trend,
  "low-volatility": lowVolatility,
  "contrarian": contrarian
}

/** The `source` / model name of an offline style, e.g. `offline:momentum`. */
export const offlineSource = (style: OfflineStyle): string => `offline:${style}`

/** The pitch `pm` makes in `style` for the snapshot. Pure and deterministic. */
export const offlinePitch = (pm: AccountId, style: OfflineStyle, snapshot: MarketSnapshot): Pitch => {
  const outcome = RULES[style](snapshot)
  const standIn = `Offline stand-in for ${pm} (${style} rule); no LLM was called.`
  const common = { pm, asOf: snapshot.asOf, horizon: outcome.horizon, source: offlineSource(style) }
  if (outcome._tag === "Flat") {
    return {
      ...common,
      symbol: FLAT,
      direction: "FLAT" satisfies Direction,
      conviction: 0,
      thesis: [standIn, ...outcome.findings],
      riskProfile: "BASE",
      invalidation: "No position; the rule is re-evaluated at the next session."
    }
  }
  return {
    ...common,
    symbol: outcome.symbol,
    direction: outcome.direction,
    conviction: outcome.conviction,
    thesis: [standIn, ...outcome.findings],
    riskProfile: outcome.riskProfile,
    invalidation: outcome.invalidation
  }
}

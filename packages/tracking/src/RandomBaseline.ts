/**
 * The random-entry baseline: positions picked at random, traded at a chosen turnover. An account that cannot beat
 * it shows no skill in *what* it picks beyond how much it trades.
 *
 * **When to use**: `randomEntryTargets` gives target weights per session; the backtest executes them through the
 * same local fill model as the accounts (paper only, never a broker). Use the compared account's `turnover` and
 * `averageExposure` from `Metrics` so that both trade alike.
 *
 * **Rules**
 * - `slots` positions (default 1), each of weight `exposure / slots` of equity, long or (when allowed) short.
 * - Every session after the first, each slot is redrawn with probability p = turnover / (252 × 2 × exposure): a
 *   redraw sells one slot's weight and buys another's, so the expected traded value per session is
 *   2 · p · exposure of equity, i.e. `turnover` a year in the unit of `Metrics` (both sides counted). p is capped
 *   at 1 (every slot every session). The first session enters every slot.
 * - A redraw picks uniformly among the (symbol, side) pairs of that session's universe other than the slot's
 *   current one; a slot whose symbol is missing from a session's universe is redrawn that session.
 * - It reads the session list and universe only, never a price: it cannot look ahead. Seeded (`Prng`).
 *
 * **Gotchas**: weights are targets at entry. Between redraws an executor should keep a slot's shares (`changes`
 * lists what to trade each session) rather than rebalance to the weight, or it trades more than `turnover`.
 *
 * @since 0.1.0
 */
import type { Ticker, TradingDay } from "@council/domain"
import * as Prng from "./Prng.ts"
import { SESSIONS_PER_YEAR } from "./Metrics.ts"

export interface BaselineSession {
  readonly date: TradingDay
  /** The symbols that may be traded on this session. */
  readonly symbols: ReadonlyArray<Ticker>
}

export interface TargetPosition {
  readonly symbol: Ticker
  /** Signed fraction of equity: negative for a short. */
  readonly weight: number
}

export interface BaselineDay {
  readonly date: TradingDay
  /** The positions to hold after this session, by symbol (slots on one symbol are summed). */
  readonly targets: ReadonlyArray<TargetPosition>
  /** Symbols whose target changed this session: what to trade. */
  readonly changes: ReadonlyArray<Ticker>
}

export interface BaselineInput {
  readonly sessions: ReadonlyArray<BaselineSession>
  /** Annual turnover, a multiple of equity with both sides counted (as `Metrics.turnover`). */
  readonly turnover: number
  /** Gross exposure as a fraction of equity. Default 1. */
  readonly exposure?: number
  /** Simultaneous positions. Default 1. */
  readonly slots?: number
  readonly allowShort?: boolean
  readonly seed: string | number
}

interface Holding {
  readonly symbol: Ticker
  readonly side: 1 | -1
}

/** The probability that a slot is redrawn on a session, for `turnover` a year at `exposure`. */
export const redrawProbability = (turnover: number, exposure: number): number =>
  exposure > 0 ? Math.min(1, Math.max(0, turnover / (SESSIONS_PER_YEAR * 2 * exposure))) : 0

const draw = (prng: Prng.Prng, symbols: ReadonlyArray<Ticker>, allowShort: boolean, current: Holding | undefined): Holding | undefined => {
  const sides: ReadonlyArray<1 | -1> = allowShort ? [1, -1] : [1]
  const choices = symbols.flatMap((symbol) => sides.map((side) => ({ symbol, side })))
    .filter((h) => current === undefined || h.symbol !== current.symbol || h.side !== current.side)
  return choices.length === 0 ? current : choices[prng.int(choices.length)]
}

const targetsOf = (slots: ReadonlyArray<Holding | undefined>, weight: number): Map<Ticker, number> => {
  const targets = new Map<Ticker, number>()
  for (const slot of slots) {
    if (slot !== undefined) targets.set(slot.symbol, (targets.get(slot.symbol) ?? 0) + slot.side * weight)
  }
  return targets
}

/** Target positions per session for the random-entry baseline (see the module's rules). */
export const randomEntryTargets = (input: BaselineInput): ReadonlyArray<BaselineDay> => {
  const prng = Prng.make(input.seed)
  const exposure = input.exposure ?? 1
  const slotCount = Math.max(1, Math.floor(input.slots ?? 1))
  const weight = exposure / slotCount
  const p = redrawProbability(input.turnover, exposure)
  const slots: Array<Holding | undefined> = Array.from({ length: slotCount }, () => undefined)
  let previous = new Map<Ticker, number>()
  return input.sessions.map((session, t) => {
    const available = new Set(session.symbols)
    for (let k = 0; k < slotCount; k++) {
      const slot = slots[k]
      const missing = slot !== undefined && !available.has(slot.symbol)
      const redraw = t === 0 || slot === undefined || missing || prng.uniform() < p
      if (redraw) slots[k] = draw(prng, session.symbols, input.allowShort ?? false, missing ? undefined : slot)
    }
    const targets = targetsOf(slots, weight)
    const symbols = new Set([...previous.keys(), ...targets.keys()])
    const changes = [...symbols].filter((s) => (previous.get(s) ?? 0) !== (targets.get(s) ?? 0)).sort()
    previous = targets
    return {
      date: session.date,
      targets: [...targets].filter(([, w]) => w !== 0).map(([symbol, w]) => ({ symbol, weight: w })),
      changes
    }
  })
}

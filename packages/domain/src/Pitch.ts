/**
 * A portfolio manager's trade pitch for one day.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { AccountId, Ticker, TradingDay } from "./Ids.ts"

export const Direction = Schema.Literals(["LONG", "SHORT", "FLAT"])
export type Direction = typeof Direction.Type

export const Conviction = Schema.Int.check(Schema.isBetween({ minimum: -2, maximum: 2 }))
export type Conviction = typeof Conviction.Type

export const RiskProfile = Schema.Literals(["TIGHT", "BASE", "WIDE"])
export type RiskProfile = typeof RiskProfile.Type

export const Horizon = Schema.Literals(["1D", "1W", "2W", "1M"])
export type Horizon = typeof Horizon.Type

export const FLAT = "FLAT"

export const Pitch = Schema.Struct({
  pm: AccountId,
  asOf: TradingDay,
  /** A ticker from the universe, or `FLAT` for no position. */
  symbol: Schema.Union([Ticker, Schema.Literal(FLAT)]),
  direction: Direction,
  conviction: Conviction,
  thesis: Schema.Array(Schema.String).check(Schema.isMinLength(1)),
  riskProfile: RiskProfile,
  horizon: Horizon,
  invalidation: Schema.String,
  /** Who produced the pitch, e.g. `offline:momentum` or `openai:gpt-5.4`. */
  source: Schema.String
})
export type Pitch = typeof Pitch.Type

/** A PM that did not pitch, with the reason. */
export const Abstention = Schema.Struct({
  pm: AccountId,
  reason: Schema.String
})
export type Abstention = typeof Abstention.Type

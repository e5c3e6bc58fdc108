/**
 * The council's synthesis of the PM pitches.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { AccountId, Ticker, TradingDay } from "./Ids.ts"
import { Conviction, Direction, Horizon, RiskProfile } from "./Pitch.ts"

export const Vote = Schema.Struct({
  pm: AccountId,
  symbol: Schema.String,
  direction: Direction,
  conviction: Conviction,
  weight: Schema.Finite
})
export type Vote = typeof Vote.Type

export const CouncilTrade = Schema.Struct({
  symbol: Ticker,
  direction: Direction,
  conviction: Conviction,
  riskProfile: RiskProfile,
  horizon: Horizon
})
export type CouncilTrade = typeof CouncilTrade.Type

/** The mechanical conviction-weighted vote, kept beside an LLM chairman's decision as its shadow baseline. */
export const MechanicalVote = Schema.Struct({
  trades: Schema.Array(CouncilTrade),
  rationale: Schema.String,
  dissent: Schema.Array(Schema.String)
})
export type MechanicalVote = typeof MechanicalVote.Type

export const CouncilDecision = Schema.Struct({
  asOf: TradingDay,
  /** Empty when the council stays flat. */
  trades: Schema.Array(CouncilTrade),
  rationale: Schema.String,
  /** Who disagreed with the decision and how. */
  dissent: Schema.Array(Schema.String),
  votes: Schema.Array(Vote),
  source: Schema.String,
  /** What to watch until the next session (an LLM chairman's plan). */
  monitoring: Schema.optionalKey(Schema.Array(Schema.String)),
  /** The mechanical vote, always computed beside the chairman (equal to the decision when it decided). */
  mechanical: Schema.optionalKey(MechanicalVote),
  /** Why the chairman's answer was not used and the mechanical vote decided instead. */
  fallback: Schema.optionalKey(Schema.String)
})
export type CouncilDecision = typeof CouncilDecision.Type

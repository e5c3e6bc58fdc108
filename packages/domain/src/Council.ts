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

export const CouncilDecision = Schema.Struct({
  asOf: TradingDay,
  /** Empty when the council stays flat. */
  trades: Schema.Array(CouncilTrade),
  rationale: Schema.String,
  dissent: Schema.Array(Schema.String),
  votes: Schema.Array(Vote),
  source: Schema.String
})
export type CouncilDecision = typeof CouncilDecision.Type

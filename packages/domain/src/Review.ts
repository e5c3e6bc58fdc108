/**
 * Peer review: each PM ranks the other PMs' pitches, shown under anonymous labels; Borda count aggregates.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { AccountId, TradingDay } from "./Ids.ts"
import { Abstention } from "./Pitch.ts"

/** One label a reviewer saw and whose pitch it stood for (revealed only after the fact, here). */
export const ShownPitch = Schema.Struct({
  label: Schema.String,
  pm: AccountId
})
export type ShownPitch = typeof ShownPitch.Type

export const ReviewBallot = Schema.Struct({
  reviewer: AccountId,
  /** In the order shown to the reviewer. Never contains the reviewer's own pitch. */
  shown: Schema.Array(ShownPitch),
  /** The reviewed PMs, best first. */
  ranking: Schema.Array(AccountId),
  rationale: Schema.String,
  /** Who ranked, e.g. `offline:agreement` or `anthropic:claude-sonnet-4-6`. */
  source: Schema.String
})
export type ReviewBallot = typeof ReviewBallot.Type

/** Borda points: on a ballot of n pitches, the first gets n−1 points, the last 0. */
export const BordaScore = Schema.Struct({
  pm: AccountId,
  points: Schema.Int,
  /** How many ballots ranked this PM's pitch. */
  ballots: Schema.Int
})
export type BordaScore = typeof BordaScore.Type

export const PeerReviewResult = Schema.Struct({
  asOf: TradingDay,
  ballots: Schema.Array(ReviewBallot),
  /** Reviewers that did not rank, with the reason. */
  abstentions: Schema.Array(Abstention),
  /** Best first; ties in PM order. */
  aggregate: Schema.Array(BordaScore)
})
export type PeerReviewResult = typeof PeerReviewResult.Type

/**
 * The risk gate's verdict: approved intents, and every rejection and clamp with its rule and numbers.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { AccountId, TradingDay } from "./Ids.ts"
import { OrderIntent } from "./Order.ts"

/** What a rule measured and the limit it holds it to, in the rule's unit. */
export const RuleNumbers = Schema.Struct({
  value: Schema.Finite,
  limit: Schema.Finite,
  unit: Schema.Literals(["usd", "percent", "shares", "positions"])
})
export type RuleNumbers = typeof RuleNumbers.Type

/** A target the gate does not trade, with the rule and (for a limit) its numbers. */
export const Rejection = Schema.Struct({
  account: AccountId,
  symbol: Schema.String,
  rule: Schema.String,
  detail: Schema.String,
  numbers: Schema.optionalKey(RuleNumbers)
})
export type Rejection = typeof Rejection.Type

/**
 * An order the gate made smaller to keep within a rule: `requested` and `allowed` are shares (in runs before the
 * complete gate, `max-position-pct` clamps gave percentages); `numbers` what the requested size measured against the
 * rule's limit.
 */
export const Clamp = Schema.Struct({
  account: AccountId,
  symbol: Schema.String,
  rule: Schema.String,
  requested: Schema.Finite,
  allowed: Schema.Finite,
  detail: Schema.String,
  numbers: Schema.optionalKey(RuleNumbers)
})
export type Clamp = typeof Clamp.Type

/** An open order the gate cancels before the new orders go out (e.g. an earlier bracket leg on a traded symbol). */
export const CancelIntent = Schema.Struct({
  account: AccountId,
  orderId: Schema.String,
  symbol: Schema.String,
  reason: Schema.String,
  /**
   * The order holding `orderId` when it is a leg of a filled bracket (runs recording `refusedCancels: group`): a
   * refused cancel reads the group back, since the leg alone reads "canceled" both when this run's earlier attempt
   * canceled it and when the group canceled it because the other leg filled.
   */
  group: Schema.optionalKey(Schema.String)
})
export type CancelIntent = typeof CancelIntent.Type

export const RiskVerdict = Schema.Struct({
  asOf: TradingDay,
  cancels: Schema.Array(CancelIntent),
  intents: Schema.Array(OrderIntent),
  rejections: Schema.Array(Rejection),
  clamps: Schema.Array(Clamp)
})
export type RiskVerdict = typeof RiskVerdict.Type

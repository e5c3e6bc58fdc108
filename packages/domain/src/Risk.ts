/**
 * The risk gate's verdict: approved intents, and every rejection and clamp with its rule and numbers.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { AccountId, TradingDay } from "./Ids.ts"
import { OrderIntent } from "./Order.ts"

export const Rejection = Schema.Struct({
  account: AccountId,
  symbol: Schema.String,
  rule: Schema.String,
  detail: Schema.String
})
export type Rejection = typeof Rejection.Type

export const Clamp = Schema.Struct({
  account: AccountId,
  symbol: Schema.String,
  rule: Schema.String,
  requested: Schema.Finite,
  allowed: Schema.Finite,
  detail: Schema.String
})
export type Clamp = typeof Clamp.Type

/** An open order the gate cancels before the new orders go out (e.g. an earlier bracket leg on a traded symbol). */
export const CancelIntent = Schema.Struct({
  account: AccountId,
  orderId: Schema.String,
  symbol: Schema.String,
  reason: Schema.String
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

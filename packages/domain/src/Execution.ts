/**
 * What execution did for each account.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { AccountId, TradingDay } from "./Ids.ts"
import { Order } from "./Order.ts"

export const OrderFailure = Schema.Struct({
  clientOrderId: Schema.String,
  symbol: Schema.String,
  error: Schema.String
})
export type OrderFailure = typeof OrderFailure.Type

export const AccountExecution = Schema.Struct({
  account: AccountId,
  status: Schema.Literals(["succeeded", "failed", "dry-run"]),
  orders: Schema.Array(Order),
  failures: Schema.Array(OrderFailure),
  canceled: Schema.Int,
  equity: Schema.NullOr(Schema.Finite),
  message: Schema.String
})
export type AccountExecution = typeof AccountExecution.Type

export const ExecutionReport = Schema.Struct({
  asOf: TradingDay,
  dryRun: Schema.Boolean,
  accounts: Schema.Array(AccountExecution)
})
export type ExecutionReport = typeof ExecutionReport.Type

/**
 * What execution did for each account.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { AccountId, TradingDay } from "./Ids.ts"
import { Order } from "./Order.ts"

export const OrderFailure = Schema.Struct({
  clientOrderId: Schema.String,
  symbol: Schema.String,
  error: Schema.String,
  /** The broker error's reason (e.g. `SafetyRefused`), when the broker answered. */
  reason: Schema.optionalKey(Schema.String),
  /** The account rule that refused it (a safety broker refusal). */
  rule: Schema.optionalKey(Schema.String)
})
export type OrderFailure = typeof OrderFailure.Type

export const AccountExecution = Schema.Struct({
  account: AccountId,
  /**
   * `failed` when an order failed or was not sent, or the account could not be evaluated or reached; a failed
   * read after the orders went out is `readError`, not a failure of the orders.
   */
  status: Schema.Literals(["succeeded", "failed", "dry-run"]),
  /** Orders this run placed: the broker accepted them now. */
  orders: Schema.Array(Order),
  /** Orders already at the broker under the intents' client order ids (an earlier run placed them). */
  adopted: Schema.Array(Order).pipe(Schema.withDecodingDefaultKey(Effect.succeed([]))),
  /**
   * Exits a failed account's protection placed in an earlier attempt of the day, found working after this one
   * failed (runs recording `failedAccounts: recognized`): a retry of the day cancels them before sending the plan
   * again. Absent when there are none (and in runs recorded before).
   */
  earlierExits: Schema.optionalKey(Schema.Array(Order)),
  failures: Schema.Array(OrderFailure),
  canceled: Schema.Int,
  equity: Schema.NullOr(Schema.Finite),
  /** A read that failed after the orders went out (read-back, equity); the orders above stand. */
  readError: Schema.NullOr(Schema.String).pipe(Schema.withDecodingDefaultKey(Effect.succeed(null))),
  message: Schema.String
})
export type AccountExecution = typeof AccountExecution.Type

/** Whether running the day again should retry this account: it failed, or what it did could not be read back. */
export const needsRetry = (account: AccountExecution): boolean => account.status === "failed" || account.readError !== null

export const ExecutionReport = Schema.Struct({
  asOf: TradingDay,
  dryRun: Schema.Boolean,
  accounts: Schema.Array(AccountExecution)
})
export type ExecutionReport = typeof ExecutionReport.Type

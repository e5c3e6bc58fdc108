/**
 * How the exchange fails: everything inside it may fail with a `BrokerError` (a refused request), a database or
 * ledger-row error, or a market-data error; at its edge all of them become `BrokerError`s for the account.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import { BrokerError, type BrokerErrorReason } from "@council/broker"
import type { MarketDataError } from "@council/market"
import type * as SqlError from "effect/sql/SqlError"
import type { Rejection } from "./OrderRules.ts"

/** What the exchange's internals fail with. */
export type Failure = BrokerError | SqlError.SqlError | Schema.SchemaError | MarketDataError

export const reject = (account: string, reason: BrokerErrorReason, message: string): Effect.Effect<never, BrokerError> =>
  Effect.fail(new BrokerError({ account, reason, message, retryable: false }))

export const refuse = (account: string, rejection: Rejection): Effect.Effect<never, BrokerError> =>
  rejection.shares === undefined
    ? reject(account, rejection.reason, rejection.message)
    : Effect.fail(new BrokerError({ account, reason: rejection.reason, message: rejection.message, retryable: false, shares: rejection.shares }))

/** An `InvalidRequest` whose account `toBrokerError` fills in. */
export const invalid = (message: string) =>
  new BrokerError({ account: "", reason: "InvalidRequest", message, retryable: false })

/** Any failure as a `BrokerError` of `account`. */
export const toBrokerError = (account: string) => (error: Failure): BrokerError => {
  switch (error._tag) {
    case "BrokerError":
      return error.account !== "" ? error : new BrokerError({
        account,
        reason: error.reason,
        message: error.message,
        retryable: error.retryable,
        ...(error.resetAt === undefined ? {} : { resetAt: error.resetAt }),
        ...(error.shares === undefined ? {} : { shares: error.shares })
      })
    case "MarketDataError":
      return new BrokerError({
        account,
        reason: error.reason === "Unavailable" || error.reason === "InvalidData" ? "Unavailable" : "InvalidRequest",
        message: error.message,
        retryable: false
      })
    case "SqlError":
      return new BrokerError({
        account,
        reason: "ServerError",
        message: `local exchange database error: ${error.message}`,
        retryable: false
      })
    case "SchemaError":
      return new BrokerError({
        account,
        reason: "ServerError",
        message: `local exchange ledger holds an invalid row: ${error.message}`,
        retryable: false
      })
  }
}

import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { AccountId, CancelIntent, Clamp, OrderIntent, Rejection, TradingMode, AccountSettings } from "@council/domain"
import { RunContext } from "@council/engine"
import { Lineup } from "@council/llm"
import { BookId, liveBook } from "@council/tracking"

/** An account as a run remembers it: no credentials, so params can be exported and replayed anywhere. */
export const AccountProfile = Schema.Struct({
  id: AccountId,
  mode: TradingMode,
  settings: AccountSettings
})
export type AccountProfile = typeof AccountProfile.Type

/**
 * An account's decisions carried from an earlier run of the same day into a retry: the retry sends the very same
 * orders (same client order ids), so what already reached the broker is adopted, never doubled.
 */
export const CarriedPlan = Schema.Struct({
  account: AccountId,
  /** The run whose risk gate decided this plan. */
  from: Schema.String,
  cancels: Schema.Array(CancelIntent),
  intents: Schema.Array(OrderIntent),
  rejections: Schema.Array(Rejection),
  clamps: Schema.Array(Clamp)
})
export type CarriedPlan = typeof CarriedPlan.Type

/** What a daily run remembers about how it was started (stored in the run record). */
export const DailyParams = Schema.Struct({
  accounts: Schema.Array(AccountProfile),
  broker: Schema.String,
  data: Schema.String,
  /** `offline`, or a summary of the live lineup. */
  pms: Schema.String,
  /** Each role's model (`offline:<style>` for stand-ins); absent in runs from before LLM support. */
  models: Schema.optionalKey(Schema.Array(Lineup.RecordedModel)),
  /** A fork's swapped models. */
  swapped: Schema.optionalKey(Schema.Array(Schema.Struct({ role: Schema.String, from: Schema.String, to: Schema.String }))),
  /** Set on a retry of a day's failed accounts: the day's first run, and the plans carried from it. */
  retryOf: Schema.optionalKey(Schema.String),
  carried: Schema.optionalKey(Schema.Array(CarriedPlan)),
  /** The TradeLedger book reconciliation writes into (default `live`; a backtest names its own). */
  ledgerBook: Schema.optionalKey(Schema.String)
})
export type DailyParams = typeof DailyParams.Type

const runParams = Effect.gen(function*() {
  const { params } = yield* RunContext
  return yield* Schema.decodeUnknownEffect(DailyParams)(params).pipe(Effect.orDie)
})

/** The run's accounts with their settings, as they were when the run started. */
export const runAccounts = Effect.map(runParams, (p) => p.accounts)

/** The ledger book the run reconciles into: `ledgerBook`, or the live book. */
export const runLedgerBook = Effect.flatMap(runParams, (p) =>
  p.ledgerBook === undefined ? Effect.succeed(liveBook) : Schema.decodeUnknownEffect(BookId)(p.ledgerBook).pipe(Effect.orDie))

/** The plans a retry carries from the day's earlier run (none for a first run). */
export const carriedPlans = Effect.map(runParams, (p) => p.carried ?? [])

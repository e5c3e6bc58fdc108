import { Effect, Schema } from "effect"
import { AccountId, AccountSettings, TradingMode } from "@council/domain"
import { RunContext } from "@council/engine"
import { Lineup } from "@council/llm"

/** An account as a run remembers it: no credentials, so params can be exported and replayed anywhere. */
export const AccountProfile = Schema.Struct({
  id: AccountId,
  mode: TradingMode,
  settings: AccountSettings
})
export type AccountProfile = typeof AccountProfile.Type

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
  swapped: Schema.optionalKey(Schema.Array(Schema.Struct({ role: Schema.String, from: Schema.String, to: Schema.String })))
})
export type DailyParams = typeof DailyParams.Type

/** The run's accounts with their settings, as they were when the run started. */
export const runAccounts = Effect.gen(function*() {
  const { params } = yield* RunContext
  const decoded = yield* Schema.decodeUnknownEffect(DailyParams)(params).pipe(Effect.orDie)
  return decoded.accounts
})

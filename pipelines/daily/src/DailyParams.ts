import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { AccountId, AccountSettings, TradingMode } from "@council/domain"
import { RunContext } from "@council/engine"

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
  pms: Schema.String
})
export type DailyParams = typeof DailyParams.Type

/** The run's accounts with their settings, as they were when the run started. */
export const runAccounts = Effect.gen(function*() {
  const { params } = yield* RunContext
  const decoded = yield* Schema.decodeUnknownEffect(DailyParams)(params).pipe(Effect.orDie)
  return decoded.accounts
})

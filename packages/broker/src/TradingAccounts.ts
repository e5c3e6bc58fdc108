/**
 * The configured trading accounts: who trades, in which mode, with which limits.
 *
 * **When to use**: the risk and execution stages and the CLI read the account list and per-account settings here.
 * `AccountsConfig.layer` reads them from the environment; with nothing configured they are `embeddedAccounts()`,
 * the six council accounts on the local exchange.
 *
 * **Gotchas**: an account whose id is a PM's name trades that PM's pitch; every other account (COUNCIL,
 * DEFAULT_PAPER, …) trades the council decision.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { type AccountConfig, AccountId, DEFAULT_ACCOUNTS, defaultAccountSettings } from "@council/domain"
import type { GuardedAccount } from "./LiveGuard.ts"

export class AccountSelectionError extends Schema.TaggedError<AccountSelectionError>()("AccountSelectionError", {
  message: Schema.String
}) {}

export const embeddedAccounts = (): ReadonlyArray<AccountConfig> =>
  DEFAULT_ACCOUNTS.map((id) => ({ id: AccountId.make(id), mode: "PAPER" as const, settings: defaultAccountSettings }))

/** Where the accounts (and their keys) were configured: the first source `AccountsConfig.load` found. */
export type AccountsSource = "TRADING_ACCOUNTS_CONFIG" | "per-account variables" | "PAPER_ALPACA_*" | "embedded default"

/**
 * The configured accounts, every one through the LIVE guard (`LiveGuard.guard`), and where they were configured
 * (`source`; absent when built otherwise than from the environment, as tests do).
 */
export class TradingAccounts extends Context.Service<TradingAccounts, {
  readonly all: ReadonlyArray<GuardedAccount>
  readonly source?: AccountsSource
}>()("@council/broker/TradingAccounts") {
  static readonly layer = (accounts: ReadonlyArray<GuardedAccount>, source?: AccountsSource) =>
    Layer.succeed(TradingAccounts, source === undefined ? { all: accounts } : { all: accounts, source })
}

/**
 * Keeps only the named accounts, in configuration order; fails naming any that is not configured, and when the
 * list names no account at all (an empty selection is a mistake, never "nothing to do").
 */
export const select = <A extends AccountConfig>(
  accounts: ReadonlyArray<A>,
  names: ReadonlyArray<string> | undefined
): Effect.Effect<ReadonlyArray<A>, AccountSelectionError> => {
  if (names === undefined) return Effect.succeed(accounts)
  if (names.length === 0) {
    return Effect.fail(
      new AccountSelectionError({ message: `no account named (configured: ${accounts.map((a) => a.id).join(", ")})` })
    )
  }
  const unknown = names.filter((n) => !accounts.some((a) => a.id === n))
  return unknown.length > 0
    ? Effect.fail(
      new AccountSelectionError({
        message: `unknown account${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (configured: ${
          accounts.map((a) => a.id).join(", ")
        })`
      })
    )
    : Effect.succeed(accounts.filter((a) => names.includes(a.id)))
}

/**
 * Identifiers shared by every package.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/** An account name: UPPERCASE letters and digits, as used in env vars (`ALPACA_{NAME}_KEY_ID`). */
export const AccountId = Schema.String.check(
  Schema.isPattern(/^[A-Z][A-Z0-9_]*$/, {
    message: "account names are UPPERCASE letters, digits and underscores, starting with a letter"
  })
).pipe(Schema.brand("AccountId"))
export type AccountId = typeof AccountId.Type

/** A calendar date `YYYY-MM-DD` naming a trading session. */
export const TradingDay = Schema.String.check(
  Schema.isPattern(/^\d{4}-\d{2}-\d{2}$/, { message: "expected a date as YYYY-MM-DD" })
).pipe(Schema.brand("TradingDay"))
export type TradingDay = typeof TradingDay.Type

/** A ticker symbol such as `SPY`. */
export const Ticker = Schema.String.check(
  Schema.isPattern(/^[A-Z][A-Z0-9.]{0,9}$/, { message: "expected an UPPERCASE ticker" })
).pipe(Schema.brand("Ticker"))
export type Ticker = typeof Ticker.Type

export const RunId = Schema.String.check(Schema.isMinLength(1)).pipe(Schema.brand("RunId"))
export type RunId = typeof RunId.Type

/** The five portfolio managers and the council, in their canonical order. */
export const PM_NAMES = ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK"] as const
export const COUNCIL = "COUNCIL"
export const DEFAULT_ACCOUNTS = [...PM_NAMES, COUNCIL] as const

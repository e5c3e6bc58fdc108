/**
 * Account configuration and broker-side account state.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { AccountId, Ticker } from "./Ids.ts"

export const TradingMode = Schema.Literals(["PAPER", "LIVE"])
export type TradingMode = typeof TradingMode.Type

const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
const Percent = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 100 }))

export const AccountSettings = Schema.Struct({
  /** Largest notional value of one order, in dollars. */
  maxOrderValue: NonNegative,
  /** Largest position in one symbol, as % of account equity. */
  maxPositionPct: Percent,
  allowShorting: Schema.Boolean,
  /** When true, the account is evaluated but nothing is sent to the broker. */
  dryRun: Schema.Boolean
})
export type AccountSettings = typeof AccountSettings.Type

export const defaultAccountSettings: AccountSettings = {
  maxOrderValue: 25_000,
  maxPositionPct: 20,
  allowShorting: true,
  dryRun: false
}

/** Broker credentials. Decoded from plain strings; they stay `Redacted` from then on. */
export const BrokerCredentials = Schema.Struct({
  keyId: Schema.RedactedFromValue(Schema.String.check(Schema.isMinLength(1))),
  secretKey: Schema.RedactedFromValue(Schema.String.check(Schema.isMinLength(1)))
})
export type BrokerCredentials = typeof BrokerCredentials.Type

export const AccountConfig = Schema.Struct({
  id: AccountId,
  mode: TradingMode,
  /** Absent for an account on the embedded local exchange (in-process, no keys). */
  credentials: Schema.optionalKey(BrokerCredentials),
  /** Overrides the Alpaca base URL for the mode (e.g. a local exchange). */
  baseUrl: Schema.optionalKey(Schema.String),
  settings: AccountSettings,
  /** A LIVE account must also say this explicitly. */
  liveConfirmed: Schema.optionalKey(Schema.Boolean),
  /** Requests per minute this account's broker client may send (Alpaca allows 200). */
  rateLimitPerMinute: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)))
})
export type AccountConfig = typeof AccountConfig.Type

export const PositionSide = Schema.Literals(["long", "short"])

export const Position = Schema.Struct({
  symbol: Ticker,
  /** Signed share count: negative for shorts. */
  qty: Schema.Finite,
  side: PositionSide,
  avgEntryPrice: Schema.Finite,
  marketValue: Schema.Finite,
  currentPrice: Schema.Finite,
  unrealizedPl: Schema.Finite
})
export type Position = typeof Position.Type

export const AccountSnapshot = Schema.Struct({
  account: AccountId,
  cash: Schema.Finite,
  equity: Schema.Finite,
  buyingPower: Schema.Finite,
  longMarketValue: Schema.Finite,
  shortMarketValue: Schema.Finite,
  positions: Schema.Array(Position)
})
export type AccountSnapshot = typeof AccountSnapshot.Type

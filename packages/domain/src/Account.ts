/**
 * Account configuration and broker-side account state.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { AccountId, Ticker } from "./Ids.ts"

export const TradingMode = Schema.Literals(["PAPER", "LIVE"])
export type TradingMode = typeof TradingMode.Type

const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))
const Percent = Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 100 }))
/** A distance from the entry price, in % of it: more than 0, less than 100 (a stop at or below zero is no stop). */
const Distance = Schema.Finite.check(Schema.isGreaterThan(0), Schema.isLessThan(100))

/** Take-profit and stop-loss distances of one risk profile, in % of the entry price. */
export const ExitDistance = Schema.Struct({ takeProfitPct: Distance, stopLossPct: Distance })
export type ExitDistance = typeof ExitDistance.Type

/** The exit distances of each risk profile a pitch may name. */
export const ExitDistances = Schema.Struct({ TIGHT: ExitDistance, BASE: ExitDistance, WIDE: ExitDistance })
export type ExitDistances = typeof ExitDistances.Type

export const defaultExitDistances: ExitDistances = {
  TIGHT: { takeProfitPct: 3, stopLossPct: 1.5 },
  BASE: { takeProfitPct: 6, stopLossPct: 3 },
  WIDE: { takeProfitPct: 10, stopLossPct: 5 }
}

/** Gross exposure may exceed 100 % of equity only on margin; this is the most any account may carry. */
export const MAX_GROSS_EXPOSURE_PCT = 400

/**
 * What the risk gate and the safety broker allow an account. Fields added after the first runs decode with their
 * default, so older runs' parameters still read.
 */
export const AccountSettings = Schema.Struct({
  /** Largest value of one order that adds risk, in dollars. */
  maxOrderValue: NonNegative,
  /** Largest position in one symbol, as % of account equity. */
  maxPositionPct: Percent,
  /** Largest sum of all positions' absolute values, as % of equity (above 100 only with `allowMargin`). */
  maxGrossExposurePct: Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: MAX_GROSS_EXPOSURE_PCT })).pipe(
    Schema.withDecodingDefaultKey(Effect.succeed(100))
  ),
  allowShorting: Schema.Boolean,
  /** Whether orders may spend the broker's buying power beyond the cash (margin). */
  allowMargin: Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(false))),
  /** Most symbols held (long or short) at once. */
  maxOpenPositions: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).pipe(Schema.withDecodingDefaultKey(Effect.succeed(10))),
  /** Smallest order worth sending, in dollars (smaller resizes are dust, skipped; closing a position never is). */
  minOrderValue: NonNegative.pipe(Schema.withDecodingDefaultKey(Effect.succeed(100))),
  /** Whether orders may be for fractions of a share. */
  fractional: Schema.Boolean.pipe(Schema.withDecodingDefaultKey(Effect.succeed(false))),
  /** Take-profit and stop-loss distances per risk profile. */
  exits: ExitDistances.pipe(Schema.withDecodingDefaultKey(Effect.succeed(defaultExitDistances))),
  /** When true, the account is evaluated but nothing is sent to the broker (LIVE accounts default to true). */
  dryRun: Schema.Boolean
})
export type AccountSettings = typeof AccountSettings.Type

export const defaultAccountSettings: AccountSettings = {
  maxOrderValue: 25_000,
  maxPositionPct: 20,
  maxGrossExposurePct: 100,
  allowShorting: true,
  allowMargin: false,
  maxOpenPositions: 10,
  minOrderValue: 100,
  fractional: false,
  exits: defaultExitDistances,
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

/**
 * Alpaca's account configurations (`GET`/`PATCH /v2/account/configurations`) of the local exchange's accounts:
 * the fields Alpaca serves since 2026-07-06 (the PDT/DTBP fields `dtbp_check` and `pdt_check` were removed then),
 * stored per account in `exchange_account_configurations` (migration 0049; no row: the defaults).
 *
 * **When to use**: `ExchangeServer` loads every account's configuration once (`make(sql).load`), reads it without an
 * effect on each order (`current`), and writes a `PATCH` through `update`.
 *
 * **What is enforced**: `suspend_trade: true` refuses new orders (403, Alpaca's `new orders are rejected by user
 * request`; the server's order endpoints check it); `no_shorting: true` makes the account not allowed to short
 * (the exchange's `allowShorting`: an order that would open or grow a short is refused, 403). The rest is stored
 * and answered only. `max_margin_multiplier` and `max_options_trading_level` take only what the local exchange
 * trades with (no margin: `1`; no options: `0`), so a stored value never claims leverage the exchange does not give.
 *
 * **Gotchas**
 * - The configurations are kept in memory from `load` on: a second process writing the same database's
 *   configurations is not seen until a restart.
 * - A `PATCH` is all or nothing: an unknown field or a bad value is refused (422 naming it) and nothing is changed.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import type * as SqlClient from "effect/sql/SqlClient"
import type { AccountId } from "@council/domain"

/** One account's configurations, as the wire names them. */
export interface AccountConfiguration {
  readonly trade_confirm_email: "all" | "none"
  readonly suspend_trade: boolean
  readonly no_shorting: boolean
  readonly fractional_trading: boolean
  readonly max_margin_multiplier: string
  readonly max_options_trading_level: number
  readonly ptp_no_exception_entry: boolean
  readonly disable_overnight_trading: boolean
}

/** A paper account's configurations before any `PATCH` (margin and options: what the local exchange trades with). */
export const DEFAULT_CONFIGURATION: AccountConfiguration = {
  trade_confirm_email: "all",
  suspend_trade: false,
  no_shorting: false,
  fractional_trading: true,
  max_margin_multiplier: "1",
  max_options_trading_level: 0,
  ptp_no_exception_entry: false,
  disable_overnight_trading: false
}

/** Alpaca's message for an order placed while `suspend_trade` is on (403, code 40310000). */
export const SUSPENDED_MESSAGE = "new orders are rejected by user request"

const REMOVED = new Set(["dtbp_check", "pdt_check"])

const BOOLEAN_FIELDS = [
  "suspend_trade",
  "no_shorting",
  "fractional_trading",
  "ptp_no_exception_entry",
  "disable_overnight_trading"
] as const

const shown = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}

/** One field of a `PATCH` body applied to `config`, or the line that refuses it. */
const applyField = (config: AccountConfiguration, field: string, value: unknown): Result.Result<AccountConfiguration, string> => {
  if ((BOOLEAN_FIELDS as ReadonlyArray<string>).includes(field)) {
    return typeof value === "boolean"
      ? Result.succeed({ ...config, [field]: value })
      : Result.fail(`invalid ${field} ${shown(value)}: expected true or false`)
  }
  switch (field) {
    case "trade_confirm_email":
      return value === "all" || value === "none"
        ? Result.succeed({ ...config, trade_confirm_email: value })
        : Result.fail(`invalid trade_confirm_email ${shown(value)}: expected all or none`)
    case "max_margin_multiplier":
      return value === "1" || value === 1
        ? Result.succeed(config)
        : Result.fail(`invalid max_margin_multiplier ${shown(value)}: the local exchange trades without margin (1 only)`)
    case "max_options_trading_level":
      return value === 0
        ? Result.succeed(config)
        : Result.fail(`invalid max_options_trading_level ${shown(value)}: the local exchange trades no options (0 only)`)
    default:
      return Result.fail(
        REMOVED.has(field)
          ? `invalid field ${field}: Alpaca removed it from the account configurations on 2026-07-06`
          : `invalid field ${shown(field)}: not an account configuration`
      )
  }
}

/** `config` with a `PATCH` body's fields applied (`null` leaves a field as it is), or the first refusal. */
export const applyPatch = (config: AccountConfiguration, body: Readonly<Record<string, unknown>>): Result.Result<AccountConfiguration, string> => {
  let next = config
  for (const [field, value] of Object.entries(body)) {
    if (value === null && !REMOVED.has(field) && field in DEFAULT_CONFIGURATION) continue
    const applied = applyField(next, field, value)
    if (Result.isFailure(applied)) return applied
    next = applied.success
  }
  return Result.succeed(next)
}

interface ConfigurationRow {
  readonly account: string
  readonly trade_confirm_email: string
  readonly suspend_trade: number
  readonly no_shorting: number
  readonly fractional_trading: number
  readonly max_margin_multiplier: string
  readonly max_options_trading_level: number
  readonly ptp_no_exception_entry: number
  readonly disable_overnight_trading: number
}

const fromRow = (row: ConfigurationRow): AccountConfiguration => ({
  trade_confirm_email: row.trade_confirm_email === "none" ? "none" : "all",
  suspend_trade: Number(row.suspend_trade) === 1,
  no_shorting: Number(row.no_shorting) === 1,
  fractional_trading: Number(row.fractional_trading) === 1,
  max_margin_multiplier: row.max_margin_multiplier,
  max_options_trading_level: Number(row.max_options_trading_level),
  ptp_no_exception_entry: Number(row.ptp_no_exception_entry) === 1,
  disable_overnight_trading: Number(row.disable_overnight_trading) === 1
})

const flag = (value: boolean) => (value ? 1 : 0)

/** The configurations of every account, kept in memory after `load`, written through on `update`. */
export const make = (sql: SqlClient.SqlClient) => {
  const known = new Map<string, AccountConfiguration>()

  /** Reads every stored configuration (call once, before serving). */
  const load = Effect.map(
    sql<ConfigurationRow>`SELECT * FROM exchange_account_configurations`,
    (rows) => {
      for (const row of rows) known.set(row.account, fromRow(row))
    }
  )

  /** The account's configuration now (the defaults when it has none). */
  const current = (account: AccountId): AccountConfiguration => known.get(account) ?? DEFAULT_CONFIGURATION

  /** Stores the account's new configuration (the row, then the copy in memory). */
  const update = (account: AccountId, config: AccountConfiguration) => Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const row = {
      account,
      trade_confirm_email: config.trade_confirm_email,
      suspend_trade: flag(config.suspend_trade),
      no_shorting: flag(config.no_shorting),
      fractional_trading: flag(config.fractional_trading),
      max_margin_multiplier: config.max_margin_multiplier,
      max_options_trading_level: config.max_options_trading_level,
      ptp_no_exception_entry: flag(config.ptp_no_exception_entry),
      disable_overnight_trading: flag(config.disable_overnight_trading),
      updated_at: new Date(now).toISOString()
    }
    return sql`INSERT INTO exchange_account_configurations ${sql.insert(row)}
      ON CONFLICT (account) DO UPDATE SET
        trade_confirm_email = ${row.trade_confirm_email}, suspend_trade = ${row.suspend_trade},
        no_shorting = ${row.no_shorting}, fractional_trading = ${row.fractional_trading},
        max_margin_multiplier = ${row.max_margin_multiplier}, max_options_trading_level = ${row.max_options_trading_level},
        ptp_no_exception_entry = ${row.ptp_no_exception_entry}, disable_overnight_trading = ${row.disable_overnight_trading},
        updated_at = ${row.updated_at}`.pipe(Effect.andThen(Effect.sync(() => known.set(account, config))))
  })

  return { load, current, update }
}

export type AccountConfigurations = ReturnType<typeof make>

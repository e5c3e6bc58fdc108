import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { formatMoment, secondsOf, TradingDay } from "@council/domain"
import { SESSION_HEADER, TradingAccounts } from "@council/broker"
import { LocalExchange } from "@council/exchange"
import { ExchangeFaults, ExchangeServer, SESSION_PATH } from "@council/exchange/server"
import { MarketData } from "@council/market"
import { AppSettings } from "../AppConfig.ts"
import * as AppLayer from "../AppLayer.ts"
import { CliFailure } from "../CliFailure.ts"
import * as Launcher from "../Launcher.ts"
import { checkListen, waitForSignal } from "../Listening.ts"
import { table } from "../Table.ts"

export interface ServeOptions {
  readonly port: number
  readonly host: string
  readonly date: Option.Option<string>
  readonly at: Option.Option<string>
  readonly latencyMs: number
  readonly faultRate: number
  readonly faultKinds: Option.Option<string>
  readonly rateLimit: number
  readonly rateWindow: number
  readonly seed: Option.Option<number>
}

/** Checks every flag (`--date` against the market data's sessions, `--host`/`--port` by binding) before anything is opened. */
const validate = (options: ServeOptions) =>
  Effect.gen(function*() {
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
      return yield* CliFailure.usage("--port must be 0–65535")
    }
    if (options.host.trim() === "") return yield* CliFailure.usage("--host must name an interface, e.g. 127.0.0.1")
    if (!Number.isInteger(options.latencyMs) || options.latencyMs < 0) return yield* CliFailure.usage("--latency-ms must be a whole number ≥ 0")
    if (!(options.faultRate >= 0 && options.faultRate <= 1)) return yield* CliFailure.usage("--fault-rate must be in [0, 1]")
    if (!Number.isInteger(options.rateLimit) || options.rateLimit < 1) {
      return yield* CliFailure.usage("--rate-limit must be a positive integer (requests per window per API key)")
    }
    if (!Number.isInteger(options.rateWindow) || options.rateWindow < 1) {
      return yield* CliFailure.usage("--rate-window must be a positive integer (seconds)")
    }
    if (Option.isSome(options.at) && secondsOf(options.at.value.trim()) === undefined) {
      return yield* CliFailure.usage(`--at ${options.at.value.slice(0, 20)}: expected HH:MM, New York time (e.g. 15:45)`)
    }
    if (Option.isSome(options.date)) {
      const date = options.date.value
      if (!Schema.is(TradingDay)(date)) return yield* CliFailure.usage(`--date: expected YYYY-MM-DD, got "${date.slice(0, 40)}"`)
      yield* MarketData.use((m) => m.ensureTradingDay(TradingDay.make(date))).pipe(
        Effect.mapError((error) => CliFailure.usage(`--date ${date}: ${error.message}`))
      )
    }
    const kinds = Option.isNone(options.faultKinds) ? undefined : ExchangeFaults.parseFaultKinds(options.faultKinds.value)
    if (kinds !== undefined && "error" in kinds) return yield* CliFailure.usage(`--fault-kinds: ${kinds.error}`)
    yield* checkListen(options.host, options.port)
    return kinds
  })

/** `exchange serve`: the local exchange over HTTP until SIGINT/SIGTERM. */
export const serve = (options: ServeOptions) =>
  Effect.gen(function*() {
    const launcherExited = yield* Launcher.watch
    const faultKinds = yield* validate(options)
    const { all } = yield* TradingAccounts
    const { fillModel } = yield* AppSettings
    const layer = ExchangeServer.layer({
      exchange: { ...fillModel, allowShorting: (id) => all.find((a) => a.id === id)?.settings.allowShorting ?? true },
      port: options.port,
      host: options.host,
      latencyMs: options.latencyMs,
      faultRate: options.faultRate,
      rateLimit: options.rateLimit,
      rateLimitWindowSeconds: options.rateWindow,
      accounts: all.map((a) => a.id),
      ...(faultKinds === undefined ? {} : { faultKinds }),
      ...(Option.isSome(options.seed) ? { seed: options.seed.value } : {}),
      ...(Option.isSome(options.date) ? { date: TradingDay.make(options.date.value) } : {}),
      ...(Option.isSome(options.at) ? { at: options.at.value.trim() } : {})
    })
    yield* Effect.gen(function*() {
      const server = yield* ExchangeServer
      const session = yield* server.session
      const faults = options.faultRate > 0
        ? `fault rate ${options.faultRate} (${(faultKinds ?? ExchangeFaults.FAULT_KINDS).join(", ")}), seed ${server.seed}`
        : "no faults"
      yield* Console.log([
        `local exchange listening on ${server.url}`,
        `  base URL (trading and market data): ${server.url}`,
        `  trade updates (Alpaca's websocket stream): ${server.url.replace(/^http/, "ws")}/stream`,
        `  API keys: pnpm pipeline exchange keys [--json]`,
        `  at ${formatMoment(session)}${server.resumed ? " (where the ledger's accounts are; --date/--at to start elsewhere)" : ""}; per request: header "${SESSION_HEADER}: <RFC 3339 timestamp or YYYY-MM-DD>"; advance: POST ${SESSION_PATH} {"at":"<timestamp>"} or {"date":"YYYY-MM-DD"}`,
        `  rate limit ${options.rateLimit} per ${options.rateWindow === 60 ? "minute" : `${options.rateWindow} s`} per key, latency ${options.latencyMs} ms, ${faults}`,
        `  stop with Ctrl-C`
      ].join("\n"))
      const reason = yield* Effect.raceFirst(waitForSignal, Effect.as(launcherExited, "the launching pnpm exited"))
      yield* Console.log(`${reason}: stopping`)
    }).pipe(
      Effect.provide(layer),
      Effect.catchTag("ExchangeServerError", (e) => Effect.fail(CliFailure.usage(`--host/--port: ${e.message}`))),
      Effect.provide(AppLayer.storage("create"))
    )
    yield* Console.log("stopped")
  })

/** `exchange keys`: the key pairs of the configured accounts (created when missing). */
export const keys = (json: boolean) =>
  Effect.gen(function*() {
    const { all } = yield* TradingAccounts
    const exchange = yield* LocalExchange
    const existing = new Set((yield* exchange.keys).map((k) => k.account))
    for (const { id } of all) {
      if (!existing.has(id)) yield* exchange.account(id)
    }
    const byAccount = new Map((yield* exchange.keys).map((k) => [k.account, k]))
    const rows = all.flatMap(({ id }) => {
      const k = byAccount.get(id)
      return k === undefined ? [] : [{ account: id, keyId: k.keyId, secretKey: Redacted.value(k.secretKey) }]
    })
    yield* Console.log(
      json
        ? JSON.stringify(rows, null, 2)
        : table(["ACCOUNT", "KEY ID", "SECRET KEY"], rows.map((r) => [r.account, r.keyId, r.secretKey]))
    )
  })

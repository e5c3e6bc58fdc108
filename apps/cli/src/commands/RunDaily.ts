import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { ExecutionReport, TradingDay } from "@council/domain"
import { canonicalJson, type RunRecord, RunStore, Runner } from "@council/engine"
import { AlpacaBroker, select, TradingAccounts } from "@council/broker"
import { LocalExchange } from "@council/exchange"
import { type AccountProfile, DailyParams, DailyPipeline } from "@council/daily"
import { MarketData } from "@council/market"
import { codeVersion } from "../AppConfig.ts"
import { CliFailure } from "../CliFailure.ts"
import { printer } from "../Progress.ts"
import { money, table } from "../Table.ts"

export interface RunDailyOptions {
  readonly date: Option.Option<string>
  readonly dryRun: boolean
  readonly accounts: Option.Option<string>
  readonly json: boolean
}

/** Validates `--date` and returns the trading day (default: the latest session in the data). */
export const resolveTradingDay = (date: Option.Option<string>) =>
  Effect.gen(function*() {
    const market = yield* MarketData
    if (Option.isNone(date)) return yield* market.latestTradingDay
    const day = yield* Schema.decodeUnknownEffect(TradingDay)(date.value).pipe(
      Effect.mapError(() => CliFailure.usage(`--date ${date.value}: expected a date as YYYY-MM-DD`))
    )
    return yield* market.ensureTradingDay(day).pipe(
      Effect.mapError((error) => CliFailure.usage(`--date ${date.value}: ${error.message}`))
    )
  })

export const parseAccountList = (accounts: Option.Option<string>) =>
  Option.map(accounts, (list) => list.split(",").map((s) => s.trim().toUpperCase()).filter((s) => s !== ""))

/** The accounts a run trades: all configured, or those named with `--accounts`. */
export const selectedProfiles = (accounts: Option.Option<string>) =>
  Effect.gen(function*() {
    const configured = yield* TradingAccounts
    const selected = yield* select(configured.all, Option.getOrUndefined(parseAccountList(accounts))).pipe(
      Effect.mapError((e) => CliFailure.usage(`--accounts: ${e.message}`))
    )
    return selected.map((a): AccountProfile => ({ id: a.id, mode: a.mode, settings: a.settings }))
  })

const sameAccounts = (run: RunRecord, accounts: ReadonlyArray<AccountProfile>) =>
  Schema.decodeUnknownOption(DailyParams)(run.params).pipe(
    Option.exists((p) => canonicalJson(p.accounts.map((a) => a.id).sort()) === canonicalJson(accounts.map((a) => a.id).sort()))
  )

export const executionTable = (report: ExecutionReport) =>
  table(
    ["ACCOUNT", "STATUS", "PLACED", "FAILED", "EQUITY", "NOTE"],
    report.accounts.map((a) => [
      a.account,
      a.status,
      String(a.orders.length),
      String(a.failures.length),
      money(a.equity),
      a.message
    ])
  )

/** Exit 0 only when every account succeeded (or was a dry run). */
export const reportOutcome = (run: RunRecord, report: ExecutionReport, json: boolean) =>
  Effect.gen(function*() {
    if (json) {
      yield* Console.log(JSON.stringify({ run, execution: Schema.encodeSync(ExecutionReport)(report) }, null, 2))
    } else {
      yield* Console.log(executionTable(report))
      yield* Console.log(`\nrun ${run.id} · ${run.status} · replay with: pnpm pipeline replay ${run.id}`)
    }
    const failed = report.accounts.filter((a) => a.status === "failed")
    if (failed.length > 0) {
      return yield* CliFailure.failed(`${failed.length} of ${report.accounts.length} accounts failed: ${failed.map((a) => a.account).join(", ")}`)
    }
  })

/**
 * A broker can only trade its present. Orders sent to Alpaca fill at its current prices, so a run trades only the
 * broker's current session (as its clock tells; a local exchange server's clock follows the run's session
 * header). The in-process exchange carries positions across days, so it cannot trade a day before one it has
 * reached. Anything else is refused up front — a past day is for `replay`, or `--dry-run`.
 */
const ensureTradableDay = (day: TradingDay, accounts: ReadonlyArray<AccountProfile>) =>
  Effect.gen(function*() {
    const { all } = yield* TradingAccounts
    const configs = all.filter((a) => accounts.some((p) => p.id === a.id))
    const local = configs.filter((a) => a.credentials === undefined).map((a) => a.id)
    if (local.length > 0) {
      const keys = yield* LocalExchange.use((exchange) => exchange.keys).pipe(Effect.orElseSucceed(() => []))
      const ahead = keys.filter((k) => local.includes(k.account) && k.lastSession !== null && k.lastSession > day)
      if (ahead.length > 0) {
        return yield* CliFailure.usage(
          `the local exchange has traded ${ahead[0]!.account} up to ${ahead[0]!.lastSession}; positions carry across days, so it cannot trade ${day} (replay that day's run, or use a fresh COUNCIL_HOME)`
        )
      }
    }
    const onAlpaca = configs.find((a) => a.credentials !== undefined)
    if (onAlpaca === undefined) return
    const broker = yield* AlpacaBroker.use((alpaca) => alpaca.get(onAlpaca.id))
    const clock = yield* broker.getClock.pipe(
      Effect.mapError((e) => CliFailure.failed(`cannot read Alpaca's clock for ${onAlpaca.id}: ${e.message}`))
    )
    const session = clock.timestamp.slice(0, 10)
    if (session !== day) {
      return yield* CliFailure.usage(
        `refusing to send orders for ${day} to Alpaca: its current session is ${session} (use --dry-run, or replay a past day)`
      )
    }
  })

export const runDaily = (options: RunDailyOptions, day: TradingDay, params: DailyParams) =>
  Effect.gen(function*() {
    const store = yield* RunStore
    const previous = options.dryRun
      ? undefined
      : (yield* store.listRuns({ pipeline: DailyPipeline.name, tradingDay: day, limit: 200 })).find((r) =>
        !r.dryRun && r.parentRunId === null && sameAccounts(r, params.accounts)
      )
    if (!options.dryRun && previous?.status !== "completed") yield* ensureTradableDay(day, params.accounts)
    const observed = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provideService(effect, Runner.RunObserver, printer)
    if (previous?.status === "completed") {
      yield* Console.error(`Trading day ${day} already ran as ${previous.id}; nothing is placed again.`)
      const checkpoints = yield* store.getCheckpoints(previous.id)
      const execution = checkpoints.find((c) => c.stage === "Execution")
      const report = yield* Schema.decodeUnknownEffect(ExecutionReport)(execution?.output).pipe(
        Effect.mapError(() => CliFailure.failed(`run ${previous.id} has no readable execution checkpoint`))
      )
      return yield* reportOutcome(previous, report, options.json)
    }
    const result = yield* observed(
      previous
        ? Runner.resume(DailyPipeline, previous.id)
        : Runner.start(DailyPipeline, {
          tradingDay: day,
          asOf: day,
          mode: "record",
          dryRun: options.dryRun,
          codeVersion,
          params
        })
    ).pipe(
      Effect.catchTag("RunFailed", (e) => Effect.fail(CliFailure.failed(`run ${e.runId} failed in ${e.stage}: ${e.message} (resume with: pnpm pipeline run daily --date ${day})`)))
    )
    const report = yield* Schema.decodeUnknownEffect(ExecutionReport)(result.outputs["Execution"]).pipe(Effect.orDie)
    return yield* reportOutcome(result.run, report, options.json)
  })

import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import {
  type AccountExecution,
  type AccountId,
  ExecutionReport,
  needsRetry,
  RiskVerdict,
  TradingDay
} from "@council/domain"
import { canonicalJson, type RunRecord, RunStore, Runner } from "@council/engine"
import { select, TradingAccounts } from "@council/broker"
import { type AccountProfile, type CarriedPlan, DailyParams, DailyPipeline, unevaluated } from "@council/daily"
import { MarketData } from "@council/market"
import { Notifier } from "@council/notify/Notifier"
import { codeVersion } from "../AppConfig.ts"
import * as AppLayer from "../AppLayer.ts"
import { CliFailure } from "../CliFailure.ts"
import * as RunNotices from "../RunNotices.ts"
import { money, table } from "../Table.ts"
import type { Council } from "./Llm.ts"
import { ensureTradableDay } from "./Session.ts"

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

/** `--accounts a, B` → `["A", "B"]`; a list that names no account (`''`, `,,,`) stays empty and is refused. */
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

const paramsOf = (run: RunRecord) => Schema.decodeUnknownOption(DailyParams)(run.params)

const idsOf = (accounts: ReadonlyArray<{ readonly id: AccountId }>) => canonicalJson(accounts.map((a) => a.id).sort())

const outputOf = <S extends Schema.Top & { readonly DecodingServices: never }>(run: RunRecord, stage: string, schema: S) =>
  Effect.gen(function*() {
    const checkpoint = (yield* RunStore.use((s) => s.getCheckpoints(run.id))).find((c) => c.stage === stage)
    return yield* Schema.decodeUnknownEffect(Schema.toCodecJson(schema))(checkpoint?.output).pipe(
      Effect.mapError(() => CliFailure.failed(`run ${run.id} has no readable ${stage} checkpoint`))
    )
  })

/**
 * The day's local runs that count for `accounts`: the first non-dry run with these accounts and the retries of
 * its failed accounts, oldest first. Imported runs and forks never count.
 */
const dayChain = (day: TradingDay, accounts: ReadonlyArray<AccountProfile>) =>
  Effect.gen(function*() {
    const runs = yield* RunStore.use((s) => s.listRuns({ pipeline: DailyPipeline.name, tradingDay: day, origin: "local", limit: 500 }))
    const root = runs.find((r) =>
      !r.dryRun && r.parentRunId === null && Option.exists(paramsOf(r), (p) => idsOf(p.accounts) === idsOf(accounts))
    )
    if (root === undefined) return []
    const retries = runs.filter((r) => r.parentRunId === root.id && Option.exists(paramsOf(r), (p) => p.retryOf === root.id))
    return [root, ...retries.reverse()]
  })

/** What the day did per account: each account's latest outcome across the chain's completed runs. */
const dayReport = (chain: ReadonlyArray<RunRecord>) =>
  Effect.gen(function*() {
    const byAccount = new Map<AccountId, AccountExecution>()
    let asOf = chain[0]!.tradingDay
    for (const run of chain.filter((r) => r.status === "completed")) {
      const report = yield* outputOf(run, "Execution", ExecutionReport)
      asOf = report.asOf
      for (const account of report.accounts) byAccount.set(account.account, account)
    }
    return { asOf, dryRun: false, accounts: [...byAccount.values()] } satisfies ExecutionReport
  })

/** The gate's decisions for `accounts` from the latest run that evaluated them, to send the same orders again. */
const carriedPlans = (chain: ReadonlyArray<RunRecord>, accounts: ReadonlyArray<AccountId>) =>
  Effect.gen(function*() {
    const plans = new Map<AccountId, CarriedPlan>()
    for (const run of chain.filter((r) => r.status === "completed")) {
      const verdict = yield* outputOf(run, "RiskApproval", RiskVerdict)
      const covered = Option.match(paramsOf(run), { onNone: (): ReadonlyArray<AccountId> => [], onSome: (p) => p.accounts.map((a) => a.id) })
      const unreadable = new Set(unevaluated(verdict).map((r) => r.account))
      for (const account of accounts.filter((a) => covered.includes(a))) {
        if (unreadable.has(account)) {
          plans.delete(account)
          continue
        }
        const mine = <A extends { readonly account: string }>(all: ReadonlyArray<A>) => all.filter((x) => x.account === account)
        plans.set(account, {
          account,
          from: run.id,
          cancels: mine(verdict.cancels),
          intents: mine(verdict.intents),
          rejections: mine(verdict.rejections),
          clamps: mine(verdict.clamps)
        })
      }
    }
    return [...plans.values()]
  })

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

/**
 * Prints the report (a table, or only JSON on stdout with `--json`). Exit 0 only when every account succeeded
 * (or was a dry run) and everything it did was read back; 1 otherwise.
 */
export const reportOutcome = (run: RunRecord, report: ExecutionReport, json: boolean) =>
  Effect.gen(function*() {
    if (json) {
      yield* Console.log(JSON.stringify({ run, execution: Schema.encodeSync(ExecutionReport)(report) }, null, 2))
    } else {
      yield* Console.log(executionTable(report))
      yield* Console.log(`\nrun ${run.id} · ${run.status} · replay with: pnpm pipeline replay ${run.id}`)
    }
    const incomplete = report.accounts.filter(needsRetry)
    if (incomplete.length > 0) {
      return yield* CliFailure.failed(
        `${incomplete.length} of ${report.accounts.length} accounts failed: ${incomplete.map((a) => a.account).join(", ")}` +
          (report.dryRun ? "" : ` (run the day again to retry ${incomplete.length === 1 ? "it" : "them"}: nothing is placed twice)`)
      )
    }
  })

/** What `run daily` will do, decided before anything is written. */
type DayPlan =
  | { readonly _tag: "Start" }
  | { readonly _tag: "Resume"; readonly run: RunRecord }
  | { readonly _tag: "Retry"; readonly root: RunRecord; readonly params: DailyParams }
  | { readonly _tag: "Done"; readonly run: RunRecord; readonly report: ExecutionReport }

const planDay = (options: RunDailyOptions, day: TradingDay, params: DailyParams) =>
  Effect.gen(function*() {
    if (options.dryRun) {
      yield* ensureTradableDay(day, params.accounts, false)
      return { _tag: "Start" } satisfies DayPlan
    }
    const chain = yield* dayChain(day, params.accounts)
    const last = chain.at(-1)
    if (last === undefined) {
      yield* ensureTradableDay(day, params.accounts, true)
      return { _tag: "Start" } satisfies DayPlan
    }
    if (last.status !== "completed") {
      yield* ensureTradableDay(day, Option.match(paramsOf(last), { onNone: () => params.accounts, onSome: (p) => p.accounts }), true)
      return { _tag: "Resume", run: last } satisfies DayPlan
    }
    const report = yield* dayReport(chain)
    const failed = report.accounts.filter(needsRetry).map((a) => a.account)
    const ran = `Trading day ${day} already ran as ${chain[0]!.id}${chain.length > 1 ? ` (retried as ${chain.slice(1).map((r) => r.id).join(", ")})` : ""}`
    if (failed.length === 0) {
      yield* Console.error(`${ran}; nothing is placed again.`)
      return { _tag: "Done", run: last, report } satisfies DayPlan
    }
    const root = chain[0]!
    const rootParams = Option.getOrElse(paramsOf(root), () => params)
    const accounts = rootParams.accounts.filter((a) => failed.includes(a.id))
    yield* ensureTradableDay(day, accounts, true)
    yield* Console.error(
      `${ran}; retrying ${failed.join(", ")} with the same orders (same client order ids: what reached the broker is not placed again).`
    )
    const retry: DailyParams = { ...rootParams, accounts, retryOf: root.id, carried: yield* carriedPlans(chain, failed) }
    return { _tag: "Retry", root, params: retry } satisfies DayPlan
  })

const executeDay = (plan: Exclude<DayPlan, { readonly _tag: "Done" }>, options: RunDailyOptions, day: TradingDay, params: DailyParams) =>
  Effect.gen(function*() {
    const started = plan._tag === "Start"
      ? Runner.start(DailyPipeline, { tradingDay: day, asOf: day, mode: "record", dryRun: options.dryRun, codeVersion, params })
      : plan._tag === "Resume"
      ? Runner.resume(DailyPipeline, plan.run.id)
      : Runner.fork(DailyPipeline, plan.root.id, "RiskApproval", { dryRun: false, codeVersion, mode: "record", params: plan.params })
    const notifier = yield* Notifier
    const observer = (event: Runner.RunEvent) => RunNotices.observer(event).pipe(Effect.provideService(Notifier, notifier))
    const result = yield* started.pipe(
      Effect.provideService(Runner.RunObserver, observer),
      Effect.catchTags({
        RunFailed: (e) =>
          Effect.andThen(
            RunNotices.runFailed(`run ${e.runId} in ${e.stage}`, e.message),
            Effect.fail(CliFailure.failed(`run ${e.runId} failed in ${e.stage}: ${e.message} (resume with: pnpm pipeline run daily --date ${day})`))
          ),
        InvalidRunRequest: (e) => Effect.fail(CliFailure.failed(e.message)),
        RunNotFound: (e) => Effect.fail(CliFailure.failed(e.message))
      })
    )
    const report = options.dryRun
      ? yield* Schema.decodeUnknownEffect(ExecutionReport)(result.outputs["Execution"]).pipe(Effect.orDie)
      : yield* dayReport(yield* dayChain(day, params.accounts))
    yield* RunNotices.summary(result.run, report)
    return { run: result.run, report }
  })

/**
 * Runs the trading day: checks first on a store opened read-only (a fresh home stays untouched by a refusal),
 * then starts, resumes or retries the day's run on the real store with `council` seated.
 */
export const runDaily = (options: RunDailyOptions, day: TradingDay, params: DailyParams, council: Council) =>
  Effect.gen(function*() {
    const plan = yield* planDay(options, day, params).pipe(Effect.provide(AppLayer.tradingWith(day, "empty")))
    if (plan._tag === "Done") return yield* reportOutcome(plan.run, plan.report, options.json)
    if (plan._tag !== "Retry") yield* council.announce // a retry re-sends carried plans: it asks no model
    const { report, run } = yield* executeDay(plan, options, day, params).pipe(
      Effect.provide(AppLayer.tradingWith(day, "create", council.layer))
    )
    return yield* reportOutcome(run, report, options.json)
  })

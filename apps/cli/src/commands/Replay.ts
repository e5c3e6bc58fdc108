import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import { ExecutionReport, LEGACY_SCHEDULE, type RunId } from "@council/domain"
import { bundleOrigins, reusedRuns, type RunBundle, RunStore, Runner } from "@council/engine"
import { DailyParams, DailyPipeline } from "@council/daily"
import { codeVersion } from "../AppConfig.ts"
import * as AppLayer from "../AppLayer.ts"
import { CliFailure } from "../CliFailure.ts"
import * as RunNotices from "../RunNotices.ts"
import * as Llm from "./Llm.ts"
import { holdDayLock, holdRun, reportOutcome, whileHeld } from "./RunDaily.ts"
import * as RunSource from "../RunSource.ts"
import { checkImport, LATEST, loadBundle, noSuchRun, readBundle, runIdOf, wasImported, writeImport } from "./Runs.ts"
import { ensureConfigured, ensureTradableDay } from "./Session.ts"
import { momentOfRun, scheduledMoment } from "./Timing.ts"

/** The moment a bundle's run was at (its recorded as-of moment; the schedule's for older runs). */
export const momentOfBundle = (bundle: RunBundle) =>
  Option.match(Schema.decodeUnknownOption(DailyParams)(bundle.run.params), {
    onNone: () => scheduledMoment(LEGACY_SCHEDULE, bundle.run.tradingDay),
    onSome: (params) => momentOfRun(params, bundle.run.tradingDay, undefined)
  })

/** Whether `path` names a file (a symlink to one included); `false` for a directory, nothing, or what cannot be read. */
const isFile = (path: string): boolean => {
  try {
    return fs.statSync(path).isFile()
  } catch {
    return false
  }
}

/** The run `source` names (an id, or `latest`) in the backtest `backtest` names, and that backtest's id. */
const inBacktest = (source: string, backtest: Option.Option<string>) =>
  Effect.gen(function*() {
    const { backtest: of } = yield* RunSource.RunSource
    return { bundle: yield* loadBundle(source), backtest: of?.id }
  }).pipe(Effect.provide(RunSource.layer(backtest)))

/**
 * What a plain `replay` replays: with `--backtest`, the run of that id (or `latest`) in that backtest's database,
 * and the backtest's id; else `resolveSource`'s.
 */
export const replaySource = (source: string, backtest: Option.Option<string>) =>
  RunSource.namesBacktest(backtest)
    ? inBacktest(source, backtest)
    : Effect.map(resolveSource(source), (bundle) => ({ bundle, backtest: undefined }))

/**
 * `replay`'s argument without `--backtest`: an exported bundle (verified) when a file of that name exists, else the
 * run of that id (or `latest`) in this store (any id, one holding a `/` or ending in `.json` included), read without
 * creating the store. Neither: a name that looks like a path (a `/`, a `.json` ending) is named as the file that
 * could not be read, so a mistyped path says so; anything else as the run not found. `latest` is the word wherever
 * the command runs: a file of that name is read as `./latest`.
 */
export const resolveSource = (source: string) =>
  source !== LATEST && isFile(source)
    ? readBundle(source)
    : Effect.flatMap(runIdOf(source), Runner.bundleOf).pipe(
      Effect.provide(RunSource.layer(Option.none())),
      Effect.catchTag("RunNotFound", (notFound) => /[\\/]|\.json$/i.test(source) ? readBundle(source) : Effect.fail(noSuchRun(notFound)))
    )

/**
 * The parameters of the runs whose stages `bundle`'s run reused (a fork's parent, a retry's root): a reused stage
 * replays as the run that made it. Those the bundle carries (`RunBundle.origins`: what `Runner.bundleOf` read from
 * the store, or a `/4` bundle file) first; any other is read from the store the bundle was read from (`backtest`'s,
 * when given) — what a `/2` or `/3` bundle file gets, as before. A run held in neither is left out.
 */
export const originsOf = (bundle: RunBundle, backtest: string | undefined) =>
  Effect.gen(function*() {
    const carried = bundleOrigins(bundle)
    const ids = reusedRuns(bundle.checkpoints).filter((id) => !carried.has(id))
    const runs = yield* Effect.forEach(ids, (id) => RunStore.use((s) => s.getRun(id)))
    return new Map([...carried, ...runs.flatMap((run) => Option.isSome(run) ? [[run.value.id, run.value.params] as const] : [])])
  }).pipe(Effect.provide(RunSource.layer(Option.fromUndefinedOr(backtest))))

/** `replay <run>` of `bundle` (a session of `backtest`, when given): every stage compared; exit 1 on a divergence. */
export const replayRun = (
  bundle: RunBundle,
  backtest: string | undefined = undefined,
  origins: ReadonlyMap<RunId, RunBundle["run"]["params"]> = new Map()
) =>
  Effect.gen(function*() {
    const of = backtest === undefined ? "" : ` of backtest ${backtest}`
    yield* Console.error(`Replaying run ${bundle.run.id}${of} · trading day ${bundle.run.tradingDay} · from ${bundle.recordings.length} recorded calls`)
    const report = yield* Runner.replay(DailyPipeline, bundle, origins)
    for (const stage of report.stages) {
      switch (stage.status) {
        case "identical":
          yield* Console.log(`  ${stage.stage.padEnd(17)} identical`)
          break
        case "diverged":
          yield* Console.log(`  ${stage.stage.padEnd(17)} DIVERGED`)
          for (const line of stage.differences) yield* Console.log(`      ${line}`)
          break
        case "failed":
          yield* Console.log(`  ${stage.stage.padEnd(17)} FAILED: ${stage.message}`)
          break
        case "not-run":
        case "stopped":
          yield* Console.log(`  ${stage.stage.padEnd(17)} not replayed: ${stage.message}`)
          break
        case "missing":
          yield* Console.log(`  ${stage.stage.padEnd(17)} MISSING: ${stage.message}`)
      }
    }
    const missing = report.stages.filter((s) => s.status === "missing").map((s) => s.stage)
    const diverged = report.stages.some((s) => s.status === "diverged" || s.status === "failed")
    if (missing.length > 0 && !diverged) {
      return yield* CliFailure.failed(`run ${bundle.run.id} is damaged: it has no checkpoint of ${missing.join(", ")}, so it cannot be replayed in full`)
    }
    if (!report.identical) return yield* CliFailure.failed(`replay of ${bundle.run.id} diverged from the recorded run`)
    const stopped = report.stages.find((s) => s.status === "stopped")
    yield* Console.log(
      stopped === undefined
        ? `replay of ${bundle.run.id}: every stage identical`
        : `replay of ${bundle.run.id}: every stage it ran identical (it is ${bundle.run.status}: it stopped before ${stopped.stage})`
    )
  })

export interface ForkOptions {
  readonly from: string
  readonly dryRun: boolean
  readonly send: boolean
  /** `--model ROLE=provider:model-id` swaps. */
  readonly models: ReadonlyArray<string>
}

/**
 * Whether `bundle`'s run came from another home: a bundle file whose run this store does not hold, or a run
 * imported here. Its decisions were made on that home's accounts and data, so a fork of it sends nothing unless told.
 */
export const isForeign = (bundle: RunBundle) =>
  Effect.gen(function*() {
    if (Option.isNone(yield* RunStore.use((s) => s.getRun(bundle.run.id)))) return true
    return yield* wasImported(bundle.run)
  }).pipe(Effect.provide(AppLayer.storage("empty")))

/**
 * Whether a fork sends orders: never with `--dry-run`; with `--send` always; otherwise only when its parent sent
 * orders here and no model is swapped (a fork of a dry run, of another home's run, and a what-if with another
 * model are dry runs).
 */
const forkSends = (parent: RunBundle, options: ForkOptions, swapsModels: boolean, foreign: boolean) =>
  options.dryRun && options.send
    ? Effect.fail(CliFailure.usage("--dry-run and --send contradict each other"))
    : Effect.succeed(!options.dryRun && (options.send || (!parent.run.dryRun && !swapsModels && !foreign)))

/** Why a fork that was not told `--dry-run` is one anyway, if it is. */
const dryBecause = (parent: RunBundle, swapsModels: boolean) =>
  swapsModels
    ? "a fork that swaps a model is a what-if, so it is a dry run (add --send to send its orders)"
    : parent.run.dryRun
    ? `run ${parent.run.id} was a dry run, so this fork is one too (add --send to send its orders)`
    : `run ${parent.run.id} comes from another home (imported or a bundle file): its decisions were made on that home's accounts, so this fork is a dry run (add --send to send its orders)`

/** Refuses a fork the runner would refuse, before anything is written. */
const checkFork = (bundle: RunBundle, from: string) => {
  const index = DailyPipeline.stageNames.indexOf(from)
  if (index < 0) return Effect.fail(CliFailure.usage(`unknown stage "${from}"; stages are ${DailyPipeline.stageNames.join(", ")}`))
  const missing = DailyPipeline.stageNames.slice(0, index).filter((s) => !bundle.checkpoints.some((c) => c.stage === s))
  return missing.length > 0
    ? Effect.fail(CliFailure.usage(`run ${bundle.run.id} has no checkpoint for ${missing.join(", ")}; cannot fork from ${from}`))
    : Effect.void
}

/** What each stage of the daily pipeline reads from outside the run (the README's stage table). */
const readsOf: Readonly<Record<string, string>> = {
  Reconcile: "reads the brokers' orders, fills and accounts",
  FetchData: "reads the market data up to the day again (a bar corrected or added since is read as it is now)",
  PmPitches: "asks the PMs and reads their accounts",
  PeerReview: "asks the PMs",
  CouncilSynthesis: "asks the chairman",
  RiskApproval: "reads the accounts and their open orders",
  Execution: "reads the broker's clock and calendar"
}

/** The line that says what a fork from `from` reads anew rather than answering from its parent's recordings. */
const forkRereads = (parent: string, from: string): string =>
  `fork of ${parent} from ${from}: ${
    DailyPipeline.stageNames.slice(DailyPipeline.stageNames.indexOf(from)).map((stage) => `${stage} ${readsOf[stage] ?? "runs again"}`).join("; ")
  } — now, not from ${parent}'s recordings`

/**
 * Why `replay --from` refuses a backtest's session: its stages read and traded the backtest's own local exchange at
 * that session, which no fork can reach; a fork runs on this home's accounts, now — a what-if of other accounts.
 */
const backtestFork = (source: string, backtest: string) =>
  `--from: a backtest's session cannot be forked: its accounts were the backtest's own local exchange at that session, and a fork would read and trade this home's accounts now (replay it without --from, or see it with: pnpm pipeline show ${source} --backtest ${backtest})`

/**
 * `replay <run> --from <stage>`: a new run reusing the parent's checkpoints before `stage`. It obeys every rule
 * `run daily` obeys: the session rule when it sends (or reads accounts), exit codes by account outcome. With
 * `--model` swaps it asks only what changed (see `Llm.forFork`).
 */
export const forkRun = (source: string, options: ForkOptions, backtest: Option.Option<string> = Option.none()) =>
  Effect.gen(function*() {
    if (RunSource.namesBacktest(backtest)) return yield* CliFailure.usage(backtestFork(source, backtest.value))
    const bundle = yield* resolveSource(source)
    yield* checkFork(bundle, options.from)
    const fork = yield* Llm.forFork(bundle, options.models, options.from, DailyPipeline.stageNames)
    const swapsModels = fork.swapped.length > 0
    const sends = yield* forkSends(bundle, options, swapsModels, yield* isForeign(bundle))
    const params = yield* Schema.decodeUnknownEffect(DailyParams)(bundle.run.params).pipe(
      Effect.mapError(() => CliFailure.usage(`run ${bundle.run.id} is not a daily run this version can fork`))
    )
    yield* ensureConfigured(params.accounts, `run ${bundle.run.id}`)
    const day = bundle.run.tradingDay
    const moment = momentOfBundle(bundle)
    const readsAccounts = DailyPipeline.stageNames.indexOf(options.from) <= DailyPipeline.stageNames.indexOf("RiskApproval")
    yield* Effect.gen(function*() {
      if (sends || readsAccounts) yield* ensureTradableDay(day, params.accounts, sends)
      if (Option.isNone(yield* RunStore.use((s) => s.getRun(bundle.run.id)))) yield* checkImport(bundle, source)
    }).pipe(Effect.provide(AppLayer.tradingWith(moment, "empty")))
    if (!sends && !options.dryRun) yield* Console.error(dryBecause(bundle, swapsModels))
    yield* Console.error(forkRereads(bundle.run.id, options.from))
    yield* fork.council.announce
    const result = yield* Effect.scoped(Effect.gen(function*() {
      const command = `replay ${bundle.run.id} --from ${options.from}`
      const lease = sends ? yield* holdDayLock(day, command) : undefined
      if (Option.isNone(yield* RunStore.use((s) => s.getRun(bundle.run.id)))) yield* writeImport(bundle, source)
      const runId = Runner.newRunId(day)
      yield* holdRun(lease, runId, command)
      const forked = RunNotices.observed(
        Runner.fork(DailyPipeline, bundle.run.id, options.from, { ...fork.options, dryRun: !sends, codeVersion, mode: "record", runId })
      ).pipe(
        Effect.catchTags({
          InvalidRunRequest: (e) => Effect.fail(CliFailure.usage(e.message)),
          RunNotFound: (e) => Effect.fail(CliFailure.usage(e.message)),
          RunFailed: (e) =>
            Effect.andThen(
              RunNotices.runFailed(`fork ${e.runId} in ${e.stage}`, e.message, RunNotices.liveOf(params.accounts)),
              Effect.fail(CliFailure.failed(`fork ${e.runId} failed in ${e.stage}: ${e.message}`))
            )
        })
      )
      const result = yield* (lease === undefined ? forked : whileHeld(lease, forked))
      const executed = yield* Schema.decodeUnknownEffect(ExecutionReport)(result.outputs["Execution"]).pipe(Effect.orDie)
      const report = yield* RunNotices.withEquityOf(result.run.id, executed)
      yield* RunNotices.summary(result.run, report)
      return { run: result.run, report }
    })).pipe(Effect.provide(AppLayer.tradingWith(moment, "create", fork.council.layer)))
    yield* Console.log(`forked run ${result.run.id} from ${bundle.run.id} at ${options.from}${sends ? "" : " (dry run)"}\n`)
    yield* reportOutcome(result.run, result.report, false)
  })

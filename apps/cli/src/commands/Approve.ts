import { hostname, userInfo } from "node:os"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { formatMoment, isBefore, type NewYorkMoment, RunId } from "@council/domain"
import { type RunRecord, RunStore, Runner } from "@council/engine"
import { Approval, DailyParams, DailyPipeline, timingOf } from "@council/daily"
import type * as AppLayerModule from "../AppLayer.ts"
import { CliFailure } from "../CliFailure.ts"
import { continuation, dayCommand } from "@council/daily/RunActivity"
import { liveOf } from "../RunNotices.ts"
import { executeRun, holdDayLock, reportOutcome, untilSignal, whileHeld } from "./RunDaily.ts"
import { wasImported } from "./Runs.ts"
import { ensureLocalTradableDay, ensureSameModes } from "./Session.ts"
import { checkAt, checkStillInTime, clockAccountAmong, clockOf, momentOfRun, realClockAccounts } from "./Timing.ts"

export interface DecideOptions {
  readonly runId: string
  readonly reject: boolean
  readonly at: Option.Option<string>
  readonly json: boolean
}

type AppLayers = typeof AppLayerModule

const paramsOf = (run: RunRecord) =>
  Schema.decodeUnknownEffect(DailyParams)(run.params).pipe(
    Effect.mapError(() => CliFailure.usage(`run ${run.id} is not a daily run this version can continue`))
  )

/** The accounts of the day's run a run of `params` belongs to: its own, or those of the run it retries. */
const dayAccounts = (params: DailyParams) =>
  Effect.gen(function*() {
    if (params.retryOf === undefined) return params.accounts
    const root = yield* RunStore.use((s) => s.getRun(RunId.make(params.retryOf!)))
    return Option.isNone(root) ? params.accounts : (yield* paramsOf(root.value)).accounts
  })

/**
 * The run awaiting a decision, its parameters and the command that continues its day; anything else is a usage
 * error (exit 2) — a run approved and stopped part-way names that command.
 */
const awaitingRun = (id: string) =>
  Effect.gen(function*() {
    const found = yield* RunStore.use((s) => s.getRun(RunId.make(id)))
    if (Option.isNone(found)) return yield* CliFailure.usage(`no run with id ${id.slice(0, 64)} (list runs with: pnpm pipeline runs)`)
    const run = found.value
    if (run.pipeline !== DailyPipeline.name) return yield* CliFailure.usage(`run ${id} is not a daily run`)
    if (yield* wasImported(run)) {
      return yield* CliFailure.usage(
        `run ${id} was imported from another home, where its orders were decided on that home's accounts: it cannot be approved or rejected here (to decide them on this home's accounts: pnpm pipeline replay ${id} --from RiskApproval)`
      )
    }
    const params = yield* paramsOf(run)
    const again = yield* dayCommand(run.tradingDay, yield* dayAccounts(params))
    if (run.status === "running") {
      const approved = Approval.decisionOf(yield* RunStore.use((s) => s.getCheckpoints(run.id))) !== undefined
      return yield* CliFailure.usage(
        approved
          ? `run ${id} was approved and stopped part-way (its process ended or is still sending); ${continuation(again, run.dryRun, "continue it")}`
          : `run ${id} has not reached its approval gate (its process ended or is still running); ${continuation(again, run.dryRun, "continue it")}`
      )
    }
    if (run.status !== "awaiting-approval") return yield* CliFailure.usage(`run ${id} is not awaiting approval (it is ${run.status})`)
    return { run, params, again }
  })

/**
 * The LIVE accounts of the run `id` (`RunDaily.LiveAccounts`): what its approval's failure names. Fails when the
 * run does not read back (the failure then names every configured LIVE account).
 */
export const liveOfRun = (id: string, AppLayer: AppLayers) =>
  Effect.map(awaitingRunParams(id), (params) => liveOf(params.accounts)).pipe(Effect.provide(AppLayer.storage("empty")))

/** The parameters of the run `id`, whatever its status (a failed approval may have left it running). */
const awaitingRunParams = (id: string) =>
  Effect.gen(function*() {
    const found = yield* RunStore.use((s) => s.getRun(RunId.make(id)))
    if (Option.isNone(found)) return yield* CliFailure.usage(`no run with id ${id.slice(0, 64)}`)
    return yield* paramsOf(found.value)
  })

const decider = () => {
  const user = (() => {
    try {
      return userInfo().username
    } catch {
      return "unknown"
    }
  })()
  return `${user}@${hostname()}`
}

/** Keeps the decision with the run (the `Approval` checkpoint). */
const record = (run: RunRecord, decision: Approval.ApprovalDecision["decision"], moment: NewYorkMoment) =>
  Effect.gen(function*() {
    const at = new Date(yield* Clock.currentTimeMillis).toISOString()
    const output = Schema.encodeSync(Approval.ApprovalDecision)({ decision, by: decider(), at, moment: formatMoment(moment) })
    yield* RunStore.use((s) =>
      s.putCheckpoint({
        runId: run.id,
        stage: Approval.APPROVAL_CHECKPOINT,
        output,
        inputHash: "",
        attempt: 1,
        startedAt: at,
        finishedAt: at,
        durationMs: 0,
        reusedFrom: null
      })
    )
    return at
  })

/**
 * `approve <run-id> [--reject] [--at HH:MM]`: a run stopped by `--require-approval` sends its orders (refused once
 * the schedule's cutoff passed: the run keeps waiting), or is rejected (nothing sent, the day ends). The decision
 * is kept with the run. Approving takes the day's lock like a run, and stops at Ctrl-C (or SIGTERM) like one:
 * the lock let go, the command that continues the run named (exit 130).
 */
export const decide = (options: DecideOptions, AppLayer: AppLayers) =>
  Effect.gen(function*() {
    const { again, params, run } = yield* awaitingRun(options.runId).pipe(Effect.provide(AppLayer.storage("empty")))
    if (!options.reject) yield* ensureSameModes(params.accounts)
    const ids = params.accounts.map((a) => a.id)
    const at = yield* checkAt(options.at, ids)
    const real = yield* realClockAccounts(ids)
    const clock = real.length === 0 ? undefined : yield* Effect.provide(clockOf(real), AppLayer.probing)
    const realClock = clock?.account
    const moment = clock === undefined ? momentOfRun(params, run.tradingDay, at) : clock.now
    const day = run.tradingDay
    // a decision comes after what it decides on: not before the moment the run decided at
    const decided = momentOfRun(params, day, undefined)
    if (at !== undefined && isBefore(moment, decided)) {
      return yield* CliFailure.usage(`--at ${at}: before the run's own moment (${formatMoment(decided)}, when it decided): approve or reject it at ${formatMoment(decided).slice(11, 16)} or later`)
    }
    if (options.reject) {
      const rejected = yield* Effect.gen(function*() {
        yield* record(run, "rejected", moment)
        const change = { status: "rejected", finishedAt: new Date(yield* Clock.currentTimeMillis).toISOString(), error: "rejected at the approval gate" } as const
        yield* RunStore.use((s) => s.updateRun(run.id, change))
        return { ...run, ...change } satisfies RunRecord
      }).pipe(Effect.provide(AppLayer.storage("create")))
      const message = `run ${run.id} rejected: nothing sent; the day ${day} is done`
      return yield* Console.log(options.json ? JSON.stringify({ run: rejected, decision: "rejected", message }, null, 2) : message)
    }
    const { schedule } = timingOf(params)
    yield* Effect.gen(function*() {
      yield* checkStillInTime(realClock ?? (yield* clockAccountAmong(ids, AppLayer.tradingWith(moment, "empty"))), schedule, day).pipe(
        Effect.mapError((e) =>
          CliFailure.failed(`approval of ${run.id} refused: ${e.message}; it still awaits a decision (pnpm pipeline approve ${run.id} --reject)`)
        )
      )
      // the local exchange's session rule: a later day may have traded (or decided on) these accounts since
      yield* ensureLocalTradableDay(day, params.accounts)
    }).pipe(Effect.provide(AppLayer.tradingWith(moment, "empty")))
    const outcome = yield* Effect.scoped(Effect.gen(function*() {
      const lease = yield* holdDayLock(day, `approve ${run.id}`)
      yield* lease.setRunId(run.id).pipe(Effect.ignore)
      yield* awaitingRun(options.runId)
      yield* record(run, "approved", moment)
      yield* Console.error(`run ${run.id} approved; sending its orders`)
      return yield* untilSignal(
        whileHeld(lease, executeRun(Runner.resume(DailyPipeline, run.id), day, run.dryRun, params.accounts, again)),
        `interrupted: run ${run.id} stopped part-way; ${continuation(again, run.dryRun, "continue it")}`
      )
    })).pipe(Effect.provide(AppLayer.tradingWith(moment, "create")))
    if (outcome._tag === "Awaiting") return yield* CliFailure.failed(`run ${run.id} stopped at its gate again`)
    return yield* reportOutcome(outcome.run, outcome.report, options.json, again)
  })

/**
 * `backtest --pms replay`: the LLM answers recorded by earlier runs of the same sessions — the main store's and
 * every other backtest's — answer the backtest's questions again. A question nobody recorded (same role, model and
 * input) is not asked: the seats ask no model, so that PM abstains for the day.
 *
 * The council seats each role with the model the latest recorded run that asked that role used (a run of PM accounts
 * alone asks only those PMs: the others' models come from earlier runs), so the questions carry the same models; it
 * asks the peer review when the backtest's own accounts trade the council's decision. The command says which sessions have no recorded answers at all (there the whole council abstains), and how many
 * questions of each role found no recorded answer (`missed`: the recorded runs asked other questions — another
 * `--accounts`, lineup or code version — so that PM abstained, or the chairman fell back to the mechanical vote),
 * and which sessions were recorded before the review changed (`reviewChanged`): there the reviews and the
 * chairman's question are asked otherwise now, so the mechanical vote decides.
 */
import { readdirSync } from "node:fs"
import { join } from "node:path"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { TradingDay } from "@council/domain"
import { type Recording, type RunRecord, RunStore } from "@council/engine"
import { DailyParams, DailyPipeline } from "@council/daily"
import { AuditTrail, Lineup } from "@council/llm"
import { Database, SqlRunStore } from "@council/store"
import { CliFailure } from "../CliFailure.ts"
import { fromRecordings } from "./Llm.ts"

/** A recorded LLM answer to reuse: not a failure, and not an earlier replay's miss (no model answered it). */
const isLlmCall = (r: Recording) =>
  AuditTrail.LLM_CALLS.some((prefix) => r.key.startsWith(prefix)) &&
  typeof r.value === "object" && r.value !== null && "_tag" in r.value && r.value._tag === "Success" &&
  !AuditTrail.isReplayMiss(r)

const paramsOf = Schema.decodeUnknownOption(DailyParams)

const modelsOf = (run: RunRecord) => Option.flatMap(paramsOf(run.params), (p) => Option.fromNullishOr(p.models))

/**
 * Whether a run asked the review as new runs do: ballots shuffled by the trading day and only the PMs that pitched
 * asked (`reviewOrder: day`, `reviewers: pitched`). Runs recorded before shuffled by their run id and asked every
 * PM, and told the chairman less of who did not review: a backtest asks those questions otherwise, so their
 * reviews (once the pitches differ) and the chairman's question find no recorded answer.
 */
const reviewsAsNow = (run: RunRecord) =>
  Option.match(paramsOf(run.params), { onNone: () => false, onSome: (p) => p.reviewOrder === "day" && p.reviewers === "pitched" })

/**
 * The stores to read (the main one, given as `main`, and each `*.db` of `dir` but `self`), their runs in
 * `[from, to]`, the council to seat for a backtest trading `accounts` and the recorded answers of a day. Scoped:
 * the backtest databases stay open.
 */
export const recordedCalls = (options: {
  readonly main: RunStore["Service"]
  readonly dir: string
  readonly self: string
  readonly from: TradingDay
  readonly to: TradingDay
  readonly accounts: ReadonlyArray<string>
}) =>
  Effect.gen(function*() {
    const others = (() => {
      try {
        return readdirSync(options.dir).filter((f) => f.endsWith(".db") && join(options.dir, f) !== options.self)
      } catch {
        return []
      }
    })()
    const stores: Array<RunStore["Service"]> = [options.main]
    for (const file of others) {
      const context = yield* Layer.build(SqlRunStore.layer.pipe(Layer.provide(Database.layerSqlite(join(options.dir, file)))))
      stores.push(Context.get(context, RunStore))
    }
    const byDay = new Map<string, Array<{ readonly store: RunStore["Service"]; readonly run: RunRecord }>>()
    /** Per role, the model of the latest run that asked that role (not its offline stand-in). */
    const latest = new Map<string, { readonly model: string; readonly startedAt: string }>()
    for (const store of stores) {
      // the range's runs alone, chosen by the store (not every run of the home, read to be dropped here)
      const days = { from: options.from, to: options.to }
      for (const run of yield* store.listRuns({ pipeline: DailyPipeline.name, days, limit: Number.MAX_SAFE_INTEGER })) {
        const models = modelsOf(run)
        if (Option.isNone(models) || models.value.every((m) => m.model.startsWith("offline"))) continue
        byDay.set(run.tradingDay, [...(byDay.get(run.tradingDay) ?? []), { store, run }])
        for (const { role, model } of models.value) {
          const seen = latest.get(role)
          if (!model.startsWith("offline") && (seen === undefined || run.startedAt > seen.startedAt)) latest.set(role, { model, startedAt: run.startedAt })
        }
      }
    }
    if (latest.size === 0) {
      return yield* CliFailure.usage(`--pms replay: no run with LLM answers recorded between ${options.from} and ${options.to} (use --pms live or offline)`)
    }
    const missed = new Map<string, number>()
    const lineup = Lineup.forAccounts(Lineup.fromRecord([...latest].map(([role, { model }]) => ({ role, model }))), options.accounts)
    const council = fromRecordings(lineup, (role) => void missed.set(role, (missed.get(role) ?? 0) + 1))
    /** Sessions run so far that found no recorded answer at all. */
    const emptyDays = new Set<TradingDay>()
    /** Sessions run so far whose recorded chairman answers all come from runs that asked the review as before. */
    const olderReviewDays = new Set<TradingDay>()
    const reuse = (day: TradingDay) =>
      Effect.map(
        Effect.forEach(byDay.get(day) ?? [], ({ run, store }) =>
          Effect.map(Effect.orDie(store.getRecordings(run.id)), (recordings) => ({ run, calls: recordings.filter(isLlmCall) }))),
        (all) => {
          const calls = all.flatMap((r) => r.calls)
          if (!calls.some(AuditTrail.askedAModel)) emptyDays.add(day)
          const chaired = all.filter((r) => r.calls.some((c) => c.key.startsWith("chairman.synthesize(")))
          if (chaired.length > 0 && !chaired.some(({ run }) => reviewsAsNow(run))) olderReviewDays.add(day)
          return calls
        }
      )
    /**
     * The sessions of `sessions` no run recorded LLM answers for (there every PM abstains): before the backtest,
     * those no run of the range made; after it, also those whose runs hold only earlier replays' misses.
     */
    const unrecorded = (sessions: ReadonlyArray<TradingDay>) => sessions.filter((day) => !byDay.has(day) || emptyDays.has(day))
    /**
     * The sessions of `sessions` run so far whose recorded chairman answers all come from runs that asked the review
     * as runs did before it changed (`reviewsAsNow`): there the chairman's question finds no recorded answer.
     */
    const reviewChanged = (sessions: ReadonlyArray<TradingDay>) => sessions.filter((day) => olderReviewDays.has(day))
    return { council, reuse, unrecorded, reviewChanged, missed: missed as ReadonlyMap<string, number> }
  })

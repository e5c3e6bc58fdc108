import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import { ExecutionReport, RunId } from "@council/domain"
import * as FileProblem from "@council/io/FileProblem"
import { BundleFile, bundleOrigins, type DamagedRun, hashOf, isDamagedRun, type RunBundle, RunRecord, RunStore, Runner } from "@council/engine"
import type { RunCharge } from "@council/llm/RunCharges"
import type { DailyPipeline } from "@council/daily"
import { activities, type RunActivity } from "@council/daily/RunActivity"
import {
  type FailedAccounts,
  failedAndRetriedOf,
  failedSummaries,
  type FailedSummary,
  keysFromOf,
  type RetriedAccounts,
  retriesOf,
  retryAdvice,
  type UnreadAccount,
  unreadAccountsOf,
  unreadSummaries
} from "@council/daily/RunFailures"
import * as BundleLimits from "../BundleLimits.ts"
import { CliFailure } from "../CliFailure.ts"
import { flagOf, listCommand, RunSource } from "../RunSource.ts"
import { summarize } from "../Progress.ts"
import { chargedFor, costSummary, costTable, runCosts } from "./LlmRecord.ts"
import { riskRows, riskTables } from "./RiskTable.ts"
import { table } from "../Table.ts"

/** Reads and verifies a bundle file; a missing, malformed or tampered file is a usage error naming it. */
export const readBundle = (file: string) =>
  Effect.gen(function*() {
    const text = yield* Effect.try({
      try: () => {
        const tooLarge = BundleLimits.sizeProblem(fs.statSync(file).size)
        return tooLarge === undefined ? fs.readFileSync(file, "utf8") : { tooLarge }
      },
      catch: (e) => CliFailure.usage(`cannot read ${file}: ${FileProblem.why(e, "file")}`)
    })
    const refuse = (why: string) => CliFailure.usage(`${file} ${why}; refusing it`)
    if (typeof text !== "string") return yield* refuse(text.tooLarge)
    const deep = BundleLimits.textProblem(text)
    if (deep !== undefined) return yield* refuse(deep)
    const bundle = yield* BundleFile.open(file, text)
    const ids = BundleLimits.idProblem(bundle)
    return ids === undefined ? bundle : yield* CliFailure.usage(`${file} ${ids}`)
  })

/** A run id not in `source`'s store: a usage error, saying where the ids are listed. */
export const noSuchRun = (e: Runner.RunNotFound, source: RunSource["Service"] = { backtest: undefined }) =>
  CliFailure.usage(`${e.message}${source.backtest === undefined ? "" : ` in backtest ${source.backtest.id}`} (list runs with: ${listCommand(source)}${
    // a backtest names its sessions' runs `<day>-bt`
    source.backtest === undefined && e.runId.endsWith("-bt") ? `; a backtest's sessions with: ${listCommand(source)} --backtest <id>|latest` : ""})`)

/**
 * What a run id argument may be besides an id: the newest run of the store, the first `runs` lists. No run is named
 * `latest`: `run daily` and forks name theirs `<day>-<hex>`, a backtest `<day>-bt`, and `import` refuses the name.
 */
export const LATEST = "latest"

/** The run `raw` names in the `RunSource`: `latest` (the newest, as `runs` lists it first), else that id. */
export const runIdOf = (raw: string) =>
  raw !== LATEST ? Effect.succeed(raw as RunId) : Effect.gen(function*() {
    const source = yield* RunSource
    const [newest] = yield* RunStore.use((s) => s.surveyRuns({ limit: 1 }))
    if (newest === undefined) {
      return yield* CliFailure.usage(`latest: ${source.backtest === undefined ? "there are no runs yet" : `backtest ${source.backtest.id} has no runs yet`}`)
    }
    return RunId.make(newest.id)
  })

/** The bundle of the run `runId` names (`runIdOf`) in the `RunSource`; one it does not hold is a usage error. */
export const loadBundle = (runId: string) =>
  Effect.flatMap(RunSource, (source) =>
    Effect.flatMap(runIdOf(runId), Runner.bundleOf).pipe(Effect.catchTag("RunNotFound", (e) => Effect.fail(noSuchRun(e, source)))))

const scheduleLine = (timing: { readonly schedule: string; readonly at: string | undefined }) =>
  `schedule  ${timing.schedule}${timing.at === undefined ? " (recorded before schedules)" : ` · decided at ${timing.at}`}`

const runRow = (imported: ReadonlySet<string>, activity: ReadonlyMap<string, RunActivity>, failed: ReadonlyMap<string, FailedAccounts>) => (r: RunRecord, llmCost: string) => [
  r.id,
  r.tradingDay,
  (activity.get(r.id)?.state.replace("in-progress", "running") ?? r.status) + (failed.has(r.id) ? ` · ${failed.get(r.id)!.accounts.length} failed` : ""),
  r.dryRun ? "dry-run" : r.mode,
  [r.parentRunId ? `${r.parentRunId} @${r.forkFrom}` : "", imported.has(r.id) ? "imported" : ""].filter((s) => s !== "").join(" · "),
  r.startedAt.replace("T", " ").slice(0, 19),
  llmCost
]


/** Whether `run` was imported here from another home (`import`): its decisions were made on that home's accounts. */
export const wasImported = (run: Pick<RunRecord, "id" | "tradingDay">) =>
  RunStore.use((s) => s.listRuns({ limit: 1000, origin: "imported", tradingDay: run.tradingDay })).pipe(
    Effect.map((runs) => runs.some((r) => r.id === run.id))
  )

/**
 * Whether `runs` (those `running`) are being run, read from the store's leases; `imported` runs are none. A
 * backtest's session is run by its backtest: in progress while a live process runs that, else continued by resuming it.
 */
const activityOf = (runs: ReadonlyArray<RunRecord>, imported: ReadonlySet<string>) =>
  Effect.flatMap(RunSource, ({ backtest }) =>
    backtest === undefined
      ? activities(runs, imported).pipe(Effect.mapError((e) => CliFailure.failed(`cannot read which runs are being run: ${e.message}`)))
      : Effect.succeed(
        new Map(runs.filter((r) => r.status === "running").map((r): [string, RunActivity] => [
          r.id,
          backtest.activity?.state === "in-progress"
            ? { state: "in-progress", next: null }
            : { state: "stopped", next: `continue its backtest with: ${backtest.resume}` }
        ]))
      ))

/** What a run nobody runs is, and what to do about it. */
const goneLine = (activity: RunActivity) =>
  `${activity.state} (its process is gone)${activity.next === null ? "" : `: ${activity.next}`}`

/** A damaged run's row: what of it reads. */
const damagedRow = (r: DamagedRun) => [r.id, r.tradingDay ?? "?", "damaged", "", "", r.startedAt?.replace("T", " ").slice(0, 19) ?? "?", ""]

/** The most runs `runs --limit` lists, as `/api/runs?limit=` takes. */
const MAX_LISTED = 1000

/** A run as `/api/runs` lists it (`RunSummary` of `@council/api`): its record, and what `runs` shows beside it. */
const runJson = (
  r: RunRecord,
  imported: boolean,
  activity: RunActivity | undefined,
  charge: RunCharge | undefined,
  failed: FailedSummary | undefined,
  unread: ReadonlyArray<UnreadAccount> | undefined
) => ({
  ...Schema.encodeSync(RunRecord)(r),
  durationMs: r.finishedAt === null ? null : Date.parse(r.finishedAt) - Date.parse(r.startedAt),
  imported,
  llmCost: charge ?? null,
  activity: activity ?? null,
  failedAccounts: failed ?? null,
  unread: unread === undefined ? null : unreadSummaries(unread)
})

/**
 * What a failed run's accounts need: none once a later run of the day traded them all (`retried`: it names that run),
 * else how to retry those still failed (a refused key named first: running the day again alone fails it the same
 * way); a backtest's session is not run again.
 */
const failedNote = (r: RunRecord, f: FailedAccounts, retried: ReadonlyMap<string, string> | undefined, source: RunSource["Service"]) => {
  const head = `run ${r.id}: ${f.accounts.length} of ${f.of} ${f.of === 1 ? "account" : "accounts"} failed (${f.accounts.join(", ")}); `
  if (source.backtest !== undefined) return `${head}a backtest does not run a session again`
  const done = retriesOf(f, retried).map(({ accounts, run }) => `run again as ${run}, which traded ${accounts.join(", ")}`)
  const left = f.accounts.filter((a) => retried?.has(a) !== true)
  const command = `pnpm pipeline run daily --date ${r.tradingDay}`
  const advice = left.length === 0 ? [] : f.keyRefused.some((a) => left.includes(a))
    ? [retryAdvice(left, f.keyRefused.filter((a) => left.includes(a)), command, keysFromOf(r.params))]
    : [`run the day again to retry ${left.length === 1 ? "it" : "them"}: ${command}`]
  return `${head}${[...done, ...advice].join("; ")}`
}

/**
 * What a run's unread accounts (`UnreadAccount`) mean for its day: none once a later run of the day read them; else
 * the day has no snapshot of them — filled by running the day again (it reads them alone, sending nothing), unless a
 * later session's run has read them since (the ledger moved past the day: the gap stays, said so).
 */
const unreadNote = (r: RunRecord, unread: ReadonlyArray<UnreadAccount>) => {
  const named = (list: ReadonlyArray<UnreadAccount>) => list.map((u) => `${u.account} (${u.message})`).join(", ")
  const read = unread.filter((u) => u.readBy !== undefined).map((u) => `its reconciliation could not read ${u.account}; read again as ${u.readBy}`)
  const open = unread.filter((u) => u.readBy === undefined && u.laterBy === undefined)
  const gone = unread.filter((u) => u.readBy === undefined && u.laterBy !== undefined)
  const gap = (list: ReadonlyArray<UnreadAccount>) =>
    `the day has no snapshot of ${named(list)}: \`equity\` has no point of ${list.length === 1 ? "it" : "them"} on ${r.tradingDay} and the leaderboard leaves the day out`
  return [
    ...read,
    ...(open.length === 0 ? [] : [`${gap(open)}; run the day again to read ${open.length === 1 ? "it" : "them"} alone (nothing is placed again): pnpm pipeline run daily --date ${r.tradingDay}`]),
    ...(gone.length === 0 ? [] : [`${gap(gone)}; it can no longer be taken: ${[...new Set(gone.map((u) => u.laterBy))].join(", ")} read ${gone.map((u) => u.account).join(", ")} at a later session`])
  ].map((line) => `run ${r.id}: ${line}`)
}

/**
 * What a damaged run leaves below the table: its damage, a run nobody runs, failed accounts (`failedNote`), accounts
 * its reconciliation could not read (`unreadNote`), an unreadable cost.
 */
const noteLines = (
  entries: ReadonlyArray<RunRecord | DamagedRun>,
  activity: ReadonlyMap<string, RunActivity>,
  { failed, retried }: { readonly failed: ReadonlyMap<string, FailedAccounts>; readonly retried: RetriedAccounts },
  unreadable: ReadonlyMap<string, string>,
  source: RunSource["Service"],
  unread: ReadonlyMap<string, ReadonlyArray<UnreadAccount>>
) =>
  entries.flatMap((r) => {
    if (isDamagedRun(r)) return [`run ${r.id} is damaged: ${r.damage}`]
    const a = activity.get(r.id)
    const cost = unreadable.get(r.id)
    const f = failed.get(r.id)
    const u = unread.get(r.id)
    return [
      ...(a === undefined || a.state === "in-progress" ? [] : [`run ${r.id} ${goneLine(a)}`]),
      ...(f === undefined ? [] : [failedNote(r, f, retried.get(r.id), source)]),
      ...(u === undefined ? [] : unreadNote(r, u)),
      ...(cost === undefined ? [] : [`run ${r.id}'s LLM cost cannot be read: ${cost}`])
    ]
  })

/**
 * `runs`: every run that reads back, and a damaged one in its place (status `damaged`, what is wrong below the
 * table); it exits 0 all the same: what needs a damaged run (`show`, `replay`, `export`) fails naming it. With
 * `json`, the page as `/api/runs` answers it (a damaged run as `{ id, tradingDay, startedAt, damage }`), the "more"
 * hint on stderr.
 */
export const listRuns = (limit: number, before: Option.Option<string> = Option.none(), json = false) =>
  Effect.gen(function*() {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LISTED) {
      return yield* CliFailure.usage(`--limit ${limit}: expected a whole number from 1 to ${MAX_LISTED}`)
    }
    const store = yield* RunStore
    const source = yield* RunSource
    const cursor = Option.isNone(before) ? {} : { before: yield* cursorRun(before.value) }
    const entries = yield* store.surveyRuns({ limit, ...cursor })
    if (entries.length === 0 && !json) {
      return yield* Console.log(
        Option.isSome(before) ? `no runs after ${before.value}`
        : source.backtest === undefined ? "no runs yet — start one with: pnpm pipeline run daily"
        : `backtest ${source.backtest.id} has no runs yet`
      )
    }
    const runs = entries.filter((r): r is RunRecord => !isDamagedRun(r))
    const imported = new Set((yield* store.surveyRuns({ limit, origin: "imported", ...cursor })).map((r) => r.id))
    const { charges, costs, unreadable } = yield* runCosts(runs.map((r) => ({ id: r.id, imported: imported.has(r.id) })))
    const activity = yield* activityOf(runs, imported)
    const outcomes = yield* failedAndRetriedOf(runs)
    const failed = outcomes.failed
    // a backtest's sessions are not run again: what its reconciliations could not read is in its own report
    const unread = source.backtest === undefined ? yield* unreadAccountsOf(runs) : new Map<string, ReadonlyArray<UnreadAccount>>()
    const more = entries.length === limit ? `more: ${listCommand(source)} --before ${entries.at(-1)!.id}${limit === 20 ? "" : ` --limit ${limit}`}` : undefined
    if (json) {
      // a backtest's session names its backtest, as `show --json` and `/api/runs?backtest=` do
      const session = source.backtest === undefined ? {} : { backtest: { id: source.backtest.id } }
      const summaries = failedSummaries(outcomes)
      const items = entries.map((r) =>
        isDamagedRun(r) ? { id: r.id, tradingDay: r.tradingDay, startedAt: r.startedAt, damage: r.damage, ...session }
        : { ...runJson(r, imported.has(r.id), activity.get(r.id), charges.get(r.id), summaries.get(r.id), unread.get(r.id)), ...session }
      )
      yield* Console.log(JSON.stringify(items, null, 2))
      if (more !== undefined) yield* Console.error(more)
      return
    }
    yield* Console.log(table(
      ["RUN", "DAY", "STATUS", "MODE", "ORIGIN", "STARTED (UTC)", "LLM COST"],
      entries.map((r) => isDamagedRun(r) ? damagedRow(r) : runRow(imported, activity, failed)(r, costs.get(r.id)!))
    ))
    const notes = noteLines(entries, activity, outcomes, unreadable, source, unread)
    if (notes.length > 0) yield* Console.log(`\n${notes.join("\n")}`)
    if (more !== undefined) yield* Console.log(`\n${more}`)
  })

/** The run `--before` names, as the store's cursor; one it does not hold is a usage error. */
const cursorRun = (before: string) =>
  Effect.gen(function*() {
    const found = Schema.is(RunId)(before) ? yield* RunStore.use((s) => s.getRun(before)) : Option.none()
    if (Option.isNone(found)) {
      return yield* CliFailure.usage(`--before: no run ${before.slice(0, 80)} (give an id the list showed: ${listCommand(yield* RunSource)})`)
    }
    return { startedAt: found.value.startedAt, id: found.value.id }
  })

/** Each stage's checkpoint in a few words. */
const stageRows = (pipeline: typeof DailyPipeline, bundle: RunBundle) =>
  Effect.forEach(pipeline.stages, (stage) =>
    Effect.gen(function*() {
      const c = bundle.checkpoints.find((x) => x.stage === stage.name)
      const calls = bundle.recordings.filter((x) => x.stage === stage.name).length
      if (!c) return { stage: stage.name, checkpoint: null, durationMs: null, calls, summary: "no checkpoint" }
      const decoded = yield* Schema.decodeUnknownEffect(Schema.toCodecJson(stage.output))(c.output).pipe(Effect.option)
      return {
        stage: stage.name,
        checkpoint: c.reusedFrom ? `reused (${c.reusedFrom})` : `attempt ${c.attempt}`,
        durationMs: c.durationMs,
        calls,
        summary: Option.match(decoded, { onNone: () => "(unreadable checkpoint)", onSome: (o) => summarize(stage.name, o) })
      }
    }))

/** The execution outcome per account, when the run got that far. */
const executionSummary = (bundle: RunBundle) => {
  const checkpoint = bundle.checkpoints.find((c) => c.stage === "Execution")
  return Option.match(Schema.decodeUnknownOption(Schema.toCodecJson(ExecutionReport))(checkpoint?.output), {
    onNone: () => null,
    onSome: (report) =>
      report.accounts.map((a) => ({
        account: a.account,
        status: a.status,
        placed: a.orders.length,
        alreadyAtBroker: a.adopted.length,
        failed: a.failures.length,
        message: a.message
      }))
  })
}

/**
 * `show`: a summary (a table, or with `--json` a small JSON document); `--json --full` is the whole bundle. Of a
 * backtest's session, the table says whose it is.
 */
export const showRun = (runId: string, json: boolean, full: boolean, pm: Option.Option<string> = Option.none()) =>
  Effect.gen(function*() {
    if (full && !json) return yield* CliFailure.usage("--full only applies with --json (the table is always a summary)")
    if (Option.isSome(pm)) return yield* CliFailure.usage("--pm only applies with --llm (it picks whose LLM exchanges to show)")
    const bundle = yield* loadBundle(runId)
    if (full) return yield* Console.log(JSON.stringify(BundleFile.seal(bundle), null, 2))
    // the pipeline (and all its stages import) is loaded here only, so `runs`, `export` and `import` never load it
    const { DailyPipeline, recordedTiming } = yield* Effect.promise(() => import("@council/daily"))
    const rows = yield* stageRows(DailyPipeline, bundle)
    const charged = yield* chargedFor(bundle)
    const source = yield* RunSource
    if (json) {
      // a backtest's session names its backtest: its run id alone names no run (`<day>-bt` repeats across backtests)
      const backtest = source.backtest === undefined ? {} : { backtest: { id: source.backtest.id, file: source.backtest.file } }
      return yield* Console.log(
        JSON.stringify({ run: bundle.run, ...backtest, stages: rows, execution: executionSummary(bundle), risk: riskRows(bundle), llm: costSummary(bundle, charged) }, null, 2)
      )
    }
    const r = bundle.run
    const activity = (yield* activityOf([r], new Set((yield* wasImported(r)) ? [r.id] : []))).get(r.id)
    const status = activity === undefined || activity.state === "in-progress" ? r.status : goneLine(activity)
    yield* Console.log(
      [
        `run       ${r.id}`,
        ...(source.backtest === undefined ? [] : [`backtest  ${source.backtest.id} · a session of it, in ${source.backtest.file}`]),
        `pipeline  ${r.pipeline} · trading day ${r.tradingDay} · as of ${r.asOf}`,
        scheduleLine(recordedTiming(r.params)),
        `status    ${status}${r.error ? ` — ${r.error}` : ""}`,
        `mode      ${r.mode}${r.dryRun ? " · dry run" : ""} · code ${r.codeVersion}`,
        ...(r.parentRunId ? [`forked    from ${r.parentRunId} at ${r.forkFrom}`] : []),
        `started   ${r.startedAt}${r.finishedAt ? ` · finished ${r.finishedAt}` : ""}`,
        ""
      ].join("\n")
    )
    yield* Console.log(table(
      ["STAGE", "CHECKPOINT", "TIME", "CALLS", "SUMMARY"],
      rows.map((s) => [s.stage, s.checkpoint ?? "-", s.durationMs === null ? "" : `${s.durationMs} ms`, s.checkpoint ? String(s.calls) : "", s.summary])
    ))
    if (bundle.checkpoints.some((c) => c.stage === "RiskApproval")) yield* Console.log(`\n${riskTables(riskRows(bundle))}`)
    const costs = costTable(bundle, charged, flagOf(source))
    if (costs !== "") yield* Console.log(costs)
  })

/** Where the user asked for a file that cannot be one (a directory, a missing directory): their input, exit 2. */
const BAD_PATH: ReadonlySet<string> = new Set(["EISDIR", "ENOENT", "ENOTDIR"])

export const exportRun = (runId: string, output: Option.Option<string>) =>
  Effect.gen(function*() {
    if (Option.isSome(output) && output.value.trim() === "") {
      return yield* CliFailure.usage(`--output: expected a file path, got "${output.value}" (leave -o out to write to stdout)`)
    }
    const bundle = yield* loadBundle(runId)
    const text = JSON.stringify(BundleFile.seal(bundle))
    if (Option.isNone(output)) return yield* Console.log(text)
    yield* Effect.try({
      try: () => fs.writeFileSync(output.value, text + "\n"),
      catch: (e) => {
        const code = e instanceof Error && "code" in e ? String(e.code) : String(e)
        return BAD_PATH.has(code)
          ? CliFailure.usage(`--output ${output.value}: cannot write there (${code})`)
          : CliFailure.failed(`cannot write ${output.value}: ${code}`)
      }
    })
    yield* Console.error(`exported run ${bundle.run.id} (${bundle.checkpoints.length} checkpoints, ${bundle.recordings.length} recorded calls) to ${output.value}`)
  })

/**
 * Refuses a bundle whose run is already here, that names a parent run this store does not have, or whose origins
 * (the parameters of the runs it reused stages of) this store holds otherwise: once imported, its replay reads them
 * from here.
 */
export const checkImport = (bundle: RunBundle, file: string) =>
  Effect.gen(function*() {
    const store = yield* RunStore
    if (bundle.run.id === LATEST) {
      return yield* CliFailure.usage(`cannot import ${file}: its run is named ${LATEST}, which here names the newest run (show latest, replay latest)`)
    }
    if (Option.isSome(yield* store.getRun(bundle.run.id))) {
      return yield* CliFailure.usage(`cannot import ${file}: run ${bundle.run.id} is already in this store`)
    }
    const parent = bundle.run.parentRunId
    if (parent !== null && Option.isNone(yield* store.getRun(parent))) {
      return yield* CliFailure.usage(`cannot import ${file}: its run was forked from ${parent}, which is not in this store (import that run first)`)
    }
    for (const [id, params] of bundleOrigins(bundle)) {
      const held = yield* store.getRun(id)
      if (Option.isSome(held) && hashOf(held.value.params) !== hashOf(params)) {
        return yield* CliFailure.usage(`cannot import ${file}: it reused stages of run ${id}, which this store holds with other parameters`)
      }
    }
  })

/** Writes a checked bundle as an imported run (never the local day's run). */
export const writeImport = (bundle: RunBundle, file: string) =>
  RunStore.use((store) => store.importBundle(bundle, "imported")).pipe(
    Effect.mapError((e) => CliFailure.failed(`cannot import ${file}: ${e.message}`))
  )

export const importedMessage = (bundle: RunBundle) =>
  `imported run ${bundle.run.id} (${bundle.run.pipeline}, ${bundle.run.tradingDay}); replay with: pnpm pipeline replay ${bundle.run.id}`

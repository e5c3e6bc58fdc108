import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import { RunId } from "@council/domain"
import { RunBundle, type RunRecord, RunStore, Runner } from "@council/engine"
import { CliFailure } from "../CliFailure.ts"
import { summarize } from "../Progress.ts"
import { table } from "../Table.ts"

const decodeBundle = Schema.decodeUnknownEffect(Schema.fromJsonString(RunBundle))
const encodeBundle = Schema.encodeEffect(Schema.fromJsonString(RunBundle))

/** Reads a bundle file; a missing or malformed file is a usage error naming it. */
export const readBundle = (file: string) =>
  Effect.gen(function*() {
    const text = yield* Effect.try({
      try: () => fs.readFileSync(file, "utf8"),
      catch: (e) => CliFailure.usage(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`)
    })
    return yield* decodeBundle(text).pipe(
      Effect.mapError((e) => CliFailure.usage(`${file} is not a Council run bundle: ${e.message.split("\n")[0]}`))
    )
  })

export const loadBundle = (runId: string) =>
  Runner.bundleOf(runId as RunId).pipe(
    Effect.catchTag("RunNotFound", (e) => Effect.fail(CliFailure.usage(`${e.message} (list runs with: pnpm pipeline runs)`)))
  )

const runRow = (r: RunRecord) => [
  r.id,
  r.tradingDay,
  r.status,
  r.dryRun ? "dry-run" : r.mode,
  r.parentRunId ? `${r.parentRunId} @${r.forkFrom}` : "",
  r.startedAt.replace("T", " ").slice(0, 19)
]

export const listRuns = (limit: number) =>
  Effect.gen(function*() {
    if (!Number.isInteger(limit) || limit < 1) return yield* CliFailure.usage(`--limit ${limit}: expected a positive whole number`)
    const runs = yield* RunStore.use((store) => store.listRuns({ limit }))
    if (runs.length === 0) return yield* Console.log("no runs yet — start one with: pnpm pipeline run daily")
    yield* Console.log(table(["RUN", "DAY", "STATUS", "MODE", "FORKED FROM", "STARTED (UTC)"], runs.map(runRow)))
  })

export const showRun = (runId: string, json: boolean) =>
  Effect.gen(function*() {
    const bundle = yield* loadBundle(runId)
    const { DailyPipeline } = yield* Effect.promise(() => import("@council/daily"))
    if (json) return yield* Console.log(yield* encodeBundle(bundle).pipe(Effect.map((s) => JSON.stringify(JSON.parse(s), null, 2))))
    const r = bundle.run
    yield* Console.log(
      [
        `run       ${r.id}`,
        `pipeline  ${r.pipeline} · trading day ${r.tradingDay} · as of ${r.asOf}`,
        `status    ${r.status}${r.error ? ` — ${r.error}` : ""}`,
        `mode      ${r.mode}${r.dryRun ? " · dry run" : ""} · code ${r.codeVersion}`,
        ...(r.parentRunId ? [`forked    from ${r.parentRunId} at ${r.forkFrom}`] : []),
        `started   ${r.startedAt}${r.finishedAt ? ` · finished ${r.finishedAt}` : ""}`,
        ""
      ].join("\n")
    )
    const rows = yield* Effect.forEach(DailyPipeline.stages, (stage) =>
      Effect.gen(function*() {
        const c = bundle.checkpoints.find((x) => x.stage === stage.name)
        if (!c) return [stage.name, "-", "", "", "no checkpoint"]
        const decoded = yield* Schema.decodeUnknownEffect(Schema.toCodecJson(stage.output))(c.output).pipe(Effect.option)
        return [
          stage.name,
          c.reusedFrom ? `reused (${c.reusedFrom})` : `attempt ${c.attempt}`,
          `${c.durationMs} ms`,
          String(bundle.recordings.filter((x) => x.stage === stage.name).length),
          Option.match(decoded, { onNone: () => "(unreadable checkpoint)", onSome: (o) => summarize(stage.name, o) })
        ]
      }))
    yield* Console.log(table(["STAGE", "CHECKPOINT", "TIME", "CALLS", "SUMMARY"], rows))
  })

export const exportRun = (runId: string, output: Option.Option<string>) =>
  Effect.gen(function*() {
    const bundle = yield* loadBundle(runId)
    const text = yield* encodeBundle(bundle).pipe(Effect.orDie)
    if (Option.isNone(output)) return yield* Console.log(text)
    yield* Effect.try({
      try: () => fs.writeFileSync(output.value, text + "\n"),
      catch: (e) => CliFailure.failed(`cannot write ${output.value}: ${e instanceof Error ? e.message : String(e)}`)
    })
    yield* Console.error(`exported run ${runId} (${bundle.checkpoints.length} checkpoints, ${bundle.recordings.length} recorded calls) to ${output.value}`)
  })

export const importRun = (file: string) =>
  Effect.gen(function*() {
    const bundle = yield* readBundle(file)
    yield* RunStore.use((store) => store.importBundle(bundle)).pipe(
      Effect.mapError((e) => CliFailure.failed(`cannot import ${file}: ${e.message}`))
    )
    yield* Console.log(`imported run ${bundle.run.id} (${bundle.run.pipeline}, ${bundle.run.tradingDay}); replay with: pnpm pipeline replay ${bundle.run.id}`)
  })

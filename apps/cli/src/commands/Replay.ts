import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import type { RunId } from "@council/domain"
import { type RunBundle, Runner } from "@council/engine"
import { DailyPipeline } from "@council/daily"
import { codeVersion } from "../AppConfig.ts"
import { CliFailure } from "../CliFailure.ts"
import { printer } from "../Progress.ts"
import { loadBundle, readBundle } from "./Runs.ts"

/** A run id, or a path to an exported bundle. */
export const resolveSource = (source: string) =>
  fs.existsSync(source) && fs.statSync(source).isFile() ? readBundle(source) : loadBundle(source)

export const replayRun = (bundle: RunBundle) =>
  Effect.gen(function*() {
    yield* Console.error(`Replaying run ${bundle.run.id} · trading day ${bundle.run.tradingDay} · from ${bundle.recordings.length} recorded calls`)
    const report = yield* Runner.replay(DailyPipeline, bundle)
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
          yield* Console.log(`  ${stage.stage.padEnd(17)} not replayed: ${stage.message}`)
      }
    }
    yield* Console.log(`live calls during replay: ${report.liveCalls}`)
    if (!report.identical) return yield* CliFailure.failed(`replay of ${bundle.run.id} diverged from the recorded run`)
    yield* Console.log(`replay of ${bundle.run.id}: every stage identical`)
  })

export const forkRun = (parent: RunId, from: string, dryRun: boolean) =>
  Runner.fork(DailyPipeline, parent, from, { dryRun, codeVersion, mode: "record" }).pipe(
    Effect.provideService(Runner.RunObserver, printer),
    Effect.catchTags({
      InvalidRunRequest: (e) => Effect.fail(CliFailure.usage(e.message)),
      RunNotFound: (e) => Effect.fail(CliFailure.usage(e.message)),
      RunFailed: (e) => Effect.fail(CliFailure.failed(`fork ${e.runId} failed in ${e.stage}: ${e.message}`))
    })
  )

/**
 * `RunFailures.failedAndRetriedOf`: a failed account counts as retried only when a later local run of the day traded
 * it — not a dry run, not a run that failed it again, not a run imported from another home (its orders went to that
 * home's accounts). On the in-memory run store, the runs stored as `run daily` and `import` store them.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { AccountId, type AccountExecution, ExecutionReport, RunId, TradingDay } from "@council/domain"
import { type RunBundle, type RunOrigin, type RunRecord, RunStore } from "@council/engine"
import { failedAndRetriedOf } from "@council/daily/RunFailures"

const day = TradingDay.make("2026-06-05")
const CLAUDE = AccountId.make("CLAUDE")
const encode = Schema.encodeSync(Schema.toCodecJson(ExecutionReport))

const account = (status: AccountExecution["status"]): AccountExecution => ({
  account: CLAUDE,
  status,
  orders: [],
  adopted: [],
  failures: [],
  canceled: 0,
  equity: null,
  readError: null,
  message: status
})

/** A completed run of `day` started at `startedAt` (`HH:MM`) whose execution left CLAUDE `status`, stored as `origin`. */
const stored = (id: string, startedAt: string, status: AccountExecution["status"], origin: RunOrigin, dryRun = false) =>
  Effect.gen(function*() {
    const run: RunRecord = {
      id: RunId.make(id),
      pipeline: "daily",
      tradingDay: day,
      asOf: day,
      mode: "record",
      dryRun,
      codeVersion: "0.1.0",
      parentRunId: null,
      forkFrom: null,
      status: "completed",
      startedAt: `${day}T${startedAt}:00.000Z`,
      finishedAt: `${day}T${startedAt}:30.000Z`,
      error: null,
      params: { accounts: [] }
    }
    const bundle: RunBundle = {
      run,
      checkpoints: [{
        runId: run.id,
        stage: "Execution",
        output: encode({ asOf: day, dryRun, accounts: [account(status)] }),
        inputHash: "h",
        attempt: 1,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt!,
        durationMs: 30_000,
        reusedFrom: null
      }],
      recordings: []
    }
    yield* RunStore.use((s) => s.importBundle(bundle, origin))
    return run
  })

const retriedOf = (runs: ReadonlyArray<RunRecord>, failed: RunRecord) =>
  Effect.map(failedAndRetriedOf(runs), ({ retried }) => Object.fromEntries(retried.get(failed.id) ?? []))

describe("a failed account retried", () => {
  it.effect("by a later local run that traded it; not by a dry run, a run that failed it again, or an imported run", () =>
    Effect.gen(function*() {
      const first = yield* stored("2026-06-05-00000001", "19:45", "failed", "local")
      const dry = yield* stored("2026-06-05-00000002", "19:50", "dry-run", "local", true)
      const again = yield* stored("2026-06-05-00000003", "19:52", "failed", "local")
      const elsewhere = yield* stored("2026-06-05-00000004", "19:55", "succeeded", "imported")
      assert.deepStrictEqual(yield* retriedOf([first, dry, again, elsewhere], first), {})
      const retry = yield* stored("2026-06-05-00000005", "20:00", "succeeded", "local")
      assert.deepStrictEqual(yield* retriedOf([first, dry, again, elsewhere, retry], first), { CLAUDE: retry.id })
    }).pipe(Effect.provide(RunStore.layerMemory)))
})

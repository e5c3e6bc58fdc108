import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { RunId, TradingDay } from "@council/domain"
import { type RunRecord, RunStore } from "@council/engine"
import { TradingAccounts } from "@council/broker"
import { Database, SqlRunStore } from "@council/store"
import { activities } from "@council/daily/RunActivity"

const DAY = TradingDay.make("2026-06-05")

const record = (id: string, fields: Partial<RunRecord>): RunRecord => ({
  id: RunId.make(id),
  pipeline: "daily",
  tradingDay: DAY,
  asOf: DAY,
  mode: "record",
  dryRun: false,
  codeVersion: "test",
  parentRunId: null,
  forkFrom: null,
  status: "completed",
  startedAt: "2026-06-05T19:45:00.000Z",
  finishedAt: null,
  error: null,
  params: {},
  ...fields
})

/** A real SQLite store with no lease: every `running` run below is one whose process is gone. */
const store = Layer.mergeAll(SqlRunStore.layer, TradingAccounts.layer([])).pipe(
  Layer.provideMerge(Database.layerSqlite(":memory:")),
  Layer.orDie
)

describe("RunActivity", () => {
  it.effect("a stopped fork of a retry is forked again, not continued as the day's run; a stopped retry resumes the day", () =>
    Effect.gen(function*() {
      const root = record(`${DAY}-00000001`, { params: { accounts: [{ id: "CLAUDE" }, { id: "COUNCIL" }] } })
      // a retry of the root's failed account (Runner.fork from the root, its params naming the root)
      const retry = record(`${DAY}-00000002`, {
        parentRunId: root.id,
        forkFrom: "RiskApproval",
        status: "running",
        params: { accounts: [{ id: "COUNCIL" }], retryOf: root.id }
      })
      // `replay <retry> --from CouncilSynthesis`: a fork whose params are the retry's (retryOf included)
      const fork = record(`${DAY}-00000003`, {
        parentRunId: retry.id,
        forkFrom: "CouncilSynthesis",
        status: "running",
        params: { accounts: [{ id: "COUNCIL" }], retryOf: root.id }
      })
      yield* RunStore.use((s) => Effect.forEach([root, retry, fork], (r) => s.createRun(r)))
      const activity = yield* activities([retry, fork], new Set())
      assert.deepStrictEqual(activity.get(fork.id), {
        state: "stopped",
        next: `fork it again with: pnpm pipeline replay ${retry.id} --from CouncilSynthesis`
      })
      assert.deepStrictEqual(activity.get(retry.id), {
        state: "stopped",
        next: `resume with: pnpm pipeline run daily --date ${DAY} --accounts CLAUDE,COUNCIL`
      })
    }).pipe(Effect.provide(store)))
})

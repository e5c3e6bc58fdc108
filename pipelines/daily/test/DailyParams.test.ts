import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import { type RunId, type TradingDay } from "@council/domain"
import { RunContext } from "@council/engine"
import { carriedPlans, DailyParams, runAccounts, runLedgerBook } from "@council/daily"

const runWith = (params: unknown) =>
  RunContext.of({
    runId: "2026-06-08-test" as RunId,
    pipeline: "daily",
    tradingDay: "2026-06-08" as TradingDay,
    asOf: "2026-06-08" as TradingDay,
    mode: "live",
    dryRun: false,
    stage: "RiskApproval",
    attempt: 1,
    params
  })

/** What a stage reads of `params`, as one object. */
const read = (params: unknown) =>
  Effect.all({ accounts: runAccounts, carried: carriedPlans, book: runLedgerBook }).pipe(
    Effect.provideService(RunContext, runWith(params))
  )

/** The same, from the whole params decoded at once by the schema. */
const expected = (params: unknown) => {
  const decoded = Schema.decodeUnknownSync(DailyParams)(params)
  return { accounts: decoded.accounts, carried: decoded.carried ?? [], book: decoded.ledgerBook ?? "live" }
}

// encoded settings as older runs stored them: the fields added later are absent and decode with their defaults
const oldSettings = { maxOrderValue: 5_000, maxPositionPct: 10, allowShorting: false, dryRun: false }
const accounts = [
  { id: "CHATGPT", mode: "PAPER", settings: oldSettings },
  { id: "COUNCIL", mode: "PAPER", settings: { ...oldSettings, maxOpenPositions: 3, exits: { TIGHT: { takeProfitPct: 2, stopLossPct: 1 }, BASE: { takeProfitPct: 5, stopLossPct: 2 }, WIDE: { takeProfitPct: 9, stopLossPct: 4 } } } }
]
const base = { accounts, broker: "local-exchange", data: "local", pms: "offline" }

describe("a run's params as stages read them", () => {
  it.effect("decode as the schema decodes them, with the accounts a backtest's sessions share decoded once", () =>
    Effect.gen(function*() {
      const sessions = [
        { ...base, schedule: "close", asOfTime: "2026-06-08T15:45:00-04:00", ledgerBook: "bt-1" },
        { ...base, schedule: "close", asOfTime: "2026-06-09T15:45:00-04:00", ledgerBook: "bt-1" },
        {
          ...base,
          retryOf: "2026-06-09-a",
          carried: [{ account: "CHATGPT", from: "2026-06-09-a", cancels: [], intents: [], rejections: [], clamps: [] }]
        }
      ]
      const seen = []
      for (const params of sessions) {
        const got = yield* read(params)
        assert.deepStrictEqual(got, expected(params))
        seen.push(got.accounts)
      }
      assert.strictEqual(seen[1], seen[0])
      assert.strictEqual(seen[2], seen[0])
      assert.strictEqual(seen[0]![0]!.settings.minOrderValue, 100)
    }))

  it.effect("refused as the schema refuses them, whether the accounts or the rest are wrong", () =>
    Effect.gen(function*() {
      const wrong = [
        { ...base, accounts: [{ ...accounts[0], settings: { ...oldSettings, maxPositionPct: 120 } }] },
        { ...base, broker: 5 },
        { ...base, accounts: "CHATGPT" },
        "not params"
      ]
      const defectOf = (exit: Exit.Exit<unknown, unknown>) => (Exit.isFailure(exit) ? String(Cause.squash(exit.cause)) : "no failure")
      for (const params of wrong) {
        const got = defectOf(yield* Effect.exit(read(params)))
        const whole = defectOf(yield* Effect.exit(Effect.orDie(Schema.decodeUnknownEffect(DailyParams)(params))))
        assert.notStrictEqual(got, "no failure")
        assert.strictEqual(got, whole)
      }
    }))
})

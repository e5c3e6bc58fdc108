/**
 * A retry's parameters (`retryParams`): the day's first run's rules, for the failed accounts with their carried
 * plans — except the choices that are the retry's own: the keys this command sends with, and carried closes sent for
 * the shares held, which a first run recorded before that rule did not record. Decoded back as the store records them.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Schema from "effect/Schema"
import { AccountId, defaultAccountSettings, momentAt, RunId, TradingDay } from "@council/domain"
import type { RunRecord } from "@council/engine"
import { type CarriedPlan, DailyParams, newRunParams } from "@council/daily"
import { retryParams } from "../src/commands/DayChain.ts"

const CLAUDE = { id: AccountId.make("CLAUDE"), mode: "PAPER" as const, settings: defaultAccountSettings }
const GEMINI = { id: AccountId.make("GEMINI"), mode: "PAPER" as const, settings: defaultAccountSettings }

const recorded = newRunParams(
  { accounts: [CLAUDE, GEMINI], broker: "alpaca", data: "alpaca", pms: "offline", keysFrom: "PAPER_ALPACA_*" },
  { schedule: "close", moment: momentAt(TradingDay.make("2026-06-05"), "15:45") }
)
/** A first run recorded before `carriedCloses`: its params lack it. */
const { carriedCloses: _absent, ...before } = recorded

const root = (params: DailyParams): RunRecord => ({
  id: RunId.make("2026-06-05-0a1b2c3d"),
  pipeline: "daily",
  tradingDay: TradingDay.make("2026-06-05"),
  asOf: TradingDay.make("2026-06-05"),
  mode: "record",
  dryRun: false,
  codeVersion: "test",
  parentRunId: null,
  forkFrom: null,
  status: "completed",
  startedAt: "2026-06-05T19:45:00.000Z",
  finishedAt: "2026-06-05T19:46:00.000Z",
  error: null,
  params: Schema.encodeSync(Schema.toCodecJson(DailyParams))(params)
})

const plan: CarriedPlan = { account: CLAUDE.id, from: "2026-06-05-0a1b2c3d", cancels: [], intents: [], rejections: [], clamps: [] }

/** As the store reads it back. */
const stored = (params: DailyParams) =>
  Schema.decodeUnknownSync(Schema.toCodecJson(DailyParams))(JSON.parse(JSON.stringify(Schema.encodeSync(Schema.toCodecJson(DailyParams))(params))))

describe("a retry's parameters", () => {
  it("of a first run recorded before carried closes were sent as held: the retry records `held`, the first run's other rules, its own keys", () => {
    const retry = stored(retryParams(root(before), before, "TRADING_ACCOUNTS_CONFIG", [CLAUDE], [plan], [GEMINI.id]))
    assert.strictEqual(retry.carriedCloses, "held")
    assert.strictEqual(retry.keysFrom, "TRADING_ACCOUNTS_CONFIG")
    assert.deepStrictEqual(retry.accounts.map((a) => a.id), ["CLAUDE"])
    assert.deepStrictEqual(retry.reconciles, [GEMINI.id])
    assert.strictEqual(retry.retryOf, "2026-06-05-0a1b2c3d")
    assert.deepStrictEqual(retry.carried, [plan])
    assert.deepStrictEqual([retry.asOfTime, retry.schedule, retry.failedAccounts, retry.openOrders], [before.asOfTime, before.schedule, before.failedAccounts, before.openOrders])
  })

  it("keys whose source this command does not know: none recorded (not the first run's), and nothing to read again: no `reconciles`", () => {
    const retry = stored(retryParams(root(recorded), recorded, undefined, [CLAUDE], [plan], []))
    assert.isFalse("keysFrom" in retry)
    assert.isFalse("reconciles" in retry)
    assert.strictEqual(retry.carriedCloses, "held")
  })
})

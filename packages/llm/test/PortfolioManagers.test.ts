import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { AccountId, PM_NAMES } from "@council/domain"
import type { Pitch } from "@council/domain"
import { OfflineRules, PM_LOOKBACK_SESSIONS, PmError, PortfolioManagers } from "@council/llm"
import { path, snapshotOf } from "./snapshots.ts"

const snapshot = snapshotOf({
  AAA: path(PM_LOOKBACK_SESSIONS, 100, 0.001, 0.004),
  BBB: path(PM_LOOKBACK_SESSIONS, 60, -0.002, 0.006)
})

const pitchOf = (pms: PortfolioManagers["Service"], pm: AccountId) =>
  Effect.flatMap(pms.pitch(pm, { snapshot, account: null }), (answer) =>
    answer.pitch === null ? Effect.die(`${pm} abstained: ${answer.abstention}`) : Effect.succeed(answer.pitch)).pipe(
    Effect.catchTag(["LlmBudgetExceeded", "StoreError"], (e) => Effect.die(e))
  )

describe("PortfolioManagers.layerOffline", () => {
  it.effect("has the five PMs, each an offline style", () =>
    Effect.gen(function*() {
      const pms = yield* PortfolioManagers
      assert.deepStrictEqual(pms.roster.map((r) => [r.pm, r.model, r.offline]), [
        ["CHATGPT", "offline:momentum", true],
        ["GEMINI", "offline:mean-reversion", true],
        ["CLAUDE", "offline:trend", true],
        ["GROQ", "offline:low-volatility", true],
        ["DEEPSEEK", "offline:contrarian", true]
      ])
    }).pipe(Effect.provide(PortfolioManagers.layerOffline)))

  it.effect("pitches with the PM's own rule", () =>
    Effect.gen(function*() {
      const pms = yield* PortfolioManagers
      for (const name of PM_NAMES) {
        const pm = AccountId.make(name)
        const p = yield* pitchOf(pms, pm)
        assert.deepStrictEqual(p, OfflineRules.offlinePitch(pm, OfflineRules.OFFLINE_STYLES[name], snapshot))
        assert.strictEqual<string>(p.pm, name)
        assert.strictEqual(p.thesis[0]!.startsWith(`Offline stand-in for ${name} (`), true)
      }
    }).pipe(Effect.provide(PortfolioManagers.layerOffline)))

  it.effect("fails with UnknownPm for a PM off the roster", () =>
    Effect.gen(function*() {
      const pms = yield* PortfolioManagers
      const error = yield* Effect.flip(pitchOf(pms, AccountId.make("COUNCIL")))
      assert.strictEqual(error.reason, "UnknownPm")
      assert.strictEqual(error.pm, "COUNCIL")
      assert.strictEqual(error.message, "COUNCIL is not on the roster (CHATGPT, GEMINI, CLAUDE, GROQ, DEEPSEEK)")
    }).pipe(Effect.provide(PortfolioManagers.layerOffline)))
})

describe("PortfolioManagers.layerTest", () => {
  const fixed: Pitch = {
    pm: AccountId.make("CHATGPT"),
    asOf: snapshot.asOf,
    symbol: snapshot.universe[1]!,
    direction: "SHORT",
    conviction: -2,
    thesis: ["scripted"],
    riskProfile: "WIDE",
    horizon: "1D",
    invalidation: "none",
    source: "test"
  }
  const layer = PortfolioManagers.layerTest({
    CHATGPT: fixed,
    GEMINI: new PmError({ pm: AccountId.make("GEMINI"), reason: "Timeout", message: "no answer in 30s" }),
    CLAUDE: (s) => Effect.succeed({ ...fixed, pm: AccountId.make("CLAUDE"), asOf: s.asOf, thesis: [`saw ${s.asOf}`] }),
    EXTRA: fixed
  })

  it.effect("answers scripted PMs from the script and the rest from their rule", () =>
    Effect.gen(function*() {
      const pms = yield* PortfolioManagers
      assert.deepStrictEqual(pms.roster.map((r) => [r.pm, r.model, r.offline]), [
        ["CHATGPT", "test:scripted", false],
        ["GEMINI", "test:scripted", false],
        ["CLAUDE", "test:scripted", false],
        ["GROQ", "offline:low-volatility", true],
        ["DEEPSEEK", "offline:contrarian", true],
        ["EXTRA", "test:scripted", false]
      ])
      assert.deepStrictEqual(yield* pitchOf(pms, AccountId.make("CHATGPT")), fixed)
      const timeout = yield* Effect.flip(pitchOf(pms, AccountId.make("GEMINI")))
      assert.strictEqual(timeout.reason, "Timeout")
      assert.deepStrictEqual((yield* pitchOf(pms, AccountId.make("CLAUDE"))).thesis, [`saw ${snapshot.asOf}`])
      assert.strictEqual((yield* pitchOf(pms, AccountId.make("GROQ"))).source, "offline:low-volatility")
      const unknown = yield* Effect.flip(pitchOf(pms, AccountId.make("NOBODY")))
      assert.strictEqual(unknown.reason, "UnknownPm")
    }).pipe(Effect.provide(layer)))
})

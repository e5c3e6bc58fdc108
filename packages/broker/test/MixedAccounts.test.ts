import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { AccountsConfig } from "@council/broker"

const load = (env: Record<string, string>) =>
  AccountsConfig.load.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))))

const json = (accounts: unknown) => ({ TRADING_ACCOUNTS_CONFIG: JSON.stringify(accounts) })

const keyed = { id: "CLAUDE", mode: "PAPER", credentials: { keyId: "PKCLAUDEKEY", secretKey: "s3cr3t-claude" } }
const local = { id: "GEMINI", mode: "PAPER", broker: "local-exchange" }

const refusal = (env: Record<string, string>) => Effect.map(Effect.flip(load(env)), (e) => e.message)

describe("TRADING_ACCOUNTS_CONFIG with accounts on Alpaca and on the local exchange", () => {
  it.effect("an entry saying \"broker\": \"local-exchange\" has no keys and trades on the local exchange beside one with keys", () =>
    Effect.gen(function*() {
      const loaded = yield* load(json([keyed, local]))
      assert.strictEqual(loaded.source, "TRADING_ACCOUNTS_CONFIG")
      assert.deepStrictEqual(loaded.accounts.map((a) => [a.id, a.mode, a.credentials === undefined, a.baseUrl ?? null]), [
        ["CLAUDE", "PAPER", false, null],
        ["GEMINI", "PAPER", true, null]
      ])
    }))

  it.effect("keys are left out only by saying so; the local exchange takes no keys, no base URL, and is paper only", () =>
    Effect.gen(function*() {
      assert.strictEqual(
        yield* refusal(json([keyed, { id: "GEMINI", mode: "PAPER" }])),
        `TRADING_ACCOUNTS_CONFIG: account #2 (GEMINI): credentials: missing (an account without keys, on the local exchange, says "broker": "local-exchange")`
      )
      assert.match(yield* refusal(json([{ ...local, credentials: keyed.credentials }])), /account #1 \(GEMINI\): "broker": "local-exchange" trades without keys: leave credentials out/)
      assert.match(yield* refusal(json([{ ...local, baseUrl: "http://127.0.0.1:9999" }])), /account #1 \(GEMINI\): "broker": "local-exchange" is the in-process exchange: leave baseUrl out/)
      assert.match(yield* refusal(json([{ ...local, mode: "LIVE" }])), /account #1 \(GEMINI\): "broker": "local-exchange" is paper only/)
      assert.match(
        yield* refusal({ ...json([{ ...local, mode: "LIVE", liveConfirmed: true }]), COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY" }),
        /"broker": "local-exchange" is paper only/
      )
      assert.match(yield* refusal(json([{ ...local, broker: "alpaca" }])), /account #1 \(GEMINI\): broker: expected local-exchange$/)
    }))

  it.effect("a live account beside a local one still needs COUNCIL_ALLOW_LIVE and liveConfirmed (the LIVE guard, unchanged)", () =>
    Effect.gen(function*() {
      const live = { id: "CLAUDE", mode: "LIVE", credentials: { keyId: "AKLIVEKEY", secretKey: "s3cr3t-live" } }
      assert.match(yield* refusal(json([live, local])), /CLAUDE/)
      const allowed = yield* load({ ...json([{ ...live, liveConfirmed: true }, local]), COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY" })
      assert.deepStrictEqual(allowed.accounts.map((a) => [a.id, a.mode]), [["CLAUDE", "LIVE"], ["GEMINI", "PAPER"]])
    }))
})

import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { AccountsConfig } from "@council/broker"

const load = (env: Record<string, string>) =>
  AccountsConfig.load.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))))

describe("Alpaca's SDK key variables", () => {
  for (const variable of ["APCA_API_KEY_ID", "APCA_API_SECRET_KEY"]) {
    it.effect(`${variable} alone is refused, not taken for the embedded default`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(load({ [variable]: "PKFAKEKEYVALUE0001" }))
        assert.strictEqual(error._tag, "AccountConfigError")
        assert.match(error.message, new RegExp(`^${variable} is set but not read: one key pair would trade every account`))
        assert.include(error.message, "ALPACA_{NAME}_KEY_ID")
        assert.notInclude(error.message, "PKFAKEKEYVALUE0001")
        assert.notInclude(error.message, "\n")
      }))
  }

  it.effect("beside configured accounts they change nothing", () =>
    Effect.gen(function*() {
      const loaded = yield* load({
        APCA_API_KEY_ID: "PKFAKEKEYVALUE0001",
        APCA_API_SECRET_KEY: "fake-secret",
        PAPER_ALPACA_KEY_ID: "PKFAKEPAPER0001",
        PAPER_ALPACA_SECRET_KEY: "fake-secret-2"
      })
      assert.strictEqual(loaded.source, "PAPER_ALPACA_*")
      assert.deepStrictEqual(loaded.accounts.map((a) => a.id), ["DEFAULT_PAPER"])
    }))
})

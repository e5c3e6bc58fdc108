import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { AccountsConfig } from "@council/broker"

const load = (env: Record<string, string>) =>
  AccountsConfig.load.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env))))

const account = (fields: Record<string, unknown> = {}) => ({
  id: "CHATGPT",
  mode: "PAPER",
  credentials: { keyId: "PKTESTKEY", secretKey: "s3cr3t-value" },
  ...fields
})

/** A live key pair (`AK…`): what a LIVE account on Alpaca's live host needs. */
const LIVE_CREDENTIALS = { keyId: "AKTESTKEY", secretKey: "s3cr3t-value" }

const json = (accounts: unknown) => ({ TRADING_ACCOUNTS_CONFIG: JSON.stringify(accounts) })

describe("AccountsConfig.load", () => {
  it.effect("uses the embedded default when nothing is configured", () =>
    Effect.gen(function*() {
      const loaded = yield* load({})
      assert.strictEqual(loaded.source, "embedded default")
      assert.deepStrictEqual(loaded.accounts.map((a) => a.id), ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"])
      assert.isTrue(loaded.accounts.every((a) => a.credentials === undefined))
    }))

  it.effect("reads TRADING_ACCOUNTS_CONFIG first, with defaults for omitted settings", () =>
    Effect.gen(function*() {
      const loaded = yield* load({
        ...json([account({ baseUrl: "http://127.0.0.1:8787/", settings: { maxOrderValue: 500 }, rateLimitPerMinute: 60 })]),
        PAPER_ALPACA_KEY_ID: "ignored",
        PAPER_ALPACA_SECRET_KEY: "ignored"
      })
      assert.strictEqual(loaded.source, "TRADING_ACCOUNTS_CONFIG")
      const [a] = loaded.accounts
      assert.strictEqual(a?.baseUrl, "http://127.0.0.1:8787")
      assert.strictEqual(a?.settings.maxOrderValue, 500)
      assert.strictEqual(a?.settings.maxPositionPct, 20)
      assert.strictEqual(a?.rateLimitPerMinute, 60)
      assert.strictEqual(Redacted.value(a!.credentials!.secretKey), "s3cr3t-value")
      assert.notInclude(JSON.stringify(a), "s3cr3t-value")
      assert.notInclude(String(a?.credentials?.secretKey), "s3cr3t-value")
    }))

  it.effect("refuses a later source's account variables set beside TRADING_ACCOUNTS_CONFIG instead of ignoring them", () =>
    Effect.gen(function*() {
      const refused: ReadonlyArray<readonly [Record<string, string>, string]> = [
        [{ COUNCIL_ACCOUNTS: "CHATGPT" }, "COUNCIL_ACCOUNTS"],
        [{ ALPACA_CHATGPT_KEY_ID: "PKOTHER", ALPACA_CHATGPT_SECRET_KEY: "other-secret" }, "ALPACA_CHATGPT_KEY_ID"],
        [{ ALPACA_COUNCIL_BASE_URL: "http://127.0.0.1:9" }, "ALPACA_COUNCIL_BASE_URL"],
        [{ ALPACA_TRADER1_SECRET_KEY: "other-secret" }, "ALPACA_TRADER1_SECRET_KEY"]
      ]
      for (const [extra, variable] of refused) {
        const error = yield* Effect.flip(load({ ...json([account(), account({ id: "TRADER1" })]), ...extra }))
        assert.strictEqual(
          error.message,
          `${variable} is set beside TRADING_ACCOUNTS_CONFIG, which configures the accounts (CHATGPT, TRADER1) and would leave it unused: unset one of them`
        )
        assert.notInclude(error.message, "other-secret")
      }
    }))

  it.effect("reads the seed's per-account variables for COUNCIL_ACCOUNTS", () =>
    Effect.gen(function*() {
      const loaded = yield* load({
        COUNCIL_ACCOUNTS: "CLAUDE, COUNCIL",
        ALPACA_CLAUDE_KEY_ID: "k1",
        ALPACA_CLAUDE_SECRET_KEY: "s1",
        ALPACA_COUNCIL_KEY_ID: "k2",
        ALPACA_COUNCIL_SECRET_KEY: "s2",
        ALPACA_COUNCIL_BASE_URL: "http://127.0.0.1:9999"
      })
      assert.strictEqual(loaded.source, "per-account variables")
      assert.deepStrictEqual(loaded.accounts.map((a) => [a.id, a.mode, a.baseUrl ?? null]), [
        ["CLAUDE", "PAPER", null],
        ["COUNCIL", "PAPER", "http://127.0.0.1:9999"]
      ])
    }))

  it.effect("falls back to PAPER_ALPACA_* as DEFAULT_PAPER", () =>
    Effect.gen(function*() {
      const loaded = yield* load({ PAPER_ALPACA_KEY_ID: "k", PAPER_ALPACA_SECRET_KEY: "s" })
      assert.strictEqual(loaded.source, "PAPER_ALPACA_*")
      assert.deepStrictEqual(loaded.accounts.map((a) => a.id), ["DEFAULT_PAPER"])
    }))

  it.effect("accepts a LIVE account only with the environment switch and the account's confirmation", () =>
    Effect.gen(function*() {
      const loaded = yield* load({
        ...json([account({ mode: "LIVE", liveConfirmed: true, credentials: LIVE_CREDENTIALS })]),
        COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY"
      })
      assert.strictEqual(loaded.accounts[0]?.mode, "LIVE")
    }))

  it.effect("reads every risk setting, each exit distance on its own over the defaults", () =>
    Effect.gen(function*() {
      const loaded = yield* load(json([account({
        settings: {
          maxGrossExposurePct: 150,
          allowMargin: true,
          maxOpenPositions: 3,
          minOrderValue: 50,
          fractional: true,
          allowShorting: false,
          exits: { BASE: { stopLossPct: 2 }, WIDE: { takeProfitPct: 12, stopLossPct: 6 } }
        }
      })]))
      assert.deepStrictEqual(loaded.accounts[0]?.settings, {
        maxOrderValue: 25_000,
        maxPositionPct: 20,
        maxGrossExposurePct: 150,
        allowShorting: false,
        allowMargin: true,
        maxOpenPositions: 3,
        minOrderValue: 50,
        fractional: true,
        exits: {
          TIGHT: { takeProfitPct: 3, stopLossPct: 1.5 },
          BASE: { takeProfitPct: 6, stopLossPct: 2 },
          WIDE: { takeProfitPct: 12, stopLossPct: 6 }
        },
        dryRun: false
      })
    }))

  it.effect("makes a LIVE account a dry run unless it says \"dryRun\": false", () =>
    Effect.gen(function*() {
      const live = (settings?: object) =>
        load({ ...json([account({ mode: "LIVE", liveConfirmed: true, credentials: LIVE_CREDENTIALS, ...(settings ? { settings } : {}) })]), COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY" })
      assert.isTrue((yield* live()).accounts[0]?.settings.dryRun)
      assert.isTrue((yield* live({ maxOrderValue: 100 })).accounts[0]?.settings.dryRun)
      assert.isFalse((yield* live({ dryRun: false })).accounts[0]?.settings.dryRun)
      assert.isFalse((yield* load(json([account()]))).accounts[0]?.settings.dryRun)
      assert.isTrue((yield* load(json([account({ settings: { dryRun: true } })]))).accounts[0]?.settings.dryRun)
    }))

  const malformed: ReadonlyArray<readonly [string, Record<string, string>, RegExp]> = [
    ["not JSON", { TRADING_ACCOUNTS_CONFIG: "[{id:" }, /^TRADING_ACCOUNTS_CONFIG: not valid JSON/],
    ["not an array", { TRADING_ACCOUNTS_CONFIG: "{\"id\":\"A\"}" }, /expected a JSON array of accounts/],
    ["an empty array", json([]), /the array is empty/],
    ["a lowercase name", json([account({ id: "chatgpt" })]), /account #1 \(chatgpt\): id: account names are UPPERCASE/],
    ["a name with a space", json([account({ id: "MY ACCOUNT" })]), /account #1 \(MY ACCOUNT\): id: /],
    ["a duplicate name", json([account(), account()]), /account CHATGPT is configured twice/],
    ["an unknown mode", json([account({ mode: "REAL" })]), /account #1 \(CHATGPT\): mode: expected PAPER or LIVE$/],
    ["missing credentials", json([{ id: "CHATGPT", mode: "PAPER" }]), /account #1 \(CHATGPT\): credentials: missing/],
    ["an empty secret", json([account({ credentials: { keyId: "k", secretKey: "" } })]), /credentials\.secretKey: must not be empty/],
    ["a bad base URL", json([account({ baseUrl: "paper-api" })]), /account #1 \(CHATGPT\): baseUrl: is not a URL/],
    ["a base URL of another scheme", json([account({ baseUrl: "ftp://127.0.0.1" })]), /baseUrl: must start with http:\/\/ or https:\/\//],
    ["blanks for TRADING_ACCOUNTS_CONFIG", { TRADING_ACCOUNTS_CONFIG: " \n\t " }, /^TRADING_ACCOUNTS_CONFIG is set but blank/],
    ["only commas in COUNCIL_ACCOUNTS", { COUNCIL_ACCOUNTS: ",,," }, /^COUNCIL_ACCOUNTS names no account/],
    ["blanks for a per-account key", { ALPACA_CHATGPT_KEY_ID: "  ", ALPACA_CHATGPT_SECRET_KEY: "s" }, /^ALPACA_CHATGPT_KEY_ID is set but blank/],
    ["a per-account base URL without keys", { ALPACA_COUNCIL_BASE_URL: "http://127.0.0.1:1" }, /ALPACA_CHATGPT_KEY_ID is not set/],
    ["a percentage over 100", json([account({ settings: { maxPositionPct: 150 } })]), /settings\.maxPositionPct: /],
    ["a negative order value", json([account({ settings: { maxOrderValue: -1 } })]), /settings\.maxOrderValue: /],
    ["a string for a boolean", json([account({ settings: { allowShorting: "yes" } })]), /settings\.allowShorting: expected true or false$/],
    ["a zero rate limit", json([account({ rateLimitPerMinute: 0 })]), /rateLimitPerMinute: /],
    ["a gross exposure cap over 400", json([account({ settings: { maxGrossExposurePct: 401, allowMargin: true } })]), /^TRADING_ACCOUNTS_CONFIG: account #1 \(CHATGPT\): settings\.maxGrossExposurePct: /],
    ["a gross exposure cap over 100 without margin", json([account({ settings: { maxGrossExposurePct: 150 } })]), /^TRADING_ACCOUNTS_CONFIG: account #1 \(CHATGPT\): settings\.maxGrossExposurePct: 150 is above 100 %, which needs "allowMargin": true$/],
    ["a fractional count of positions", json([account({ settings: { maxOpenPositions: 2.5 } })]), /account #1 \(CHATGPT\): settings\.maxOpenPositions: /],
    ["a negative minimum order", json([account({ settings: { minOrderValue: -5 } })]), /account #1 \(CHATGPT\): settings\.minOrderValue: /],
    ["a minimum above the maximum order", json([account({ settings: { minOrderValue: 600, maxOrderValue: 500 } })]), /account #1 \(CHATGPT\): settings\.minOrderValue: 600 is above settings\.maxOrderValue \(500\)/],
    ["a string for margin", json([account({ settings: { allowMargin: "no" } })]), /account #1 \(CHATGPT\): settings\.allowMargin: expected true or false$/],
    ["a number for fractional", json([account({ settings: { fractional: 1 } })]), /account #1 \(CHATGPT\): settings\.fractional: expected true or false$/],
    ["a stop loss of 100 %", json([account({ settings: { exits: { BASE: { stopLossPct: 100 } } } })]), /account #1 \(CHATGPT\): settings\.exits\.BASE\.stopLossPct: /],
    ["a zero take profit", json([account({ settings: { exits: { TIGHT: { takeProfitPct: 0 } } } })]), /settings\.exits\.TIGHT\.takeProfitPct: /],
    ["an unknown risk profile", json([account({ settings: { exits: { HUGE: { stopLossPct: 5 } } } })]), /settings\.exits\.HUGE: not a field Council reads$/],
    ["an unknown setting", json([account({ settings: { maxLeverage: 2 } })]), /account #1 \(CHATGPT\): settings\.maxLeverage: not a field Council reads$/],
    ["an unknown field", json([account({ keyID: "typo" })]), /account #1 \(CHATGPT\): keyID: not a field Council reads$/],
    ["LIVE without the switch", json([account({ mode: "LIVE", liveConfirmed: true })]), /CHATGPT: mode LIVE is refused unless COUNCIL_ALLOW_LIVE=I_UNDERSTAND_REAL_MONEY/],
    [
      "LIVE without liveConfirmed",
      { ...json([account({ mode: "LIVE" })]), COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY" },
      /CHATGPT: mode LIVE also needs "liveConfirmed": true/
    ],
    [
      "the switch with a wrong value",
      { ...json([account({ mode: "LIVE", liveConfirmed: true })]), COUNCIL_ALLOW_LIVE: "yes" },
      /^COUNCIL_ALLOW_LIVE: expected I_UNDERSTAND_REAL_MONEY \(or unset\)/
    ],
    // an env file read without a shell (docker --env-file) keeps the quotes: refused, and told why
    [
      "the switch in quotes",
      { ...json([account({ mode: "LIVE", liveConfirmed: true })]), COUNCIL_ALLOW_LIVE: "\"I_UNDERSTAND_REAL_MONEY\"" },
      /^COUNCIL_ALLOW_LIVE: expected I_UNDERSTAND_REAL_MONEY \(or unset\), got it with quotes or blanks around it \(a file read without a shell keeps them\); refused until it is the bare value$/
    ],
    [
      "the switch with a trailing blank",
      { ...json([account({ mode: "LIVE", liveConfirmed: true })]), COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY " },
      /^COUNCIL_ALLOW_LIVE: expected I_UNDERSTAND_REAL_MONEY \(or unset\), got it with quotes or blanks around it/
    ],
    [
      "a per-account key of one account alone",
      { ALPACA_GEMINI_KEY_ID: "k" },
      /^per-account variables: CHATGPT: ALPACA_CHATGPT_KEY_ID is not set \(to trade only GEMINI, set COUNCIL_ACCOUNTS=GEMINI\)$/
    ],
    [
      "a listed account without variables",
      { COUNCIL_ACCOUNTS: "CLAUDE", ALPACA_GEMINI_KEY_ID: "k" },
      /per-account variables: CLAUDE: ALPACA_CLAUDE_KEY_ID is not set/
    ],
    ["a bad name in COUNCIL_ACCOUNTS", { COUNCIL_ACCOUNTS: "CLAUDE,council-1" }, /COUNCIL_ACCOUNTS: "council-1" is not a valid account name/],
    ["half a PAPER_ALPACA pair", { PAPER_ALPACA_KEY_ID: "k" }, /DEFAULT_PAPER: PAPER_ALPACA_SECRET_KEY is not set/],
    // the seeds' promises: one key pair per account, the personal account for data only, the plan's JSON names
    [
      "two accounts with one key pair (JSON)",
      json([account(), account({ id: "COUNCIL", credentials: { keyId: "PKTESTKEY", secretKey: "other-secret" } })]),
      /^TRADING_ACCOUNTS_CONFIG: accounts CHATGPT and COUNCIL have the same key id: each account needs its own key pair \(one broker account each\), or their orders and positions mix$/
    ],
    [
      "two accounts with one key pair (per-account variables)",
      { COUNCIL_ACCOUNTS: "CLAUDE,COUNCIL", ALPACA_CLAUDE_KEY_ID: "PKSAME", ALPACA_CLAUDE_SECRET_KEY: "s3cr3t-value", ALPACA_COUNCIL_KEY_ID: "PKSAME", ALPACA_COUNCIL_SECRET_KEY: "s3cr3t-value" },
      /^per-account variables: accounts CLAUDE and COUNCIL have the same key id/
    ],
    // JSON.parse keeps a repeated key's last value: `"dryRun": true, …, "dryRun": false` would send real orders
    [
      "a setting given twice in one account (the later would win silently)",
      { TRADING_ACCOUNTS_CONFIG: `[{"id":"COUNCIL","mode":"LIVE","liveConfirmed":true,"credentials":{"keyId":"PKTESTKEY","secretKey":"s3cr3t-value"},"baseUrl":"http://127.0.0.1:8787","settings":{"dryRun":true,"maxOrderValue":500,"dry\\u0052un":false}}]`, COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY" },
      /^TRADING_ACCOUNTS_CONFIG: "dryRun" is given twice in one object \(line 1, column 196\): JSON would keep the later value silently; give each key once$/
    ],
    // 60,000 levels (120 KB, under what a variable may hold): every recursive reader overflowed ("internal error", exit 1)
    [
      "a value nested 60,000 levels deep",
      { TRADING_ACCOUNTS_CONFIG: `[{"id":"COUNCIL","mode":"PAPER","broker":"local-exchange","settings":{"notes":${"[".repeat(60_000)}${"]".repeat(60_000)}}}]` },
      /^TRADING_ACCOUNTS_CONFIG: nests arrays and objects deeper than 32 levels; an account is an object of a few fields \(see the README's Accounts\)$/
    ],
    [
      "an account's mode given twice",
      { TRADING_ACCOUNTS_CONFIG: json([account()]).TRADING_ACCOUNTS_CONFIG.replace('"mode":"PAPER"', '"mode":"LIVE","mode":"PAPER"') },
      /^TRADING_ACCOUNTS_CONFIG: "mode" is given twice in one object \(line 1, column 32\)/
    ],
    // fetch strips a header value's blanks: a key id with a blank around it is the same key, one broker account
    [
      "two accounts with one key pair, one spelled with a trailing blank (JSON)",
      json([account(), account({ id: "COUNCIL", credentials: { keyId: "PKTESTKEY ", secretKey: "other-secret" } })]),
      /^TRADING_ACCOUNTS_CONFIG: accounts CHATGPT and COUNCIL have the same key id: each account needs its own key pair/
    ],
    [
      "two accounts with one key pair, one spelled with blanks around it (per-account variables)",
      { COUNCIL_ACCOUNTS: "CLAUDE,COUNCIL", ALPACA_CLAUDE_KEY_ID: "PKSAME", ALPACA_CLAUDE_SECRET_KEY: "s3cr3t-value", ALPACA_COUNCIL_KEY_ID: "\tPKSAME ", ALPACA_COUNCIL_SECRET_KEY: "s3cr3t-value" },
      /^per-account variables: accounts CLAUDE and COUNCIL have the same key id/
    ],
    [
      "the personal (market-data) account as a trading account",
      { COUNCIL_ACCOUNTS: "COUNCIL,PERSONAL", ALPACA_COUNCIL_KEY_ID: "PKONE", ALPACA_COUNCIL_SECRET_KEY: "s", ALPACA_PERSONAL_KEY_ID: "PKTWO", ALPACA_PERSONAL_SECRET_KEY: "s" },
      /^per-account variables: PERSONAL is the market-data account \(ALPACA_PERSONAL_\* keys, read by COUNCIL_DATA=alpaca\), never a trading account/
    ],
    ["PERSONAL in TRADING_ACCOUNTS_CONFIG", json([account({ id: "PERSONAL" })]), /^TRADING_ACCOUNTS_CONFIG: PERSONAL is the market-data account/],
    ["the plan's ALPACA_ACCOUNTS_JSON", { ALPACA_ACCOUNTS_JSON: JSON.stringify([account()]) }, /^ALPACA_ACCOUNTS_JSON is not read: Council reads its accounts from TRADING_ACCOUNTS_CONFIG/],
    ["the plan's TRADING_ACCOUNTS", { TRADING_ACCOUNTS: JSON.stringify([account()]) }, /^TRADING_ACCOUNTS is not read: Council reads its accounts from TRADING_ACCOUNTS_CONFIG/],
    [
      "the plan's alpaca field",
      json([{ id: "PAPER_1", mode: "PAPER", alpaca: { keyId: "PKTESTKEY", secretKey: "s3cr3t-value" } }]),
      /account #1 \(PAPER_1\): alpaca: not a field Council reads \(Council's field is "credentials": \{"keyId": …, "secretKey": …\}\)$/
    ],
    ["the plan's maxEquity", json([account({ settings: { maxEquity: 10000 } })]), /settings\.maxEquity: not a field Council reads \(Council's limit on an order's value is "maxOrderValue" \(dollars\)\)$/],
    ["the architecture's account_id", json([account({ account_id: "PA3IUYCYRWGK" })]), /account #1 \(CHATGPT\): account_id: not a field Council reads \(not a Council field: the broker knows the account by its keys\)$/],
    ["the plan's isDryRun", json([account({ settings: { isDryRun: true } })]), /settings\.isDryRun: not a field Council reads \(Council's field is "dryRun"\)$/],
    [
      "some of the six accounts' variables, without COUNCIL_ACCOUNTS",
      { ALPACA_COUNCIL_KEY_ID: "PKONE", ALPACA_COUNCIL_SECRET_KEY: "s", ALPACA_CLAUDE_KEY_ID: "PKTWO", ALPACA_CLAUDE_SECRET_KEY: "s" },
      /^per-account variables: CHATGPT: ALPACA_CHATGPT_KEY_ID is not set \(to trade only CLAUDE, COUNCIL, set COUNCIL_ACCOUNTS=CLAUDE,COUNCIL\)$/
    ]
  ]

  for (const [name, env, expected] of malformed) {
    it.effect(`rejects ${name} with one clear line`, () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(load(env))
        assert.strictEqual(error._tag, "AccountConfigError")
        assert.match(error.message, expected)
        assert.notInclude(error.message, "\n")
        assert.notInclude(error.message, "s3cr3t-value")
      }))
  }

  it.effect("never repeats configured text around a JSON syntax error: line and column only", () =>
    Effect.gen(function*() {
      const texts = [
        `[{"id":"COUNCIL","mode":"PAPER","credentials":{"keyId":"PKX1","secretKey":s3cr3t-value}}]`,
        `[{"id":"COUNCIL","mode":"PAPER","credentials":{"keyId":"PKX1","secretKey":"s3cr3t-value" "x"}}]`,
        `[{"id":"COUNCIL",\n "credentials":{"secretKey":"s3cr3t-value\\u12G4"}}]`,
        `[{"id":"COUNCIL","credentials":{"secretKey":"s3cr3t-value`
      ]
      const expected = ["line 1, column 75", "line 1, column 90", "line 2, column 46", "line 1, column 58"]
      for (const [i, text] of texts.entries()) {
        const error = yield* Effect.flip(load({ TRADING_ACCOUNTS_CONFIG: text }))
        assert.match(error.message, new RegExp(`^TRADING_ACCOUNTS_CONFIG: not valid JSON: syntax error at ${expected[i]}`))
        assert.notInclude(error.message, "s3cr3t")
        assert.throws(() => JSON.parse(text))
      }
    }))

  it.effect("never repeats a credential that has the wrong type", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(load(json([account({ credentials: { keyId: "PKX1", secretKey: 98765432109876 } })])))
      assert.match(error.message, /credentials\.secretKey: expected a string$/)
      assert.notInclude(error.message, "98765432109876")
    }))

  it.effect("refuses a key no HTTP header can carry (the README's … placeholder, a curly quote), naming its field or variable, not the key", () =>
    Effect.gen(function*() {
      const placeholder = yield* Effect.flip(load(json([account({ credentials: { keyId: "…", secretKey: "…" } })])))
      assert.strictEqual(
        placeholder.message,
        `TRADING_ACCOUNTS_CONFIG: account #1 (CHATGPT): credentials.keyId: character 1 is not printable ASCII, which no key holds (a placeholder such as "…" or a curly quote left in?): give the key as it was issued`
      )
      const quoted = yield* Effect.flip(load({ COUNCIL_ACCOUNTS: "COUNCIL", ALPACA_COUNCIL_KEY_ID: "PKQUOTEDKEY", ALPACA_COUNCIL_SECRET_KEY: "s3cr3t\u201d" }))
      assert.match(quoted.message, /^per-account variables: COUNCIL: ALPACA_COUNCIL_SECRET_KEY: character 7 is not printable ASCII/)
      assert.notInclude(quoted.message, "s3cr3t")
      const paper = yield* Effect.flip(load({ PAPER_ALPACA_KEY_ID: "PK\tTAB", PAPER_ALPACA_SECRET_KEY: "s3cr3t-value" }))
      assert.match(paper.message, /^PAPER_ALPACA_\*: DEFAULT_PAPER: PAPER_ALPACA_KEY_ID: character 3 is not printable ASCII/)
      // blanks around a key are dropped as fetch drops them, and one inside is sent as it is: neither is refused
      const blanks = yield* load(json([account({ credentials: { keyId: " PKBLANKS\n", secretKey: "two words" } })]))
      assert.strictEqual(Redacted.value(blanks.accounts[0]!.credentials!.keyId), " PKBLANKS\n")
    }))

  it.effect("refuses a base URL with user:password@ without printing it", () =>
    Effect.gen(function*() {
      const viaJson = yield* Effect.flip(load(json([account({ baseUrl: "http://trader:hunter2pass@127.0.0.1:8787" })])))
      assert.match(viaJson.message, /baseUrl: must not contain user:password@/)
      const viaVariable = yield* Effect.flip(load({
        COUNCIL_ACCOUNTS: "COUNCIL",
        ALPACA_COUNCIL_KEY_ID: "k",
        ALPACA_COUNCIL_SECRET_KEY: "s",
        ALPACA_COUNCIL_BASE_URL: "https://trader:hunter2pass@paper-api.alpaca.markets"
      }))
      assert.match(viaVariable.message, /^per-account variables: COUNCIL: ALPACA_COUNCIL_BASE_URL: must not contain user:password@/)
      for (const error of [viaJson, viaVariable]) assert.notInclude(error.message, "hunter2pass")
    }))
})

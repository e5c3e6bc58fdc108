import { assert, describe, it } from "@effect/vitest"
import { testServer } from "../../io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"
import { ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { type AccountConfig, AccountId, defaultAccountSettings } from "@council/domain"
import { AccountsConfig, type Broker, Brokers, LiveGuard, LocalVenue, ReferencePrices, RoutedBrokers, SafetyBroker, TradingAccounts } from "@council/broker"
import { AlpacaBroker, AlpacaClient } from "@council/broker/Alpaca"

const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)))

const LIVE_SPELLINGS = [
  "https://api.alpaca.markets",
  "http://api.alpaca.markets",
  "https://API.Alpaca.Markets",
  "https://api.alpaca.markets.",
  "https://api.alpaca.markets:443/v2/",
  "http://api.alpaca.markets:8080/anything?",
  "https://api%2Ealpaca%2Emarkets",
  "https://ａｐｉ.alpaca.markets",
  "https://api。alpaca.markets",
  "  https://api.alpaca.markets/  ",
  "https://broker-api.alpaca.markets"
]

const NOT_LIVE = ["https://paper-api.alpaca.markets", "https://PAPER-API.alpaca.markets./", "http://127.0.0.1:8787", "https://alpaca.markets.example.org"]

const council = (fields: Partial<Record<string, unknown>>) =>
  JSON.stringify([{ id: "COUNCIL", mode: "PAPER", credentials: { keyId: "PKLIVEGUARD", secretKey: "sk-liveguard-secret" }, ...fields }])

describe("LiveGuard", () => {
  it("counts every spelling of Alpaca's live host as live, and only those", () => {
    for (const url of LIVE_SPELLINGS) assert.isTrue(LiveGuard.isLiveUrl(url), url)
    for (const url of NOT_LIVE) assert.isFalse(LiveGuard.isLiveUrl(url), url)
  })

  it.effect("refuses a PAPER account whose ALPACA_{NAME}_BASE_URL is the live host, whatever the spelling", () =>
    Effect.gen(function*() {
      for (const url of LIVE_SPELLINGS) {
        const error = yield* Effect.flip(AccountsConfig.load.pipe(withEnv({
          COUNCIL_ACCOUNTS: "COUNCIL",
          ALPACA_COUNCIL_KEY_ID: "K",
          ALPACA_COUNCIL_SECRET_KEY: "S",
          ALPACA_COUNCIL_BASE_URL: url
        })))
        assert.match(error.message, /^per-account variables: COUNCIL: its base URL is Alpaca's live trading host \(\S+\), which trades real money, but its mode is PAPER; refused/, url)
      }
    }))

  it.effect("refuses a LIVE base URL in TRADING_ACCOUNTS_CONFIG unless mode LIVE, liveConfirmed and COUNCIL_ALLOW_LIVE all say so", () =>
    Effect.gen(function*() {
      const allow = { COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY" }
      const refused: ReadonlyArray<readonly [Record<string, string>, RegExp]> = [
        [{ TRADING_ACCOUNTS_CONFIG: council({ baseUrl: "https://api.alpaca.markets" }) }, /its mode is PAPER; refused/],
        [{ TRADING_ACCOUNTS_CONFIG: council({ baseUrl: "HTTPS://API.ALPACA.MARKETS.", liveConfirmed: true }), ...allow }, /its mode is PAPER; refused/],
        [{ TRADING_ACCOUNTS_CONFIG: council({ mode: "LIVE", baseUrl: "http://127.0.0.1:1", liveConfirmed: true }) }, /mode LIVE is refused unless COUNCIL_ALLOW_LIVE/],
        [{ TRADING_ACCOUNTS_CONFIG: council({ mode: "LIVE", baseUrl: "https://api.alpaca.markets" }), ...allow }, /needs "liveConfirmed": true/]
      ]
      for (const [env, expected] of refused) {
        const error = yield* Effect.flip(AccountsConfig.load.pipe(withEnv(env)))
        assert.match(error.message, expected)
        assert.notInclude(error.message, "sk-liveguard-secret")
      }
      const accepted = yield* AccountsConfig.load.pipe(withEnv({
        TRADING_ACCOUNTS_CONFIG: council({ mode: "LIVE", baseUrl: "https://api.alpaca.markets/", liveConfirmed: true, credentials: { keyId: "AKLIVEGUARD", secretKey: "sk-liveguard-secret" } }),
        ...allow
      }))
      assert.deepStrictEqual(accepted.accounts.map((a) => [a.id, a.mode, a.baseUrl]), [["COUNCIL", "LIVE", "https://api.alpaca.markets"]])
    }))

  it.effect("refuses a LIVE account, fully opted in, on Alpaca's paper host or with a paper key (PK…) on Alpaca's hosts", () =>
    Effect.gen(function*() {
      const allow = { COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY" }
      const live = (fields: Partial<Record<string, unknown>>) => ({ TRADING_ACCOUNTS_CONFIG: council({ mode: "LIVE", liveConfirmed: true, ...fields }), ...allow })
      const refused: ReadonlyArray<readonly [Record<string, string>, RegExp]> = [
        [live({ baseUrl: "https://PAPER-API.alpaca.markets./v2", credentials: { keyId: "AKLIVEKEY01", secretKey: "sk-liveguard-secret" } }), /^TRADING_ACCOUNTS_CONFIG: COUNCIL: its mode is LIVE but its base URL is Alpaca's paper host \(paper-api\.alpaca\.markets\)/],
        [live({}), /^TRADING_ACCOUNTS_CONFIG: COUNCIL: its mode is LIVE but its key id is one of Alpaca's paper keys \(PK…\)/],
        [live({ baseUrl: "https://api.alpaca.markets", credentials: { keyId: " pkpaperkey", secretKey: "sk-liveguard-secret" } }), /^TRADING_ACCOUNTS_CONFIG: COUNCIL: its mode is LIVE but its key id is one of Alpaca's paper keys \(PK…\)/]
      ]
      for (const [env, expected] of refused) {
        const error = yield* Effect.flip(AccountsConfig.load.pipe(withEnv(env)))
        assert.match(error.message, expected)
        assert.notInclude(error.message, "sk-liveguard-secret")
        assert.notInclude(error.message, "pkpaperkey")
      }
      const rehearsal = yield* AccountsConfig.load.pipe(withEnv(live({ baseUrl: "http://127.0.0.1:8787" })))
      assert.deepStrictEqual(rehearsal.accounts.map((a) => [a.id, a.mode, a.baseUrl]), [["COUNCIL", "LIVE", "http://127.0.0.1:8787"]])
    }))

  it.effect("refuses plain http to Alpaca's hosts, LIVE fully opted in or paper: the keys would cross the network in clear text", () =>
    Effect.gen(function*() {
      const allow = { COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY" }
      const cases: ReadonlyArray<Record<string, string>> = [
        { TRADING_ACCOUNTS_CONFIG: council({ mode: "LIVE", liveConfirmed: true, baseUrl: "http://API.alpaca.markets:80/", credentials: { keyId: "AKLIVEKEY01", secretKey: "sk-liveguard-secret" } }), ...allow },
        { TRADING_ACCOUNTS_CONFIG: council({ baseUrl: "http://paper-api.alpaca.markets" }) },
        { COUNCIL_ACCOUNTS: "COUNCIL", ALPACA_COUNCIL_KEY_ID: "PKLIVEGUARD", ALPACA_COUNCIL_SECRET_KEY: "sk-liveguard-secret", ALPACA_COUNCIL_BASE_URL: "http://paper-api.alpaca.markets./v2" }
      ]
      for (const env of cases) {
        const error = yield* Effect.flip(AccountsConfig.load.pipe(withEnv(env)))
        assert.match(error.message, /^(TRADING_ACCOUNTS_CONFIG|per-account variables): COUNCIL: its base URL is Alpaca's host \((paper-)?api\.alpaca\.markets\) over plain http: its keys would cross the network in clear text; refused \(use https:\/\/\)$/)
        assert.notInclude(error.message, "sk-liveguard-secret")
      }
    }))

  it.live("counts an Alpaca live key id (AK…) as live, whatever its host: refused before any request unless opted in", () =>
    Effect.gen(function*() {
      const requests: Array<string> = []
      const server = testServer((req, res) => {
        requests.push(`${req.method} ${req.url}`)
        res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ message: "a proxy to somewhere" }))
      })
      yield* Effect.acquireRelease(
        Effect.promise(() => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))),
        () => Effect.promise(() => new Promise<void>((resolve) => server.close(() => resolve())))
      )
      const proxy = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const liveKey = "AKLIVEKEY0123456789"
      /** Loads the accounts from `env` and asks the broker for its clock: the outcome, and the requests it made. */
      const reach = (env: Record<string, string>) =>
        AccountsConfig.load.pipe(
          withEnv(env),
          Effect.flatMap(({ accounts }) =>
            Brokers.use((b) => Effect.flatMap(b.get(AccountId.make("COUNCIL")), (broker) => broker.getClock)).pipe(
              Effect.provide(AlpacaBroker.layerBrokers(accounts, { retry: { times: 0 } }).pipe(Layer.provide(FetchHttpClient.layer)))
            )
          ),
          Effect.flip,
          Effect.map((error) => ({ message: error.message, requests: requests.splice(0) }))
        )
      const perAccount = yield* reach({
        COUNCIL_ACCOUNTS: "COUNCIL",
        ALPACA_COUNCIL_KEY_ID: liveKey,
        ALPACA_COUNCIL_SECRET_KEY: "live-secret",
        ALPACA_COUNCIL_BASE_URL: proxy
      })
      assert.match(perAccount.message, /^per-account variables: COUNCIL: its key id is one of Alpaca's live keys \(AK…\), which trade real money, but its mode is PAPER; refused/)
      assert.deepStrictEqual(perAccount.requests, [])
      const paperJson = yield* reach({ TRADING_ACCOUNTS_CONFIG: council({ baseUrl: proxy, credentials: { keyId: ` ${liveKey.toLowerCase()}`, secretKey: "s" } }) })
      assert.match(paperJson.message, /its key id is one of Alpaca's live keys/)
      assert.deepStrictEqual(paperJson.requests, [])
      const unconfirmed = yield* reach({ TRADING_ACCOUNTS_CONFIG: council({ mode: "LIVE", baseUrl: proxy, credentials: { keyId: liveKey, secretKey: "s" } }) })
      assert.match(unconfirmed.message, /mode LIVE is refused unless COUNCIL_ALLOW_LIVE=I_UNDERSTAND_REAL_MONEY is set/)
      assert.deepStrictEqual(unconfirmed.requests, [])
      for (const result of [perAccount, paperJson, unconfirmed]) assert.notInclude(result.message, liveKey)

      const optedIn = yield* reach({
        TRADING_ACCOUNTS_CONFIG: council({ mode: "LIVE", liveConfirmed: true, baseUrl: proxy, credentials: { keyId: liveKey, secretKey: "s" } }),
        COUNCIL_ALLOW_LIVE: "I_UNDERSTAND_REAL_MONEY"
      })
      assert.deepStrictEqual(optedIn.requests, ["GET /v2/clock"])
      const paperKey = yield* reach({ TRADING_ACCOUNTS_CONFIG: council({ baseUrl: proxy }) })
      assert.deepStrictEqual(paperKey.requests, ["GET /v2/clock"])
    }))

  it.live("makes an Alpaca client only for the account object the guard returned: an edited copy dies before any request", () =>
    Effect.gen(function*() {
      const requests: Array<string> = []
      const countingFetch: typeof globalThis.fetch = (input) => {
        requests.push(String(input instanceof Request ? input.url : input))
        return Promise.reject(new Error("no network in this test"))
      }
      const paper: AccountConfig = {
        id: AccountId.make("COUNCIL"),
        mode: "PAPER",
        baseUrl: "http://127.0.0.1:9",
        credentials: { keyId: Redacted.make("K"), secretKey: Redacted.make("S") },
        settings: defaultAccountSettings
      }
      const [guarded] = yield* LiveGuard.guard([paper])
      assert.isTrue(LiveGuard.isGuarded(guarded!))
      const edited = { ...guarded!, baseUrl: LiveGuard.LIVE_BASE_URL }
      assert.isFalse(LiveGuard.isGuarded(edited))
      const http = FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, countingFetch)))

      const viaLayer = yield* Effect.exit(
        Brokers.use((b) => Effect.flatMap(b.get(edited.id), (broker) => broker.getAccount)).pipe(
          Effect.provide(AlpacaBroker.layerBrokers([edited]).pipe(Layer.provide(http)))
        )
      )
      assert.isTrue(Exit.isFailure(viaLayer) && Exit.hasDies(viaLayer))
      const viaClient = yield* Effect.exit(
        Effect.scoped(AlpacaClient.make({ ...guarded!, credentials: guarded!.credentials! })).pipe(Effect.provide(http))
      )
      assert.isTrue(Exit.isFailure(viaClient) && Exit.hasDies(viaClient))
      assert.deepStrictEqual(requests, [])

      const keyed = guarded!
      if (!AlpacaClient.hasCredentials(keyed)) return assert.fail("the guarded account lost its credentials")
      const client = yield* Effect.scoped(
        Effect.flatMap(
          AlpacaClient.make(keyed, { retry: { times: 0 } }),
          (c) => Effect.exit(c.getClock)
        )
      ).pipe(Effect.provide(http))
      assert.isTrue(Exit.isFailure(client))
      assert.deepStrictEqual(requests, ["http://127.0.0.1:9/v2/clock"])
    }))
})

describe("RoutedBrokers, the one router", () => {
  const unused = Effect.die("not called in this test")
  const venueBroker = (account: AccountId): Broker => ({
    account,
    getAccount: unused,
    getPositions: unused,
    getPosition: () => unused,
    listOrders: () => unused,
    getOrder: () => unused,
    getOrderByClientId: () => unused,
    listFills: () => unused,
    placeOrder: () => unused,
    cancelOrder: () => unused,
    cancelAllOrders: unused,
    closePosition: () => unused,
    closeAllPositions: unused,
    getClock: unused,
    getCalendar: () => unused
  })

  it.live("hands only guarded accounts on: keyless ones to the local venue, the others to their Alpaca client", () =>
    Effect.gen(function*() {
      const requests: Array<string> = []
      // answers 403 (final, no retry) to whatever it is asked
      const countingFetch: typeof globalThis.fetch = (input) => {
        requests.push(String(input instanceof Request ? input.url : input))
        return Promise.resolve(new Response(JSON.stringify({ code: 40310000, message: "forbidden" }), { status: 403 }))
      }
      const http = FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, countingFetch)))
      const [local, keyed] = yield* LiveGuard.guard([
        { id: AccountId.make("LOCAL"), mode: "PAPER", settings: defaultAccountSettings },
        {
          id: AccountId.make("COUNCIL"),
          mode: "PAPER",
          baseUrl: "http://127.0.0.1:9",
          credentials: { keyId: Redacted.make("K"), secretKey: Redacted.make("S") },
          settings: defaultAccountSettings
        }
      ])
      const handed: Array<AccountConfig> = []
      const venue = Layer.succeed(LocalVenue, LocalVenue.of({ broker: (account) => (handed.push(account), venueBroker(account.id)) }))
      const routed = (accounts: ReadonlyArray<LiveGuard.GuardedAccount>, httpLayer: Layer.Layer<HttpClient.HttpClient>) =>
        RoutedBrokers.layer(undefined, httpLayer).pipe(
          Layer.provide(Layer.mergeAll(TradingAccounts.layer(accounts), venue, ReferencePrices.layerNone))
        )

      const brokers = yield* Effect.provide(Effect.service(Brokers), routed([local!, keyed!], http))
      const venueSide = yield* brokers.get(local!.id)
      assert.isTrue(SafetyBroker.isSafe(venueSide), "the venue's broker goes through the safety broker")
      assert.strictEqual(yield* brokers.get(local!.id), venueSide, "one safety broker per account")
      assert.strictEqual(handed.length, 1)
      assert.strictEqual(handed[0], local, "the venue gets the very object the guard returned")
      assert.isTrue(LiveGuard.isGuarded(handed[0]!))
      const remote = yield* brokers.get(keyed!.id)
      assert.isTrue(SafetyBroker.isSafe(remote), "the Alpaca client's broker goes through the safety broker")
      assert.isTrue(Exit.isFailure(yield* Effect.exit(remote.getOrder("some-order"))))
      assert.deepStrictEqual(requests, ["http://127.0.0.1:9/v2/orders/some-order?nested=true"])
      assert.strictEqual(handed.length, 1, "an account with credentials never reaches the venue")
      const exposed = yield* Effect.provide(
        Effect.flatMap(Effect.serviceOption(AlpacaBroker), (alpaca) => alpaca._tag === "Some" ? alpaca.value.get(keyed!.id) : Effect.die("no AlpacaBroker")),
        routed([local!, keyed!], http)
      )
      assert.isTrue(SafetyBroker.isSafe(exposed), "the AlpacaBroker the router provides hands out safety brokers too")
      assert.isUndefined(exposed.client, "without the raw HTTP client")

      // keyless accounts only: neither the Alpaca adapter nor HTTP is built
      const noHttp = Layer.effect(HttpClient.HttpClient, Effect.die("HTTP was built for keyless accounts"))
      const keyless = yield* Effect.provide(Effect.service(Brokers), routed([local!], noHttp))
      assert.strictEqual((yield* keyless.get(local!.id)).account, local!.id)
    }))
})

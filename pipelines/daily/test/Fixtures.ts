import { Context, Effect, Layer, Ref } from "effect"
import { AccountId, type AccountSnapshot, type Bar, momentAt, type NewYorkMoment, type Order, type PeerReviewResult, type Pitch, type RunId, type RunSchedule, type Ticker, TradingDay } from "@council/domain"
import { Recorder, RunContext } from "@council/engine"
import { MarketData } from "@council/market"
import { Database } from "@council/store"
import { AccountManager, type Broker, BrokerError, Brokers } from "@council/broker"
import { ExchangeSession, LocalExchange, type LocalExchangeOptions } from "@council/exchange"
import type { AccountProfile, CarriedPlan } from "@council/daily"
import { defaultAccountSettings, DEFAULT_ACCOUNTS } from "@council/domain"

export const day = TradingDay.make("2026-06-08")

/** The exchange's present in these tests, unless a test moves it: after the close of `day` (an after-close run's moment). */
export const afterClose = momentAt(day, "16:15")

/** The exchange's present, which a test may move (`moveTo`). */
export class Present extends Context.Service<Present, Ref.Ref<NewYorkMoment>>()("test/daily/Present") {}

/** Moves the exchange's present to `time` (New York) of `on`. */
export const moveTo = (on: string, time: string) => Effect.flatMap(Present, (ref) => Ref.set(ref, momentAt(on, time)))

/** A present at `afterClose` that the exchange follows. */
const present = Layer.effect(Present, Ref.make(afterClose))
const session = Layer.unwrap(Effect.map(Present, ExchangeSession.layerRef))

/** `n` sessions of bars for `symbol` ending on `end` (2026-06-08 unless said), closing along `closes(i)`. */
export const bars = (n: number, closes: (i: number) => number, end = "2026-06-08"): ReadonlyArray<Bar> => {
  const out: Array<Bar> = []
  const start = Date.parse(`${end}T00:00:00Z`) - (n - 1) * 86_400_000
  for (let i = 0; i < n; i++) {
    const close = closes(i)
    out.push({
      date: TradingDay.make(new Date(start + i * 86_400_000).toISOString().slice(0, 10)),
      open: close,
      high: close * 1.01,
      low: close * 0.99,
      close,
      volume: 1_000_000
    })
  }
  return out
}

export const market = MarketData.layerTest({
  SPY: bars(260, (i) => 500 + i),
  TLT: bars(260, (i) => 100 - i * 0.05),
  GLD: bars(260, (i) => 300 + Math.sin(i / 5) * 10)
})

export const profiles: ReadonlyArray<AccountProfile> = DEFAULT_ACCOUNTS.map((id) => ({
  id: AccountId.make(id),
  mode: "PAPER",
  settings: defaultAccountSettings
}))

export const runContext = (
  overrides: {
    readonly dryRun?: boolean
    readonly accounts?: ReadonlyArray<AccountProfile>
    readonly runId?: string
    /** The run's schedule and moment (`asOfTime`), as `run daily` records them. */
    readonly timing?: { readonly schedule: RunSchedule; readonly asOfTime: string }
    /** `reviewers: pitched`, as runs record from round 22 on (absent: a run recorded before). */
    readonly reviewers?: "pitched"
    /** `failedAccounts`, as runs record from round 33 on (absent: a run recorded before). */
    readonly failedAccounts?: "protected" | "recognized"
    /** `abstained`, as runs record from round 32 on (absent: a run recorded before). */
    readonly abstained?: "protected" | "covered" | "bracketed"
    /** `openOrders: every`, as runs record from round 34 on (absent: a run recorded before, one listing). */
    readonly openOrders?: "every"
    /** A retry's carried plans (`carried`). */
    readonly carried?: ReadonlyArray<CarriedPlan>
    /** `carriedCloses: held`, as runs record from round 35 on (absent: a run recorded before). */
    readonly carriedCloses?: "held"
  } = {}
) =>
  RunContext.layerTest({
    tradingDay: day,
    runId: (overrides.runId ?? "stage-test") as RunId,
    dryRun: overrides.dryRun ?? false,
    params: { accounts: overrides.accounts ?? profiles, broker: "test", data: "test", pms: "test", ...overrides.timing, ...(overrides.reviewers === undefined ? {} : { reviewers: overrides.reviewers }),
      ...(overrides.failedAccounts === undefined ? {} : { failedAccounts: overrides.failedAccounts }),
      ...(overrides.abstained === undefined ? {} : { abstained: overrides.abstained }),
      ...(overrides.openOrders === undefined ? {} : { openOrders: overrides.openOrders }),
      ...(overrides.carried === undefined ? {} : { carried: overrides.carried }),
      ...(overrides.carriedCloses === undefined ? {} : { carriedCloses: overrides.carriedCloses })
    }
  })

/** A recorder in record mode, fresh per test: `recorded` reads back what it recorded. */
export const recording = Layer.effect(
  Recorder.Recorder,
  Recorder.make({ mode: "record", runId: "stage-test" as RunId, stage: "test" })
).pipe(Layer.fresh)

/** What the test's recorder recorded, in call order. */
export const recorded = Effect.flatMap(Recorder.Recorder, (recorder) => recorder.recordings)

export const flatAccount = (account: string, equity = 100_000): AccountSnapshot => ({
  account: AccountId.make(account),
  cash: equity,
  equity,
  buyingPower: equity,
  longMarketValue: 0,
  shortMarketValue: 0,
  positions: []
})

export const ticker = (s: string) => s as Ticker

/** An order as the broker lists it: `fields` over a gtc market order, nothing filled, sent after 2026-06-05's close. */
export const brokerOrder = (fields: Partial<Order> & Pick<Order, "id" | "symbol" | "side" | "qty" | "orderClass" | "status">): Order => ({
  clientOrderId: fields.id,
  type: "market",
  timeInForce: "gtc",
  limitPrice: null,
  stopPrice: null,
  filledQty: 0,
  filledAvgPrice: null,
  submittedAt: "2026-06-05T20:00:00.000Z",
  filledAt: null,
  legs: [],
  ...fields
})

export const recordedKeys = Effect.map(recorded, (recordings) => recordings.map((r) => r.key))

/** The local exchange on a fresh in-memory SQLite database, at the `Present` (after the close of `day`), serving the default accounts. */
export const exchange = AccountManager.layer.pipe(
  Layer.provideMerge(LocalExchange.layerBrokers(DEFAULT_ACCOUNTS.map((a) => AccountId.make(a)))),
  Layer.provideMerge(LocalExchange.layer({ slippageBps: 0 })),
  Layer.provide(Layer.mergeAll(Database.layerSqlite(":memory:"), market, session)),
  Layer.provideMerge(present),
  Layer.fresh
)

/** A peer review that ranked nothing. */
export const noReview: PeerReviewResult = { asOf: day, ballots: [], abstentions: [], aggregate: [] }

/**
 * Like `exchange` (over `data`, the fixture's bars unless given), with a broker that answers 503 to the calls named in `faults` (changeable during the test):
 * `placeOrder:<client order id>`, `placeOrder:<account>` (every order of the account), `getAccount:<account>`, `listOrders:<account>`,
 * `listOrdersPage:<account>` (a listing's further pages: those read `until` a moment), `getOrder:<account>`,
 * `getPositions:<account>`, `listFills:<account>`.
 */
export const exchangeWithFaults = (faults: ReadonlySet<string>, options: LocalExchangeOptions = { slippageBps: 0 }, data: Layer.Layer<MarketData, unknown> = market) => {
  const unavailable = (account: string, what: string) =>
    Effect.fail(new BrokerError({ account, reason: "Unavailable", message: `${what}: 503 service unavailable`, retryable: true }))
  const faulty = (broker: Broker): Broker => ({
    ...broker,
    placeOrder: (intent) =>
      faults.has(`placeOrder:${intent.clientOrderId}`) || faults.has(`placeOrder:${broker.account}`) ? unavailable(broker.account, "POST /v2/orders") : broker.placeOrder(intent),
    getAccount: Effect.suspend(() => faults.has(`getAccount:${broker.account}`) ? unavailable(broker.account, "GET /v2/account") : broker.getAccount),
    listOrders: (query) =>
      faults.has(`listOrders:${broker.account}`) || (query.until !== undefined && faults.has(`listOrdersPage:${broker.account}`))
        ? unavailable(broker.account, "GET /v2/orders")
        : broker.listOrders(query),
    getOrder: (id) => faults.has(`getOrder:${broker.account}`) ? unavailable(broker.account, `GET /v2/orders/${id}`) : broker.getOrder(id),
    getPositions: Effect.suspend(() => faults.has(`getPositions:${broker.account}`) ? unavailable(broker.account, "GET /v2/positions") : broker.getPositions),
    listFills: (query) => faults.has(`listFills:${broker.account}`) ? unavailable(broker.account, "GET /v2/account/activities/FILL") : broker.listFills(query)
  })
  const brokers = Layer.effect(
    Brokers,
    Effect.gen(function*() {
      const local = yield* LocalExchange
      const accounts = DEFAULT_ACCOUNTS.map((a) => AccountId.make(a))
      return Brokers.of({ accounts, get: (id) => Effect.succeed(faulty(LocalExchange.broker(local, id))) })
    })
  )
  return AccountManager.layer.pipe(
    Layer.provideMerge(brokers),
    Layer.provideMerge(LocalExchange.layer(options)),
    Layer.provide(Layer.mergeAll(Database.layerSqlite(":memory:"), data, session)),
    Layer.provideMerge(present),
    Layer.fresh
  )
}

/** A scripted pitch: LONG for positive conviction, SHORT for negative, FLAT for zero. */
export const pitch = (pm: string, symbol: string, conviction: number): Pitch => ({
  pm: AccountId.make(pm),
  asOf: day,
  symbol: symbol as Pitch["symbol"],
  direction: conviction > 0 ? "LONG" : conviction < 0 ? "SHORT" : "FLAT",
  conviction,
  thesis: ["scripted"],
  riskProfile: "BASE",
  horizon: "1W",
  invalidation: "none",
  source: "test"
})

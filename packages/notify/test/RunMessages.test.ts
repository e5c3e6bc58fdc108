import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import {
  AccountExecution,
  AccountId,
  CouncilDecision,
  ExecutionReport,
  Order,
  OrderIntent,
  Pitch,
  RiskVerdict,
  TradingDay
} from "@council/domain"
import { formatLine, RunMessages } from "@council/notify"

const id = AccountId.make
const day = TradingDay.make("2024-11-15")

const pitch = Schema.decodeUnknownSync(Pitch)({
  pm: "CHATGPT",
  asOf: "2024-11-15",
  symbol: "SPY",
  direction: "LONG",
  conviction: 2,
  thesis: ["breadth improving", "trend intact"],
  riskProfile: "BASE",
  horizon: "1W",
  invalidation: "close below 580",
  source: "offline:momentum"
})

const decision = Schema.decodeUnknownSync(CouncilDecision)({
  asOf: "2024-11-15",
  trades: [
    { symbol: "SPY", direction: "LONG", conviction: 2, riskProfile: "BASE", horizon: "1W" },
    { symbol: "TLT", direction: "SHORT", conviction: -1, riskProfile: "TIGHT", horizon: "1D" },
    { symbol: "GLD", direction: "FLAT", conviction: 0, riskProfile: "BASE", horizon: "1D" }
  ],
  rationale: "Three of five PMs favour equities.",
  dissent: ["GROQ: rates risk"],
  votes: [],
  source: "offline:chairman"
})

const intent = (fields: Record<string, unknown>) =>
  Schema.decodeUnknownSync(OrderIntent)({
    account: "COUNCIL",
    symbol: "SPY",
    side: "buy",
    qty: 10,
    type: "market",
    timeInForce: "day",
    orderClass: "simple",
    clientOrderId: "c-1",
    reason: "council",
    ...fields
  })

const verdict = Schema.decodeUnknownSync(RiskVerdict)({
  asOf: "2024-11-15",
  cancels: [{ account: "COUNCIL", orderId: "o-9", symbol: "TLT", reason: "replaced by today's order" }],
  intents: [
    intent({ orderClass: "bracket", takeProfit: { limitPrice: 612.5 }, stopLoss: { stopPrice: 570.25 } }),
    intent({ symbol: "TLT", side: "sell", qty: 4.5, type: "limit", limitPrice: 0.98765, timeInForce: "cls" }),
    intent({ account: "CHATGPT", qty: 3 })
  ],
  rejections: [{ account: "COUNCIL", symbol: "QQQ", rule: "max-order-value", detail: "$30,000.00 > $25,000.00" }],
  clamps: [{ account: "COUNCIL", symbol: "SPY", rule: "max-position-pct", requested: 40, allowed: 10, detail: "20 % of equity" }]
})

const order = (fields: Record<string, unknown>) =>
  Schema.decodeUnknownSync(Order)({
    id: "o-1",
    clientOrderId: "c-1",
    symbol: "SPY",
    side: "buy",
    qty: 10,
    type: "market",
    timeInForce: "day",
    limitPrice: null,
    stopPrice: null,
    orderClass: "simple",
    status: "filled",
    filledQty: 10,
    filledAvgPrice: 590.125,
    submittedAt: "2024-11-15T20:45:00Z",
    filledAt: "2024-11-15T21:00:00Z",
    legs: [],
    ...fields
  })

const execution = (fields: Record<string, unknown>) =>
  Schema.decodeUnknownSync(AccountExecution)({
    account: "COUNCIL",
    status: "succeeded",
    orders: [],
    failures: [],
    canceled: 0,
    equity: 100_512.3,
    message: "",
    ...fields
  })

/** The council's message body for `decision` and `verdict`, line by line. */
const COUNCIL_BODY = [
  "Three of five PMs favour equities.",
  "dissent: GROQ: rates risk",
  "BUY 10 SPY market day · take profit 612.50 · stop loss 570.25",
  "SELL 4.5 TLT limit 0.9877 cls",
  "cancel TLT order o-9: replaced by today's order",
  "refused QQQ: max-order-value — $30,000.00 > $25,000.00",
  "clamped SPY: max-position-pct 40 → 10 — 20 % of equity"
]

describe("RunMessages", () => {
  it("runStarted names the run, the as-of day, the accounts and a dry run", () => {
    const message = RunMessages.runStarted({
      runId: "run-42",
      tradingDay: day,
      asOf: TradingDay.make("2024-11-14"),
      accounts: [id("CHATGPT"), id("COUNCIL")],
      dryRun: true,
      schedule: "after-close"
    })
    assert.deepStrictEqual(message, {
      level: "INFO",
      subject: "Run started 2024-11-15 (dry run)",
      body: "run run-42, data as of 2024-11-14, schedule after-close\n2 accounts: CHATGPT, COUNCIL"
    })
  })

  it("a PM's decision is its pitch with its thesis and its approved orders", () => {
    assert.deepStrictEqual(RunMessages.accountDecision({ account: id("CHATGPT"), pitch, verdict }), {
      level: "INFO",
      account: id("CHATGPT"),
      subject: "Decision LONG SPY · conviction +2 · BASE · 1W · 1 order",
      body: "breadth improving\ntrend intact\nBUY 3 SPY market day"
    })
  })

  it("the council's decision lists its trades, rationale, dissent, orders, cancels, refusals and clamps (WARN)", () => {
    const message = RunMessages.accountDecision({ account: id("COUNCIL"), decision, verdict })
    assert.strictEqual(message.level, "WARN")
    assert.strictEqual(message.subject, "Decision LONG SPY, SHORT TLT · 2 orders")
    assert.deepStrictEqual(message.body.split("\n"), COUNCIL_BODY)
  })

  it("accountDecisions gives every account its own message; an abstaining PM is a WARN with the reason", () => {
    const messages = RunMessages.accountDecisions({
      accounts: [id("CHATGPT"), id("GROQ"), id("COUNCIL")],
      pitches: [pitch],
      abstentions: [{ pm: id("GROQ"), reason: "timed out after 60 s" }],
      decision,
      verdict
    })
    assert.deepStrictEqual(messages.map(formatLine), [
      "[CHATGPT] INFO Decision LONG SPY · conviction +2 · BASE · 1W · 1 order — breadth improving | trend intact | BUY 3 SPY market day",
      "[GROQ] WARN Decision abstained · no orders — timed out after 60 s",
      `[COUNCIL] WARN Decision LONG SPY, SHORT TLT · 2 orders — ${COUNCIL_BODY.join(" | ")}`
    ])
  })

  it("an account refused as a whole (unreadable, its PM abstained) says nothing was traded, naming no symbol", () => {
    const unreadable = {
      ...verdict,
      intents: [],
      clamps: [],
      cancels: [],
      rejections: [{ account: id("GROQ"), symbol: "*", rule: "account-unavailable", detail: "could not read the account: GET /v2/account: 401 request is not authorized" }]
    }
    const message = RunMessages.accountDecision({ account: id("GROQ"), pitch: { ...pitch, pm: id("GROQ") }, verdict: unreadable })
    assert.strictEqual(message.level, "WARN")
    assert.deepStrictEqual(message.body.split("\n").at(-1), "nothing traded: account-unavailable — could not read the account: GET /v2/account: 401 request is not authorized")
  })

  it("closedAll: a LIVE account's line starts LIVE ·, a failed one's too; the subject and the paper accounts' lines are as they were", () => {
    const accounts = [
      { account: "CHATGPT", canceled: 2, closed: [{ symbol: "SPY", side: "sell", qty: 10 }], error: null },
      { account: "GROQ", canceled: null, closed: null, error: "GET /v2/positions: 503" },
      { account: "COUNCIL", canceled: 0, closed: [], error: null }
    ]
    const plain = RunMessages.closedAll({ via: "pnpm pipeline close-all", accounts })
    const marked = RunMessages.closedAll({ via: "pnpm pipeline close-all", accounts, live: ["GROQ", "COUNCIL"] })
    assert.strictEqual(marked.subject, plain.subject)
    assert.deepStrictEqual(marked.body.split("\n"), [
      "CHATGPT: 2 orders canceled; closed SELL 10 SPY",
      "LIVE · GROQ FAILED, still holds what it held: GET /v2/positions: 503",
      "LIVE · COUNCIL: 0 orders canceled; no position"
    ])
  })

  it("closedAll: a WARN with what each account canceled and closed; an ERROR naming the account that could not be closed", () => {
    const done = RunMessages.closedAll({
      via: "pnpm pipeline close-all",
      accounts: [
        { account: "CHATGPT", canceled: 2, closed: [{ symbol: "SPY", side: "sell", qty: 10 }, { symbol: "TLT", side: "buy", qty: 4.5 }], error: null },
        { account: "COUNCIL", canceled: 0, closed: [], error: null }
      ]
    })
    assert.deepStrictEqual(done, {
      level: "WARN",
      subject: "Close-all (pnpm pipeline close-all): 2 orders canceled, 2 positions closed",
      body: "CHATGPT: 2 orders canceled; closed SELL 10 SPY, BUY 4.5 TLT\nCOUNCIL: 0 orders canceled; no position"
    })
    const failed = RunMessages.closedAll({
      via: "the monitor's API",
      accounts: [
        { account: "GROQ", canceled: null, closed: null, error: "GET /v2/positions: 401 request is not authorized\nsecond line" },
        { account: "CLAUDE", canceled: 1, closed: [{ symbol: "QQQ", side: "sell", qty: 27 }], error: null }
      ]
    })
    assert.strictEqual(failed.level, "ERROR")
    assert.strictEqual(failed.subject, "Close-all (the monitor's API): 1 order canceled, 1 position closed, 1 of 2 accounts failed")
    assert.deepStrictEqual(failed.body.split("\n"), [
      "GROQ FAILED, still holds what it held: GET /v2/positions: 401 request is not authorized / second line",
      "CLAUDE: 1 order canceled; closed SELL 27 QQQ"
    ])
  })

  it("a flat council says FLAT", () => {
    const flat = { ...decision, trades: [], dissent: [] }
    const message = RunMessages.accountDecision({ account: id("COUNCIL"), decision: flat, verdict: { ...verdict, intents: [], rejections: [], clamps: [], cancels: [] } })
    assert.strictEqual(formatLine(message), "[COUNCIL] INFO Decision FLAT · no orders — Three of five PMs favour equities.")
  })

  it("executionResult shows fills, failures, cancels and equity (none when unread); a failed account is an ERROR", () => {
    const done = RunMessages.executionResult(execution({
      orders: [order({}), order({ id: "o-2", symbol: "TLT", side: "sell", qty: 5, status: "accepted", filledQty: 0, filledAvgPrice: null })],
      failures: [{ clientOrderId: "c-3", symbol: "QQQ", error: "insufficient buying power" }],
      canceled: 1
    }))
    assert.deepStrictEqual(done, {
      level: "WARN",
      account: id("COUNCIL"),
      subject: "Execution succeeded · 2 orders, 1 failed",
      body: [
        "BUY 10 SPY market → filled 10 @ 590.13",
        "SELL 5 TLT market → accepted",
        "failed QQQ (c-3): insufficient buying power",
        "canceled 1 open order",
        "equity $100,512.30"
      ].join("\n")
    })
    const failed = RunMessages.executionResult(execution({ status: "failed", equity: null, message: "HTTP 401 from the broker" }))
    assert.strictEqual(formatLine(failed), "[COUNCIL] ERROR Execution failed · 0 orders — HTTP 401 from the broker")
  })

  it("failure carries the error's tag and message", () => {
    class BrokerError extends Schema.TaggedError<BrokerError>()("BrokerError", { message: Schema.String }) {}
    assert.strictEqual(
      formatLine(RunMessages.failure({ what: "Execution", account: id("GEMINI"), error: new BrokerError({ message: "connection reset" }) })),
      "[GEMINI] ERROR Failed: Execution — BrokerError: connection reset"
    )
    assert.strictEqual(formatLine(RunMessages.failure({ what: "FetchData", error: "no bars for 2024-11-15" })), "ERROR Failed: FetchData — no bars for 2024-11-15")
  })

  it("failure says LIVE: a LIVE account's own starts LIVE ·, a run's names its LIVE accounts; a paper account's does not", () => {
    const live = ["CLAUDE"]
    assert.strictEqual(
      formatLine(RunMessages.failure({ what: "Execution", account: id("CLAUDE"), error: "connection reset", live })),
      "[CLAUDE] ERROR LIVE · Failed: Execution — connection reset"
    )
    assert.strictEqual(
      formatLine(RunMessages.failure({ what: "Execution", account: id("GEMINI"), error: "connection reset", live })),
      "[GEMINI] ERROR Failed: Execution — connection reset"
    )
    assert.strictEqual(
      formatLine(RunMessages.failure({ what: "run daily", error: "cutoff passed", live: ["CLAUDE", "GROQ"] })),
      "ERROR Failed: run daily · LIVE (real money): CLAUDE, GROQ — cutoff passed"
    )
    assert.strictEqual(formatLine(RunMessages.failure({ what: "run daily", error: "cutoff passed", live: [] })), "ERROR Failed: run daily — cutoff passed")
  })

  it("runSummary: per account orders, equity and day P&L against the previous equity, — where unknown", () => {
    const report = Schema.decodeUnknownSync(ExecutionReport)({
      asOf: "2024-11-15",
      dryRun: false,
      accounts: [
        execution({ account: "CHATGPT", orders: [order({}), order({ id: "o-2" })], equity: 100_512.3 }),
        execution({ account: "GEMINI", orders: [], equity: 99_000 }),
        execution({ account: "CLAUDE", orders: [order({})], equity: 50_000 }),
        execution({ account: "GROQ", status: "failed", equity: null, message: "HTTP 401" })
      ]
    })
    const summary = RunMessages.runSummary({ report, previousEquity: { CHATGPT: 100_000, GEMINI: 100_000 }, runId: "run-42" })
    assert.deepStrictEqual(summary, {
      level: "WARN",
      subject: "Run summary 2024-11-15 · 4 accounts, 3 orders, 1 failed",
      body: [
        "run run-42",
        "CHATGPT 2 orders · equity $100,512.30 · day P&L +$512.30 (+0.51 %)",
        "GEMINI 0 orders · equity $99,000.00 · day P&L −$1,000.00 (−1.00 %)",
        "CLAUDE 1 order · equity $50,000.00 · day P&L —",
        "GROQ FAILED: HTTP 401"
      ].join("\n")
    })
  })

  it("runSummary: a day P&L that rounds to zero cents has no sign (−$0.00 (−0.00 %) read as a loss)", () => {
    const report = Schema.decodeUnknownSync(ExecutionReport)({
      asOf: "2024-11-15",
      dryRun: false,
      accounts: [
        execution({ account: "CHATGPT", orders: [], equity: 100_000.1 }),
        execution({ account: "GEMINI", orders: [], equity: 99_999.996 })
      ]
    })
    // CHATGPT lost four tenths of a cent (a fee's rounding, say), GEMINI gained as much
    const summary = RunMessages.runSummary({ report, previousEquity: { CHATGPT: 100_000.104, GEMINI: 99_999.992 }, runId: "run-43" })
    assert.deepStrictEqual(summary.body.split("\n").slice(1), [
      "CHATGPT 0 orders · equity $100,000.10 · day P&L $0.00 (0.00 %)",
      "GEMINI 0 orders · equity $100,000.00 · day P&L $0.00 (0.00 %)"
    ])
  })
})

describe("missedSessions", () => {
  it("names each session with a run, and a long stretch without one in a single line", () => {
    const day = (d: string) => Schema.decodeSync(TradingDay)(d)
    const message = RunMessages.missedSessions({
      tradingDay: day("2026-01-09"),
      lastDay: day("2025-12-30"),
      lastRunId: "2025-12-30-7f7f201e",
      sessions: [
        { date: day("2025-12-31") },
        { date: day("2026-01-02") },
        { date: day("2026-01-05") },
        { date: day("2026-01-06"), note: "run 2026-01-06-0a1b2c3d stopped part-way (its process is gone)" },
        { date: day("2026-01-07") },
        { date: day("2026-01-08") }
      ]
    })
    assert.strictEqual(message.level, "WARN")
    assert.strictEqual(message.subject, "6 sessions without a completed run before 2026-01-09")
    // a run that stopped part-way may have sent orders: not "nothing was … sent"
    assert.strictEqual(message.body.split("\n")[0], "the last completed run is of 2025-12-30 (2025-12-30-7f7f201e); no run completed on (a run named may have sent orders before it stopped):")
    assert.deepStrictEqual(message.body.split("\n").slice(1, -1), [
      "2025-12-31 … 2026-01-05: no run (3 sessions)",
      "2026-01-06: run 2026-01-06-0a1b2c3d stopped part-way (its process is gone)",
      "2026-01-07: no run",
      "2026-01-08: no run"
    ])
  })

  it("says nothing was decided or sent only when no session had a run", () => {
    const day = (d: string) => Schema.decodeSync(TradingDay)(d)
    const message = RunMessages.missedSessions({ tradingDay: day("2026-01-07"), lastDay: day("2026-01-02"), lastRunId: "2026-01-02-7f7f201e", sessions: [{ date: day("2026-01-05") }, { date: day("2026-01-06") }] })
    assert.strictEqual(message.body.split("\n")[0], "the last completed run is of 2026-01-02 (2026-01-02-7f7f201e); nothing was decided or sent on:")
  })
})

import { assert, describe, it } from "@effect/vitest"
import { Ticker, TradingDay } from "@council/domain"
import { Baselines, Contest, RandomBaseline } from "@council/tracking"

const A = Ticker.make("AAA")
const B = Ticker.make("BBB")
const session = (date: string, a: number, b: number): Baselines.PaperSession => ({ date: TradingDay.make(date), closes: new Map([[A, a], [B, b]]) })
const SESSIONS = [session("2024-01-02", 100, 50), session("2024-01-03", 110, 50), session("2024-01-04", 110, 40), session("2024-01-05", 99, 44)]
const FILLS = { slippageBps: 10, commissionPerShare: 0.01, commissionMin: 1 }
/** Half in AAA, then all of it in BBB from the third session. */
const DAYS = [
  { date: SESSIONS[0]!.date, targets: [{ symbol: A, weight: 0.5 }], changes: [A] },
  { date: SESSIONS[1]!.date, targets: [{ symbol: A, weight: 0.5 }], changes: [] },
  { date: SESSIONS[2]!.date, targets: [{ symbol: B, weight: 1 }], changes: [A, B] },
  { date: SESSIONS[3]!.date, targets: [{ symbol: B, weight: 1 }], changes: [] }
]

describe("Baselines", () => {
  it("a paper account buys at the close plus slippage, pays commission, keeps its shares between changes and marks at each close", () => {
    const series = Baselines.paperAccount({ startingEquity: 10_000, sessions: SESSIONS, days: DAYS, fillModel: FILLS })
    // by hand: 50 shares of AAA at 100.10 (10 bp), commission max(1, 0.5) = 1
    const cash0 = 10_000 - 50 * 100.1 - 1
    assert.closeTo(series[0]!.equity, cash0 + 50 * 100, 1e-9)
    assert.closeTo(series[0]!.traded!, 50 * 100.1, 1e-9)
    assert.closeTo(series[1]!.equity, cash0 + 50 * 110, 1e-9)
    assert.strictEqual(series[1]!.traded, 0)
    // session 3: equity before = cash0 + 5500; sell 50 AAA at 109.89, buy (equity / 40) BBB at 40.04
    const before = cash0 + 50 * 110
    const qtyB = Math.round((before / 40) * 1e9) / 1e9
    // cash settles in cents after each fill, as the exchange's does
    const cents = (x: number) => Math.round(x * 100) / 100
    const cash2 = cents(cents(cash0 + 50 * 109.89 - 1) - qtyB * 40.04 - cents(Math.max(1, qtyB * 0.01)))
    assert.closeTo(series[2]!.equity, cash2 + qtyB * 40, 1e-6)
    assert.closeTo(series[3]!.equity, cash2 + qtyB * 44, 1e-6)
    assert.closeTo(series[3]!.grossExposure!, qtyB * 44, 1e-6)
  })

  it("under partialFillPct 40 an order fills as the compared accounts' day market orders do: 40 % in whole shares at the close, the rest expires", () => {
    const series = Baselines.paperAccount({ startingEquity: 10_000, sessions: SESSIONS, days: DAYS, fillModel: { ...FILLS, partialFillPct: 40 } })
    // by hand: the order for 50 AAA fills 20 at 100.10 (commission 1); the other 30 expire and are not bought later
    const cash0 = 10_000 - 20 * 100.1 - 1
    assert.closeTo(series[0]!.equity, cash0 + 20 * 100, 1e-9)
    assert.closeTo(series[0]!.traded!, 20 * 100.1, 1e-9)
    assert.closeTo(series[1]!.equity, cash0 + 20 * 110, 1e-9)
    assert.strictEqual(series[1]!.traded, 0)
    // session 3: equity before = cash0 + 2200 = 10197 → sell 8 of the 20 AAA at 109.89; of the 254.925 BBB wanted buy 101 at 40.04
    const cents = (x: number) => Math.round(x * 100) / 100
    const cash2 = cents(cents(cash0 + 8 * 109.89 - 1) - 101 * 40.04 - cents(Math.max(1, 101 * 0.01)))
    assert.closeTo(series[2]!.equity, cash2 + 12 * 110 + 101 * 40, 1e-6)
    assert.closeTo(series[2]!.traded!, 8 * 109.89 + 101 * 40.04, 1e-6)
    assert.closeTo(series[3]!.equity, cash2 + 12 * 99 + 101 * 44, 1e-6)
  })

  it("a change that cannot trade on a session without the symbol's bar trades on its next session with one", () => {
    // session 3 has no AAA bar (a gap in a feed): the switch AAA → BBB buys BBB then, and sells AAA on session 4,
    // at its close there; before, AAA's sale was dropped for good and the account held both from then on
    const gap = [SESSIONS[0]!, SESSIONS[1]!, { ...SESSIONS[2]!, closes: new Map([[B, 40]]) }, SESSIONS[3]!]
    const days = [DAYS[0]!, DAYS[1]!, { ...DAYS[2]!, targets: [{ symbol: B, weight: 0.5 }] }, { ...DAYS[3]!, targets: [{ symbol: B, weight: 0.5 }] }]
    const series = Baselines.paperAccount({ startingEquity: 10_000, sessions: gap, days, fillModel: FILLS })
    assert.strictEqual(series[3]!.traded, 50 * 98.9) // the 50 AAA sold at 99 less 10 bp
    // and it holds BBB alone: the shares bought on session 3 with half its equity there (AAA at its last close, 110)
    const qtyB = Math.round(((0.5 * (10_000 - 50 * 100.1 - 1 + 50 * 110)) / 40) * 1e9) / 1e9
    assert.closeTo(series[3]!.grossExposure!, qtyB * 44, 1e-6)
  })

  it("a session marked before its close (a run under `close`) is the account before that session's trades at those prices; one without marks at its close", () => {
    // the same trades as above; sessions 1 and 2 marked at their opens (AAA 105 and 104, BBB 51 and 45), session 3 at its close
    const marked = [
      SESSIONS[0]!,
      { ...SESSIONS[1]!, marks: new Map([[A, 105], [B, 51]]) },
      { ...SESSIONS[2]!, marks: new Map([[A, 104], [B, 45]]) },
      SESSIONS[3]!
    ]
    const series = Baselines.paperAccount({ startingEquity: 10_000, sessions: marked, days: DAYS, fillModel: FILLS })
    const closes = Baselines.paperAccount({ startingEquity: 10_000, sessions: SESSIONS, days: DAYS, fillModel: FILLS })
    // by hand: session 0 buys 50 AAA at 100.10 plus $1; session 1 holds them at AAA's 105; session 2, before its
    // trades, still the 50 AAA, at 104 (its trades at its close come after that moment)
    const cash0 = 10_000 - 50 * 100.1 - 1
    assert.closeTo(series[1]!.equity, cash0 + 50 * 105, 1e-9)
    assert.closeTo(series[1]!.grossExposure!, 50 * 105, 1e-9)
    assert.closeTo(series[2]!.equity, cash0 + 50 * 104, 1e-9)
    assert.closeTo(series[2]!.grossExposure!, 50 * 104, 1e-9)
    // the fills do not change: the same dollars traded, and session 3 (marked at its close) equal to the close-marked account's
    assert.deepStrictEqual(series.map((p) => p.traded), closes.map((p) => p.traded))
    assert.strictEqual(series[3]!.equity, closes[3]!.equity)
    assert.strictEqual(series[0]!.equity, closes[0]!.equity)
  })

  it("the random-entry baseline is seeded, trades only the targets it draws and reads no price before its session", () => {
    const input = { startingEquity: 10_000, sessions: SESSIONS, turnover: 50, exposure: 1, allowShort: false, seed: "s", fillModel: FILLS }
    const one = Baselines.randomEntry(input)
    assert.deepStrictEqual(Baselines.randomEntry(input), one)
    const targets = RandomBaseline.randomEntryTargets({ sessions: SESSIONS.map((s) => ({ date: s.date, symbols: [A, B] })), turnover: 50, exposure: 1, seed: "s" })
    assert.deepStrictEqual(one.map((p) => (p.traded ?? 0) > 0), targets.map((d) => d.changes.length > 0))
    // a later price change does not move earlier equity (no look-ahead)
    const changed = [...SESSIONS.slice(0, 3), session("2024-01-05", 1, 1)]
    assert.deepStrictEqual(Baselines.randomEntry({ ...input, sessions: changed }).slice(0, 3), one.slice(0, 3))
  })

  it("the mechanical vote's targets are equal weights over its trades and carry over sessions without a vote", () => {
    const days = Contest.voteTargets(SESSIONS, [
      { date: SESSIONS[0]!.date, trades: [{ symbol: A, direction: "LONG" }, { symbol: B, direction: "SHORT" }] },
      { date: SESSIONS[2]!.date, trades: [{ symbol: B, direction: "LONG" }] }
    ], 0.8)
    assert.deepStrictEqual(days[0]!.targets, [{ symbol: A, weight: 0.4 }, { symbol: B, weight: -0.4 }])
    assert.deepStrictEqual(days[1]!.changes, [])
    assert.deepStrictEqual(days[1]!.targets, days[0]!.targets)
    assert.deepStrictEqual(days[2]!.targets, [{ symbol: B, weight: 0.8 }])
    assert.deepStrictEqual(days[2]!.changes, [A, B])
  })
})

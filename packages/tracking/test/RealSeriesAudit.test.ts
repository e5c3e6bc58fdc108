/**
 * The metrics of real backtest series, recomputed by other methods than `Metrics`' own: an excerpt of a full-range
 * offline backtest's `equity --csv` (three accounts, 2020-01-31 … 2020-06-30: the crash of March 2020 and its
 * rebound), over every window of it that starts on one of its sessions, ten apart, and ends on another. Returns and
 * drawdowns from the cents themselves (a session is up when its cents are more than the previous one's), mean and
 * variance by Welford's one-pass update, the downside deviation as a hypotenuse, the drawdown by looking back over
 * every earlier session (O(n²)), the annualized return through log1p. A few figures of the whole excerpt are pinned
 * as an independent recomputation in Python (math.fsum) gave them.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { TradingDay } from "@council/domain"
import { Metrics } from "@council/tracking"

interface Row {
  readonly date: TradingDay
  readonly cents: bigint
  readonly equity: number
  readonly gross: number
  readonly traded: number
  readonly spy: number
}

const byAccount = (() => {
  const [, ...lines] = readFileSync(join(import.meta.dirname, "fixtures", "backtest-2020-excerpt.csv"), "utf8").trim().split("\n")
  const out = new Map<string, Array<Row>>()
  for (const line of lines) {
    const [account, date, equity, gross, traded, spy] = line.split(",")
    const [whole, fraction = ""] = equity!.split(".")
    const cents = BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, "0"))
    out.set(account!, [...(out.get(account!) ?? []), { date: TradingDay.make(date!), cents, equity: Number(equity), gross: Number(gross), traded: Number(traded), spy: Number(spy) }])
  }
  return out
})()

const metricsOf = (rows: ReadonlyArray<Row>, riskFree = 0) => {
  const result = Metrics.computeMetrics(
    rows.map((r) => ({ date: r.date, equity: r.equity, grossExposure: r.gross, traded: r.traded })),
    { benchmark: rows.map((r) => ({ date: r.date, close: r.spy })), riskFree }
  )
  if (Result.isFailure(result)) throw new Error(result.failure.message)
  return result.success
}

/**
 * What the README defines, by other means than `Metrics`' code; `riskFree` a year, a session's rate by logarithms
 * (e^(ln(1 + rf) / 252) − 1), the excess returns' mean as the returns' less it (their spread is the returns').
 */
const recomputed = (rows: ReadonlyArray<Row>, riskFree = 0) => {
  const rf = Math.expm1(Math.log1p(riskFree) / 252)
  const n = rows.length - 1
  const totalReturn = Number(rows[n]!.cents - rows[0]!.cents) / Number(rows[0]!.cents)
  let mean = 0
  let m2 = 0
  const downside: Array<number> = []
  for (let t = 1; t <= n; t++) {
    const r = rows[t]!.equity / rows[t - 1]!.equity - 1
    const delta = r - mean
    mean += delta / t
    m2 += delta * (r - mean)
    if (r < rf) downside.push(r - rf)
  }
  const sd = Math.sqrt(m2 / (n - 1))
  const dd = Math.hypot(...downside) / Math.sqrt(n)
  // every session t against the highest session before or at it (the first of equals), the deepest t first
  let depth = 0
  let peak = 0
  let trough = 0
  for (let t = 0; t <= n; t++) {
    let high = 0
    for (let s = 1; s <= t; s++) if (rows[s]!.cents > rows[high]!.cents) high = s
    const d = 1 - rows[t]!.equity / rows[high]!.equity
    if (d > depth) [depth, peak, trough] = [d, high, t]
  }
  const recovery = depth === 0 ? null : rows.slice(trough + 1).find((r) => r.cents >= rows[peak]!.cents)?.date ?? null
  const annualizedReturn = Math.expm1((252 / n) * Math.log1p(totalReturn))
  const up = rows.slice(1).filter((r, t) => r.cents > rows[t]!.cents).length
  const moved = rows.slice(1).filter((r, t) => r.cents !== rows[t]!.cents).length
  let turnover = 0
  let exposure = 0
  for (let t = n; t >= 1; t--) {
    turnover += rows[t]!.traded / rows[t - 1]!.equity
    exposure += rows[t]!.gross / rows[t]!.equity
  }
  const spyReturn = rows[n]!.spy / rows[0]!.spy - 1
  return {
    sessions: n,
    totalReturn,
    annualizedReturn,
    volatility: sd * Math.sqrt(252),
    sharpe: sd > 0 ? ((mean - rf) / sd) * Math.sqrt(252) : null,
    sortino: dd > 0 ? ((mean - rf) / dd) * Math.sqrt(252) : null,
    maxDrawdown: { depth, peak: rows[peak]!.date, trough: rows[trough]!.date, recovery },
    calmar: depth > 0 ? annualizedReturn / depth : null,
    winRateDays: moved > 0 ? up / moved : null,
    turnover: (turnover / n) * 252,
    averageExposure: exposure / n,
    excessReturn: totalReturn - spyReturn,
    pnl: Number(rows[n]!.cents - rows[0]!.cents) / 100
  }
}

const close = (actual: number | null, expected: number | null, what: string, tolerance = 1e-12) => {
  if (expected === null || actual === null) return assert.strictEqual(actual, expected, what)
  assert.closeTo(actual, expected, tolerance * Math.max(1, Math.abs(expected)), what)
}

describe("the metrics of a real backtest's series, recomputed", () => {
  it("agree over every window of the excerpt, ten sessions apart, for each of its accounts", () => {
    let windows = 0
    let recovered = 0
    for (const [account, rows] of byAccount) {
      for (let from = 0; from < rows.length - 1; from += 10) {
        for (let to = from + 2; to < rows.length; to += 10) {
          const window = rows.slice(from, to + 1)
          const m = metricsOf(window)
          const mine = recomputed(window)
          const what = `${account} ${window[0]!.date} … ${window[window.length - 1]!.date}`
          assert.strictEqual(m.sessions, mine.sessions, what)
          for (const key of ["totalReturn", "annualizedReturn", "volatility", "sharpe", "sortino", "calmar", "winRateDays", "turnover", "averageExposure", "excessReturn", "pnl"] as const) {
            close(m[key], mine[key], `${what} ${key}`, key === "sharpe" || key === "sortino" || key === "calmar" ? 1e-9 : 1e-12)
          }
          close(m.maxDrawdown.depth, mine.maxDrawdown.depth, `${what} drawdown`)
          assert.deepStrictEqual([m.maxDrawdown.peak, m.maxDrawdown.trough, m.maxDrawdown.recovery], [mine.maxDrawdown.peak, mine.maxDrawdown.trough, mine.maxDrawdown.recovery], what)
          windows++
          if (mine.maxDrawdown.recovery !== null) recovered++
        }
      }
    }
    // the windows cover drawdowns that recovered and ones that did not
    assert.isAbove(windows, 150)
    assert.isAbove(recovered, 10)
  })

  it("agree with a risk-free rate (COUNCIL_RISK_FREE=0.04): Sharpe and Sortino over the excess returns, the rest unchanged", () => {
    let windows = 0
    for (const [account, rows] of byAccount) {
      for (let from = 0; from < rows.length - 1; from += 10) {
        for (let to = from + 2; to < rows.length; to += 10) {
          const window = rows.slice(from, to + 1)
          const m = metricsOf(window, 0.04)
          const mine = recomputed(window, 0.04)
          const plain = metricsOf(window)
          const what = `${account} ${window[0]!.date} … ${window[window.length - 1]!.date}`
          assert.strictEqual(m.riskFree, 0.04, what)
          close(m.sharpe, mine.sharpe, `${what} Sharpe`, 1e-9)
          close(m.sortino, mine.sortino, `${what} Sortino`, 1e-9)
          // a positive rate lowers both (a sign-free check the recomputation could share a mistake with)
          if (m.sharpe !== null && plain.sharpe !== null) assert.isBelow(m.sharpe, plain.sharpe, what)
          for (const key of ["totalReturn", "annualizedReturn", "volatility", "calmar", "winRateDays", "turnover", "averageExposure", "excessReturn", "pnl"] as const) {
            assert.strictEqual(m[key], plain[key], `${what} ${key}`)
          }
          windows++
        }
      }
    }
    assert.isAbove(windows, 150)
  })

  it("over the whole excerpt: Sharpe, Sortino, volatility, drawdown and Calmar as Python's fsum gives them", () => {
    const expected = {
      CLAUDE: { sharpe: 0.521752920568152, sortino: 0.706022365509401, volatility: 0.154506333728381, depth: 0.0987226070482592, peak: "2020-04-28", trough: "2020-06-16", calmar: 0.72038496908674, win: 62 / 104 },
      DEEPSEEK: { sharpe: -2.59202348050271, sortino: -3.07602378011475, volatility: 0.16706118503901, depth: 0.247237117953325, peak: "2020-03-04", trough: "2020-04-28", calmar: -1.4588505142075, win: 42 / 104 },
      COUNCIL: { sharpe: -1.83498750892339, sortino: -2.36935264296107, volatility: 0.0348277162122544, depth: 0.0401065274802778, peak: "2020-03-09", trough: "2020-06-26", calmar: -1.55785070810168, win: 20 / 45 }
    } as const
    for (const [account, e] of Object.entries(expected)) {
      const m = metricsOf(byAccount.get(account)!)
      assert.strictEqual(m.sessions, 104)
      for (const [actual, want, what] of [[m.sharpe, e.sharpe, "Sharpe"], [m.sortino, e.sortino, "Sortino"], [m.volatility, e.volatility, "volatility"], [m.maxDrawdown.depth, e.depth, "drawdown"], [m.calmar, e.calmar, "Calmar"], [m.winRateDays, e.win, "win days"]] as const) {
        close(actual, want, `${account} ${what}`, 1e-13)
      }
      assert.deepStrictEqual([m.maxDrawdown.peak, m.maxDrawdown.trough, m.maxDrawdown.recovery], [e.peak, e.trough, null], account)
    }
  })
})

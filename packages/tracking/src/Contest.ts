/**
 * The council's contest: its paper-only baselines (the random-entry baseline at the council's turnover and
 * exposure, and the mechanical vote as a shadow account) and the attribution of the council against its best PM,
 * its median PM and those baselines, each difference with its 95 % interval.
 *
 * **When to use**: `Standings.leaderboardReport` adds it to every leaderboard (CLI, API, backtest report). Pure:
 * the caller reads the closes (`MarketData`) and the mechanical votes (`MechanicalVotes`).
 *
 * **Rules**
 * - The council account is `COUNCIL`; the PMs are the book's accounts named after a PM. Without the council or
 *   a PM there is no attribution (`note` says why).
 * - Both baselines start with the council's first equity, trade the sessions of the council's series through the
 *   fill model (`Baselines`), and are named `RANDOM` and `MECHANICAL`.
 * - Random entry: seeded by what defines the book (`randomSeed`: `live`, or a backtest's range, PM mode, schedule and
 *   accounts, never its id's random suffix: the same backtest run twice draws the same), long only, one slot, at the
 *   council's turnover and average exposure.
 * - Mechanical vote: after each session with a recorded vote, equal weights over its LONG/SHORT trades summing to
 *   the council's average exposure (fully invested when the council never held anything: a vote is still a
 *   vote); a session without a vote keeps the previous targets.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { COUNCIL, type Direction, PM_NAMES, type Ticker, type TradingDay } from "@council/domain"
import type { FillModelOptions } from "@council/exchange/FillModel"
import { paperAccount, type PaperSession, randomEntry } from "./Baselines.ts"
import * as Leaderboard from "./Leaderboard.ts"
import type { EquityPoint } from "./Metrics.ts"
import type { BaselineDay } from "./RandomBaseline.ts"

export const RANDOM = "RANDOM"
export const MECHANICAL = "MECHANICAL"

/** The mechanical vote recorded by a session's council synthesis. */
export interface MechanicalVoteDay {
  readonly date: TradingDay
  readonly trades: ReadonlyArray<{ readonly symbol: Ticker; readonly direction: Direction }>
}

export const ContestReport = Schema.Struct({
  /** The baselines' leaderboard against the same benchmark; `null` without a council series. */
  baselines: Schema.NullOr(Leaderboard.Leaderboard),
  attribution: Schema.NullOr(Leaderboard.Attribution),
  /** What the section covers, or why it is empty. */
  note: Schema.String
})
export type ContestReport = typeof ContestReport.Type

/** What defines a book, for its random baseline's seed (a `BookSummary`'s fields). */
export interface BookDefinition {
  readonly id: string
  readonly kind: "live" | "backtest"
  readonly from: string | null
  readonly to: string | null
  readonly params: unknown
}

const field = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined

/**
 * The fill model a backtest was started with (its book's `params.fillModel`), which its `--resume` fills with and its
 * baselines are simulated under; `undefined` for the live book and for backtests started before books recorded it.
 */
export const recordedFillModel = (book: BookDefinition): FillModelOptions | undefined =>
  Option.getOrUndefined(Schema.decodeUnknownOption(RecordedFillModel)(book.params))?.fillModel

/**
 * What a book's figures are net of, in one line (the backtest report and `leaderboard` say it above them): total
 * return, Sharpe and excess come from the equity, so after the fills' costs — a backtest's recorded fill model,
 * the live book's broker's own fills — and before the LLM cost, which net P&L alone subtracts. In every leaderboard
 * (`LeaderboardReport.costs`).
 */
export const costsLine = (book: BookDefinition): string => {
  const model = recordedFillModel(book)
  const fills = model === undefined
    ? book.kind === "live" ? "the broker's fills" : "the fills of its local exchange; its fill model was not recorded"
    : `this backtest's fill model: slippage ${model.slippageBps} bps, commission $${model.commissionPerShare}/share and at least $${model.commissionMin} a fill, ${
      model.partialFillPct ?? 100} % of a market order filled at each price`
  return `Total return, Sharpe and excess are after trading costs (${fills}) and before LLM costs, which net P&L alone subtracts`
}

const rate = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))

/** A fill model as a book's params record it (`FillModelOptions`). */
export const FillModelParams = Schema.Struct({
  slippageBps: rate,
  commissionPerShare: rate,
  commissionMin: rate,
  // as COUNCIL_PARTIAL_FILL_PCT takes it
  partialFillPct: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(100)))
})

const RecordedFillModel = Schema.Struct({ fillModel: FillModelParams })

/**
 * The seed text of a book's random baseline: `random-entry:live`, or for a backtest
 * `random-entry:backtest <from> <to> <pms> <schedule> <account,…>` (its accounts in the order it was started with),
 * from the parameters it was started with: two runs of the same command on the same data draw the same. `from` and
 * `to` are the first and last sessions of its range: those its parameters recorded when it started (`firstSession`,
 * `lastSession`), so the book draws the same however the market data grows later or whether it can be read; for a
 * book started before they were recorded, `sessions` (from the market data now) when given, else the range as
 * typed. A range typed from a Saturday and one typed from the Monday after are the same backtest and draw the same.
 * A book whose parameters say none of these (not started by the backtest command) falls back to its id.
 */
export const randomSeed = (
  book: BookDefinition,
  sessions?: { readonly first: TradingDay; readonly last: TradingDay } | undefined
): string => {
  if (book.kind === "live") return `random-entry:${book.id}`
  const pms = field(book.params, "pms")
  const schedule = field(book.params, "schedule")
  const accounts = field(book.params, "accounts")
  const ids = Array.isArray(accounts) ? accounts.map((a) => field(a, "id")).filter((id): id is string => typeof id === "string") : []
  if (typeof pms !== "string" || typeof schedule !== "string" || ids.length === 0 || book.from === null || book.to === null) {
    return `random-entry:${book.id}`
  }
  const first = field(book.params, "firstSession")
  const last = field(book.params, "lastSession")
  const span = typeof first === "string" && typeof last === "string" ? { first, last } : sessions
  return `random-entry:backtest ${span?.first ?? book.from} ${span?.last ?? book.to} ${pms} ${schedule} ${ids.join(",")}`
}

export interface ContestInput {
  /** The random baseline's seed text (`randomSeed`). */
  readonly seed: string
  readonly accounts: ReadonlyArray<Leaderboard.AccountSeries>
  readonly benchmark: Leaderboard.Benchmark
  /** The council's turnover and average exposure over the window (its leaderboard row). */
  readonly turnover: number | null
  readonly exposure: number | null
  readonly sessions: ReadonlyArray<PaperSession>
  /** `undefined` when no vote could be read ("—"). */
  readonly votes: ReadonlyArray<MechanicalVoteDay> | undefined
  readonly fillModel: FillModelOptions
  readonly riskFree?: number | undefined
}

/** Targets per session from the recorded votes (see the module's rules). */
export const voteTargets = (
  sessions: ReadonlyArray<PaperSession>,
  votes: ReadonlyArray<MechanicalVoteDay>,
  exposure: number
): ReadonlyArray<BaselineDay> => {
  const byDate = new Map(votes.map((v) => [v.date, v]))
  let previous = new Map<Ticker, number>()
  return sessions.map((session) => {
    const vote = byDate.get(session.date)
    if (vote === undefined) return { date: session.date, targets: [...previous].map(([symbol, weight]) => ({ symbol, weight })), changes: [] }
    const active = vote.trades.filter((t) => t.direction !== "FLAT" && session.closes.has(t.symbol))
    const targets = new Map<Ticker, number>()
    for (const t of active) targets.set(t.symbol, (targets.get(t.symbol) ?? 0) + (t.direction === "LONG" ? 1 : -1) * exposure / active.length)
    const changes = [...new Set([...previous.keys(), ...targets.keys()])].filter((s) => (previous.get(s) ?? 0) !== (targets.get(s) ?? 0)).sort()
    previous = targets
    return { date: session.date, targets: [...targets].map(([symbol, weight]) => ({ symbol, weight })), changes }
  })
}

const onSessions = (series: ReadonlyArray<EquityPoint>, sessions: ReadonlyArray<PaperSession>) => {
  const dates = new Set<string>(series.map((p) => p.date))
  return sessions.filter((s) => dates.has(s.date))
}

/** The baselines and the attribution of a book's accounts (see the module's rules). */
export const contest = (input: ContestInput): ContestReport => contestWithSeries(input).report

/**
 * `contest` with the daily series of its baselines as it ranked them (`RANDOM`, then `MECHANICAL` when votes were
 * read; none without a council series): what `equity --baselines` exports so a user can recompute their rows.
 */
export const contestWithSeries = (input: ContestInput): { readonly report: ContestReport; readonly series: ReadonlyArray<Leaderboard.AccountSeries> } => {
  const council = input.accounts.find((a) => a.account === COUNCIL)
  if (council === undefined || council.series.length < 2) {
    return { series: [], report: { baselines: null, attribution: null, note: `no ${COUNCIL} series of two sessions or more in this book: no baselines, no attribution` } }
  }
  const sessions = onSessions(council.series, input.sessions)
  const exposure = Math.max(0, Math.min(1, input.exposure ?? 1))
  const start = council.series[0]!.equity
  const random: Leaderboard.AccountSeries = {
    account: RANDOM,
    series: randomEntry({
      startingEquity: start,
      sessions,
      turnover: input.turnover ?? 0,
      exposure,
      allowShort: false,
      seed: input.seed,
      fillModel: input.fillModel
    })
  }
  const mechanical: Leaderboard.AccountSeries | undefined = input.votes === undefined ? undefined : {
    account: MECHANICAL,
    series: paperAccount({ startingEquity: start, sessions, days: voteTargets(sessions, input.votes, exposure > 0 ? exposure : 1), fillModel: input.fillModel })
  }
  const options = input.riskFree === undefined ? {} : { riskFree: input.riskFree }
  const baselines = Leaderboard.leaderboard({ accounts: [random, ...(mechanical ? [mechanical] : [])], benchmark: input.benchmark, ...options })
  const pms = input.accounts.filter((a) => (PM_NAMES as ReadonlyArray<string>).includes(a.account))
  const attribution = pms.length === 0
    ? Result.fail({ message: "no PM account in this book" })
    : Leaderboard.attribution({ council, pms, mechanical, random, ...options })
  const notes = [
    `${RANDOM}: random entry at ${COUNCIL}'s turnover (${(input.turnover ?? 0).toFixed(1)}×/yr) and exposure (${(exposure * 100).toFixed(0)} %), seeded, paper only`,
    mechanical ? `${MECHANICAL}: the recorded mechanical vote as a paper account` : `${MECHANICAL}: — (no recorded mechanical vote)`,
    ...(Result.isFailure(baselines) ? [`baselines: ${baselines.failure.message}`] : []),
    ...(Result.isFailure(attribution)
      ? [`attribution: ${attribution.failure.message}`]
      // the best PM is picked after the fact, by this window's ranking: luck counts for it, not against it
      : ["best and median PM: ranked by this window's Sharpe, after the fact (the best PM's luck counts for it: trailing it is weak evidence, beating it strong)"])
  ]
  const report = {
    baselines: Result.isSuccess(baselines) ? baselines.success : null,
    attribution: Result.isSuccess(attribution) ? attribution.success : null,
    note: notes.join("; ")
  }
  return { report, series: [random, ...(mechanical ? [mechanical] : [])] }
}

/**
 * A backtest's report: the data of a book (`reportData`: its settings, every account's equity and drawdown series
 * beside SPY, the leaderboard with its intervals, the baselines and the attribution) and one self-contained HTML
 * page of it (`renderHtml`: inline CSS and SVG charts, no script, no external asset), plus the JSON behind it
 * (`renderJson`).
 *
 * **When to use**: at the end of `pnpm pipeline backtest` (`report.html` and `report.json` beside its database),
 * and by the dashboard's backtest pages. Works for any book, the live one too.
 *
 * **Gotchas**
 * - The page is deterministic for a given book and data (no clock): rendering twice gives the same bytes.
 * - Every string from the book (label, settings) is HTML-escaped; the page loads nothing and runs nothing, so it
 *   opens offline and under a `default-src 'none'` content security policy.
 * - Charts draw every session (a long backtest gives large polylines, ~12 bytes a point per account); equity is on
 *   a log axis (its caption says so, its ticks are round: `ReportChart`), drawdowns on a linear one fitted to the
 *   accounts: SPY's drawdown is drawn beside theirs only when it is at most twice their deepest, and its deepest is
 *   written under the chart either way.
 * - A drawdown is a depth, written positive everywhere (the table's max drawdown, SPY's note, the chart's ticks:
 *   `depthTick`), though its curves fall below zero.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { decimalNumber, TradingDay } from "@council/domain"
import type { FillModelOptions } from "@council/exchange/FillModel"
import type * as Bootstrap from "./Bootstrap.ts"
import { MECHANICAL, RANDOM } from "./Contest.ts"
import { baselineCells, describeEstimate, drewIntervals, percentOfRate } from "./Leaderboard.ts"
import { depthTick, dollarTick, ESTIMATE_MARK, ESTIMATE_NOTE, fixed, MINUS, percent, signedPercent, windowCount } from "@council/domain/Figures.js"
import type { AccountMetrics } from "./Metrics.ts"
import { escape, type Line, lineChart } from "./ReportChart.ts"
import * as Standings from "./Standings.ts"
import { type BookId, BookSummary, LedgerError, TradeLedger } from "./TradeLedger.ts"

/** A paper baseline's daily series as the leaderboard ranks it (`Standings.leaderboardWithBaselines`). */
export const BaselineSeries = Schema.Struct({
  account: Schema.String,
  points: Schema.Array(Schema.Struct({ date: TradingDay, equity: Schema.Finite, grossExposure: Schema.Finite, traded: Schema.Finite }))
})
export type BaselineSeries = typeof BaselineSeries.Type

export const ReportData = Schema.Struct({
  book: BookSummary,
  equity: Standings.EquityReport,
  leaderboard: Standings.LeaderboardReport,
  /** The series of `leaderboard.contest.baselines` (`RANDOM`, `MECHANICAL`), so their rows can be recomputed. */
  baselines: Schema.Array(BaselineSeries)
})
export type ReportData = typeof ReportData.Type

export interface ReportOptions {
  readonly riskFree?: number
  readonly fillModel?: FillModelOptions
}

/** The report's data for `book` over every session it holds. */
export const reportData = (book: BookId, options: ReportOptions = {}) =>
  Effect.gen(function*() {
    const summary = yield* (yield* TradeLedger).book(book)
    if (Option.isNone(summary)) return yield* new LedgerError({ operation: "report", message: `no book ${book}` })
    const equity = yield* Standings.equityReport({ book })
    const { leaderboard, baselines } = yield* Standings.leaderboardWithBaselines({ book, ...options }, equity)
    const points = baselines.map(({ account, series }) => ({
      account,
      // each number as the decimal it stands for, as `equity --baselines` writes it (within a trillionth)
      points: series.map((p) => ({ date: p.date, equity: decimalNumber(p.equity), grossExposure: decimalNumber(p.grossExposure ?? 0), traded: decimalNumber(p.traded ?? 0) }))
    }))
    return { book: summary.value, equity, leaderboard, baselines: points } satisfies ReportData
  }).pipe(Effect.withSpan("BacktestReport.reportData", { attributes: { book } }))

/** The JSON behind the page. */
export const renderJson = (data: ReportData): string => JSON.stringify(Schema.encodeSync(ReportData)(data), null, 2)

// ---------------------------------------------------------------------------------------------------------------

// numbers as the CLI's tables and the dashboard write them (`Figures`): the minus sign, none on what rounds to zero
const pct = (x: number | null, digits = 1) => (x === null ? "—" : percent(x, digits))
const signed = (x: number) => signedPercent(x)
const num = (x: number | null, digits = 2) => (x === null ? "—" : fixed(x, digits))
const ratio = (x: number) => num(x)
/** Dollars and cents; an amount that rounds to zero cents has no sign (`$0.00`, never `−$0.00`), as the CLI writes it. */
const money = (x: number | null) => {
  if (x === null) return "—"
  const digits = Math.abs(x).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })
  return `${x < 0 && digits !== "0.00" ? MINUS : ""}$${digits}`
}
const estimate = (e: Bootstrap.Estimate, format: (x: number) => string) => escape(describeEstimate(e, format))

/**
 * Each account's colour, the same as the dashboard's (`apps/server/static/app.js`): every two tell apart, for a
 * reader with deuteranopia too (a test measures it); COUNCIL's is the darkest. Other accounts take the rest; the
 * benchmark is grey and dashed.
 */
const ACCOUNT_COLORS: ReadonlyMap<string, string> = new Map([
  ["CHATGPT", "#0072b2"], ["GEMINI", "#e69f00"], ["CLAUDE", "#009e73"], ["GROQ", "#e377c2"], ["DEEPSEEK", "#b91c1c"], ["COUNCIL", "#111827"]
])
const OTHER_COLORS = ["#65a30d", "#6d28d9", "#475569"]
const BENCHMARK_COLOR = "#6b7280"

const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, cls = "") =>
  `<div class="wide"><table${cls ? ` class="${cls}"` : ""}><thead><tr>${headers.map((h) => `<th>${escape(h)}</th>`).join("")}</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")
  }</tbody></table></div>`

/** One account's metrics; `estimated`: its LLM cost includes a worst case (`LeaderboardReport.llmCostEstimated`), marked `≈`. */
const metricsRow = (account: string, m: AccountMetrics, estimated: boolean) => {
  const mark = estimated ? ESTIMATE_MARK : ""
  return [
  escape(account),
  signed(m.totalReturn),
  signed(m.annualizedReturn),
  pct(m.volatility),
  num(m.sharpe),
  num(m.sortino),
  `${pct(m.maxDrawdown.depth)} <small>${m.maxDrawdown.peak} → ${m.maxDrawdown.trough}${m.maxDrawdown.recovery ? ` ↗ ${m.maxDrawdown.recovery}` : ""}</small>`,
  num(m.calmar),
  pct(m.winRateDays, 0),
  m.closedTrades === null || m.closedTrades === 0 ? "—" : `${pct(m.winRateTrades, 0)} of ${m.closedTrades}`,
  num(m.turnover, 1),
  pct(m.averageExposure, 0),
  m.excessReturn === null ? "—" : signed(m.excessReturn),
  m.llmCost === null ? "—" : `${mark}${money(m.llmCost)}`,
  m.pnlNetOfCost === null ? "—" : `${mark}${money(m.pnlNetOfCost)}`,
  String(m.sessions)
]
}

const METRIC_HEADERS = [
  "account", "total return", "annualized", "volatility", "Sharpe", "Sortino", "max drawdown (depth, peak → trough ↗ recovery)", "Calmar",
  "win days", "win trades", "turnover (×/yr)", "exposure", "excess vs SPY", "LLM cost", "net P&L", "n (daily returns)"
]

const leaderboardSection = (data: ReportData) => {
  const board = data.leaderboard.leaderboard
  // the verdict is the page's first line (`renderHtml`): not said again here
  if (board === null) return `<section id="leaderboard"><h2>Leaderboard</h2><p>—</p></section>`
  const estimated = new Set(data.leaderboard.llmCostEstimated)
  const rows = board.rows.map((r) => [
    r.rank === null ? "—" : String(r.rank),
    escape(r.account),
    estimate(r.totalReturn, signed),
    estimate(r.sharpe, ratio),
    estimate(r.excessReturn, signed),
    r.beatsBenchmark ? "yes" : "no",
    r.beatsBenchmarkFamilyWise ? "yes" : "no"
  ])
  return `<section id="leaderboard"><h2>Leaderboard</h2>
<p>${board.from} … ${board.to} · ${windowCount(board.sessions)} · ${escape(board.benchmark.name)} buy-and-hold ${signed(board.benchmark.totalReturn)} ·
${drewIntervals(board) ? `95 % intervals by stationary block bootstrap (${board.replicates} replicates, mean block length ${board.blockLength}, seed “${escape(board.seed)}”) ·
` : ""}Sharpe and Sortino over a risk-free rate of ${percentOfRate(board.riskFree)} a year</p>
<p id="costs">${escape(data.leaderboard.costs)}.</p>
${table(["rank", "account", "total return (95 % CI)", "Sharpe (95 % CI)", `excess vs ${board.benchmark.name} (95 % CI)`, "beats at 95 %", `… corrected for ${board.rows.length} accounts`], rows, "leaderboard")}
<h3>Metrics</h3>
${table(METRIC_HEADERS, board.rows.map((r) => metricsRow(r.account, r.metrics, estimated.has(r.account))), "metrics")}
${board.rows.some((r) => estimated.has(r.account) && r.metrics.llmCost !== null) ? `<p id="llm-estimated">${escape(ESTIMATE_NOTE)}</p>` : ""}
</section>`
}

const BASELINE_ORDER: ReadonlyArray<string> = [RANDOM, MECHANICAL]

/** The baselines in the order the contest's note describes them (RANDOM, then MECHANICAL), whatever their ranks. */
const baselineRows = <R extends { readonly account: string }>(rows: ReadonlyArray<R>): ReadonlyArray<R> => {
  const order = (r: R) => {
    const i = BASELINE_ORDER.indexOf(r.account)
    return i < 0 ? BASELINE_ORDER.length : i
  }
  return [...rows].sort((a, b) => order(a) - order(b))
}

const contestSection = (data: ReportData) => {
  const contest = data.leaderboard.contest
  if (contest === null) return `<section id="baselines"><h2>Baselines and attribution</h2><p>—</p></section>`
  const baselines = contest.baselines === null ? "" : table(
    // turnover and exposure as `leaderboard`'s BASELINE table and the dashboard show them: RANDOM's match COUNCIL's
    ["baseline", "total return (95 % CI)", "Sharpe (95 % CI)", `excess vs ${contest.baselines.benchmark.name} (95 % CI)`, "turnover (×/yr)", "exposure", "n (daily returns)"],
    baselineRows(contest.baselines.rows).map((r) => [r.account, ...baselineCells(r)].map(escape)),
    "baselines"
  )
  const attribution = contest.attribution === null ? "" : table(
    ["council against", "account", "Δ total return (95 % CI)", "Δ Sharpe (95 % CI)", "verdict"],
    contest.attribution.comparisons.map((c) => [
      escape(c.against),
      escape(c.account),
      estimate(c.totalReturn, signed),
      estimate(c.sharpe, ratio),
      escape(c.verdict)
    ]),
    "attribution"
  )
  return `<section id="baselines"><h2>Baselines and attribution</h2><p>${escape(contest.note)}</p>${baselines}${attribution}</section>`
}

const chartsSection = (data: ReportData) => {
  const dates = [...new Set(data.equity.accounts.flatMap((a) => a.points.map((p) => p.date)))].sort()
  const byAccount = data.equity.accounts.map((a, i) => {
    const points = new Map(a.points.map((p) => [p.date, p]))
    return { name: a.account, color: ACCOUNT_COLORS.get(a.account) ?? OTHER_COLORS[i % OTHER_COLORS.length]!, points }
  })
  // SPY scaled to the accounts' mean first equity, as the dashboard's chart scales it (`app.js`, `equityCharts`)
  const firsts = data.equity.accounts.map((a) => a.points[0]?.equity ?? 0)
  const start = firsts.reduce((a, b) => a + b, 0) / Math.max(1, firsts.length)
  const spy = data.equity.benchmark
  // SPY's value of each session: its price at the accounts' moment (its close where none was recorded)
  const spyMarks = new Map((spy?.points ?? []).map((p) => [p.date, p.mark]))
  const spyFirst = dates.map((d) => spyMarks.get(d)).find((c) => c !== undefined)
  const benchmark: ReadonlyArray<Line> = spy === null || spyFirst === undefined ? [] : [{
    name: `${spy.name} buy-and-hold`,
    color: BENCHMARK_COLOR,
    dashed: true,
    values: dates.map((d) => {
      const mark = spyMarks.get(d)
      return mark === undefined ? null : (start * mark) / spyFirst
    })
  }]
  const equityLines = byAccount.map((a): Line => ({ name: a.name, color: a.color, values: dates.map((d) => a.points.get(d)?.equity ?? null) }))
  const drawdownLines = byAccount.map((a): Line => ({ name: a.name, color: a.color, values: dates.map((d) => {
    const p = a.points.get(d)
    return p === undefined ? null : -p.drawdown
  }) }))
  const spyDrawdown = benchmark.length === 0 ? null : deepestDrawdown(dates, benchmark[0]!.values)
  // SPY's drawdown beside the accounts' only when it does not flatten theirs (twice their deepest at most)
  const accountsDeepest = Math.max(0, ...drawdownLines.flatMap((l) => l.values.map((v) => -(v ?? 0))))
  const spyDrawn = spyDrawdown !== null && (spyDrawdown.depth <= 2 * accountsDeepest || accountsDeepest === 0)
  const spyLine: ReadonlyArray<Line> = spyDrawdown === null || !spyDrawn ? [] : [{ ...benchmark[0]!, values: spyDrawdown.values }]
  const spyNote = spyDrawdown === null ? undefined : `${escape(benchmark[0]!.name)}’s deepest drawdown over these sessions: <span id="spy-drawdown">${
    pct(spyDrawdown.depth)}</span> (${spyDrawdown.peak} → ${spyDrawdown.trough})${
    spyDrawn ? ", drawn dashed" : "; not drawn: on its scale the accounts’ curves would be flat lines at the top"}.`
  return `<section id="charts"><h2>Equity and drawdown</h2>
${lineChart(dates, [...equityLines, ...benchmark], {
  title: `Equity per account, with ${spy?.name ?? "SPY"} buy-and-hold from the same start`,
  // whole dollars, or cents when ticks are closer than a dollar
  format: dollarTick,
  log: true
})}
${lineChart(dates, [...drawdownLines, ...spyLine], { title: "Drawdown from the running peak", format: depthTick, note: spyNote })}
</section>`
}

/** The deepest fall of `values` from its running peak (as a positive fraction) and its dates; each value's drawdown (≤ 0). */
const deepestDrawdown = (dates: ReadonlyArray<string>, values: ReadonlyArray<number | null>) => {
  let peak = 0
  let peakDate = dates[0]!
  let deepest = { depth: 0, peak: dates[0]!, trough: dates[0]! }
  const drawdowns = values.map((v, i) => {
    if (v === null) return null
    if (v > peak) (peak = v, peakDate = dates[i]!)
    const depth = 1 - v / peak
    if (depth > deepest.depth) deepest = { depth, peak: peakDate, trough: dates[i]! }
    return -depth
  })
  return { ...deepest, values: drawdowns }
}

const hasId = (value: unknown): value is { readonly id: string } =>
  value !== null && typeof value === "object" && typeof (value as { readonly id?: unknown }).id === "string"

/**
 * A profile's settings as "key: value" pairs joined by `separator`; a group named once before its own pairs
 * (`mode: PAPER · settings — maxOrderValue: 5000, maxPositions: 10`), not before each of its keys.
 */
const inWords = (value: object, separator: string): string =>
  Object.entries(value).map(([k, v]) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? `${k} — ${inWords(v, ", ")}`
      : `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`
  ).join(separator)

const settingsSection = (data: ReportData) => {
  const book = data.book
  const flat = (value: unknown, prefix: string): ReadonlyArray<readonly [string, string]> =>
    value !== null && typeof value === "object" && !Array.isArray(value)
      ? Object.entries(value).flatMap(([k, v]) => flat(v, prefix ? `${prefix}.${k}` : k))
      : Array.isArray(value) && value.length > 0 && value.every(hasId)
      // a list of profiles (the accounts'): one row each, its settings as "key: value" pairs rather than JSON
      ? value.map(({ id, ...rest }) => [`${prefix}: ${id}`, inWords(rest, " · ")] as const)
      : [[prefix, typeof value === "string" ? value : JSON.stringify(value)]]
  const rows: ReadonlyArray<readonly [string, string]> = [
    ["book", book.id],
    ["label", book.label],
    ["status", book.status],
    ["range requested", `${book.from ?? "?"} … ${book.to ?? "?"}`],
    ["sessions recorded", `${book.sessions} (${book.firstSession ?? "—"} … ${book.lastSession ?? "—"})`],
    ["accounts", String(book.accounts)],
    ["created", book.createdAt],
    ...flat(book.params, "")
  ]
  return `<section id="settings"><h2>Settings</h2>${table(["setting", "value"], rows.map(([k, v]) => [escape(k), escape(v)]), "settings")}</section>`
}

const finalSection = (data: ReportData) =>
  `<section id="accounts"><h2>Accounts</h2>${
    table(
      ["account", "first session", "last session", "start equity", "end equity", "sessions"],
      data.equity.accounts.map((a) => {
        const first = a.points[0]
        const last = a.points.at(-1)
        return [escape(a.account), first?.date ?? "—", last?.date ?? "—", money(first?.equity ?? null), money(last?.equity ?? null), String(a.points.length)]
      }),
      "accounts"
    )
  }</section>`

// a chart is never drawn narrower than 720 px (its 11 px labels at 8 px at least; 5 px on a phone otherwise): it
// scrolls sideways in its figure instead
const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}h1{font-size:22px}h2{font-size:18px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 6px;text-align:right;white-space:nowrap}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}small{color:#666}.verdict{font-weight:600}.note{color:#92400e}
figure{margin:12px 0;overflow-x:auto}figcaption{font-weight:600}svg{width:100%;min-width:720px;max-width:960px;height:auto}svg text{font-size:11px;fill:#444}
.frame{fill:none;stroke:#ccc}.grid{stroke:#eee}.legend span{margin-right:12px;white-space:nowrap}
.legend i{display:inline-block;width:14px;height:3px;margin-right:4px;vertical-align:middle;background:var(--c)}
.legend i.dashed{background:repeating-linear-gradient(90deg,var(--c) 0 4px,transparent 4px 7px)}.chart-note{color:#555;margin:4px 0}
.empty{color:#666}.wide{overflow-x:auto}th{white-space:normal}table.attribution td:last-child{white-space:normal;text-align:left}
table.settings td:last-child{white-space:normal;text-align:left;overflow-wrap:anywhere}
table.leaderboard :is(td,th):nth-child(2),table.attribution :is(td,th):nth-child(2),table.attribution th:last-child{text-align:left}`

/** Sessions of the book's span with no snapshot, as the leaderboard says them (`leaderboard`'s note); nothing when none. */
const unrecordedNote = (data: ReportData): string => {
  const unrecorded = data.leaderboard.unrecordedSessions
  return unrecorded === null ? "" : `<p class="note" id="unrecorded">Note: ${escape(unrecorded.note)}</p>`
}

/**
 * A backtest that did not complete (interrupted, or left `running` by a crash or still under way): its figures cover
 * the sessions recorded so far, and `backtest --resume` continues it. Nothing for a completed book or the live one.
 */
const statusNote = (data: ReportData): string => {
  const book = data.book
  if (book.kind !== "backtest" || book.status === "completed") return ""
  const resume = `pnpm pipeline backtest --resume ${book.id}`
  const how = book.status === "running" ? `If no process runs it any more (a crash), continue it with: ${resume}` : `Continue it with: ${resume}`
  return `<p class="note" id="book-status">This backtest is ${escape(book.status)}: ${book.sessions} sessions recorded (${book.firstSession ?? "—"} … ${
    book.lastSession ?? "—"}) of ${book.from ?? "?"} … ${book.to ?? "?"}; every figure below covers those alone. ${escape(how)}</p>`
}

/** The report as one self-contained HTML page (see the module's gotchas). */
export const renderHtml = (data: ReportData): string =>
  `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Council backtest ${escape(data.book.id)}</title><style>${CSS}</style></head>
<body><h1>Council backtest ${escape(data.book.id)} <small>${escape(data.book.label)}</small></h1>
${statusNote(data)}
<p class="verdict">${escape(data.leaderboard.verdict)}</p>
${unrecordedNote(data)}
${leaderboardSection(data)}
${chartsSection(data)}
${contestSection(data)}
${finalSection(data)}
${settingsSection(data)}
</body></html>
`

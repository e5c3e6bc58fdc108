// The leaderboard's cards: the ranking with its intervals, and the contest (the paper baselines and COUNCIL's
// attribution), each from /api/leaderboard's answer.
import { card, colorOf, ESTIMATE_MARK, ESTIMATE_NOTE, h, num, pct, signed, usd } from "./dom.js"
import { windowCount } from "./figures.js"

/**
 * An account's name beside a swatch of its colour: the name in the page's ink (the lighter colours, as text on white,
 * would be too faint to read), the swatch telling which line of the charts is its.
 */
export const named = (account) => h("span", { class: "named" }, h("i", { class: "swatch", style: `--c:${colorOf(account)}`, "aria-hidden": "true" }), account)

/** A 95 % interval as a whisker on a shared scale with its estimate, and the interval's bounds on a line below. */
export function interval(estimate, scale, format) {
  if (!estimate || estimate._tag !== "Interval") {
    const point = estimate?._tag === "TooFewSessions" ? estimate.estimate : null
    return h("span", { class: "ci muted" }, point === null ? "—" : [format(point), h("span", { class: "range" }, "too few daily returns")])
  }
  const w = 64, px = (v) => Math.max(0, Math.min(w, ((v - scale.lo) / (scale.hi - scale.lo)) * w))
  const color = estimate.lower > 0 ? "#15803d" : estimate.upper < 0 ? "#b91c1c" : "#64748b"
  return h("span", { class: "ci", title: `95 % CI ${format(estimate.lower)} … ${format(estimate.upper)} (n = ${estimate.sessions} daily returns, block ${estimate.blockLength})` },
    // drawn in its viewBox: a narrow screen's CSS may draw it smaller (the leaderboard on a 1024 px laptop)
    h("svg:svg", { width: w, height: 12, viewBox: `0 0 ${w} 12`, style: "vertical-align:middle;margin-right:6px", "aria-hidden": "true" },
      h("svg:line", { x1: px(0), x2: px(0), y1: 0, y2: 12, stroke: "#cbd5e1" }),
      h("svg:line", { x1: px(estimate.lower), x2: px(estimate.upper), y1: 6, y2: 6, stroke: color, "stroke-width": 2 }),
      h("svg:circle", { cx: px(estimate.estimate), cy: 6, r: 3, fill: color })),
    format(estimate.estimate), h("span", { class: "range" }, `[${format(estimate.lower)}, ${format(estimate.upper)}]`))
}

/** The scale of the intervals of `rows`' `key` (and 0), a little wider: each row's interval drawn on it. */
export const boundsOf = (rows, key) => {
  const xs = rows.flatMap((r) => r[key]._tag === "Interval" ? [r[key].lower, r[key].upper] : []).concat([0])
  const lo = Math.min(...xs), hi = Math.max(...xs), pad = (hi - lo) * 0.05 || 0.01
  return { lo: lo - pad, hi: hi + pad }
}

/**
 * Whether the council earns its keep (`report.contest`, as `leaderboard` prints it): the paper baselines (RANDOM at
 * COUNCIL's turnover and exposure, MECHANICAL: the recorded mechanical vote) and COUNCIL against its PMs and
 * baselines, each difference with its interval and verdict. `null` when there is none.
 */
export function contestCard(report) {
  const contest = report.contest
  if (!contest) return null
  const baselines = contest.baselines
  const attribution = contest.attribution
  const head = (titles) => h("thead", {}, h("tr", {}, titles.map((t, i) => h("th", { class: i > 3 ? "num" : "" }, t))))
  return card("Baselines and attribution",
    h("p", { class: "muted" }, contest.note),
    baselines === null ? null : h("div", { class: "scroll" }, h("table", { id: "baselines" },
      head(["Baseline", "Total return", "Sharpe", `Excess vs ${baselines.benchmark.name}`, "Turnover (×/yr)", "Exposure", "n (daily returns)"]),
      h("tbody", {}, baselines.rows.map((r) => h("tr", { "data-account": r.account },
        h("td", {}, r.account),
        h("td", {}, interval(r.totalReturn, boundsOf(baselines.rows, "totalReturn"), (v) => signed(v))),
        h("td", {}, interval(r.sharpe, boundsOf(baselines.rows, "sharpe"), (v) => num(v))),
        h("td", {}, interval(r.excessReturn, boundsOf(baselines.rows, "excessReturn"), (v) => signed(v))),
        h("td", { class: "num" }, num(r.metrics.turnover, 1)),
        h("td", { class: "num" }, pct(r.metrics.averageExposure, 0)),
        h("td", { class: "num" }, r.metrics.sessions)))))),
    attribution === null ? null : [
      h("div", { class: "scroll" }, h("table", { id: "attribution" },
        head(["COUNCIL against", "Account", "Δ total return", "Δ Sharpe"]),
        h("tbody", {}, attribution.comparisons.map((c) => h("tr", { "data-against": c.against },
          h("td", {}, c.against),
          h("td", {}, c.account),
          h("td", {}, interval(c.totalReturn, boundsOf(attribution.comparisons, "totalReturn"), (v) => signed(v))),
          h("td", {}, interval(c.sharpe, boundsOf(attribution.comparisons, "sharpe"), (v) => num(v)))))))),
      h("ul", { id: "attribution-verdicts" }, attribution.comparisons.map((c) => h("li", {}, c.verdict)))
    ])
}

/**
 * Whether `row` beats the benchmark at 95 % (its excess interval above 0, the report's "beats at 95 %") and, below,
 * whether that holds family-wise (Bonferroni over the board's accounts, `beatsBenchmarkFamilyWise`): a winner that
 * does not is one chance alone could explain. "—" on a board too short to rank.
 */
const beatsCell = (row, board) => {
  if (row.excessReturn._tag !== "Interval") return h("td", { class: "beats muted" }, "—")
  if (!row.beatsBenchmark) return h("td", { class: "beats" }, "no")
  const k = board.rows.length
  return h("td", { class: "beats" }, "yes", k > 1
    ? h("span", { class: "range", title: `its excess interval at 1 − 0.05 / ${k} (Bonferroni over the ${k} accounts) ${row.beatsBenchmarkFamilyWise ? "is" : "is not"} above 0` },
      row.beatsBenchmarkFamilyWise ? "family-wise too" : "not family-wise")
    : null)
}

export function leaderboardCard(report) {
  const board = report.leaderboard
  // a backtest whose market data moved since it ran, as `leaderboard --backtest` warns (the API's `dataChanged`)
  const moved = report.dataChanged === undefined ? null : h("p", { class: "warning", id: "data-changed" }, `Warning: ${report.dataChanged}.`)
  if (board === null) return card("Leaderboard", moved, h("div", { class: "verdict" }, report.verdict))
  const bounds = (key) => boundsOf(board.rows, key)
  const tr = bounds("totalReturn"), ex = bounds("excessReturn"), sh = bounds("sharpe")
  // the accounts whose LLM cost includes the worst case of calls whose usage is unknown, as the API says
  const estimated = new Set(report.llmCostEstimated)
  // the bootstrap's settings only above intervals it drew (none under 20 daily returns), as the CLI says them
  const drawn = board.rows.some((r) => [r.totalReturn, r.sharpe, r.excessReturn].some((e) => e._tag === "Interval"))
  return card("Leaderboard",
    moved,
    h("div", { class: "verdict", id: "verdict" }, board.ranked ? "" : "Unranked: ", report.verdict),
    h("p", { class: "muted" }, `${board.from} … ${board.to} · ${windowCount(board.sessions)} · ${board.benchmark.name} buy-and-hold ${signed(board.benchmark.totalReturn)} · ${drawn ? `95 % intervals by stationary block bootstrap (${board.replicates} replicates, mean block ${board.blockLength}, seed “${board.seed}”) · ` : ""}Sharpe and Sortino over a risk-free rate of ${Number((board.riskFree * 100).toFixed(2))} % a year`),
    // what the figures are net of, as leaderboard and the report say it
    h("p", { class: "muted", id: "costs" }, `${report.costs}.`),
    h("div", { class: "scroll" }, h("table", { id: "leaderboard" },
      h("thead", {}, h("tr", {}, ["#", "Account", "Total return", "Sharpe", `Excess vs ${board.benchmark.name}`, `Beats ${board.benchmark.name}`, "Max DD", "Vol", "Win days", "Turnover (×/yr)", "LLM cost", "n (daily returns)"].map((t, i) => h("th", { class: i === 5 ? "beats" : i > 5 ? "num" : "" }, t)))),
      h("tbody", {}, board.rows.map((r) => h("tr", { "data-account": r.account },
        h("td", {}, r.rank ?? "—"),
        h("td", {}, named(r.account)),
        h("td", {}, interval(r.totalReturn, tr, (v) => signed(v))),
        h("td", {}, interval(r.sharpe, sh, (v) => num(v))),
        h("td", {}, interval(r.excessReturn, ex, (v) => signed(v))),
        beatsCell(r, board),
        h("td", { class: "num" }, pct(r.metrics.maxDrawdown.depth)),
        h("td", { class: "num" }, pct(r.metrics.volatility)),
        h("td", { class: "num" }, pct(r.metrics.winRateDays, 0)),
        h("td", { class: "num" }, num(r.metrics.turnover, 1)),
        h("td", { class: "num llm-cost" }, report.llmCostRecorded
          ? [`${estimated.has(r.account) ? ESTIMATE_MARK : ""}${usd(r.metrics.llmCost)}`, h("span", { class: "range", title: "total return net of LLM cost" }, `net ${signed(r.metrics.returnNetOfCost, 2)}`)]
          : "—"),
        h("td", { class: "num" }, r.metrics.sessions)))))),
    board.rows.some((r) => estimated.has(r.account) && r.metrics.llmCost !== null)
      ? h("p", { class: "muted", id: "llm-estimated" }, ESTIMATE_NOTE)
      : null,
    report.unrecordedSessions
      ? h("p", { class: "warning", id: "unrecorded" }, `Note: ${report.unrecordedSessions.note}`)
      : null)
}

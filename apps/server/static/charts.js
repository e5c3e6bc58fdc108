// The page's charts: hand-drawn SVG line charts (linear or log), their legends, and the equity and drawdown cards.

import { BENCHMARK_COLOR, card, colorOf, h, pct, SVG } from "./dom.js"
import { depthTick, dollarTick } from "./figures.js"

/** Evenly rounded tick values covering [lo, hi]. */
function ticks(lo, hi, count = 5) {
  const span = hi - lo || Math.abs(hi) || 1
  const step0 = span / count
  const mag = 10 ** Math.floor(Math.log10(step0))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0)
  const out = []
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)))
  return out
}

/** Ticks for a log axis over [lo, hi] (lo > 0): 1, 2 and 5 times the powers of ten there, else even ones. */
function logTicks(lo, hi) {
  const out = []
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** e).toPrecision(12))
      if (v >= lo && v <= hi) out.push(v)
    }
  }
  return out.length >= 3 ? out : ticks(lo, hi)
}

/** Whether every value of `series` is positive: what a log axis needs. */
const positive = (series) => series.every((s) => s.points.every((p) => p.value > 0))

/** A chart's height for its width: `ratio` of it, within [min, max] px. */
const heightFor = (width, ratio, min, max) => Math.round(Math.min(max, Math.max(min, width * ratio)))

/** The pixels from one date label of a chart's x axis to the next, at least. */
const DATE_GAP = 110

/**
 * A line chart over sessions. `series`: [{ name, color, dashed, points: [{ date, value }] }]. The <svg> carries
 * its scales (data-y0/y1: the value domain, data-top/bottom: its pixels; data-dates: the x categories;
 * data-scale: `log` when y0/y1 are natural logs of the values, else `linear`) so its drawing can be checked
 * against the data. `log`: a log axis when every value is positive (equal ratios, equal heights: a long
 * backtest's curves are not squashed by the largest one).
 */
export function lineChart(series, { width = 1000, height = 280, format = (v) => v, id, log = false, label = "" } = {}) {
  // `format(value, step)`: step is the distance between ticks, so labels carry the digits that tell them apart.
  // `width`: the pixels it is shown across (`fitted`), so its labels are their CSS size on a phone as on a desktop.
  const m = { top: 12, right: 16, bottom: 28, left: 72 }
  const dates = [...new Set(series.flatMap((s) => s.points.map((p) => p.date)))].sort()
  const logScale = log && positive(series)
  const scaled = logScale ? Math.log : (v) => v
  const values = series.flatMap((s) => s.points.map((p) => scaled(p.value)))
  if (dates.length === 0) return h("p", { class: "empty" }, "nothing recorded yet")
  let lo = values.reduce((a, v) => Math.min(a, v), Infinity), hi = values.reduce((a, v) => Math.max(a, v), -Infinity)
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.01 || 0.01
  lo -= pad; hi += pad
  const top = m.top, bottom = height - m.bottom, left = m.left, right = width - m.right
  const column = new Map(dates.map((d, i) => [d, i]))
  const x = (date) => dates.length === 1 ? (left + right) / 2 : left + (column.get(date) / (dates.length - 1)) * (right - left)
  const y = (v) => bottom - ((scaled(v) - lo) / (hi - lo)) * (bottom - top)
  const svg = h("svg:svg", {
    // a screen reader names the chart by what it shows and the sessions it spans (its numbers are the tables')
    viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", id, "aria-label": `${label}, ${dates[0]} to ${dates.at(-1)} (${dates.length} sessions): ${series.map((s) => s.name).join(", ")}`,
    "data-scale": logScale ? "log" : "linear",
    "data-y0": lo, "data-y1": hi, "data-top": top, "data-bottom": bottom, "data-left": left, "data-right": right,
    "data-dates": dates.join(",")
  })
  const grid = h("svg:g", { class: "grid" })
  const marks = logScale ? logTicks(Math.exp(lo), Math.exp(hi)) : ticks(lo, hi)
  const gaps = marks.slice(1).map((t, i) => t - marks[i])
  const step = gaps.length > 0 ? Math.min(...gaps) : Math.abs(hi - lo) || 1
  for (const t of marks) {
    grid.append(h("svg:line", { x1: left, x2: right, y1: y(t), y2: y(t) }))
    grid.append(h("svg:text", { x: left - 8, y: y(t) + 4, "text-anchor": "end", class: "tick" }, format(t, step)))
  }
  // a date label is ~65 px wide at 11 px: one every DATE_GAP px at most, none within DATE_GAP px of the last one (right-aligned)
  const every = Math.max(1, Math.ceil(dates.length / Math.max(1, Math.floor((right - left) / DATE_GAP))))
  dates.forEach((d, i) => {
    const lastLabel = i === dates.length - 1
    if ((i % every === 0 && x(d) < right - DATE_GAP) || lastLabel) {
      grid.append(h("svg:text", { x: x(d), y: height - 8, "text-anchor": lastLabel ? "end" : i === 0 ? "start" : "middle" }, d))
    }
  })
  svg.append(grid)
  for (const s of series) {
    const points = s.points.map((p) => `${x(p.date).toFixed(2)},${y(p.value).toFixed(2)}`).join(" ")
    svg.append(h("svg:polyline", {
      points, fill: "none", stroke: s.color, "stroke-width": s.dashed ? 1.5 : 2, "stroke-dasharray": s.dashed ? "5 4" : null,
      "stroke-linejoin": "round", "data-series": s.name
    }, h("svg:title", {}, s.name)))
    // One session draws no line: its point is a dot, so the chart is not empty.
    if (s.points.length === 1) {
      const [p] = s.points
      svg.append(h("svg:circle", { cx: x(p.date), cy: y(p.value), r: 4, fill: s.color, "data-series": s.name }, h("svg:title", {}, `${s.name} ${p.date}: ${format(p.value, 0.01)}`)))
    }
  }
  if (dates.length === 1) svg.append(h("svg:text", { x: (left + right) / 2, y: top + 14, "text-anchor": "middle", class: "note" }, "one session so far: curves start with the second"))
  return svg
}

/**
 * A chart drawn by `draw(width)` at the width its box is shown at, and drawn again when that changes (a window
 * resized, a phone turned): a chart scaled down from a wider drawing shrinks its labels past reading and one wider
 * than the screen hides its latest sessions. Drawn at once at `guess` px, so the chart is there as soon as its card.
 */
export function fitted(draw, guess) {
  const box = h("div", { class: "chart" })
  let drawn = Math.max(320, Math.floor(guess))
  box.append(draw(drawn))
  new ResizeObserver(([entry]) => {
    const width = Math.floor(entry.contentRect.width)
    if (width <= 0 || width === drawn) return
    drawn = width
    // next frame: a chart drawn inside the observer's callback would resize the box it observes
    requestAnimationFrame(() => box.replaceChildren(draw(width)))
  }).observe(box)
  return box
}

/** The width a card of the page's main column gives its content, as the style sheet lays it out. */
const cardWidth = () => {
  const view = document.getElementById("view")
  const style = getComputedStyle(view)
  const inner = view.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
  return inner - (window.matchMedia("(max-width: 600px)").matches ? 26 : 38)
}

export const legend = (series) =>
  h("div", { class: "legend" }, series.map((s) => h("span", { style: `--c:${s.color}` }, h("i", { class: s.dashed ? "dashed" : "" }), s.name)))

/** A column of `/api/equity/chart` (a value per date, `null` where there is none) as the points it has. */
export const pointsOf = (dates, column) => column.flatMap((value, i) => value === null ? [] : [{ date: dates[i], value }])

/** 1 − equity / its running maximum, at each point (as `/api/equity` gives it). */
function drawdownsOf(points) {
  let peak = 0
  return points.map((p) => {
    peak = Math.max(peak, p.value)
    return { date: p.date, value: peak > 0 ? 1 - p.value / peak : 0 }
  })
}

/** The deepest of `drawdowns` (from `drawdownsOf(points)`): its depth, the session of its peak and of its trough. */
function deepestOf(points, drawdowns) {
  let top = points[0], deepest = { depth: 0, peak: points[0].date, trough: points[0].date }
  drawdowns.forEach((d, i) => {
    if (points[i].value > top.value) top = points[i]
    if (d.value > deepest.depth) deepest = { depth: d.value, peak: top.date, trough: d.date }
  })
  return deepest
}

/**
 * SPY's drawdown by the backtest report's rule (`BacktestReport`): drawn dashed beside the accounts' only when its
 * deepest is at most twice theirs (deeper, it would flatten their curves into lines at the top), its deepest always
 * said. `bench`: SPY's marks; `deepestOfAccounts`: the accounts' deepest drawdown. `null` without SPY.
 */
function benchmarkDrawdown(name, bench, deepestOfAccounts) {
  if (bench.length === 0) return null
  const drawdowns = drawdownsOf(bench)
  const deepest = deepestOf(bench, drawdowns)
  const drawn = deepest.depth <= 2 * deepestOfAccounts || deepestOfAccounts === 0
  const line = `${name} buy-and-hold`
  return {
    series: drawn ? [{ name: line, color: BENCHMARK_COLOR, dashed: true, points: drawdowns.map((p) => ({ date: p.date, value: -p.value })) }] : [],
    note: h("p", { class: "muted", id: "spy-drawdown" }, `${line}’s deepest drawdown over these sessions: `, h("span", { class: "depth" }, pct(deepest.depth)),
      ` (${deepest.peak} → ${deepest.trough})${drawn ? ", drawn dashed" : "; not drawn: on its scale the accounts’ curves would be flat lines at the top"}.`)
  }
}

export function equityCharts(chart) {
  const accounts = chart.accounts.map((a) => ({ name: a.account, color: colorOf(a.account), points: pointsOf(chart.dates, a.equity) }))
  const series = [...accounts]
  const bench = chart.benchmark === null ? [] : pointsOf(chart.dates, chart.benchmark.closes)
  if (bench.length > 0 && accounts.length > 0) {
    const starts = accounts.map((a) => a.points[0]?.value ?? 0)
    const base = starts.reduce((x, y) => x + y, 0) / starts.length
    const first = bench[0].value
    series.push({ name: `${chart.benchmark.name} buy-and-hold (scaled)`, color: BENCHMARK_COLOR, dashed: true, points: bench.map((p) => ({ date: p.date, value: (p.value / first) * base })) })
  }
  const accountDrawdowns = accounts.map((a) => ({ ...a, points: drawdownsOf(a.points).map((p) => ({ date: p.date, value: -p.value })) }))
  const deepestOfAccounts = accountDrawdowns.reduce((m, a) => a.points.reduce((n, p) => Math.max(n, -p.value), m), 0)
  const spy = chart.benchmark === null || accounts.length === 0 ? null : benchmarkDrawdown(chart.benchmark.name, bench, deepestOfAccounts)
  const drawdowns = [...accountDrawdowns, ...(spy?.series ?? [])]
  // a log axis spaces its dollars unevenly: the card's title says so, not only the screen reader's label
  const log = positive(series)
  const equity = (width) => lineChart(series, {
    width, height: heightFor(width, 0.28, 260, 360), id: "equity-chart", label: `Equity of each account${log ? ", log scale" : ""}`, log,
    // the report's tick labels (`figures.js`): whole dollars, or cents when ticks are closer than a dollar
    format: dollarTick
  })
  const drawdown = (width) => lineChart(drawdowns, {
    width, height: heightFor(width, 0.2, 200, 260), id: "drawdown-chart", label: "Drawdown of each account from its running peak",
    // drawn below zero, labelled by depth: a drawdown is written positive everywhere (Max DD, the report)
    format: depthTick
  })
  return [
    card(log ? "Equity (log scale)" : "Equity", fitted(equity, cardWidth()), legend(series)),
    card("Drawdown", fitted(drawdown, cardWidth()), legend(drawdowns), spy?.note ?? null)
  ]
}

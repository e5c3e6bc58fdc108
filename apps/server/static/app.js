// Council monitor: a dependency-free page over the monitor API (same origin). Charts are hand-drawn SVG.
// Every number on the page comes from the API; nothing is fetched from anywhere else.

import { BENCHMARK_COLOR, badge, card, colorOf, dollars, ESTIMATE_NOTE, h, money, moreButton, ms, num, PALETTE, pct, signed, SVG, tone, usd, usdOf } from "./dom.js"
import { contestCard, leaderboardCard } from "./standings.js"

const view = document.getElementById("view")
const bookSelect = document.getElementById("book")

/** Cancels what the page the user left still asks for (`route` replaces it at each navigation). */
let leaving = new AbortController()

/**
 * The API's answer to a GET of `path` for the page shown now: its request is cancelled when the user goes elsewhere
 * (`whole`: never). A failure throws an Error with its message and, when the API answered, its `status` and `tag`.
 */
async function api(path, whole = false) {
  const res = await fetch(path, { headers: { accept: "application/json" }, ...(whole ? {} : { signal: leaving.signal }) })
  const body = await res.json().catch(() => null)
  if (!res.ok) throw Object.assign(new Error(body?.message ?? `${res.status} ${res.statusText}`), { status: res.status, tag: body?._tag })
  return body
}

/**
 * Why an answer did not come, in words: stored data that does not read back (`Damaged`) is damage, which asking
 * again will not mend; a store that did not answer (`Unavailable`: busy, locked, unreachable) may answer next time.
 */
const failure = (error) =>
  error.tag === "Damaged" ? `damaged: ${error.message}`
  : error.tag === "Unavailable" ? `the store did not answer (try again): ${error.message}`
  : error.message

/** A run's status; a `running` run whose process is gone says `stopped` (or `abandoned`) and, on hover, what to do. */
const runStatus = (r) =>
  !r.activity || r.activity.state === "in-progress" ? badge(r.status) : h("span", { title: r.activity.next ?? "" }, badge(r.activity.state))

/**
 * The accounts a run's execution failed (or could not evaluate), from its summary's `failedAccounts` (`/api/runs`,
 * as `runs` says it): a run that ends so is `completed` — every stage ran — though `run daily` exited 1 and the next
 * run of that day retries them. `null` when none failed.
 */
function failedAccounts(r) {
  const failed = r.failedAccounts
  if (!failed) return null
  const { accounts, of } = failed
  return h("span", { class: "neg failed-accounts", title: `run the day again to retry ${accounts.length === 1 ? "it" : "them"}: pnpm pipeline run daily --date ${r.tradingDay}` },
    ` ${accounts.length} of ${of} ${of === 1 ? "account" : "accounts"} failed: ${accounts.join(", ")}`)
}

let book = ""
const bookQuery = (sep = "?") => book === "" ? "" : `${sep}backtest=${encodeURIComponent(book)}`

// --- charts ----------------------------------------------------------------------------------------------------

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

/** Digits after the point that tell ticks `step` apart when shown as `scale` × value (100 for percent). */
const decimalsFor = (step, scale = 1) => Math.max(0, Math.ceil(-Math.log10(step * scale) + 1e-9))

/**
 * A line chart over sessions. `series`: [{ name, color, dashed, points: [{ date, value }] }]. The <svg> carries
 * its scales (data-y0/y1: the value domain, data-top/bottom: its pixels; data-dates: the x categories;
 * data-scale: `log` when y0/y1 are natural logs of the values, else `linear`) so its drawing can be checked
 * against the data. `log`: a log axis when every value is positive (equal ratios, equal heights: a long
 * backtest's curves are not squashed by the largest one).
 */
function lineChart(series, { height = 280, format = (v) => v, id, log = false } = {}) {
  // `format(value, step)`: step is the distance between ticks, so labels carry the digits that tell them apart.
  const width = 1000
  const m = { top: 12, right: 16, bottom: 28, left: 72 }
  const dates = [...new Set(series.flatMap((s) => s.points.map((p) => p.date)))].sort()
  const logScale = log && series.every((s) => s.points.every((p) => p.value > 0))
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
    viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", id, "data-scale": logScale ? "log" : "linear",
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
  const every = Math.max(1, Math.ceil(dates.length / 8))
  dates.forEach((d, i) => {
    const lastLabel = i === dates.length - 1
    if ((i % every === 0 && i + every * 0.8 < dates.length - 1) || lastLabel) {
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

const legend = (series) =>
  h("div", { class: "legend" }, series.map((s) => h("span", { style: `--c:${s.color}` }, h("i", { class: s.dashed ? "dashed" : "" }), s.name)))

// --- views -----------------------------------------------------------------------------------------------------

function accountCards(accounts, chart) {
  const byAccount = new Map(chart.accounts.map((a) => [a.account, pointsOf(chart.dates, a.equity)]))
  return h("div", { class: "accounts", id: "accounts" }, accounts.map((a) => {
    const points = (byAccount.get(a.account) ?? []).map((p) => ({ date: p.date, equity: p.value }))
    const last = points.at(-1), prev = points.at(-2)
    const day = last && prev ? last.equity / prev.equity - 1 : null
    return h("div", { class: "card account", style: `--c:${colorOf(a.account)}`, "data-account": a.account },
      h("div", { class: "name" }, a.account, badge(a.error ? "error" : a.mode)),
      a.snapshot
        ? [h("div", { class: "equity" }, money(a.snapshot.equity)),
          h("div", { class: "sub" }, `cash ${money(a.snapshot.cash)} · ${a.snapshot.positions.length} position${a.snapshot.positions.length === 1 ? "" : "s"}`),
          h("div", { class: `sub ${tone(day, 2)}` }, day !== null ? `last session ${signed(day, 2)}` : last ? `one session in the ledger (${last.date})` : "no ledger history")]
        : h("div", { class: "sub neg" }, a.error))
  }))
}

/** A column of `/api/equity/chart` (a value per date, `null` where there is none) as the points it has. */
const pointsOf = (dates, column) => column.flatMap((value, i) => value === null ? [] : [{ date: dates[i], value }])

/** 1 − equity / its running maximum, at each point (as `/api/equity` gives it). */
function drawdownsOf(points) {
  let peak = 0
  return points.map((p) => {
    peak = Math.max(peak, p.value)
    return { date: p.date, value: peak > 0 ? 1 - p.value / peak : 0 }
  })
}

function equityCharts(chart) {
  const accounts = chart.accounts.map((a) => ({ name: a.account, color: colorOf(a.account), points: pointsOf(chart.dates, a.equity) }))
  const series = [...accounts]
  const bench = chart.benchmark === null ? [] : pointsOf(chart.dates, chart.benchmark.closes)
  if (bench.length > 0 && accounts.length > 0) {
    const starts = accounts.map((a) => a.points[0]?.value ?? 0)
    const base = starts.reduce((x, y) => x + y, 0) / starts.length
    const first = bench[0].value
    series.push({ name: `${chart.benchmark.name} buy-and-hold (scaled)`, color: BENCHMARK_COLOR, dashed: true, points: bench.map((p) => ({ date: p.date, value: (p.value / first) * base })) })
  }
  const drawdowns = accounts.map((a) => ({ ...a, points: drawdownsOf(a.points).map((p) => ({ date: p.date, value: -p.value })) }))
  return [
    card("Equity", lineChart(series, { id: "equity-chart", log: true, format: (v, step) => dollars(v, decimalsFor(step)) }), legend(series)),
    card("Drawdown", lineChart(drawdowns, { id: "drawdown-chart", height: 200, format: (v, step) => pct(Math.abs(v) < 1e-12 ? 0 : v, decimalsFor(step, 100)) }), legend(drawdowns))
  ]
}

/** A run whose stored record does not read back: listed in its place, saying what is wrong. */
const damagedRow = (r) => h("tr", { "data-run": r.id, class: "damaged" },
  h("td", {}, r.id),
  h("td", {}, r.tradingDay ?? "?"),
  h("td", {}, badge("damaged")),
  h("td", { colspan: "5", class: "neg" }, r.damage))

function timeline(runs) {
  if (runs.length === 0) return h("p", { class: "empty" }, "no runs yet — start one with: pnpm pipeline run daily")
  const longest = Math.max(1, ...runs.map((r) => r.durationMs ?? 0))
  return h("table", { class: "timeline", id: "runs", "data-longest": longest },
    h("thead", {}, h("tr", {}, ["Run", "Day", "Status", "Mode", "Started", "Duration", "LLM cost", "Stages"].map((t) => h("th", { class: t === "LLM cost" ? "num" : "" }, t)))),
    h("tbody", {}, runs.map(runRow(longest))))
}

/** A run's row of the timeline, its bar's length relative to `longest` (a later page's, to its first page's). */
const runRow = (longest) => (r) => r.damage !== undefined ? damagedRow(r) : h("tr", { "data-run": r.id },
      h("td", { class: "id" }, h("a", { href: `#/runs/${encodeURIComponent(r.id)}` }, r.id)),
      h("td", { class: "id" }, r.tradingDay),
      h("td", {}, runStatus(r), failedAccounts(r)),
      h("td", {}, r.dryRun ? badge("dry-run") : r.mode, r.imported ? " · imported" : "", r.parentRunId ? ` · fork of ${r.parentRunId}` : ""),
      h("td", { class: "id" }, r.startedAt.replace("T", " ").slice(0, 19)),
      h("td", {}, ms(r.durationMs)),
      h("td", { class: "num llm-cost" }, r.llmCost === null ? "—" : usdOf(r.llmCost.totalUsd, r.llmCost.estimatedUsd)),
      h("td", {}, h("div", { class: "bar", style: `width:${Math.min(100, Math.max(30, ((r.durationMs ?? longest) / longest) * 100))}%` })))

/** A card saying what it waits for; `fill` replaces it with what arrives, or with why it could not. */
const pending = (title, what) => card(title, h("p", { class: "muted loading" }, what))

async function fill(slots, title, load, render) {
  try {
    const value = await load
    const done = [render(value)].flat()
    slots[0].replaceWith(...done)
    slots.slice(1).forEach((slot) => slot.remove())
  } catch (error) {
    slots[0].replaceWith(card(title, h("p", { class: "neg error" }, `Could not load: ${failure(error)}`)))
    slots.slice(1).forEach((slot) => slot.remove())
  }
}

/**
 * The book's overview. Each part shows as soon as its answer arrives: a long backtest's leaderboard (bootstrap
 * intervals over thousands of sessions) can take many seconds the first time, and its curves need not wait for it.
 */
async function overview() {
  const live = book === ""
  if (!live) {
    // a book the server does not hold (a mistyped or stale link) is said as such, not as each card's failure
    showBooks(await api(`/api/backtests?limit=${PAGE.backtests}`))
    if (book !== "latest" && !(await knownBook(book))) {
      view.replaceChildren(h("h1", {}, "Unknown backtest"), card(null, h("p", { class: "neg", id: "unknown-book" },
        `There is no backtest “${book}” on this server (a mistyped or stale link?). `, h("a", { href: "#/backtests" }, "All backtests →"))))
      return
    }
  }
  const shown = live ? undefined : bookShown()
  const equity = api(`/api/equity/chart${bookQuery()}`)
  const runs = live ? api("/api/runs?limit=12") : null
  const slots = {
    accounts: live ? [pending("Accounts", "Asking each broker…")] : [],
    board: [pending("Leaderboard", "Computing the leaderboard and its 95 % intervals…")],
    charts: [pending("Equity", "Loading the equity series…"), pending("Drawdown", "Loading…")],
    runs: live ? [pending("Recent runs", "Loading…")] : []
  }
  view.replaceChildren(
    h("h1", {}, live ? "Live book" : `Backtest ${book}`),
    shown === undefined || shown.status === "completed" ? null : h("p", { class: "warning", id: "book-status" },
      `This backtest is ${shown.status}: ${shown.sessions} of the sessions from ${shown.from ?? "?"} to ${shown.to ?? "?"} recorded so far; what follows covers them alone. `,
      (resumeHint(shown) ?? "").replace(/^./, (c) => c.toUpperCase())),
    h("div", { class: "grid" }, ...slots.accounts, ...slots.board, ...slots.charts, ...slots.runs))
  await Promise.all([
    live ? fill(slots.accounts, "Accounts", Promise.all([api("/api/accounts"), equity]), ([accounts, series]) => card("Accounts", accountCards(accounts, series))) : null,
    fill(slots.board, "Leaderboard", api(`/api/leaderboard${bookQuery()}`), (report) => [leaderboardCard(report), contestCard(report)].filter((c) => c !== null)),
    fill(slots.charts, "Equity", equity, equityCharts),
    live ? fill(slots.runs, "Recent runs", runs, (list) => {
      setTimeout(() => fillStageBars(list))
      return card("Recent runs", timeline(list), stageLegend(), h("p", {}, h("a", { href: "#/runs" }, "all runs →")))
    }) : null
  ])
}

/** How many runs, and backtests, a page of the dashboard asks for at a time. */
const PAGE = { runs: 100, backtests: 50 }

async function runsPage() {
  const runs = await api(`/api/runs?limit=${PAGE.runs}`)
  setTimeout(() => fillStageBars(runs.slice(0, 30)))
  const table = timeline(runs)
  let last = runs.at(-1)?.id
  const older = async () => {
    const page = await api(`/api/runs?limit=${PAGE.runs}&before=${encodeURIComponent(last)}`)
    table.querySelector("tbody").append(...page.map(runRow(Number(table.dataset.longest))))
    last = page.at(-1)?.id ?? last
    return page.length === PAGE.runs
  }
  return [h("h1", {}, "Runs"), card(null, table, runs.length === PAGE.runs ? moreButton("more-runs", "Older runs", older) : null, stageLegend())]
}

const STAGES = ["Reconcile", "FetchData", "PmPitches", "PeerReview", "CouncilSynthesis", "RiskApproval", "Execution"]
const stageColor = (name) => PALETTE[(STAGES.indexOf(name) + PALETTE.length) % PALETTE.length]
const stageLegend = () => legend(STAGES.map((name) => ({ name, color: stageColor(name) })))

/**
 * Each run's bar shows its stages' durations (colour per stage, hatched when missing) once its detail loads. A run
 * whose detail does not read back (a checkpoint's stored output missing or edited: the API's `Damaged`) says so in
 * its row: its status there is `damaged`, as opening it would say. Any other failure (the connection, the store busy:
 * `Unavailable`, a run gone) leaves the row as it is, the bar saying why on hover.
 */
function fillStageBars(runs) {
  for (const r of runs.filter((r) => r.damage === undefined)) {
    const row = () => view.querySelector(`tr[data-run="${CSS.escape(r.id)}"]`)
    api(`/api/runs/${encodeURIComponent(r.id)}?outputs=none`).then((d) => {
      row()?.querySelector(".bar")?.replaceChildren(...stageBar(d.stages).children)
    }).catch((error) => {
      const tr = row()
      // cancelled: the user left the page (the rows of the page now shown are their own page's)
      if (!tr || error.name === "AbortError") return
      if (error.tag !== "Damaged") return tr.querySelector(".bar")?.setAttribute("title", `stages not loaded: ${failure(error)}`)
      tr.classList.add("damaged")
      tr.children[2]?.replaceChildren(badge("damaged"))
      tr.querySelector(".bar")?.replaceWith(h("span", { class: "neg" }, error.message))
    })
  }
}

function stageBar(stages) {
  const total = stages.reduce((a, s) => a + (s.durationMs ?? 0), 0) || 1
  return h("div", { class: "bar" }, stages.map((s) => h("span", {
    class: s.status === "missing" ? "missing" : "",
    style: `--c:${stageColor(s.name)};width:${s.status === "missing" ? 6 : Math.max(2, ((s.durationMs ?? 0) / total) * 100)}%`,
    title: `${s.name}: ${s.status} ${ms(s.durationMs)}`
  })))
}

const json = (value) => h("details", {}, h("summary", {}, "raw JSON"), h("pre", {}, JSON.stringify(value, null, 2)))

function pitchesTable(pitches) {
  if (!pitches) return h("p", { class: "empty" }, "no pitches recorded")
  return [
    h("table", { id: "pitches" },
      h("thead", {}, h("tr", {}, ["PM", "Symbol", "Direction", "Conviction", "Risk", "Horizon", "Thesis", "Source"].map((t) => h("th", {}, t)))),
      h("tbody", {}, (pitches.pitches ?? []).map((p) => h("tr", {},
        h("td", {}, p.pm), h("td", {}, p.symbol), h("td", {}, p.direction), h("td", { class: "num" }, p.conviction),
        h("td", {}, p.riskProfile), h("td", {}, p.horizon),
        h("td", {}, h("ul", { class: "thesis" }, (p.thesis ?? []).map((t) => h("li", {}, t)))), h("td", { class: "muted" }, p.source))))),
    (pitches.abstentions ?? []).length > 0
      ? h("p", { class: "muted" }, "Abstained: ", pitches.abstentions.map((a) => `${a.pm} (${a.reason})`).join("; "))
      : null
  ]
}

const tradesText = (trades) => (trades ?? []).length === 0 ? "flat" : trades.map((x) => `${x.direction} ${x.symbol} (conviction ${x.conviction}, ${x.riskProfile}, ${x.horizon})`).join("; ")

/** One side of the council's decision: its trades, rationale and dissent (and, for the chairman, its plan). */
function decisionSide(id, title, side, extra = []) {
  return h("div", { id },
    h("h3", {}, title),
    h("dl", { class: "kv" },
      h("dt", {}, "Trades"), h("dd", { class: "trades" }, tradesText(side.trades)),
      h("dt", {}, "Rationale"), h("dd", {}, side.rationale ?? "—"),
      h("dt", {}, "Dissent"), h("dd", {}, (side.dissent ?? []).length === 0 ? "—" : h("ul", { class: "thesis" }, side.dissent.map((d) => h("li", {}, d)))),
      ...extra))
}

/** The council's decision beside the mechanical vote (its shadow baseline), and whether they trade alike. */
function decisionBlock(decision, shadow) {
  if (!decision) return h("p", { class: "empty" }, "no decision recorded")
  const plan = (decision.monitoring ?? []).length === 0 ? [] : [h("dt", {}, "Monitoring"), h("dd", {}, h("ul", { class: "thesis" }, decision.monitoring.map((m) => h("li", {}, m))))]
  const decided = decisionSide("decision", `Decision · ${decision.source ?? "?"}`, decision, plan)
  if (!shadow) return [decided, h("p", { class: "muted" }, "No mechanical vote stored beside this decision.")]
  return [
    h("p", { id: "shadow-verdict" }, shadow.agrees
      ? badge("agrees")
      : badge("differs"), shadow.agrees ? " The mechanical vote trades the same symbols the same way." : " The mechanical vote would have traded differently.",
      shadow.fallback ? h("span", { class: "neg" }, ` ${shadow.fallback}.`) : null),
    h("div", { class: "grid cols-2" }, decided, decisionSide("shadow", "Mechanical vote (shadow)", shadow))
  ]
}

/** Each reviewer's ranking of the others' anonymous pitches, and the Borda count over them. */
function reviewsBlock(reviews) {
  if (!reviews) return h("p", { class: "empty" }, "no peer review recorded")
  return [
    h("div", { class: "grid cols-2" },
      h("table", { id: "borda" },
        h("thead", {}, h("tr", {}, ["#", "PM", "Borda points", "Ballots"].map((t, i) => h("th", { class: i > 1 ? "num" : "" }, t)))),
        h("tbody", {}, reviews.aggregate.map((a, i) => h("tr", { "data-pm": a.pm },
          h("td", {}, i + 1), h("td", {}, h("span", { style: `color:${colorOf(a.pm)};font-weight:600` }, a.pm)), h("td", { class: "num" }, a.points), h("td", { class: "num" }, a.ballots))))),
      h("table", { id: "ballots" },
        h("thead", {}, h("tr", {}, ["Reviewer", "Ranking, best first", "Source"].map((t) => h("th", {}, t)))),
        h("tbody", {}, reviews.ballots.map((b) => h("tr", { "data-reviewer": b.reviewer },
          h("td", {}, b.reviewer),
          h("td", { title: b.rationale }, b.ranking.join(" › "), h("span", { class: "range" }, b.rationale)),
          h("td", { class: "muted" }, b.source)))))),
    reviews.abstentions.length > 0 ? h("p", { class: "muted" }, "Did not rank: ", reviews.abstentions.map((a) => `${a.pm} (${a.reason})`).join("; ")) : null
  ]
}

/** What the run spent on LLMs: who (each PM, the chairman) by stage, with the calls and totals. */
function llmCostsBlock(costs) {
  if (!costs) return h("p", { class: "empty" }, "no LLM spend recorded (offline PMs, or a run imported from elsewhere)")
  const stages = costs.byStage.map((s) => s.stage)
  const cell = (actor, stage) => {
    const lines = costs.lines.filter((l) => l.actor === actor && l.stage === stage)
    if (lines.length === 0) return h("td", { class: "num muted" }, "—")
    const calls = lines.reduce((a, l) => a + l.calls, 0)
    const cost = usdOf(lines.reduce((a, l) => a + l.costUsd, 0), lines.reduce((a, l) => a + l.estimatedUsd, 0))
    return h("td", { class: "num", "data-stage": stage }, cost, h("span", { class: "range" }, `${calls} call${calls === 1 ? "" : "s"}`))
  }
  const estimated = costs.lines.reduce((a, l) => a + l.estimatedCalls, 0)
  return [
    h("table", { id: "llm-costs" },
      h("thead", {}, h("tr", {}, h("th", {}, "Who"), h("th", {}, "Model"), ...stages.map((s) => h("th", { class: "num" }, s)), h("th", { class: "num" }, "Total"))),
      h("tbody", {}, costs.byActor.map((a) => h("tr", { "data-actor": a.actor },
        h("td", {}, a.actor),
        h("td", { class: "muted" }, [...new Set(costs.lines.filter((l) => l.actor === a.actor).map((l) => l.model))].join(", ")),
        ...stages.map((stage) => cell(a.actor, stage)),
        h("td", { class: "num total" }, usdOf(a.costUsd, a.estimatedUsd))))),
      h("tfoot", {}, h("tr", {}, h("th", {}, "Total"), h("th", {}, ""), ...costs.byStage.map((s) => h("th", { class: "num" }, usdOf(s.costUsd, s.estimatedUsd))), h("th", { class: "num", id: "llm-total" }, usdOf(costs.totalUsd, costs.estimatedUsd))))),
    estimated > 0 ? h("p", { class: "muted", id: "llm-estimated" }, `${ESTIMATE_NOTE}: ${estimated} ${estimated === 1 ? "call" : "calls"}, ${usd(costs.estimatedUsd)} of the total.`) : null
  ]
}

function verdictsBlock(v) {
  if (!v) return h("p", { class: "empty" }, "no risk verdict recorded")
  return [
    h("table", {},
      h("thead", {}, h("tr", {}, ["Account", "Order", "Class", "Client order id", "Reason"].map((t) => h("th", {}, t)))),
      h("tbody", {}, (v.intents ?? []).map((i) => h("tr", {},
        h("td", {}, i.account), h("td", {}, `${i.side} ${i.qty} ${i.symbol} ${i.type}`), h("td", {}, i.orderClass), h("td", { class: "muted" }, i.clientOrderId), h("td", {}, i.reason))))),
    ...[["Rejections", v.rejections, (r) => `${r.account} ${r.symbol}: ${r.rule} — ${r.detail}`], ["Clamps", v.clamps, (c) => `${c.account} ${c.symbol}: ${c.rule} ${c.requested} → ${c.allowed} — ${c.detail}`], ["Cancels", v.cancels, (c) => `${c.account} ${c.symbol} ${c.orderId}: ${c.reason}`]]
      .filter(([, list]) => (list ?? []).length > 0)
      .map(([title, list, line]) => h("div", {}, h("strong", {}, title), h("ul", {}, list.map((x) => h("li", {}, line(x))))))
  ]
}

/** What each account did; equity only for runs that read it back (execution no longer does: the ledger has it). */
function executionBlock(e) {
  if (!e) return h("p", { class: "empty" }, "not executed")
  const accounts = e.accounts ?? []
  const equity = accounts.some((a) => a.equity !== null && a.equity !== undefined)
  return [
    h("table", { id: "execution" },
      h("thead", {}, h("tr", {}, ["Account", "Status", "Placed", "At broker already", "Failed", "Canceled", ...(equity ? ["Equity"] : []), "Message"].map((t) => h("th", {}, t)))),
      h("tbody", {}, accounts.map((a) => h("tr", {},
        h("td", {}, a.account), h("td", {}, badge(a.status)), h("td", { class: "num" }, (a.orders ?? []).length), h("td", { class: "num" }, (a.adopted ?? []).length),
        h("td", { class: "num" }, (a.failures ?? []).length), h("td", { class: "num" }, a.canceled ?? 0), equity ? h("td", { class: "num" }, money(a.equity)) : null, h("td", {}, a.message))))),
    ordersTable(accounts)
  ]
}

/** Every order the run sent (or found at its broker), with what the broker answered. */
function ordersTable(accounts) {
  const rows = accounts.flatMap((a) => [...(a.orders ?? []).map((o) => [a.account, o, "placed"]), ...(a.adopted ?? []).map((o) => [a.account, o, "at broker already"])])
  if (rows.length === 0) return h("p", { class: "muted" }, "No order was sent.")
  return h("table", { id: "orders" },
    h("thead", {}, h("tr", {}, ["Account", "Order", "Class", "Status", "Filled", "Client order id", ""].map((t) => h("th", {}, t)))),
    h("tbody", {}, rows.map(([account, o, how]) => h("tr", { "data-client-order-id": o.clientOrderId },
      h("td", {}, account), h("td", {}, `${o.side} ${o.qty} ${o.symbol} ${o.type}${o.limitPrice ? ` @ ${o.limitPrice}` : ""}`), h("td", {}, o.orderClass),
      h("td", {}, badge(o.status)), h("td", { class: "num" }, o.filledQty ? `${o.filledQty} @ ${o.filledAvgPrice ?? "?"}` : "—"),
      h("td", { class: "muted" }, o.clientOrderId), h("td", { class: "muted" }, how)))))
}

async function runPage(id) {
  const d = await api(`/api/runs/${encodeURIComponent(id)}`)
  const r = d.run
  const known = new Set(STAGES.filter((stage) => stage !== "Reconcile"))
  const others = Object.entries(d.outputs).filter(([stage]) => !known.has(stage))
  return [
    h("h1", { id: "run-title" }, `Run ${r.id}`),
    h("div", { class: "grid" },
      card("Run", h("dl", { class: "kv" },
        h("dt", {}, "Trading day"), h("dd", {}, `${r.tradingDay} (as of ${r.asOf})`),
        h("dt", {}, "Status"), h("dd", { id: "run-status" }, runStatus(r), r.error ? ` ${r.error}` : "", r.activity?.next ? ` — ${r.activity.next}` : "",
          r.status === "awaiting-approval" ? ` — send its orders with: pnpm pipeline approve ${r.id} (or end the day with --reject)` : "", failedAccounts(r)),
        h("dt", {}, "Mode"), h("dd", {}, r.dryRun ? "dry run" : r.mode, r.imported ? " · imported" : ""),
        r.parentRunId ? [h("dt", {}, "Forked"), h("dd", {}, "from ", h("a", { href: `#/runs/${encodeURIComponent(r.parentRunId)}` }, r.parentRunId), ` at ${r.forkFrom}`)] : null,
        h("dt", {}, "Started"), h("dd", {}, r.startedAt), h("dt", {}, "Duration"), h("dd", {}, ms(r.durationMs)),
        h("dt", {}, "LLM cost"), h("dd", { id: "run-llm-cost" }, d.llmCosts === null ? "—" : usdOf(d.llmCosts.totalUsd, d.llmCosts.estimatedUsd)))),
      card("Stages", stageBar(d.stages), h("table", { id: "stages" },
        h("thead", {}, h("tr", {}, ["Stage", "Status", "Attempt", "Duration", "Calls", "Started"].map((t) => h("th", {}, t)))),
        h("tbody", {}, d.stages.map((s) => h("tr", {}, h("td", {}, s.name), h("td", {}, badge(s.status), s.reusedFrom ? ` from ${s.reusedFrom}` : ""),
          h("td", { class: "num" }, s.attempt ?? "—"), h("td", { class: "num" }, ms(s.durationMs)), h("td", { class: "num" }, s.calls), h("td", { class: "muted" }, s.startedAt ?? "—")))))),
      card("Pitches", pitchesTable(d.pitches)),
      card("Peer review", reviewsBlock(d.reviews)),
      card("Council decision", decisionBlock(d.decision, d.shadowVote)),
      card("LLM costs", llmCostsBlock(d.llmCosts)),
      card("Risk verdicts", verdictsBlock(d.verdicts)),
      card("Execution", executionBlock(d.execution)),
      ...others.map(([stage, output]) => card(stage, json(output))))]
}

/**
 * How a backtest that did not complete goes on: `interrupted` (Ctrl-C, SIGTERM, a server stopped) waits for
 * `--resume`; `running` is either under way or left so by a crash (the book cannot tell which: a resume of one still
 * running elsewhere is refused, naming its process). `null` for any other status.
 */
const resumeHint = (b) =>
  b.status === "interrupted" ? `continue it with: pnpm pipeline backtest --resume ${b.id}`
  : b.status === "running" ? `under way, or stopped by a crash; then continue it with: pnpm pipeline backtest --resume ${b.id}`
  : null

const backtestRow = (b) => h("tr", {},
  h("td", { class: "id" }, h("a", { href: overviewHash(b.id) }, b.id)),
  h("td", {}, badge(b.status), resumeHint(b) === null ? null : h("span", { class: "range resume" }, resumeHint(b))),
  h("td", { class: "id" }, `${b.from ?? "?"} … ${b.to ?? "?"}`),
  h("td", { class: "num" }, b.sessions), h("td", { class: "num" }, b.accounts), h("td", { class: "label" }, b.label), h("td", { class: "muted id" }, b.createdAt.slice(0, 19).replace("T", " ")),
  h("td", {}, h("a", { class: "report", href: `/backtests/${encodeURIComponent(b.id)}/report.html` }, "report")))

async function backtestsPage() {
  const books = await api(`/api/backtests?limit=${PAGE.backtests}`, true)
  if (books.length === 0) return [h("h1", {}, "Backtests"), card(null, h("p", { class: "empty" }, "no backtests yet"))]
  const body = h("tbody", {}, books.map(backtestRow))
  let last = books.at(-1).id
  const older = async () => {
    const page = await api(`/api/backtests?limit=${PAGE.backtests}&before=${encodeURIComponent(last)}`)
    body.append(...page.map(backtestRow))
    last = page.at(-1)?.id ?? last
    return page.length === PAGE.backtests
  }
  return [h("h1", {}, "Backtests"), card(null,
    h("table", { id: "backtests" }, h("thead", {}, h("tr", {}, ["Backtest", "Status", "Range", "Sessions", "Accounts", "Label", "Created", "Report"].map((t) => h("th", {}, t)))), body),
    books.length === PAGE.backtests ? moreButton("more-backtests", "Older backtests", older) : null)]
}

// --- routing ---------------------------------------------------------------------------------------------------

/** The overview of a book: the address says which, so a reload, the back button or a copied link shows it again. */
const overviewHash = (id) => id === "" ? "#/" : `#/?backtest=${encodeURIComponent(id)}`

/** The book the address names (`#/?backtest=ID`; none: the live book), shown in the selector and kept by the links to the overview. */
function selectBook(id) {
  book = id
  showChoice()
  for (const link of document.querySelectorAll("a[data-overview]")) link.setAttribute("href", overviewHash(id))
}

/** The backtests' ids as `/api/backtests` last listed them; `null` until it answers. */
let knownBooks = null

/**
 * The selector shows the book the address names: one the server does not hold (`#/?backtest=nope`) as itself,
 * marked unknown and not choosable, never a blank or another book.
 */
function showChoice() {
  bookSelect.querySelector("option[data-unknown]")?.remove()
  if (knownBooks !== null && book !== "" && !knownBooks.includes(book)) {
    bookSelect.append(h("option", { value: book, disabled: true, "data-unknown": "" }, book === "latest" ? "latest backtest" : `${book} (unknown)`))
  }
  bookSelect.value = book
}

/** The backtests as `/api/backtests` last listed them. */
let listedBooks = []

/** The listed backtest the overview shows (`latest`: the newest), if any. */
const bookShown = () => book === "latest" ? listedBooks[0] : listedBooks.find((b) => b.id === book)

function showBooks(books) {
  listedBooks = books
  knownBooks = books.map((b) => b.id)
  bookSelect.replaceChildren(h("option", { value: "" }, "Live"), ...books.map((b) => h("option", { value: b.id }, `${b.id} (${b.status})`)))
  showChoice()
}

async function loadBooks() {
  showBooks(await api(`/api/backtests?limit=${PAGE.backtests}`, true))
}

/**
 * Whether the server holds backtest `id`: when the selector's page (the newest) is not all of them, one older is asked
 * for alone, and then listed in the selector too, so a link to any backtest shows it.
 */
async function knownBook(id) {
  if (knownBooks.includes(id)) return true
  if (listedBooks.length < PAGE.backtests) return false
  const found = await api(`/api/backtests/${encodeURIComponent(id)}`).catch((error) => error.status === 404 ? null : Promise.reject(error))
  if (found === null) return false
  showBooks([...listedBooks, found])
  return true
}

/** Counts navigations: a page whose answer arrives after the user went elsewhere is not shown over the newer one. */
let navigations = 0

async function route() {
  const navigation = ++navigations
  leaving.abort()
  leaving = new AbortController()
  const show = (nodes) => navigation === navigations && view.replaceChildren(...nodes)
  try {
    // a %-escape cut short (a hand-edited or truncated link) is an error said on the page, like any other
    const [path, query = ""] = location.hash.replace(/^#/, "").split("?")
    const hash = decodeURIComponent(path) || "/"
    if (hash === "/") selectBook(new URLSearchParams(query).get("backtest") ?? "")
    if (hash.startsWith("/runs/")) show(await runPage(hash.slice("/runs/".length)))
    else if (hash === "/runs") show(await runsPage())
    else if (hash === "/backtests") show(await backtestsPage())
    else await overview()
  } catch (error) {
    show([h("div", { class: "card neg", id: "error" }, `Could not load: ${failure(error)}`)])
  }
}

/**
 * A book chosen in the selector is shown once the choice settles: arrow keys step through the books, a change each,
 * and a book passed over is not fetched (its leaderboard may take seconds to compute); what a book left still asks
 * for is cancelled (`leaving`).
 */
let settling
bookSelect.addEventListener("change", () => {
  clearTimeout(settling)
  settling = setTimeout(() => {
    const next = overviewHash(bookSelect.value)
    if (location.hash === next) route()
    else location.hash = next
  }, 300)
})
window.addEventListener("hashchange", route)
loadBooks().catch(() => {})
route()

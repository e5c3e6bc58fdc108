// A run's page: its record, stages, pitches, peer review, decision beside the mechanical vote, LLM costs, risk
// verdicts and execution, each from \`/api/runs/:id\`.

import { api } from "./api.js"
import { badge, card, ESTIMATE_NOTE, h, ms, usd, usdOf } from "./dom.js"
import { approvalCard } from "./control.js"
import { centsText, sharesText } from "./figures.js"
import { failedAccounts, runHash, runStatus, sourceQuery, STAGES, stageBar, unreadAccounts } from "./runs.js"
import { named } from "./standings.js"

const json = (value) => h("details", {}, h("summary", {}, "raw JSON"), h("pre", {}, JSON.stringify(value, null, 2)))

function pitchesTable(pitches) {
  if (!pitches) return h("p", { class: "empty" }, "no pitches recorded")
  // each cell names its column (data-label): a narrow screen lays a pitch out as a block, its thesis full-width
  const cell = (label, attrs, ...content) => h("td", { "data-label": label, ...attrs }, ...content)
  return [
    h("table", { id: "pitches" },
      h("thead", {}, h("tr", {}, ["PM", "Symbol", "Direction", "Conviction", "Risk", "Horizon", "Thesis", "Source"].map((t) => h("th", { class: t === "Conviction" ? "num" : "" }, t)))),
      h("tbody", {}, (pitches.pitches ?? []).map((p) => h("tr", {},
        cell("PM", { class: "pm" }, p.pm), cell("Symbol", {}, p.symbol), cell("Direction", {}, p.direction), cell("Conviction", { class: "num" }, p.conviction),
        cell("Risk", {}, p.riskProfile), cell("Horizon", {}, p.horizon),
        cell("Thesis", { class: "thesis-cell" }, h("ul", { class: "thesis" }, (p.thesis ?? []).map((t) => h("li", {}, t)))), cell("Source", { class: "muted" }, p.source))))),
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
          h("td", {}, i + 1), h("td", {}, named(a.pm)), h("td", { class: "num" }, a.points), h("td", { class: "num" }, a.ballots))))),
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

/**
 * An order's stop and limit prices as the CLI writes them after its type (`cancel`, `close`, `order`): ` $480.00`,
 * a stop limit's ` $480.00 limit $479.00`; nothing for a market order.
 */
const pricesText = (stop, limit) => `${stop == null ? "" : ` ${centsText(stop)}`}${limit == null ? "" : `${stop == null ? "" : " limit"} ${centsText(limit)}`}`

/** An order (or an order intent) as the CLI names it: `sell 122 TLT limit $86.35`. */
const orderText = (o) => `${o.side} ${sharesText(o.qty)} ${o.symbol} ${o.type}${pricesText(o.stopPrice, o.limitPrice)}`

/** An intent with its exits, as `orderText` writes the order: `… · take profit $86.35 · stop loss $79.02`. */
const intentText = (i) => [
  orderText(i),
  i.takeProfit ? `take profit ${centsText(i.takeProfit.limitPrice)}` : null,
  i.stopLoss ? `stop loss ${centsText(i.stopLoss.stopPrice)}${i.stopLoss.limitPrice == null ? "" : ` limit ${centsText(i.stopLoss.limitPrice)}`}` : null
].filter((part) => part !== null).join(" · ")

function verdictsBlock(v) {
  if (!v) return h("p", { class: "empty" }, "no risk verdict recorded")
  return [
    h("table", { id: "intents" },
      h("thead", {}, h("tr", {}, ["Account", "Order", "Class", "Client order id", "Reason"].map((t) => h("th", {}, t)))),
      h("tbody", {}, (v.intents ?? []).map((i) => h("tr", { "data-client-order-id": i.clientOrderId },
        h("td", {}, i.account), h("td", { class: "order" }, intentText(i)), h("td", {}, i.orderClass), h("td", { class: "muted" }, i.clientOrderId), h("td", {}, i.reason))))),
    ...[["Rejections", v.rejections, (r) => `${r.account} ${r.symbol}: ${r.rule} — ${r.detail}`], ["Clamps", v.clamps, (c) => `${c.account} ${c.symbol}: ${c.rule} ${sharesText(c.requested)} → ${sharesText(c.allowed)} sh — ${c.detail}`], ["Cancels", v.cancels, (c) => `${c.account} ${c.symbol} ${c.orderId}: ${c.reason}`]]
      .filter(([, list]) => (list ?? []).length > 0)
      .map(([title, list, line]) => h("div", {}, h("strong", {}, title), h("ul", {}, list.map((x) => h("li", {}, line(x))))))
  ]
}

/**
 * Each account's equity as the run found it, as `run daily`'s table shows it (`RunNotices.withEquityOf`): its
 * execution's reading where it recorded one (runs from before Reconcile), else its Reconcile stage's, at the run's
 * start. `outputs`: the run's checkpoints by stage (`/api/runs/:id`'s).
 */
const equityOf = (account, outputs) => {
  if (typeof account.equity === "number") return account.equity
  const reconciled = outputs?.Reconcile?.accounts
  const reading = Array.isArray(reconciled) ? reconciled.find((r) => r?.account === account.account)?.equity : undefined
  return typeof reading === "number" ? reading : null
}

/** What each account did, and its equity as the run found it (in cents, as `run daily` writes it; "—" where none). */
function executionBlock(e, outputs) {
  if (!e) return h("p", { class: "empty" }, "not executed")
  const accounts = e.accounts ?? []
  return [
    h("table", { id: "execution" },
      h("thead", {}, h("tr", {}, ["Account", "Status", "Placed", "At broker already", "Failed", "Canceled", "Equity", "Message"].map((t, i, all) => h("th", { class: i > 1 && i < all.length - 1 ? "num" : "" }, t)))),
      h("tbody", {}, accounts.map((a) => {
        const equity = equityOf(a, outputs)
        return h("tr", { "data-account": a.account },
          h("td", {}, a.account), h("td", {}, badge(a.status)), h("td", { class: "num" }, (a.orders ?? []).length), h("td", { class: "num" }, (a.adopted ?? []).length),
          h("td", { class: "num" }, (a.failures ?? []).length), h("td", { class: "num" }, a.canceled ?? 0),
          h("td", { class: "num equity" }, equity === null ? "—" : centsText(equity)), h("td", {}, a.message))
      }))),
    ordersTable(accounts)
  ]
}

/**
 * Every order the run sent (or found at its broker), with what the broker answered then: each named as the CLI names
 * it (`orderText`), its fill as `close` writes one (`10 @ $1,234.50`).
 */
function ordersTable(accounts) {
  const rows = accounts.flatMap((a) => [...(a.orders ?? []).map((o) => [a.account, o, "placed"]), ...(a.adopted ?? []).map((o) => [a.account, o, "at broker already"])])
  if (rows.length === 0) return h("p", { class: "muted" }, "No order was sent.")
  return h("table", { id: "orders" },
    h("thead", {}, h("tr", {}, ["Account", "Order", "Class", "Status", "Filled", "Client order id", ""].map((t) => h("th", { class: t === "Filled" ? "num" : "" }, t)))),
    h("tbody", {}, rows.map(([account, o, how]) => h("tr", { "data-client-order-id": o.clientOrderId },
      h("td", {}, account), h("td", { class: "order" }, orderText(o)), h("td", {}, o.orderClass),
      h("td", {}, badge(o.status)), h("td", { class: "num fill" }, o.filledQty ? `${sharesText(o.filledQty)} @ ${o.filledAvgPrice == null ? "?" : centsText(o.filledAvgPrice)}` : "—"),
      h("td", { class: "muted" }, o.clientOrderId), h("td", { class: "muted" }, how)))))
}

/** A link to a run the server does not hold (mistyped, stale, another home's): said on the page as such. */
const unknownRun = (id, backtest) => [h("h1", {}, "Unknown run"), card(null, h("p", { class: "neg", id: "unknown-run" },
  `There is no run “${id.slice(0, 80)}” ${backtest ? `in backtest ${backtest.slice(0, 80)}` : "on this server"} (a mistyped or stale link?). `,
  h("a", { href: `#/runs${sourceQuery(backtest, "?")}` }, backtest ? "Its sessions →" : "All runs →")))]

/**
 * A run's page; `backtest` (its id or `latest`, from the address): the run is that backtest's session, read from its
 * database. A backtest's session is never approved from here (a backtest decides for itself).
 */
export async function runPage(id, backtest) {
  // asked first through the list, which answers an unknown run with no run rather than a 404 (a console error)
  const [listed] = await api(`/api/runs?id=${encodeURIComponent(id)}${sourceQuery(backtest)}`)
  if (listed === undefined) return unknownRun(id, backtest)
  const d = await api(`/api/runs/${encodeURIComponent(id)}${sourceQuery(backtest, "?")}`)
  const r = d.run
  const approvable = r.status === "awaiting-approval" && !backtest
  // whether the server would take an approval: asked only of a run that waits for one
  const mutations = approvable ? (await api("/api/server")).mutations : false
  const known = new Set(STAGES.filter((stage) => stage !== "Reconcile"))
  const others = Object.entries(d.outputs).filter(([stage]) => !known.has(stage))
  // the backtest the run is a session of, as the API names it: `latest` in the address is the id it stood for
  const book = r.backtest?.id
  return [
    h("h1", { id: "run-title" }, `Run ${r.id}`, book ? h("span", { class: "of-backtest" }, ` · backtest ${book}`) : null),
    book ? h("p", { class: "muted", id: "run-backtest" }, `A session of backtest ${book}, from its own database. `,
      h("a", { href: `#/runs${sourceQuery(book, "?")}` }, "Its sessions →"), " ", h("a", { href: `#/?backtest=${encodeURIComponent(book)}` }, "The backtest's overview →")) : null,
    h("div", { class: "grid" },
      card("Run", h("dl", { class: "kv" },
        h("dt", {}, "Trading day"), h("dd", {}, `${r.tradingDay} (as of ${r.asOf})`),
        h("dt", {}, "Status"), h("dd", { id: "run-status" }, runStatus(r), r.error ? ` ${r.error}` : "", r.activity?.next ? ` — ${r.activity.next}` : "",
          approvable ? ` — send its orders with: pnpm pipeline approve ${r.id} (or end the day with --reject)` : "", failedAccounts(r), unreadAccounts(r)),
        h("dt", {}, "Mode"), h("dd", {}, r.dryRun ? "dry run" : r.mode, r.imported ? " · imported" : ""),
        r.parentRunId ? [h("dt", {}, "Forked"), h("dd", {}, "from ", h("a", { href: runHash(r.parentRunId, backtest) }, r.parentRunId), ` at ${r.forkFrom}`)] : null,
        h("dt", {}, "Started"), h("dd", {}, r.startedAt), h("dt", {}, "Duration"), h("dd", {}, ms(r.durationMs)),
        h("dt", {}, "LLM cost"), h("dd", { id: "run-llm-cost" }, d.llmCosts === null ? "—" : usdOf(d.llmCosts.totalUsd, d.llmCosts.estimatedUsd)))),
      // the run's page again, as the address shows it, once its approval is decided
      approvable ? approvalCard(r, () => window.dispatchEvent(new HashChangeEvent("hashchange")), mutations) : null,
      card("Stages", stageBar(d.stages), h("table", { id: "stages" },
        h("thead", {}, h("tr", {}, ["Stage", "Status", "Attempt", "Duration", "Calls", "Started"].map((t, i) => h("th", { class: i > 1 && i < 5 ? "num" : "" }, t)))),
        h("tbody", {}, d.stages.map((s) => h("tr", {}, h("td", {}, s.name), h("td", {}, badge(s.status), s.reusedFrom ? ` from ${s.reusedFrom}` : ""),
          h("td", { class: "num" }, s.attempt ?? "—"), h("td", { class: "num" }, ms(s.durationMs)), h("td", { class: "num" }, s.calls), h("td", { class: "muted" }, s.startedAt ?? "—")))))),
      card("Pitches", pitchesTable(d.pitches)),
      card("Peer review", reviewsBlock(d.reviews)),
      card("Council decision", decisionBlock(d.decision, d.shadowVote)),
      card("LLM costs", llmCostsBlock(d.llmCosts)),
      card("Risk verdicts", verdictsBlock(d.verdicts)),
      card("Execution", executionBlock(d.execution, d.outputs)),
      ...others.map(([stage, output]) => card(stage, json(output))))]
}

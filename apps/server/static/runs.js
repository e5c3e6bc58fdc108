// The runs' timeline: a row per run (its stages' bar filled in once its detail loads), the runs page with older
// pages on demand, and what a run's status, failed and unread accounts look like wherever a run is shown.

import { api, failure, PAGE } from "./api.js"
import { legend } from "./charts.js"
import { badge, card, h, moreButton, ms, PALETTE, usdOf } from "./dom.js"

const view = document.getElementById("view")

/**
 * The address of a run's page: a backtest's session (`backtest`: its id) carries it, since a backtest's run ids
 * (`<day>-bt`) repeat from one backtest to the next.
 */
export const runHash = (id, backtest) => `#/runs/${encodeURIComponent(id)}${backtest ? `?backtest=${encodeURIComponent(backtest)}` : ""}`

/** `?backtest=` (`&…` after `sep`) of the API's runs endpoints: the backtest's sessions; nothing for the home's runs. */
export const sourceQuery = (backtest, sep = "&") => backtest ? `${sep}backtest=${encodeURIComponent(backtest)}` : ""

/** A run's status; a `running` run whose process is gone says `stopped` (or `abandoned`) and, on hover, what to do. */
export const runStatus = (r) =>
  !r.activity || r.activity.state === "in-progress" ? badge(r.status) : h("span", { title: r.activity.next ?? "" }, badge(r.activity.state))

/**
 * The accounts a run's execution failed (or could not evaluate), from its summary's `failedAccounts` (`/api/runs`,
 * as `runs` says it): a run that ends so is `completed` — every stage ran — though `run daily` exited 1 and the next
 * run of that day retries them. Each later run that traded some of them is named ("run again as R, which traded X",
 * as `runs` says); the advice (the title) is for those still failed. `null` when none failed.
 */
export function failedAccounts(r) {
  const failed = r.failedAccounts
  if (!failed) return null
  const { accounts, of, keyRefused } = failed
  const retried = failed.retried ?? []
  const done = new Set(retried.flatMap((x) => x.accounts))
  const left = accounts.filter((a) => !done.has(a))
  const refused = keyRefused.filter((a) => left.includes(a))
  const again = `pnpm pipeline run daily --date ${r.tradingDay}`
  const retry = left.filter((a) => !refused.includes(a))
  const keys = `the broker refused the key of ${refused.join(", ")}: fix it (the run's execution message names its variables)`
  const title = left.length === 0
    ? "every failed account was traded by a later run of the day"
    : refused.length === 0
    ? `run the day again to retry ${retry.length === 1 ? "it" : "them"}: ${again}`
    : retry.length === 0
    ? `${keys}, then run the day again: ${again}`
    : `run the day again to retry ${retry.join(", ")}: ${again}; ${keys} first`
  const runs = retried.map((x) => `; run again as ${x.run}, which traded ${x.accounts.join(", ")}`).join("")
  return h("span", { class: `${left.length === 0 ? "" : "neg "}failed-accounts`, title }, ` ${accounts.length} of ${of} ${of === 1 ? "account" : "accounts"} failed: ${accounts.join(", ")}${runs}`)
}

/**
 * The accounts a run's reconciliation could not read though they traded, from its summary's `unread` (`/api/runs`),
 * in `runs`' words, a line each: read again by a later run of the day; else the day has no snapshot of them — filled
 * by running the day again (it reads them alone, placing nothing), unless a later session's run read them since (the
 * gap stays, said so). `null` when it read every account.
 */
export function unreadAccounts(r) {
  const unread = r.unread
  if (!unread || unread.length === 0) return null
  const named = (list) => list.map((u) => `${u.account} (${u.message})`).join(", ")
  const them = (list) => list.length === 1 ? "it" : "them"
  const gap = (list) => `the day has no snapshot of ${named(list)}: \`equity\` has no point of ${them(list)} on ${r.tradingDay} and the leaderboard leaves the day out`
  const read = unread.filter((u) => u.readAgainAs !== null)
  const open = unread.filter((u) => u.readAgainAs === null && u.readLaterBy === null)
  const gone = unread.filter((u) => u.readAgainAs === null && u.readLaterBy !== null)
  const lines = [
    ...read.map((u) => ["", `its reconciliation could not read ${u.account}; read again as ${u.readAgainAs}`]),
    ...(open.length === 0 ? [] : [["neg ", `${gap(open)}; run the day again to read ${them(open)} alone (nothing is placed again): pnpm pipeline run daily --date ${r.tradingDay}`]]),
    ...(gone.length === 0 ? [] : [["neg ", `${gap(gone)}; it can no longer be taken: ${[...new Set(gone.map((u) => u.readLaterBy))].join(", ")} read ${gone.map((u) => u.account).join(", ")} at a later session`]])
  ]
  return h("span", { class: "unread-accounts" }, lines.map(([tone, line]) => h("span", { class: `${tone}unread` }, line)))
}

/** How long ago `iso` was, as a person says it: "just now", "12 min ago", "5 h ago", "3 days ago". */
const ago = (iso, now = Date.now()) => {
  const minutes = Math.floor((now - Date.parse(iso)) / 60_000)
  if (!(minutes >= 1)) return "just now"
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h ago`
  return `${Math.floor(hours / 24)} days ago`
}

/**
 * What the operator asks first, on the overview's top: did the latest day run, and is anything wrong. The newest run
 * that trades — no dry run, no imported run, no fork but a retry of its day: what the timer started — with its day,
 * its status (a run whose process is gone: stopped or abandoned, and what to do), the accounts it failed, its error,
 * and when it started (and how long ago: a timer that stopped firing shows as a run days old). A day whose command
 * failed before its run started (the broker down) records no run: Slack and the log say those.
 */
export function latestRunCard(runs) {
  const r = runs.find((r) => r.damage === undefined && !r.dryRun && !r.imported && (r.parentRunId === null || r.params?.retryOf !== undefined))
  if (!r) {
    return card("Latest run", h("p", { class: "empty", id: "latest-run" }, runs.length === 0
      ? "no run yet — start one with: pnpm pipeline run daily"
      : `none of the latest ${runs.length} runs traded a day (dry runs, forks, imports): `, runs.length === 0 ? null : h("a", { href: "#/runs" }, "all runs →")))
  }
  const troubled = r.status !== "completed" || r.failedAccounts !== null || (r.unread ?? []).some((u) => u.readAgainAs === null)
  const what = r.error ? ` — ${r.error}` : r.status === "awaiting-approval" ? ` — approve with: pnpm pipeline approve ${r.id} (or --reject)` : ""
  return card("Latest run",
    h("p", { id: "latest-run", class: troubled ? "troubled" : "" },
      h("a", { href: `#/runs/${encodeURIComponent(r.id)}` }, h("b", {}, r.tradingDay)), " ", runStatus(r), failedAccounts(r), unreadAccounts(r),
      h("span", { class: troubled ? "neg" : "" }, what),
      r.activity?.next ? h("span", { class: "neg" }, ` — ${r.activity.next}`) : null,
      h("span", { class: "muted" }, ` · started ${r.startedAt.replace("T", " ").slice(0, 16)} UTC (${ago(r.startedAt)}) · run ${r.id}`)))
}

/** A run whose stored record does not read back: listed in its place, saying what is wrong. */
const damagedRow = (r) => h("tr", { "data-run": r.id, class: "damaged" },
  h("td", {}, r.id),
  h("td", {}, r.tradingDay ?? "?"),
  h("td", {}, badge("damaged")),
  h("td", { colspan: "5", class: "neg" }, r.damage))

export function timeline(runs, backtest) {
  if (runs.length === 0) return h("p", { class: "empty" }, backtest ? `backtest ${backtest} has no runs yet` : "no runs yet — start one with: pnpm pipeline run daily")
  const longest = Math.max(1, ...runs.map((r) => r.durationMs ?? 0))
  return h("table", { class: "timeline", id: "runs", "data-longest": longest },
    h("thead", {}, h("tr", {}, ["Run", "Day", "Status", "Mode", "Started (UTC)", "Duration", "LLM cost", "Stages"].map((t) => h("th", { class: t === "LLM cost" ? "num" : "" }, t)))),
    h("tbody", {}, runs.map(runRow(longest, backtest))))
}

/**
 * A run's row of the timeline, its bar's length relative to `longest` (a later page's, to its first page's); of
 * `backtest`'s sessions, its link carries the backtest.
 */
const runRow = (longest, backtest) => (r) => r.damage !== undefined ? damagedRow(r) : h("tr", { "data-run": r.id },
      h("td", { class: "id" }, h("a", { href: runHash(r.id, backtest) }, r.id)),
      h("td", { class: "id" }, r.tradingDay),
      h("td", {}, runStatus(r), failedAccounts(r), unreadAccounts(r)),
      h("td", {}, r.dryRun ? badge("dry-run") : r.mode, r.imported ? " · imported" : "", r.parentRunId ? ` · fork of ${r.parentRunId}` : ""),
      h("td", { class: "id" }, r.startedAt.replace("T", " ").slice(0, 19)),
      h("td", {}, ms(r.durationMs)),
      h("td", { class: "num llm-cost" }, r.llmCost === null ? "—" : usdOf(r.llmCost.totalUsd, r.llmCost.estimatedUsd)),
      h("td", {}, h("div", { class: "bar", style: `width:${Math.min(100, Math.max(30, ((r.durationMs ?? longest) / longest) * 100))}%` })))

/**
 * The runs page, a page at a time: the home's runs, or (`backtest`: its id or `latest`) a backtest's sessions, read
 * from its own database, each linking to its page with the backtest in the address.
 */
export async function runsPage(backtest) {
  const runs = await api(`/api/runs?limit=${PAGE.runs}${sourceQuery(backtest)}`)
  // the backtest as the API names its sessions (`latest` in the address: the id it stands for, which the links and
  // the older pages keep when a newer backtest starts), when it has any
  const book = runs[0]?.backtest?.id ?? backtest
  const table = timeline(runs, book)
  // not once the page has been left (its rows gone): the page shown then asks for its own
  setTimeout(() => table.isConnected && fillStageBars(runs.slice(0, 30), book))
  let last = runs.at(-1)?.id
  const older = async () => {
    const page = await api(`/api/runs?limit=${PAGE.runs}&before=${encodeURIComponent(last)}${sourceQuery(book)}`)
    table.querySelector("tbody").append(...page.map(runRow(Number(table.dataset.longest), book)))
    last = page.at(-1)?.id ?? last
    return page.length === PAGE.runs
  }
  const title = backtest
    ? [h("h1", {}, `Sessions of backtest ${book}`), h("p", { class: "muted", id: "sessions-of" }, "Each session of the backtest is a run of its own database. ",
      h("a", { href: `#/?backtest=${encodeURIComponent(book)}` }, "The backtest's overview →"))]
    : [h("h1", {}, "Runs")]
  return [...title, card(null, table, runs.length === PAGE.runs ? moreButton("more-runs", backtest ? "Older sessions" : "Older runs", older) : null, stageLegend())]
}

export const STAGES = ["Reconcile", "FetchData", "PmPitches", "PeerReview", "CouncilSynthesis", "RiskApproval", "Execution"]
const stageColor = (name) => PALETTE[(STAGES.indexOf(name) + PALETTE.length) % PALETTE.length]
export const stageLegend = () => legend(STAGES.map((name) => ({ name, color: stageColor(name) })))

/**
 * Each run's bar shows its stages' durations (colour per stage, hatched when missing) once its detail loads. A run
 * whose detail does not read back (a checkpoint's stored output missing or edited: the API's `Damaged`) says so in
 * its row: its status there is `damaged`, as opening it would say. Any other failure (the connection, the store busy:
 * `Unavailable`, a run gone) leaves the row as it is, the bar saying why on hover.
 */
export function fillStageBars(runs, backtest) {
  for (const r of runs.filter((r) => r.damage === undefined)) {
    const row = () => view.querySelector(`tr[data-run="${CSS.escape(r.id)}"]`)
    api(`/api/runs/${encodeURIComponent(r.id)}?outputs=none${sourceQuery(backtest)}`).then((d) => {
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

export function stageBar(stages) {
  const total = stages.reduce((a, s) => a + (s.durationMs ?? 0), 0) || 1
  return h("div", { class: "bar" }, stages.map((s) => h("span", {
    class: s.status === "missing" ? "missing" : "",
    style: `--c:${stageColor(s.name)};width:${s.status === "missing" ? 6 : Math.max(2, ((s.durationMs ?? 0) / total) * 100)}%`,
    title: `${s.name}: ${s.status} ${ms(s.durationMs)}`
  })))
}

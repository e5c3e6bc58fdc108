// Council monitor: a dependency-free page over the monitor API (same origin). Charts are hand-drawn SVG.
// Every number on the page comes from the API; nothing is fetched from anywhere else. This module draws the
// overview and the backtests' list and routes; the charts (charts.js), the runs' timeline (runs.js), a run's page
// (run.js) and the standings (standings.js) are modules of their own, served by the monitor beside it.

import { api, failure, leave, PAGE } from "./api.js"
import { equityCharts, pointsOf } from "./charts.js"
import { closeAllCard } from "./control.js"
import { badge, card, colorOf, h, money, moreButton, signed, tone } from "./dom.js"
import { runPage } from "./run.js"
import { fillStageBars, latestRunCard, runsPage, stageLegend, timeline } from "./runs.js"
import { contestCard, leaderboardCard } from "./standings.js"

const view = document.getElementById("view")
const bookSelect = document.getElementById("book")

let book = ""
const bookQuery = (sep = "?") => book === "" ? "" : `${sep}backtest=${encodeURIComponent(book)}`

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

/** A card saying what it waits for; `fill` replaces it with what arrives, or with why it could not. */
const pending = (title, what) => card(title, h("p", { class: "muted loading" }, what))

/** Shows the page the address names again: what could not load is asked for anew. */
const retryButton = () => h("button", { type: "button", class: "more retry", onclick: () => route() }, "Try again")

async function fill(slots, title, load, render) {
  try {
    const value = await load
    const done = [render(value)].flat()
    slots[0].replaceWith(...done)
    slots.slice(1).forEach((slot) => slot.remove())
  } catch (error) {
    if (error.name === "AbortError") return
    slots[0].replaceWith(card(title, h("p", { class: "neg error" }, `Could not load: ${failure(error)}`), retryButton()))
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
  const accounts = live ? api("/api/accounts") : null
  const slots = {
    latest: live ? [pending("Latest run", "Loading…")] : [],
    accounts: live ? [pending("Accounts", "Asking each broker…")] : [],
    board: [pending("Leaderboard", "Computing the leaderboard and its 95 % intervals…")],
    charts: [pending("Equity", "Loading the equity series…"), pending("Drawdown", "Loading…")],
    runs: live ? [pending("Recent runs", "Loading…")] : [],
    // a backtest's session runs (its own database): each one's pitches, decision, verdicts and orders
    sessions: live ? [] : [card("Sessions", h("p", { id: "backtest-sessions" }, "Each session's pitches, decision, risk verdicts and orders: ",
      h("a", { href: `#/runs?backtest=${encodeURIComponent(shown?.id ?? book)}` }, "its session runs →")))],
    control: live ? [pending("Close all", "Asking each broker…")] : []
  }
  view.replaceChildren(
    // `latest` names the backtest it stands for, as the CLI's `--backtest latest` does ("book": its id)
    h("h1", {}, live ? "Live book" : `Backtest ${shown?.id ?? book}`),
    // (replaceChildren writes a null as the text "null": a part left out is no part at all)
    ...(shown === undefined || shown.status === "completed" ? [] : [h("p", { class: "warning", id: "book-status" },
      `This backtest is ${backtestStatus(shown)}: ${shown.sessions} of the sessions from ${shown.from ?? "?"} to ${shown.to ?? "?"} recorded so far; what follows covers them alone. `,
      (resumeHint(shown) ?? "").replace(/^./, (c) => c.toUpperCase()))]),
    h("div", { class: "grid" }, ...slots.latest, ...slots.accounts, ...slots.board, ...slots.charts, ...slots.runs, ...slots.sessions, ...slots.control))
  await Promise.all([
    live ? fill(slots.latest, "Latest run", runs, latestRunCard) : null,
    live ? fill(slots.accounts, "Accounts", Promise.all([accounts, equity]), ([list, series]) => card("Accounts", accountCards(list, series))) : null,
    live ? fill(slots.control, "Close all", Promise.all([accounts, api("/api/server")]), ([list, server]) => closeAllCard(list.map((a) => a.account), server.mutations)) : null,
    fill(slots.board, "Leaderboard", api(`/api/leaderboard${bookQuery()}`), (report) => [leaderboardCard(report), contestCard(report)].filter((c) => c !== null)),
    fill(slots.charts, "Equity", equity, equityCharts),
    live ? fill(slots.runs, "Recent runs", runs, (list) => {
      const table = timeline(list)
      // not once the overview has been left (its rows gone): the page shown then asks for its own
      setTimeout(() => table.isConnected && fillStageBars(list))
      return card("Recent runs", table, stageLegend(), h("p", {}, h("a", { href: "#/runs" }, "all runs →")))
    }) : null
  ])
}

/**
 * How a backtest that did not complete goes on: `interrupted` (Ctrl-C, SIGTERM, a server stopped) waits for
 * `--resume`; `running` is under way while its process lives, or stopped when its process is gone (a crash, a kill:
 * the API's `activity` says which, and names the command that continues it). `null` for any other status.
 */
const resumeHint = (b) =>
  b.status === "interrupted" ? `continue it with: pnpm pipeline backtest --resume ${b.id}`
  : b.activity?.state === "stopped" ? `its process is gone: continue it with: ${b.activity.next}`
  : b.status === "running" ? "under way"
  : null

/** The status a backtest is in: a `running` book whose process is gone is `stopped`. */
const backtestStatus = (b) => b.activity?.state === "stopped" ? "stopped" : b.status

const backtestRow = (b) => h("tr", {},
  h("td", { class: "id" }, h("a", { href: overviewHash(b.id) }, b.id)),
  h("td", {}, badge(backtestStatus(b)), resumeHint(b) === null ? null : h("span", { class: "range resume" }, resumeHint(b))),
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
    h("table", { id: "backtests" }, h("thead", {}, h("tr", {}, ["Backtest", "Status", "Range", "Sessions", "Accounts", "Label", "Created (UTC)", "Report"].map((t) => h("th", { class: t === "Sessions" || t === "Accounts" ? "num" : "" }, t)))), body),
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
  // through the list, which answers an unknown backtest with none rather than a 404 (a console error)
  const [found] = await api(`/api/backtests?id=${encodeURIComponent(id)}`)
  if (found === undefined) return false
  showBooks([...listedBooks, found])
  return true
}

/** An address the page has no view for (a mistyped or truncated link): said as such, not shown as the overview. */
const notFound = (hash) => [h("h1", {}, "No such page"), card(null, h("p", { class: "neg", id: "not-found" },
  `The dashboard has no page “#${hash.slice(0, 80)}” (a mistyped or truncated link?). `,
  h("a", { href: "#/" }, "Overview →"), " ", h("a", { href: "#/runs" }, "Runs →"), " ", h("a", { href: "#/backtests" }, "Backtests →")))]

/** Counts navigations: a page whose answer arrives after the user went elsewhere is not shown over the newer one. */
let navigations = 0

async function route() {
  const navigation = ++navigations
  leave()
  const show = (nodes) => navigation === navigations && view.replaceChildren(...nodes)
  try {
    // a %-escape cut short (a hand-edited or truncated link) is an error said on the page, like any other
    const [path, query = ""] = location.hash.replace(/^#/, "").split("?")
    const hash = decodeURIComponent(path) || "/"
    // `?backtest=`: the book of the overview; of the runs' pages, the backtest whose sessions they show
    const backtest = new URLSearchParams(query).get("backtest") ?? ""
    if (hash === "/") selectBook(backtest)
    if (hash.startsWith("/runs/")) show(await runPage(hash.slice("/runs/".length), backtest))
    else if (hash === "/runs") show(await runsPage(backtest))
    else if (hash === "/backtests") show(await backtestsPage())
    else if (hash === "/") await overview()
    else show(notFound(hash))
  } catch (error) {
    show([h("div", { class: "card" }, h("div", { class: "neg", id: "error" }, `Could not load: ${failure(error)}`), retryButton())])
  }
  if (navigation === navigations && navigation > 1) focusView()
}

/**
 * After a navigation, a keyboard user goes on from the new page's title: the link or button they pressed went with
 * the page it was on, which left the focus nowhere (the next Tab would start again at the top of the page).
 */
function focusView() {
  if (document.activeElement !== null && document.activeElement !== document.body && document.activeElement.isConnected) return
  const title = view.querySelector("h1") ?? view.firstElementChild
  if (title === null) return
  title.setAttribute("tabindex", "-1")
  title.focus({ preventScroll: true })
}

/**
 * A book chosen in the selector is shown once the choice settles: arrow keys step through the books, a change each,
 * and a book passed over is not fetched (its leaderboard may take seconds to compute); what a book left still asks
 * for is cancelled (`leave`).
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

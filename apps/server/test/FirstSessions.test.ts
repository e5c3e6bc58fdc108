/**
 * The dashboard as a new user first meets it: a home with one session of the daily pipeline, then two. Real runs
 * (offline PMs, the local exchange) through the CLI, `pnpm pipeline serve` as a process, real Chromium.
 */
import { assert, describe, it } from "@effect/vitest"
import { runIdOf, tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess, cliOk } from "../../cli/test/InProcess.ts"
import { page, problems, server, useDashboardOf } from "./DashboardPage.ts"
import { fetchFresh } from "./MonitorHome.ts"

/** The part of `GET /api/runs/{id}` these tests read. */
interface RunDetailAnswer {
  readonly execution: {
    readonly accounts: ReadonlyArray<{ readonly account: string; readonly orders: ReadonlyArray<{ readonly clientOrderId: string }>; readonly equity: number | null }>
  }
  readonly outputs: { readonly Reconcile: { readonly accounts: ReadonlyArray<{ readonly account: string; readonly equity: number | null }> } }
}

const ACCOUNTS = ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"]
const STAGES = ["Reconcile", "FetchData", "PmPitches", "PeerReview", "CouncilSynthesis", "RiskApproval", "Execution"]

let home: string

const runDay = async (day: string) => runIdOf(await cliOk(home, ["run", "daily", "--date", day]))

let firstRun: string

useDashboardOf(async () => {
  home = tempHome()
  firstRun = await runDay("2025-06-02")
  return home
})

const overview = async () => {
  await page.goto("about:blank")
  await page.goto(server.url)
  await page.waitForSelector("#equity-chart")
  await page.waitForSelector("#runs .bar span")
}

/** The text of each y-axis tick of a chart (the labels left of the plot, at x = data-left − 8). */
const ticks = (chart: string) =>
  page.$eval(`#${chart}`, (svg) => {
    const x = String(Number(svg.getAttribute("data-left")) - 8)
    return [...svg.querySelectorAll("g.grid text")].filter((t) => t.getAttribute("x") === x).map((t) => t.textContent ?? "")
  })

describe("dashboard of a new user's first sessions", () => {
  it("with one session: each account's point is drawn (a line needs two), the cards say so, the stage legend names all seven stages", async () => {
    await overview()
    for (const [chart, series] of [["equity-chart", [...ACCOUNTS, "SPY buy-and-hold (scaled)"]], ["drawdown-chart", [...ACCOUNTS, "SPY buy-and-hold"]]] as const) {
      const dots = await page.$$eval(`#${chart} circle[data-series]`, (cs) => cs.map((c) => c.getAttribute("data-series")))
      assert.sameMembers(dots, [...series], chart)
      assert.match(await page.textContent(`#${chart} text.note`) ?? "", /one session so far/)
    }
    const cards = await page.$$eval("#accounts [data-account] .sub:last-child", (subs) => subs.map((s) => s.textContent))
    assert.deepStrictEqual(cards, ACCOUNTS.map(() => "one session in the ledger (2025-06-02)"))
    const legend = await page.$$eval("#runs ~ .legend span", (spans) => spans.map((s) => s.textContent))
    assert.deepStrictEqual(legend, STAGES)
    const segments = await page.$$eval(`#runs tr[data-run="${firstRun}"] .bar span`, (spans) => spans.map((s) => s.getAttribute("title")?.split(":")[0]))
    assert.deepStrictEqual(segments, STAGES)
    assert.deepStrictEqual(problems, [])
  })

  it("a run's detail lists the orders it sent with the broker's answer, and each account's equity as its Reconcile stage read it (execution records none)", async () => {
    const api = await (await fetchFresh(`${server.url}/api/runs/${firstRun}`)).json() as RunDetailAnswer
    const sent = api.execution.accounts.flatMap((a) => a.orders.map((o) => o.clientOrderId))
    assert.isAbove(sent.length, 0)
    await page.goto(`${server.url}/#/runs/${firstRun}`)
    await page.waitForSelector("#execution")
    assert.deepStrictEqual(await page.$$eval("#orders tbody tr", (trs) => trs.map((tr) => tr.getAttribute("data-client-order-id"))), sent)
    assert.isTrue(api.execution.accounts.every((a) => a.equity === null))
    // the equity the run found each account with, at its start: its Reconcile reading, in cents as `run daily` writes it
    const shown = await page.$$eval("#execution tbody tr", (trs) => trs.map((tr) => [tr.children[0]!.textContent, tr.querySelector(".equity")!.textContent]))
    const read = new Map(api.outputs.Reconcile.accounts.map((a) => [a.account, a.equity]))
    assert.deepStrictEqual(shown.map(([account]) => account), api.execution.accounts.map((a) => a.account))
    for (const [account, text] of shown) {
      const equity = read.get(account!)
      assert.isNumber(equity, account!)
      assert.match(text!, /^\$[\d,]+\.\d\d$/)
      assert.closeTo(Number(text!.replace(/[$,]/g, "")), equity!, 0.005 + 1e-9, `${account} ${text}`)
    }
    assert.deepStrictEqual(problems, [])
  })

  it("with two sessions: the axes label each tick differently, however small the moves", async () => {
    await runDay("2025-06-03")
    await overview()
    for (const chart of ["equity-chart", "drawdown-chart"]) {
      const labels = await ticks(chart)
      assert.isAtLeast(labels.length, 3, chart)
      assert.strictEqual(new Set(labels).size, labels.length, `${chart}: ${labels.join(" | ")}`)
    }
    assert.strictEqual(await page.$$eval("#equity-chart circle", (cs) => cs.length), 0)
    assert.deepStrictEqual(problems, [])
  }, 30_000)

  it("draws the curves, accounts and runs while the leaderboard is still on its way (a long backtest's takes seconds)", async () => {
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    await page.route("**/api/leaderboard*", async (route) => {
      await held
      await route.continue()
    })
    try {
      await overview()
      assert.strictEqual(await page.$$eval("#accounts [data-account]", (cards) => cards.length), 6)
      assert.match(await page.textContent("#view") ?? "", /Computing the leaderboard and its 95 % intervals…/)
      release()
      await page.waitForSelector(".verdict")
      assert.notMatch(await page.textContent("#view") ?? "", /Computing the leaderboard/)
    } finally {
      release()
      await page.unroute("**/api/leaderboard*")
    }
    assert.deepStrictEqual(problems, [])
  })

  it("gives each account one colour on every page, whichever page opens first", async () => {
    await page.goto("about:blank")
    await page.goto(`${server.url}/#/runs/${firstRun}`)
    await page.waitForSelector("#borda")
    // (Strings evaluated in the page: this test's TypeScript has no DOM library for getComputedStyle.)
    const onRun = await page.evaluate(`[...document.querySelectorAll("#borda tbody tr")].map((tr) => [tr.dataset.pm, getComputedStyle(tr.querySelector(".swatch")).backgroundColor])`) as Array<[string, string]>
    await overview()
    const onCards = new Map(await page.evaluate(`[...document.querySelectorAll("#accounts [data-account]")].map((c) => [c.dataset.account, getComputedStyle(c).borderLeftColor])`) as Array<[string, string]>)
    assert.strictEqual(onRun.length, 5)
    for (const [pm, color] of onRun) assert.strictEqual(color, onCards.get(pm), pm)
  })

  it("reads every account from the exchange after a later day was run by another process, as the CLI does", async () => {
    await runDay("2025-06-04")
    const cli = await cliInProcess(home, ["accounts"])
    assert.strictEqual(cli.code, 0, cli.stderr)
    const served = await (await fetchFresh(`${server.url}/api/accounts`)).json() as ReadonlyArray<{ readonly account: string; readonly error: string | null; readonly snapshot: { readonly equity: number } | null }>
    assert.deepStrictEqual(served.map((a) => [a.account, a.error]), ACCOUNTS.map((a) => [a, null]))
    // the same equity as the CLI's table prints ("$100,012.34")
    for (const a of served) assert.include(cli.stdout, `$${a.snapshot!.equity.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`, a.account)
  })
})

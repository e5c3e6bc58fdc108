/**
 * A backtest's session runs on the monitor: `/api/runs?backtest=` and `/api/runs/{id}?backtest=` read them from the
 * backtest's own database, read-only, and the dashboard's sessions page and a session's page (the backtest in the
 * address) show them as the API answers and as `show <id> --backtest <bt> --json` prints them. Two short backtests
 * whose first day is the same run id (`2024-01-03-bt`) but not the same session: each page shows its own. Two more of
 * the same three sessions, one with the LLM PMs (a fake provider on 127.0.0.1) and one replaying them (paid nothing):
 * each session's LLM cost is its backtest's book's, as `runs --backtest` and `show --backtest` say.
 */
import { existsSync, readdirSync, renameSync } from "node:fs"
import { join } from "node:path"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { spentOn, tempHome } from "../../cli/test/CliHarness.ts"
import { cliOk } from "../../cli/test/InProcess.ts"
import { page, problems, runDetailOf, runsOf, server, useDashboardOf } from "./DashboardPage.ts"
import { fetchFresh } from "./MonitorHome.ts"
import { liveEnv, startFake } from "../../../packages/llm/test/FakeProvider.ts"

const KEYS = {
  OPENAI_API_KEY: "sk-dss-openai-3e1a7c90",
  GEMINI_API_KEY: "gm-dss-gemini-52b8d0f4",
  ANTHROPIC_API_KEY: "ant-dss-anthropic-a19c6e27",
  GROQ_API_KEY: "gsk-dss-groq-7c40e1b3",
  DEEPSEEK_API_KEY: "ds-dss-deepseek-0f9d2a68"
}

/** What `show <id> --backtest <bt> --json` prints, as far as this test reads it. */
interface Shown {
  readonly run: { readonly id: string; readonly startedAt: string; readonly status: string }
  readonly backtest: { readonly id: string; readonly file: string }
  readonly stages: ReadonlyArray<{ readonly stage: string; readonly calls: number }>
  readonly execution: ReadonlyArray<{ readonly account: string; readonly status: string; readonly placed: number; readonly failed: number }>
}

let home: string
let first: string
let second: string
let paid: string
let unpaid: string
const DAY = "2024-01-03-bt"
const PAID = ["2026-05-06-bt", "2026-05-05-bt", "2026-05-04-bt"]

useDashboardOf(async () => {
  home = tempHome()
  const fake = await startFake()
  try {
    const range = ["--from", "2026-05-04", "--to", "2026-05-06", "--accounts", "COUNCIL,CLAUDE", "--json"]
    paid = JSON.parse(await cliOk(home, ["backtest", ...range, "--pms", "live"], { ...liveEnv(fake, KEYS), COUNCIL_LLM_BUDGET_USD_MONTH: "100" })).id as string
    unpaid = JSON.parse(await cliOk(home, ["backtest", ...range, "--pms", "replay"])).id as string
  } finally {
    await fake.close()
  }
  const ids: Array<string> = []
  for (const [from, to] of [["2024-01-02", "2024-01-31"], ["2024-01-03", "2024-01-10"]]) {
    ids.push(JSON.parse(await cliOk(home, ["backtest", "--from", from!, "--to", to!, "--json"])).id as string)
  }
  ;[first, second] = ids as [string, string]
  return home
})

const get = async (path: string) => {
  const res = await fetchFresh(`${server.url}${path}`)
  return { status: res.status, body: await res.json() as unknown }
}

const shown = async (id: string, backtest: string): Promise<Shown> => JSON.parse(await cliOk(home, ["show", id, "--backtest", backtest, "--json"])) as Shown

/** The CLI's `runs --backtest <bt> --json`, as the API lists the same runs. */
const listedByCli = async (backtest: string) => JSON.parse(await cliOk(home, ["runs", "--backtest", backtest, "--json", "--limit", "100"])) as ReadonlyArray<unknown>

describe("/api/runs?backtest= — a backtest's session runs", () => {
  it("lists each backtest's sessions from its own database, as `runs --backtest <bt> --json` does; live is the home's", async () => {
    for (const [id, sessions] of [[first, 21], [second, 6]] as const) {
      const { body, status } = await get(`/api/runs?backtest=${id}&limit=100`)
      assert.strictEqual(status, 200)
      const runs = runsOf(body)
      assert.strictEqual(runs.length, sessions, id)
      assert.isTrue(runs.every((r) => r.id.endsWith("-bt")))
      // each names the backtest it is a session of, as `runs --backtest <bt> --json` does
      assert.deepStrictEqual(runs.map((r) => r.backtest), runs.map(() => ({ id })))
      assert.deepStrictEqual(body, await listedByCli(id))
    }
    // `latest` answers the sessions of the backtest it stands for, named by its id
    assert.deepStrictEqual((await get(`/api/runs?backtest=latest&limit=100`)).body, (await get(`/api/runs?backtest=${second}&limit=100`)).body)
    assert.deepStrictEqual(runsOf((await get(`/api/runs?backtest=latest&id=${DAY}`)).body).map((r) => r.backtest), [{ id: second }])
    assert.deepStrictEqual((await get("/api/runs?backtest=live")).body, [])
    assert.deepStrictEqual((await get("/api/runs")).body, [])
  })

  it("pages a backtest's sessions with ?before=, and ?id= finds one of them alone", async () => {
    const all = runsOf((await get(`/api/runs?backtest=${first}&limit=100`)).body).map((r) => r.id)
    const page1 = runsOf((await get(`/api/runs?backtest=${first}&limit=5`)).body).map((r) => r.id)
    const page2 = runsOf((await get(`/api/runs?backtest=${first}&limit=5&before=${page1.at(-1)}`)).body).map((r) => r.id)
    assert.deepStrictEqual([...page1, ...page2], all.slice(0, 10))
    assert.deepStrictEqual(runsOf((await get(`/api/runs?backtest=${first}&id=${DAY}`)).body).map((r) => r.id), [DAY])
    assert.deepStrictEqual((await get(`/api/runs?id=${DAY}`)).body, [])
  })

  it("answers a session's detail of the backtest named: the same run id is another session in another backtest", async () => {
    const a = runDetailOf((await get(`/api/runs/${DAY}?backtest=${first}`)).body)
    const b = runDetailOf((await get(`/api/runs/${DAY}?backtest=${second}`)).body)
    const [shownA, shownB] = [await shown(DAY, first), await shown(DAY, second)]
    assert.strictEqual(a.run.startedAt, shownA.run.startedAt)
    assert.strictEqual(b.run.startedAt, shownB.run.startedAt)
    assert.notStrictEqual(a.run.startedAt, b.run.startedAt)
    assert.deepStrictEqual(a.stages.map((s) => [s.name, s.calls]), shownA.stages.map((s) => [s.stage, s.calls]))
    assert.deepStrictEqual(shownA.backtest.id, first)
    assert.isTrue(shownA.backtest.file.endsWith(`${first}.db`))
    // the answer names the backtest it was read from, as `show --backtest <bt> --json` does (`latest`: its id)
    assert.deepStrictEqual([a.run.backtest, b.run.backtest], [{ id: shownA.backtest.id }, { id: shownB.backtest.id }])
    const latest = runDetailOf((await get(`/api/runs/${DAY}?backtest=latest&outputs=none`)).body)
    assert.deepStrictEqual(latest.run.backtest, { id: (await shown(DAY, "latest")).backtest.id })
    assert.deepStrictEqual(latest.run.backtest, { id: second })
    const notFound = await get(`/api/runs/${DAY}`)
    assert.strictEqual(notFound.status, 404)
    assert.match(JSON.stringify(notFound.body), /a backtest's sessions at \/api\/runs\?backtest=/)
    const missing = await get(`/api/runs/2023-01-03-bt?backtest=${first}`)
    assert.strictEqual(missing.status, 404)
    assert.match(JSON.stringify(missing.body), new RegExp(`no run 2023-01-03-bt in backtest ${first}`))
  })

  it("refuses an unknown or blank backtest as /api/leaderboard does, and creates no file for it", async () => {
    const before = readdirSync(join(home, "backtests")).sort()
    for (const path of ["/api/runs?backtest=bt-nope", `/api/runs/${DAY}?backtest=bt-nope`]) {
      const [runs, board] = [await get(path), await get("/api/leaderboard?backtest=bt-nope")]
      assert.strictEqual(runs.status, 404, path)
      assert.deepStrictEqual(runs.body, board.body, path)
    }
    assert.strictEqual((await get("/api/runs?backtest=")).status, 400)
    assert.deepStrictEqual(readdirSync(join(home, "backtests")).sort(), before)
  })

  it("reaches no file through a backtest id that is a path: every endpoint taking one refuses it, and creates nothing", async () => {
    // `../council` is the home's own database, as `backtests/<id>.db` would join it; the others point out of the home
    const ids = ["../council", "..", `${first}/../../council`, "/etc/passwd", "..\\council", `${first}\u0000`, "%2e%2e/council"]
    const listing = () => [readdirSync(home).sort(), readdirSync(join(home, "backtests")).sort()]
    const before = listing()
    for (const id of ids) {
      const q = encodeURIComponent(id)
      for (const path of [`/api/runs?backtest=${q}`, `/api/runs/${DAY}?backtest=${q}`, `/api/leaderboard?backtest=${q}`, `/api/equity?backtest=${q}`,
        `/api/equity/chart?backtest=${q}`, `/api/backtests/${q}`, `/api/backtests/${q}/report`, `/backtests/${q}/report.html`]) {
        const res = await fetchFresh(`${server.url}${path}`)
        const body = await res.text()
        assert.include([400, 404], res.status, `${path}: ${body.slice(0, 200)}`)
        // refused as no backtest of the ledger, never read as a file's store (its runs, or a database that does not open)
        assert.notMatch(body, /"id":"[^"]*-bt"|cannot be read|SQLITE/, path)
      }
    }
    assert.deepStrictEqual(listing(), before)
  })

  it("says a backtest whose database is missing is missing, without creating it", async () => {
    const file = join(home, "backtests", `${first}.db`)
    renameSync(file, `${file}.away`)
    try {
      const { body, status } = await get(`/api/runs?backtest=${first}`)
      assert.strictEqual(status, 404)
      assert.match(JSON.stringify(body), /its database backtests\/.*\.db is missing/)
      assert.isFalse(existsSync(file))
    } finally {
      renameSync(`${file}.away`, file)
    }
  })

  it("documents the parameter in the OpenAPI document", async () => {
    const doc = JSON.stringify((await get("/openapi.json")).body)
    const runs = /"\/api\/runs":\{.*?"\/api\/runs\/\{id\}"/.exec(doc)?.[0] ?? ""
    assert.include(runs, "\"name\":\"backtest\"")
    // and the answers' field naming it: each run's summary (listed, or a detail's `run`) has an optional `backtest`
    type Node = { readonly properties?: Record<string, unknown>; readonly required?: ReadonlyArray<string> }
    const summariesIn = (node: unknown): ReadonlyArray<Node> =>
      typeof node !== "object" || node === null ? []
      : [...((node as Node).properties?.["failedAccounts"] === undefined ? [] : [node as Node]), ...Object.values(node).flatMap(summariesIn)]
    const paths = (await get("/openapi.json")).body as { readonly paths: Record<string, { readonly get: { readonly responses: Record<string, unknown> } }> }
    for (const path of ["/api/runs", "/api/runs/{id}"]) {
      const summaries = summariesIn(paths.paths[path]?.get.responses["200"])
      assert.isNotEmpty(summaries, path)
      for (const summary of summaries) {
        assert.include(String(JSON.stringify(summary.properties?.["backtest"])), "the backtest this run is a session of", path)
        assert.notInclude(summary.required ?? [], "backtest", path)
      }
    }
  })
})

describe("a backtest's sessions' LLM costs on the API: its book's", () => {
  it("lists and details each session with what its backtest paid for it, as `runs --backtest` lists them; a replaying backtest's same ids paid nothing", async () => {
    const listed = runsOf((await get(`/api/runs?backtest=${paid}`)).body)
    assert.deepStrictEqual(listed.map((r) => r.id), PAID)
    assert.deepStrictEqual((await get(`/api/runs?backtest=${paid}`)).body, await listedByCli(paid))
    for (const run of listed) {
      if (!("llmCost" in run)) return assert.fail(`${run.id} is damaged`)
      const spent = spentOn(home, paid, run.id)
      assert.isAbove(spent, 0, run.id)
      assert.closeTo(run.llmCost?.totalUsd ?? 0, spent, 1e-9, run.id)
      const detail = runDetailOf((await get(`/api/runs/${run.id}?backtest=${paid}`)).body)
      assert.closeTo(detail.llmCosts?.totalUsd ?? 0, spent, 1e-9, run.id)
    }
    const free = runsOf((await get(`/api/runs?backtest=${unpaid}`)).body)
    assert.deepStrictEqual(free.map((r) => [r.id, "llmCost" in r ? r.llmCost : "damaged"]), PAID.map((id) => [id, null]))
    for (const id of PAID) assert.isNull(runDetailOf((await get(`/api/runs/${id}?backtest=${unpaid}`)).body).llmCosts, id)
  })
})

describe("the dashboard: a backtest's sessions and a session's page", () => {
  beforeAll(async () => {
    await page.goto(`${server.url}/#/?backtest=${encodeURIComponent(second)}`)
    await page.waitForSelector("#backtest-sessions a")
  }, 60_000)

  it("links the backtest's overview to its sessions, listed as the API lists them, each linking with the backtest", async () => {
    await page.click("#backtest-sessions a")
    await page.waitForSelector("#runs tbody tr")
    assert.strictEqual(new URL(page.url()).hash, `#/runs?backtest=${encodeURIComponent(second)}`)
    const api = runsOf((await get(`/api/runs?backtest=${second}&limit=100`)).body)
    const rows = await page.$$eval("#runs tbody tr", (trs) => trs.map((tr) => ({ id: tr.getAttribute("data-run"), href: tr.querySelector("a")?.getAttribute("href") })))
    assert.deepStrictEqual(rows.map((r) => r.id), api.map((r) => r.id))
    assert.deepStrictEqual(rows.map((r) => r.href), api.map((r) => `#/runs/${r.id}?backtest=${second}`))
  })

  it("shows a session of the backtest in the address, as the API answers and `show --backtest --json` prints, with no approve or close-all", async () => {
    for (const backtest of [first, second]) {
      await page.goto(`${server.url}/#/runs/${DAY}?backtest=${encodeURIComponent(backtest)}`)
      await page.waitForSelector("#run-backtest")
      const api = runDetailOf((await get(`/api/runs/${DAY}?backtest=${backtest}`)).body)
      const cli = await shown(DAY, backtest)
      assert.strictEqual(await page.textContent("#run-title"), `Run ${DAY} · backtest ${backtest}`)
      assert.include(await page.textContent("#run-backtest"), backtest)
      const stages = await page.$$eval("#stages tbody tr", (trs) => trs.map((tr) => [tr.children[0]?.textContent, Number(tr.children[4]?.textContent)]))
      assert.deepStrictEqual(stages, cli.stages.map((s) => [s.stage, s.calls]))
      const execution = await page.$$eval("#execution tbody tr", (trs) =>
        trs.map((tr) => ({ account: tr.getAttribute("data-account"), status: tr.children[1]?.textContent, placed: Number(tr.children[2]?.textContent), failed: Number(tr.children[4]?.textContent) })))
      assert.strictEqual(execution.length, 6)
      assert.deepStrictEqual(execution, cli.execution.map((e) => ({ account: e.account, status: e.status, placed: e.placed, failed: e.failed })))
      const pitches = await page.$$eval("#pitches tbody tr", (trs) => trs.map((tr) => [tr.children[0]?.textContent, tr.children[1]?.textContent, tr.children[2]?.textContent]))
      const apiPitches = (api.pitches as { readonly pitches: ReadonlyArray<{ readonly pm: string; readonly symbol: string; readonly direction: string }> }).pitches
      assert.isAbove(pitches.length, 0)
      assert.deepStrictEqual(pitches, apiPitches.map((p) => [p.pm, p.symbol, p.direction]))
      const orders = await page.$$eval("#orders tbody tr", (trs) => trs.map((tr) => tr.getAttribute("data-client-order-id")))
      const execAccounts = (api.execution as { readonly accounts: ReadonlyArray<{ readonly orders?: ReadonlyArray<{ readonly clientOrderId: string }> }> }).accounts
      assert.deepStrictEqual(orders, execAccounts.flatMap((a) => (a.orders ?? []).map((o) => o.clientOrderId)))
      assert.strictEqual(await page.$$eval("#approve, #reject, #close-all", (found) => found.length), 0)
    }
    assert.deepStrictEqual(problems, [])
  })

  it("names the backtest `latest` stood for on a session's page and the sessions' page, and links to it by its id", async () => {
    await page.goto(`${server.url}/#/runs/${DAY}?backtest=latest`)
    await page.waitForSelector("#run-backtest")
    assert.strictEqual(await page.textContent("#run-title"), `Run ${DAY} · backtest ${second}`)
    assert.include(await page.textContent("#run-backtest"), `A session of backtest ${second}`)
    assert.deepStrictEqual(await page.$$eval("#run-backtest a", (as) => as.map((a) => a.getAttribute("href"))),
      [`#/runs?backtest=${second}`, `#/?backtest=${second}`])
    await page.goto(`${server.url}/#/runs?backtest=latest`)
    await page.waitForSelector("#sessions-of")
    assert.strictEqual(await page.textContent("#view h1"), `Sessions of backtest ${second}`)
    const hrefs = await page.$$eval("#runs tbody tr a", (as) => as.map((a) => a.getAttribute("href")))
    assert.isNotEmpty(hrefs)
    for (const href of hrefs) assert.match(href ?? "", new RegExp(`\\?backtest=${second}$`))
    assert.deepStrictEqual(problems, [])
  })

  it("says a session the backtest does not hold is unknown there", async () => {
    await page.goto(`${server.url}/#/runs/2023-01-03-bt?backtest=${encodeURIComponent(first)}`)
    await page.waitForSelector("#unknown-run")
    assert.include(await page.textContent("#unknown-run"), `in backtest ${first}`)
  })
})

/**
 * Lists that stay bounded: `/api/runs` and `/api/backtests` answer a page (`?limit=`, default 50) and the next one
 * after a cursor (`?before=` the last id), pages that join into the whole list, ties of time broken by id; the CLI's
 * `runs` and `backtests` page the same way and say how to go on; the dashboard's runs and backtests pages load older
 * ones on demand (real Chromium), and a link to a backtest older than the selector's page still opens it. A real
 * `pnpm pipeline serve` on a home of 131 runs and 61 backtests (copies of one run's row and written book rows).
 */
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { Browser } from "playwright-core"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { collectProblems, launchChromium, type ServerProcess, startServer, fetchFresh } from "./MonitorHome.ts"

const RUNS = 130
const BOOKS = 60

let home: string
let server: ServerProcess
let browser: Browser

/** Pairs of rows share a moment, so the order between them is the id's. */
const moment = (i: number) => new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 2) * 60_000).toISOString()

const seed = (firstRun: string) => {
  const db = new DatabaseSync(join(home, "council.db"))
  const columns = db.prepare("SELECT name FROM pragma_table_info('runs')").all().map((c) => String(c["name"]))
  const copied = columns.map((c) => c === "id" || c === "started_at" ? "?" : c)
  const copy = db.prepare(`INSERT INTO runs (${columns.join(", ")}) SELECT ${copied.join(", ")} FROM runs WHERE id = ?`)
  const at = (id: string, startedAt: string) => columns.filter((c) => c === "id" || c === "started_at").map((c) => c === "id" ? id : startedAt)
  for (let i = 0; i < RUNS; i++) copy.run(...at(`2025-06-02-${(0xa0000000 + (i * 7919) % RUNS).toString(16)}`, moment(i)), firstRun)
  const book = db.prepare(`INSERT INTO ledger_books (id, kind, label, from_day, to_day, status, created_at, updated_at, params, short_id)
    VALUES (?, 'backtest', ?, '2025-01-02', '2025-01-31', 'completed', ?, ?, '{}', ?)`)
  for (let i = 0; i < BOOKS; i++) book.run(`bt-${String((i * 37) % BOOKS).padStart(3, "0")}`, `book ${i}`, moment(i), moment(i), `~${100 + i}`)
  db.close()
}

beforeAll(async () => {
  home = tempHome()
  const run = await cliInProcess(home, ["run", "daily", "--date", "2025-06-02"])
  if (run.code !== 0) throw new Error(run.stderr)
  const runId = /run (\d{4}-\d{2}-\d{2}-[0-9a-f]{8})/.exec(run.stdout)![1]!
  // a backtest of a few sessions: the live book's row and one real backtest book exist as the CLI writes them
  const backtest = await cliInProcess(home, ["backtest", "--from", "2025-01-02", "--to", "2025-01-06"])
  if (backtest.code !== 0) throw new Error(backtest.stderr)
  seed(runId)
  ;[server, browser] = await Promise.all([startServer(home), launchChromium()])
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** A GET on a connection of its own (`fetchFresh`): this file tests the lists, not connection reuse. */
const get = async <A>(path: string): Promise<{ readonly status: number; readonly body: A }> => {
  const res = await fetchFresh(`${server.url}${path}`)
  return { status: res.status, body: await res.json() as A }
}

/** Every page of `path` at `limit`, following `before` until a short page. */
const pages = async (path: string, limit: number) => {
  const seen: Array<Array<string>> = []
  let before: string | undefined
  for (;;) {
    const page = await get<ReadonlyArray<{ readonly id: string }>>(`${path}?limit=${limit}${before === undefined ? "" : `&before=${encodeURIComponent(before)}`}`)
    assert.strictEqual(page.status, 200)
    const ids = page.body.map((item) => item.id)
    assert.isFalse(ids.some((id) => seen.flat().includes(id)), `a page after ${before} repeats an item`)
    seen.push(ids)
    if (page.body.length < limit) return seen
    before = page.body.at(-1)!.id
  }
}

describe("the API's lists", () => {
  it("/api/runs: pages of `limit` after `before` join into the whole list, newest first, each run once", async () => {
    const whole = (await get<ReadonlyArray<{ readonly id: string; readonly startedAt: string }>>("/api/runs?limit=1000")).body
    assert.strictEqual(whole.length, RUNS + 1)
    const paged = await pages("/api/runs", 7)
    assert.deepStrictEqual(paged.flat(), whole.map((r) => r.id))
    assert.isTrue(paged.slice(0, -1).every((page) => page.length === 7))
    assert.strictEqual((await get<ReadonlyArray<unknown>>("/api/runs")).body.length, 50, "the default page")
    const bad = await get<{ readonly message: string }>("/api/runs?before=2025-06-02-ffffffff")
    assert.strictEqual(bad.status, 400)
    assert.match(bad.body.message, /^query parameter before: no run 2025-06-02-ffffffff/)
  })

  it("/api/backtests: a page at a time (default 50, not every backtest), pages joining into the whole list", async () => {
    const whole = (await get<ReadonlyArray<{ readonly id: string; readonly createdAt: string }>>("/api/backtests?limit=1000")).body
    assert.strictEqual(whole.length, BOOKS + 1)
    for (let i = 1; i < whole.length; i++) {
      const [newer, older] = [whole[i - 1]!, whole[i]!]
      assert.isTrue(newer.createdAt > older.createdAt || (newer.createdAt === older.createdAt && newer.id > older.id), `${newer.id} before ${older.id}`)
    }
    assert.deepStrictEqual((await pages("/api/backtests", 9)).flat(), whole.map((b) => b.id))
    assert.strictEqual((await get<ReadonlyArray<unknown>>("/api/backtests")).body.length, 50)
    const bad = await get<{ readonly message: string }>("/api/backtests?before=nope")
    assert.strictEqual(bad.status, 400)
    assert.match(bad.body.message, /^query parameter before: no backtest "nope"/)
    assert.strictEqual((await get("/api/backtests?limit=0")).status, 400)
    const oldest = await get<{ readonly id: string; readonly label: string }>(`/api/backtests/${whole.at(-1)!.id}`)
    assert.strictEqual(oldest.status, 200)
    assert.strictEqual(oldest.body.id, whole.at(-1)!.id)
    assert.strictEqual((await get("/api/backtests/nope")).status, 404)
  })

  it("the OpenAPI document says so", async () => {
    const doc = (await get<{ readonly paths: Record<string, { readonly get: { readonly parameters: ReadonlyArray<{ readonly name: string; readonly description?: string }> } }> }>("/openapi.json")).body
    for (const path of ["/api/runs", "/api/backtests"]) {
      const names = doc.paths[path]!.get.parameters.map((p) => p.name)
      assert.includeMembers(names, ["limit", "before"], path)
    }
    assert.isDefined(doc.paths["/api/backtests/{id}"]?.get)
  })
})

describe("the CLI's lists", () => {
  it("runs --limit N says how to go on, and --before lists the page after, as /api/runs does", async () => {
    const first = await cliInProcess(home, ["runs", "--limit", "5"])
    assert.strictEqual(first.code, 0, first.stderr)
    const next = /more: pnpm pipeline runs --before (\S+) --limit 5/.exec(first.stdout)?.[1]
    assert.isDefined(next, first.stdout)
    const second = await cliInProcess(home, ["runs", "--limit", "5", "--before", next!])
    const api = (await get<ReadonlyArray<{ readonly id: string }>>(`/api/runs?limit=5&before=${next}`)).body.map((r) => r.id)
    assert.deepStrictEqual(api.map((id) => second.stdout.includes(id)), [true, true, true, true, true])
    assert.notInclude(second.stdout, next!)
    const unknown = await cliInProcess(home, ["runs", "--before", "2025-06-02-ffffffff"])
    assert.strictEqual(unknown.code, 2)
    assert.match(unknown.stderr, /--before: no run 2025-06-02-ffffffff/)
  })

  it("backtests lists 50 by default and pages with --before, --json too", async () => {
    const table = await cliInProcess(home, ["backtests"])
    assert.strictEqual(table.code, 0, table.stderr)
    const next = /more: pnpm pipeline backtests --before (\S+)$/m.exec(table.stdout)?.[1]
    assert.isDefined(next, table.stdout)
    const rest = await cliInProcess(home, ["backtests", "--before", next!, "--json"])
    assert.strictEqual(rest.code, 0, rest.stderr)
    const ids = (JSON.parse(rest.stdout) as ReadonlyArray<{ readonly id: string }>).map((b) => b.id)
    const api = (await get<ReadonlyArray<{ readonly id: string }>>(`/api/backtests?before=${next}`)).body.map((b) => b.id)
    assert.deepStrictEqual(ids, api)
    assert.strictEqual(ids.length, BOOKS + 1 - 50)
    assert.notMatch(rest.stderr, /more:/, "the last page says no more")
    assert.strictEqual((await cliInProcess(home, ["backtests", "--before", "nope"])).code, 2)
  })
})

describe("the dashboard", () => {
  it("shows 100 runs, then the older ones on a click", async () => {
    const page = await browser.newPage()
    await page.goto(`${server.url}/#/runs`)
    await page.waitForSelector("#runs tbody tr")
    assert.strictEqual(await page.locator("#runs tbody tr").count(), 100)
    await page.click("#more-runs")
    await page.locator("#runs tbody tr").nth(RUNS).waitFor()
    assert.strictEqual(await page.locator("#more-runs").count(), 0, "the last page shown: no button")
    const shown = await page.locator("#runs tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-run")))
    const whole = (await get<ReadonlyArray<{ readonly id: string }>>("/api/runs?limit=1000")).body.map((r) => r.id)
    assert.deepStrictEqual(shown, whole)
    await page.close()
  })

  it("answers /api/backtests?id= with that backtest alone (latest: the newest), and an unknown one with an empty list (no 404)", async () => {
    const all = (await get<ReadonlyArray<{ readonly id: string }>>("/api/backtests?limit=1000")).body
    const oldest = all.at(-1)!
    assert.deepStrictEqual(await get(`/api/backtests?id=${oldest.id}`), { status: 200, body: [oldest] })
    assert.deepStrictEqual(await get(`/api/backtests?id=latest`), { status: 200, body: [all[0]] })
    for (const id of ["no-such-book", "live", "bt-2099-01-01-2099-12-31-ffffff"]) assert.deepStrictEqual(await get(`/api/backtests?id=${id}`), { status: 200, body: [] }, id)
  })

  it("shows 50 backtests, then the older ones; a link to one older than the selector's page opens it", async () => {
    const page = await browser.newPage()
    // an unknown book beyond the selector's page is asked of the list (`?id=`): said on the page, no 404 in the console
    const problems: Array<string> = []
    collectProblems(page, problems)
    await page.goto(`${server.url}/#/backtests`)
    await page.waitForSelector("#backtests tbody tr")
    assert.strictEqual(await page.locator("#backtests tbody tr").count(), 50)
    await page.click("#more-backtests")
    await page.locator("#backtests tbody tr").nth(BOOKS).waitFor()
    assert.strictEqual(await page.locator("#backtests tbody tr").count(), BOOKS + 1)
    assert.strictEqual(await page.locator("#more-backtests").count(), 0)
    const oldest = (await get<ReadonlyArray<{ readonly id: string }>>("/api/backtests?limit=1000")).body.at(-1)!.id
    await page.goto(`${server.url}/#/?backtest=${oldest}`)
    await page.locator("h1", { hasText: `Backtest ${oldest}` }).waitFor()
    assert.strictEqual(await page.locator("#unknown-book").count(), 0)
    assert.strictEqual(await page.locator("#book").inputValue(), oldest)
    await page.goto(`${server.url}/#/?backtest=no-such-book`)
    await page.waitForSelector("#unknown-book")
    assert.deepStrictEqual(problems, [])
    await page.close()
  })
})

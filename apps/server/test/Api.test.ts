import { type IncomingHttpHeaders, request } from "node:http"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { brotliDecompressSync, gunzipSync } from "node:zlib"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { ACCOUNTS } from "../../../packages/tracking/test/fixtures/SimulatedBook.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { BACKTEST, KEYS, LLM_DAY, type MonitorHome, prepareHome, type ServerProcess, startServer, withoutSnapshots, fetchFresh } from "./MonitorHome.ts"

const STAGES = ["Reconcile", "FetchData", "PmPitches", "PeerReview", "CouncilSynthesis", "RiskApproval", "Execution"]

const TOKEN = "t0ken-for-the-monitor-test-0123456789"

let home: MonitorHome
let open: ServerProcess
let guarded: ServerProcess

beforeAll(async () => {
  home = await prepareHome(30)
  ;[open, guarded] = await Promise.all([startServer(home.home), startServer(home.home, { COUNCIL_API_TOKEN: TOKEN, ...KEYS })])
}, 90_000)

afterAll(async () => {
  await Promise.all([open?.stop(), guarded?.stop()])
})

const bodyOf = async (res: Response): Promise<any> => {
  const text = await res.text()
  return text === "" ? null : JSON.parse(text)
}

const get = async (server: ServerProcess, path: string) => {
  const res = await fetchFresh(`${server.url}${path}`)
  return { status: res.status, body: await bodyOf(res) }
}

/** A GET with its raw bytes (node:http decodes nothing, where fetch would undo the compression). */
const raw = (server: ServerProcess, path: string, acceptEncoding?: string) =>
  new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const url = new URL(path, server.url)
    const req = request(url, { agent: false, headers: acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding } }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
    })
    req.on("error", reject)
    req.end()
  })

const post = async (server: ServerProcess, path: string, body: unknown, token?: string) => {
  const res = await fetchFresh(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body)
  })
  return { status: res.status, body: await bodyOf(res) }
}

describe("monitor API", () => {
  it("serves its OpenAPI document with every group's paths", async () => {
    const { body, status } = await get(open, "/openapi.json")
    assert.strictEqual(status, 200)
    assert.strictEqual(body.info.title, "Council monitor API")
    for (const path of ["/api/accounts", "/api/positions", "/api/orders", "/api/runs", "/api/runs/{id}", "/api/leaderboard", "/api/equity", "/api/backtests", "/api/close-all", "/api/runs/{id}/approve"]) {
      assert.property(body.paths, path)
    }
    assert.deepStrictEqual(body.paths["/api/close-all"].post.security, [{ bearer: [] }])
    const described = (schema: any): boolean => typeof schema?.description === "string" || (schema?.allOf ?? []).some(described)
    for (const [path, operations] of Object.entries<any>(body.paths)) {
      for (const [method, operation] of Object.entries<any>(operations)) {
        for (const parameter of operation.parameters ?? []) assert.isTrue(described(parameter.schema), `${method} ${path} ${parameter.name} says nothing of what it takes`)
      }
    }
  })

  it("lists the six accounts as their brokers report them, with positions and orders", async () => {
    const accounts = await get(open, "/api/accounts")
    assert.deepStrictEqual(accounts.body.map((a: any) => a.account), [...ACCOUNTS])
    assert.isTrue(accounts.body.every((a: any) => a.error === null && a.snapshot.equity > 0 && a.mode === "PAPER"))
    const positions = await get(open, "/api/positions?account=council")
    assert.deepStrictEqual(positions.body.map((p: any) => p.account), ["COUNCIL"])
    const orders = await get(open, "/api/orders?status=all")
    assert.isAbove(orders.body.flatMap((o: any) => o.orders).length, 0)
    const bad = await get(open, "/api/positions?account=NOPE")
    assert.strictEqual(bad.status, 400)
    assert.match(bad.body.message, /NOPE/)
  })

  it("gives each account's equity series as the ledger holds it, with SPY beside it", async () => {
    const { body } = await get(open, "/api/equity")
    assert.strictEqual(body.book, "live")
    for (const account of ACCOUNTS) {
      const series = body.accounts.find((a: any) => a.account === account)
      assert.deepStrictEqual(series.points.map((p: any) => p.equity), home.live.equity.get(account))
      assert.deepStrictEqual(series.points.map((p: any) => p.date), [...home.live.sessions])
    }
    assert.deepStrictEqual(body.benchmark.points.map((p: any) => p.close), [...home.live.spy])
    const one = await get(open, `/api/equity?account=claude&from=${home.live.sessions[2]}&to=${home.live.sessions[4]}`)
    assert.deepStrictEqual(one.body.accounts.map((a: any) => [a.account, a.points.length]), [["CLAUDE", 3]])
  })

  it("gives the same series as columns for a chart: each date once, every equity and SPY close as /api/equity has them", async () => {
    for (const query of ["", `?backtest=${BACKTEST}`, `?from=${home.live.sessions[3]}&to=${home.live.sessions[9]}`]) {
      const [full, chart] = await Promise.all([get(open, `/api/equity${query}`), get(open, `/api/equity/chart${query}`)])
      assert.strictEqual(chart.status, 200, query)
      assert.deepStrictEqual([chart.body.book, chart.body.from, chart.body.to], [full.body.book, full.body.from, full.body.to])
      const dates = full.body.accounts[0].points.map((p: any) => p.date)
      assert.isAbove(dates.length, 5)
      assert.deepStrictEqual(chart.body.dates, dates)
      assert.deepStrictEqual(chart.body.accounts.map((a: any) => a.account), full.body.accounts.map((a: any) => a.account))
      for (const [i, series] of full.body.accounts.entries()) {
        assert.deepStrictEqual(chart.body.accounts[i].equity, series.points.map((p: any) => p.equity), `${series.account}${query}`)
      }
      assert.deepStrictEqual(chart.body.benchmark, { name: "SPY", closes: full.body.benchmark.points.map((p: any) => p.close) })
    }
    const [full, chart] = await Promise.all([raw(open, "/api/equity"), raw(open, "/api/equity/chart")])
    assert.isBelow(chart.body.length * 3, full.body.length, "the columns are a third of the points' size or less")
    const bad = await get(open, "/api/equity/chart?backtest=nope")
    assert.strictEqual(bad.status, 404)
  })

  it("compresses a large answer for a client that accepts it (brotli first, then gzip), and no other", async () => {
    const plain = await raw(open, "/api/equity")
    assert.strictEqual(plain.headers["content-encoding"], undefined)
    assert.strictEqual(plain.headers["vary"], "accept-encoding")
    const value = JSON.parse(plain.body.toString("utf8"))
    assert.strictEqual(value.book, "live")
    const br = await raw(open, "/api/equity", "gzip, deflate, br")
    assert.strictEqual(br.headers["content-encoding"], "br")
    assert.deepStrictEqual(brotliDecompressSync(br.body), plain.body)
    assert.isBelow(br.body.length * 4, plain.body.length)
    for (const accept of ["gzip", "br;q=0, gzip;q=0.5"]) {
      const gz = await raw(open, "/api/equity", accept)
      assert.strictEqual(gz.headers["content-encoding"], "gzip", accept)
      assert.deepStrictEqual(gunzipSync(gz.body), plain.body)
    }
    assert.strictEqual((await raw(open, "/api/equity", "identity, br;q=0")).headers["content-encoding"], undefined)
    // the dashboard's script and a report page too; a small answer as it is
    assert.strictEqual((await raw(open, "/app.js", "br")).headers["content-encoding"], "br")
    const page = await raw(open, `/backtests/${BACKTEST}/report.html`, "gzip")
    assert.strictEqual(page.headers["content-encoding"], "gzip")
    assert.match(gunzipSync(page.body).toString("utf8"), /^<!doctype html>/i)
    const small = await raw(open, "/api/backtests", "br")
    assert.isBelow(small.body.length, 1024)
    assert.strictEqual(small.headers["content-encoding"], undefined)
  })

  it("ranks the accounts with intervals and a verdict; a backtest's book is read with ?backtest=", async () => {
    const live = await get(open, "/api/leaderboard")
    assert.isTrue(live.body.leaderboard.ranked)
    assert.strictEqual(live.body.leaderboard.rows.length, 6)
    assert.strictEqual(live.body.leaderboard.rows[0].totalReturn._tag, "Interval")
    assert.strictEqual(live.body.verdict, live.body.leaderboard.verdict)
    assert.isNull(live.body.unrecordedSessions, "every session of the simulated live book has its snapshot")
    const latest = await get(open, "/api/leaderboard?backtest=latest")
    assert.strictEqual(latest.body.book, BACKTEST)
    assert.strictEqual(latest.body.leaderboard.sessions, 24)
    const named = await get(open, `/api/equity?backtest=${BACKTEST}`)
    assert.strictEqual(named.body.accounts[0].points[0].date, "2023-01-03")
    // `live` names the live book here too, as it does on the report page and in the CLI's --backtest
    assert.deepStrictEqual((await get(open, "/api/leaderboard?backtest=live")).body, live.body)
    const missing = await get(open, "/api/leaderboard?backtest=nope")
    assert.strictEqual(missing.status, 404)
    const books = await get(open, "/api/backtests")
    assert.deepStrictEqual(books.body.map((b: any) => [b.id, b.status, b.sessions, b.from, b.to]), [[BACKTEST, "completed", 25, "2023-01-03", "2023-03-31"]])
    const badDate = await get(open, "/api/equity?from=2024-13")
    assert.strictEqual(badDate.status, 400)
  })

  it("counts a backtest's window the same in /api/backtests and /api/leaderboard; its OpenAPI document says which count each `sessions` is", async () => {
    const book = (await get(open, "/api/backtests")).body.find((b: any) => b.id === BACKTEST)
    const board = (await get(open, `/api/leaderboard?backtest=${BACKTEST}`)).body.leaderboard
    assert.deepStrictEqual([board.from, board.to], [book.firstSession, book.lastSession])
    assert.strictEqual(board.sessions, book.sessions - 1)
    assert.match(board.verdict, new RegExp(` over ${book.sessions} sessions \\(${book.sessions - 1} daily returns\\)(;|$)`))
    const openapi = (await get(open, "/openapi.json")).body
    const refs = (schema: any): any => schema?.$ref ? openapi.components.schemas[schema.$ref.split("/").pop()] : schema
    const sessionsOf = (schema: any, seen = new Set<any>()): Array<string> => {
      const at = refs(schema)
      if (at === null || typeof at !== "object" || seen.has(at)) return []
      seen.add(at)
      const own = at.properties?.sessions ? [refs(at.properties.sessions).description ?? "undescribed"] : []
      return [...own, ...Object.values<any>(at).flatMap((v) => (typeof v === "object" ? [v].flat().flatMap((x) => sessionsOf(x, seen)) : []))]
    }
    const response = (path: string) => openapi.paths[path].get.responses["200"].content["application/json"].schema
    const leaderboard = sessionsOf(response("/api/leaderboard"))
    // the board's, every row's metrics', every estimate's: daily returns; the unrecorded sessions' note: sessions
    const returns = /^the (window's )?daily returns (resampled )?\(n/
    assert.isAtLeast(leaderboard.filter((d) => returns.test(d)).length, 3)
    assert.deepStrictEqual([...new Set(leaderboard.filter((d) => !returns.test(d)))], ["the sessions of the span, `from` … `to` included, recorded or not (not daily returns)"])
    assert.deepStrictEqual([...new Set(sessionsOf(response("/api/backtests")))], ["the sessions recorded in the book (days with a snapshot), `firstSession` … `lastSession` included"])
  })

  it("answers bad input with a 4xx whose one-line message names the input, a status its OpenAPI document declares", async () => {
    const openapi = (await get(open, "/openapi.json")).body
    const cases: ReadonlyArray<readonly [string, string, number, RegExp, unknown?]> = [
      ["GET", "/api/runs?limit=0", 400, /^query parameter limit: .*between 1 and 1000/],
      ["GET", "/api/runs?limit=many", 400, /^query parameter limit: /],
      ["GET", "/api/orders?status=bogus", 400, /^query parameter status: .*"open" \| "closed" \| "all"/],
      ["GET", "/api/leaderboard?from=yesterday", 400, /^query parameter from: expected a date as YYYY-MM-DD/],
      ["GET", "/api/leaderboard?from=2025-02-30", 400, /^query parameter from: 2025-02-30 is not a calendar date/],
      ["GET", "/api/equity?to=2025-13-01", 400, /^query parameter to: 2025-13-01 is not a calendar date/],
      ["GET", "/api/equity?from=2025-03-01&to=2025-02-01", 400, /from comes after to/],
      ["GET", "/api/leaderboard?from=2025-01-03&from=2025-01-06", 400, /^query parameter from: /],
      ["GET", "/api/equity?account=NOBODY", 404, /^no account NOBODY in book live \(its accounts: CHATGPT, /],
      ["GET", `/api/equity?account=NOBODY&backtest=${BACKTEST}`, 404, new RegExp(`^no account NOBODY in book ${BACKTEST}`)],
      ["GET", "/api/runs/no-such-run", 404, /^no run no-such-run/],
      ["GET", "/api/backtests/nope/report", 404, /^no backtest "nope"/],
      ["POST", "/api/backtests", 400, /^request body from: expected a date as YYYY-MM-DD/, { from: "soon", to: "2025-01-31" }],
      ["POST", "/api/backtests", 400, /^request body: .*JSON/, "{not json"],
      // an item of a list: the path has two steps (["accounts"][0]), which once made the answer an empty 500
      ["POST", "/api/backtests", 400, /^request body accounts\.0: Expected string$/, { from: "2025-01-02", to: "2025-01-31", accounts: [1] }],
      ["POST", "/api/backtests", 400, /^request body accounts\.1: Expected string$/, { from: "2025-01-02", to: "2025-01-31", accounts: ["COUNCIL", ["CLAUDE"]] }],
      ["GET", "/api/nothing-here", 404, /^no route GET \/api\/nothing-here \(the API: \/openapi\.json\)/]
    ]
    for (const [method, path, status, message, payload] of cases) {
      const res = await fetchFresh(`${guarded.url}${path}`, method === "GET" ? {} : {
        method,
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        body: typeof payload === "string" ? payload : JSON.stringify(payload)
      })
      const body = await bodyOf(res)
      assert.strictEqual(res.status, status, `${method} ${path}`)
      assert.strictEqual(res.headers.get("content-type"), "application/json", `${method} ${path}`)
      assert.match(body?.message ?? "", message, `${method} ${path}`)
      assert.notInclude(body.message, "\n")
      assert.strictEqual(body._tag, status === 400 ? "BadRequest" : "NotFound")
      const template = path.split("?")[0]!.replace(/^\/api\/runs\/[^/]+$/, "/api/runs/{id}").replace(/^\/api\/backtests\/[^/]+\/report$/, "/api/backtests/{id}/report")
      const operation = openapi.paths[template]?.[method.toLowerCase()]
      if (operation !== undefined) assert.property(operation.responses, String(status), `${method} ${template} does not declare ${status}`)
      else assert.strictEqual(template, "/api/nothing-here")
    }
  })

  it("bound to 127.0.0.1, answers requests addressed to localhost or 127.0.0.1 only: a rebound name (DNS rebinding) reads nothing", async () => {
    const port = Number(new URL(open.url).port)
    const status = (host: string, path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path, headers: { host }, agent: false }, (res) => {
          let body = ""
          res.on("data", (chunk: Buffer) => body += chunk.toString("utf8"))
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }))
        })
        req.on("error", reject)
        req.end()
      })
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, "localhost", `[::1]:${port}`]) {
      assert.strictEqual((await status(host, "/api/positions")).status, 200, host)
    }
    for (const host of [`rebound.example:${port}`, `127.0.0.1.rebound.example:${port}`, "192.168.1.20"]) {
      for (const path of ["/api/positions", "/api/runs", "/", "/openapi.json", `/backtests/${BACKTEST}/report.html`]) {
        const refused = await status(host, path)
        assert.strictEqual(refused.status, 403, `${host} ${path}`)
        assert.match(JSON.parse(refused.body).message, /answers requests addressed to localhost or 127\.0\.0\.1 only/)
        assert.notInclude(refused.body, "CHATGPT")
      }
    }
  })

  it("lists runs and opens an offline one with its stages, pitches, peer reviews, decision, verdicts and execution; it spent nothing on LLMs", async () => {
    const runs = await get(open, "/api/runs")
    assert.deepStrictEqual(runs.body.map((r: any) => r.id), [home.runId, home.llmRunId])
    const { body, status } = await get(open, `/api/runs/${home.runId}`)
    assert.strictEqual(status, 200)
    assert.deepStrictEqual(body.stages.map((s: any) => [s.name, s.status]), STAGES.map((s) => [s, "completed"]))
    assert.strictEqual(body.pitches.pitches.length + body.pitches.abstentions.length, 5)
    assert.strictEqual(body.reviews.ballots.length + body.reviews.abstentions.length, 5)
    assert.isArray(body.decision.trades)
    assert.isTrue(body.shadowVote.agrees)
    assert.isNull(body.shadowVote.fallback)
    assert.isArray(body.verdicts.intents)
    assert.deepStrictEqual(body.execution.accounts.map((a: any) => a.account), [...ACCOUNTS])
    assert.deepStrictEqual(Object.keys(body.outputs), STAGES)
    assert.isNull(body.llmCosts)
    const lean = await get(open, `/api/runs/${home.runId}?outputs=none`)
    assert.deepStrictEqual(lean.body, { ...body, outputs: {} })
    assert.strictEqual((await get(open, `/api/runs/${home.runId}?outputs=some`)).status, 400)
    const missing = await get(open, "/api/runs/2026-01-01-00000000")
    assert.strictEqual(missing.status, 404)
  })

  it("lists a run that does not read back in its place, saying what is wrong, and every other run as before", async () => {
    const db = new DatabaseSync(join(home.home, "council.db"))
    db.prepare("UPDATE runs SET status = 'bogus' WHERE id = ?").run(home.runId)
    try {
      const runs = await get(open, "/api/runs")
      assert.strictEqual(runs.status, 200)
      const [damaged, whole] = runs.body
      assert.deepStrictEqual(Object.keys(damaged).sort(), ["damage", "id", "startedAt", "tradingDay"])
      assert.strictEqual(damaged.id, home.runId)
      assert.match(damaged.damage, new RegExp(`^run ${home.runId}: stored data does not decode: Expected "running"`))
      assert.strictEqual(whole.id, home.llmRunId)
      assert.strictEqual(whole.status, "completed")
      // damage: the same answer every time, so not 503 (a client would retry it for ever)
      const detail = await get(open, `/api/runs/${home.runId}`)
      assert.strictEqual(detail.status, 500)
      assert.strictEqual(detail.body._tag, "Damaged")
      assert.match(detail.body.message, new RegExp(`^run ${home.runId}: stored data does not decode`))
    } finally {
      db.prepare("UPDATE runs SET status = 'completed' WHERE id = ?").run(home.runId)
      db.close()
    }
  })

  it("says in the leaderboard's answer when sessions of its span have no snapshot, as leaderboard --json does, and documents it", async () => {
    const gap = await withoutSnapshots(home.home, 5, 3, async (removed) => {
      const { status, body } = await get(open, "/api/leaderboard")
      assert.strictEqual(status, 200)
      const cli = await cliInProcess(home.home, ["leaderboard", "--json"])
      assert.deepStrictEqual(body.unrecordedSessions, JSON.parse(cli.stdout).unrecordedSessions)
      assert.deepInclude(body.unrecordedSessions, { missing: removed.length, from: body.leaderboard.from, to: body.leaderboard.to })
      assert.strictEqual(body.unrecordedSessions.sessions, body.leaderboard.sessions + 1 + removed.length)
      return body.unrecordedSessions
    })
    assert.match(gap.note, /^3 of the \d+ sessions from \S+ to \S+ have no snapshot \(no run those days\)/)
    assert.isNull((await get(open, "/api/leaderboard")).body.unrecordedSessions)
    const openapi = (await get(open, "/openapi.json")).body
    const schema = openapi.paths["/api/leaderboard"].get.responses["200"].content["application/json"].schema
    assert.include(schema.required, "unrecordedSessions")
    const declared = schema.properties.unrecordedSessions.anyOf.find((s: any) => s.type === "object")
    assert.sameMembers(Object.keys(declared.properties), ["missing", "sessions", "from", "to", "note"])
  })

  it("answers a store that fails (the database's own error, nothing stored damaged) with 503 Unavailable, not Damaged; each documented", async () => {
    const db = new DatabaseSync(join(home.home, "council.db"))
    db.exec("ALTER TABLE stage_recordings RENAME TO stage_recordings_away")
    try {
      const detail = await get(open, `/api/runs/${home.runId}`)
      assert.deepStrictEqual(detail, { status: 503, body: { _tag: "Unavailable", message: "UnknownError: no such table: stage_recordings" } })
    } finally {
      db.exec("ALTER TABLE stage_recordings_away RENAME TO stage_recordings")
      db.close()
    }
    assert.strictEqual((await get(open, `/api/runs/${home.runId}`)).status, 200)
    const openapi = (await get(open, "/openapi.json")).body
    const responses = openapi.paths["/api/runs/{id}"].get.responses
    const tagOf = (status: string) => {
      const ref: string = responses[status].content["application/json"].schema.$ref
      return openapi.components.schemas[ref.split("/").at(-1)!].properties._tag.enum
    }
    assert.deepStrictEqual([tagOf("500"), tagOf("503")], [["Damaged"], ["Unavailable"]])
  })

  it("answers a ledger row that does not decode with 500 Damaged on the standings, a ledger that does not answer with 503 Unavailable; each documented", async () => {
    const db = new DatabaseSync(join(home.home, "council.db"))
    const first = "(SELECT MIN(session) FROM ledger_equity WHERE book = 'live')"
    const kept = db.prepare(`SELECT session, equity FROM ledger_equity WHERE book = 'live' AND account = 'COUNCIL' AND session = ${first}`).get() as { session: string; equity: number }
    db.prepare("UPDATE ledger_equity SET equity = 'a lot' WHERE book = 'live' AND account = 'COUNCIL' AND session = ?").run(kept.session)
    try {
      for (const path of ["/api/leaderboard", "/api/equity", "/api/equity/chart", "/api/equity?account=COUNCIL"]) {
        const { status, body } = await get(open, path)
        assert.deepStrictEqual([status, body._tag], [500, "Damaged"], `${path}: ${JSON.stringify(body)}`)
        assert.match(body.message, /stored data does not decode/)
      }
      const page = await fetchFresh(`${open.url}/backtests/live/report.html`)
      assert.strictEqual(page.status, 500)
    } finally {
      db.prepare("UPDATE ledger_equity SET equity = ? WHERE book = 'live' AND account = 'COUNCIL' AND session = ?").run(kept.equity, kept.session)
    }
    db.exec("ALTER TABLE ledger_equity RENAME TO ledger_equity_away")
    try {
      for (const path of ["/api/leaderboard", "/api/equity"]) {
        const { status, body } = await get(open, path)
        assert.deepStrictEqual([status, body._tag], [503, "Unavailable"], `${path}: ${JSON.stringify(body)}`)
      }
    } finally {
      db.exec("ALTER TABLE ledger_equity_away RENAME TO ledger_equity")
      db.close()
    }
    assert.strictEqual((await get(open, "/api/leaderboard")).status, 200)
    const openapi = (await get(open, "/openapi.json")).body
    for (const path of ["/api/leaderboard", "/api/equity", "/api/equity/chart", "/api/backtests", "/api/backtests/{id}/report"]) {
      const responses = openapi.paths[path].get.responses
      const tagOf = (status: string) => {
        const ref: string | undefined = responses[status]?.content["application/json"].schema.$ref
        return ref === undefined ? [] : openapi.components.schemas[ref.split("/").at(-1)!].properties._tag.enum
      }
      assert.deepStrictEqual([tagOf("500"), tagOf("503")], [["Damaged"], ["Unavailable"]], path)
    }
  })

  it("opens the LLM council's run: each reviewer's ranking and the Borda count, the mechanical vote beside the chairman's decision, LLM costs per stage and PM as show --json counts them", async () => {
    const { body } = await get(open, `/api/runs/${home.llmRunId}`)
    assert.deepStrictEqual(body.stages.map((s: any) => [s.name, s.status]), STAGES.map((s) => [s, "completed"]))
    assert.strictEqual(body.reviews.ballots.length, 5)
    for (const ballot of body.reviews.ballots) {
      assert.notInclude(ballot.ranking, ballot.reviewer)
      assert.sameMembers(ballot.shown.map((s: any) => s.pm), ballot.ranking)
    }
    assert.sameMembers(body.reviews.aggregate.map((a: any) => a.pm), ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK"])
    assert.deepStrictEqual(body.decision.trades.map((t: any) => `${t.direction} ${t.symbol}`), ["LONG TLT"])
    assert.strictEqual(body.decision.source, "anthropic:claude-sonnet-4-6")
    assert.deepStrictEqual(body.shadowVote.trades.map((t: any) => `${t.direction} ${t.symbol}`), ["LONG QQQ"])
    assert.isFalse(body.shadowVote.agrees)
    const costs = body.llmCosts
    assert.deepStrictEqual(costs.byStage.map((s: any) => s.stage), ["PmPitches", "PeerReview", "CouncilSynthesis"])
    assert.deepStrictEqual(costs.byActor.map((a: any) => a.actor), ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "CHAIRMAN"])
    const shown = JSON.parse((await cliInProcess(home.home, ["show", home.llmRunId, "--json"])).stdout).llm
    assert.closeTo(costs.totalUsd, shown.totalUsd, 1e-12)
    assert.isAbove(costs.totalUsd, 0)
    for (const line of shown.costs) {
      const same = costs.lines.find((l: any) => l.stage === line.stage && l.actor === line.actor && l.model === line.model)
      assert.closeTo(same.costUsd, line.costUsd, 1e-12, `${line.stage} ${line.actor}`)
    }
    assert.strictEqual(costs.lines.length, shown.costs.length)
  })

  it("charges the LLM day's spend in the equity series and the leaderboard: a PM's account its own calls, the council every call", async () => {
    const costs = (await get(open, `/api/runs/${home.llmRunId}`)).body.llmCosts
    const charged = (account: string) => account === "COUNCIL" ? costs.totalUsd : costs.byActor.find((a: any) => a.actor === account).costUsd
    const equity = (await get(open, "/api/equity")).body
    assert.isTrue(equity.llmCostRecorded)
    for (const { account, points } of equity.accounts) {
      for (const p of points) assert.closeTo(p.llmCost, p.date === LLM_DAY ? charged(account) : 0, 1e-12, `${account} ${p.date}`)
      assert.isAbove(points.find((p: any) => p.date === LLM_DAY).llmCost, 0)
    }
    const board = (await get(open, "/api/leaderboard")).body
    assert.isTrue(board.llmCostRecorded)
    for (const row of board.leaderboard.rows) {
      assert.closeTo(row.metrics.llmCost, charged(row.account), 1e-12)
      assert.closeTo(row.metrics.pnlNetOfCost, row.metrics.pnl - charged(row.account), 1e-9)
    }
    const before = (await get(open, `/api/leaderboard?to=${home.live.sessions[3]}`)).body
    // before the LLM day the book's spend reads 0, as in the whole window, never "—"
    assert.isTrue(before.llmCostRecorded)
    assert.isTrue(before.leaderboard.rows.every((r: any) => r.metrics.llmCost === 0))
  })

  it("refuses every mutation when no token is configured, and a missing or wrong token when one is", async () => {
    for (const [server, token] of [[open, undefined], [open, TOKEN], [guarded, undefined], [guarded, `${TOKEN}x`], [guarded, TOKEN.slice(0, -1)]] as const) {
      const res = await post(server, "/api/close-all", {}, token)
      assert.strictEqual(res.status, 401, `${server === open ? "no token configured" : "token configured"}, sent ${token === undefined ? "none" : "a wrong one"}`)
      assert.notInclude(JSON.stringify(res.body), TOKEN)
    }
    const approve = await post(guarded, `/api/runs/${home.runId}/approve`, {})
    assert.strictEqual(approve.status, 401)
  })

  it("reads no request body past 64 KiB: with the token a larger one is a 413 saying so, as every POST route's OpenAPI entry declares; without it a 401 as any", async () => {
    const huge = { account: "NOPE", pad: "x".repeat(4 << 20) }
    const openapi = (await get(open, "/openapi.json")).body
    for (const [path, template] of [["/api/close-all", "/api/close-all"], [`/api/runs/${home.runId}/approve`, "/api/runs/{id}/approve"], ["/api/backtests", "/api/backtests"]] as const) {
      for (const token of [TOKEN, undefined]) {
        const res = await post(guarded, path, huge, token)
        assert.deepStrictEqual(res, token === undefined
          ? { status: 401, body: { _tag: "Unauthorized", message: "missing or wrong bearer token (Authorization: Bearer $COUNCIL_API_TOKEN)" } }
          : { status: 413, body: { _tag: "PayloadTooLarge", message: "request body: larger than the server reads (64 KiB)" } })
      }
      // a client generated from the document knows the answer: its status, and a schema whose tag is the body's
      const declared = openapi.paths[template].post.responses["413"]
      assert.isDefined(declared, `POST ${template} does not declare 413`)
      const ref: string = declared.content["application/json"].schema.$ref
      const schema = openapi.components.schemas[ref.split("/").at(-1)!]
      assert.deepStrictEqual(schema.properties._tag.enum, ["PayloadTooLarge"])
    }
    const small = await post(guarded, "/api/close-all", { account: "NOPE" }, TOKEN)
    assert.deepStrictEqual([small.status, small.body._tag], [400, "BadRequest"])
  })

  it("answers a body that is not sent as JSON (curl -d's form content type) with a JSON 415 naming the content type to send, as every POST route declares", async () => {
    for (const [contentType, shown] of [["application/x-www-form-urlencoded", "application/x-www-form-urlencoded"], ["text/plain;charset=UTF-8", "text/plain"]] as const) {
      const res = await fetchFresh(`${guarded.url}/api/close-all`, {
        method: "POST",
        headers: { "content-type": contentType, authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ account: "NOPE" })
      })
      assert.deepStrictEqual({ status: res.status, body: await bodyOf(res) }, {
        status: 415,
        body: {
          _tag: "UnsupportedMediaType",
          message: `request body: sent as ${shown}; send it as JSON with Content-Type: application/json (curl: -H 'Content-Type: application/json')`
        }
      })
    }
    const openapi = (await get(open, "/openapi.json")).body
    for (const path of ["/api/close-all", "/api/runs/{id}/approve", "/api/backtests"]) {
      const declared = openapi.paths[path].post.responses["415"]
      assert.isDefined(declared, `POST ${path} does not declare 415`)
      const ref: string = declared.content["application/json"].schema.$ref
      assert.deepStrictEqual(openapi.components.schemas[ref.split("/").at(-1)!].properties._tag.enum, ["UnsupportedMediaType"])
    }
  })

  it("answers /api/runs?id= with that run's summary alone, as the list gives it, and an unknown run with an empty list (no 404)", async () => {
    const listed = (await get(open, "/api/runs?limit=1000")).body.find((r: any) => r.id === home.runId)
    assert.isDefined(listed)
    assert.deepStrictEqual(await get(open, `/api/runs?id=${home.runId}`), { status: 200, body: [listed] })
    for (const id of ["nope", "2025-06-02-ffffffff"]) assert.deepStrictEqual(await get(open, `/api/runs?id=${id}`), { status: 200, body: [] }, id)
    const llm = await get(open, `/api/runs?id=${home.llmRunId}`)
    assert.deepStrictEqual(llm.body.map((r: any) => [r.id, r.llmCost !== null]), [[home.llmRunId, true]])
  })

  it("says at /api/server whether it accepts mutations (a token configured), never the token; its answer is what close-all meets", async () => {
    const without = await get(open, "/api/server")
    assert.deepStrictEqual([without.status, without.body], [200, { mutations: false }])
    assert.strictEqual((await post(open, "/api/close-all", {}, TOKEN)).status, 401)
    const withToken = await get(guarded, "/api/server")
    assert.deepStrictEqual([withToken.status, withToken.body], [200, { mutations: true }])
    assert.notInclude(JSON.stringify(withToken.body), TOKEN)
    const openapi = (await get(open, "/openapi.json")).body
    assert.deepStrictEqual(openapi.paths["/api/server"].get.security, [])
  })

  it("with the token: approve refuses a run that is not awaiting approval, close-all closes every position", async () => {
    const approve = await post(guarded, `/api/runs/${home.runId}/approve`, {}, TOKEN)
    assert.deepStrictEqual([approve.status, approve.body._tag], [400, "BadRequest"])
    assert.match(approve.body.message, /is not awaiting approval \(it is completed\)/)
    const before = await get(guarded, "/api/positions?account=COUNCIL")
    assert.isAbove(before.body[0].positions.length, 0)
    const closed = await post(guarded, "/api/close-all", { account: "COUNCIL" }, TOKEN)
    assert.strictEqual(closed.status, 200)
    assert.deepStrictEqual(closed.body.map((c: any) => [c.account, c.error]), [["COUNCIL", null]])
    assert.strictEqual(closed.body[0].closed.length, before.body[0].positions.length)
    // The local exchange fills by the moment an order is sent: a closing market order sent at the run's moment
    // fills at a later price (the close, or the next open), so each position is either gone or has its closing
    // order open at the broker, for its whole quantity and the opposite side.
    const after = await get(guarded, "/api/positions?account=COUNCIL")
    const pending = (await get(guarded, "/api/orders?account=COUNCIL")).body[0].orders
    for (const position of before.body[0].positions) {
      const still = after.body[0].positions.find((p: any) => p.symbol === position.symbol)
      if (still === undefined) continue
      const closing = pending.find((o: any) => o.symbol === position.symbol && o.side === (position.side === "long" ? "sell" : "buy"))
      assert.isDefined(closing, `${position.symbol} has neither closed nor a closing order`)
      assert.strictEqual(Number(closing.qty), Math.abs(Number(position.qty)), position.symbol)
    }
    assert.notInclude(guarded.output(), TOKEN)
  })

  it("with the token: starts a backtest that runs in the background to its report; a bad range is a 400 naming the flag", async () => {
    const started = await post(guarded, "/api/backtests", { from: "2024-02-01", to: "2024-02-09", accounts: ["COUNCIL"] }, TOKEN)
    assert.strictEqual(started.status, 200, JSON.stringify(started.body))
    assert.deepStrictEqual([started.body.kind, started.body.status, started.body.from, started.body.to], ["backtest", "running", "2024-02-01", "2024-02-09"])
    const id = started.body.id
    let book: any
    for (let i = 0; i < 120; i++) {
      book = (await get(guarded, "/api/backtests")).body.find((b: any) => b.id === id)
      if (book?.status !== "running") break
      await new Promise((done) => setTimeout(done, 250))
    }
    assert.strictEqual(book.status, "completed", JSON.stringify(book))
    const equity = (await get(guarded, `/api/equity?backtest=${id}`)).body
    assert.deepStrictEqual(equity.accounts.map((a: any) => a.account), ["COUNCIL"])
    assert.strictEqual(equity.accounts[0].points.length, 7)
    const page = await fetchFresh(`${guarded.url}/backtests/${id}/report.html`)
    assert.strictEqual(page.status, 200)
    assert.include(await page.text(), id)

    const backwards = await post(guarded, "/api/backtests", { from: "2024-02-09", to: "2024-02-01" }, TOKEN)
    assert.strictEqual(backwards.status, 400)
    // the child's last stderr line, without its time (its stderr is a pipe) or its "error: "
    assert.match(backwards.body.message, /^--from 2024-02-09 is after --to 2024-02-01/)
    const unauthorized = await post(guarded, "/api/backtests", { from: "2024-02-01", to: "2024-02-09" })
    assert.strictEqual(unauthorized.status, 401)
  }, 60_000)

  it("shows no secret: the API token and the LLM keys of its environment are in no answer, page or line of its output", async () => {
    const paths = [
      "/", "/app.js", "/openapi.json", "/api/accounts", "/api/positions", "/api/orders?status=all", "/api/runs",
      `/api/runs/${home.llmRunId}`, `/api/runs/${home.runId}`, "/api/leaderboard", "/api/equity", "/api/backtests",
      "/api/backtests/latest/report", "/api/backtests/live/report", "/backtests/live/report.html", `/backtests/${BACKTEST}/report.html`,
      "/api/runs?limit=0", "/api/nothing-here"
    ]
    const answers = await Promise.all(paths.map(async (path) => [path, await (await fetchFresh(`${guarded.url}${path}`)).text()] as const))
    answers.push(["refused close-all", JSON.stringify((await post(guarded, "/api/close-all", {}, `${TOKEN}-wrong`)).body)])
    answers.push(["server output", guarded.output()])
    assert.include(answers.find(([path]) => path === `/api/runs/${home.llmRunId}`)![1], "anthropic:claude-sonnet-4-6", "the LLM run is there to leak from")
    for (const [where, text] of answers) {
      for (const secret of [TOKEN, ...Object.values(KEYS)]) assert.notInclude(text, secret, where)
    }
  })

  it("stops cleanly on SIGTERM and SIGINT, closing its port", async () => {
    for (const [server, signal] of [[open, "SIGTERM"], [guarded, "SIGINT"]] as const) {
      const code = await server.stop(signal)
      assert.strictEqual(code, 0, server.output())
      assert.match(server.output(), new RegExp(`${signal}: stopping\nstopped\n$`))
      const refused = await fetchFresh(`${server.url}/api/runs`).then(() => "answered", (e: Error) => e.message)
      assert.strictEqual(refused, "fetch failed")
    }
  })
})

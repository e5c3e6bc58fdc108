/**
 * The monitor API beside its CLI twin on the same inputs, on the same home: what one refuses the other refuses
 * (API: 400/404 with `{_tag, message}`, declared in the OpenAPI document; CLI: one line, exit 2), what one answers
 * the other answers (200; exit 0). An empty home (a live book with no equity yet) and a seeded one (a live book and
 * the `BACKTEST` book).
 */
import { join } from "node:path"
import * as Schema from "effect/Schema"
import { Standings } from "@council/tracking"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { seedDatabase } from "../../../packages/tracking/test/fixtures/SimulatedBook.ts"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { BACKTEST, type ServerProcess, startServer, fetchFresh } from "./MonitorHome.ts"

let empty: { home: string; server: ServerProcess }
let seeded: { home: string; server: ServerProcess }

beforeAll(async () => {
  const homes = [tempHome(), tempHome()] as const
  const [a, b] = await Promise.all(homes.map((home) => startServer(home)))
  // the server made the database; the seeded home's books are written beside it
  await seedDatabase(join(homes[1], "council.db"), 12)
  empty = { home: homes[0], server: a! }
  seeded = { home: homes[1], server: b! }
}, 90_000)

afterAll(async () => {
  await Promise.all([empty?.server.stop(), seeded?.server.stop()])
})

/** One input: the API's path and query, the CLI's arguments, and what either must name when it refuses. */
interface Case {
  readonly api: string
  readonly cli: ReadonlyArray<string>
  /** Refused, naming this; `undefined`: answered. */
  readonly refused?: string
  /** The path as the OpenAPI document names it, when not the request's. */
  readonly path?: string
}

const CASES: ReadonlyArray<Case> = [
  { api: "/api/equity?account=NOPE", cli: ["equity", "--account", "NOPE"], refused: "NOPE" },
  { api: "/api/equity?account=nope", cli: ["equity", "--account", "nope"], refused: "NOPE" },
  { api: "/api/equity?account=no%20pe!", cli: ["equity", "--account", "no pe!"], refused: "no pe!" },
  { api: "/api/equity?account=council", cli: ["equity", "--account", "council"] },
  { api: "/api/equity?account=NOPE&from=2030-01-02", cli: ["equity", "--account", "NOPE", "--from", "2030-01-02"], refused: "NOPE" },
  { api: "/api/equity?account=COUNCIL&from=2030-01-02", cli: ["equity", "--account", "COUNCIL", "--from", "2030-01-02"] },
  { api: `/api/equity?account=NOPE&backtest=${BACKTEST}`, cli: ["equity", "--account", "NOPE", "--backtest", BACKTEST], refused: "NOPE" },
  { api: "/api/equity?backtest=nope", cli: ["equity", "--backtest", "nope"], refused: "nope" },
  { api: "/api/leaderboard?backtest=nope", cli: ["leaderboard", "--backtest", "nope"], refused: "nope" },
  { api: "/api/equity?from=2025-02-30", cli: ["equity", "--from", "2025-02-30"], refused: "2025-02-30" },
  { api: "/api/leaderboard?to=2025-13-01", cli: ["leaderboard", "--to", "2025-13-01"], refused: "2025-13-01" },
  { api: "/api/equity?from=yesterday", cli: ["equity", "--from", "yesterday"], refused: "from" },
  { api: "/api/leaderboard?from=2025-03-01&to=2025-01-02", cli: ["leaderboard", "--from", "2025-03-01", "--to", "2025-01-02"], refused: "2025-03-01" },
  { api: "/api/equity?from=2025-03-01&to=2025-01-02", cli: ["equity", "--from", "2025-03-01", "--to", "2025-01-02"], refused: "2025-03-01" },
  // a window with no sessions: an empty answer, not an error
  { api: "/api/equity?from=2030-01-02&to=2030-01-31", cli: ["equity", "--from", "2030-01-02", "--to", "2030-01-31"] },
  { api: "/api/leaderboard?from=2030-01-02&to=2030-01-31", cli: ["leaderboard", "--from", "2030-01-02", "--to", "2030-01-31"] },
  { api: "/api/leaderboard?backtest=latest", cli: ["leaderboard", "--backtest", "latest"] },
  { api: "/api/equity?backtest=", cli: ["equity", "--backtest", ""], refused: "backtest" },
  { api: "/api/leaderboard?backtest=%20", cli: ["leaderboard", "--backtest", " "], refused: "backtest" },
  // the other endpoints' twins: accounts, orders, runs
  { api: "/api/positions?account=NOPE", cli: ["positions", "--account", "NOPE"], refused: "NOPE" },
  { api: "/api/orders?account=NOPE", cli: ["orders", "--account", "NOPE"], refused: "NOPE" },
  { api: "/api/orders?status=bogus", cli: ["orders", "--status", "bogus"], refused: "status" },
  { api: "/api/runs?limit=0", cli: ["runs", "--limit", "0"], refused: "limit" },
  { api: "/api/runs?limit=1001", cli: ["runs", "--limit", "1001"], refused: "limit" },
  { api: "/api/runs?limit=1000", cli: ["runs", "--limit", "1000"] },
  { api: "/api/runs?limit=1", cli: ["runs", "--limit", "1"] },
  { api: "/api/runs/nope", cli: ["show", "nope"], refused: "nope", path: "/api/runs/{id}" }
]

const declared = (openapi: any, path: string, status: number): ReadonlyArray<string> => {
  const response = openapi.paths[path]?.get?.responses[String(status)]
  if (response === undefined) return []
  const ref: string = response.content["application/json"].schema.$ref
  return openapi.components.schemas[ref.split("/").at(-1)!].properties._tag.enum
}

const walk = async (where: { home: string; server: ServerProcess }, name: string) => {
  const openapi = await (await fetchFresh(`${where.server.url}/openapi.json`)).json()
  for (const c of CASES) {
    // the empty home holds no backtest: one named there is refused on both sides, for that
    const refused = name === "empty" && /backtest=(latest|bt-)/.test(c.api) ? "backtest" : c.refused
    const res = await fetchFresh(`${where.server.url}${c.api}`)
    const body: any = await res.json()
    const cli = await cliInProcess(where.home, c.cli)
    const what = `${name}: GET ${c.api} (${res.status} ${JSON.stringify(body).slice(0, 200)}) beside ${c.cli.join(" ")} (exit ${cli.code}: ${cli.stderr})`
    if (refused === undefined) {
      assert.deepStrictEqual([res.status, cli.code], [200, 0], what)
      continue
    }
    assert.include([400, 404], res.status, what)
    assert.strictEqual(cli.code, 2, what)
    assert.deepStrictEqual(Object.keys(body).sort(), ["_tag", "message"], what)
    assert.include(declared(openapi, c.path ?? new URL(c.api, "http://x").pathname, res.status), body._tag, `${what}: not declared`)
    const lines = cli.stderr.trim().split("\n")
    assert.strictEqual(lines.length, 1, what)
    for (const said of [body.message, lines[0]]) assert.include(said.toLowerCase(), refused.toLowerCase(), what)
  }
}

describe("the monitor API and the CLI on the same inputs", () => {
  it("agree on a home with no equity yet: an account no book holds nor is configured is refused by both", async () => {
    await walk(empty, "empty")
  }, 120_000)

  it("agree on a home with a live book and a backtest", async () => {
    await walk(seeded, "seeded")
  }, 120_000)

  it("answer accounts, positions and orders with the same JSON: the CLI's --json is the API's answer", async () => {
    for (const [api, cli] of [
      ["/api/accounts", ["accounts", "--json"]],
      ["/api/positions?account=council", ["positions", "--account", "council", "--json"]],
      ["/api/orders?status=all", ["orders", "--status", "all", "--json"]]
    ] as const) {
      const answer = await (await fetchFresh(`${seeded.server.url}${api}`)).json()
      const printed = await cliInProcess(seeded.home, cli)
      assert.strictEqual(printed.code, 0, printed.stderr)
      assert.deepStrictEqual(JSON.parse(printed.stdout), answer, api)
    }
  }, 60_000)

  it("answer a window with no sessions with the window asked and nothing in it, the CLI naming that window", async () => {
    for (const [query, args, words] of [
      ["from=2030-01-02&to=2030-01-31", ["--from", "2030-01-02", "--to", "2030-01-31"], "from 2030-01-02 to 2030-01-31"],
      ["from=2030-01-02", ["--from", "2030-01-02"], "from 2030-01-02 on"],
      ["to=2001-01-31", ["--to", "2001-01-31"], "up to 2001-01-31"]
    ] as const) {
      const asked = { from: new URLSearchParams(query).get("from"), to: new URLSearchParams(query).get("to") }
      const equity = Schema.encodeSync(Standings.EquityReport)(Schema.decodeUnknownSync(Standings.EquityReport)(await (await fetchFresh(`${seeded.server.url}/api/equity?${query}`)).json()))
      assert.deepInclude(equity, { window: asked, from: null, to: null, accounts: [] }, query)
      const chart = Schema.encodeSync(Standings.EquityChart)(Schema.decodeUnknownSync(Standings.EquityChart)(await (await fetchFresh(`${seeded.server.url}/api/equity/chart?${query}`)).json()))
      assert.deepInclude(chart, { window: asked, dates: [], accounts: [] }, query)
      const cli = await cliInProcess(seeded.home, ["equity", ...args])
      assert.deepStrictEqual([cli.code, cli.stdout.trim()], [0, `no equity recorded in book live ${words} yet — record a session's with: pnpm pipeline run daily (or pnpm pipeline reconcile)`])
      const board = Schema.decodeUnknownSync(Standings.LeaderboardReport)(await (await fetchFresh(`${seeded.server.url}/api/leaderboard?${query}`)).json())
      assert.strictEqual(board.verdict, `no equity recorded in book live ${words} yet — record a session's with: pnpm pipeline run daily (or pnpm pipeline reconcile)`)
    }
    const whole = Schema.decodeUnknownSync(Standings.EquityReport)(await (await fetchFresh(`${seeded.server.url}/api/equity?from=2000-01-03`)).json())
    assert.deepStrictEqual(Schema.encodeSync(Standings.AskedWindow)(whole.window), { from: "2000-01-03", to: null })
    assert.isAbove(whole.accounts.length, 0)
    assert.isTrue(whole.from !== null && whole.from > "2000-01-03", "from: the report's first session, not the window's")
  }, 60_000)
})

/**
 * The dashboard open in Chromium for one test file: `useDashboard(sessions)` prepares a home of that many sessions
 * (`prepareHome`), serves it and opens a page before the file's tests, and closes both after them. `home`, `server`,
 * `browser` and `page` are set once the file's tests begin; `problems` collects what the page must not show (console
 * errors, uncaught errors), `requests` every URL it asked for. Also the API's answers read as it declares them, and
 * the assertion that a text shows an amount of dollars.
 */
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll } from "@effect/vitest"
import * as Schema from "effect/Schema"
import type { Browser, Page } from "playwright-core"
import { DamagedRunSummary, RunDetail, RunSummary } from "@council/api"
import { Standings } from "@council/tracking"
import { type MonitorHome, openDashboard, prepareHome, type ServerProcess } from "./MonitorHome.ts"

/** Where the tests leave their screenshots, to look at. */
export const SCREENSHOTS = join(tmpdir(), "council-dashboard")

export let home: MonitorHome
export let server: ServerProcess
export let browser: Browser
export let page: Page
export const problems: Array<string> = []
export const requests: Array<string> = []

/**
 * Opens the dashboard of the home `prepare` makes (it resolves with the home's directory) at `viewport` before the
 * file's tests; closes it after them. A file's own `beforeAll` registered after this one sees the page open.
 */
export const useDashboardOf = (prepare: () => Promise<string>, viewport?: { readonly width: number; readonly height: number }): void => {
  beforeAll(async () => {
    // a worker runs file after file with this module loaded once: what an earlier file's page did is not this one's
    problems.length = 0
    requests.length = 0
    const directory = await prepare()
    ;({ server, browser, page } = await openDashboard(directory, problems, viewport))
    page.on("request", (request) => requests.push(request.url()))
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })
}

/** Opens the dashboard of a home of `sessions` sessions (`home`) before the file's tests; closes it after them. */
export const useDashboard = (sessions: number): void =>
  useDashboardOf(async () => {
    home = await prepareHome(sessions)
    return home.home
  })

/**
 * Has the page receive the server's JSON answers to `matches` changed by `rewrite` (in place) until the function it
 * resolves with takes the change away: a state the test home cannot make (a winner, a filled order, a reading the
 * broker did not give) shown as the page would show it. `J` is what `rewrite` reads of the answer.
 */
export const rewriteAnswers = async <J>(matches: (url: URL) => boolean, rewrite: (body: J) => void): Promise<() => Promise<void>> => {
  await page.route(matches, async (route) => {
    const answer = await route.fetch()
    const body: J = await answer.json()
    rewrite(body)
    await route.fulfill({ response: answer, json: body })
  })
  return () => page.unroute(matches)
}

export /** "$1,234.56" as a number. */
const dollars = (text: string | null | undefined): number => Number(String(text).replace(/[$,]/g, ""))

export /** Asserts that `text` shows `value` to the digits it prints (half a unit of its last digit). */
const showsDollars = (text: string | null | undefined, value: number, what = "") => {
  const digits = /\.(\d+)$/.exec(String(text))?.[1]?.length ?? 0
  assert.closeTo(dollars(text), value, 0.5 * 10 ** -digits + 1e-12, `${what} ${text}`)
}

/** An answer of `/api/leaderboard`, read as the API declares it. */
export const leaderboardOf = Schema.decodeUnknownSync(Standings.LeaderboardReport)
/** An answer of `/api/equity`, read as the API declares it. */
export const equityOf = Schema.decodeUnknownSync(Standings.EquityReport)
/** An answer of `/api/runs`, read as the API declares it. */
export const runsOf = Schema.decodeUnknownSync(Schema.Array(Schema.Union([RunSummary, DamagedRunSummary])))
/** An answer of `/api/runs/:id`, read as the API declares it. */
export const runDetailOf = Schema.decodeUnknownSync(RunDetail)

/**
 * A COUNCIL_HOME with something to monitor: a day run live by the LLM council against the fake provider server of
 * llm's tests (its spend written by llm's own `SpendLedger`), a later day run offline, both through the CLI in
 * process; a live book of `sessions` simulated on the bundled bars around the LLM day, and one backtest book; then
 * `pnpm pipeline serve` on it as a real process, on a free 127.0.0.1 port.
 */
import { spawn } from "node:child_process"
import type { Browser, Page } from "playwright-core"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { answerWith, type FakeRequest, liveEnv, startFake, validAnswer } from "../../../packages/llm/test/FakeProvider.ts"
import { bin, runIdOf, tempHome } from "../../cli/test/CliHarness.ts"
import { launchChromium } from "./Chromium.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { type Simulation, seedDatabase } from "../../../packages/tracking/test/fixtures/SimulatedBook.ts"

export { BACKTEST } from "../../../packages/tracking/test/fixtures/SimulatedBook.ts"
export { launchChromium } from "./Chromium.ts"

/** The session the LLM council trades: inside the simulated live book, which starts on 2025-01-02. */
export const LLM_DAY = "2025-01-15"

/** The LLM keys of the LLM day (fake provider): what no answer, page or log of the monitor may show. */
export const KEYS = {
  OPENAI_API_KEY: "sk-monitor-openai-5d1f",
  GEMINI_API_KEY: "gm-monitor-gemini-8a2c",
  ANTHROPIC_API_KEY: "ant-monitor-anthropic-3e9b",
  GROQ_API_KEY: "gsk-monitor-groq-c471",
  DEEPSEEK_API_KEY: "ds-monitor-deepseek-06fa"
}

/** PMs that disagree, and a chairman that overrules the mechanical vote (which follows the QQQ majority). */
const PITCHES: Readonly<Record<string, Record<string, unknown>>> = {
  "gpt-5.4": { symbol: "QQQ", direction: "LONG", conviction: 2 },
  "gemini-3.1-pro-preview": { symbol: "SPY", direction: "SHORT", conviction: -1 },
  "claude-sonnet-4-6": { symbol: "QQQ", direction: "LONG", conviction: 1 },
  "openai/gpt-oss-120b": { symbol: "TLT", direction: "LONG", conviction: 1 },
  "deepseek-v4-flash": { symbol: "QQQ", direction: "LONG", conviction: 1 }
}
const respond = (r: FakeRequest) => {
  if (r.kind === "pitch") return answerWith(r, JSON.stringify({ ...validAnswer(r), ...PITCHES[r.model] }))
  if (r.kind === "chairman") {
    const answer = validAnswer(r)
    return answerWith(r, JSON.stringify({ ...answer, trades: [{ symbol: "TLT", direction: "LONG", conviction: 1, riskProfile: "BASE", horizon: "1W" }], dissent: ["CHATGPT", "CLAUDE", "DEEPSEEK"].map((pm) => ({ pm, disagreement: "long QQQ; duration is cheaper" })) }))
  }
  return undefined
}

export interface MonitorHome {
  readonly home: string
  /** The offline run of the latest session. */
  readonly runId: string
  /** The LLM council's run of `LLM_DAY`. */
  readonly llmRunId: string
  readonly live: Simulation
}

const succeeded = async (what: string, result: Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>) => {
  const r = await result
  if (r.code !== 0) throw new Error(`${what} failed: ${r.stderr}`)
  return runIdOf(r.stdout)
}

export const prepareHome = async (sessions: number): Promise<MonitorHome> => {
  const home = tempHome()
  const fake = await startFake(respond)
  const llmRunId = await succeeded("the LLM day", cliInProcess(home, ["run", "daily", "--date", LLM_DAY], liveEnv(fake, KEYS))).finally(fake.close)
  const runId = await succeeded("run daily", cliInProcess(home, ["run", "daily"]))
  const live = await seedDatabase(join(home, "council.db"), sessions)
  return { home, runId, llmRunId, live }
}

export interface ServerProcess {
  readonly url: string
  /** Everything the process printed so far (stdout and stderr). */
  readonly output: () => string
  /** Sends `signal` (default SIGTERM) and resolves with the exit code. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/** `pnpm pipeline serve --port 0` on `home` (and `args`, which may name the port); resolves once it prints its URL. */
export const startServer = (home: string, env: Record<string, string> = {}, args: ReadonlyArray<string> = []): Promise<ServerProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "serve", ...(args.includes("--port") ? [] : ["--port", "0"]), ...args], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home, ...env }
    })
    let output = ""
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 30_000)
    const exited = new Promise<number | null>((done) => child.on("close", done))
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      const url = /monitor listening on (http:\/\/\S+)/.exec(output)?.[1]
      if (url !== undefined) {
        clearTimeout(timer)
        resolve({ url, output: () => output, stop: (signal = "SIGTERM") => (child.kill(signal), exited) })
      }
    }
    child.stdout.on("data", collect)
    child.stderr.on("data", collect)
    child.on("close", (code) => reject(new Error(`serve exited (${code}):\n${output}`)))
  })

/**
 * `fetch` on a connection of its own (`Connection: close`), for every request a test sends a `serve`. A kept-alive
 * connection that sat idle while the CLI or Chromium worked (seconds on a loaded machine) can be closed by the
 * server (Node's 5 s keep-alive) just as the next request goes out on it, which `fetch` reports as "other side
 * closed" and does not retry (a browser does). The monitor is left as it is; its tests test answers, not reuse.
 */
export const fetchFresh = (url: string, init: RequestInit = {}): Promise<Response> => {
  const headers = new Headers(init.headers)
  headers.set("connection", "close")
  return fetch(url, { ...init, headers })
}

/** Collects into `problems` what a page must not show: console errors and warnings, uncaught errors. */
export const collectProblems = (page: Page, problems: Array<string>): void => {
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") problems.push(`${message.type()}: ${message.text()}`)
  })
  // the stack names the script and line that threw: a failure under load is then found from its report alone
  page.on("pageerror", (error) => problems.push(`page error: ${error.stack ?? error.message}`))
}

/**
 * A `serve` of `home` and a Chromium page (`viewport`, 1360 × 1500 unless said) to open it in, collecting into
 * `problems` what it must not show.
 */
export const openDashboard = async (
  home: string,
  problems: Array<string>,
  viewport: { readonly width: number; readonly height: number } = { width: 1360, height: 1500 }
): Promise<{ server: ServerProcess; browser: Browser; page: Page }> => {
  const [server, browser] = await Promise.all([startServer(home), launchChromium()])
  const page = await browser.newPage({ viewport })
  collectProblems(page, problems)
  return { server, browser, page }
}

/**
 * Runs `f` with the live book's snapshots of `count` sessions (from the `skip`th on) taken out, as sessions without a
 * run; they are put back after it.
 */
export const withoutSnapshots = async <A>(home: string, skip: number, count: number, f: (sessions: ReadonlyArray<string>) => Promise<A>): Promise<A> => {
  const db = new DatabaseSync(join(home, "council.db"))
  const sessions = db.prepare("SELECT DISTINCT session FROM ledger_equity WHERE book = 'live' ORDER BY session LIMIT ? OFFSET ?").all(count, skip)
    .map((row) => String(row["session"]))
  const marks = sessions.map(() => "?").join(", ")
  db.exec("CREATE TEMP TABLE kept AS SELECT * FROM ledger_equity WHERE 0")
  db.prepare(`INSERT INTO kept SELECT * FROM ledger_equity WHERE book = 'live' AND session IN (${marks})`).run(...sessions)
  db.prepare(`DELETE FROM ledger_equity WHERE book = 'live' AND session IN (${marks})`).run(...sessions)
  try {
    return await f(sessions)
  } finally {
    db.exec("INSERT INTO ledger_equity SELECT * FROM kept; DROP TABLE kept")
    db.close()
  }
}

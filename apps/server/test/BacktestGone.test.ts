import { spawn } from "node:child_process"
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { Browser } from "playwright-core"
import { bin, tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { collectProblems, launchChromium, type ServerProcess, startServer } from "./MonitorHome.ts"

/**
 * A backtest whose process is gone (SIGKILL: no handler runs, its book stays `running`) is told apart from one under
 * way wherever backtests are listed — `backtests --json`, `/api/backtests`, `/api/backtests/:id`, the dashboard —
 * with the command that continues it, as `backtests`' table and `runs` do.
 */

interface Listed {
  readonly id: string
  readonly status: string
  readonly activity: { readonly state: string; readonly next: string | null } | null
}

const listed = async (home: string): Promise<ReadonlyArray<Listed>> => {
  const r = await cliInProcess(home, ["backtests", "--json"])
  assert.strictEqual(r.code, 0, r.stderr)
  return JSON.parse(r.stdout) as ReadonlyArray<Listed>
}

let server: ServerProcess | undefined
let browser: Browser | undefined
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe("a backtest whose process is gone", () => {
  it("is in-progress while its process runs it, stopped (with the command that continues it) once SIGKILLed: CLI JSON, API and dashboard", async () => {
    const home = tempHome()
    const child = spawn(process.execPath, [bin, "backtest", "--from", "2024-01-02", "--to", "2024-12-31", "--accounts", "COUNCIL,GEMINI"], {
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "", COUNCIL_HOME: home },
      stdio: ["ignore", "ignore", "pipe"]
    })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)))
    await new Promise<void>((resolve, reject) => {
      let stderr = ""
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8")
        if ([...stderr.matchAll(/\] (\d+)\/\d+ /g)].some((m) => Number(m[1]) >= 10)) resolve()
      })
      void exited.then(() => reject(new Error(`the backtest ended before it was killed:\n${stderr}`)))
    })
    const running = await listed(home)
    assert.strictEqual(running.length, 1)
    const id = running[0]!.id
    assert.deepStrictEqual([running[0]!.status, running[0]!.activity], ["running", { state: "in-progress", next: null }])

    child.kill("SIGKILL")
    assert.strictEqual(await exited, "SIGKILL")
    const next = `pnpm pipeline backtest --resume ${id}`
    const gone = await listed(home)
    assert.deepStrictEqual([gone[0]!.status, gone[0]!.activity], ["running", { state: "stopped", next }], "the book still says running; its activity says stopped")

    server = await startServer(home)
    const list = await (await fetch(`${server.url}/api/backtests`)).json() as ReadonlyArray<Listed>
    assert.deepStrictEqual(list.map((b) => [b.id, b.activity]), [[id, { state: "stopped", next }]])
    const one = await (await fetch(`${server.url}/api/backtests/${id}`)).json() as Listed
    assert.deepStrictEqual(one.activity, { state: "stopped", next })

    browser = await launchChromium()
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    const problems: Array<string> = []
    collectProblems(page, problems)
    await page.goto(`${server.url}/#/backtests`)
    await page.waitForSelector("#backtests tbody tr")
    const status = await page.$eval("#backtests tbody tr", (tr) => tr.children[1]?.textContent ?? "")
    assert.strictEqual(status, `stopped${`its process is gone: continue it with: ${next}`}`)
    await page.goto(`${server.url}/#/?backtest=${id}`)
    const notice = await (await page.waitForSelector("#book-status")).textContent()
    assert.match(notice ?? "", /^This backtest is stopped: \d+ of the sessions from 2024-01-02 to 2024-12-31 recorded so far/)
    assert.include(notice, `Its process is gone: continue it with: ${next}`)
    assert.deepStrictEqual(problems, [])
  })
})

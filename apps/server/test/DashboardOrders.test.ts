/**
 * A run's orders on its page, in Chromium, as the CLI writes them: each order as `cancel` names it (`sell 122 TLT
 * limit $86.35`), an intent's exits in dollars and cents, a fill as shares @ the price `orders` shows. A home of two
 * consecutive sessions on the local exchange: the first day's entries fill by the second run, which places their
 * protective exits (limit orders, with a stop).
 */
import { assert, describe, it } from "@effect/vitest"
import { runIdOf, tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { page, problems, rewriteAnswers, server, useDashboardOf } from "./DashboardPage.ts"

let home = ""
let firstRun = ""
let secondRun = ""
/** What the second run printed on stderr: its decisions, each order intent as the notifier writes it. */
let secondLog = ""

useDashboardOf(async () => {
  home = tempHome()
  const ran = async (day: string) => {
    const r = await cliInProcess(home, ["run", "daily", "--date", day])
    if (r.code !== 0) throw new Error(`run daily --date ${day} failed: ${r.stderr}`)
    return r
  }
  firstRun = runIdOf((await ran("2025-01-14")).stdout)
  const second = await ran("2025-01-15")
  secondRun = runIdOf(second.stdout)
  secondLog = second.stderr
  return home
})

const DOLLARS = String.raw`\$\d{1,3}(?:,\d{3})*\.\d\d`

const rowsOf = (table: string) =>
  page.$$eval(`${table} tbody tr`, (trs) =>
    trs.map((tr) => ({
      account: tr.children[0]!.textContent ?? "",
      clientOrderId: tr.getAttribute("data-client-order-id") ?? "",
      order: tr.querySelector("td.order")?.textContent ?? "",
      filled: tr.querySelector("td.fill")?.textContent ?? ""
    })))

describe("a run's orders on its page", () => {
  it("names each order as the CLI's cancel names it: shares, symbol, type, and a limit price in dollars and cents", async () => {
    await page.goto(`${server.url}/#/runs/${secondRun}`)
    await page.waitForSelector("#orders tbody tr")
    const rows = await rowsOf("#orders")
    for (const row of rows) assert.match(row.order, new RegExp(`^(buy|sell) \\d+ [A-Z]+ (market|limit ${DOLLARS})$`), row.order)
    const limits = rows.filter((r) => r.order.includes(" limit "))
    assert.isAbove(limits.length, 0, "the second run places protective exits (limit orders)")
    // the CLI names the same order the same way (`cancel` prints it, as it reads it at the broker)
    for (const row of limits) {
      const canceled = await cliInProcess(home, ["cancel", "--account", row.account, row.clientOrderId])
      assert.strictEqual(canceled.code, 0, canceled.stderr)
      assert.isTrue(canceled.stdout.startsWith(`cancel accepted: ${row.account} ${row.order} `), `${row.order}\n${canceled.stdout}`)
    }
    assert.deepStrictEqual(problems, [])
  })

  it("writes an intent's limit price and exits in dollars and cents: the prices the run's decision line said", async () => {
    await page.goto(`${server.url}/#/runs/${secondRun}`)
    await page.waitForSelector("#intents tbody tr")
    const exits = (await rowsOf("#intents")).filter((r) => r.order.includes("take profit"))
    assert.isAbove(exits.length, 0)
    for (const row of exits) {
      const shown = new RegExp(`^(buy|sell) (\\d+) ([A-Z]+) limit (${DOLLARS}) · take profit (${DOLLARS}) · stop loss (${DOLLARS})$`).exec(row.order)
      assert.isNotNull(shown, row.order)
      const [, side, qty, symbol, limit, takeProfit, stopLoss] = shown!
      // the notifier's line of the same intent (`SELL 122 TLT limit 86.35 gtc · take profit 86.35 · stop loss 79.02`)
      const said = new RegExp(`\\[${row.account}\\] .*${side!.toUpperCase()} ${qty} ${symbol} limit ([\\d.]+) \\w+ · take profit ([\\d.]+) · stop loss ([\\d.]+)`).exec(secondLog)
      assert.isNotNull(said, `${row.order} not in the run's log`)
      const amount = (text: string) => Number(text.replace(/[$,]/g, ""))
      assert.deepStrictEqual([limit, takeProfit, stopLoss].map((p) => amount(p!)), said!.slice(1, 4).map(Number))
    }
    assert.deepStrictEqual(problems, [])
  })

  it("writes a fill as shares @ the price the CLI's orders table shows for it", async () => {
    // the first run's orders as the broker reports them now (filled at the second session), by the CLI
    const listed = await cliInProcess(home, ["orders", "--status", "all", "--json"])
    assert.strictEqual(listed.code, 0, listed.stderr)
    const now = new Map((JSON.parse(listed.stdout) as ReadonlyArray<{ orders: ReadonlyArray<{ clientOrderId: string; status: string; filledQty: number; filledAvgPrice: number | null }> }>)
      .flatMap((a) => a.orders).map((o) => [o.clientOrderId, o]))
    const table = await cliInProcess(home, ["orders", "--status", "all"])
    const lines = table.stdout.split("\n")
    const [at, to] = [lines[0]!.indexOf("FILL"), lines[0]!.indexOf("CLIENT ORDER ID")]
    const fillShown = (clientOrderId: string) => lines.find((l) => l.includes(` ${clientOrderId} `))?.slice(at, to).trim()
    // the run's answer carrying its orders as they stand now, as a run that found them filled would record them
    const detail = (url: URL) => url.pathname === `/api/runs/${firstRun}` && url.searchParams.get("outputs") === null
    const restore = await rewriteAnswers(detail, (body: { execution: { accounts: Array<{ orders: Array<{ clientOrderId: string }> }> } }) => {
      for (const account of body.execution.accounts) {
        account.orders = account.orders.map((o: { clientOrderId: string }) => ({ ...o, ...now.get(o.clientOrderId) }))
      }
    })
    try {
      await page.goto("about:blank")
      await page.goto(`${server.url}/#/runs/${firstRun}`)
      await page.waitForSelector("#orders tbody tr")
      const rows = await rowsOf("#orders")
      const filled = rows.filter((r) => (now.get(r.clientOrderId)?.filledQty ?? 0) > 0)
      assert.isAbove(filled.length, 0, "the first run's entries filled by the second session")
      for (const row of filled) {
        const o = now.get(row.clientOrderId)!
        assert.match(fillShown(row.clientOrderId) ?? "", new RegExp(`^${DOLLARS}$`))
        assert.strictEqual(row.filled, `${o.filledQty} @ ${fillShown(row.clientOrderId)}`)
      }
    } finally {
      await restore()
    }
    assert.deepStrictEqual(problems, [])
  })
})

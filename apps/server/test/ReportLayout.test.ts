import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { collectProblems, launchChromium } from "./MonitorHome.ts"

describe("a backtest's report page in Chromium", () => {
  it("fits the window's width: the settings (every account's profile) wrap instead of widening the page", async () => {
    const home = tempHome()
    const ran = await cliInProcess(home, ["backtest", "--from", "2026-05-01", "--to", "2026-05-15", "--json"])
    assert.strictEqual(ran.code, 0, ran.stderr)
    const id = JSON.parse(ran.stdout).id as string
    const browser = await launchChromium()
    try {
      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } })
      const problems: Array<string> = []
      collectProblems(page, problems)
      await page.goto(pathToFileURL(join(home, "backtests", `${id}.report.html`)).href)
      const settings = await page.$$eval("table.settings td:first-child", (tds) => tds.map((td) => td.textContent))
      assert.include(settings, "accounts")
      // each account's profile on a row of its own, in words, not a JSON dump
      assert.includeMembers(settings, ["CHATGPT", "GEMINI", "CLAUDE", "GROQ", "DEEPSEEK", "COUNCIL"].map((a) => `accounts: ${a}`))
      const values = await page.$$eval("table.settings td:last-child", (tds) => tds.map((td) => td.textContent ?? ""))
      assert.deepStrictEqual(values.filter((v) => /[{[]"/.test(v)), [])
      assert.isTrue(values.some((v) => v.startsWith("mode: PAPER · settings.maxOrderValue: ")), values.join("\n"))
      const width = await page.$eval("html", (html) => html.scrollWidth)
      assert.isAtMost(width, page.viewportSize()!.width, "the report scrolls sideways")
      assert.deepStrictEqual(problems, [])
    } finally {
      await browser.close()
    }
  }, 120_000)
})

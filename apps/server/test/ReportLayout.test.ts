import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { collectProblems, launchChromium } from "./MonitorHome.ts"

describe("a backtest's report page in Chromium", () => {
  it("fits the window's width (the settings wrap), aligns names left, and keeps every chart label apart", async () => {
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
      assert.isTrue(values.some((v) => v.startsWith("mode: PAPER · settings — maxOrderValue: ")), values.join("\n"))
      // names left-aligned as the first column's are, numbers right: the account beside its rank, the verdict's header
      // (a string evaluated in the page: this test's TypeScript has no DOM library for getComputedStyle)
      const alignments = await page.evaluate(`[...document.querySelectorAll(
        "table.leaderboard tr > :nth-child(2), table.attribution tr > :nth-child(2), table.attribution th:last-child"
      )].map((c) => getComputedStyle(c).textAlign)`) as ReadonlyArray<string>
      assert.isAbove(alignments.length, 6)
      assert.deepStrictEqual([...new Set(alignments)], ["left"])
      // every chart's labels apart: no tick label over another, no date label over another
      const boxes = await page.$$eval("#charts svg", (svgs) =>
        svgs.map((svg) =>
          [...svg.querySelectorAll("text")].map((t) => {
            const b = t.getBoundingClientRect()
            return { text: t.textContent, kind: t.getAttribute("class"), left: b.left, right: b.right, top: b.top, bottom: b.bottom }
          })
        ))
      assert.strictEqual(boxes.length, 2)
      for (const labels of boxes) {
        assert.isAtLeast(labels.filter((l) => l.kind === "tick").length, 2)
        assert.isAtLeast(labels.filter((l) => l.kind === "date").length, 2)
        labels.forEach((a, i) =>
          labels.slice(i + 1).forEach((b) => {
            const apart = a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top
            assert.isTrue(apart, `"${a.text}" overlaps "${b.text}"`)
          })
        )
      }
      const captions = await page.$$eval("#charts figcaption", (fs) => fs.map((f) => f.textContent))
      assert.match(captions[0]!, /, log scale$/)
      const width = await page.$eval("html", (html) => html.scrollWidth)
      assert.isAtMost(width, page.viewportSize()!.width, "the report scrolls sideways")
      // on a phone the charts' labels stay readable (at least 8 px high): a chart scrolls in its figure, the page does not
      await page.setViewportSize({ width: 390, height: 800 })
      const heights = await page.$$eval("#charts svg text", (ts) => ts.map((t) => t.getBoundingClientRect().height))
      assert.isAbove(heights.length, 0)
      assert.isAtLeast(Math.min(...heights), 8)
      assert.isAtMost(await page.$eval("html", (html) => html.scrollWidth), 390, "the report scrolls sideways on a phone")
      assert.deepStrictEqual(problems, [])
    } finally {
      await browser.close()
    }
  }, 120_000)
})

import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { runIdOf, tempHome } from "../../cli/test/CliHarness.ts"
import { cliInProcess } from "../../cli/test/InProcess.ts"
import { page, problems, server, useDashboardOf } from "./DashboardPage.ts"

/**
 * The overview answers first what an operator opens it for: did the latest day run, and is anything wrong — at its
 * top, before the accounts, the leaderboard and the charts (the runs' timeline is at its bottom).
 */

const home = join(tempHome(), "home")
useDashboardOf(async () => home, { width: 1280, height: 900 })

const ok = async (args: ReadonlyArray<string>) => {
  const r = await cliInProcess(home, args)
  assert.strictEqual(r.code, 0, r.stderr)
  return r.stdout
}

/** The overview's first card, once it has loaded: its title, its line, and whether it is marked as trouble. */
const latestCard = async () => {
  await page.goto("about:blank")
  await page.goto(`${server.url}/#/`)
  await page.waitForSelector("#latest-run")
  return page.$eval(".grid > section.card:first-child", (card) => ({
    title: card.querySelector("h2")?.textContent ?? "",
    line: card.querySelector("#latest-run")?.textContent ?? "",
    troubled: card.querySelector("#latest-run")?.classList.contains("troubled") ?? false,
    link: card.querySelector("#latest-run a")?.getAttribute("href") ?? null
  }))
}

describe("the overview's latest run", () => {
  it("a fresh home: no run yet, and the command that starts one", async () => {
    const card = await latestCard()
    assert.strictEqual(card.title, "Latest run")
    assert.strictEqual(card.line, "no run yet — start one with: pnpm pipeline run daily")
  })

  it("the newest run that traded, not a dry run after it: its day, completed, when it started", async () => {
    const done = runIdOf(await ok(["run", "daily", "--date", "2026-06-04"]))
    await ok(["run", "daily", "--date", "2026-06-04", "--dry-run"])
    const card = await latestCard()
    assert.strictEqual(card.title, "Latest run", "the first card of the overview")
    assert.match(card.line, new RegExp(`^2026-06-04 completed · started \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC \\((just now|\\d+ min ago)\\) · run ${done}$`))
    assert.isFalse(card.troubled)
    assert.strictEqual(card.link, `#/runs/${done}`)
  })

  it("a day stopped at its approval gate is trouble until decided, with the command that decides it", async () => {
    const waiting = /^run (\S+) · awaiting approval/m.exec(await ok(["run", "daily", "--date", "2026-06-05", "--require-approval"]))?.[1] ?? ""
    const card = await latestCard()
    assert.match(card.line, new RegExp(`^2026-06-05 awaiting-approval — approve with: pnpm pipeline approve ${waiting} \\(or --reject\\) · started `))
    assert.isTrue(card.troubled)
    assert.deepStrictEqual(problems, [])
  })
})

/**
 * The dashboard's chart ticks are written as the backtest report writes its own (`figures.js`'s `depthTick` and
 * `dollarTick`): drawdown ticks (depths, positive as every drawdown is written) 2.5 % apart with the digit that
 * tells them apart (`7.5 %`, not `8 %`), whole-percent ticks without one (`1 %`, not `1.0 %`). The page's own
 * `/charts.js`, served by `pnpm pipeline serve`, in real Chromium.
 */
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { depthTick, dollarTick, percentTick } from "@council/domain/Figures.js"
import { tempHome } from "../../cli/test/CliHarness.ts"
import { page, problems, server, useDashboardOf } from "./DashboardPage.ts"

useDashboardOf(async () => tempHome())

beforeAll(async () => {
  await page.goto(server.url)
}, 60_000)

/**
 * The y-axis tick labels of the dashboard's equity and drawdown charts drawn for one account's `equity` by the
 * page's `/charts.js` (a script of the page's own: the test runner would rewrite an `import()` written here).
 */
const ticksOf = (equity: ReadonlyArray<number>): Promise<{ equity: Array<string>; drawdown: Array<string> }> =>
  page.evaluate(`(async () => {
    const charts = await import("/charts.js")
    const equity = ${JSON.stringify(equity)}
    const dates = equity.map((_, i) => "2025-06-" + String(i + 2).padStart(2, "0"))
    document.getElementById("view").replaceChildren(...charts.equityCharts({ dates, accounts: [{ account: "CLAUDE", equity }], benchmark: null }))
    const labels = (id) => {
      const svg = document.getElementById(id)
      const x = String(Number(svg.getAttribute("data-left")) - 8)
      return [...svg.querySelectorAll("g.grid text")].filter((t) => t.getAttribute("x") === x).map((t) => t.textContent)
    }
    return { equity: labels("equity-chart"), drawdown: labels("drawdown-chart") }
  })()`)

describe("the dashboard's chart ticks", () => {
  it("drawdown ticks (depths) 2.5 % apart carry the digit that tells them apart: 7.5 %, not 8 %", async () => {
    // a 10 % drawdown: the axis runs −10.5 % … 0.5 %, ticks 2.5 % apart
    const { drawdown } = await ticksOf([100, 95, 90, 100])
    assert.deepStrictEqual(drawdown, ["10.0 %", "7.5 %", "5.0 %", "2.5 %", "0.0 %"])
    assert.deepStrictEqual(problems, [])
  })

  it("whole-percent drawdown ticks have no decimal: 1 %, not 1.0 %", async () => {
    // a 3 % drawdown: ticks 1 % apart
    const { drawdown } = await ticksOf([100, 98, 97, 100])
    assert.deepStrictEqual(drawdown, ["3 %", "2 %", "1 %", "0 %"])
    assert.deepStrictEqual(problems, [])
  })

  it("equity ticks a quarter of a dollar apart are in cents, as the report writes them: $100.25, not $100.3", async () => {
    const { equity } = await ticksOf([100, 100.5, 101, 100.2])
    assert.deepStrictEqual(equity, ["$100.00", "$100.25", "$100.50", "$100.75", "$101.00"])
    assert.deepStrictEqual(problems, [])
  })
})

describe("the tick labels the report and the dashboard share", () => {
  it("write percent and dollar ticks with the digits their step needs", () => {
    assert.strictEqual(percentTick(-0.075, 0.025), "−7.5 %")
    // a drawdown curve's value below zero is labelled by its depth
    assert.strictEqual(depthTick(-0.075, 0.025), "7.5 %")
    assert.strictEqual(depthTick(0, 0.01), "0 %")
    assert.strictEqual(percentTick(-0.01, 0.01), "−1 %")
    assert.strictEqual(percentTick(-0.0025, 0.0025), "−0.25 %")
    assert.strictEqual(percentTick(-1e-15, 0.01), "0 %")
    assert.strictEqual(dollarTick(50_000, 50_000), "$50,000")
    assert.strictEqual(dollarTick(-0.8, 0.2), "−$0.80")
  })
})

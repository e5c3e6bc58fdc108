/**
 * A `day` limit order placed by hand (`order`) on the embedded local exchange while its session runs (after the
 * day's `close` run, at 15:45 of 2026-06-05) meets that session's close alone: daily bars place no price of the day
 * after the order but the close, and the order expires at that close. SPY on 2026-06-05: low 735.53, close 737.55;
 * on 2026-06-08: open 743.36, low 738.19.
 */
import { assert, describe, it } from "@effect/vitest"
import { tempHome } from "./CliHarness.ts"
import { cliOk } from "./InProcess.ts"

interface Listed {
  readonly orders: ReadonlyArray<{ readonly clientOrderId: string; readonly status: string; readonly filledAvgPrice: number | null; readonly filledAt: string | null }>
}

describe("order: a limit placed during a session on the embedded exchange", () => {
  it("day: filled at the close the limit crosses, expired at that close otherwise (never on the next session's bar); gtc: the next session's", async () => {
    const home = tempHome()
    await cliOk(home, ["run", "daily", "--date", "2026-06-05"])
    const place = async (limit: string, tif: "day" | "gtc") => {
      const out = await cliOk(home, ["order", "--account", "GROQ", "--symbol", "SPY", "--side", "buy", "--qty", "1", "--type", "limit", "--limit-price", limit, "--tif", tif, "--json"])
      const { order } = JSON.parse(out) as { readonly order: { readonly clientOrderId: string; readonly status: string } }
      assert.strictEqual(order.status, "new")
      return order.clientOrderId
    }
    const crossed = await place("740", "day")
    const touched = await place("736", "day")
    const gtc = await place("745", "gtc")
    // the next session's run brings the account past 2026-06-05's close and 2026-06-08's open
    await cliOk(home, ["run", "daily", "--date", "2026-06-08"])
    const [listed] = JSON.parse(await cliOk(home, ["orders", "--account", "GROQ", "--status", "all", "--json"])) as ReadonlyArray<Listed>
    const state = (id: string) => {
      const o = listed!.orders.find((order) => order.clientOrderId === id)!
      return [o.status, o.filledAvgPrice, o.filledAt]
    }
    // before, the day limits waited for 2026-06-08's bar: 740 filled there (its low 738.19), 736 expired at its close
    // at the bar's close as the data has it (a limit fills without slippage; adjusted bars are off the tick)
    assert.deepStrictEqual(state(crossed), ["filled", 737.549988, "2026-06-05T20:00:00.000Z"])
    assert.deepStrictEqual(state(touched), ["expired", null, null])
    // the gtc limit is not filled by 2026-06-05's close (737.55 under 745): 2026-06-08 opens under it, at 743.36
    assert.deepStrictEqual(state(gtc), ["filled", 743.359985, "2026-06-08T13:30:00.000Z"])
  })
})

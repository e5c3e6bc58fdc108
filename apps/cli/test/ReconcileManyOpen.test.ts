/**
 * `reconcile` of an account with more open orders than one of Alpaca's listings answers (500): it reads every page
 * of them (`openOrders: every`, as a new run's Reconcile does), so the ledger's open orders past the newest 500 are
 * listed, not fetched one by one. Against a fake Alpaca on 127.0.0.1 (its `until` honoured, newest first).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { startFakeAlpaca } from "../../../packages/broker/test/alpaca/FakeAlpaca.ts"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"
import { councilOnFake, openSpyExits } from "./BrokerDoubles.ts"

describe("reconcile past Alpaca's 500 orders a listing", () => {
  it.effect("reads every page of the open orders: none of the 501 the ledger holds open is fetched on its own", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca({ keyId: "PKRECONCILEMANY", secretKey: "reconcile-many-secret" })
      openSpyExits(fake, 501)
      const env = councilOnFake(fake)
      const home = tempHome()
      const first = yield* Effect.promise(() => cliInProcess(home, ["reconcile", "--json"], env))
      assert.strictEqual(first.code, 0, first.stderr)
      const before = fake.requests.length
      const again = yield* Effect.promise(() => cliInProcess(home, ["reconcile", "--json"], env))
      assert.strictEqual(again.code, 0, again.stderr)
      const asked = fake.requests.slice(before).filter((r) => r.method === "GET" && r.path.startsWith("/v2/orders"))
      // the open orders in two pages; no order read by its id
      assert.deepStrictEqual(asked.filter((r) => r.path !== "/v2/orders").map((r) => r.path), [])
      assert.strictEqual(asked.filter((r) => r.path === "/v2/orders" && r.query.get("status") === "open").length, 2)
    }).pipe(Effect.scoped), 60_000)
})

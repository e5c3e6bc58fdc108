/**
 * `close` and `cancel` on a symbol with more orders than one of Alpaca's listings answers (500): `close` cancels every
 * open order of the symbol before it liquidates, and sends nothing when it cannot read them all; `cancel` of a leg
 * names its group however many of the symbol's orders lie between the leg and its entry. Against a fake Alpaca on
 * 127.0.0.1 (its `until` honoured, newest first).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { position, startFakeAlpaca } from "../../../packages/broker/test/alpaca/FakeAlpaca.ts"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"
import { councilOnFake, openSpyExits, restingBracket } from "./BrokerDoubles.ts"

describe("close and cancel past Alpaca's 500 orders a listing", () => {
  it.effect("close cancels every open order of the symbol (501, the oldest past the newest 500), then liquidates", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca({ keyId: "PKCLOSEMANY", secretKey: "close-many-secret" })
      fake.positions.set("SPY", position("SPY", 600, 500))
      fake.closeFills.set("SPY", 500)
      const placed = openSpyExits(fake, 501)
      const r = yield* Effect.promise(() => cliInProcess(tempHome(), ["close", "--account", "COUNCIL", "--symbol", "SPY", "--yes", "--json"], councilOnFake(fake)))
      assert.strictEqual(r.code, 0, r.stderr)
      const answer = JSON.parse(r.stdout) as { canceled: ReadonlyArray<{ clientOrderId: string }>; closed: { side: string; qty: number } }
      assert.sameMembers(answer.canceled.map((o) => o.clientOrderId), placed.map((o) => o.clientOrderId))
      // the oldest too: none left holding shares the close sells
      assert.deepStrictEqual(placed.filter((o) => fake.orders.get(o.id)?.status !== "canceled").map((o) => o.clientOrderId), [])
      assert.deepStrictEqual([answer.closed.side, answer.closed.qty], ["sell", 600])
      assert.isFalse(fake.positions.has("SPY"))
    }).pipe(Effect.scoped), 60_000)

  it.effect("close sends nothing when the symbol's open orders cannot be read to the end: one line, exit 1", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca({ keyId: "PKCLOSESAME", secretKey: "close-same-secret" })
      fake.positions.set("SPY", position("SPY", 600, 500))
      fake.closeFills.set("SPY", 500)
      openSpyExits(fake, 501)
      // every one stamped with one instant: no page gets past the newest 500
      const instant = new Date(Date.now() - 60_000).toISOString()
      for (const [id, o] of fake.orders) fake.orders.set(id, { ...o, submittedAt: instant })
      const r = yield* Effect.promise(() => cliInProcess(tempHome(), ["close", "--account", "COUNCIL", "--symbol", "SPY", "--yes"], councilOnFake(fake)))
      assert.strictEqual(r.code, 1, `${r.stdout}\n${r.stderr}`)
      assert.strictEqual(r.stdout, "")
      const lines = r.stderr.split("\n").filter((l) => l.startsWith("error:"))
      assert.deepStrictEqual(lines.length, 1, r.stderr)
      assert.include(lines[0]!, "COUNCIL: SPY's open orders could not be read to the end")
      assert.include(lines[0]!, "nothing canceled, no close sent")
      // nothing written at the broker: no cancel, no liquidation
      assert.deepStrictEqual(fake.requests.filter((q) => q.method !== "GET").map((q) => `${q.method} ${q.path}`), [])
      assert.strictEqual(fake.positions.get("SPY")?.qty, 600)
    }).pipe(Effect.scoped), 60_000)

  it.effect("cancel of a leg submitted after its entry names the group with 501 of the symbol's orders between them", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca({ keyId: "PKCANCELBETWEEN", secretKey: "cancel-between-secret" })
      const answer = yield* Effect.promise(() =>
        fetch(`${fake.url}/v2/orders`, {
          method: "POST",
          headers: { "APCA-API-KEY-ID": fake.keyId, "APCA-API-SECRET-KEY": fake.secretKey, "content-type": "application/json" },
          body: JSON.stringify(restingBracket("early-bracket"))
        }).then((r) => r.json() as Promise<{ id: string; legs: ReadonlyArray<{ id: string; client_order_id: string; type: string }> }>)
      )
      const entry = fake.orders.get(answer.id)!
      // the bracket two hours ago, 501 orders of the symbol since, and its stop submitted now (replaced, say)
      const twoHoursAgo = new Date(Date.now() - 7_200_000).toISOString()
      const stop = answer.legs.find((l) => l.type === "stop")!
      openSpyExits(fake, 501)
      fake.orders.set(entry.id, {
        ...entry,
        submittedAt: twoHoursAgo,
        legs: entry.legs.map((l) => ({ ...l, submittedAt: l.id === stop.id ? new Date().toISOString() : twoHoursAgo }))
      })
      const r = yield* Effect.promise(() => cliInProcess(tempHome(), ["cancel", "--account", "COUNCIL", stop.id], councilOnFake(fake)))
      assert.strictEqual(r.code, 0, r.stderr)
      assert.match(r.stdout, /^cancel accepted: COUNCIL sell 10 SPY stop \$0\.50 gtc, with the rest of its bracket \(2 more orders\)\n/)
      const takeProfit = answer.legs.find((l) => l.type === "limit")!
      for (const id of [entry.id, takeProfit.id, stop.id]) assert.include(r.stdout, ` · order ${id} · client order id `)
      // the group's listing went past the first page
      const listings = fake.requests.filter((q) => q.method === "GET" && q.path === "/v2/orders")
      assert.isAbove(listings.length, 1)
    }).pipe(Effect.scoped), 60_000)
})

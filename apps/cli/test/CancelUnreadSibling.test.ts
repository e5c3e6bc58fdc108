/**
 * `cancel` of an order whose group holds an order Council cannot read (a status new to Council): the listing that
 * names the group skips such an order (with a warning), so the cancel cannot name it among those it took with it.
 * After the cancel the symbol's open orders are read (that listing fails on an unreadable order): one still working
 * is said on one line, exit 1, beside what was canceled. Against a fake Alpaca on 127.0.0.1.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { type FakeAlpaca, startFakeAlpaca } from "../../../packages/broker/test/alpaca/FakeAlpaca.ts"
import { tempHome } from "./CliHarness.ts"
import { cliInProcess } from "./InProcess.ts"
import { restingBracket } from "./BrokerDoubles.ts"

interface WireOrder {
  readonly id: string
  readonly client_order_id: string
  readonly legs: ReadonlyArray<{ readonly id: string; readonly client_order_id: string; readonly type: string }>
}

const post = (fake: FakeAlpaca, body: Record<string, unknown>) =>
  Effect.promise(() =>
    fetch(`${fake.url}/v2/orders`, {
      method: "POST",
      headers: { "APCA-API-KEY-ID": fake.keyId, "APCA-API-SECRET-KEY": fake.secretKey, "content-type": "application/json" },
      body: JSON.stringify(body)
    }).then((r) => r.json() as Promise<WireOrder>)
  )

const envOf = (fake: FakeAlpaca) => ({ COUNCIL_ACCOUNTS: "COUNCIL", ALPACA_COUNCIL_KEY_ID: fake.keyId, ALPACA_COUNCIL_SECRET_KEY: fake.secretKey, ALPACA_COUNCIL_BASE_URL: fake.url })

describe("cancel, when an order of the group is one Council cannot read", () => {
  it.effect("says on one line that it may still be working and exits 1, after naming what it canceled", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca({ keyId: "PKCANCELODD", secretKey: "cancel-odd-secret" })
      const placed = yield* post(fake, restingBracket("odd-bracket"))
      // Alpaca answers the entry in a word Council does not know: the group's listing skips it (and its legs)
      fake.venueStatuses.set(placed.id, "pending_activation")
      const stop = placed.legs.find((l) => l.type === "stop")!
      const r = yield* Effect.promise(() => cliInProcess(tempHome(), ["cancel", "--account", "COUNCIL", stop.id], envOf(fake)))
      assert.strictEqual(r.code, 1, `${r.stdout}\n${r.stderr}`)
      // the cancel went out, and what it canceled is said as before
      assert.strictEqual(fake.orders.get(placed.id)?.legs.find((l) => l.id === stop.id)?.status, "canceled")
      assert.include(r.stdout, ` · order ${stop.id} · client order id ${stop.client_order_id} · canceled`)
      // the entry is still working at the broker, unread: one line names it, and never says the group is canceled
      assert.strictEqual(fake.orders.get(placed.id)?.status, "new")
      // (the listing's warning names it too: the line that counts is the command's own)
      const lines = r.stderr.split("\n").filter((l) => l.includes(placed.id) && !l.startsWith("WARN"))
      assert.strictEqual(lines.length, 1, r.stderr)
      assert.include(lines[0]!, "may still be working")
      assert.include(lines[0]!, `status "pending_activation" is new to Council`)
      assert.notMatch(r.stdout, /with the rest of its/)

      // --json says so too (beside the orders canceled), and exits 1 the same way
      const again = yield* post(fake, restingBracket("odd-bracket-two"))

      fake.venueStatuses.set(again.id, "pending_activation")
      const limit = again.legs.find((l) => l.type === "limit")!
      const j = yield* Effect.promise(() => cliInProcess(tempHome(), ["cancel", "--account", "COUNCIL", limit.id, "--json"], envOf(fake)))
      assert.strictEqual(j.code, 1, j.stderr)
      const answer = JSON.parse(j.stdout) as { canceled: { id: string; status: string }; maybeWorking?: string }
      assert.deepStrictEqual([answer.canceled.id, answer.canceled.status], [limit.id, "canceled"])
      assert.include(answer.maybeWorking ?? "", again.id)
      // one JSON document: the result, which says what may still work (no error document after it)
      assert.notInclude(j.stdout, "\"error\"")
    }).pipe(Effect.scoped), 60_000)

  it.effect("reads every page of the symbol's open orders (more than 500): an unreadable order past the first 500 either way still holds the cancel to exit 1", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca({ keyId: "PKCANCELMANY", secretKey: "cancel-many-secret" })
      const plain = (n: number) => post(fake, { symbol: "SPY", qty: "1", side: "buy", type: "limit", limit_price: "1", time_in_force: "gtc", client_order_id: `resting-${n}` })
      // 501 open orders before the odd bracket and 501 after it: neither the newest 500 nor the oldest 500 hold it
      const plains = (from: number) => Effect.forEach(Array.from({ length: 501 }, (_, n) => from + n), plain, { concurrency: 8, discard: true })
      yield* plains(0)
      const placed = yield* post(fake, restingBracket("odd-among-many"))
      fake.venueStatuses.set(placed.id, "pending_activation")
      yield* plains(501)
      const stop = placed.legs.find((l) => l.type === "stop")!
      const r = yield* Effect.promise(() => cliInProcess(tempHome(), ["cancel", "--account", "COUNCIL", stop.id], envOf(fake)))
      assert.strictEqual(r.code, 1, `${r.stdout}\n${r.stderr}`)
      assert.include(r.stdout, ` · order ${stop.id} · client order id ${stop.client_order_id} · canceled`)
      assert.strictEqual(fake.orders.get(placed.id)?.status, "new")
      const lines = r.stderr.split("\n").filter((l) => l.includes("may still be working"))
      assert.strictEqual(lines.length, 1, r.stderr)
      assert.include(lines[0]!, `status "pending_activation" is new to Council`)
      assert.include(lines[0]!, placed.id)
    }).pipe(Effect.scoped), 60_000)

  it.effect("more than 500 open orders of the symbol submitted in one millisecond cannot be paged past: said as unconfirmed, exit 1", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca({ keyId: "PKCANCELSAME", secretKey: "cancel-same-secret" })
      const placed = yield* post(fake, restingBracket("odd-then-a-burst"))
      fake.venueStatuses.set(placed.id, "pending_activation")
      yield* Effect.forEach(Array.from({ length: 501 }, (_, n) => n), (n) =>
        post(fake, { symbol: "SPY", qty: "1", side: "buy", type: "limit", limit_price: "1", time_in_force: "gtc", client_order_id: `burst-${n}` }), { concurrency: 8, discard: true })
      // every order of the symbol stamped with one instant: no `after` gets past a page of them
      const instant = new Date(Date.now() - 60_000).toISOString()
      for (const [id, o] of fake.orders) if (o.symbol === "SPY") fake.orders.set(id, { ...o, submittedAt: instant })
      const stop = placed.legs.find((l) => l.type === "stop")!
      const r = yield* Effect.promise(() => cliInProcess(tempHome(), ["cancel", "--account", "COUNCIL", stop.id], envOf(fake)))
      assert.strictEqual(r.code, 1, `${r.stdout}\n${r.stderr}`)
      const lines = r.stderr.split("\n").filter((l) => l.includes("may still be working"))
      assert.strictEqual(lines.length, 1, r.stderr)
      assert.include(lines[0]!, "SPY's open orders could not be read to the end")
    }).pipe(Effect.scoped), 60_000)

  it.effect("an order whose group it read whole is not held up by another order of the symbol it cannot read", () =>
    Effect.gen(function*() {
      const fake = yield* startFakeAlpaca({ keyId: "PKCANCELPLAIN", secretKey: "cancel-plain-secret" })
      const odd = yield* post(fake, restingBracket("someone-elses-bracket"))
      fake.venueStatuses.set(odd.id, "pending_activation")
      const plain = yield* post(fake, { symbol: "SPY", qty: "5", side: "buy", type: "limit", limit_price: "1", time_in_force: "gtc", client_order_id: "plain-spy" })
      const r = yield* Effect.promise(() => cliInProcess(tempHome(), ["cancel", "--account", "COUNCIL", "plain-spy"], envOf(fake)))
      assert.strictEqual(r.code, 0, r.stderr)
      assert.include(r.stdout, ` · order ${plain.id} · client order id plain-spy · canceled`)
      assert.strictEqual(fake.orders.get(odd.id)?.status, "new")
    }).pipe(Effect.scoped), 60_000)
})

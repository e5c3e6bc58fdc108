import { afterAll, assert, describe, it } from "@effect/vitest"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { cliInProcess } from "./InProcess.ts"

const root = mkdtempSync(join(tmpdir(), "council-nothing-to-act-on-"))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let homes = 0
const freshHome = () => join(root, `fresh-${++homes}`, "home")

/**
 * On a fresh home the local exchange holds no order and no position: a command that acts on them finds nothing
 * and says so, and leaves no home behind (a home is made by what writes: `run daily`, `order`, `reconcile`, …).
 */
describe("cancel, close, cancel-all and close-all on a fresh home", () => {
  const cases: ReadonlyArray<{ readonly args: ReadonlyArray<string>; readonly code: number; readonly stdout: RegExp; readonly error?: RegExp }> = [
    { args: ["cancel", "--account", "CHATGPT", "no-such-order"], code: 1, stdout: /^$/, error: /^error: CHATGPT: no order no-such-order \(neither an order id nor a client order id of this account\)$/ },
    { args: ["cancel", "--account", "council", "0b6e0a52-1c1e-4a8e-9d6f-3c2b1a0f9e8d", "--json"], code: 1, stdout: /"exitCode": 1/, error: /^error: COUNCIL: no order 0b6e0a52/ },
    { args: ["close", "--account", "CHATGPT", "--symbol", "spy", "--yes"], code: 1, stdout: /^$/, error: /^error: CHATGPT: no SPY position to close$/ },
    { args: ["cancel-all", "--account", "GROQ", "--yes"], code: 0, stdout: /^ACCOUNT\s+ORDERS CANCELED\s+ERROR\n-+.*\nGROQ\s+0\s*$/ },
    { args: ["close-all", "--yes", "--json"], code: 0, stdout: /"canceled": 0,\s+"closed": \[\],/ }
  ]
  for (const { args, code, error, stdout } of cases) {
    it(`${args.join(" ")}: exit ${code}, no home left`, async () => {
      const home = freshHome()
      const r = await cliInProcess(home, args)
      assert.strictEqual(r.code, code, r.stderr)
      assert.match(r.stdout.trim(), stdout)
      if (error !== undefined) assert.match(r.stderr.trim(), error)
      assert.isFalse(existsSync(home), `left ${home}`)
    }, 30_000)
  }

  it("a home that ran a day: cancel finds the run's order and cancels it", async () => {
    const home = freshHome()
    const day = await cliInProcess(home, ["run", "daily"])
    assert.strictEqual(day.code, 0, day.stderr)
    const open = await cliInProcess(home, ["orders", "--json"])
    assert.strictEqual(open.code, 0, open.stderr)
    const placed = (JSON.parse(open.stdout) as ReadonlyArray<{ readonly account: string; readonly orders: ReadonlyArray<{ readonly clientOrderId: string }> }>)
      .flatMap((a) => a.orders.map((o) => ({ account: a.account, clientOrderId: o.clientOrderId })))
    assert.isAbove(placed.length, 0, open.stdout)
    const first = placed[0]!
    const cancel = await cliInProcess(home, ["cancel", "--account", first.account, first.clientOrderId, "--json"])
    assert.strictEqual(cancel.code, 0, cancel.stderr)
    assert.strictEqual((JSON.parse(cancel.stdout) as { readonly canceled: { readonly status: string } }).canceled.status, "canceled")
  }, 60_000)
})

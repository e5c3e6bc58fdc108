/**
 * A run from another home — a bundle file, or a run imported from one — is there to inspect and replay. Its
 * decisions were made on that home's accounts and data, so nothing of it reaches this home's brokers unless the
 * user says `--send`. Before, `approve <imported run>` placed the other home's orders here (then failed with an
 * internal TypeError), and `replay <bundle.json | imported run> --from <stage>` placed its fork's orders by default,
 * as a fork of a run made here does.
 */
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { runIdOf, tempHome } from "./CliHarness.ts"
import { cliInProcess, cliOk } from "./InProcess.ts"

interface AccountOrders {
  readonly account: string
  readonly orders: ReadonlyArray<{ readonly clientOrderId: string }>
}

/** Every order this home's (embedded) exchange holds, any status. */
const ordersOf = async (home: string) => {
  const orders = await cliOk(home, ["orders", "--status", "all", "--json"])
  return (JSON.parse(orders) as ReadonlyArray<AccountOrders>).flatMap((a) => a.orders.map((o) => `${a.account} ${o.clientOrderId}`))
}

describe("runs from another home send nothing here unless told", () => {
  it("approve refuses an imported run; a fork of a bundle or an imported run is a dry run without --send", async () => {
    const origin = tempHome()
    const sent = await cliInProcess(origin, ["run", "daily", "--date", "2026-06-05"])
    assert.strictEqual(sent.code, 0, sent.stderr)
    const sentId = runIdOf(sent.stdout)
    const waiting = await cliInProcess(origin, ["run", "daily", "--require-approval"])
    assert.strictEqual(waiting.code, 0, waiting.stderr)
    const waitingId = runIdOf(waiting.stdout + waiting.stderr)
    const sentFile = join(origin, "sent.json")
    const waitingFile = join(origin, "waiting.json")
    for (const [id, file] of [[sentId, sentFile], [waitingId, waitingFile]] as const) {
      const exported = await cliInProcess(origin, ["export", id, "-o", file])
      assert.strictEqual(exported.code, 0, exported.stderr)
    }

    const here = tempHome()
    assert.strictEqual((await cliInProcess(here, ["import", waitingFile])).code, 0)
    for (const args of [["approve", waitingId], ["approve", waitingId, "--reject"]]) {
      const refused = await cliInProcess(here, args)
      assert.strictEqual(refused.code, 2, `${args.join(" ")}\n${refused.stdout}\n${refused.stderr}`)
      assert.match(refused.stderr.trim(), new RegExp(`^error: run ${waitingId} was imported from another home, .* cannot be approved or rejected here`))
    }
    assert.deepStrictEqual(await ordersOf(here), [])

    // a bundle file: imported, then forked as a dry run
    const fromFile = await cliInProcess(here, ["replay", sentFile, "--from", "RiskApproval"])
    assert.strictEqual(fromFile.code, 0, fromFile.stderr)
    assert.include(fromFile.stderr, `run ${sentId} comes from another home`)
    assert.match(fromFile.stdout, new RegExp(`forked run \\S+ from ${sentId} at RiskApproval \\(dry run\\)`))
    assert.deepStrictEqual(await ordersOf(here), [])

    // the imported run, by id: a dry run too; --send sends, as the user asked
    const byId = await cliInProcess(here, ["replay", sentId, "--from", "RiskApproval"])
    assert.strictEqual(byId.code, 0, byId.stderr)
    assert.match(byId.stdout, /\(dry run\)/)
    assert.deepStrictEqual(await ordersOf(here), [])
    const told = await cliInProcess(here, ["replay", sentId, "--from", "RiskApproval", "--send"])
    assert.strictEqual(told.code, 0, told.stderr)
    assert.notMatch(told.stdout, /\(dry run\)/)
    assert.isAbove((await ordersOf(here)).length, 0)
  })

  it("a fork of a run made in this home still sends by default", async () => {
    const home = tempHome()
    const sent = await cliInProcess(home, ["run", "daily", "--date", "2026-06-05"])
    assert.strictEqual(sent.code, 0, sent.stderr)
    const fork = await cliInProcess(home, ["replay", runIdOf(sent.stdout), "--from", "RiskApproval"])
    assert.strictEqual(fork.code, 0, fork.stderr)
    assert.notMatch(fork.stdout, /\(dry run\)/)
    assert.notInclude(fork.stderr, "comes from another home")
    // sent: the broker was asked, and answered that the parent's orders (the same client order ids) are already there
    // — a dry run would say "not sent (dry run)" and ask nothing
    assert.match(fork.stdout, /^CHATGPT\s+succeeded\s+0\s+0\s.*1 already at the broker \(earlier run\)$/m)
  })
})

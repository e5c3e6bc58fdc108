/**
 * What `run daily --require-approval` prints when its run stops at the approval gate: the orders approving would send
 * (a dry-run account's listed as not sent and left out of the count) and the commands that decide.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Schema from "effect/Schema"
import { type AccountId, RiskVerdict } from "@council/domain"
import type { RunRecord } from "@council/engine"
import { orderPurpose } from "../OrderPurpose.ts"
import { counted, table } from "../Table.ts"

/**
 * What a run stopped at its approval gate would send, and how to decide. The orders of `idle` accounts (dry-run
 * ones: approving sends nothing of theirs) are listed as not sent and left out of the count.
 */
export const awaitingOutcome = (run: RunRecord, verdict: RiskVerdict, json: boolean, idle: ReadonlyArray<AccountId> = []) => {
  const held = verdict.intents.filter((i) => idle.includes(i.account))
  const heldAccounts = [...new Set(held.map((i) => i.account))]
  const cancels = verdict.cancels.filter((c) => !idle.includes(c.account)).length
  return json
    ? Console.log(JSON.stringify({ run, awaiting: Schema.encodeSync(RiskVerdict)(verdict), dryRunAccounts: heldAccounts }, null, 2))
    : Console.log([
      intentTable(verdict, idle),
      "",
      `run ${run.id} · awaiting approval · it would send ${counted(verdict.intents.length - held.length, "order")}` +
        (cancels > 0 ? ` after canceling ${cancels}` : "") +
        (held.length > 0
          ? ` (${held.length} more not sent: ${heldAccounts.join(", ")} ${heldAccounts.length === 1 ? "is a dry-run account" : "are dry-run accounts"})`
          : ""),
      `approve with: pnpm pipeline approve ${run.id}    reject with: pnpm pipeline approve ${run.id} --reject`
    ].join("\n"))
}

/** The orders a verdict would send, one line each (those of `idle`, dry-run, accounts said not sent). */
export const intentTable = (verdict: RiskVerdict, idle: ReadonlyArray<AccountId> = []) =>
  table(
    ["ACCOUNT", "SIDE", "QTY", "SYMBOL", "TYPE", "TIF", "CLASS", "CLIENT ORDER ID", "WHAT"],
    verdict.intents.map((i) => [
      i.account,
      i.side,
      String(i.qty),
      i.symbol,
      i.type,
      i.timeInForce,
      i.orderClass,
      i.clientOrderId,
      idle.includes(i.account) ? `not sent: ${i.account} is a dry-run account` : orderPurpose(i.orderClass, i.reason, i.qty)
    ])
  )

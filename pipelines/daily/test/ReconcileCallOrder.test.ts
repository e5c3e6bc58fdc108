import { assert, it } from "@effect/vitest"
import { readFileSync, writeFileSync } from "node:fs"
import { Effect, Ref } from "effect"
import { momentAt, type TradingDay } from "@council/domain"
import type { Recording } from "@council/engine"
import { claudeFillsFailing, keyShapes, reconcileEnv, runReconcile, walkMonth } from "./ReconcileRun.ts"

/**
 * The order in which Reconcile recorded its calls over a month of one book, as of a1beca7: a bracket and simple
 * orders on COUNCIL and CLAUDE, a lookup of an order that left the open ones, a day of CLAUDE's fills failing. A
 * recording's `seq` is part of what a run stores; how the exchange answers the reads (which of an account's
 * concurrent reads brings it to the session, how many effects each takes) decides that order, so a change to the
 * read paths must leave it as it was. Keys only (the answers are checked elsewhere), order ids numbered by first
 * appearance. `RECORD_CALL_ORDER=1` writes the fixture anew.
 */
const FIXTURE = new URL("./fixtures/reconcile-call-order.txt", import.meta.url)

it.effect("Reconcile records its calls in the order it always did", () =>
  Effect.gen(function*() {
    const session = yield* Ref.make(momentAt("2024-03-01", "16:30"))
    const failing = { on: false }
    const shape = keyShapes()
    const lines: Array<string> = []
    const keep = (day: TradingDay, recordings: ReadonlyArray<Recording>) => {
      lines.push(`${day}`)
      for (const r of recordings) lines.push(`  ${r.seq} ${shape(r)}`)
    }
    yield* walkMonth(
      session,
      (day) => Effect.map(runReconcile(day, "o0", "record"), ({ recordings }) => keep(day, recordings)),
      (day, i) => {
        failing.on = i === 5
        return Effect.map(runReconcile(day, `o${i + 1}`, "record"), ({ recordings }) => (keep(day, recordings), false))
      }
    ).pipe(Effect.provide(reconcileEnv(session, claudeFillsFailing(failing))))
    const text = `${lines.join("\n")}\n`
    if (process.env["RECORD_CALL_ORDER"] === "1") writeFileSync(FIXTURE, text)
    assert.isTrue(lines.some((l) => l.includes("broker.getOrder(")), "the month holds a lookup")
    assert.isTrue(lines.some((l) => l.includes("broker.listFills") && l.endsWith("Failure")), "the month holds a failed read")
    assert.strictEqual(text, readFileSync(FIXTURE, "utf8"))
  }))

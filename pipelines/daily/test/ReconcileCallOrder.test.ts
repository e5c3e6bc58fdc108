import { assert, it } from "@effect/vitest"
import { readFileSync, writeFileSync } from "node:fs"
import { Effect, Ref } from "effect"
import { momentAt, Ticker, TradingDay } from "@council/domain"
import type { Recording } from "@council/engine"
import { LocalExchange } from "@council/exchange"
import { MarketData } from "@council/market"
import { CLAUDE, claudeFillsFailing, COUNCIL, nearBracket, reconcileEnv, runReconcile, SPY } from "./ReconcileRun.ts"

/**
 * The order in which Reconcile recorded its calls over a month of one book, as of a1beca7: a bracket and simple
 * orders on COUNCIL and CLAUDE, a lookup of an order that left the open ones, a day of CLAUDE's fills failing. A
 * recording's `seq` is part of what a run stores; how the exchange answers the reads (which of an account's
 * concurrent reads brings it to the session, how many effects each takes) decides that order, so a change to the
 * read paths must leave it as it was. Keys only (the answers are checked elsewhere), order ids numbered by first
 * appearance. `RECORD_CALL_ORDER=1` writes the fixture anew.
 */
const FIXTURE = new URL("./fixtures/reconcile-call-order.txt", import.meta.url)

const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g

it.effect("Reconcile records its calls in the order it always did", () =>
  Effect.gen(function*() {
    const session = yield* Ref.make(momentAt("2024-03-01", "16:30"))
    const failing = { on: false }
    const ids = new Map<string, string>()
    const plain = (text: string) => text.replace(uuid, (id) => ids.get(id) ?? (ids.set(id, `#${ids.size}`), ids.get(id)!))
    const lines: Array<string> = []
    const keep = (day: TradingDay, recordings: ReadonlyArray<Recording>) => {
      lines.push(`${day}`)
      for (const r of recordings) lines.push(`  ${r.seq} ${plain(r.key)} ${(r.value as { readonly _tag: string })._tag}`)
    }
    yield* Effect.gen(function*() {
      const days = yield* MarketData.use((m) => m.sessions(TradingDay.make("2024-03-01"), TradingDay.make("2024-03-28")))
      const exchange = yield* LocalExchange
      keep(days[0]!, (yield* runReconcile(days[0]!, "o0", "record")).recordings)
      const close = (yield* MarketData.use((m) => m.bars({ symbol: SPY, asOf: days[0]!, lookback: 1 })))[0]!.close
      const bracket = nearBracket(COUNCIL, "council-old-1", close)
      const { stopLoss: _stop, takeProfit: _take, ...entry } = bracket
      const simple = { ...entry, orderClass: "simple", timeInForce: "day" } as const
      yield* exchange.placeOrder(COUNCIL, bracket)
      yield* exchange.placeOrder(CLAUDE, { ...simple, account: CLAUDE, clientOrderId: "claude-old-1" })
      for (const [i, day] of days.slice(1).entries()) {
        yield* Ref.set(session, momentAt(day, "16:30"))
        if (i === 0) yield* exchange.placeOrder(COUNCIL, { ...simple, clientOrderId: "council-old-2", symbol: Ticker.make("QQQ"), qty: 1 })
        failing.on = i === 5
        keep(day, (yield* runReconcile(day, `o${i + 1}`, "record")).recordings)
      }
    }).pipe(Effect.provide(reconcileEnv(session, claudeFillsFailing(failing))))
    const text = `${lines.join("\n")}\n`
    if (process.env["RECORD_CALL_ORDER"] === "1") writeFileSync(FIXTURE, text)
    assert.isTrue(lines.some((l) => l.includes("broker.getOrder(")), "the month holds a lookup")
    assert.isTrue(lines.some((l) => l.includes("broker.listFills") && l.endsWith("Failure")), "the month holds a failed read")
    assert.strictEqual(text, readFileSync(FIXTURE, "utf8"))
  }))

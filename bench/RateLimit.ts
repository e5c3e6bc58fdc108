/**
 * `pnpm bench ratelimit`: 1,200 orders over 6 accounts through the Alpaca adapter against `exchange serve`,
 * both limited to 20 requests per second per account (the server in fixed one-second windows, so it does refuse
 * a client that goes faster: see the control line).
 *
 * The floor is the client limiter's exact bound: its slots free a window after each request finished, so 200
 * requests at 20 per second take (200 / 20 − 1) windows plus the round trips — 9 s; wall / bound is paired per
 * repetition. Zero 429s means the adapter never exceeded the server's limit; the control — a bare client sending
 * 40 requests per account at once, after each run — shows the server refusing the excess.
 */
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import { DEFAULT_ACCOUNTS } from "@council/domain"
import { AccountManager } from "@council/broker"
import { adapter, bare, ms, order, served } from "./ExchangeClients.ts"
import { against, line, show, summarize } from "./Stats.ts"

const PER_SECOND = 20
const TOTAL = 1_200

export const ratelimit = (runs: number) =>
  Effect.scoped(Effect.gen(function*() {
    const { keys, server } = yield* served(["--rate-limit", String(PER_SECOND), "--rate-window", "1"])
    const statuses = yield* Ref.make<Record<number, number>>({})
    const perAccount = TOTAL / DEFAULT_ACCOUNTS.length
    const bound = (Math.ceil(perAccount / PER_SECOND) - 1) * 1000
    const walls: Array<number> = []
    let failed = 0
    let controlSent = 0
    let controlRefused = 0
    yield* Effect.gen(function*() {
      const manager = yield* AccountManager
      for (let r = 0; r < runs; r++) {
        // start on a fresh server window and a fresh client window
        yield* Effect.sleep("1100 millis")
        const intents = Array.from({ length: TOTAL }, (_, i) => {
          const account = DEFAULT_ACCOUNTS[i % DEFAULT_ACCOUNTS.length]!
          return order(account, "UUP", `bench-rate-${r}-${account}-${i}`)
        })
        const t0 = performance.now()
        const placed = yield* manager.placeMany(intents)
        walls.push(ms(t0))
        failed += placed.filter((p) => Result.isFailure(p.result)).length
        yield* Effect.sleep("1100 millis")
        const control = yield* Effect.promise(() =>
          Promise.all(keys.flatMap((k) => Array.from({ length: 2 * PER_SECOND }, () => bare(server, k)("GET", "/v2/clock"))))
        )
        controlSent += control.length
        controlRefused += control.filter((s) => s === 429).length
      }
    }).pipe(Effect.provide(adapter(server, keys, { rateLimit: { limit: PER_SECOND, window: "1 second" } }, statuses)))

    const overBound = walls.map((w) => w / bound)
    const seen = yield* Ref.get(statuses)
    console.log(`ratelimit: ${TOTAL} orders over ${DEFAULT_ACCOUNTS.length} accounts × ${runs} runs; server and client limit ${PER_SECOND} requests/s per account`)
    line("wall", show(walls.map((w) => w / 1000), "s", 2))
    line("limiter's exact bound", `${(bound / 1000).toFixed(2)} s   ((${perAccount} / ${PER_SECOND} − 1) windows of 1 s)`)
    line("wall / bound (per run)", `${show(overBound, "×", 3)}   ${against(summarize(overBound).median, 1.05, "≤", "×")}`)
    line("429s seen by the adapter", `${seen[429] ?? 0}   failed orders ${failed}   statuses ${JSON.stringify(seen)}`)
    line("control: bare burst of 2× the limit", `${controlRefused} of ${controlSent} refused with 429 (the server's limit is live)`)
  }))

/**
 * The mutating endpoints. Each is behind the bearer token (`Auth`). `approve` and `startBacktest` are defined
 * with their authorization but their features are being built elsewhere: they answer 501 from `notYet` below,
 * the one place to replace when they land.
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { MonitorApi, NotImplemented } from "@council/api"
import { AccountManager } from "@council/broker"
import { accountsFor } from "./AccountsHandlers.ts"

const notYet = (feature: string, message: string) => Effect.fail(new NotImplemented({ feature, message }))

export const ControlHandlers = HttpApiBuilder.group(MonitorApi, "control", (handlers) =>
  handlers
    .handle("closeAll", ({ payload }) =>
      Effect.gen(function*() {
        const ids = yield* accountsFor(payload.account)
        const results = yield* AccountManager.use((m) => m.closeAllPositions(ids))
        yield* Effect.logWarning(`close-all requested over the API for ${ids.join(", ")}`)
        return results.map(({ account, result }) =>
          Result.match(result, {
            onSuccess: (r) => ({ account, canceled: r.canceled, closed: r.closed, error: null }),
            onFailure: (e) => ({ account, canceled: null, closed: null, error: e.message })
          })
        )
      }))
    .handle("approve", () => notYet("approve", "approving a run is not available yet: runs do not stop for approval (run daily --require-approval is coming)"))
    .handle("startBacktest", () => notYet("backtest", "starting a backtest over the API is not available yet (pnpm pipeline backtest is coming)")))

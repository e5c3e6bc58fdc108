/**
 * The mutating endpoints. Each is behind the bearer token (`Auth`). `closeAll` tells `CloseAllNotice` what it did,
 * when the composition root provides one (Slack hears the panic button). `approve` runs `pnpm pipeline approve`'s code
 * path through `RunApprovals`, `startBacktest` starts `pnpm pipeline backtest` through `BacktestLauncher` (each
 * answers 501 when the server was started without it).
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { BadRequest, MonitorApi, NotFound, NotImplemented } from "@council/api"
import { AccountManager } from "@council/broker"
import { failedSummariesOf } from "@council/daily/RunFailures"
import { accountsFor } from "./AccountsHandlers.ts"
import { RunApprovals } from "./Approvals.ts"
import { BacktestLauncher } from "./BacktestLauncher.ts"
import { CloseAllNotice } from "./CloseAllNotice.ts"
import { chargesOf, summaryOf, unreadOf } from "./RunsHandlers.ts"

const notYet = (feature: string, message: string) => Effect.fail(new NotImplemented({ feature, message }))

export const ControlHandlers = HttpApiBuilder.group(MonitorApi, "control", (handlers) =>
  handlers
    .handle("closeAll", ({ payload }) =>
      Effect.gen(function*() {
        const ids = yield* accountsFor(payload.account)
        const results = yield* AccountManager.use((m) => m.closeAllPositions(ids))
        yield* Effect.logWarning(`close-all requested over the API for ${ids.join(", ")}`)
        const answer = results.map(({ account, result }) =>
          Result.match(result, {
            onSuccess: (r) => ({ account, canceled: r.canceled, closed: r.closed, error: null }),
            onFailure: (e) => ({ account, canceled: null, closed: null, error: e.message })
          })
        )
        const notice = yield* Effect.serviceOption(CloseAllNotice)
        if (Option.isSome(notice)) yield* notice.value.tell(answer)
        return answer
      }))
    .handle("approve", ({ params, payload }) =>
      Effect.gen(function*() {
        const approvals = yield* Effect.serviceOption(RunApprovals)
        if (Option.isNone(approvals)) return yield* notYet("approve", "this server cannot approve runs (use: pnpm pipeline approve <run-id>)")
        const reject = payload.reject ?? false
        yield* Effect.logWarning(`${reject ? "rejection" : "approval"} of run ${params.id} requested over the API`)
        const run = yield* approvals.value.decide(params.id, reject).pipe(
          Effect.catchTag("ApprovalFailure", (e) => Effect.fail(e.kind === "NotFound" ? new NotFound({ message: e.message }) : new BadRequest({ message: e.message })))
        )
        const charged = yield* chargesOf([run], new Set()).pipe(Effect.orElseSucceed(() => new Map<string, never>()))
        const failed = yield* failedSummariesOf([run]).pipe(Effect.orElseSucceed(() => new Map<string, never>()))
        // an approved (or rejected) run reconciled before its approval: what it could not read is its summary's too
        const unread = yield* unreadOf([run], undefined).pipe(Effect.orElseSucceed(() => new Map<string, never>()))
        return summaryOf(run, false, undefined, charged.get(run.id), failed.get(run.id), unread.get(run.id))
      }))
    .handle("startBacktest", ({ payload }) =>
      Effect.gen(function*() {
        const launcher = yield* Effect.serviceOption(BacktestLauncher)
        if (Option.isNone(launcher)) return yield* notYet("backtest", "this server cannot start backtests (use: pnpm pipeline backtest)")
        yield* Effect.logWarning(`backtest ${payload.from} … ${payload.to} requested over the API`)
        return yield* launcher.value.start(payload).pipe(
          Effect.catchTag("BacktestLaunchFailure", (e) => Effect.fail(new BadRequest({ message: e.message })))
        )
      })))

/** `GET /api/server`: whether mutations are allowed (a token configured), so the dashboard offers none that would be refused. */
export const serverHandlers = (token: Option.Option<Redacted.Redacted>) =>
  HttpApiBuilder.group(MonitorApi, "server", (handlers) => handlers.handle("get", () => Effect.succeed({ mutations: Option.isSome(token) })))

import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type { AccountId, RunId } from "@council/domain"
import { Recorder, RunContext } from "@council/engine"
import { Brokers } from "@council/broker"
import { LocalExchange } from "@council/exchange"
import { Reconcile, ReconcileReport } from "@council/daily"
import { TradeLedger } from "@council/tracking"
import { CliFailure } from "../CliFailure.ts"
import { money, table } from "../Table.ts"

/**
 * The run context of a reconciliation run alone: the session the brokers are at, the live book, every page of an
 * account's open orders read (`openOrders: every`, as a new run's Reconcile reads them; nothing is recorded).
 */
const alone = (day: string) =>
  Layer.succeed(RunContext, {
    runId: `reconcile-${day}` as RunId,
    pipeline: "reconcile",
    tradingDay: day as RunContext["Service"]["tradingDay"],
    asOf: day as RunContext["Service"]["asOf"],
    mode: "live",
    dryRun: false,
    stage: "Reconcile",
    attempt: 1,
    params: { accounts: [], broker: "reconcile", data: "reconcile", pms: "none", openOrders: "every" }
  })

/**
 * `reconcile`: the daily pipeline's Reconcile stage alone, for `accounts`, into the live book, at the session the
 * brokers are at (the local exchange's latest session). Exit 1 when an account could not be reconciled.
 */
export const reconcile = (accounts: ReadonlyArray<AccountId>, json: boolean) =>
  Effect.gen(function*() {
    const day = (yield* LocalExchange.use((e) => e.now).pipe(Effect.mapError((e) => CliFailure.failed(e.message)))).day
    const brokers = yield* Brokers
    const report = yield* Reconcile.run({}).pipe(
      Effect.provideService(Brokers, Brokers.of({ accounts, get: brokers.get })),
      Effect.provide(Layer.mergeAll(Recorder.Recorder.layerLive, alone(day))),
      Effect.mapError((e) => CliFailure.failed(`reconciliation failed: ${e.message}`))
    )
    if (json) yield* Console.log(JSON.stringify(Schema.encodeSync(ReconcileReport)(report), null, 2))
    else {
      yield* Console.log(table(
        ["ACCOUNT", "STATUS", "ORDERS", "FILLS", "EQUITY", "NOTE"],
        report.accounts.map((a) => [a.account, a.status, String(a.orders), String(a.fills), money(a.equity), a.message])
      ))
      yield* Console.log(`\nbook ${report.book} · session ${report.asOf}`)
    }
    const failed = report.accounts.filter((a) => a.status === "failed")
    if (failed.length > 0) {
      return yield* CliFailure.failed(`${failed.length} of ${report.accounts.length} accounts could not be reconciled: ${failed.map((a) => a.account).join(", ")}`)
    }
  }).pipe(Effect.provide(TradeLedger.layer))

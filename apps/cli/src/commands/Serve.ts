import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as IpNetwork from "effect/net/IpNetwork"
import * as Schema from "effect/Schema"
import * as HttpServer from "effect/http/HttpServer"
import { RunId } from "@council/domain"
import { RunStore } from "@council/engine"
import { TradingAccounts } from "@council/broker"
import type { MarketData } from "@council/market"
import { Approvals, BacktestDataNote, BacktestRuns, CloseAllNotice, HostCheck, Server } from "@council/server"
import { Notifier } from "@council/notify/Notifier"
import { closedAll } from "@council/notify/RunMessages"
import { TradeLedger } from "@council/tracking"
import { votesByBook } from "../BacktestFiles.ts"
import { offThread } from "../BookWorker.ts"
import { launcher } from "./BacktestLaunch.ts"
import { AppSettings } from "../AppConfig.ts"
import { dataChangedNote } from "../BacktestData.ts"
import * as AppLayer from "../AppLayer.ts"
import { CliFailure } from "../CliFailure.ts"
import { allowedHost } from "../MonitorConfig.ts"
import * as Launcher from "../Launcher.ts"
import { checkListen, waitForSignal } from "../Listening.ts"

export interface ServeOptions {
  readonly port: number
  readonly host: string
  readonly allowedHost?: ReadonlyArray<string> | undefined
  readonly trustProxy?: ReadonlyArray<string> | undefined
}

/** `--allowed-host` values, checked, after `COUNCIL_ALLOWED_HOSTS`' (already checked). */
const allowedHosts = (flags: ReadonlyArray<string>, configured: ReadonlyArray<string>) =>
  Effect.forEach(flags, (raw) => {
    const checked = allowedHost(raw)
    return "problem" in checked ? Effect.fail(CliFailure.usage(`--allowed-host: ${checked.problem}`)) : Effect.succeed(checked.host)
  }).pipe(Effect.map((hosts) => [...new Set([...configured, ...hosts])]))

/** `--trust-proxy` values: an address (itself alone) or a network in CIDR notation; not every address (`/0`). */
const trustedProxies = (flags: ReadonlyArray<string>) =>
  Effect.forEach(flags, (raw) => {
    const text = raw.trim()
    const cidr = text.includes("/") ? text : `${text}/${text.includes(":") ? 128 : 32}`
    return Result.match(IpNetwork.fromString(cidr), {
      onFailure: () => Effect.fail(CliFailure.usage(`--trust-proxy: "${raw.slice(0, 60)}" is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/8)`)),
      // every address: any client would write its own X-Forwarded-For, a new client at each wrong token (no throttle)
      onSuccess: (network) =>
        network.prefixLength === 0
          ? Effect.fail(CliFailure.usage(
            `--trust-proxy: ${IpNetwork.format(network)} trusts every address, so any client could say who it is and escape the failed-token throttle; give the proxy's own address (e.g. 127.0.0.1)`
          ))
          : Effect.succeed(network)
    })
  })

/**
 * `POST /api/runs/{id}/approve` through `pnpm pipeline approve`'s own code path (`Approve.decide`), with the
 * settings and the market data the server was started with; its report lines go to the server's output.
 */
const approvals = Effect.gen(function*() {
  const context = yield* Effect.context<AppSettings | TradingAccounts | MarketData>()
  const decide = (runId: string, reject: boolean) =>
    Effect.gen(function*() {
      if (!Schema.is(RunId)(runId)) return yield* new Approvals.ApprovalFailure({ kind: "NotFound", message: `no run with id ${runId.slice(0, 64)}` })
      const Approve = yield* Effect.promise(() => import("./Approve.ts"))
      yield* Approve.decide({ runId, reject, at: Option.none(), json: true }, AppLayer).pipe(
        Effect.catchIf((e) => e._tag === "CliFailure" && e.exitCode === 1 && /^\d+ of \d+ accounts failed/.test(e.message), () => Effect.void)
      )
      const run = yield* RunStore.use((s) => s.getRun(RunId.make(runId))).pipe(Effect.provide(AppLayer.storage("empty")))
      return yield* Option.match(run, {
        onNone: () => Effect.fail(new Approvals.ApprovalFailure({ kind: "NotFound", message: `no run with id ${runId}` })),
        onSome: Effect.succeed
      })
    }).pipe(
      Effect.mapError((e) =>
        e._tag === "ApprovalFailure" ? e : new Approvals.ApprovalFailure({ kind: /^no run with id/.test(e.message) ? "NotFound" : "Refused", message: e.message })
      ),
      Effect.provide(context)
    )
  return Layer.succeed(Approvals.RunApprovals, Approvals.RunApprovals.of({ decide }))
})

/**
 * `POST /api/close-all` told to the notifier (the console and, with `SLACK_WEBHOOK_URL`, Slack) as `close-all` tells
 * it: the panic button pressed from the dashboard is heard where the day's runs are.
 */
const closeAllNotice = Layer.effect(CloseAllNotice.CloseAllNotice, Effect.gen(function*() {
  const notifier = yield* Notifier
  // a LIVE account's line starts `LIVE ·`, as `close-all` tells it
  const live = (yield* TradingAccounts).all.filter((a) => a.mode === "LIVE").map((a) => a.id)
  return CloseAllNotice.CloseAllNotice.of({
    tell: (accounts) =>
      notifier.notify(closedAll({ via: "the monitor's API", accounts, live })).pipe(
        Effect.catchTag("NotifierError", (error) => Effect.logWarning(`notification failed: ${error.message}`))
      )
  })
})).pipe(Layer.provide(AppLayer.notifier))

/** The names `serve` says it answers to (`HostCheck`). */
const answered = (host: string, allowed: ReadonlyArray<string>) =>
  [HostCheck.isLoopback(host.trim().toLowerCase()) ? "localhost, 127.0.0.1" : "localhost, IP addresses", ...allowed].join(", ") +
  (allowed.length === 0 ? " (other names: --allowed-host NAME)" : "")

const serving = (options: ServeOptions) =>
  Effect.gen(function*() {
    const launcherExited = yield* Launcher.watch
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) return yield* CliFailure.usage("--port must be 0–65535")
    if (options.host.trim() === "") return yield* CliFailure.usage("--host must name an interface, e.g. 127.0.0.1")
    const { database, feed, monitor: { allowedHosts: configured, apiToken: token, riskFree } } = yield* AppSettings
    const allowed = yield* allowedHosts(options.allowedHost ?? [], configured)
    const proxies = yield* trustedProxies(options.trustProxy ?? [])
    yield* checkListen(options.host, options.port)
    const services = Layer.mergeAll(
      TradeLedger.layer,
      votesByBook,
      yield* approvals,
      launcher.pipe(Layer.provide(TradeLedger.layer)),
      closeAllNotice,
      Layer.succeed(BacktestRuns.BacktestRuns, BacktestRuns.BacktestRuns.of({ home: database })),
      // a backtest's answers say when the data here is not the data it ran on, as `leaderboard --backtest` warns
      Layer.succeed(BacktestDataNote.BacktestDataNote, BacktestDataNote.BacktestDataNote.of({ of: (book, params) => dataChangedNote(book, params, feed) }))
    ).pipe(
      Layer.provideMerge(AppLayer.inspecting())
    )
    yield* Effect.gen(function*() {
      const url = HttpServer.formatAddress((yield* HttpServer.HttpServer).address).replace(/\/$/, "")
      yield* Console.log([
        `monitor listening on ${url}`,
        `  dashboard: ${url}/`,
        `  API: ${url}/api/…, OpenAPI document: ${url}/openapi.json`,
        `  mutations (close-all, approve, start a backtest): ${Option.isSome(token) ? "need Authorization: Bearer $COUNCIL_API_TOKEN" : "disabled (COUNCIL_API_TOKEN is not set)"}`,
        `  answers requests addressed to: ${answered(options.host, allowed)}`,
        ...(proxies.length === 0 ? [] : [`  X-Forwarded-* believed from: ${proxies.map(IpNetwork.format).join(", ")}`]),
        ...(HostCheck.isLoopback(options.host.trim().toLowerCase()) ? [] : [
          `  warning: listening on ${options.host}, beyond this machine: reads (accounts, positions, orders, runs) need no token,`,
          `  so anyone who can reach this address can read them; the bearer token of a mutation crosses the network`,
          `  unencrypted (http) unless a TLS proxy is in front; serve on 127.0.0.1 and tunnel (ssh -L) to keep them private`
        ]),
        `  stop with Ctrl-C`
      ].join("\n"))
      const reason = yield* Effect.raceFirst(waitForSignal, Effect.as(launcherExited, "the launching pnpm exited"))
      yield* Console.log(`${reason}: stopping`)
    }).pipe(
      Effect.provide(Server.layer({
        host: options.host,
        port: options.port,
        allowedHosts: allowed,
        trustedProxies: proxies,
        token,
        riskFree,
        offThread: yield* offThread
      }).pipe(Layer.provideMerge(services)))
    )
    yield* Console.log("stopped")
  })

/** `serve`: the monitor API and dashboard until SIGINT/SIGTERM (after every setting is checked). */
export const serve = (options: ServeOptions) => Effect.provide(serving(options).pipe(Effect.scoped, Effect.provide(AppLayer.market)), AppLayer.configured)

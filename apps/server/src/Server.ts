/**
 * The monitor server: the API (`@council/api`'s `MonitorApi`, OpenAPI at `/openapi.json`) and the dashboard on
 * one HTTP server.
 *
 * **When to use**: `pnpm pipeline serve` provides `layer(options)` (where to listen, and the checked
 * `COUNCIL_API_TOKEN` and `COUNCIL_RISK_FREE`) with the services the handlers read —
 * `AccountManager` and `TradingAccounts` (the brokers, read-only except close-all), `RunStore`, `TradeLedger` and
 * its `SqlClient`, `MarketData` (SPY), and `BacktestRuns` (where a backtest's session runs are read) — and keeps it
 * until SIGINT/SIGTERM. `routes` serves tests through
 * `HttpRouter.toWebHandler` or a server of their own.
 *
 * **Gotchas**: binds 127.0.0.1 unless told otherwise, and answers only requests addressed to localhost, 127.0.0.1
 * and the names it was given (`HostCheck`; on another address, IP addresses too); request logging is off (nothing of a request — its
 * `Authorization` header included — reaches the logs).
 *
 * @since 0.1.0
 */
import { createServer } from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as ByteSize from "effect/ByteSize"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as IpNetwork from "effect/net/IpNetwork"
import type * as Redacted from "effect/Redacted"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpApiBuilder from "effect/http-api/HttpApiBuilder"
import { MonitorApi } from "@council/api"
import * as Access from "./Access.ts"
import { AccountsHandlers } from "./AccountsHandlers.ts"
import type * as BookAnswers from "./BookAnswers.ts"
import * as CompletedBooks from "./CompletedBooks.ts"
import * as Auth from "./Auth.ts"
import * as Compression from "./Compression.ts"
import { ControlHandlers, serverHandlers } from "./ControlHandlers.ts"
import * as Dashboard from "./Dashboard.ts"
import * as FailedAuth from "./FailedAuth.ts"
import * as Reports from "./Reports.ts"
import * as RequestErrors from "./RequestErrors.ts"
import * as SecurityHeaders from "./SecurityHeaders.ts"
import { RunsHandlers } from "./RunsHandlers.ts"
import { standingsHandlers } from "./StandingsHandlers.ts"

export interface Settings {
  /** `COUNCIL_API_TOKEN`; `None` refuses every mutation. */
  readonly token: Option.Option<Redacted.Redacted>
  /** `COUNCIL_RISK_FREE`: the yearly risk-free rate of the leaderboard, as a fraction. */
  readonly riskFree: number
  /** Where a book's leaderboard, equity and report are computed off the server's thread (absent: in it). */
  readonly offThread?: BookAnswers.OffThread | undefined
  /** The checks before any route (`Access`); `layer` sets them from its options. */
  readonly access?: Access.Access | undefined
}

export interface Options extends Settings {
  readonly host: string
  readonly port: number
  /** `--allowed-host`/`COUNCIL_ALLOWED_HOSTS`: host names answered besides loopback ones (`HostCheck`), lower case. */
  readonly allowedHosts?: ReadonlyArray<string> | undefined
  /** `--trust-proxy`: the reverse proxies whose `X-Forwarded-*` headers are believed (`Access`). */
  readonly trustedProxies?: ReadonlyArray<IpNetwork.IpNetwork> | undefined
}

/**
 * Every route: the API, its OpenAPI document, the dashboard and the books' report pages; large answers compressed,
 * mutations from pages of other origins refused (`Access`: `SameOrigin`), every answer with the `SecurityHeaders`.
 */
export const routes = (settings: Settings) => {
  const completed = CompletedBooks.make(16, settings.offThread)
  return Layer.mergeAll(
    HttpApiBuilder.layer(MonitorApi, { openapiPath: "/openapi.json" }).pipe(
      Layer.provide([AccountsHandlers, RunsHandlers, standingsHandlers(settings.riskFree, completed), ControlHandlers, serverHandlers(settings.token)]),
      Layer.provide(Auth.layer(settings.token))
    ),
    Dashboard.routes,
    Reports.routes(settings.riskFree, completed),
    RequestErrors.layer,
    Compression.layer,
    SecurityHeaders.layer,
    Access.layer(settings.access ?? {})
  )
}

/** The most of a request body read: every mutation's body is a small JSON object (a backtest's, with its accounts). */
export const MAX_BODY = ByteSize.kibibytes(64)

/**
 * The server listening on `host:port` (port 0: any free port; read it from `HttpServer`'s address); requests
 * addressed to a name it was not given are refused (`HostCheck`: DNS rebinding), forwarded headers believed only
 * from `trustedProxies`, and with a token configured, a client that keeps failing authentication is throttled
 * (`FailedAuth`). A request body is read up to `MAX_BODY`, so no client can fill the server's memory; a larger
 * one's 413 names that limit (`RequestErrors`).
 */
export const layer = (options: Options) =>
  HttpRouter.serve(routes({
    ...options,
    access: {
      hosts: { listen: options.host, allowed: options.allowedHosts ?? [] },
      trustedProxies: options.trustedProxies,
      throttle: Option.isSome(options.token) ? FailedAuth.make() : undefined
    }
  }), { disableLogger: true, disableListenLog: true }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: options.port, host: options.host })),
    Layer.provide(Layer.succeed(HttpIncomingMessage.MaxBodySize)(MAX_BODY))
  )

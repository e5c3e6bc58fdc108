import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as HttpServer from "effect/http/HttpServer"
import { Server } from "@council/server"
import { TradeLedger } from "@council/tracking"
import * as AppLayer from "../AppLayer.ts"
import { CliFailure } from "../CliFailure.ts"
import * as Launcher from "../Launcher.ts"
import { checkListen, waitForSignal } from "../Listening.ts"

export class ApiTokenConfigError extends Schema.TaggedError<ApiTokenConfigError>()("ApiTokenConfigError", {
  message: Schema.String
}) {}

/** The shortest `COUNCIL_API_TOKEN` accepted: a guessable token would guard the panic button with nothing. */
const MIN_TOKEN_LENGTH = 16

/** `COUNCIL_API_TOKEN`: unset (or empty) disables every mutation; a set one must be long enough. Never echoed. */
export const apiToken = Effect.gen(function*() {
  const raw = yield* Config.option(Config.Redacted("COUNCIL_API_TOKEN")).pipe(Effect.orElseSucceed(() => Option.none<Redacted.Redacted>()))
  if (Option.isNone(raw) || Redacted.value(raw.value) === "") return Option.none<Redacted.Redacted>()
  const token = Redacted.value(raw.value)
  if (token.trim() !== token || token.length < MIN_TOKEN_LENGTH) {
    return yield* new ApiTokenConfigError({
      message: `COUNCIL_API_TOKEN: expected at least ${MIN_TOKEN_LENGTH} characters without surrounding spaces (e.g. from: openssl rand -hex 24)`
    })
  }
  return Option.some(raw.value)
})

export interface ServeOptions {
  readonly port: number
  readonly host: string
}

/** `serve`: the monitor API and dashboard until SIGINT/SIGTERM. */
export const serve = (options: ServeOptions) =>
  Effect.gen(function*() {
    const launcherExited = yield* Launcher.watch
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) return yield* CliFailure.usage("--port must be 0–65535")
    if (options.host.trim() === "") return yield* CliFailure.usage("--host must name an interface, e.g. 127.0.0.1")
    const token = yield* apiToken
    yield* checkListen(options.host, options.port)
    const services = TradeLedger.layer.pipe(Layer.provideMerge(AppLayer.inspecting()))
    yield* Effect.gen(function*() {
      const url = HttpServer.formatAddress((yield* HttpServer.HttpServer).address).replace(/\/$/, "")
      yield* Console.log([
        `monitor listening on ${url}`,
        `  dashboard: ${url}/`,
        `  API: ${url}/api/…, OpenAPI document: ${url}/openapi.json`,
        `  mutations (close-all, approve, start a backtest): ${Option.isSome(token) ? "need Authorization: Bearer $COUNCIL_API_TOKEN" : "disabled (COUNCIL_API_TOKEN is not set)"}`,
        `  stop with Ctrl-C`
      ].join("\n"))
      const reason = yield* Effect.raceFirst(waitForSignal, Effect.as(launcherExited, "the launching pnpm exited"))
      yield* Console.log(`${reason}: stopping`)
    }).pipe(Effect.provide(Server.layer({ host: options.host, port: options.port, token }).pipe(Layer.provideMerge(services))))
    yield* Console.log("stopped")
  })

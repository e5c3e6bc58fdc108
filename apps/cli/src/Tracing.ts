/**
 * Tracing, when asked for: with `OTEL_EXPORTER_OTLP_ENDPOINT` set (an `http(s)://host[:port][/path]` base URL, as
 * the OpenTelemetry spec defines it), every span — per run, stage, account and order — is exported over OTLP/HTTP
 * to `<endpoint>/v1/traces` by `@effect/opentelemetry`, and flushed when the command ends. Unset (or empty),
 * nothing is exported and the exporter is not even loaded (`OtlpExport.ts` is imported only here, on demand).
 *
 * A bad value is a configuration error naming the variable (exit 2); the endpoint's is never echoed (it may carry
 * credentials). `OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT` is checked too when tracing is on (a bad one is not left to
 * the exporter's silent default).
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { quotedValue } from "@council/domain"

export class TracingConfigError extends Schema.TaggedError<TracingConfigError>()("TracingConfigError", {
  message: Schema.String
}) {}

const VARIABLE = "OTEL_EXPORTER_OTLP_ENDPOINT"

/** How long an export may take (`OtlpExport`), read only when tracing is on: milliseconds, a whole number ≥ 1. */
const TIMEOUT_VARIABLES = ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"]

const checkTimeout = (variable: string) =>
  Effect.flatMap(Config.option(Config.String(variable)).pipe(Effect.orElseSucceed(() => Option.none<string>())), (raw) =>
    Option.isNone(raw) || raw.value === "" || /^\s*0*[1-9]\d{0,8}\s*$/.test(raw.value)
      ? Effect.void
      : Effect.fail(new TracingConfigError({ message: `${variable}: expected a whole number of milliseconds, 1 or more, got ${quotedValue(raw.value)}` })))

/** The checked endpoint, or `None` when tracing is off. */
export const endpoint = Effect.gen(function*() {
  const raw = yield* Config.option(Config.String(VARIABLE)).pipe(Effect.orElseSucceed(() => Option.none<string>()))
  if (Option.isNone(raw) || raw.value === "") return Option.none<string>()
  const url = URL.parse(raw.value.trim())
  if (url === null || !/^https?:$/.test(url.protocol) || url.hostname === "" || url.search !== "" || url.hash !== "") {
    return yield* new TracingConfigError({ message: `${VARIABLE}: expected an OTLP/HTTP base URL, http(s)://host[:port][/path]` })
  }
  if (url.username !== "" || url.password !== "") {
    return yield* new TracingConfigError({ message: `${VARIABLE}: must not carry user:password@ (put credentials in OTEL_EXPORTER_OTLP_HEADERS)` })
  }
  yield* Effect.forEach(TIMEOUT_VARIABLES, checkTimeout)
  return Option.some(url.href.replace(/\/$/, ""))
})

/** The tracer for this process: the OTLP exporter when configured, else nothing at all. */
export const layer: Layer.Layer<never, TracingConfigError> = Layer.unwrap(
  Effect.flatMap(endpoint, Option.match({
    onNone: () => Effect.succeed(Layer.empty),
    onSome: (url) => Effect.map(Effect.promise(() => import("./OtlpExport.ts")), (otlp) => otlp.layer(url))
  }))
)

/**
 * The OTLP/HTTP span exporter (`@effect/opentelemetry` over the OpenTelemetry SDK): loaded by `Tracing` only when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Spans are batched and flushed when the layer closes (end of the command).
 *
 * **Gotchas**: the receiver is someone else's service, so it can neither fail nor hold a command. A flush that
 * fails (refused, a 4xx/5xx answer) rejects, and `@effect/opentelemetry` turns that rejection into a defect: a run
 * that completed would exit 1 with "internal error". Every export is bounded by the OTLP timeout (3 s here unless
 * `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`/`OTEL_EXPORTER_OTLP_TIMEOUT` say otherwise, where the spec's default is 10 s),
 * so a receiver that is down or never answers keeps the process at most that long; a failed flush is one line on
 * stderr, never an error: the exporter's reason (the receiver's own reason phrase for an error answer) flattened,
 * cut to 160 characters and made `printable` as the CLI's console does (this line is written past it).
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base"
import { codeVersion } from "./AppConfig.ts"
import { printable } from "./TerminalText.ts"
import { toStderr } from "./StderrLines.ts"

/** How long a command waits, at most, for its spans to reach the receiver. */
const DEFAULT_TIMEOUT_MS = 3_000

/** The timeout the OTLP variables set (the exporter reads them itself when present), else ours. */
const configuredTimeout = (env: NodeJS.ProcessEnv): { readonly ms: number; readonly fromEnv: boolean } => {
  const raw = env["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"] ?? env["OTEL_EXPORTER_OTLP_TIMEOUT"]
  const ms = raw === undefined ? Number.NaN : Number(raw)
  return Number.isFinite(ms) && ms > 0 ? { ms, fromEnv: true } : { ms: DEFAULT_TIMEOUT_MS, fromEnv: false }
}

/** `processor` whose flush and shutdown resolve whatever the receiver does, saying on stderr when spans were lost. */
const neverFailing = (processor: SpanProcessor): SpanProcessor => {
  let reported = false
  const settle = (what: Promise<void>) =>
    what.catch((error: unknown) => {
      if (reported) return
      reported = true
      const reason = error instanceof Error ? error.message : String(error)
      toStderr(`warning: tracing: spans not exported (${printable(reason.replace(/\s+/g, " ").slice(0, 160))})\n`)
    })
  return {
    onStart: (span, context) => processor.onStart(span, context),
    onEnd: (span) => processor.onEnd(span),
    forceFlush: () => settle(processor.forceFlush()),
    shutdown: () => settle(processor.shutdown())
  }
}

export const layer = (endpoint: string) => {
  const timeout = configuredTimeout(process.env)
  const exporter = new OTLPTraceExporter({ url: `${endpoint}/v1/traces`, ...(timeout.fromEnv ? {} : { timeoutMillis: timeout.ms }) })
  return NodeSdk.layer(() => ({
    resource: { serviceName: "council", serviceVersion: codeVersion },
    spanProcessor: neverFailing(new BatchSpanProcessor(exporter, { exportTimeoutMillis: timeout.ms })),
    shutdownTimeout: timeout.ms + 1_000
  }))
}

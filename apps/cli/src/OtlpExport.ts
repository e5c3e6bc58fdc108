/**
 * The OTLP/HTTP span exporter (`@effect/opentelemetry` over the OpenTelemetry SDK): loaded by `Tracing` only when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Spans are batched and flushed when the layer closes (end of the command).
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { codeVersion } from "./AppConfig.ts"

export const layer = (endpoint: string) =>
  NodeSdk.layer(() => ({
    resource: { serviceName: "council", serviceVersion: codeVersion },
    spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }))
  }))

/**
 * A local OTLP/HTTP receiver for tests: accepts `POST /v1/traces` with OTLP JSON (what the OTLP/HTTP exporter
 * sends) on 127.0.0.1 and keeps every span with its resource, scope and attributes flattened, and every body as
 * sent. `answer` makes it a broken receiver: `500` answers each export with an error, `{ status, reason, headers }`
 * with that status, reason phrase and headers (a redirect's `location`), `"never"` never answers.
 */
import type { IncomingHttpHeaders } from "node:http"
import { testServer } from "../../../packages/io/test/LocalServer.ts"

export interface ReceivedSpan {
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string
  readonly service: string
  readonly attributes: Readonly<Record<string, unknown>>
}

interface AnyValue {
  readonly stringValue?: string
  readonly intValue?: string | number
  readonly doubleValue?: number
  readonly boolValue?: boolean
}
interface KeyValue {
  readonly key: string
  readonly value: AnyValue
}
interface TracesRequest {
  readonly resourceSpans: ReadonlyArray<{
    readonly resource: { readonly attributes: ReadonlyArray<KeyValue> }
    readonly scopeSpans: ReadonlyArray<{
      readonly spans: ReadonlyArray<{ readonly name: string; readonly traceId: string; readonly spanId: string; readonly parentSpanId?: string; readonly attributes: ReadonlyArray<KeyValue> }>
    }>
  }>
}

const valueOf = (v: AnyValue): unknown => v.stringValue ?? (v.intValue === undefined ? undefined : Number(v.intValue)) ?? v.doubleValue ?? v.boolValue
const flatten = (kvs: ReadonlyArray<KeyValue>) => Object.fromEntries(kvs.map((kv) => [kv.key, valueOf(kv.value)]))

export interface Receiver {
  readonly url: string
  readonly spans: Array<ReceivedSpan>
  readonly requests: Array<string>
  /** Each request's body, as it came. */
  readonly bodies: Array<string>
  /** Each request's headers, as they came. */
  readonly headers: Array<IncomingHttpHeaders>
  readonly close: () => Promise<void>
}

export const startReceiver = (
  answer: "ok" | 500 | { readonly status: number; readonly reason: string; readonly headers?: Readonly<Record<string, string>> } | "never" = "ok"
) =>
  new Promise<Receiver>((resolve) => {
    const spans: Array<ReceivedSpan> = []
    const requests: Array<string> = []
    const bodies: Array<string> = []
    const headers: Array<IncomingHttpHeaders> = []
    const server = testServer((req, res) => {
      let body = ""
      req.setEncoding("utf8").on("data", (chunk: string) => (body += chunk)).on("end", () => {
        requests.push(`${req.method} ${req.url} ${req.headers["content-type"]}`)
        bodies.push(body)
        headers.push(req.headers)
        if (answer === "never") return
        if (answer === 500) return res.writeHead(500, { "content-type": "application/json" }).end("{}")
        if (typeof answer === "object") return res.writeHead(answer.status, answer.reason, { "content-type": "application/json", ...answer.headers }).end("{}")
        if (req.method === "POST" && req.url === "/v1/traces") {
          const data = JSON.parse(body) as TracesRequest
          for (const rs of data.resourceSpans) {
            const service = String(flatten(rs.resource.attributes)["service.name"])
            for (const ss of rs.scopeSpans) {
              for (const s of ss.spans) {
                spans.push({ name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? "", service, attributes: flatten(s.attributes) })
              }
            }
          }
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      const close = () => new Promise<void>((done) => {
        server.close(() => done())
        server.closeAllConnections()
      })
      resolve({ url: `http://127.0.0.1:${port}`, spans, requests, bodies, headers, close })
    })
  })

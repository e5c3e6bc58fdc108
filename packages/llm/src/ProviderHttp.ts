/**
 * The HTTP half both adapters share: POST a JSON body, map the answer to `effect/ai` response parts or an
 * `AiError`, and report the request to the current `WireLog`.
 *
 * **Gotchas**
 * - Headers carry the key; they go to the wire only, and only to the base URL's host (`toThirdParty`: a 3xx is an
 *   `InvalidRequest`). Everything reported or failed with is built from the status, the body (key scrubbed) and
 *   the messages, so no key reaches a log, an error or the store.
 * - A JSON answer wrapped in a Markdown code fence, or in prose around it, is unwrapped before it is decoded
 *   (`unfence`); the `WireLog` keeps the text as received.
 * - A 2xx whose body is not the provider's answer format (not JSON, no choices/content) is a `ServerError`,
 *   retried as sent: the model never wrote it, so it is not an answer to correct. A 2xx whose body is an error
 *   (`{"error": {…}}`) is that error (`statedStatus`): a rate limit is waited for, a quota is not retried, and
 *   neither is billed.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as AiError from "effect/ai/AiError"
import * as LanguageModel from "effect/ai/LanguageModel"
import type * as Response from "effect/ai/Response"
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { boundedText } from "@council/io/BoundedText"
import { toThirdParty } from "@council/io/ThirdPartyRequests"
import { type Message, scrub, scrubAnswer, type TokenUsage, type WireAttempt, WireLog } from "./Exchange.ts"
import type { ProviderId, ReasoningEffort } from "./Models.ts"
import { pageAnswer, reasonOf, statedStatus, unreadable } from "./ProviderErrors.ts"

/** What both adapters are built from. */
export interface AdapterOptions {
  /** Base URL; the adapter appends its endpoint path. */
  readonly baseUrl: string
  readonly apiKey: Redacted.Redacted
  readonly model: string
  readonly maxOutputTokens: number
  readonly reasoningEffort: ReasoningEffort | null
}

/** What an adapter reads out of a 2xx body. */
export interface WireAnswer {
  readonly id: string | undefined
  readonly model: string | undefined
  readonly text: string | null
  readonly finish: Response.FinishReason
  readonly rawFinish: string | null
  readonly usage: TokenUsage | null
  /** What the model said when it refused (OpenAI's `message.refusal`), if anything. */
  readonly refusal?: string
}

export interface WirePost {
  readonly provider: ProviderId
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  /** The key, scrubbed from anything reported. */
  readonly secret: string
  readonly body: unknown
  readonly messages: ReadonlyArray<Message>
  /** Reads a parsed 2xx body; a string is what was wrong with it. */
  readonly read: (json: unknown) => WireAnswer | string
}

const REDACTED_HEADERS: ReadonlyArray<string> = ["authorization", "x-api-key", "x-goog-api-key", "cookie", "set-cookie"]

const FENCED = /^\s*```[a-zA-Z]*\s*\n([\s\S]*?)\n?\s*```\s*$/
const FENCES = /```[a-zA-Z]*[ \t]*\n([\s\S]*?)\n?[ \t]*```/g

const isJsonObject = (text: string): boolean => {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === "object" && value !== null && !Array.isArray(value)
  } catch {
    return false
  }
}

/**
 * The JSON object an answer carries: the text itself when it is JSON; else the JSON inside a Markdown code fence
 * (the whole text, or the one fence holding a JSON object among prose: "Here is my pitch: ```json …``` Good
 * luck."); else the text from its first `{` to its last `}` when that alone is a JSON object. Anything else is
 * returned unchanged, for the schema to reject and the corrective turn to quote.
 */
export const unfence = (text: string): string => {
  const whole = FENCED.exec(text)?.[1]
  if (whole !== undefined) return whole
  if (isJsonObject(text)) return text
  const fenced = [...text.matchAll(FENCES)].map((m) => m[1] ?? "").filter(isJsonObject)
  if (fenced.length === 1) return fenced[0]!
  const first = text.indexOf("{")
  const last = text.lastIndexOf("}")
  const braced = first >= 0 && last > first ? text.slice(first, last + 1) : undefined
  return braced !== undefined && fenced.length === 0 && isJsonObject(braced) ? braced : text
}

const encodeUsage = (usage: TokenUsage | null): typeof Response.Usage.Encoded => ({
  inputTokens: usage === null ? {} : {
    total: usage.input,
    uncached: Math.max(0, usage.input - usage.cachedInput - usage.cacheWrite),
    cacheRead: usage.cachedInput,
    cacheWrite: usage.cacheWrite
  },
  outputTokens: usage === null ? {} : { total: usage.output, text: usage.output - usage.reasoning, reasoning: usage.reasoning }
})

const failWith = (provider: ProviderId, reason: AiError.AiErrorReason) =>
  Effect.fail(AiError.make({ module: provider, method: "generateText", reason }))

/**
 * Why a request failed below HTTP: the error's description, else its cause chain (`fetch failed: connect
 * ECONNREFUSED 127.0.0.1:9`, `other side closed`), so a wrong base URL or a dropped connection says which.
 */
const transportDetail = (error: HttpClientError.HttpClientError): string => {
  if (error.reason.description) return error.reason.description
  const messages: Array<string> = []
  let cause: unknown = "cause" in error.reason ? error.reason.cause : undefined
  for (let depth = 0; depth < 3 && cause instanceof Error; depth++) {
    if (cause.message !== "") messages.push(cause.message)
    cause = cause.cause
  }
  return messages.join(": ")
}

/** Failures of the connection itself (`cause.code`, as Node and undici set it): the request never went out. */
const CONNECT_FAILURES: ReadonlySet<string> = new Set(
  ("ECONNREFUSED ENOTFOUND EAI_AGAIN EHOSTUNREACH ENETUNREACH UND_ERR_CONNECT_TIMEOUT ERR_TLS_CERT_ALTNAME_INVALID " +
    "DEPTH_ZERO_SELF_SIGNED_CERT SELF_SIGNED_CERT_IN_CHAIN UNABLE_TO_VERIFY_LEAF_SIGNATURE CERT_HAS_EXPIRED").split(" ")
)

/** Whether a transport failure happened before the request was sent (so the provider cannot have billed it). */
const neverSent = (error: HttpClientError.HttpClientError): boolean => {
  let cause: unknown = "cause" in error.reason ? error.reason.cause : undefined
  for (let depth = 0; depth < 4 && typeof cause === "object" && cause !== null; depth++) {
    const code = (cause as { readonly code?: unknown }).code
    if (typeof code === "string" && CONNECT_FAILURES.has(code)) return true
    cause = (cause as { readonly cause?: unknown }).cause
  }
  return false
}

/** The most of an answer read: far beyond any output cap's answer (3,000 tokens are ~15 KB of JSON). */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024

/** What `post` reports of its request to the `WireLog` besides the status (absent fields are `null`, `sent` true). */
type WireFields = Partial<{
  text: string | null
  usage: TokenUsage | null
  finishReason: string | null
  error: string
  sent: boolean
  billable: boolean
}>

/** Reports the request to `log` (the current `WireLog`), timed from `started`. */
const reporter = (log: (attempt: WireAttempt) => void, request: WirePost, started: number) => (status: number | null, fields: WireFields) =>
  Clock.currentTimeMillis.pipe(Effect.map((now) =>
    log({
      status,
      latencyMs: now - started,
      text: fields.text ?? null,
      usage: fields.usage ?? null,
      finishReason: fields.finishReason ?? null,
      messages: request.messages,
      error: fields.error ?? null,
      sent: fields.sent ?? true,
      ...(fields.billable === false ? { billable: false } : {})
    })
  ))

type Report = ReturnType<typeof reporter>

/** Sends the request and reads its body (bounded); a transport failure is reported and fails as a `NetworkError`. */
const send = (http: HttpClient.HttpClient, request: WirePost, report: Report) => {
  const httpRequest = HttpClientRequest.post(request.url).pipe(
    HttpClientRequest.setHeaders(request.headers),
    HttpClientRequest.acceptJson,
    (r) => HttpClientRequest.bodyJsonUnsafe(r, request.body)
  )
  return http.execute(httpRequest).pipe(
    Effect.flatMap((res) => Effect.map(boundedText(res, MAX_ANSWER_BYTES), (text) => ({ status: res.status, headers: res.headers, text }))),
    Effect.catchTag("HttpClientError", (error) => {
      const detail = transportDetail(error)
      const description = scrub(`${request.provider}: ${error.reason._tag}${detail === "" ? "" : ` (${detail})`}`, request.secret)
      return report(null, { error: description, sent: !neverSent(error) }).pipe(Effect.andThen(failWith(
        request.provider,
        new AiError.NetworkError({ reason: "TransportError", method: "POST", url: request.url, description })
      )))
    }),
    Effect.provideService(Headers.CurrentRedactedNames, REDACTED_HEADERS),
    toThirdParty
  )
}

const parsedOrUndefined = (body: string): unknown => {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

/** The response parts of a read answer: its metadata, its text (unfenced) if any, how it finished. */
const partsOf = (answer: WireAnswer): Array<Response.PartEncoded> => {
  const parts: Array<Response.PartEncoded> = [
    {
      type: "response-metadata",
      ...(answer.id === undefined ? {} : { id: answer.id }),
      ...(answer.model === undefined ? {} : { modelId: answer.model })
    }
  ]
  const text = answer.text === null ? "" : unfence(answer.text)
  if (text !== "") parts.push({ type: "text", text })
  parts.push({ type: "finish", reason: answer.finish, usage: encodeUsage(answer.usage) })
  return parts
}

/** Sends one request; 2xx → parts, anything else → `AiError`. */
export const post = (http: HttpClient.HttpClient, request: WirePost) =>
  Effect.gen(function*() {
    const report = reporter(yield* WireLog, request, yield* Clock.currentTimeMillis)
    const response = yield* send(http, request, report)
    const ok = response.status >= 200 && response.status < 300
    const body = ok ? scrubAnswer(response.text, request.secret) : scrub(response.text, request.secret)
    if (!ok) {
      const now = yield* Clock.currentTimeMillis
      const reason = reasonOf(request.provider, { status: response.status, headers: response.headers, body }, request.secret, now)
      yield* report(response.status, { error: reason.message, text: reason._tag === "StructuredOutputError" ? reason.responseText : null })
      return yield* failWith(request.provider, reason)
    }
    const json = parsedOrUndefined(body)
    const answer = json === undefined ? "the body is not JSON" : request.read(json)
    const stated = typeof answer === "string" ? statedStatus(json) : undefined
    if (stated !== undefined) {
      // an error the provider said in a 2xx (a gateway's rate limit, an upstream failure): no answer was made, so
      // it is classified as that error and not billed
      const now = yield* Clock.currentTimeMillis
      const reason = reasonOf(request.provider, { status: response.status, headers: response.headers, body }, request.secret, now, stated)
      yield* report(response.status, { error: reason.message, billable: false })
      return yield* failWith(request.provider, reason)
    }
    if (typeof answer === "string") {
      // a broken response (cut short, a proxy's page), not the model's answer: asked again as it was, like a 5xx,
      // never "corrected" by quoting it back to the model as its own words
      // a page (a captive portal's, a proxy's) is said as its status and title, never its markup
      const description = scrub(
        pageAnswer(request.provider, response.status, scrub(response.text, request.secret)) ??
          `${request.provider} answered ${response.status} with an unreadable body: ${answer}`,
        request.secret
      )
      // not the model's answer but whatever sent it (a gateway's page): scrubbed as an error body, short pieces too
      yield* report(response.status, { error: description, text: scrub(response.text, request.secret).slice(0, 2000) })
      return yield* failWith(request.provider, unreadable(description, response.status))
    }
    // a refusal (or a content filter) says so: the answer has no text to show why it cannot be used
    const refused = answer.finish !== "content-filter"
      ? {}
      : { error: `${request.provider} refused to answer (${answer.refusal ?? answer.rawFinish ?? "content filter"})` }
    yield* report(response.status, { text: answer.text, usage: answer.usage, finishReason: answer.rawFinish, ...refused })
    return partsOf(answer)
  })

/** A number field of a JSON object, 0 when absent. */
export const count = (value: unknown, ...path: ReadonlyArray<string>): number => {
  let current: unknown = value
  for (const key of path) {
    current = typeof current === "object" && current !== null ? (current as Record<string, unknown>)[key] : undefined
  }
  return typeof current === "number" && Number.isFinite(current) ? current : 0
}

/** The prompt's messages as plain role/content pairs (text parts joined; other parts dropped). */
export const plainMessages = (
  prompt: { readonly content: ReadonlyArray<{ readonly role: string; readonly content: unknown }> }
): Array<Message> =>
  prompt.content.flatMap((message): Array<Message> => {
    const content = typeof message.content === "string"
      ? message.content
      : Array.isArray(message.content)
      ? message.content.flatMap((p: { readonly type?: string; readonly text?: string }) => (p.type === "text" && p.text !== undefined ? [p.text] : [])).join("")
      : ""
    return message.role === "system" || message.role === "user" || message.role === "assistant"
      ? [{ role: message.role, content }]
      : []
  })

export interface WireModel {
  readonly provider: ProviderId
  /** The full endpoint URL. */
  readonly url: string
  readonly apiKey: Redacted.Redacted
  /** The request headers, given the key. */
  readonly headers: (key: string) => Readonly<Record<string, string>>
  readonly codecTransformer: LanguageModel.CodecTransformer
  /** The request body for a prompt, and the messages as sent. */
  readonly request: (options: LanguageModel.ProviderOptions) => { readonly body: unknown; readonly messages: ReadonlyArray<Message> }
  readonly read: (json: unknown) => WireAnswer | string
}

/** A `LanguageModel` posting to one endpoint (no streaming). */
export const languageModel = (wire: WireModel) =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    return yield* LanguageModel.make({
      codecTransformer: wire.codecTransformer,
      generateText: (providerOptions) => {
        const { body, messages } = wire.request(providerOptions)
        const secret = Redacted.value(wire.apiKey)
        return post(http, { provider: wire.provider, url: wire.url, headers: wire.headers(secret), secret, body, messages, read: wire.read })
      },
      streamText: () =>
        Stream.fail(AiError.make({
          module: wire.provider,
          method: "streamText",
          reason: new AiError.InvalidRequestError({ description: "streaming is not implemented by this adapter" })
        }))
    })
  })

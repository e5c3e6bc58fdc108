/**
 * A fake LLM provider on 127.0.0.1 for tests and benchmarks, speaking both wire formats: OpenAI Chat Completions
 * (`POST …/chat/completions`) and Anthropic Messages (`POST …/v1/messages`).
 *
 * By default it answers every question validly, reading the JSON Schema it was sent (OpenAI `response_format`,
 * Anthropic `output_config.format`, or the schema a JSON-mode prompt carries) to build the answer: a pitch on
 * the first symbol of the enum, a ranking of the labels in order, a council decision. `respond` overrides any
 * request: return a reply (status, body, headers, delay) or `undefined` for the default.
 */
import type { IncomingHttpHeaders, ServerResponse } from "node:http"
import { testServer } from "../../io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"

export interface FakeRequest {
  readonly wire: "openai" | "anthropic"
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: Record<string, unknown>
  readonly model: string
  /** `pitch`, `review` or `chairman`, read from the schema sent. */
  readonly kind: "pitch" | "review" | "chairman" | "other"
  readonly schema: Record<string, unknown> | undefined
  /** Every message's text, system included, joined. */
  readonly text: string
  /** How many requests for this model came before this one. */
  readonly nth: number
}

export interface FakeReply {
  readonly status?: number
  /** A JSON value, or raw text. */
  readonly body: unknown
  readonly headers?: Readonly<Record<string, string>>
  readonly delayMs?: number
  /** Drop the connection instead of answering (after `delayMs`): the request was received, no answer comes. */
  readonly drop?: boolean
}

export interface FakeUsage {
  readonly input: number
  readonly cached: number
  readonly output: number
  readonly reasoning: number
}

export const defaultUsage: FakeUsage = { input: 1000, cached: 200, output: 100, reasoning: 40 }

export interface FakeProvider {
  readonly url: string
  readonly requests: Array<FakeRequest>
  readonly close: () => Promise<void>
}

const record = (u: unknown): Record<string, unknown> | undefined =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? u as Record<string, unknown> : undefined

const messagesText = (body: Record<string, unknown>): string => {
  const parts: Array<string> = []
  const system = body["system"]
  if (typeof system === "string") parts.push(system)
  if (Array.isArray(system)) for (const block of system) parts.push(String(record(block)?.["text"] ?? ""))
  for (const m of Array.isArray(body["messages"]) ? body["messages"] : []) {
    const content = record(m)?.["content"]
    parts.push(typeof content === "string" ? content : JSON.stringify(content))
  }
  return parts.join("\n")
}

const schemaOf = (wire: "openai" | "anthropic", body: Record<string, unknown>, text: string) => {
  if (wire === "anthropic") return record(record(record(body["output_config"])?.["format"])?.["schema"])
  const format = record(body["response_format"])
  if (format?.["type"] === "json_schema") return record(record(format["json_schema"])?.["schema"])
  const at = text.indexOf("JSON Schema:\n")
  if (at < 0) return undefined
  try {
    return record(JSON.parse(text.slice(at + "JSON Schema:\n".length).split("\n")[0] ?? ""))
  } catch {
    return undefined
  }
}

const kindOf = (schema: Record<string, unknown> | undefined): FakeRequest["kind"] => {
  const properties = record(schema?.["properties"]) ?? {}
  if ("ranking" in properties) return "review"
  if ("trades" in properties) return "chairman"
  if ("symbol" in properties) return "pitch"
  return "other"
}

const enumOf = (schema: Record<string, unknown> | undefined, ...path: ReadonlyArray<string>): ReadonlyArray<string> => {
  let node: unknown = schema
  for (const key of path) node = record(node)?.[key]
  const values = record(node)?.["enum"]
  return Array.isArray(values) ? values.map(String) : []
}

/** The environment that points every provider of the council at `fake`, with `keys` (its `*_API_KEY` variables). */
export const liveEnv = (fake: FakeProvider, keys: Readonly<Record<string, string>>): Record<string, string> => ({
  ...keys,
  OPENAI_BASE_URL: `${fake.url}/openai/v1`,
  GEMINI_BASE_URL: `${fake.url}/gemini/v1beta/openai`,
  GROQ_BASE_URL: `${fake.url}/groq/openai/v1`,
  DEEPSEEK_BASE_URL: `${fake.url}/deepseek`,
  ANTHROPIC_BASE_URL: fake.url
})

/** A valid answer to `request`'s schema. */
export const validAnswer = (request: FakeRequest): Record<string, unknown> => {
  switch (request.kind) {
    case "pitch":
      return {
        symbol: enumOf(request.schema, "properties", "symbol")[0],
        direction: "LONG",
        conviction: 1,
        thesis: ["Momentum and trend agree."],
        riskProfile: "BASE",
        horizon: "1W",
        invalidation: "A close below the 50-session average."
      }
    case "review":
      return { ranking: enumOf(request.schema, "properties", "ranking", "items"), rationale: "A is best argued." }
    case "chairman": {
      const symbol = enumOf(request.schema, "properties", "trades", "items", "properties", "symbol")[0]
      return {
        trades: [{ symbol, direction: "LONG", conviction: 1, riskProfile: "BASE", horizon: "1W" }],
        rationale: "Most PMs lean long.",
        dissent: [],
        monitoring: ["A close below the 20-session low."]
      }
    }
    case "other":
      return {}
  }
}

/** A 200 answer carrying `content` as the model's text, in `request`'s wire format. */
export const answerWith = (request: FakeRequest, content: string, usage: FakeUsage = defaultUsage): FakeReply =>
  request.wire === "openai"
    ? {
      body: {
        id: "chatcmpl-fake",
        object: "chat.completion",
        model: request.model,
        choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }],
        usage: {
          prompt_tokens: usage.input,
          completion_tokens: usage.output,
          total_tokens: usage.input + usage.output,
          prompt_tokens_details: { cached_tokens: usage.cached },
          completion_tokens_details: { reasoning_tokens: usage.reasoning }
        }
      }
    }
    : {
      body: {
        id: "msg_fake",
        type: "message",
        role: "assistant",
        model: request.model,
        content: [{ type: "text", text: content }],
        stop_reason: "end_turn",
        usage: {
          input_tokens: usage.input - usage.cached,
          cache_read_input_tokens: usage.cached,
          cache_creation_input_tokens: 0,
          output_tokens: usage.output
        }
      }
    }

/** An error in `request`'s wire format. */
export const errorWith = (
  request: FakeRequest,
  status: number,
  type: string,
  message: string,
  headers: Readonly<Record<string, string>> = {}
): FakeReply => ({
  status,
  headers,
  body: request.wire === "openai"
    ? { error: { message, type, code: type } }
    : { type: "error", error: { type, message } }
})

/**
 * The provider's own request validation the fake enforces: Anthropic refuses a message with empty content, except
 * a final assistant one (400 `invalid_request_error`, "messages.N: all messages must have non-empty content …"),
 * and an `output_config.effort` its `OutputConfig` does not name (`none`, `minimal`).
 */
const wireRuleBroken = (request: FakeRequest): FakeReply | undefined => {
  if (request.wire !== "anthropic") return undefined
  const effort = record(request.body["output_config"])?.["effort"]
  if (effort !== undefined && !["low", "medium", "high", "xhigh", "max"].includes(String(effort))) {
    return errorWith(request, 400, "invalid_request_error", "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'")
  }
  const messages = Array.isArray(request.body["messages"]) ? request.body["messages"] : []
  const empty = messages.findIndex((m, i) => {
    const message = record(m)
    const content = message?.["content"]
    const blank = typeof content === "string" ? content.trim() === "" : !Array.isArray(content) || content.length === 0
    return blank && !(i === messages.length - 1 && message?.["role"] === "assistant")
  })
  return empty < 0
    ? undefined
    : errorWith(request, 400, "invalid_request_error", `messages.${empty}: all messages must have non-empty content except for the optional final assistant message`)
}

const send = (res: ServerResponse, reply: FakeReply) => {
  if (reply.drop === true) return void res.socket?.destroy()
  const text = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body)
  res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers })
  res.end(text)
}

/** Starts the server; `respond` returns a reply or `undefined` for a valid answer. */
export const startFake = (respond: (request: FakeRequest) => FakeReply | undefined = () => undefined): Promise<FakeProvider> =>
  new Promise((resolve) => {
    const requests: Array<FakeRequest> = []
    const perModel = new Map<string, number>()
    const timers = new Set<NodeJS.Timeout>()
    const server = testServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        let body: Record<string, unknown> = {}
        try {
          body = record(JSON.parse(Buffer.concat(chunks).toString("utf8"))) ?? {}
        } catch {
          body = {}
        }
        const path = new URL(req.url ?? "/", "http://x").pathname
        const wire = path.endsWith("/v1/messages") ? "anthropic" : "openai"
        const text = messagesText(body)
        const schema = schemaOf(wire, body, text)
        const model = String(body["model"] ?? "")
        const nth = perModel.get(model) ?? 0
        perModel.set(model, nth + 1)
        const request: FakeRequest = { wire, path, headers: req.headers, body, model, kind: kindOf(schema), schema, text, nth }
        requests.push(request)
        const reply = wireRuleBroken(request) ?? respond(request) ?? answerWith(request, JSON.stringify(validAnswer(request)))
        if (reply.delayMs === undefined || reply.delayMs <= 0) return send(res, reply)
        const timer = setTimeout(() => {
          timers.delete(timer)
          if (!res.destroyed) send(res, reply)
        }, reply.delayMs)
        timers.add(timer)
      })
    })
    server.listen(0, "127.0.0.1", () => {
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests,
        close: () =>
          new Promise<void>((done) => {
            for (const t of timers) clearTimeout(t)
            server.closeAllConnections()
            server.close(() => done())
          })
      })
    })
  })

/** The fake provider for the test's scope. */
export const fakeProvider = (respond?: (request: FakeRequest) => FakeReply | undefined) =>
  Effect.acquireRelease(Effect.promise(() => startFake(respond)), (fake) => Effect.promise(fake.close))

/** Whether `condition` came to hold within `timeoutMs` (polled in real time, for tests on the TestClock). */
export const waitFor = (condition: () => boolean, timeoutMs: number) =>
  Effect.promise(() =>
    new Promise<boolean>((resolve) => {
      const started = Date.now()
      const poll = () => {
        if (condition()) return resolve(true)
        if (Date.now() - started > timeoutMs) return resolve(false)
        setTimeout(poll, 2)
      }
      poll()
    })
  )

/** Resolves once `condition` holds; dies after `timeoutMs`. */
export const until = (condition: () => boolean, timeoutMs = 5000) =>
  Effect.flatMap(waitFor(condition, timeoutMs), (held) => (held ? Effect.void : Effect.die(new Error("condition not met in time"))))

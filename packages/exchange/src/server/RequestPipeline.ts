/**
 * The exchange server's request pipeline, in order: body → rate limit (per key id) → injected fault →
 * authentication → route → session → handler → reply, held until the injected latency has passed. Every response
 * carries the rate-limit headers and an `X-Request-ID`.
 *
 * **Gotchas**
 * - The injected latency (`latencyMs`) is the time from a request's arrival (its body read) to its answer, as a
 *   remote broker's round trip would be: the request is handled at once and its answer (or a `dropped` fault's
 *   reset) leaves `latencyMs` after arrival, or when the handler is done if that is later. The work of concurrent
 *   requests therefore overlaps their wait, as at a broker that serves requests in parallel; were it done after
 *   the wait, the 30 orders of a run would all be handled at the same instant, one after another on this one
 *   thread, and the last answer would wait for the 29 before it.
 * - The fault is drawn in `listener`, synchronously in arrival order, so a seeded run is reproducible.
 * - A `dropped` fault runs the handler (the order reaches the ledger), then destroys the connection unanswered.
 * - The injected 429 is a momentary throttle: its reset is the next second, not the end of the window.
 * - Requests run with tracing off (the runtime of `run` is made so). The rate limit, injected faults, the reply and
 *   admission by a known key and session are plain synchronous code; the handler runs as a fiber (as do the first
 *   request of a key, which reads the ledger, and of a session, which asks the market data).
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import type * as Clock from "effect/Clock"
import type * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import { SESSION_HEADER } from "@council/broker"
import type { NewYorkMoment, TradingDay } from "@council/domain"
import type { MarketData } from "@council/market"
import { momentOfHeader } from "../ExchangeSession.ts"
import type { KeyHolder } from "../Keys.ts"
import type { ServerClock } from "./ServerClock.ts"
import { type FaultKind, type FaultPlan, type RateLimiter, rateLimitHeaders } from "./ExchangeFaults.ts"
import {
  brokerErrorReply,
  forbidden,
  header,
  internalError,
  notAuthorized,
  rateLimited,
  type Reply,
  tradingError,
  unavailable,
  unprocessable
} from "./HttpWire.ts"
import { type Call, type Handler, type Match, matchRoute, type Route, segmentsOf } from "./Routes.ts"

const MAX_BODY_BYTES = 1_048_576

/** The moment of the request being handled (`undefined` outside requests: the default moment applies). */
export const RequestSession = Context.Reference<NewYorkMoment | undefined>("@council/exchange/RequestSession", {
  defaultValue: () => undefined
})

/** Reads the body as text (`undefined` when larger than 1 MiB), then calls `then`; nothing if the request fails. */
const readBody = (req: IncomingMessage, then: (body: string | undefined) => void) => {
  const chunks: Array<Buffer> = []
  let size = 0
  req.on("data", (chunk: Buffer) => {
    size += chunk.length
    if (size <= MAX_BODY_BYTES) chunks.push(chunk)
  })
  req.on("end", () => then(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8")))
}

/** Runs `f` at `due` (a `performance.now()` time): now when it has passed. */
const at = (due: number, f: () => void) => {
  const wait = due - performance.now()
  if (wait <= 0) f()
  else setTimeout(f, wait)
}

/**
 * Answers with `reply` at `due` (the request's arrival plus the injected latency); `headers` (a fresh object of
 * this request's) receives the reply's own. The body is serialized now, so that at `due` only the write is left:
 * the answers of concurrent requests fall due together.
 */
const send = (res: ServerResponse, reply: Reply, headers: Record<string, string>, due: number) => {
  if (reply.headers !== undefined) Object.assign(headers, reply.headers)
  const text = reply.body === undefined ? undefined : JSON.stringify(reply.body)
  if (text !== undefined) {
    headers["Content-Type"] = "application/json; charset=utf-8"
    headers["Content-Length"] = String(Buffer.byteLength(text))
  }
  at(due, () => {
    if (res.headersSent || res.destroyed) return
    res.writeHead(reply.status, headers)
    res.end(text)
  })
}

/** The reply for an injected fault that answers (all but `dropped`). */
const faultReply = (fault: Exclude<FaultKind, "dropped">, nowMs: number): Reply => {
  switch (fault) {
    case "rate_limited":
      return {
        ...rateLimited,
        headers: { "X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": String(Math.floor(nowMs / 1000) + 1) }
      }
    case "server_error":
      return internalError
    case "unavailable":
      return unavailable
  }
}

export interface PipelineDeps {
  readonly routes: ReadonlyArray<Route>
  /** The handler whose requests a `dropped` fault may hit. */
  readonly droppable: Handler
  readonly latencyMs: number
  readonly faults: FaultPlan
  readonly limiter: RateLimiter
  readonly authenticate: (keyId: string, secret: string) => Effect.Effect<KeyHolder | undefined, unknown>
  /** `authenticate` for a key id seen before, without an effect; `null` when it has not been seen. */
  readonly authenticateCached: (keyId: string, secret: string) => KeyHolder | undefined | null
  /** A call of the account ended (it may have changed it): the trade-update feeds look (`TradeFeeds.touched`). */
  readonly touched: (account: KeyHolder["account"]) => void
  readonly defaultSession: Ref.Ref<NewYorkMoment>
  /** The moment of a request without a session header (`ServerClock`). */
  readonly now: ServerClock
  readonly market: MarketData["Service"]
  readonly clock: Clock.Clock
  /** Forks a request's handling (a `FiberSet` runtime, so the server's scope interrupts what is in flight). */
  readonly run: (effect: Effect.Effect<void>) => unknown
}

interface Admitted {
  readonly handler: Handler
  readonly call: Call
  /** Whether the call's moment came from its `X-Council-Session` header. */
  readonly headed: boolean
}

/** Whether the request may reach its handler: the call, or the reply refusing it. */
type Admission = Result.Result<Admitted, Reply>

const refused = (reply: Reply): Admission => Result.fail(reply)

/** An admission known now, or one that needs the ledger or the market data first. */
type Pending = Admission | Effect.Effect<Admission, unknown>

const pending = (value: Pending): Effect.Effect<Admission, unknown> => Result.isResult(value) ? Effect.succeed(value) : value

/** The server's `request` listener. */
export const makeListener = (deps: PipelineDeps) => {
  const { defaultSession, market } = deps
  /** Sessions the market data has confirmed (they stay sessions). */
  const sessions = new Set<string>()

  /**
   * The request's moment: its `X-Council-Session` header (`requested`: a session day, which stands for 15:45 of it,
   * or an RFC 3339 timestamp), or the server's now for the account (`ServerClock`); the market data is asked once per
   * day-only header.
   */
  const sessionOf = (
    requested: string | undefined,
    account: KeyHolder
  ): Result.Result<NewYorkMoment, Reply> | Effect.Effect<Result.Result<NewYorkMoment, Reply>> => {
    if (requested === undefined) {
      const now = deps.now.headerless(account.account)
      return Effect.isEffect(now) ? Effect.map(now, Result.succeed) : Result.succeed(now)
    }
    const moment = momentOfHeader(requested)
    if (moment === undefined) {
      return Result.fail(
        tradingError(400, 40010000, `invalid ${SESSION_HEADER} header "${requested}": expected YYYY-MM-DD or an RFC 3339 timestamp`)
      )
    }
    if (requested.length > 10 || sessions.has(requested)) return Result.succeed(moment)
    return Effect.map(Effect.result(market.ensureTradingDay(requested as TradingDay)), (known) => {
      if (Result.isFailure(known)) return Result.fail(unprocessable(`${SESSION_HEADER}: ${known.failure.message}`))
      sessions.add(requested)
      return Result.succeed(moment)
    })
  }

  interface Request {
    readonly match: Match
    readonly query: URLSearchParams
    readonly body: string | undefined
  }

  /** After authentication: the body, the route and the session, in that order. */
  const admitAccount = (req: IncomingMessage, request: Request, account: KeyHolder | undefined): Pending => {
    const { body, match } = request
    if (account === undefined) return refused(notAuthorized)
    if (body === undefined) return refused(tradingError(413, 41310000, "request body too large"))
    if (match._tag === "NotFound") return refused(tradingError(404, 40410000, "endpoint not found"))
    if (match._tag === "MethodNotAllowed") return refused(tradingError(405, 40510000, "method not allowed"))
    const admitted = (session: Result.Result<NewYorkMoment, Reply>): Admission =>
      Result.isFailure(session)
        ? refused(session.failure)
        : Result.succeed({
          handler: match.route.handler,
          call: { params: match.params, query: request.query, body, account, now: session.success },
          headed: requested !== undefined
        })
    const requested = match.route.admin === true ? undefined : header(req, SESSION_HEADER.toLowerCase())
    const session = match.route.admin === true ? Result.succeed(Ref.getUnsafe(defaultSession)) : sessionOf(requested, account)
    return Result.isResult(session) ? admitted(session) : Effect.map(session, admitted)
  }

  /**
   * Authentication, routing and the session: the call to hand to the route's handler, or the reply refusing it.
   * Known keys and sessions are answered without an effect; a new key reads the ledger, a new session the market.
   */
  const admit = (req: IncomingMessage, request: Request, keyId: string | undefined, secret: string | undefined): Pending => {
    if (keyId === undefined || secret === undefined) return refused(forbidden)
    const cached = deps.authenticateCached(keyId, secret)
    return cached === null
      ? Effect.flatMap(deps.authenticate(keyId, secret), (account) => pending(admitAccount(req, request, account)))
      : admitAccount(req, request, cached)
  }

  /** The admitted call's reply (a `BrokerError`'s), sent unless the fault drops the connection. */
  const answer = (
    req: IncomingMessage,
    res: ServerResponse,
    { call, handler, headed }: Admitted,
    fault: FaultKind | undefined,
    headers: Record<string, string>,
    due: number
  ) =>
    // suspended: a handler's plain code runs in the fiber, where a throw is a 500, not a crash of the server
    Effect.suspend(() => handler(call)).pipe(
      Effect.provideService(RequestSession, call.now),
      Effect.catchTag("BrokerError", (error) => Effect.succeed(brokerErrorReply(error))),
      Effect.map((reply) => {
        deps.touched(call.account.account)
        if (headed) deps.now.ran(call.now)
        return fault === "dropped" ? at(due, () => void req.socket.destroy()) : send(res, reply, headers, due)
      })
    )

  const failed = (res: ServerResponse, due: number) => (cause: Cause.Cause<unknown>) =>
    Effect.logError("exchange server: request failed", cause).pipe(Effect.andThen(Effect.sync(() => send(res, internalError, {}, due))))

  /**
   * Rate limit, injected faults and refusals known at once are decided at once; a handler runs as a fiber. Every
   * answer leaves at `due`.
   */
  const handle = (
    req: IncomingMessage,
    res: ServerResponse,
    request: Request,
    fault: FaultKind | undefined,
    due: number
  ) => {
    const keyId = header(req, "apca-api-key-id")
    const now = deps.clock.currentTimeMillisUnsafe()
    const limit = deps.limiter.hit(keyId ?? "", now)
    const headers = rateLimitHeaders(limit)
    headers["X-Request-ID"] = randomUUID()
    if (limit.exceeded) return send(res, rateLimited, headers, due)
    if (fault !== undefined && fault !== "dropped") return send(res, faultReply(fault, now), headers, due)
    const admission = admit(req, request, keyId, header(req, "apca-api-secret-key"))
    if (Result.isResult(admission)) {
      if (Result.isFailure(admission)) return send(res, admission.failure, headers, due)
      return deps.run(answer(req, res, admission.success, fault, headers, due).pipe(Effect.catchCause(failed(res, due))))
    }
    deps.run(Effect.flatMap(admission, (admitted) =>
      Result.isFailure(admitted)
        ? Effect.sync(() => send(res, admitted.failure, headers, due))
        : answer(req, res, admitted.success, fault, headers, due)
    ).pipe(Effect.catchCause(failed(res, due))))
  }

  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost")
    const segments = segmentsOf(url.pathname)
    const method = (req.method ?? "GET").toUpperCase()
    const match: Match = segments === undefined ? { _tag: "NotFound" } : matchRoute(deps.routes, method, segments)
    const admin = match._tag === "Found" && match.route.admin === true
    const canDrop = match._tag === "Found" && match.route.handler === deps.droppable
    // one draw per API request, in arrival order, so a seeded run is reproducible
    const fault = admin ? undefined : deps.faults.next(canDrop)
    readBody(req, (body) => handle(req, res, { match, query: url.searchParams, body }, fault, performance.now() + deps.latencyMs))
  }
}

/**
 * Notifications to a Slack incoming webhook, paced, retried and bounded so that Slack can never slow a run down for
 * long nor change its outcome.
 *
 * **When to use**: `layer({ webhookUrl })` for Slack alone; `NotifierConfig.layerConfig` combines it with the
 * console when `SLACK_WEBHOOK_URL` is set. `make` builds the service over the `HttpClient` in context.
 *
 * **Behaviour**
 * - Messages go out one at a time, in the order `notify` was called, from one worker fiber (a queue inside the
 *   layer). Two requests to the webhook are at least `minInterval` apart (Slack: one message per second), retries
 *   included.
 * - `notify` waits for its own message and then succeeds, or fails with `NotifierError` — never anything else:
 *   - `Rejected`: a final answer (400 `invalid_payload`/`no_text`, 403, 404, 410, any other 4xx, a 200 whose body
 *     is not `ok`). Not retried.
 *   - `RateLimited`: 429 whose `Retry-After` exceeds `maxRetryAfter`, or still 429 after `attempts`. Shorter
 *     `Retry-After`s are honoured exactly (no jitter, never earlier).
 *   - `Unavailable`: 5xx, network failures and requests without an answer within `requestTimeout`, after
 *     `attempts` tries spaced by a jittered exponential backoff (`retryBase` doubling, capped at `retryCap`); or
 *     the message was not delivered within `deadline` of the call; or the webhook is suspended (below).
 * - **Bounded**: `notify` returns within `deadline` (default 20 s) of its call whatever the network does.
 * - `post` queues a message and returns at once (a failure is logged as a warning); `flush(within)` waits for what
 *   was posted. With `batch` > 1, messages waiting in the queue go out together, one request carrying up to `batch`
 *   of them on their own lines: a burst of messages costs a few requests, not one per second each.
 * - **Suspension**: after an `Unavailable`/`RateLimited` failure, messages fail at once for `cooldown` (default
 *   5 minutes; for a 429, at least the `Retry-After`), so a dead Slack costs a run one `deadline`, not one per
 *   message. After 401/403/404/410 (revoked or deleted webhook) it stays suspended for the layer's lifetime.
 *
 * **Gotchas**
 * - The webhook URL never appears in a message, a log or a span: errors name `slack (<host>)`, bodies and transport
 *   errors are scrubbed, and the HTTP client's tracing is disabled for these requests (its spans carry URLs).
 * - Callers should log `NotifierError` as a warning and carry on; a failed notification is not a failed run.
 * - A message queued when the layer's scope closes is dropped (its caller is interrupted with the scope).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as HttpClientError from "effect/http/HttpClientError"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { boundedText } from "@council/io/BoundedText"
import type { Notification, NotifierShape } from "./Notifier.ts"
import { Notifier, NotifierError } from "./Notifier.ts"
import {
  type AttemptError,
  classify,
  isWebhookGone,
  parseWebhook,
  scrub,
  slackText,
  Transient,
  type Webhook
} from "./SlackWebhook.ts"

/** A configuration value that cannot be used; `message` names the variable and never echoes a secret. */
export class NotifierConfigError extends Schema.TaggedError<NotifierConfigError>()("NotifierConfigError", {
  variable: Schema.String,
  message: Schema.String
}) {}

export interface SlackOptions {
  readonly webhookUrl: Redacted.Redacted<string>
  /** Least time between two requests to the webhook. Default 1 second. */
  readonly minInterval?: Duration.Input
  /** Longest wait for one answer. Default 5 seconds. */
  readonly requestTimeout?: Duration.Input
  /** Tries per message, the first included. Default 3. */
  readonly attempts?: number
  /** First backoff after a transient failure; doubles, jittered ±20 %. Default 500 ms. */
  readonly retryBase?: Duration.Input
  /** Largest backoff. Default 4 seconds. */
  readonly retryCap?: Duration.Input
  /** Longest `Retry-After` honoured; a longer one fails the message as `RateLimited`. Default 30 seconds. */
  readonly maxRetryAfter?: Duration.Input
  /** `notify` returns within this long of its call. Default 20 seconds. */
  readonly deadline?: Duration.Input
  /** How long messages fail at once after the webhook proved unavailable. Default 5 minutes. */
  readonly cooldown?: Duration.Input
  /**
   * Most messages sent together in one request when several are waiting (one Slack message, the messages on their
   * own lines). Default 1: one request per message.
   */
  readonly batch?: number
}

const defaults = {
  minInterval: "1 second",
  requestTimeout: "5 seconds",
  attempts: 3,
  retryBase: "500 millis",
  retryCap: "4 seconds",
  maxRetryAfter: "30 seconds",
  deadline: "20 seconds",
  cooldown: "5 minutes"
} as const

/** The options with their defaults, durations in milliseconds. */
interface Settings {
  readonly label: string
  readonly minInterval: number
  readonly requestTimeout: number
  readonly attempts: number
  readonly retryBase: number
  readonly retryCap: number
  readonly maxRetryAfter: number
  readonly deadline: number
  readonly cooldown: number
}

const settingsOf = (options: SlackOptions, webhook: Webhook): Settings => {
  const millis = (key: Exclude<keyof typeof defaults, "attempts">) =>
    Duration.toMillis(Duration.fromInputUnsafe(options[key] ?? defaults[key]))
  return {
    label: `slack (${webhook.host})`,
    minInterval: millis("minInterval"),
    requestTimeout: millis("requestTimeout"),
    attempts: Math.max(1, Math.floor(options.attempts ?? defaults.attempts)),
    retryBase: millis("retryBase"),
    retryCap: millis("retryCap"),
    maxRetryAfter: millis("maxRetryAfter"),
    deadline: millis("deadline"),
    cooldown: millis("cooldown")
  }
}

/**
 * When to try a message again: transient failures after a jittered exponential backoff (capped), 429s after exactly
 * their `Retry-After` (unless longer than `maxRetryAfterMillis`), final answers never; at most `attempts` tries.
 */
export const deliveryRetry = (settings: Pick<Settings, "retryBase" | "retryCap" | "attempts" | "maxRetryAfter">) =>
  Schedule.exponential(settings.retryBase).pipe(
    Schedule.jittered,
    Schedule.setInputType<AttemptError>(),
    Schedule.modifyDelay(({ duration, input }) =>
      Effect.succeed(
        input._tag === "Throttled" ? Duration.millis(input.retryAfterMillis) : Duration.min(duration, Duration.millis(settings.retryCap))
      )
    ),
    Schedule.while(({ input }) =>
      input._tag === "Transient" || (input._tag === "Throttled" && input.retryAfterMillis <= settings.maxRetryAfter)
    ),
    Schedule.upTo({ times: settings.attempts - 1 })
  )

interface Job {
  readonly message: Notification
  readonly done: Deferred.Deferred<void, NotifierError>
  readonly deadlineAt: number
  /** Posted without waiting (`post`): its failure is logged, nobody awaits it. */
  readonly background: boolean
}

/** The Slack channel: `notify` waits for its message; `post` hands it over and returns; `flush` waits for the posted. */
export interface SlackChannel extends NotifierShape {
  /** Queues `message` and returns at once; a failure to deliver it is logged as a warning. */
  readonly post: (message: Notification) => Effect.Effect<void>
  /** Waits until every posted message was delivered or given up, at most `within`; then logs what was left. */
  readonly flush: (within: Duration.Input) => Effect.Effect<void>
}

interface Failure {
  readonly error: NotifierError
  /** What the last attempt ran into. */
  readonly last: AttemptError
}

interface Suspension {
  readonly until: number
  readonly reason: NotifierError["reason"]
  readonly detail: string
}

/** The most of a webhook's answer read (Slack answers `ok` or a short error code): a broken or hostile endpoint cannot grow the process. */
const ANSWER_BYTES = 1 << 20

const seconds = (millis: number): string => `${Number((millis / 1000).toFixed(1))} s`

const describe = (error: AttemptError): string =>
  error._tag === "Throttled"
    ? `rate limited (HTTP 429), Retry-After ${seconds(error.retryAfterMillis)}`
    : error._tag === "Transient"
    ? error.detail
    : `HTTP ${error.status} ${error.detail}`

/** What went wrong on the wire, without the request (it carries the URL) and scrubbed of the webhook's secrets. */
const transportDetail = (webhook: Webhook, error: HttpClientError.HttpClientError): string => {
  const reason = error.reason
  const cause = reason.cause instanceof Error ? reason.cause : undefined
  const nested = cause?.cause instanceof Error ? `: ${cause.cause.message}` : ""
  return scrub(webhook, `${reason._tag}: ${reason.description ?? (cause ? `${cause.message}${nested}` : "no detail")}`)
}

/** The error `notify` fails with after the last attempt (`tries` attempts were made). */
const finalError = (settings: Settings, error: AttemptError, tries: number): NotifierError => {
  const { label, maxRetryAfter } = settings
  const after = tries > 1 ? ` (after ${tries} attempts)` : ""
  switch (error._tag) {
    case "Refused":
      return new NotifierError({ reason: "Rejected", message: `${label}: HTTP ${error.status} ${error.detail} (not retried)` })
    case "Throttled":
      return new NotifierError({
        reason: "RateLimited",
        message: error.retryAfterMillis > maxRetryAfter
          ? `${label}: rate limited (HTTP 429), Retry-After ${seconds(error.retryAfterMillis)} is beyond the ${seconds(maxRetryAfter)} bound`
          : `${label}: still rate limited (HTTP 429)${after}`
      })
    case "Transient":
      return new NotifierError({ reason: "Unavailable", message: `${label}: ${error.detail}${after}` })
  }
}

/** How long the webhook stays suspended after `failure` at `now`: for good when it is gone, not at all for a bad message. */
const suspensionAfter = (settings: Settings, failure: Failure, now: number): Suspension | undefined => {
  const { error, last } = failure
  const detail = error.message.slice(settings.label.length + 2)
  if (last._tag === "Refused") {
    return isWebhookGone(last) ? { until: Number.POSITIVE_INFINITY, reason: error.reason, detail } : undefined
  }
  const retryAfter = last._tag === "Throttled" ? last.retryAfterMillis : 0
  return { until: now + Math.max(settings.cooldown, retryAfter), reason: error.reason, detail }
}

/**
 * Posting to the webhook: `deliver(messages, within)` sends them as one message, paced (`minInterval` between
 * requests), each attempt timed out, retried by `deliveryRetry`, all within `within` ms; its failure is the error
 * to report with the last attempt's outcome.
 */
const delivery = (settings: Settings, webhook: Webhook) =>
  Effect.gen(function*() {
    const { attempts, deadline, label, minInterval, requestTimeout } = settings
    const client = yield* HttpClient.HttpClient
    const lastRequestAt = yield* Ref.make<number | undefined>(undefined)
    const retry = deliveryRetry(settings)

    const pace = Effect.gen(function*() {
      const last = yield* Ref.get(lastRequestAt)
      const wait = last === undefined ? 0 : last + minInterval - (yield* Clock.currentTimeMillis)
      if (wait > 0) yield* Effect.sleep(wait)
      yield* Ref.set(lastRequestAt, yield* Clock.currentTimeMillis)
    })

    /** One request, after the pacing wait; the timeout covers the request and its body, not the wait. */
    const attempt = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<void, AttemptError> =>
      Effect.andThen(
        pace,
        client.execute(request).pipe(
          Effect.flatMap((response) =>
            Effect.map(boundedText(response, ANSWER_BYTES), (body) => ({ status: response.status, body, retryAfter: response.headers["retry-after"] }))
          ),
          Effect.catchTag("HttpClientError", (error) => Effect.fail(new Transient({ detail: transportDetail(webhook, error) }))),
          Effect.timeoutOrElse({
            duration: requestTimeout,
            orElse: () => Effect.fail(new Transient({ detail: `no answer within ${seconds(requestTimeout)}` }))
          }),
          Effect.flatMap((answer) => {
            const failure = classify(webhook, answer)
            return failure === undefined ? Effect.void : Effect.fail(failure)
          }),
          Effect.provideService(HttpClient.TracerDisabledWhen, () => true)
        )
      )

    const deliver = (messages: ReadonlyArray<Notification>, within: number): Effect.Effect<void, Failure> => {
      const request = HttpClientRequest.post(Redacted.value(webhook.url)).pipe(
        HttpClientRequest.bodyJsonUnsafe({ text: messages.map(slackText).join("\n") })
      )
      return Effect.gen(function*() {
        const tries = yield* Ref.make(0)
        yield* attempt(request).pipe(
          Effect.ensuring(Ref.update(tries, (n) => n + 1)),
          Effect.tapError((error) =>
            error._tag === "Refused"
              ? Effect.void
              : Effect.flatMap(Ref.get(tries), (n) => Effect.logWarning(`${label}: ${describe(error)} (attempt ${n} of ${attempts})`))
          ),
          Effect.retry(retry),
          Effect.catch((last) => Effect.flatMap(Ref.get(tries), (n) => Effect.fail({ error: finalError(settings, last, n), last })))
        )
      }).pipe(
        Effect.timeoutOrElse({
          duration: Math.max(0, within),
          orElse: () => {
            const last = new Transient({ detail: `not delivered within ${seconds(deadline)} of the call` })
            return Effect.fail({ error: finalError(settings, last, 1), last })
          }
        })
      )
    }

    return deliver
  })

/** What `deliver` of `delivery` is: `messages` sent as one request within `within` ms, or why not. */
type Deliver = Effect.Success<ReturnType<typeof delivery>>

/**
 * The queue of jobs and its worker, which lives as long as the surrounding scope: it takes up to `batch` jobs a
 * request, in the order queued, drops those past their deadline or queued while the webhook is suspended, and
 * settles each with its request's outcome (a posted one that failed is warned about); a failure that calls for it
 * suspends the webhook (`suspensionAfter`). `posted` holds the posted jobs not settled yet (`flush` waits for them).
 */
const startWorker = Effect.fnUntraced(function*(
  settings: Settings,
  deliver: Deliver,
  posted: Set<Deferred.Deferred<void, NotifierError>>,
  batch: number
) {
  const { deadline, label } = settings
  const suspension = yield* Ref.make<Suspension | undefined>(undefined)
  const queue = yield* Queue.unbounded<Job>()

  /** Settles `job`; a posted one that failed is warned about first (a flush that sees it settled may end the process). */
  const settle = (job: Job, result: Exit.Exit<void, NotifierError>, warn = true) =>
    Effect.gen(function*() {
      if (warn && job.background && Exit.isFailure(result)) {
        const error = result.cause.reasons.find((r) => r._tag === "Fail")
        yield* Effect.logWarning(`notification not sent: ${error?._tag === "Fail" ? error.error.message : label}`)
      }
      yield* Deferred.done(job.done, result)
      posted.delete(job.done)
    })

  /**
   * The jobs of one failed request: one warning for the posted ones among them, then each fails with `error` (the
   * warning first: a flush that sees them settled may end the process).
   */
  const settleFailed = (jobs: ReadonlyArray<Job>, error: NotifierError) =>
    Effect.gen(function*() {
      const background = jobs.filter((job) => job.background).length
      if (background > 0) yield* Effect.logWarning(`${background === 1 ? "notification" : `${background} notifications`} not sent: ${error.message}`)
      yield* Effect.forEach(jobs, (job) => settle(job, Exit.fail(error), false), { discard: true })
    })

  /** The jobs still worth sending; the others are settled (failed) on the spot. */
  const sendable = (jobs: ReadonlyArray<Job>) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const current = yield* Ref.get(suspension)
      const out: Array<Job> = []
      for (const job of jobs) {
        if (current !== undefined && now < current.until) {
          yield* settle(job, Exit.fail(new NotifierError({ reason: current.reason, message: `${label}: not sent, suspended after: ${current.detail}` })))
        } else if (job.deadlineAt <= now) {
          yield* settle(job, Exit.fail(new NotifierError({ reason: "Unavailable", message: `${label}: not sent within ${seconds(deadline)} of the call (queue backlog)` })))
        } else out.push(job)
      }
      return { jobs: out, now }
    })

  /** One request for `batch` jobs (in the order they were queued); each gets the request's outcome. */
  const process = (batch: ReadonlyArray<Job>) =>
    Effect.gen(function*() {
      const { jobs, now } = yield* sendable(batch)
      if (jobs.length === 0) return
      const within = Math.min(...jobs.map((j) => j.deadlineAt)) - now
      const exit = yield* Effect.exit(deliver(jobs.map((j) => j.message), within))
      if (Exit.isSuccess(exit)) return yield* Effect.forEach(jobs, (job) => settle(job, Exit.void), { discard: true })
      const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
      if (failure === undefined || failure._tag !== "Fail") {
        return yield* settleFailed(jobs, new NotifierError({ reason: "Unavailable", message: `${label}: unexpected failure` }))
      }
      const suspended = suspensionAfter(settings, failure.error, yield* Clock.currentTimeMillis)
      if (suspended !== undefined) yield* Ref.set(suspension, suspended)
      yield* settleFailed(jobs, failure.error.error)
    })

  const worker = Queue.takeBetween(queue, 1, batch).pipe(Effect.flatMap(process), Effect.forever)
  yield* Effect.forkScoped(worker)
  return queue
})

/** The Slack notifier over the `HttpClient` in context; its worker lives as long as the surrounding scope. */
export const make = Effect.fnUntraced(function*(options: SlackOptions): Effect.fn.Return<
  SlackChannel,
  NotifierConfigError,
  HttpClient.HttpClient | Scope.Scope
> {
  const webhook = yield* Result.match(parseWebhook(options.webhookUrl), {
    onFailure: (message) => Effect.fail(new NotifierConfigError({ variable: "SLACK_WEBHOOK_URL", message })),
    onSuccess: Effect.succeed
  })
  const settings = settingsOf(options, webhook)
  const { deadline, label } = settings
  const deliver = yield* delivery(settings, webhook)
  const posted = new Set<Deferred.Deferred<void, NotifierError>>()
  const queue = yield* startWorker(settings, deliver, posted, Math.max(1, Math.floor(options.batch ?? 1)))

  const enqueue = (message: Notification, background: boolean) =>
    Effect.gen(function*() {
      const done = yield* Deferred.make<void, NotifierError>()
      if (background) posted.add(done)
      yield* Queue.offer(queue, { message, done, deadlineAt: (yield* Clock.currentTimeMillis) + deadline, background })
      return done
    })

  const post = (message: Notification): Effect.Effect<void> => Effect.asVoid(enqueue(message, true))

  const flush = (within: Duration.Input): Effect.Effect<void> =>
    Effect.suspend(() => {
      const waiting = [...posted]
      return Effect.forEach(waiting, (done) => Effect.ignore(Deferred.await(done)), { discard: true }).pipe(
        Effect.timeoutOrElse({
          duration: within,
          orElse: () => Effect.logWarning(`${label}: ${posted.size} notification${posted.size === 1 ? "" : "s"} not delivered within ${Duration.format(Duration.fromInputUnsafe(within))}; dropped`)
        })
      )
    })

  const notify = (message: Notification): Effect.Effect<void, NotifierError> =>
    Effect.gen(function*() {
      const done = yield* enqueue(message, false)
      return yield* Deferred.await(done).pipe(
        Effect.timeoutOrElse({
          duration: deadline + 1000,
          orElse: () => Effect.fail(new NotifierError({ reason: "Unavailable", message: `${label}: not delivered within ${seconds(deadline)}` }))
        })
      )
    })

  return { notify, post, flush }
})

/** Slack alone, over `fetch`. */
export const layer = (options: SlackOptions): Layer.Layer<Notifier, NotifierConfigError> =>
  Layer.effect(Notifier, Effect.map(make(options), Notifier.of)).pipe(Layer.provide(FetchHttpClient.layer))

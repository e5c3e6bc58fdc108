import { earlyClosing, testServer } from "../../io/test/LocalServer.ts"
import type { AddressInfo } from "node:net"
import { Clock, Effect, Exit, Fiber, Redacted } from "effect"
import type { Duration } from "effect"
import { FetchHttpClient, HttpClient } from "effect/http"
import { TestClock } from "effect/testing"
import { SlackNotifier } from "@council/notify"

/** The secret part of the test webhook: no output of the notifier may contain it. */
export const SECRET_PATH = "/services/T0TESTTEAM/B0TESTHOOK/XsEcReTwEbHoOkToKeN42"

export type Reply = { readonly status: number; readonly body: string; readonly headers?: Readonly<Record<string, string>> } | "hang"

export interface Received {
  readonly path: string
  readonly contentType: string | undefined
  readonly body: string
  /** `now()` when the request had been read (timing assertions use the client's send times). */
  readonly at: number
}

export interface SlackStandIn {
  readonly webhookUrl: Redacted.Redacted<string>
  readonly origin: string
  readonly received: Array<Received>
  /** How many received requests were left hanging. */
  readonly hanging: () => number
}

export const ok: Reply = { status: 200, body: "ok" }

/**
 * A real HTTP server on 127.0.0.1 answering like a Slack incoming webhook, for the test's scope: `script` replies are
 * used in order, then `fallback` (200 `ok`). `"hang"` reads the request and never answers.
 */
export const slackStandIn = (options: {
  readonly now: () => number
  readonly script?: ReadonlyArray<Reply>
  readonly fallback?: Reply
}) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly server: ReturnType<typeof testServer>; readonly standIn: SlackStandIn }>((resume) => {
      const received: Array<Received> = []
      let hanging = 0
      const script = [...(options.script ?? [])]
      const server = testServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          received.push({
            path: req.url ?? "",
            contentType: req.headers["content-type"],
            body: Buffer.concat(chunks).toString("utf8"),
            at: options.now()
          })
          const reply = script.shift() ?? options.fallback ?? ok
          if (reply === "hang") {
            hanging++
            return
          }
          res.writeHead(reply.status, { "content-type": "text/plain", ...reply.headers })
          res.end(reply.body)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
        resume(Effect.succeed({ server, standIn: { webhookUrl: Redacted.make(`${origin}${SECRET_PATH}`), origin, received, hanging: () => hanging } }))
      })
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ standIn }) => standIn))

/** A real pause, to let sockets make progress while the test clock stands still. */
export const realPause = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/**
 * A stand-in, and a Slack notifier over `fetch` talking to it. `settled()` is true when no request is on its way
 * (every request the client started has its answer, or is hanging at the stand-in): only then may a test move the
 * clock without cutting a request short that the real network has not delivered yet.
 */
export const setup = Effect.fnUntraced(function*(
  options: Omit<SlackNotifier.SlackOptions, "webhookUrl"> & {
    readonly script?: ReadonlyArray<Reply>
    readonly fallback?: Reply
    readonly webhookUrl?: Redacted.Redacted<string>
    /** Sends the notifier's requests through an `earlyClosing` proxy. */
    readonly proxied?: boolean
  } = {}
) {
  const clock = yield* Clock.Clock
  const { fallback, script, webhookUrl, proxied, ...slack } = options
  const standIn = yield* slackStandIn({
    now: () => clock.currentTimeMillisUnsafe(),
    ...(script === undefined ? {} : { script }),
    ...(fallback === undefined ? {} : { fallback })
  })
  const proxy = proxied === true
    ? yield* Effect.acquireRelease(
      Effect.promise(() => earlyClosing(standIn.origin)),
      (p) => Effect.promise(p.close)
    )
    : undefined
  const counts = { started: 0, finished: 0 }
  /** The test clock's time when each request left the client. */
  const sentAt: Array<number> = []
  const client = (yield* HttpClient.HttpClient.pipe(Effect.provide(FetchHttpClient.layer))).pipe(
    HttpClient.transform((effect) =>
      Effect.suspend(() => {
        counts.started++
        sentAt.push(clock.currentTimeMillisUnsafe())
        return Effect.ensuring(effect, Effect.sync(() => counts.finished++))
      })
    )
  )
  const viaProxy = proxy === undefined ? undefined : Redacted.make(`${proxy.url}${SECRET_PATH}`)
  const notifier = yield* SlackNotifier.make({ webhookUrl: webhookUrl ?? viaProxy ?? standIn.webhookUrl, ...slack }).pipe(
    Effect.provideService(HttpClient.HttpClient, client)
  )
  const settled = () => {
    const inFlight = counts.started - counts.finished
    return inFlight === 0 || (inFlight <= standIn.hanging() && standIn.received.length === counts.started)
  }
  /** Time between consecutive requests, as sent. */
  const gaps = () => sentAt.slice(1).map((t, i) => t - sentAt[i]!)
  return { notifier, standIn, settled, gaps, proxy }
})

/**
 * Runs `effect` to its end, moving the test clock by `step` whenever `settled()` says nothing is in flight.
 * Returns the exit and the test-clock time it took.
 */
export const drive = <A, E>(
  effect: Effect.Effect<A, E>,
  settled: () => boolean,
  step: Duration.Input = "100 millis"
) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const fiber = yield* effect.pipe(Effect.forkChild({ startImmediately: true }))
    for (let i = 0; i < 4000 && fiber.pollUnsafe() === undefined; i++) {
      yield* realPause(1)
      if (settled()) yield* TestClock.adjust(step)
    }
    const exit = yield* Effect.exit(Fiber.join(fiber))
    return { exit, elapsed: (yield* Clock.currentTimeMillis) - start }
  })

/** The failure of an exit, or a thrown assertion when it succeeded. */
export const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure, got a success")
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (reason === undefined || reason._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return reason.error
}

/** A webhook URL on a port nothing listens on. */
export const closedWebhookUrl = Effect.callback<Redacted.Redacted<string>>((resume) => {
  const server = testServer()
  server.listen(0, "127.0.0.1", () => {
    const port = (server.address() as AddressInfo).port
    server.close(() => resume(Effect.succeed(Redacted.make(`http://127.0.0.1:${port}${SECRET_PATH}`))))
  })
})

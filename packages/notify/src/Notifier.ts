/**
 * Operator notifications: one short message per event worth a human's attention (a failed account, a rejected
 * order, a run summary).
 *
 * **When to use**: stages and the CLI call `notify`; which channel receives it is a layer choice.
 * `layerConsole` writes one line per message to stderr through effect's `Console` (so `TestConsole` captures
 * it), `layerConsoleWith({ colour: true })` the same in colour (see `ConsoleColour`); `layerTest` keeps the
 * messages in a `Ref` exposed as `SentNotifications`. Slack is `SlackNotifier`; `NotifierConfig.layerConfig`
 * picks console or console + Slack from the environment. `RunMessages` formats what a run sends.
 *
 * **Gotchas**
 * - A notification must never fail the trading run: `notify` fails only with `NotifierError` (never a defect
 *   from a channel's transport), and callers log it as a warning and carry on (`Effect.catchTag("NotifierError",
 *   …)`). Its `message` never contains a secret (the Slack layer names the webhook's host at most).
 * - `formatLine` flattens multi-line bodies to one line (`" | "` between lines).
 * - `fanOut` tries every channel even when one fails, in order, and fails with the first channel's error.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { AccountId } from "@council/domain"
import { paint } from "./ConsoleColour.ts"

export const NotificationLevel = Schema.Literals(["INFO", "WARN", "ERROR"])
export type NotificationLevel = typeof NotificationLevel.Type

export const Notification = Schema.Struct({
  level: NotificationLevel,
  /** The account the message is about, if any; shown first. */
  account: Schema.optionalKey(AccountId),
  subject: Schema.String,
  body: Schema.String
})
export type Notification = typeof Notification.Type

export class NotifierError extends Schema.TaggedError<NotifierError>()("NotifierError", {
  reason: Schema.Literals(["Unavailable", "Rejected", "RateLimited"]),
  message: Schema.String
}) {}

const oneLine = (text: string): string =>
  text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0).join(" | ")

/** `[CHATGPT] WARN Order rejected — insufficient buying power` (the account part only when present). */
export const formatLine = (message: Notification): string => {
  const body = oneLine(message.body)
  return `${message.account === undefined ? "" : `[${message.account}] `}${message.level} ${oneLine(message.subject)}${
    body.length === 0 ? "" : ` — ${body}`
  }`
}

/** What `Notifier.layerTest` has been asked to send, oldest first. */
export class SentNotifications extends Context.Service<SentNotifications, {
  readonly messages: Ref.Ref<ReadonlyArray<Notification>>
}>()("@council/notify/SentNotifications") {
  static readonly layer: Layer.Layer<SentNotifications> = Layer.effect(
    SentNotifications,
    Effect.map(Ref.make<ReadonlyArray<Notification>>([]), (messages) => SentNotifications.of({ messages }))
  )
}

export interface NotifierShape {
  readonly notify: (message: Notification) => Effect.Effect<void, NotifierError>
  /**
   * Waits, at most `within`, for messages still on their way (Slack's background queue); absent where `notify`
   * delivers before it returns. Never fails.
   */
  readonly flush?: (within: Duration.Input) => Effect.Effect<void>
}

/** How long a run waits, when it ends, for messages still on their way. */
export const FLUSH_WITHIN = "10 seconds"

/** Waits for `notifier`'s messages still on their way (see `NotifierShape.flush`). */
export const flushed = (notifier: NotifierShape, within: Duration.Input): Effect.Effect<void> =>
  notifier.flush === undefined ? Effect.void : notifier.flush(within)

/** Sends every message to each of `notifiers` in turn; fails with the first failure after trying them all. */
export const fanOut = (notifiers: ReadonlyArray<NotifierShape>): NotifierShape => ({
  notify: (message) =>
    Effect.forEach(notifiers, (notifier) => Effect.result(notifier.notify(message))).pipe(
      Effect.flatMap((results) => {
        const failed = results.find(Result.isFailure)
        return failed === undefined ? Effect.void : Effect.fail(failed.failure)
      })
    ),
  flush: (within) => Effect.forEach(notifiers, (notifier) => flushed(notifier, within), { discard: true, concurrency: "unbounded" })
})

/** One line per message on stderr via `Console.error`, coloured when `colour` is true. */
export const consoleNotifier = (options: { readonly colour: boolean }): NotifierShape => ({
  notify: (message) => {
    const line = formatLine(message)
    return Console.error(options.colour ? paint(message.level, line) : line)
  }
})

export class Notifier extends Context.Service<Notifier, NotifierShape>()("@council/notify/Notifier") {
  /** One line per message on stderr, via `Console.error`, in colour when `colour` is true. */
  static readonly layerConsoleWith = (options: { readonly colour: boolean }): Layer.Layer<Notifier> =>
    Layer.succeed(Notifier, Notifier.of(consoleNotifier(options)))

  /** One plain line per message on stderr, via `Console.error`. */
  static readonly layerConsole: Layer.Layer<Notifier> = Notifier.layerConsoleWith({ colour: false })

  /** Collects messages in `SentNotifications` (also provided). Fresh per use, so tests do not share messages. */
  static readonly layerTest: Layer.Layer<Notifier | SentNotifications> = Layer.fresh(
    Layer.effect(
      Notifier,
      Effect.gen(function*() {
        const { messages } = yield* SentNotifications
        return Notifier.of({ notify: (message) => Ref.update(messages, (all) => [...all, message]) })
      })
    ).pipe(Layer.provideMerge(SentNotifications.layer))
  )
}

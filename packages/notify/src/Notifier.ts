/**
 * Operator notifications: one short message per event worth a human's attention (a failed account, a rejected
 * order, a run summary).
 *
 * **When to use**: stages and the CLI call `notify`; which channel receives it is a layer choice.
 * `layerConsole` writes one line per message to stderr through effect's `Console` (so `TestConsole` captures
 * it); `layerTest` keeps the messages in a `Ref` exposed as `SentNotifications`. A Slack layer comes later.
 *
 * **Gotchas**
 * - A notification must never fail the trading run: callers should treat `NotifierError` as a warning.
 * - `formatLine` flattens multi-line bodies to one line (`" | "` between lines).
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import { AccountId } from "@council/domain"

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

export class Notifier extends Context.Service<Notifier, {
  readonly notify: (message: Notification) => Effect.Effect<void, NotifierError>
}>()("@council/notify/Notifier") {
  /** One line per message on stderr, via `Console.error`. */
  static readonly layerConsole: Layer.Layer<Notifier> = Layer.succeed(
    Notifier,
    Notifier.of({ notify: (message) => Console.error(formatLine(message)) })
  )

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

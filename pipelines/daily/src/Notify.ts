/**
 * How stages tell the operator what happened: through the `Notifier`, wrapped in the recorder, so a replay answers
 * from the recording and never sends a message again. A notifier that fails is logged as a warning and never
 * changes the stage's outcome.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { Recorder } from "@council/engine"
import { type Notification, Notifier, NotifierError } from "@council/notify/Notifier"

export const notify = (message: Notification) =>
  Effect.flatMap(Notifier, (notifier) =>
    Recorder.call(
      "notifier.notify",
      { account: message.account ?? null, level: message.level, subject: message.subject },
      { success: Schema.Void, failure: NotifierError },
      notifier.notify(message)
    )).pipe(Effect.catchTag("NotifierError", (error) => Effect.logWarning(`notification failed: ${error.message}`)))

/** Every message of `messages`, in order. */
export const notifyAll = (messages: ReadonlyArray<Notification>) => Effect.forEach(messages, notify, { discard: true })

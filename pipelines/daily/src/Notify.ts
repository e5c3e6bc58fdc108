/**
 * How stages tell the operator what happened: through the `Notifier`, wrapped in the recorder, so a replay answers
 * from the recording and never sends a message again. A notifier that fails is logged as a warning and never
 * changes the stage's outcome.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { Recorder } from "@council/engine"
import { type Notification, Notifier, NotifierError } from "@council/notify/Notifier"

const identity = (message: Notification) => message

/**
 * Sends `message` (dressed by `present`, e.g. a LIVE account's subject marked) and records the call by the
 * undressed message's account, level and subject: the recording's key stays what runs recorded before the dressing
 * existed, so their exact replays still answer from it.
 */
export const notify = (message: Notification, present: (message: Notification) => Notification = identity) =>
  Effect.flatMap(Notifier, (notifier) =>
    Recorder.call(
      "notifier.notify",
      { account: message.account ?? null, level: message.level, subject: message.subject },
      { success: Schema.Void, failure: NotifierError },
      notifier.notify(present(message))
    )).pipe(Effect.catchTag("NotifierError", (error) => Effect.logWarning(`notification failed: ${error.message}`)))

/** Every message of `messages`, in order, each dressed by `present` as `notify` does. */
export const notifyAll = (messages: ReadonlyArray<Notification>, present: (message: Notification) => Notification = identity) =>
  Effect.forEach(messages, (message) => notify(message, present), { discard: true })

/**
 * A message dressed for `notify`: its subject led by `LIVE ·` when its account is one of `accounts` whose mode is
 * LIVE (real money; the only mode the LIVE guard lets reach a live host or use a live key), so on a phone a real
 * account's decision or order never reads as a paper one. Only what is sent is marked: the recorded call keeps the
 * plain subject.
 */
export const liveTold = (accounts: ReadonlyArray<{ readonly id: string; readonly mode: string }>) => (message: Notification): Notification =>
  accounts.some((a) => a.id === message.account && a.mode === "LIVE") ? { ...message, subject: `LIVE · ${message.subject}` } : message

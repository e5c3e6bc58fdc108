/**
 * Who hears of a close-all pressed over the API (`POST /api/close-all`: the dashboard's button, a script): the
 * composition root provides the notifier's (Slack, with the console), so the panic button is never pressed unheard
 * by the people who watch the accounts; without it, the server's own log line alone. What it is told is each
 * account's outcome as the endpoint answers it.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { ClosedAccount } from "@council/api"

export class CloseAllNotice extends Context.Service<CloseAllNotice, {
  /** Tells what a close-all did, per account; never fails (a notifier that cannot deliver says so in the log). */
  readonly tell: (accounts: ReadonlyArray<ClosedAccount>) => Effect.Effect<void>
}>()("@council/server/CloseAllNotice") {}

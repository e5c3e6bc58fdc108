/**
 * The notifier a run uses, chosen from the environment once, at the composition root.
 *
 * **When to use**: the CLI provides `layerConfig`. It reads `SLACK_WEBHOOK_URL` (a `Redacted` secret), `NO_COLOR`,
 * `FORCE_COLOR` and `TERM` through effect's `Config` (so a `ConfigProvider` decides in tests):
 * - `SLACK_WEBHOOK_URL` unset or blank → the console alone;
 * - set → console and Slack (`fanOut`: every message goes to both; the console line is written first, so a Slack
 *   failure never hides a message).
 * The console is coloured per `ConsoleColour.colourEnabled` for the terminal given (stderr by default).
 *
 * A run uses `layerRun` (from values the composition root already read and checked): Slack in the background —
 * `notify` returns once the console line is written, Slack messages go out paced and batched (several waiting
 * messages in one request) while the run goes on, and when the layer closes it waits at most `FLUSH_WITHIN` for
 * the rest. A slow, failing or hanging Slack costs a run at most that, never its outcome.
 *
 * **Gotchas**
 * - An unusable `SLACK_WEBHOOK_URL` fails the layer with `NotifierConfigError` naming the variable (and at most the
 *   URL's host): a configuration error, exit 2, before anything trades.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import { colourEnabled, colourEnv, type Terminal } from "./ConsoleColour.ts"
import { consoleNotifier, fanOut, FLUSH_WITHIN, Notifier } from "./Notifier.ts"
import * as SlackNotifier from "./SlackNotifier.ts"

export const config = Config.all({
  slackWebhookUrl: Config.Redacted("SLACK_WEBHOOK_URL").pipe(
    Config.option,
    Config.map(Option.filter((url) => Redacted.value(url).trim() !== ""))
  ),
  colour: colourEnv
})

const unreadable = (error: Config.ConfigError) =>
  new SlackNotifier.NotifierConfigError({
    variable: "SLACK_WEBHOOK_URL",
    message: `cannot read the notifier configuration: ${error.message.replace(/\s+/g, " ").trim()}`
  })

/** `layerConfig` for a given terminal, with Slack's timing options (tests shorten them). */
export const layerConfigWith = (options: {
  readonly terminal: Terminal
  readonly slack?: Omit<SlackNotifier.SlackOptions, "webhookUrl">
}): Layer.Layer<Notifier, SlackNotifier.NotifierConfigError> =>
  Layer.effect(
    Notifier,
    Effect.gen(function*() {
      const { colour, slackWebhookUrl } = yield* Effect.mapError(config, unreadable)
      const console = consoleNotifier({ colour: colourEnabled(colour, options.terminal) })
      if (Option.isNone(slackWebhookUrl)) return Notifier.of(console)
      const slack = yield* SlackNotifier.make({ ...options.slack, webhookUrl: slackWebhookUrl.value })
      return Notifier.of(fanOut([console, slack]))
    })
  ).pipe(Layer.provide(FetchHttpClient.layer))

/** Console (coloured on a colour terminal) plus Slack when `SLACK_WEBHOOK_URL` is set; lines go to stderr. */
export const layerConfig: Layer.Layer<Notifier, SlackNotifier.NotifierConfigError> = layerConfigWith({ terminal: process.stderr })

export { FLUSH_WITHIN }

/** Most messages one Slack request carries in a run. */
export const RUN_BATCH = 20

/**
 * A run's notifier: the console (coloured when `colour`; left out when `console` is false: a message whose line
 * stderr carries already) and, with a webhook, Slack in the background (see the module's notes); `slack` shortens
 * Slack's timings in tests.
 */
export const layerRun = (options: {
  readonly colour: boolean
  readonly slackWebhookUrl: Redacted.Redacted<string>
  readonly slack?: Omit<SlackNotifier.SlackOptions, "webhookUrl">
  readonly flushWithin?: Duration.Input
  readonly console?: boolean
}): Layer.Layer<Notifier, SlackNotifier.NotifierConfigError> =>
  Layer.effect(
    Notifier,
    Effect.gen(function*() {
      const slack = yield* SlackNotifier.make({ batch: RUN_BATCH, ...options.slack, webhookUrl: options.slackWebhookUrl })
      yield* Effect.addFinalizer(() => slack.flush(options.flushWithin ?? FLUSH_WITHIN))
      return Notifier.of(fanOut([...(options.console === false ? [] : [consoleNotifier({ colour: options.colour })]), { notify: slack.post, flush: slack.flush }]))
    })
  ).pipe(Layer.provide(FetchHttpClient.layer))

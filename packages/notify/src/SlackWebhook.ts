/**
 * The wire facts of a Slack incoming webhook, as pure functions: which URLs are acceptable, how a message is
 * written, how an answer is classified, and how the webhook's secret is kept out of every string we produce.
 *
 * **When to use**: `SlackNotifier` builds on these; tests use `slackText` to know what Slack receives.
 *
 * **Wire facts** (see `shared/reference/alpaca-api.md` §9)
 * - `POST` JSON `{"text": …}`; Slack mrkdwn (`*bold*`, `\n`), with `&`, `<`, `>` escaped as HTML entities
 *   (`escapeMrkdwn`, which also keeps `@here`/`@channel`/`@everyone` from becoming mentions).
 * - Only HTTP 200 with the plain-text body `ok` means delivered. Errors are plain-text codes: 400
 *   `invalid_payload`/`no_text`, 403 `invalid_token`, 404 `no_service`, 410 `channel_is_archived`, … An HTML page
 *   (a proxy's or load balancer's in front) is said as its status and title (`@council/io/HtmlPage`).
 * - 429 carries `Retry-After` in seconds; 5xx (`rollup_error`) and network failures are worth retrying.
 *
 * **Gotchas**
 * - The webhook URL **is** the credential (`/services/T…/B…/X…`). It stays `Redacted`; what may be shown is
 *   `host` only. `scrub` removes the URL, its path and each long path segment from any text (an error body, a
 *   transport error) before it reaches a message or a log.
 * - `http:` is accepted only for loopback hosts (tests and local stand-ins); anything else must be `https:`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import { htmlPage } from "@council/io/HtmlPage"
import { scrub as scrubPieces } from "@council/io/SecretText"
import type { Notification } from "./Notifier.ts"

/** A validated webhook: the secret URL and what may be said about it. */
export interface Webhook {
  readonly url: Redacted.Redacted<string>
  /** The host, e.g. `hooks.slack.com`: the only part of the URL that may appear in messages and logs. */
  readonly host: string
  /** Strings that must never appear in output: the URL, its path and query, and its long path segments. */
  readonly secrets: ReadonlyArray<string>
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"])

/** Validates `url` without ever putting it in the error (the error names the variable and at most the host). */
export const parseWebhook = (url: Redacted.Redacted<string>, variable = "SLACK_WEBHOOK_URL"): Result.Result<Webhook, string> => {
  const raw = Redacted.value(url).trim()
  const parsed = URL.parse(raw)
  if (parsed === null) return Result.fail(`${variable} is not a URL (expected https://hooks.slack.com/services/…)`)
  const host = parsed.host
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && LOOPBACK.has(parsed.hostname))) {
    return Result.fail(`${variable} must be an https URL (http only for 127.0.0.1/localhost); its host is ${host}`)
  }
  if (parsed.pathname === "/" || parsed.pathname === "") {
    return Result.fail(`${variable} has no path; expected https://${host}/services/…`)
  }
  const segments = parsed.pathname.split("/").filter((s) => s.length >= 6 && s !== "services")
  const secrets = [raw, parsed.href, `${parsed.pathname}${parsed.search}`, parsed.pathname, ...segments]
  return Result.succeed({ url: Redacted.make(raw), host, secrets: [...new Set(secrets)].sort((a, b) => b.length - a.length) })
}

/**
 * `text` with every secret of `webhook` replaced by `***`, and the pieces of its path segments (half of one, 12
 * characters of a long one: a proxy echoing the token cut short) by `[REDACTED]`; on one line, at most `max`
 * characters.
 */
export const scrub = (webhook: Webhook, text: string, max = 200): string => {
  let out = text
  for (const secret of webhook.secrets) out = out.split(secret).join("***")
  for (const segment of webhook.secrets.filter((s) => !s.includes("/"))) out = scrubPieces(out, segment)
  out = out.replace(/\s+/g, " ").trim()
  return out.length > max ? `${out.slice(0, max)}…` : out
}

// oxlint-disable-next-line no-control-regex
const CONTROL = /\r(?!\n)|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g

/**
 * Text from outside (a PM's thesis, the chairman's rationale, a broker's message) as mrkdwn that does nothing but
 * read: `&`, `<`, `>` as entities (no `<!channel>`, no `<https://…|disguised link>`, no `<@U123>`); a word joiner
 * (U+2060, invisible) after the `@` of `@here`, `@channel` and `@everyone`, which Slack would otherwise turn into a
 * mention that notifies the whole channel when the workspace or a later payload option links names; and control
 * characters other than tab and newline (a Windows line ending is kept; a terminal escape, a bidi override that reorders what is read) written out
 * as `\u001b`, as the CLI writes them.
 */
export const escapeMrkdwn = (text: string): string =>
  text
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/@(?=(here|channel|everyone)\b)/gi, "@\u2060")
    .replace(CONTROL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`)

const LEVEL_MARK = { INFO: ":information_source:", WARN: ":warning:", ERROR: ":rotating_light:" } as const

/**
 * The message as Slack mrkdwn: `*CHATGPT* · :warning: *WARN* · *Order rejected*`, then the body on the next lines
 * (kept multi-line, unlike the console).
 */
export const slackText = (message: Notification): string => {
  const head = `${message.account === undefined ? "" : `*${message.account}* · `}${LEVEL_MARK[message.level]} *${message.level}* · *${
    escapeMrkdwn(message.subject.trim())
  }*`
  const body = message.body.trim()
  return body.length === 0 ? head : `${head}\n${escapeMrkdwn(body)}`
}

/** Slack's answer was final: not delivered, and sending the same again would not help. */
export class Refused extends Data.TaggedError("Refused")<{ readonly status: number; readonly detail: string }> {}
/** HTTP 429: try again after `retryAfterMillis`. */
export class Throttled extends Data.TaggedError("Throttled")<{ readonly retryAfterMillis: number }> {}
/** A 5xx, a network failure or no answer in time: worth another attempt. */
export class Transient extends Data.TaggedError("Transient")<{ readonly detail: string }> {}

export type AttemptError = Refused | Throttled | Transient

/** `Retry-After` in milliseconds (seconds on the wire, possibly fractional); 1 s when absent or unreadable. */
export const retryAfterMillis = (header: string | undefined): number => {
  const seconds = Number(header?.trim())
  return header !== undefined && header.trim() !== "" && Number.isFinite(seconds) && seconds >= 0
    ? Math.ceil(seconds * 1000)
    : 1000
}

/**
 * An answer's body as a message quotes it, scrubbed: an HTML page (a proxy's, a load balancer's, Cloudflare's in
 * front of the webhook) as its title, never its markup — `Bad Gateway (an HTML page, not Slack's answer)`, the
 * status said before it by the caller — else the body on one line, cut.
 */
const saidBody = (webhook: Webhook, status: number, body: string): string => {
  const page = htmlPage(status, scrub(webhook, body, Number.POSITIVE_INFINITY), "Slack", "answer")
  return page === undefined ? scrub(webhook, body) : scrub(webhook, page.replace(new RegExp(`^${status}:?\\s*`), ""))
}

/** Classifies one answer: `undefined` when delivered, else why not. Unknown statuses and bodies are final. */
export const classify = (
  webhook: Webhook,
  answer: { readonly status: number; readonly body: string; readonly retryAfter: string | undefined }
): AttemptError | undefined => {
  if (answer.status === 200 && scrub(webhook, answer.body) === "ok") return undefined
  const body = saidBody(webhook, answer.status, answer.body)
  if (answer.status === 429) return new Throttled({ retryAfterMillis: retryAfterMillis(answer.retryAfter) })
  if (answer.status >= 500 || answer.status === 408) {
    return new Transient({ detail: `HTTP ${answer.status}${body ? ` ${body}` : ""}` })
  }
  return new Refused({ status: answer.status, detail: body || "(empty body)" })
}

/** 401, 403, 404 and 410 mean the webhook itself is revoked or gone: nothing sent to it will ever arrive. */
export const isWebhookGone = (error: Refused): boolean => [401, 403, 404, 410].includes(error.status)

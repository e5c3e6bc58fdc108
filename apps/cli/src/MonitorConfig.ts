/**
 * The monitor's settings, checked with every other setting (`AppConfig.load`) so a bad value stops any command
 * before it opens anything: `COUNCIL_RISK_FREE`, the yearly risk-free rate of the leaderboard's Sharpe and Sortino
 * (a fraction, 0 when unset), and `COUNCIL_API_TOKEN`, the bearer token the monitor's mutations need (unset: they
 * are refused), and `COUNCIL_ALLOWED_HOSTS`, the names `serve` answers to (`--allowed-host`). A bad value is one line naming the variable (exit 2); the token is never echoed.
 */
import { isIP } from "node:net"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { quotedValue } from "@council/domain"

export class MonitorConfigError extends Schema.TaggedError<MonitorConfigError>()("MonitorConfigError", {
  message: Schema.String
}) {}

/** The shortest `COUNCIL_API_TOKEN` accepted: a guessable token would guard the panic button with nothing. */
const MIN_TOKEN_LENGTH = 16

const optional = <A>(config: Config.Config<A>) => Config.option(config).pipe(Effect.orElseSucceed(() => Option.none<A>()))

/**
 * The largest yearly risk-free rate taken (either sign): a T-bill never paid 20 % a year over the data's years, so
 * "0.5" or "0.25" is a percent typed as a fraction (0.5 %), refused rather than read as 50 % — which would turn every
 * Sharpe and Sortino of the leaderboard deeply negative without a word.
 */
const MAX_RISK_FREE = 0.2

/** A yearly rate as a fraction: "0.04" is 4 %; "4" or "4%" are refused rather than read as 400 %, "0.5" rather than read as 50 %. */
const riskFree = Effect.flatMap(optional(Config.String("COUNCIL_RISK_FREE")), (raw) => {
  if (Option.isNone(raw) || raw.value === "") return Effect.succeed(0)
  // blanks only are no rate: refused, as every other variable's (an empty one counts as unset)
  if (raw.value.trim() === "") return Effect.fail(new MonitorConfigError({ message: "COUNCIL_RISK_FREE: is set but blank; unset it or give it a value" }))
  const rate = Number(raw.value.trim())
  if (Number.isFinite(rate) && Math.abs(rate) < MAX_RISK_FREE) return Effect.succeed(rate)
  return Effect.fail(new MonitorConfigError({
    message: Number.isFinite(rate) && Math.abs(rate) < 1
      ? `COUNCIL_RISK_FREE: ${raw.value.trim()} would be a yearly rate of ${Number((rate * 100).toFixed(4))} %; expected a fraction under ${MAX_RISK_FREE} either way (${Number((rate / 100).toFixed(6))} for ${Number(rate.toFixed(4))} %)`
      : `COUNCIL_RISK_FREE: expected a yearly rate as a fraction, e.g. 0.04 for 4 % (got ${quotedValue(raw.value)})`
  }))
})

/** Unset (or empty) disables every mutation; a set token must be long enough. */
const apiToken = Effect.flatMap(optional(Config.Redacted("COUNCIL_API_TOKEN")), (raw) => {
  if (Option.isNone(raw) || Redacted.value(raw.value) === "") return Effect.succeed(Option.none<Redacted.Redacted>())
  const token = Redacted.value(raw.value)
  return token.trim() === token && token.length >= MIN_TOKEN_LENGTH
    ? Effect.succeed(Option.some(raw.value))
    : Effect.fail(new MonitorConfigError({
      message: `COUNCIL_API_TOKEN: expected at least ${MIN_TOKEN_LENGTH} characters without surrounding spaces (e.g. from: openssl rand -hex 24)`
    }))
})

const NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/

/**
 * One `--allowed-host` value as the monitor's host guard compares it (as the URL parser writes a `Host`: lower case,
 * an IPv6 address shortened in brackets, no trailing dot), or why it is not one: a host name or an IP address,
 * without scheme, port, path or wildcard.
 */
export const allowedHost = (raw: string): { readonly host: string } | { readonly problem: string } => {
  const trimmed = raw.trim().toLowerCase()
  // a fully qualified name's trailing dot names the same host (the guard drops it from `Host` too)
  const host = trimmed.endsWith(".") && !trimmed.endsWith("..") ? trimmed.slice(0, -1) : trimmed
  // as the URL parser leaves a `Host` (IPv6 shortened, IPv4 in dotted decimal): the guard compares them as strings
  const asParsed = (name: string) => URL.parse(`http://${name}/`)?.hostname
  if (NAME.test(host) || isIP(host) === 4) return { host: asParsed(host) ?? host }
  const v6 = host.replace(/^\[(.*)\]$/, "$1")
  if (isIP(v6) === 6) return { host: asParsed(`[${v6}]`) ?? `[${v6}]` }
  return { problem: `"${raw.slice(0, 80)}" is not a host name: give the name clients use, without scheme, port or path (e.g. council.lan)` }
}

/**
 * `COUNCIL_ALLOWED_HOSTS`: the host names `serve` answers besides loopback ones (`HostCheck`), separated by commas,
 * as `--allowed-host` gives them one at a time; unset: none.
 */
const allowedHosts = Effect.flatMap(optional(Config.String("COUNCIL_ALLOWED_HOSTS")), (raw) => {
  if (Option.isNone(raw) || raw.value.trim() === "") return Effect.succeed<ReadonlyArray<string>>([])
  const hosts: Array<string> = []
  for (const item of raw.value.split(",").filter((item) => item.trim() !== "")) {
    const checked = allowedHost(item)
    if ("problem" in checked) return Effect.fail(new MonitorConfigError({ message: `COUNCIL_ALLOWED_HOSTS: ${checked.problem}` }))
    hosts.push(checked.host)
  }
  return Effect.succeed<ReadonlyArray<string>>(hosts)
})

export interface MonitorSettings {
  readonly riskFree: number
  readonly apiToken: Option.Option<Redacted.Redacted>
  readonly allowedHosts: ReadonlyArray<string>
}

export const read: Effect.Effect<MonitorSettings, MonitorConfigError> = Effect.all({ riskFree, apiToken, allowedHosts })

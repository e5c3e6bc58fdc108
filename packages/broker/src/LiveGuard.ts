/**
 * The LIVE rule, in one place: an account is LIVE when its mode is `LIVE`, **or** it connects to an Alpaca host
 * other than the paper host (`paper-api.alpaca.markets`) — `api.alpaca.markets` in any spelling a URL parser
 * accepts (scheme, port, path, case, trailing dot, percent-encoding) — **or** its key id is one of Alpaca's live
 * keys (`AK…`; paper keys are `PK…`), whatever host it connects to. A LIVE account is refused unless
 * `COUNCIL_ALLOW_LIVE=I_UNDERSTAND_REAL_MONEY` is set **and** the account says `"liveConfirmed": true` (and says
 * `"mode": "LIVE"`: a PAPER account pointed at a live host is a contradiction, refused too). The reverse
 * contradictions are refused as well: a LIVE account on Alpaca's paper host, or with a paper key (`PK…`) on
 * Alpaca's hosts (a paper key on another host, such as a local exchange rehearsing a LIVE configuration, is allowed),
 * and plain `http://` to any of Alpaca's hosts (the keys would travel in clear text).
 *
 * **When to use**: `guard` is the only way to obtain a `GuardedAccount`, and an Alpaca client
 * (`AlpacaClient.make`, so every `AlpacaBroker`) can only be made from a `GuardedAccount` — checked by the type
 * and again at run time, so a copy edited after the guard (another base URL, another mode) is refused. The
 * configuration loader (`AccountsConfig`) guards every account it reads, so a refusal is a configuration error
 * before any socket is opened.
 *
 * **Gotchas**
 * - The host is classified exactly as `fetch` will connect to it: the WHATWG URL parser's `hostname`, with a
 *   trailing dot removed. A base URL is normalized to `origin + path` (no user info, query or fragment), so the
 *   request URLs built from it have the same host.
 * - A proxy on another host that forwards to Alpaca's live host cannot be detected by its URL; a live key id
 *   sent to it is (the key id is read only for its prefix, never echoed).
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { AccountConfig } from "@council/domain"

export const ALLOW_LIVE_VARIABLE = "COUNCIL_ALLOW_LIVE"
export const ALLOW_LIVE_VALUE = "I_UNDERSTAND_REAL_MONEY"

export const PAPER_BASE_URL = "https://paper-api.alpaca.markets"
export const LIVE_BASE_URL = "https://api.alpaca.markets"

const ALPACA_DOMAIN = "alpaca.markets"
const PAPER_HOST = "paper-api.alpaca.markets"

export class LiveTradingRefused extends Schema.TaggedError<LiveTradingRefused>()("LiveTradingRefused", {
  account: Schema.String,
  message: Schema.String
}) {}

declare const guardedBrand: unique symbol

/** An account that passed `guard`: the only kind an Alpaca client can be made for. */
export type GuardedAccount = AccountConfig & { readonly [guardedBrand]: true }

const guarded = new WeakSet<object>()

/** Whether `account` is the very object `guard` returned (a copy is not). */
export const isGuarded = (account: AccountConfig): account is GuardedAccount => guarded.has(account)

/**
 * A base URL as the adapter will use it: `origin + path` without a trailing slash, or why it is refused.
 * Messages never repeat the URL (it may carry a password).
 */
export const normalizeBaseUrl = (raw: string): { readonly url: string } | { readonly error: string } => {
  const url = URL.parse(raw.trim())
  if (url === null || url.hostname === "") return { error: "is not a URL (expected http(s)://host[:port])" }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { error: "must start with http:// or https://" }
  if (url.username !== "" || url.password !== "") {
    return { error: "must not contain user:password@ (credentials go in credentials)" }
  }
  if (url.search !== "" || url.hash !== "") return { error: "must not have a query or fragment" }
  return { url: `${url.origin}${url.pathname.replace(/\/+$/, "")}` }
}

/** The host `fetch` would connect to for `url`: lower case, without a trailing dot. */
export const hostOf = (url: string): string | undefined => URL.parse(url.trim())?.hostname.replace(/\.+$/, "")

/** Alpaca's own hosts (`alpaca.markets` and every subdomain). */
export const isAlpacaUrl = (url: string): boolean => {
  const host = hostOf(url)
  return host !== undefined && (host === ALPACA_DOMAIN || host.endsWith(`.${ALPACA_DOMAIN}`))
}

/** An Alpaca host other than the paper host: real money. */
export const isLiveUrl = (url: string): boolean => isAlpacaUrl(url) && hostOf(url) !== PAPER_HOST

/** Where the account's client connects: its base URL, else Alpaca's paper or live host by mode. */
export const endpointOf = (account: AccountConfig): string =>
  account.baseUrl ?? (account.mode === "LIVE" ? LIVE_BASE_URL : PAPER_BASE_URL)

/** Alpaca's live key ids start `AK` (paper ones `PK`): such a key trades real money wherever it is sent. */
export const hasLiveKey = (account: AccountConfig): boolean =>
  account.credentials !== undefined && /^\s*AK/i.test(Redacted.value(account.credentials.keyId))

/** Alpaca's paper key ids start `PK`: beside mode LIVE on Alpaca's own hosts, a contradiction. */
const hasPaperKey = (account: AccountConfig): boolean =>
  account.credentials !== undefined && /^\s*PK/i.test(Redacted.value(account.credentials.keyId))

/** The LIVE rule's first half: mode LIVE, a connection to a live host, or a live key. */
export const isLive = (account: AccountConfig): boolean =>
  account.mode === "LIVE" || isLiveUrl(endpointOf(account)) || hasLiveKey(account)

const refuse = (account: string, message: string) => new LiveTradingRefused({ account, message: `${account}: ${message}` })

/** The magic value inside quotes or blanks (`"I_UNDERSTAND_REAL_MONEY"`): still refused, but told as such. */
const wrapped = (value: string): boolean => value.trim().replace(/^(["'])(.*)\1$/s, "$2").trim() === ALLOW_LIVE_VALUE

/** Reads `COUNCIL_ALLOW_LIVE`: unset, or exactly the magic value; anything else is refused. */
const allowLive: Effect.Effect<boolean, LiveTradingRefused> = Config.option(Config.String(ALLOW_LIVE_VARIABLE)).pipe(
  Effect.orElseSucceed(() => Option.none<string>()),
  Effect.flatMap(Option.match({
    onNone: () => Effect.succeed(false),
    onSome: (value) =>
      value === ALLOW_LIVE_VALUE
        ? Effect.succeed(true)
        : Effect.fail(
          new LiveTradingRefused({
            account: "",
            message: `${ALLOW_LIVE_VARIABLE}: expected ${ALLOW_LIVE_VALUE} (or unset), got ${
              wrapped(value)
                ? "it with quotes or blanks around it (a file read without a shell keeps them); refused until it is the bare value"
                : "another value"
            }`
          })
        )
  }))
)

const check = (account: AccountConfig, allow: boolean): GuardedAccount | LiveTradingRefused => {
  const id = account.id
  let baseUrl: string | undefined
  if (account.baseUrl !== undefined) {
    const normalized = normalizeBaseUrl(account.baseUrl)
    if ("error" in normalized) return refuse(id, `baseUrl ${normalized.error}`)
    baseUrl = normalized.url
  }
  const copy: AccountConfig = { ...account, ...(baseUrl === undefined ? {} : { baseUrl }) }
  const endpoint = endpointOf(copy)
  if (account.mode === "PAPER" && isLiveUrl(endpoint)) {
    return refuse(
      id,
      `its base URL is Alpaca's live trading host (${hostOf(endpoint)}), which trades real money, but its mode is PAPER; ` +
        `refused (a live account says "mode": "LIVE" and "liveConfirmed": true, and needs ${ALLOW_LIVE_VARIABLE}=${ALLOW_LIVE_VALUE})`
    )
  }
  if (account.mode === "PAPER" && hasLiveKey(account)) {
    return refuse(
      id,
      `its key id is one of Alpaca's live keys (AK…), which trade real money, but its mode is PAPER; refused ` +
        `(paper keys start with PK; a live account says "mode": "LIVE" and "liveConfirmed": true, and needs ${ALLOW_LIVE_VARIABLE}=${ALLOW_LIVE_VALUE})`
    )
  }
  if (isAlpacaUrl(endpoint) && URL.parse(endpoint)?.protocol === "http:") {
    return refuse(
      id,
      `its base URL is Alpaca's host (${hostOf(endpoint)}) over plain http: its keys would cross the network in clear text; refused (use https://)`
    )
  }
  if (isLive(copy)) {
    if (!allow) return refuse(id, `mode LIVE is refused unless ${ALLOW_LIVE_VARIABLE}=${ALLOW_LIVE_VALUE} is set`)
    if (account.liveConfirmed !== true) return refuse(id, `mode LIVE also needs "liveConfirmed": true in the account`)
  }
  if (account.mode === "LIVE" && isAlpacaUrl(endpoint) && !isLiveUrl(endpoint)) {
    return refuse(id, `its mode is LIVE but its base URL is Alpaca's paper host (${hostOf(endpoint)}), which trades no real money; refused (a paper account says "mode": "PAPER")`)
  }
  if (account.mode === "LIVE" && hasPaperKey(account) && isAlpacaUrl(endpoint)) {
    return refuse(id, `its mode is LIVE but its key id is one of Alpaca's paper keys (PK…), which Alpaca's live host refuses; refused (live keys start with AK)`)
  }
  guarded.add(copy)
  return copy as GuardedAccount
}

/**
 * Applies the LIVE rule to every account (reading `COUNCIL_ALLOW_LIVE` through `Config`) and returns guarded
 * copies, in order; fails with the first refusal, one line naming the account.
 */
export const guard = (
  accounts: ReadonlyArray<AccountConfig>
): Effect.Effect<ReadonlyArray<GuardedAccount>, LiveTradingRefused> =>
  Effect.gen(function*() {
    const allow = yield* allowLive
    const out: Array<GuardedAccount> = []
    for (const account of accounts) {
      const checked = check(account, allow)
      if (checked instanceof LiveTradingRefused) return yield* checked
      out.push(checked)
    }
    return out
  })

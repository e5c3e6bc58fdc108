/**
 * Loads the trading accounts from the environment. The first source found wins:
 *
 * 1. `TRADING_ACCOUNTS_CONFIG` — a JSON array of account configs; an entry with keys trades through them (Alpaca, or an
 *    exchange server at its `baseUrl`), one saying `"broker": "local-exchange"` (no keys, PAPER) on the in-process
 *    local exchange, so the two can be mixed;
 * 2. per-account variables in the seed's convention, `ALPACA_{NAME}_KEY_ID` / `ALPACA_{NAME}_SECRET_KEY` (and the
 *    optional `ALPACA_{NAME}_BASE_URL`), for the names in `COUNCIL_ACCOUNTS` (default: the six council accounts);
 * 3. `PAPER_ALPACA_KEY_ID` / `PAPER_ALPACA_SECRET_KEY` as one `DEFAULT_PAPER` account;
 * 4. the embedded default: six accounts on the local exchange.
 *
 * **Gotchas**
 * - Every account goes through `LiveGuard.guard` (the LIVE rule: mode LIVE, or a base URL on Alpaca's live host,
 *   needs `COUNCIL_ALLOW_LIVE=I_UNDERSTAND_REAL_MONEY` *and* `"liveConfirmed": true`), so a refusal is a
 *   configuration error before anything connects.
 * - Every error is one line naming the source, the account and the field. No message repeats a configured value:
 *   a JSON syntax error gives its line and column, a schema error its field and what was expected, a bad URL what
 *   is wrong with it (it may carry a password).
 * - A variable set to blanks (spaces only) is an error, not "unset"; an empty variable counts as unset.
 * - Beside `TRADING_ACCOUNTS_CONFIG`, `COUNCIL_ACCOUNTS` and `ALPACA_{NAME}_*` (for its accounts and the six
 *   council names) are refused, not ignored: `COUNCIL_ACCOUNTS=COUNCIL close-all --yes` must not close the
 *   JSON's every account, nor a second key for a name go unnoticed.
 * - Two accounts with the same key id (blanks around it aside: `fetch` strips a header's) are refused (they would be one broker account: orders and positions mixed,
 *   a close-all sent twice), and so is an account named `PERSONAL`, the seed's market-data account. The seed
 *   plan's other names for the JSON (`ALPACA_ACCOUNTS_JSON`, `TRADING_ACCOUNTS`) are refused rather than ignored.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import {
  AccountConfig,
  AccountId,
  AccountSettings,
  DEFAULT_ACCOUNTS,
  defaultAccountSettings,
  ExitDistance,
  issueInWords,
  NOT_A_FIELD,
  TradingMode
} from "@council/domain"
import * as HeaderKey from "@council/io/HeaderKey"
import { nestsDeeperThan } from "@council/io/JsonDepth"
import { duplicateKey, syntaxError } from "./JsonSyntax.ts"
import * as LiveGuard from "./LiveGuard.ts"
import { type AccountsSource, embeddedAccounts, TradingAccounts } from "./TradingAccounts.ts"

export { ALLOW_LIVE_VALUE, ALLOW_LIVE_VARIABLE } from "./LiveGuard.ts"

export type { AccountsSource } from "./TradingAccounts.ts"

export interface LoadedAccounts {
  readonly source: AccountsSource
  readonly accounts: ReadonlyArray<LiveGuard.GuardedAccount>
}

export class AccountConfigError extends Schema.TaggedError<AccountConfigError>()("AccountConfigError", {
  message: Schema.String
}) {}

const fail = (message: string) => Effect.fail(new AccountConfigError({ message }))

const PartialExit = Schema.Struct({
  takeProfitPct: Schema.optionalKey(ExitDistance.fields.takeProfitPct),
  stopLossPct: Schema.optionalKey(ExitDistance.fields.stopLossPct)
})

/** An entry's `broker` for an account on the local exchange (no keys): the one way to leave `credentials` out. */
export const LOCAL_EXCHANGE = "local-exchange"

/** What a `TRADING_ACCOUNTS_CONFIG` entry may say: settings may be partial, the rest has defaults. */
const AccountEntry = Schema.Struct({
  id: AccountId,
  mode: TradingMode,
  /** `local-exchange`: the account trades on the in-process local exchange, without keys. */
  broker: Schema.optionalKey(Schema.Literal(LOCAL_EXCHANGE)),
  credentials: Schema.optionalKey(Schema.Struct({
    keyId: Schema.String.check(Schema.isMinLength(1, { message: "must not be empty" })),
    secretKey: Schema.String.check(Schema.isMinLength(1, { message: "must not be empty" }))
  })),
  baseUrl: Schema.optionalKey(Schema.String),
  settings: Schema.optionalKey(Schema.Struct({
    maxOrderValue: Schema.optionalKey(AccountSettings.fields.maxOrderValue),
    maxPositionPct: Schema.optionalKey(AccountSettings.fields.maxPositionPct),
    maxGrossExposurePct: Schema.optionalKey(Schema.toType(AccountSettings.fields.maxGrossExposurePct)),
    allowShorting: Schema.optionalKey(Schema.Boolean),
    allowMargin: Schema.optionalKey(Schema.Boolean),
    maxOpenPositions: Schema.optionalKey(Schema.toType(AccountSettings.fields.maxOpenPositions)),
    minOrderValue: Schema.optionalKey(Schema.toType(AccountSettings.fields.minOrderValue)),
    fractional: Schema.optionalKey(Schema.Boolean),
    exits: Schema.optionalKey(Schema.Struct({
      TIGHT: Schema.optionalKey(PartialExit),
      BASE: Schema.optionalKey(PartialExit),
      WIDE: Schema.optionalKey(PartialExit)
    })),
    dryRun: Schema.optionalKey(Schema.Boolean)
  })),
  liveConfirmed: Schema.optionalKey(Schema.Boolean),
  rateLimitPerMinute: Schema.optionalKey(AccountConfig.fields.rateLimitPerMinute)
})

const decodeEntry = Schema.decodeUnknownEffect(AccountEntry, { onExcessProperty: "error" })

/**
 * The seeds' names for fields Council names otherwise (the architecture's `ALPACA_ACCOUNTS` entries, the plan's
 * `AccountConfig` sketches), and what to write instead: an entry copied from them is told the field to use, not
 * only that its own is unknown.
 */
const SEED_FIELDS: Readonly<Record<string, string>> = {
  alpaca: `Council's field is "credentials": {"keyId": …, "secretKey": …}`,
  key_id: `Council's field is "credentials": {"keyId": …, "secretKey": …}`,
  secret_key: `Council's field is "credentials": {"keyId": …, "secretKey": …}`,
  account_id: "not a Council field: the broker knows the account by its keys",
  email: "not a Council field: the broker knows the account by its keys",
  "settings.maxEquity": `Council's limit on an order's value is "maxOrderValue" (dollars)`,
  "settings.maxPositionSize": `Council's limits are "maxOrderValue" (dollars per order) and "maxPositionPct" (a position's % of equity)`,
  "settings.isDryRun": `Council's field is "dryRun"`
}

/** The field path and what was expected, from a schema error — never the value it got (it may be a secret). */
const describeIssue = (error: Schema.SchemaError): string => {
  const lines = error.message.split("\n").map((l) => l.trim())
  const at = lines.find((l) => l.startsWith("at "))
  const path = at
    ? at.slice(3).replace(/^\[/, "").replace(/\]$/, "").split("][").map((k) => k.replace(/^"|"$/g, "")).join(".")
    : undefined
  const expected = issueInWords((lines[0] ?? "invalid").replace(/, got [\s\S]*$/, ""))
  const seed = path !== undefined && expected === NOT_A_FIELD ? SEED_FIELDS[path] : undefined
  return `${path ? `${path}: ` : ""}${expected}${seed === undefined ? "" : ` (${seed})`}`
}

/**
 * The entry's settings over the defaults. A LIVE account is a dry run unless it says `"dryRun": false`: real money
 * moves only when the configuration says so explicitly.
 */
const settingsOf = (entry: typeof AccountEntry.Type): AccountSettings => {
  const { exits = {}, ...given } = entry.settings ?? {}
  const d = defaultAccountSettings
  return {
    ...d,
    dryRun: entry.mode === "LIVE",
    ...given,
    exits: {
      TIGHT: { ...d.exits.TIGHT, ...exits.TIGHT },
      BASE: { ...d.exits.BASE, ...exits.BASE },
      WIDE: { ...d.exits.WIDE, ...exits.WIDE }
    }
  }
}

/** What no single field can say: settings that contradict each other. */
const contradiction = (settings: AccountSettings): string | undefined => {
  if (settings.maxGrossExposurePct > 100 && !settings.allowMargin) {
    return `settings.maxGrossExposurePct: ${settings.maxGrossExposurePct} is above 100 %, which needs "allowMargin": true`
  }
  if (settings.minOrderValue > settings.maxOrderValue) {
    return `settings.minOrderValue: ${settings.minOrderValue} is above settings.maxOrderValue (${settings.maxOrderValue}): no order could be sent`
  }
  return undefined
}

/**
 * What an entry's keys and its `broker` say together, when they contradict: keys are left out only by an account on
 * the local exchange (so a forgotten key is never taken for one), which is paper only, at no base URL.
 */
const keysProblem = (entry: typeof AccountEntry.Type): string | undefined => {
  if (entry.broker === undefined) {
    return entry.credentials === undefined
      ? `credentials: missing (an account without keys, on the local exchange, says "broker": "${LOCAL_EXCHANGE}")`
      : undefined
  }
  if (entry.credentials !== undefined) return `"broker": "${LOCAL_EXCHANGE}" trades without keys: leave credentials out, or "broker" to trade through them`
  if (entry.baseUrl !== undefined) return `"broker": "${LOCAL_EXCHANGE}" is the in-process exchange: leave baseUrl out (an exchange server is reached with its keys and baseUrl)`
  if (entry.mode === "LIVE" || entry.liveConfirmed !== undefined) return `"broker": "${LOCAL_EXCHANGE}" is paper only: "mode": "PAPER", no "liveConfirmed"`
  return undefined
}

/** The names a key's source gives its two parts, for messages. */
interface KeyNames {
  readonly keyId: string
  readonly secretKey: string
}

const JSON_KEY_NAMES: KeyNames = { keyId: "credentials.keyId", secretKey: "credentials.secretKey" }

/**
 * Builds the account; `where` names the base URL's source in an error (the field or the variable), `keyNames` its
 * keys' (the fields or the variables).
 */
const toAccount = (entry: typeof AccountEntry.Type, where: string, label: string, keyNames: KeyNames = JSON_KEY_NAMES) => {
  const keys = keysProblem(entry)
  if (keys !== undefined) return fail(`${label}: ${keys}`)
  for (const part of ["keyId", "secretKey"] as const) {
    const unsendable = entry.credentials === undefined ? undefined : HeaderKey.problem(keyNames[part], entry.credentials[part])
    if (unsendable !== undefined) return fail(`${label}: ${unsendable}`)
  }
  const baseUrl = entry.baseUrl === undefined ? undefined : LiveGuard.normalizeBaseUrl(entry.baseUrl)
  if (baseUrl !== undefined && "error" in baseUrl) return fail(`${where}: ${baseUrl.error}`)
  const contradicts = contradiction(settingsOf(entry))
  if (contradicts !== undefined) return fail(`${label}: ${contradicts}`)
  return Effect.succeed<AccountConfig>({
    id: entry.id,
    mode: entry.mode,
    ...(entry.credentials === undefined
      ? {}
      : { credentials: { keyId: Redacted.make(entry.credentials.keyId), secretKey: Redacted.make(entry.credentials.secretKey) } }),
    ...(baseUrl === undefined ? {} : { baseUrl: baseUrl.url }),
    settings: settingsOf(entry),
    ...(entry.liveConfirmed === undefined ? {} : { liveConfirmed: entry.liveConfirmed }),
    ...(entry.rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute: entry.rateLimitPerMinute })
  })
}

/** The deepest `TRADING_ACCOUNTS_CONFIG` read (an account's settings nest 3 levels). */
const MAX_DEPTH = 32

const fromJson = (text: string) =>
  Effect.gen(function*() {
    const source = "TRADING_ACCOUNTS_CONFIG"
    // past this, the recursive readers below (the syntax and duplicate-key scans, the schema) overflow the stack: an internal error
    if (nestsDeeperThan(text, MAX_DEPTH)) {
      return yield* fail(`${source}: nests arrays and objects deeper than ${MAX_DEPTH} levels; an account is an object of a few fields (see the README's Accounts)`)
    }
    const at = syntaxError(text)
    if (at !== undefined) {
      // JSON without a double quote: a shell loading an env file took them off (`.env.example` says to single-quote it)
      const stripped = /[[{]/.test(text) && !text.includes('"')
        ? `; it holds no double quote: the shell that loaded it took them off, so keep the value in single quotes (${source}='[{"id":…}]')`
        : ""
      return yield* fail(`${source}: not valid JSON: syntax error at line ${at.line}, column ${at.column} (character ${at.position})${stripped}`)
    }
    const twice = duplicateKey(text)
    if (twice !== undefined) {
      // a name is echoed only when it reads as a field name (a key is never a value, but stay safe)
      const name = /^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(twice.name) ? `"${twice.name}"` : "a key"
      return yield* fail(
        `${source}: ${name} is given twice in one object (line ${twice.line}, column ${twice.column}): JSON would keep the later value silently; give each key once`
      )
    }
    const parsed: unknown = JSON.parse(text)
    if (!Array.isArray(parsed)) return yield* fail(`${source}: expected a JSON array of accounts`)
    if (parsed.length === 0) return yield* fail(`${source}: the array is empty; configure at least one account`)
    const accounts: Array<AccountConfig> = []
    for (const [i, raw] of parsed.entries()) {
      const label = typeof raw === "object" && raw !== null && "id" in raw && typeof raw.id === "string"
        ? `account #${i + 1} (${raw.id})`
        : `account #${i + 1}`
      const entry = yield* decodeEntry(raw).pipe(
        Effect.mapError((e) => new AccountConfigError({ message: `${source}: ${label}: ${describeIssue(e)}` }))
      )
      accounts.push(yield* toAccount(entry, `${source}: ${label}: baseUrl`, `${source}: ${label}`))
    }
    return accounts
  })

/** A variable: unset (or empty) is `None`; set to blanks only is an error naming it. */
const env = (name: string) =>
  Config.option(Config.String(name)).pipe(
    Effect.mapError((e) => new AccountConfigError({ message: `${name}: ${e.message.split("\n")[0]}` })),
    Effect.flatMap((value) =>
      Option.isSome(value) && value.value.trim() === ""
        ? fail(`${name} is set but blank; unset it or give it a value`)
        : Effect.succeed(value)
    )
  )

const fromPerAccountVariables = (names: ReadonlyArray<string>, explicit: boolean) =>
  Effect.gen(function*() {
    const found = yield* Effect.forEach(names, (name) =>
      Effect.all({
        name: Effect.succeed(name),
        keyId: env(`ALPACA_${name}_KEY_ID`),
        secretKey: env(`ALPACA_${name}_SECRET_KEY`),
        baseUrl: env(`ALPACA_${name}_BASE_URL`)
      }))
    const present = found.filter((f) => Option.isSome(f.keyId) || Option.isSome(f.secretKey) || Option.isSome(f.baseUrl))
    if (present.length === 0 && !explicit) return Option.none()
    const accounts: Array<AccountConfig> = []
    for (const f of found) {
      if (Option.isNone(f.keyId) || Option.isNone(f.secretKey)) {
        const missing = Option.isNone(f.keyId) ? `ALPACA_${f.name}_KEY_ID` : `ALPACA_${f.name}_SECRET_KEY`
        // an account none of whose variables is set, beside others that set some: those are what the user meant
        const untouched = !present.some((p) => p.name === f.name)
        const configured = present.filter((p) => untouched || (Option.isSome(p.keyId) && Option.isSome(p.secretKey))).map((p) => p.name)
        const narrow = explicit || configured.length === 0 ? "" : ` (to trade only ${configured.join(", ")}, set COUNCIL_ACCOUNTS=${configured.join(",")})`
        return yield* fail(`per-account variables: ${f.name}: ${missing} is not set${narrow}`)
      }
      const entry = { id: f.name, mode: "PAPER", credentials: { keyId: f.keyId.value, secretKey: f.secretKey.value }, ...Option.match(f.baseUrl, { onNone: () => ({}), onSome: (baseUrl) => ({ baseUrl }) }) }
      const decoded = yield* decodeEntry(entry).pipe(
        Effect.mapError((e) => new AccountConfigError({ message: `per-account variables: ${f.name}: ${describeIssue(e)}` }))
      )
      accounts.push(
        yield* toAccount(decoded, `per-account variables: ${f.name}: ALPACA_${f.name}_BASE_URL`, `per-account variables: ${f.name}`, {
          keyId: `ALPACA_${f.name}_KEY_ID`,
          secretKey: `ALPACA_${f.name}_SECRET_KEY`
        })
      )
    }
    return Option.some(accounts)
  })

/** The seed's market-data account: its keys (`ALPACA_PERSONAL_*`) read history for `COUNCIL_DATA=alpaca`, never trade. */
export const DATA_ACCOUNT = "PERSONAL"

/**
 * Unique names, the data account kept out, one key pair per account, then the LIVE rule (`LiveGuard.guard`); a
 * refusal names the source and the accounts, never a key.
 */
const checkAccounts = (source: AccountsSource, accounts: ReadonlyArray<AccountConfig>) =>
  Effect.gen(function*() {
    const seen = new Set<string>()
    const byKey = new Map<string, string>()
    for (const account of accounts) {
      if (seen.has(account.id)) return yield* fail(`${source}: account ${account.id} is configured twice; names must be unique`)
      seen.add(account.id)
      if (account.id === DATA_ACCOUNT) {
        return yield* fail(
          `${source}: ${DATA_ACCOUNT} is the market-data account (ALPACA_PERSONAL_* keys, read by COUNCIL_DATA=alpaca), never a trading account; give the trading account another name`
        )
      }
      if (account.credentials === undefined) continue
      // as fetch sends it: a header value loses its leading and trailing blanks, so ` PK1` and `PK1` are one key
      const key = Redacted.value(account.credentials.keyId).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "")
      const other = byKey.get(key)
      if (other !== undefined) {
        return yield* fail(
          `${source}: accounts ${other} and ${account.id} have the same key id: each account needs its own key pair (one broker account each), or their orders and positions mix`
        )
      }
      byKey.set(key, account.id)
    }
    return yield* LiveGuard.guard(accounts).pipe(
      Effect.mapError((refused) =>
        new AccountConfigError({ message: refused.account === "" ? refused.message : `${source}: ${refused.message}` })
      )
    )
  })

/**
 * Refuses a later source's variables set beside `TRADING_ACCOUNTS_CONFIG`: `COUNCIL_ACCOUNTS` (which would not
 * narrow its accounts) and `ALPACA_{NAME}_*` for its accounts or the six council names (another key for a name).
 */
const unshadowed = (ids: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const names = [...new Set([...ids, ...DEFAULT_ACCOUNTS])]
    const variables = ["COUNCIL_ACCOUNTS", ...names.flatMap((n) => [`ALPACA_${n}_KEY_ID`, `ALPACA_${n}_SECRET_KEY`, `ALPACA_${n}_BASE_URL`])]
    for (const variable of variables) {
      if (Option.isSome(yield* env(variable))) {
        return yield* fail(
          `${variable} is set beside TRADING_ACCOUNTS_CONFIG, which configures the accounts (${ids.join(", ")}) and would leave it unused: unset one of them`
        )
      }
    }
  })

/**
 * Names the seed plan floated for the accounts' JSON that Council does not read: set, they would leave the user's
 * accounts unconfigured and the embedded default trading instead, so they are refused, naming the one it reads.
 */
const UNREAD_ACCOUNT_VARIABLES = ["ALPACA_ACCOUNTS_JSON", "TRADING_ACCOUNTS"] as const

/**
 * Alpaca's SDK variables. Council never reads them (the seed's "same credentials for all accounts"); set with no
 * account configured they mean the user expects Alpaca and would get the embedded exchange, so they are refused there.
 */
const SDK_KEY_VARIABLES = ["APCA_API_KEY_ID", "APCA_API_SECRET_KEY"] as const

/** Reads the accounts from the environment (through `Config`), first source found wins. */
export const load: Effect.Effect<LoadedAccounts, AccountConfigError> = Effect.gen(function*() {
  for (const variable of UNREAD_ACCOUNT_VARIABLES) {
    if (Option.isSome(yield* env(variable))) {
      return yield* fail(`${variable} is not read: Council reads its accounts from TRADING_ACCOUNTS_CONFIG (the same JSON array); rename it`)
    }
  }
  const json = yield* env("TRADING_ACCOUNTS_CONFIG")
  if (Option.isSome(json)) {
    const accounts = yield* fromJson(json.value)
    yield* unshadowed(accounts.map((a) => a.id))
    return { source: "TRADING_ACCOUNTS_CONFIG" as const, accounts: yield* checkAccounts("TRADING_ACCOUNTS_CONFIG", accounts) }
  }
  const listed = yield* env("COUNCIL_ACCOUNTS")
  const names = Option.match(listed, {
    onNone: () => [...DEFAULT_ACCOUNTS] as ReadonlyArray<string>,
    onSome: (list) => list.split(",").map((n) => n.trim()).filter((n) => n !== "")
  })
  if (names.length === 0) return yield* fail(`COUNCIL_ACCOUNTS names no account (expected e.g. CLAUDE,COUNCIL)`)
  for (const name of names) {
    if (!Schema.is(AccountId)(name)) {
      return yield* fail(`COUNCIL_ACCOUNTS: "${name}" is not a valid account name (UPPERCASE letters, digits and underscores)`)
    }
  }
  const perAccount = yield* fromPerAccountVariables(names, Option.isSome(listed))
  if (Option.isSome(perAccount)) {
    return { source: "per-account variables" as const, accounts: yield* checkAccounts("per-account variables", perAccount.value) }
  }
  const paperKey = yield* env("PAPER_ALPACA_KEY_ID")
  const paperSecret = yield* env("PAPER_ALPACA_SECRET_KEY")
  if (Option.isSome(paperKey) || Option.isSome(paperSecret)) {
    if (Option.isNone(paperKey) || Option.isNone(paperSecret)) {
      return yield* fail(`PAPER_ALPACA_*: DEFAULT_PAPER: ${Option.isNone(paperKey) ? "PAPER_ALPACA_KEY_ID" : "PAPER_ALPACA_SECRET_KEY"} is not set`)
    }
    const decoded = yield* decodeEntry({
      id: "DEFAULT_PAPER",
      mode: "PAPER",
      credentials: { keyId: paperKey.value, secretKey: paperSecret.value }
    }).pipe(Effect.mapError((e) => new AccountConfigError({ message: `PAPER_ALPACA_*: DEFAULT_PAPER: ${describeIssue(e)}` })))
    return { source: "PAPER_ALPACA_*" as const, accounts: yield* checkAccounts("PAPER_ALPACA_*", [yield* toAccount(decoded, "PAPER_ALPACA_*", "PAPER_ALPACA_*: DEFAULT_PAPER", { keyId: "PAPER_ALPACA_KEY_ID", secretKey: "PAPER_ALPACA_SECRET_KEY" })]) }
  }
  for (const variable of SDK_KEY_VARIABLES) {
    if (Option.isSome(yield* env(variable))) {
      return yield* fail(
        `${variable} is set but not read: one key pair would trade every account; set ALPACA_{NAME}_KEY_ID/_SECRET_KEY for each account (or PAPER_ALPACA_KEY_ID/_SECRET_KEY for one paper account), or unset it to trade the embedded exchange`
      )
    }
  }
  return { source: "embedded default" as const, accounts: yield* checkAccounts("embedded default", embeddedAccounts()) }
})

/** `TradingAccounts` from the environment. */
export const layer: Layer.Layer<TradingAccounts, AccountConfigError> = Layer.effect(
  TradingAccounts,
  Effect.map(load, ({ accounts, source }) => TradingAccounts.of({ all: accounts, source }))
)
